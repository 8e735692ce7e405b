/* p9_codec_test.c: every 9P2000.L message round-trips; malformed bytes give -EPROTO. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gofer/p9/p9.h"

#define S(lit) ((struct p9_str){(lit), sizeof(lit) - 1})

static uint8_t g_buf[P9_MAX_MSIZE], g_buf2[P9_MAX_MSIZE];
static const char g_data[] = "some file data\0with a NUL inside";

static const struct p9_qid Q1 = {P9_QTDIR, 7, 0x1122334455667788ULL};
static const struct p9_qid Q2 = {P9_QTSYMLINK, 0xffffffffu, 42};

/* One filled-in example of every message the codec knows. */
static size_t sample_messages(struct p9_fcall *m)
{
	size_t n = 0;

#define NEXT(t) (m[n] = (struct p9_fcall){.type = (t), .tag = (uint16_t)(n + 1)}, &m[n++])
	struct p9_fcall *f;

	f = NEXT(P9_TVERSION), f->version.msize = 8192, f->version.version = S("9P2000.L");
	f = NEXT(P9_RVERSION), f->version.msize = 4096, f->version.version = S("unknown");
	f = NEXT(P9_TATTACH), f->tattach.fid = 1, f->tattach.afid = P9_NOFID;
	f->tattach.uname = S("root"), f->tattach.aname = S("/"), f->tattach.n_uname = 0;
	f = NEXT(P9_RATTACH), f->rqid.qid = Q1;
	f = NEXT(P9_TWALK), f->twalk.fid = 1, f->twalk.newfid = 2, f->twalk.nwname = P9_MAXWELEM;
	for (int i = 0; i < P9_MAXWELEM; i++)
		f->twalk.wnames[i] = i % 2 ? S("usr") : S("..");
	f = NEXT(P9_TWALK), f->twalk.fid = 3, f->twalk.newfid = 3, f->twalk.nwname = 0;
	f = NEXT(P9_RWALK), f->rwalk.nwqid = 2, f->rwalk.wqids[0] = Q1, f->rwalk.wqids[1] = Q2;
	f = NEXT(P9_TGETATTR), f->tgetattr.fid = 9, f->tgetattr.mask = P9_GETATTR_ALL;
	f = NEXT(P9_RGETATTR);
	f->rgetattr = (struct p9_attr){P9_GETATTR_BASIC, Q2, 0120777, 1000, 100, 1, 0x0801, 12,
				       4096, 8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
	f = NEXT(P9_TLOPEN), f->tlopen.fid = 4, f->tlopen.flags = 0x8002;
	f = NEXT(P9_RLOPEN), f->ropen.qid = Q1, f->ropen.iounit = 65536;
	f = NEXT(P9_TREAD), f->io.fid = 4, f->io.offset = 1ULL << 40, f->io.count = 4096;
	f = NEXT(P9_RREAD), f->rdata.count = sizeof(g_data), f->rdata.data = g_data;
	f = NEXT(P9_TWRITE), f->io.fid = 4, f->io.offset = 3, f->io.count = sizeof(g_data);
	f->io.data = g_data;
	f = NEXT(P9_RWRITE), f->rwrite.count = 33;
	f = NEXT(P9_TREADDIR), f->io.fid = 5, f->io.offset = 77, f->io.count = 8192;
	f = NEXT(P9_RREADDIR), f->rdata.count = 0, f->rdata.data = "";
	f = NEXT(P9_TREADLINK), f->tfid.fid = 6;
	f = NEXT(P9_RREADLINK), f->rreadlink.target = S("../etc/passwd");
	f = NEXT(P9_TSTATFS), f->tfid.fid = 6;
	f = NEXT(P9_RSTATFS);
	f->rstatfs = (struct p9_statfs){0x01021994, 4096, 100, 50, 40, 1000, 900, 0xabcdef, 255};
	f = NEXT(P9_TCLUNK), f->tfid.fid = 6;
	NEXT(P9_RCLUNK);
	f = NEXT(P9_TFLUSH), f->tflush.oldtag = 3;
	NEXT(P9_RFLUSH);
	f = NEXT(P9_RLERROR), f->rlerror.ecode = ENOENT;
	f = NEXT(P9_TLCREATE), f->tlcreate.fid = 7, f->tlcreate.name = S("new.txt");
	f->tlcreate.flags = 01101, f->tlcreate.mode = 0644, f->tlcreate.gid = 5;
	f = NEXT(P9_RLCREATE), f->ropen.qid = Q2, f->ropen.iounit = 0;
	f = NEXT(P9_TMKDIR), f->tmkdir.dfid = 7, f->tmkdir.name = S("d"), f->tmkdir.mode = 0755;
	f->tmkdir.gid = 0;
	f = NEXT(P9_RMKDIR), f->rqid.qid = Q1;
	f = NEXT(P9_TMKNOD), f->tmknod.dfid = 7, f->tmknod.name = S("fifo");
	f->tmknod.mode = 010640, f->tmknod.major = 1, f->tmknod.minor = 3, f->tmknod.gid = 2;
	f = NEXT(P9_RMKNOD), f->rqid.qid = Q2;
	f = NEXT(P9_TSYMLINK), f->tsymlink.dfid = 7, f->tsymlink.name = S("l");
	f->tsymlink.target = S("/abs/target"), f->tsymlink.gid = 1;
	f = NEXT(P9_RSYMLINK), f->rqid.qid = Q2;
	f = NEXT(P9_TUNLINKAT), f->tunlinkat.dfid = 7, f->tunlinkat.name = S("d");
	f->tunlinkat.flags = 0x200;
	NEXT(P9_RUNLINKAT);
	f = NEXT(P9_TRENAMEAT), f->trenameat.olddfid = 7, f->trenameat.oldname = S("a");
	f->trenameat.newdfid = 8, f->trenameat.newname = S("b");
	NEXT(P9_RRENAMEAT);
	f = NEXT(P9_TSETATTR), f->tsetattr.fid = 9;
	f->tsetattr.attr = (struct p9_setattr){P9_SETATTR_MODE | P9_SETATTR_SIZE, 0600, 1, 2, 99,
					       10, 11, 12, 13};
	NEXT(P9_RSETATTR);
	f = NEXT(P9_TFSYNC), f->tfsync.fid = 9, f->tfsync.datasync = 1;
	NEXT(P9_RFSYNC);
	f = NEXT(P9_TWALKGETATTR), f->twalk.fid = 1, f->twalk.newfid = P9_NOFID;
	f->twalk.nwname = 1, f->twalk.wnames[0] = S("usr");
	f = NEXT(P9_RWALKGETATTR);
	f->rwalkgetattr.attr = (struct p9_attr){P9_GETATTR_BASIC, Q1, 040755, 0, 0, 2, 0, 4096};
	f->rwalkgetattr.nwqid = 2, f->rwalkgetattr.wqids[0] = Q1, f->rwalkgetattr.wqids[1] = Q2;
	f->rwalkgetattr.dirattr = (struct p9_attr){P9_GETATTR_BASIC, Q2, 040711, 7, 8, 3, 0, 512};
	f = NEXT(P9_TXATTRWALK), f->txattrwalk.fid = 3, f->txattrwalk.newfid = 4;
	f->txattrwalk.name = S("user.mime_type");
	f = NEXT(P9_TXATTRWALK), f->txattrwalk.fid = 3, f->txattrwalk.newfid = 5;
	f->txattrwalk.name = S(""); /* a list */
	f = NEXT(P9_RXATTRWALK), f->rxattrwalk.size = 0x123456789aULL;
	f = NEXT(P9_TXATTRCREATE), f->txattrcreate.fid = 6, f->txattrcreate.name = S("user.k");
	f->txattrcreate.size = P9_XATTR_SIZE_MAX, f->txattrcreate.flags = P9_XATTR_REPLACE;
	NEXT(P9_RXATTRCREATE);
	f = NEXT(P9_TXATTRGET), f->txattrget.fid = 3, f->txattrget.name = S("user.k");
	f->txattrget.count = 65536;
	f = NEXT(P9_RXATTRGET), f->rxattrget.size = sizeof(g_data);
	f->rxattrget.count = sizeof(g_data), f->rxattrget.data = g_data;
	f = NEXT(P9_TXATTRSET), f->txattrset.fid = 3, f->txattrset.name = S("user.k");
	f->txattrset.flags = P9_XATTR_CREATE, f->txattrset.count = sizeof(g_data);
	f->txattrset.data = g_data;
	NEXT(P9_RXATTRSET);
	f = NEXT(P9_TLOCK), f->tlock.fid = 4, f->tlock.flags = P9_LOCK_FLAGS_BLOCK;
	f->tlock.lock = (struct p9_lock){P9_LOCK_TYPE_WRLCK, 100, 0x7fffffffffffffffULL, 77};
	f->tlock.client_id = S("host");
	f = NEXT(P9_RLOCK), f->rlock.status = P9_LOCK_BLOCKED;
	f = NEXT(P9_TGETLOCK), f->getlock.fid = 4, f->getlock.client_id = S("c");
	f->getlock.lock = (struct p9_lock){P9_LOCK_TYPE_RDLCK, 1, 2, 3};
	f = NEXT(P9_RGETLOCK), f->getlock.client_id = S("");
	f->getlock.lock = (struct p9_lock){P9_LOCK_TYPE_UNLCK, 9, 0, 0xffffffffu};
	f = NEXT(P9_TRENAME), f->trename.fid = 4, f->trename.dfid = 5, f->trename.name = S("n");
	NEXT(P9_RRENAME);
#undef NEXT
	return n;
}

#define MAX_SAMPLES 64

static void test_roundtrip_every_message(void **state)
{
	struct p9_fcall m[MAX_SAMPLES], d;
	size_t n = sample_messages(m);

	assert_true(n >= 40);
	for (size_t i = 0; i < n; i++) {
		ssize_t len = p9_encode(g_buf, sizeof(g_buf), &m[i]);

		assert_true(len >= P9_HDR_SIZE);
		assert_int_equal(p9_decode(g_buf, (size_t)len, P9_MAX_MSIZE, &d), 0);
		assert_int_equal(d.type, m[i].type);
		assert_int_equal(d.tag, m[i].tag);
		/* Decoding then encoding again gives the same bytes: every field survived. */
		assert_int_equal(p9_encode(g_buf2, sizeof(g_buf2), &d), len);
		assert_memory_equal(g_buf, g_buf2, (size_t)len);
	}
}

static void test_decoded_fields(void **state)
{
	struct p9_fcall m[MAX_SAMPLES], d;
	size_t n = sample_messages(m);
	ssize_t len;

	for (size_t i = 0; i < n; i++) {
		len = p9_encode(g_buf, sizeof(g_buf), &m[i]);
		assert_int_equal(p9_decode(g_buf, (size_t)len, P9_MAX_MSIZE, &d), 0);
		switch (d.type) {
		case P9_TWALK:
			assert_int_equal(d.twalk.nwname, m[i].twalk.nwname);
			if (d.twalk.nwname)
				assert_true(p9_str_eq(&d.twalk.wnames[15], "usr"));
			break;
		case P9_RWALKGETATTR:
			assert_int_equal(d.rwalkgetattr.attr.mode, 040755);
			assert_int_equal(d.rwalkgetattr.nwqid, 2);
			assert_int_equal(d.rwalkgetattr.wqids[1].path, Q2.path);
			assert_int_equal(d.rwalkgetattr.dirattr.mode, 040711);
			assert_int_equal(d.rwalkgetattr.dirattr.uid, 7);
			assert_int_equal(d.rwalkgetattr.dirattr.size, 512);
			break;
		case P9_RGETATTR:
			assert_int_equal(d.rgetattr.qid.path, Q2.path);
			assert_int_equal(d.rgetattr.qid.version, Q2.version);
			assert_int_equal(d.rgetattr.mode, 0120777);
			assert_int_equal(d.rgetattr.data_version, 10);
			break;
		case P9_TWRITE:
		case P9_RREAD:
			assert_memory_equal(d.type == P9_TWRITE ? d.io.data : d.rdata.data, g_data,
					    sizeof(g_data));
			break;
		case P9_RXATTRGET:
			assert_int_equal(d.rxattrget.size, sizeof(g_data));
			assert_memory_equal(d.rxattrget.data, g_data, sizeof(g_data));
			break;
		case P9_TLOCK:
			/* fid type flags start length proc_id client_id, in that order */
			assert_int_equal(len, 7 + 4 + 1 + 4 + 8 + 8 + 4 + 2 + 4);
			assert_int_equal(g_buf[11], P9_LOCK_TYPE_WRLCK);
			assert_int_equal(g_buf[12], P9_LOCK_FLAGS_BLOCK);
			assert_int_equal(g_buf[16], 100);
			assert_int_equal(d.tlock.lock.length, 0x7fffffffffffffffULL);
			assert_int_equal(d.tlock.lock.proc_id, 77);
			assert_true(p9_str_eq(&d.tlock.client_id, "host"));
			break;
		case P9_RGETLOCK:
			assert_int_equal(len, 7 + 1 + 8 + 8 + 4 + 2);
			assert_int_equal(d.getlock.lock.type, P9_LOCK_TYPE_UNLCK);
			assert_int_equal(d.getlock.lock.start, 9);
			assert_int_equal(d.getlock.lock.proc_id, 0xffffffffu);
			break;
		case P9_TXATTRSET:
			assert_int_equal(d.txattrset.flags, P9_XATTR_CREATE);
			assert_memory_equal(d.txattrset.data, g_data, sizeof(g_data));
			break;
		case P9_TSETATTR:
			assert_int_equal(d.tsetattr.attr.size, 99);
			assert_int_equal(d.tsetattr.attr.mtime_nsec, 13);
			break;
		case P9_TXATTRWALK:
			assert_int_equal(d.txattrwalk.fid, 3);
			assert_int_equal(d.txattrwalk.newfid, m[i].txattrwalk.newfid);
			assert_int_equal(d.txattrwalk.name.len, m[i].txattrwalk.name.len);
			break;
		case P9_RXATTRWALK:
			assert_true(d.rxattrwalk.size == 0x123456789aULL);
			break;
		case P9_TXATTRCREATE:
			assert_true(p9_str_eq(&d.txattrcreate.name, "user.k"));
			assert_int_equal(d.txattrcreate.size, P9_XATTR_SIZE_MAX);
			assert_int_equal(d.txattrcreate.flags, P9_XATTR_REPLACE);
			break;
		case P9_RSTATFS:
			assert_int_equal(d.rstatfs.fsid, 0xabcdef);
			assert_int_equal(d.rstatfs.namelen, 255);
			break;
		}
	}
}

static void test_golden_tversion(void **state)
{
	static const uint8_t want[] = {21,  0,   0,	  0,   100, 0xff, 0xff, 0,   0x20, 0,	0,
				       8,   0,	 '9', 'P', '2', '0',  '0',  '0', '.',  'L'};
	struct p9_fcall f = {.type = P9_TVERSION, .tag = P9_NOTAG};

	f.version.msize = 8192;
	f.version.version = S("9P2000.L");
	assert_int_equal(p9_encode(g_buf, sizeof(g_buf), &f), sizeof(want));
	assert_memory_equal(g_buf, want, sizeof(want));
}

/* The xattr messages byte for byte as Linux's v9fs sends and reads them. */
static void test_golden_xattr(void **state)
{
	static const uint8_t walk[] = {22, 0, 0, 0, 30, 1, 0, 3, 0, 0, 0, 4, 0, 0, 0,
				       5,  0, 'u', 's', 'e', 'r', '.'};
	static const uint8_t create[] = {31, 0, 0,   0,	  32,  2,   0,	 6, 0, 0, 0, 6, 0, 'u',
					 's', 'e', 'r', '.', 'k', 9, 0, 0, 0, 0, 0, 0, 0, 1, 0,
					 0,   0};
	struct p9_fcall f = {.type = P9_TXATTRWALK, .tag = 1}, d;

	f.txattrwalk = (typeof(f.txattrwalk)){3, 4, S("user.")};
	assert_int_equal(p9_encode(g_buf, sizeof(g_buf), &f), sizeof(walk));
	assert_memory_equal(g_buf, walk, sizeof(walk));
	f = (struct p9_fcall){.type = P9_TXATTRCREATE, .tag = 2};
	f.txattrcreate = (typeof(f.txattrcreate)){6, S("user.k"), 9, P9_XATTR_CREATE};
	assert_int_equal(p9_encode(g_buf, sizeof(g_buf), &f), sizeof(create));
	assert_memory_equal(g_buf, create, sizeof(create));
	f = (struct p9_fcall){.type = P9_RXATTRWALK, .tag = 3};
	f.rxattrwalk.size = 65536;
	assert_int_equal(p9_encode(g_buf, sizeof(g_buf), &f), 15);
	assert_int_equal(p9_decode(g_buf, 15, P9_MAX_MSIZE, &d), 0);
	assert_int_equal(d.rxattrwalk.size, 65536);
	f = (struct p9_fcall){.type = P9_RXATTRCREATE, .tag = 4};
	assert_int_equal(p9_encode(g_buf, sizeof(g_buf), &f), P9_HDR_SIZE);
	/* A NUL inside the name is malformed. */
	memcpy(g_buf, walk, sizeof(walk));
	g_buf[19] = 0;
	assert_int_equal(p9_decode(g_buf, sizeof(walk), P9_MAX_MSIZE, &d), -EPROTO);
	assert_int_equal(d.type, P9_TXATTRWALK);
}

static void test_rgetattr_size_matches_linux(void **state)
{
	struct p9_fcall f = {.type = P9_RGETATTR};

	/* Linux's v9fs reads 153 bytes after the 7-byte header. */
	assert_int_equal(p9_encode(g_buf, sizeof(g_buf), &f), 160);
}

/* Cutting any message short, with the size field kept honest, is -EPROTO. */
static void test_every_truncation_is_eproto(void **state)
{
	struct p9_fcall m[MAX_SAMPLES], d;
	size_t n = sample_messages(m);

	for (size_t i = 0; i < n; i++) {
		ssize_t len = p9_encode(g_buf, sizeof(g_buf), &m[i]);

		for (size_t cut = P9_HDR_SIZE; cut < (size_t)len; cut++) {
			g_buf[0] = (uint8_t)cut;
			g_buf[1] = (uint8_t)(cut >> 8);
			g_buf[2] = (uint8_t)(cut >> 16);
			assert_int_equal(p9_decode(g_buf, cut, P9_MAX_MSIZE, &d), -EPROTO);
			assert_int_equal(d.type, m[i].type); /* tag and type kept to answer */
		}
		for (size_t cut = 0; cut < P9_HDR_SIZE; cut++)
			assert_int_equal(p9_decode(g_buf, cut, P9_MAX_MSIZE, &d), -EPROTO);
	}
}

static ssize_t encode_clunk(void)
{
	struct p9_fcall f = {.type = P9_TCLUNK, .tag = 1};

	f.tfid.fid = 5;
	return p9_encode(g_buf, sizeof(g_buf), &f);
}

static void test_size_field_checks(void **state)
{
	struct p9_fcall d;
	ssize_t len = encode_clunk();

	assert_int_equal(len, 11);
	/* size field larger than the bytes given */
	g_buf[0] = 12;
	assert_int_equal(p9_decode(g_buf, 11, P9_MAX_MSIZE, &d), -EPROTO);
	/* larger than msize */
	g_buf[0] = 0, g_buf[1] = 0, g_buf[2] = 0x20;
	assert_int_equal(p9_decode(g_buf, 11, 8192, &d), -EPROTO);
	/* smaller than a header */
	g_buf[0] = 6, g_buf[1] = 0, g_buf[2] = 0;
	assert_int_equal(p9_decode(g_buf, 11, P9_MAX_MSIZE, &d), -EPROTO);
	/* honest size, but over the msize limit */
	g_buf[0] = 11;
	assert_int_equal(p9_decode(g_buf, 11, 10, &d), -EPROTO);
	/* trailing garbage with an honest size */
	g_buf[0] = 12, g_buf[11] = 0;
	assert_int_equal(p9_decode(g_buf, 12, P9_MAX_MSIZE, &d), -EPROTO);
	uint32_t size;
	g_buf[0] = 0xff, g_buf[1] = 0xff, g_buf[2] = 0xff, g_buf[3] = 0xff;
	assert_int_equal(p9_frame_size(g_buf, P9_MAX_MSIZE, &size), -EPROTO);
}

static void test_unknown_type(void **state)
{
	struct p9_fcall d;

	encode_clunk();
	g_buf[4] = 200; /* even: an unknown request */
	assert_int_equal(p9_decode(g_buf, 11, P9_MAX_MSIZE, &d), -EOPNOTSUPP);
	assert_int_equal(d.type, 200);
	assert_int_equal(d.tag, 1);
	g_buf[4] = P9_RERROR; /* 9P2000.u errors are not 9P2000.L */
	assert_int_equal(p9_decode(g_buf, 11, P9_MAX_MSIZE, &d), -EOPNOTSUPP);
	struct p9_fcall bad = {.type = 200};
	assert_int_equal(p9_encode(g_buf, sizeof(g_buf), &bad), -EINVAL);
}

static void test_bad_strings(void **state)
{
	struct p9_fcall f = {.type = P9_TMKDIR, .tag = 2}, d;
	ssize_t len;

	f.tmkdir.name = S("abc");
	len = p9_encode(g_buf, sizeof(g_buf), &f);
	assert_int_equal(len, 7 + 4 + 2 + 3 + 8);
	/* string length running past the message */
	g_buf[11] = 200;
	assert_int_equal(p9_decode(g_buf, (size_t)len, P9_MAX_MSIZE, &d), -EPROTO);
	g_buf[11] = 3;
	/* an embedded NUL */
	g_buf[15] = '\0';
	assert_int_equal(p9_decode(g_buf, (size_t)len, P9_MAX_MSIZE, &d), -EPROTO);
	g_buf[15] = 'b';
	assert_int_equal(p9_decode(g_buf, (size_t)len, P9_MAX_MSIZE, &d), 0);
	assert_true(p9_str_eq(&d.tmkdir.name, "abb"));
	/* a string too long for its 16-bit length */
	static char big[70000];
	memset(big, 'x', sizeof(big) - 1);
	f.tmkdir.name.s = big;
	struct p9_wbuf w;
	p9_wbuf_init(&w, g_buf, sizeof(g_buf));
	p9_put_cstr(&w, big);
	assert_int_equal(w.err, -ENAMETOOLONG);
}

static void test_walk_limits(void **state)
{
	struct p9_fcall f = {.type = P9_TWALK, .tag = 1}, d;
	ssize_t len;

	f.twalk.nwname = P9_MAXWELEM + 1;
	assert_int_equal(p9_encode(g_buf, sizeof(g_buf), &f), -EINVAL);
	f.twalk.nwname = 0;
	len = p9_encode(g_buf, sizeof(g_buf), &f);
	assert_int_equal(len, 17);
	g_buf[15] = P9_MAXWELEM + 1; /* nwname field */
	assert_int_equal(p9_decode(g_buf, (size_t)len, P9_MAX_MSIZE, &d), -EPROTO);
	g_buf[15] = 0xff, g_buf[16] = 0xff;
	assert_int_equal(p9_decode(g_buf, (size_t)len, P9_MAX_MSIZE, &d), -EPROTO);

	struct p9_fcall r = {.type = P9_RWALK, .tag = 1};
	len = p9_encode(g_buf, sizeof(g_buf), &r);
	assert_int_equal(len, 9);
	g_buf[7] = P9_MAXWELEM + 1; /* nwqid */
	assert_int_equal(p9_decode(g_buf, (size_t)len, P9_MAX_MSIZE, &d), -EPROTO);
	r.rwalk.nwqid = P9_MAXWELEM + 1;
	assert_int_equal(p9_encode(g_buf, sizeof(g_buf), &r), -EINVAL);
}

static void test_writer_overflow(void **state)
{
	struct p9_fcall m[MAX_SAMPLES];
	size_t n = sample_messages(m);

	for (size_t i = 0; i < n; i++) {
		ssize_t len = p9_encode(g_buf, sizeof(g_buf), &m[i]);

		for (size_t cap = 0; cap < (size_t)len; cap++)
			assert_int_equal(p9_encode(g_buf, cap, &m[i]), -EMSGSIZE);
		assert_int_equal(p9_encode(g_buf, (size_t)len, &m[i]), len);
	}
}

static void test_reader_sticky_errors(void **state)
{
	static const uint8_t b[] = {1, 2, 3};
	struct p9_rbuf r;
	uint32_t v32 = 5;
	uint8_t v8 = 5;
	uint64_t v64 = 5;
	struct p9_str str;

	p9_rbuf_init(&r, b, sizeof(b));
	assert_int_equal(p9_get_u32(&r, &v32), -EPROTO);
	assert_int_equal(v32, 0);
	assert_int_equal(p9_get_u8(&r, &v8), -EPROTO); /* sticky even though 3 bytes remain */
	assert_int_equal(v8, 0);
	p9_rbuf_init(&r, b, sizeof(b));
	assert_int_equal(p9_get_u16(&r, &(uint16_t){0}), 0);
	assert_int_equal(p9_get_u64(&r, &v64), -EPROTO);
	assert_int_equal(p9_get_str(&r, &str), -EPROTO);
	assert_int_equal(str.len, 0);
}

static void test_dirents(void **state)
{
	struct p9_dirent in[3] = {
		{Q1, 1, 4, 4, "dir1"}, {Q2, 2, 10, 4, "link"}, {{0, 0, 9}, 3, 8, 8, "file.txt"}};
	struct p9_wbuf w;
	struct p9_rbuf r;
	struct p9_dirent d;
	size_t full;

	p9_wbuf_init(&w, g_buf, 3 * P9_DIRENT_HDR + 16);
	for (int i = 0; i < 3; i++)
		assert_int_equal(p9_dirent_put(&w, &in[i]), 0);
	full = w.pos;
	assert_int_equal(full, 3 * P9_DIRENT_HDR + 16);
	assert_int_equal(p9_dirent_put(&w, &in[0]), -EMSGSIZE); /* no room: all or nothing */
	assert_int_equal(w.pos, full);
	assert_int_equal(w.err, 0);

	p9_rbuf_init(&r, g_buf, full);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(p9_dirent_next(&r, &d), 1);
		assert_int_equal(d.qid.type, in[i].qid.type);
		assert_int_equal(d.qid.version, in[i].qid.version);
		assert_int_equal(d.qid.path, in[i].qid.path);
		assert_int_equal(d.offset, in[i].offset);
		assert_int_equal(d.type, in[i].type);
		assert_int_equal(d.name_len, in[i].name_len);
		assert_memory_equal(d.name, in[i].name, d.name_len);
	}
	assert_int_equal(p9_dirent_next(&r, &d), 0);

	/* Every truncation of the packed entries is caught. */
	for (size_t cut = 1; cut < full; cut++) {
		int ret;

		p9_rbuf_init(&r, g_buf, cut);
		while ((ret = p9_dirent_next(&r, &d)) == 1)
			;
		if (cut == P9_DIRENT_HDR + 4 || cut == 2 * P9_DIRENT_HDR + 8)
			assert_int_equal(ret, 0); /* cut falls between entries */
		else
			assert_int_equal(ret, -EPROTO);
	}
	/* names with '/' or empty names are malformed */
	g_buf[P9_DIRENT_HDR + 1] = '/';
	p9_rbuf_init(&r, g_buf, full);
	assert_int_equal(p9_dirent_next(&r, &d), -EPROTO);
	struct p9_dirent empty = {Q1, 1, 4, 0, ""};
	p9_wbuf_init(&w, g_buf, sizeof(g_buf));
	assert_int_equal(p9_dirent_put(&w, &empty), 0);
	p9_rbuf_init(&r, g_buf, w.pos);
	assert_int_equal(p9_dirent_next(&r, &d), -EPROTO);
}

