/* client_write.c: the client's write-side requests (create, mkdir, symlink, unlink,
 * rename, setattr, fsync); the gofer refuses them with EROFS when serving read-only. */
#include "gofer/p9/client_rpc.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

int p9c_lcreate(struct p9_client *c, uint32_t fid, const char *name, uint32_t flags,
		uint32_t mode, uint32_t gid, struct p9_qid *qid, uint32_t *iounit, int *hostfd)
{
	struct p9_fcall req = {.type = P9_TLCREATE}, rep;
	int ret, fd;

	if (hostfd)
		*hostfd = -1;
	req.tlcreate.fid = fid;
	req.tlcreate.flags = flags;
	req.tlcreate.mode = mode;
	req.tlcreate.gid = gid;
	if (p9c_cstr(name, &req.tlcreate.name))
		return -ENAMETOOLONG;
	ret = p9c_rpc(c, &req, P9_RLCREATE, &rep, &fd);
	if (ret)
		return ret;
	if (qid)
		*qid = rep.ropen.qid;
	if (iounit)
		*iounit = rep.ropen.iounit;
	if (hostfd)
		*hostfd = fd;
	else if (fd >= 0)
		close(fd);
	return 0;
}

int p9c_mkdir(struct p9_client *c, uint32_t dfid, const char *name, uint32_t mode,
	      uint32_t gid, struct p9_qid *qid)
{
	struct p9_fcall req = {.type = P9_TMKDIR}, rep;
	int ret;

	req.tmkdir.dfid = dfid;
	req.tmkdir.mode = mode;
	req.tmkdir.gid = gid;
	if (p9c_cstr(name, &req.tmkdir.name))
		return -ENAMETOOLONG;
	ret = p9c_rpc(c, &req, P9_RMKDIR, &rep, NULL);
	if (ret == 0 && qid)
		*qid = rep.rqid.qid;
	return ret;
}

int p9c_mknod(struct p9_client *c, uint32_t dfid, const char *name, uint32_t mode,
	      uint32_t gid, struct p9_qid *qid)
{
	struct p9_fcall req = {.type = P9_TMKNOD}, rep;
	int ret;

	req.tmknod.dfid = dfid;
	req.tmknod.mode = mode;
	req.tmknod.gid = gid;
	if (p9c_cstr(name, &req.tmknod.name))
		return -ENAMETOOLONG;
	ret = p9c_rpc(c, &req, P9_RMKNOD, &rep, NULL);
	if (ret == 0 && qid)
		*qid = rep.rqid.qid;
	return ret;
}

int p9c_symlink(struct p9_client *c, uint32_t dfid, const char *name, const char *target,
		uint32_t gid, struct p9_qid *qid)
{
	struct p9_fcall req = {.type = P9_TSYMLINK}, rep;
	int ret;

	req.tsymlink.dfid = dfid;
	req.tsymlink.gid = gid;
	if (p9c_cstr(name, &req.tsymlink.name) || p9c_cstr(target, &req.tsymlink.target))
		return -ENAMETOOLONG;
	ret = p9c_rpc(c, &req, P9_RSYMLINK, &rep, NULL);
	if (ret == 0 && qid)
		*qid = rep.rqid.qid;
	return ret;
}

int p9c_unlinkat(struct p9_client *c, uint32_t dfid, const char *name, uint32_t flags)
{
	struct p9_fcall req = {.type = P9_TUNLINKAT}, rep;

	req.tunlinkat.dfid = dfid;
	req.tunlinkat.flags = flags;
	if (p9c_cstr(name, &req.tunlinkat.name))
		return -ENAMETOOLONG;
	return p9c_rpc(c, &req, P9_RUNLINKAT, &rep, NULL);
}

int p9c_renameat(struct p9_client *c, uint32_t olddfid, const char *oldname, uint32_t newdfid,
		 const char *newname)
{
	struct p9_fcall req = {.type = P9_TRENAMEAT}, rep;

	req.trenameat.olddfid = olddfid;
	req.trenameat.newdfid = newdfid;
	if (p9c_cstr(oldname, &req.trenameat.oldname) || p9c_cstr(newname, &req.trenameat.newname))
		return -ENAMETOOLONG;
	return p9c_rpc(c, &req, P9_RRENAMEAT, &rep, NULL);
}

int p9c_link(struct p9_client *c, uint32_t dfid, uint32_t fid, const char *name)
{
	struct p9_fcall req = {.type = P9_TLINK}, rep;

	req.tlink.dfid = dfid;
	req.tlink.fid = fid;
	if (p9c_cstr(name, &req.tlink.name))
		return -ENAMETOOLONG;
	return p9c_rpc(c, &req, P9_RLINK, &rep, NULL);
}

int p9c_setattr(struct p9_client *c, uint32_t fid, const struct p9_setattr *sa)
{
	struct p9_fcall req = {.type = P9_TSETATTR}, rep;

	req.tsetattr.fid = fid;
	req.tsetattr.attr = *sa;
	return p9c_rpc(c, &req, P9_RSETATTR, &rep, NULL);
}

int p9c_fsync(struct p9_client *c, uint32_t fid)
{
	struct p9_fcall req = {.type = P9_TFSYNC}, rep;

	req.tfsync.fid = fid;
	req.tfsync.datasync = 0;
	return p9c_rpc(c, &req, P9_RFSYNC, &rep, NULL);
}
