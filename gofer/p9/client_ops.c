/* client_ops.c: one function per 9P2000.L request of the Sentry's client (client.h). */
#include "gofer/p9/client_rpc.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

int p9c_attach(struct p9_client *c, uint32_t fid, const char *uname, uint32_t n_uname,
	       const char *aname, struct p9_qid *qid)
{
	struct p9_fcall req = {.type = P9_TATTACH}, rep;
	int ret;

	req.tattach.fid = fid;
	req.tattach.afid = P9_NOFID;
	req.tattach.n_uname = n_uname;
	if (p9c_cstr(uname, &req.tattach.uname) || p9c_cstr(aname, &req.tattach.aname))
		return -ENAMETOOLONG;
	ret = p9c_rpc(c, &req, P9_RATTACH, &rep, NULL);
	if (ret == 0 && qid)
		*qid = rep.rqid.qid;
	return ret;
}

/* The names of a Twalk or Twalkgetattr (same body); non-zero if one is too long. */
static int walk_request(struct p9_fcall *req, uint32_t fid, uint32_t newfid, uint16_t nwname,
			const char *const *names)
{
	req->twalk.fid = fid;
	req->twalk.newfid = newfid;
	req->twalk.nwname = nwname;
	for (int i = 0; i < nwname; i++) {
		if (p9c_cstr(names[i], &req->twalk.wnames[i]))
			return -1;
	}
	return 0;
}

int p9c_walk(struct p9_client *c, uint32_t fid, uint32_t newfid, uint16_t nwname,
	     const char *const *names, struct p9_qid *qids, uint16_t *nqid)
{
	struct p9_fcall req = {.type = P9_TWALK}, rep;
	int ret;

	if (nqid)
		*nqid = 0;
	if (nwname > P9_MAXWELEM)
		return -EINVAL;
	if (walk_request(&req, fid, newfid, nwname, names))
		return -ENAMETOOLONG;
	ret = p9c_rpc(c, &req, P9_RWALK, &rep, NULL);
	if (ret)
		return ret;
	if (rep.rwalk.nwqid > nwname) {
		log_warn("9p: Rwalk returned %u qids for %u names", rep.rwalk.nwqid, nwname);
		return -EIO;
	}
	if (qids)
		memcpy(qids, rep.rwalk.wqids, rep.rwalk.nwqid * sizeof(*qids));
	if (nqid)
		*nqid = rep.rwalk.nwqid;
	return rep.rwalk.nwqid == nwname ? 0 : -ENOENT;
}

int p9c_getattr(struct p9_client *c, uint32_t fid, uint64_t mask, struct p9_attr *attr)
{
	struct p9_fcall req = {.type = P9_TGETATTR}, rep;
	int ret;

	req.tgetattr.fid = fid;
	req.tgetattr.mask = mask;
	ret = p9c_rpc(c, &req, P9_RGETATTR, &rep, NULL);
	if (ret == 0)
		*attr = rep.rgetattr;
	return ret;
}

int p9c_walkgetattr(struct p9_client *c, uint32_t fid, uint32_t newfid, uint16_t nwname,
		    const char *const *names, struct p9_attr *attr, struct p9_attr *dirattr)
{
	struct p9_fcall req = {.type = P9_TWALKGETATTR}, rep;
	int ret;

	if (nwname == 0 || nwname > P9_MAXWELEM || newfid == fid)
		return -EINVAL;
	if (walk_request(&req, fid, newfid, nwname, names))
		return -ENAMETOOLONG;
	ret = p9c_rpc(c, &req, P9_RWALKGETATTR, &rep, NULL);
	if (ret)
		return ret;
	if (rep.rwalkgetattr.nwqid != nwname) {
		log_warn("9p: Rwalkgetattr returned %u qids for %u names", rep.rwalkgetattr.nwqid,
			 nwname);
		return -EIO;
	}
	*attr = rep.rwalkgetattr.attr;
	if (dirattr)
		*dirattr = rep.rwalkgetattr.dirattr;
	return 0;
}

/* Rlopen / Rlcreate: qid, iounit and the donated fd (closed if the caller wants none). */
static void open_result(const struct p9_fcall *rep, int fd, struct p9_qid *qid,
			uint32_t *iounit, int *hostfd)
{
	if (qid)
		*qid = rep->ropen.qid;
	if (iounit)
		*iounit = rep->ropen.iounit;
	if (hostfd)
		*hostfd = fd;
	else if (fd >= 0)
		close(fd);
}

