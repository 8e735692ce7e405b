/* decode.c: 9P2000.L message decoder for untrusted bytes (requests in the gofer, replies
 * in the Sentry's client). */
#include "gofer/p9/p9.h"

#include <errno.h>
#include <string.h>

static void get_attr(struct p9_rbuf *r, struct p9_attr *a)
{
	uint64_t *const rest[] = {&a->nlink,	  &a->rdev,	  &a->size,	  &a->blksize,
				  &a->blocks,	  &a->atime_sec,  &a->atime_nsec, &a->mtime_sec,
				  &a->mtime_nsec, &a->ctime_sec,  &a->ctime_nsec, &a->btime_sec,
				  &a->btime_nsec, &a->gen,	  &a->data_version};

	p9_get_u64(r, &a->valid);
	p9_get_qid(r, &a->qid);
	p9_get_u32(r, &a->mode);
	p9_get_u32(r, &a->uid);
	p9_get_u32(r, &a->gid);
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++)
		p9_get_u64(r, rest[i]);
}

static void get_statfs(struct p9_rbuf *r, struct p9_statfs *s)
{
	p9_get_u32(r, &s->type);
	p9_get_u32(r, &s->bsize);
	p9_get_u64(r, &s->blocks);
	p9_get_u64(r, &s->bfree);
	p9_get_u64(r, &s->bavail);
	p9_get_u64(r, &s->files);
	p9_get_u64(r, &s->ffree);
	p9_get_u64(r, &s->fsid);
	p9_get_u32(r, &s->namelen);
}

static void get_setattr(struct p9_rbuf *r, struct p9_setattr *s)
{
	p9_get_u32(r, &s->valid);
	p9_get_u32(r, &s->mode);
	p9_get_u32(r, &s->uid);
	p9_get_u32(r, &s->gid);
	p9_get_u64(r, &s->size);
	p9_get_u64(r, &s->atime_sec);
	p9_get_u64(r, &s->atime_nsec);
	p9_get_u64(r, &s->mtime_sec);
	p9_get_u64(r, &s->mtime_nsec);
}

static void get_walk(struct p9_rbuf *r, struct p9_fcall *f)
{
	p9_get_u32(r, &f->twalk.fid);
	p9_get_u32(r, &f->twalk.newfid);
	p9_get_u16(r, &f->twalk.nwname);
	if (f->twalk.nwname > P9_MAXWELEM) {
		r->err = -EPROTO;
		return;
	}
	for (int i = 0; i < f->twalk.nwname; i++)
		p9_get_str(r, &f->twalk.wnames[i]);
}

/* nwqid then the qids (Rwalk, the tail of Rwalkgetattr). */
static void get_qids(struct p9_rbuf *r, uint16_t *nwqid, struct p9_qid *wqids)
{
	p9_get_u16(r, nwqid);
	if (*nwqid > P9_MAXWELEM) {
		r->err = -EPROTO;
		return;
	}
	for (int i = 0; i < *nwqid; i++)
		p9_get_qid(r, &wqids[i]);
}

/* A lock as put_lock of p9.c writes it. */
static void get_lock(struct p9_rbuf *r, struct p9_lock *l, uint32_t *flags,
		     struct p9_str *client_id)
{
	p9_get_u8(r, &l->type);
	if (flags)
		p9_get_u32(r, flags);
	p9_get_u64(r, &l->start);
	p9_get_u64(r, &l->length);
	p9_get_u32(r, &l->proc_id);
	p9_get_str(r, client_id);
}

/* count then count bytes of payload. */
static void get_data(struct p9_rbuf *r, uint32_t *count, const void **data)
{
	p9_get_u32(r, count);
	p9_get_bytes(r, *count, data);
}

