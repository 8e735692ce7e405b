/* p9_fuzz.h: one fuzz input against the 9P decoder and the gofer's request dispatcher,
 * shared by the libFuzzer target (p9_server_fuzz.c) and the cmocka run under gcc
 * (test/unit/gofer_fuzz_test.c). Aborts when an invariant breaks, so both notice. */
#ifndef RUNSC_TEST_FUZZ_P9_FUZZ_H
#define RUNSC_TEST_FUZZ_P9_FUZZ_H

#include "gofer/p9/p9.h"
#include "gofer/server.h"
#include "test/unit/gofer_test_util.h"

struct p9_fuzz {
	struct gofer_tree tree;
	int rootfd;
	unsigned long runs;
	uint8_t *reply;
};

static inline void p9_fuzz_tree(struct p9_fuzz *fz)
{
	gt_make(&fz->tree);
	fz->rootfd = open(fz->tree.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fz->rootfd < 0)
		abort();
}

static inline void p9_fuzz_init(struct p9_fuzz *fz)
{
	memset(fz, 0, sizeof(*fz));
	fz->reply = malloc(P9_MAX_MSIZE);
	if (!fz->reply)
		abort();
	p9_fuzz_tree(fz);
}

static inline void p9_fuzz_fini(struct p9_fuzz *fz)
{
	close(fz->rootfd);
	gt_destroy(&fz->tree);
	free(fz->reply);
}

/* Nothing outside the served root may change, whatever was sent. */
static inline void p9_fuzz_check_outside(const struct p9_fuzz *fz)
{
	char p[256];
	struct stat st;
	DIR *d;
	int n = 0;

	snprintf(p, sizeof(p), "%s/outside/secret", fz->tree.base);
	if (stat(p, &st) || st.st_size != 11)
		abort();
	d = opendir(fz->tree.base);
	if (!d)
		abort();
	while (readdir(d))
		n++;
	closedir(d);
	if (n != 4) /* ".", "..", root, outside */
		abort();
}

/* Feed one message; the reply must always be a well-formed R-message (or the framing is
 * reported broken). Returns false when the connection would be dropped. */
static inline bool p9_fuzz_feed(struct p9_fuzz *fz, struct gofer_server *s, const void *msg,
				size_t len)
{
	struct p9_fcall f;
	int fd;
	ssize_t n = gofer_server_handle(s, msg, len, fz->reply, P9_MAX_MSIZE, &fd);

	if (n < 0)
		return false;
	if (p9_decode(fz->reply, (size_t)n, P9_MAX_MSIZE, &f) || p9_is_request(f.type))
		abort();
	if (f.type == P9_RREADDIR) {
		struct p9_rbuf r;
		struct p9_dirent d;
		int ret;

		p9_rbuf_init(&r, f.rdata.data, f.rdata.count);
		while ((ret = p9_dirent_next(&r, &d)) > 0)
			;
		if (ret < 0)
			abort();
	}
	return true;
}

/* Fids 0 (root), 1 (file.txt, open for reading, and writing when rw), 2 (root, open for
 * readdir), 3 (an xattr fid reading the root's list of names) and, when rw, 4 (an xattr
 * fid writing 8 bytes of user.fz of the root) exist before the input, so short random
 * messages reach the handlers behind the fid checks. */
static inline void p9_fuzz_prime(struct p9_fuzz *fz, struct gofer_server *s, bool rw)
{
	static const char *const file = "file.txt";
	struct p9_fcall m[] = {
		{.type = P9_TVERSION, .version = {P9_MAX_MSIZE, {P9_VERSION_L, 8}}},
		{.type = P9_TATTACH, .tattach = {.fid = 0, .afid = P9_NOFID}},
		{.type = P9_TWALK, .twalk = {.fid = 0, .newfid = 1, .nwname = 1}},
		{.type = P9_TLOPEN, .tlopen = {.fid = 1, .flags = rw ? O_RDWR : O_RDONLY}},
		{.type = P9_TWALK, .twalk = {.fid = 0, .newfid = 2}},
		{.type = P9_TLOPEN, .tlopen = {.fid = 2, .flags = O_RDONLY | O_DIRECTORY}},
		{.type = P9_TXATTRWALK, .txattrwalk = {.fid = 0, .newfid = 3}},
		{.type = P9_TWALK, .twalk = {.fid = 0, .newfid = 4}},
		{.type = P9_TXATTRCREATE, .txattrcreate = {.fid = 4, .size = 8}},
	};
	uint8_t buf[256];

	m[2].twalk.wnames[0] = (struct p9_str){file, 8};
	m[8].txattrcreate.name = (struct p9_str){"user.fz", 7}; /* EROFS when read-only */
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
		ssize_t n = p9_encode(buf, sizeof(buf), &m[i]);

		if (n < 0 || !p9_fuzz_feed(fz, s, buf, (size_t)n))
			abort();
	}
}

/* data: byte 0 picks read-only (even) or read-write (odd); the rest is a sequence of
 * messages, each as long as its size field says (or the rest of the input). */
static inline void p9_fuzz_one(struct p9_fuzz *fz, const uint8_t *data, size_t size)
{
	struct gofer_server *s;
	struct p9_fcall f;
	bool rw;

	/* Both decoders see the raw bytes too (requests and replies alike). */
	if (p9_decode(data, size, P9_MAX_MSIZE, &f) == 0 && f.type == P9_RREADDIR) {
		struct p9_rbuf r;
		struct p9_dirent d;

		p9_rbuf_init(&r, f.rdata.data, f.rdata.count);
		while (p9_dirent_next(&r, &d) > 0)
			;
	}
	if (size < 1)
		return;
	rw = data[0] & 1;
	data++, size--;
	if (gofer_server_new(fz->rootfd, !rw, &s))
		abort();
	p9_fuzz_prime(fz, s, rw);
	while (size >= 4) {
		uint32_t len = (uint32_t)data[0] | (uint32_t)data[1] << 8 |
			       (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;

		if (len < 4 || len > size)
			len = (uint32_t)size;
		if (!p9_fuzz_feed(fz, s, data, len))
			break;
		data += len, size -= len;
	}
	gofer_server_free(s);
	if (++fz->runs % 64 == 0)
		p9_fuzz_check_outside(fz);
	if (rw && fz->runs % 512 == 0) {
		/* Start again from a fresh tree so what the inputs made does not pile up. */
		p9_fuzz_check_outside(fz);
		close(fz->rootfd);
		gt_destroy(&fz->tree);
		p9_fuzz_tree(fz);
	}
}

#endif