static void test_name_helpers(void **state)
{
	char out[4];

	assert_true(p9_str_is_name(&S("a")));
	assert_true(p9_str_is_name(&S("..")));
	assert_false(p9_str_is_name(&S("")));
	assert_false(p9_str_is_name(&S("a/b")));
	static char long_name[300];
	memset(long_name, 'n', sizeof(long_name));
	assert_false(p9_str_is_name(&(struct p9_str){long_name, 256}));
	assert_true(p9_str_is_name(&(struct p9_str){long_name, 255}));
	assert_int_equal(p9_str_copy(&S("abc"), out, sizeof(out)), 0);
	assert_string_equal(out, "abc");
	assert_int_equal(p9_str_copy(&S("abcd"), out, sizeof(out)), -ENAMETOOLONG);
	assert_false(p9_str_eq(&S("ab"), "abc"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_every_message),
		cmocka_unit_test(test_decoded_fields),
		cmocka_unit_test(test_golden_tversion),
		cmocka_unit_test(test_golden_xattr),
		cmocka_unit_test(test_rgetattr_size_matches_linux),
		cmocka_unit_test(test_every_truncation_is_eproto),
		cmocka_unit_test(test_size_field_checks),
		cmocka_unit_test(test_unknown_type),
		cmocka_unit_test(test_bad_strings),
		cmocka_unit_test(test_walk_limits),
		cmocka_unit_test(test_writer_overflow),
		cmocka_unit_test(test_reader_sticky_errors),
		cmocka_unit_test(test_dirents),
		cmocka_unit_test(test_name_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
