/* p9.c: 9P2000.L message encoder and decoder over the primitives of buf.c. */
#include "gofer/p9/p9.h"

#include <errno.h>
#include <string.h>

static void put_attr(struct p9_wbuf *w, const struct p9_attr *a)
{
	p9_put_u64(w, a->valid);
	p9_put_qid(w, &a->qid);
	p9_put_u32(w, a->mode);
	p9_put_u32(w, a->uid);
	p9_put_u32(w, a->gid);
	const uint64_t rest[] = {a->nlink,	a->rdev,       a->size,	      a->blksize,
				 a->blocks,	a->atime_sec,  a->atime_nsec, a->mtime_sec,
				 a->mtime_nsec, a->ctime_sec,  a->ctime_nsec, a->btime_sec,
				 a->btime_nsec, a->gen,	       a->data_version};
	for (size_t i = 0; i < sizeof(rest) / sizeof(rest[0]); i++)
		p9_put_u64(w, rest[i]);
}

static void put_statfs(struct p9_wbuf *w, const struct p9_statfs *s)
{
	p9_put_u32(w, s->type);
	p9_put_u32(w, s->bsize);
	p9_put_u64(w, s->blocks);
	p9_put_u64(w, s->bfree);
	p9_put_u64(w, s->bavail);
	p9_put_u64(w, s->files);
	p9_put_u64(w, s->ffree);
	p9_put_u64(w, s->fsid);
	p9_put_u32(w, s->namelen);
}

/* Tlock's and Tgetlock's lock after the fid (Tlock puts its flags between type and
 * start), and the client id that ends both. */
static void put_lock(struct p9_wbuf *w, const struct p9_lock *l, const uint32_t *flags,
		     const struct p9_str *client_id)
{
	p9_put_u8(w, l->type);
	if (flags)
		p9_put_u32(w, *flags);
	p9_put_u64(w, l->start);
	p9_put_u64(w, l->length);
	p9_put_u32(w, l->proc_id);
	p9_put_str(w, client_id);
}

static void put_setattr(struct p9_wbuf *w, const struct p9_setattr *s)
{
	p9_put_u32(w, s->valid);
	p9_put_u32(w, s->mode);
	p9_put_u32(w, s->uid);
	p9_put_u32(w, s->gid);
	p9_put_u64(w, s->size);
	p9_put_u64(w, s->atime_sec);
	p9_put_u64(w, s->atime_nsec);
	p9_put_u64(w, s->mtime_sec);
	p9_put_u64(w, s->mtime_nsec);
}