/* Requests: what the gofer decodes. Returns -EOPNOTSUPP for a type it does not know. */
static int decode_request(struct p9_rbuf *r, struct p9_fcall *f)
{
	switch (f->type) {
	case P9_TVERSION:
		p9_get_u32(r, &f->version.msize);
		p9_get_str(r, &f->version.version);
		break;
	case P9_TATTACH:
		p9_get_u32(r, &f->tattach.fid);
		p9_get_u32(r, &f->tattach.afid);
		p9_get_str(r, &f->tattach.uname);
		p9_get_str(r, &f->tattach.aname);
		p9_get_u32(r, &f->tattach.n_uname);
		break;
	case P9_TWALK:
	case P9_TWALKGETATTR:
		get_walk(r, f);
		break;
	case P9_TGETATTR:
		p9_get_u32(r, &f->tgetattr.fid);
		p9_get_u64(r, &f->tgetattr.mask);
		break;
	case P9_TLOPEN:
		p9_get_u32(r, &f->tlopen.fid);
		p9_get_u32(r, &f->tlopen.flags);
		break;
	case P9_TREAD:
	case P9_TREADDIR:
	case P9_TWRITE:
		p9_get_u32(r, &f->io.fid);
		p9_get_u64(r, &f->io.offset);
		p9_get_u32(r, &f->io.count);
		if (f->type == P9_TWRITE)
			p9_get_bytes(r, f->io.count, &f->io.data);
		break;
	case P9_TREADLINK:
	case P9_TSTATFS:
	case P9_TCLUNK:
		p9_get_u32(r, &f->tfid.fid);
		break;
	case P9_TFLUSH:
		p9_get_u16(r, &f->tflush.oldtag);
		break;
	case P9_TLCREATE:
		p9_get_u32(r, &f->tlcreate.fid);
		p9_get_str(r, &f->tlcreate.name);
		p9_get_u32(r, &f->tlcreate.flags);
		p9_get_u32(r, &f->tlcreate.mode);
		p9_get_u32(r, &f->tlcreate.gid);
		break;
	case P9_TMKDIR:
		p9_get_u32(r, &f->tmkdir.dfid);
		p9_get_str(r, &f->tmkdir.name);
		p9_get_u32(r, &f->tmkdir.mode);
		p9_get_u32(r, &f->tmkdir.gid);
		break;
	case P9_TMKNOD:
		p9_get_u32(r, &f->tmknod.dfid);
		p9_get_str(r, &f->tmknod.name);
		p9_get_u32(r, &f->tmknod.mode);
		p9_get_u32(r, &f->tmknod.major);
		p9_get_u32(r, &f->tmknod.minor);
		p9_get_u32(r, &f->tmknod.gid);
		break;
	case P9_TSYMLINK:
		p9_get_u32(r, &f->tsymlink.dfid);
		p9_get_str(r, &f->tsymlink.name);
		p9_get_str(r, &f->tsymlink.target);
		p9_get_u32(r, &f->tsymlink.gid);
		break;
	case P9_TUNLINKAT:
		p9_get_u32(r, &f->tunlinkat.dfid);
		p9_get_str(r, &f->tunlinkat.name);
		p9_get_u32(r, &f->tunlinkat.flags);
		break;
	case P9_TRENAMEAT:
		p9_get_u32(r, &f->trenameat.olddfid);
		p9_get_str(r, &f->trenameat.oldname);
		p9_get_u32(r, &f->trenameat.newdfid);
		p9_get_str(r, &f->trenameat.newname);
		break;
	case P9_TLINK:
		p9_get_u32(r, &f->tlink.dfid);
		p9_get_u32(r, &f->tlink.fid);
		p9_get_str(r, &f->tlink.name);
		break;
	case P9_TSETATTR:
		p9_get_u32(r, &f->tsetattr.fid);
		get_setattr(r, &f->tsetattr.attr);
		break;
	case P9_TFSYNC:
		p9_get_u32(r, &f->tfsync.fid);
		p9_get_u32(r, &f->tfsync.datasync);
		break;
	case P9_TLOCK:
		p9_get_u32(r, &f->tlock.fid);
		get_lock(r, &f->tlock.lock, &f->tlock.flags, &f->tlock.client_id);
		break;
	case P9_TGETLOCK:
		p9_get_u32(r, &f->getlock.fid);
		get_lock(r, &f->getlock.lock, NULL, &f->getlock.client_id);
		break;
	case P9_TRENAME:
		p9_get_u32(r, &f->trename.fid);
		p9_get_u32(r, &f->trename.dfid);
		p9_get_str(r, &f->trename.name);
		break;
	case P9_TXATTRWALK:
		p9_get_u32(r, &f->txattrwalk.fid);
		p9_get_u32(r, &f->txattrwalk.newfid);
		p9_get_str(r, &f->txattrwalk.name);
		break;
	case P9_TXATTRCREATE:
		p9_get_u32(r, &f->txattrcreate.fid);
		p9_get_str(r, &f->txattrcreate.name);
		p9_get_u64(r, &f->txattrcreate.size);
		p9_get_u32(r, &f->txattrcreate.flags);
		break;
	case P9_TXATTRGET:
		p9_get_u32(r, &f->txattrget.fid);
		p9_get_str(r, &f->txattrget.name);
		p9_get_u32(r, &f->txattrget.count);
		break;
	case P9_TXATTRSET:
		p9_get_u32(r, &f->txattrset.fid);
		p9_get_str(r, &f->txattrset.name);
		p9_get_u32(r, &f->txattrset.flags);
		get_data(r, &f->txattrset.count, &f->txattrset.data);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

/* Replies: what the client decodes. */
static int decode_reply(struct p9_rbuf *r, struct p9_fcall *f)
{
	switch (f->type) {
	case P9_RVERSION:
		p9_get_u32(r, &f->version.msize);
		p9_get_str(r, &f->version.version);
		break;
	case P9_RWALK:
		get_qids(r, &f->rwalk.nwqid, f->rwalk.wqids);
		break;
	case P9_RWALKGETATTR:
		get_attr(r, &f->rwalkgetattr.attr);
		get_qids(r, &f->rwalkgetattr.nwqid, f->rwalkgetattr.wqids);
		get_attr(r, &f->rwalkgetattr.dirattr);
		break;
	case P9_RGETATTR:
		get_attr(r, &f->rgetattr);
		break;
	case P9_RLOPEN:
	case P9_RLCREATE:
		p9_get_qid(r, &f->ropen.qid);
		p9_get_u32(r, &f->ropen.iounit);
		break;
	case P9_RREAD:
	case P9_RREADDIR:
		get_data(r, &f->rdata.count, &f->rdata.data);
		break;
	case P9_RWRITE:
		p9_get_u32(r, &f->rwrite.count);
		break;
	case P9_RREADLINK:
		p9_get_str(r, &f->rreadlink.target);
		break;
	case P9_RSTATFS:
		get_statfs(r, &f->rstatfs);
		break;
	case P9_RLERROR:
		p9_get_u32(r, &f->rlerror.ecode);
		break;
	case P9_RXATTRWALK:
		p9_get_u64(r, &f->rxattrwalk.size);
		break;
	case P9_RXATTRGET:
		p9_get_u64(r, &f->rxattrget.size);
		get_data(r, &f->rxattrget.count, &f->rxattrget.data);
		break;
	case P9_RLOCK:
		p9_get_u8(r, &f->rlock.status);
		break;
	case P9_RGETLOCK:
		get_lock(r, &f->getlock.lock, NULL, &f->getlock.client_id);
		break;
	case P9_RATTACH:
	case P9_RMKDIR:
	case P9_RSYMLINK:
	case P9_RMKNOD:
		p9_get_qid(r, &f->rqid.qid);
		break;
	case P9_RCLUNK:
	case P9_RXATTRCREATE:
	case P9_RXATTRSET:
	case P9_RFLUSH:
	case P9_RUNLINKAT:
	case P9_RRENAMEAT:
	case P9_RRENAME:
	case P9_RLINK:
	case P9_RSETATTR:
	case P9_RFSYNC:
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

int p9_frame_size(const void *hdr4, uint32_t msize, uint32_t *size)
{
	struct p9_rbuf r;

	p9_rbuf_init(&r, hdr4, 4);
	p9_get_u32(&r, size);
	if (*size < P9_HDR_SIZE || *size > msize)
		return -EPROTO;
	return 0;
}

int p9_decode(const void *buf, size_t len, uint32_t msize, struct p9_fcall *f)
{
	struct p9_rbuf r;
	uint32_t size;
	int ret;

	memset(f, 0, sizeof(*f));
	p9_rbuf_init(&r, buf, len);
	if (len < P9_HDR_SIZE || p9_frame_size(buf, msize, &size) || size != len)
		return -EPROTO;
	r.pos = 4;
	p9_get_u8(&r, &f->type);
	p9_get_u16(&r, &f->tag);
	if (p9_is_request(f->type))
		ret = decode_request(&r, f);
	else
		ret = decode_reply(&r, f);
	if (ret)
		return ret;
	if (r.err || p9_rbuf_left(&r) != 0) {
		uint8_t type = f->type;
		uint16_t tag = f->tag;

		memset(f, 0, sizeof(*f));
		f->type = type;
		f->tag = tag;
		return -EPROTO;
	}
	return 0;
}