int p9c_lopen(struct p9_client *c, uint32_t fid, uint32_t flags, struct p9_qid *qid,
	      uint32_t *iounit, int *hostfd)
{
	struct p9_fcall req = {.type = P9_TLOPEN}, rep;
	int ret, fd;

	if (hostfd)
		*hostfd = -1;
	req.tlopen.fid = fid;
	req.tlopen.flags = flags;
	ret = p9c_rpc(c, &req, P9_RLOPEN, &rep, &fd);
	if (ret == 0)
		open_result(&rep, fd, qid, iounit, hostfd);
	return ret;
}

ssize_t p9c_read(struct p9_client *c, uint32_t fid, uint64_t off, void *buf, uint32_t size)
{
	struct p9_fcall req = {.type = P9_TREAD}, rep;
	int ret;

	req.io.fid = fid;
	req.io.offset = off;
	req.io.count = MIN(size, p9c_iosize(c, P9_READ_HDR));
	ret = p9c_rpc(c, &req, P9_RREAD, &rep, NULL);
	if (ret)
		return ret;
	if (rep.rdata.count > req.io.count) {
		log_warn("9p: Rread of %u bytes for %u asked", rep.rdata.count, req.io.count);
		return -EIO;
	}
	memcpy(buf, rep.rdata.data, rep.rdata.count);
	return rep.rdata.count;
}

ssize_t p9c_write(struct p9_client *c, uint32_t fid, uint64_t off, const void *buf,
		  uint32_t size)
{
	struct p9_fcall req = {.type = P9_TWRITE}, rep;
	int ret;

	req.io.fid = fid;
	req.io.offset = off;
	req.io.count = MIN(size, p9c_iosize(c, P9_WRITE_HDR));
	req.io.data = buf;
	ret = p9c_rpc(c, &req, P9_RWRITE, &rep, NULL);
	if (ret)
		return ret;
	if (rep.rwrite.count > req.io.count) {
		log_warn("9p: Rwrite of %u bytes for %u sent", rep.rwrite.count, req.io.count);
		return -EIO;
	}
	return rep.rwrite.count;
}

/* Check every entry before the caller sees any, so a bad reply delivers nothing. */
static int dirents_valid(const void *data, uint32_t count)
{
	struct p9_rbuf r;
	struct p9_dirent d;
	int ret;

	p9_rbuf_init(&r, data, count);
	while ((ret = p9_dirent_next(&r, &d)) > 0)
		;
	return ret;
}

ssize_t p9c_readdir(struct p9_client *c, uint32_t fid, uint64_t off, uint32_t size,
		    p9_dirent_fn fn, void *arg)
{
	struct p9_fcall req = {.type = P9_TREADDIR}, rep;
	struct p9_rbuf r;
	struct p9_dirent d;
	ssize_t seen = 0;
	int ret;

	req.io.fid = fid;
	req.io.offset = off;
	req.io.count = MIN(size, p9c_iosize(c, P9_READ_HDR));
	ret = p9c_rpc(c, &req, P9_RREADDIR, &rep, NULL);
	if (ret)
		return ret;
	if (rep.rdata.count > req.io.count || dirents_valid(rep.rdata.data, rep.rdata.count)) {
		log_warn("9p: malformed Rreaddir (%u bytes)", rep.rdata.count);
		return -EIO;
	}
	p9_rbuf_init(&r, rep.rdata.data, rep.rdata.count);
	while (p9_dirent_next(&r, &d) > 0) {
		seen++;
		if (fn(arg, &d))
			break;
	}
	return seen;
}

ssize_t p9c_readlink(struct p9_client *c, uint32_t fid, char *buf, size_t size)
{
	struct p9_fcall req = {.type = P9_TREADLINK}, rep;
	size_t n;
	int ret;

	req.tfid.fid = fid;
	ret = p9c_rpc(c, &req, P9_RREADLINK, &rep, NULL);
	if (ret)
		return ret;
	/* readlink(2) semantics: truncate silently; add a NUL only when there is room. */
	n = MIN((size_t)rep.rreadlink.target.len, size);
	memcpy(buf, rep.rreadlink.target.s, n);
	if (n < size)
		buf[n] = '\0';
	return (ssize_t)n;
}

int p9c_statfs(struct p9_client *c, uint32_t fid, struct p9_statfs *st)
{
	struct p9_fcall req = {.type = P9_TSTATFS}, rep;
	int ret;

	req.tfid.fid = fid;
	ret = p9c_rpc(c, &req, P9_RSTATFS, &rep, NULL);
	if (ret == 0)
		*st = rep.rstatfs;
	return ret;
}

int p9c_clunk(struct p9_client *c, uint32_t fid)
{
	struct p9_fcall req = {.type = P9_TCLUNK}, rep;
	int ret;

	req.tfid.fid = fid;
	ret = p9c_rpc(c, &req, P9_RCLUNK, &rep, NULL);
	p9c_fid_release(c, fid);
	return ret;
}