/* The body of f (after the header); returns 0 or -EINVAL for an unknown type. */
static int encode_body(struct p9_wbuf *w, const struct p9_fcall *f)
{
	switch (f->type) {
	case P9_TVERSION:
	case P9_RVERSION:
		p9_put_u32(w, f->version.msize);
		p9_put_str(w, &f->version.version);
		break;
	case P9_TATTACH:
		p9_put_u32(w, f->tattach.fid);
		p9_put_u32(w, f->tattach.afid);
		p9_put_str(w, &f->tattach.uname);
		p9_put_str(w, &f->tattach.aname);
		p9_put_u32(w, f->tattach.n_uname);
		break;
	case P9_TWALK:
	case P9_TWALKGETATTR:
		if (f->twalk.nwname > P9_MAXWELEM)
			return -EINVAL;
		p9_put_u32(w, f->twalk.fid);
		p9_put_u32(w, f->twalk.newfid);
		p9_put_u16(w, f->twalk.nwname);
		for (int i = 0; i < f->twalk.nwname; i++)
			p9_put_str(w, &f->twalk.wnames[i]);
		break;
	case P9_RWALK:
		if (f->rwalk.nwqid > P9_MAXWELEM)
			return -EINVAL;
		p9_put_u16(w, f->rwalk.nwqid);
		for (int i = 0; i < f->rwalk.nwqid; i++)
			p9_put_qid(w, &f->rwalk.wqids[i]);
		break;
	case P9_RWALKGETATTR:
		if (f->rwalkgetattr.nwqid > P9_MAXWELEM)
			return -EINVAL;
		put_attr(w, &f->rwalkgetattr.attr);
		p9_put_u16(w, f->rwalkgetattr.nwqid);
		for (int i = 0; i < f->rwalkgetattr.nwqid; i++)
			p9_put_qid(w, &f->rwalkgetattr.wqids[i]);
		put_attr(w, &f->rwalkgetattr.dirattr);
		break;
	case P9_TGETATTR:
		p9_put_u32(w, f->tgetattr.fid);
		p9_put_u64(w, f->tgetattr.mask);
		break;
	case P9_RGETATTR:
		put_attr(w, &f->rgetattr);
		break;
	case P9_TLOPEN:
		p9_put_u32(w, f->tlopen.fid);
		p9_put_u32(w, f->tlopen.flags);
		break;
	case P9_RLOPEN:
	case P9_RLCREATE:
		p9_put_qid(w, &f->ropen.qid);
		p9_put_u32(w, f->ropen.iounit);
		break;
	case P9_TREAD:
	case P9_TREADDIR:
	case P9_TWRITE:
		p9_put_u32(w, f->io.fid);
		p9_put_u64(w, f->io.offset);
		p9_put_u32(w, f->io.count);
		if (f->type == P9_TWRITE)
			p9_put_bytes(w, f->io.data, f->io.count);
		break;
	case P9_RREAD:
	case P9_RREADDIR:
		p9_put_u32(w, f->rdata.count);
		p9_put_bytes(w, f->rdata.data, f->rdata.count);
		break;
	case P9_RWRITE:
		p9_put_u32(w, f->rwrite.count);
		break;
	case P9_TREADLINK:
	case P9_TSTATFS:
	case P9_TCLUNK:
		p9_put_u32(w, f->tfid.fid);
		break;
	case P9_RREADLINK:
		p9_put_str(w, &f->rreadlink.target);
		break;
	case P9_RSTATFS:
		put_statfs(w, &f->rstatfs);
		break;
	case P9_TFLUSH:
		p9_put_u16(w, f->tflush.oldtag);
		break;
	case P9_RLERROR:
		p9_put_u32(w, f->rlerror.ecode);
		break;
	case P9_TLCREATE:
		p9_put_u32(w, f->tlcreate.fid);
		p9_put_str(w, &f->tlcreate.name);
		p9_put_u32(w, f->tlcreate.flags);
		p9_put_u32(w, f->tlcreate.mode);
		p9_put_u32(w, f->tlcreate.gid);
		break;
	case P9_TMKDIR:
		p9_put_u32(w, f->tmkdir.dfid);
		p9_put_str(w, &f->tmkdir.name);
		p9_put_u32(w, f->tmkdir.mode);
		p9_put_u32(w, f->tmkdir.gid);
		break;
	case P9_TMKNOD:
		p9_put_u32(w, f->tmknod.dfid);
		p9_put_str(w, &f->tmknod.name);
		p9_put_u32(w, f->tmknod.mode);
		p9_put_u32(w, f->tmknod.major);
		p9_put_u32(w, f->tmknod.minor);
		p9_put_u32(w, f->tmknod.gid);
		break;
	case P9_TSYMLINK:
		p9_put_u32(w, f->tsymlink.dfid);
		p9_put_str(w, &f->tsymlink.name);
		p9_put_str(w, &f->tsymlink.target);
		p9_put_u32(w, f->tsymlink.gid);
		break;
	case P9_TUNLINKAT:
		p9_put_u32(w, f->tunlinkat.dfid);
		p9_put_str(w, &f->tunlinkat.name);
		p9_put_u32(w, f->tunlinkat.flags);
		break;
	case P9_TRENAMEAT:
		p9_put_u32(w, f->trenameat.olddfid);
		p9_put_str(w, &f->trenameat.oldname);
		p9_put_u32(w, f->trenameat.newdfid);
		p9_put_str(w, &f->trenameat.newname);
		break;
	case P9_TLINK:
		p9_put_u32(w, f->tlink.dfid);
		p9_put_u32(w, f->tlink.fid);
		p9_put_str(w, &f->tlink.name);
		break;
	case P9_TSETATTR:
		p9_put_u32(w, f->tsetattr.fid);
		put_setattr(w, &f->tsetattr.attr);
		break;
	case P9_TFSYNC:
		p9_put_u32(w, f->tfsync.fid);
		p9_put_u32(w, f->tfsync.datasync);
		break;
	case P9_TLOCK:
		p9_put_u32(w, f->tlock.fid);
		put_lock(w, &f->tlock.lock, &f->tlock.flags, &f->tlock.client_id);
		break;
	case P9_RLOCK:
		p9_put_u8(w, f->rlock.status);
		break;
	case P9_TGETLOCK:
		p9_put_u32(w, f->getlock.fid);
		put_lock(w, &f->getlock.lock, NULL, &f->getlock.client_id);
		break;
	case P9_RGETLOCK:
		put_lock(w, &f->getlock.lock, NULL, &f->getlock.client_id);
		break;
	case P9_TRENAME:
		p9_put_u32(w, f->trename.fid);
		p9_put_u32(w, f->trename.dfid);
		p9_put_str(w, &f->trename.name);
		break;
	case P9_RATTACH:
	case P9_RMKDIR:
	case P9_RSYMLINK:
	case P9_RMKNOD:
		p9_put_qid(w, &f->rqid.qid);
		break;
	case P9_TXATTRWALK:
		p9_put_u32(w, f->txattrwalk.fid);
		p9_put_u32(w, f->txattrwalk.newfid);
		p9_put_str(w, &f->txattrwalk.name);
		break;
	case P9_RXATTRWALK:
		p9_put_u64(w, f->rxattrwalk.size);
		break;
	case P9_TXATTRCREATE:
		p9_put_u32(w, f->txattrcreate.fid);
		p9_put_str(w, &f->txattrcreate.name);
		p9_put_u64(w, f->txattrcreate.size);
		p9_put_u32(w, f->txattrcreate.flags);
		break;
	case P9_TXATTRGET:
		p9_put_u32(w, f->txattrget.fid);
		p9_put_str(w, &f->txattrget.name);
		p9_put_u32(w, f->txattrget.count);
		break;
	case P9_RXATTRGET:
		p9_put_u64(w, f->rxattrget.size);
		p9_put_u32(w, f->rxattrget.count);
		p9_put_bytes(w, f->rxattrget.data, f->rxattrget.count);
		break;
	case P9_TXATTRSET:
		p9_put_u32(w, f->txattrset.fid);
		p9_put_str(w, &f->txattrset.name);
		p9_put_u32(w, f->txattrset.flags);
		p9_put_u32(w, f->txattrset.count);
		p9_put_bytes(w, f->txattrset.data, f->txattrset.count);
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
		return -EINVAL;
	}
	return 0;
}

ssize_t p9_encode(void *buf, size_t size, const struct p9_fcall *f)
{
	struct p9_wbuf w;
	int ret;

	p9_wbuf_init(&w, buf, size);
	p9_put_u32(&w, 0); /* size, patched below */
	p9_put_u8(&w, f->type);
	p9_put_u16(&w, f->tag);
	ret = encode_body(&w, f);
	if (ret)
		return ret;
	if (w.err)
		return w.err;
	if (w.pos > UINT32_MAX)
		return -EMSGSIZE;
	struct p9_wbuf hdr;
	p9_wbuf_init(&hdr, buf, 4);
	p9_put_u32(&hdr, (uint32_t)w.pos);
	return (ssize_t)w.pos;
}
