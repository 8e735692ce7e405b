/* ops_attr.c: attribute handlers: Tgetattr, Tsetattr, Tstatfs, Treadlink. */
#include "gofer/gofer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/util.h"

int gofer_stat_attr(int dirfd, const char *name, int flags, struct p9_attr *a, dev_t *dev)
{
	struct statx st;

	if (statx(dirfd, name, flags | AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS | STATX_BTIME,
		  &st) < 0)
		return -errno;
	if (dev)
		*dev = makedev(st.stx_dev_major, st.stx_dev_minor);
	/* Everything we have, whatever the mask asked: 9P allows more than requested. */
	a->valid = P9_GETATTR_BASIC | ((st.stx_mask & STATX_BTIME) ? P9_GETATTR_BTIME : 0);
	a->qid.type = S_ISDIR(st.stx_mode)   ? P9_QTDIR
		      : S_ISLNK(st.stx_mode) ? P9_QTSYMLINK
					     : P9_QTFILE;
	a->qid.version = 0;
	a->qid.path = st.stx_ino;
	a->mode = st.stx_mode;
	a->uid = st.stx_uid;
	a->gid = st.stx_gid;
	a->nlink = st.stx_nlink;
	a->rdev = makedev(st.stx_rdev_major, st.stx_rdev_minor);
	a->size = st.stx_size;
	a->blksize = st.stx_blksize;
	a->blocks = st.stx_blocks;
	a->atime_sec = (uint64_t)st.stx_atime.tv_sec;
	a->atime_nsec = st.stx_atime.tv_nsec;
	a->mtime_sec = (uint64_t)st.stx_mtime.tv_sec;
	a->mtime_nsec = st.stx_mtime.tv_nsec;
	a->ctime_sec = (uint64_t)st.stx_ctime.tv_sec;
	a->ctime_nsec = st.stx_ctime.tv_nsec;
	a->btime_sec = (uint64_t)st.stx_btime.tv_sec;
	a->btime_nsec = st.stx_btime.tv_nsec;
	return 0;
}

int gofer_node_attr(const struct gofer_node *n, struct p9_attr *a)
{
	int ret = gofer_stat_attr(n->fd, "", AT_EMPTY_PATH, a, NULL);

	if (!ret)
		node_qid(n, &a->qid); /* the file as walked */
	return ret;
}

int gofer_op_getattr(struct gofer_server *s, struct gofer_call *call)
{
	struct gofer_fid *f = fid_get(s, call->in->tgetattr.fid);
	int ret;

	if (!f)
		return -EBADF;
	ret = gofer_node_attr(f->node, &call->out->rgetattr);
	fid_put(f);
	return ret;
}

int gofer_op_statfs(struct gofer_server *s, struct gofer_call *call)
{
	struct gofer_fid *f = fid_get(s, call->in->tfid.fid);
	struct p9_statfs *o = &call->out->rstatfs;
	struct statfs st;
	int ret;

	if (!f)
		return -EBADF;
	ret = fstatfs(f->node->fd, &st) < 0 ? -errno : 0;
	fid_put(f);
	if (ret)
		return ret;
	o->type = (uint32_t)st.f_type;
	o->bsize = (uint32_t)st.f_bsize;
	o->blocks = st.f_blocks;
	o->bfree = st.f_bfree;
	o->bavail = st.f_bavail;
	o->files = st.f_files;
	o->ffree = st.f_ffree;
	o->fsid = (uint32_t)st.f_fsid.__val[0] | (uint64_t)(uint32_t)st.f_fsid.__val[1] << 32;
	o->namelen = (uint32_t)st.f_namelen;
	return 0;
}

int gofer_op_readlink(struct gofer_server *s, struct gofer_call *call)
{
	struct gofer_fid *f = fid_get(s, call->in->tfid.fid);
	ssize_t n;

	if (!f)
		return -EBADF;
	if (!S_ISLNK(f->node->type)) {
		fid_put(f);
		return -EINVAL;
	}
	n = readlinkat(f->node->fd, "", (char *)call->scratch, PATH_MAX);
	n = n < 0 ? -errno : n;
	fid_put(f);
	if (n < 0)
		return (int)n;
	call->out->rreadlink.target = (struct p9_str){(const char *)call->scratch, (uint16_t)n};
	return 0;
}

/* An fd of the file that allows fchmod/ftruncate: the open one if it fits, else reopened. */
static int setattr_fd(struct gofer_fid *f, int accmode, int *fd, bool *owned)
{
	uint32_t flags;
	int open_fd = fid_open_fd(f, &flags), cur = (int)(flags & O_ACCMODE);

	*owned = false;
	if (open_fd >= 0 && (accmode == O_RDONLY || cur == O_RDWR || cur == accmode)) {
		*fd = open_fd;
		return 0;
	}
	*owned = true;
	return node_reopen(f->node, accmode, fd);
}

static int setattr_mode(struct gofer_fid *f, uint32_t mode)
{
	bool owned;
	int fd, ret;

	if (S_ISLNK(f->node->type))
		return -EOPNOTSUPP; /* as Linux's lchmod */
	ret = setattr_fd(f, O_RDONLY, &fd, &owned);
	if (ret)
		return ret;
	ret = fchmod(fd, mode & 07777) < 0 ? -errno : 0;
	if (owned)
		close(fd);
	return ret;
}

static int setattr_size(struct gofer_fid *f, uint64_t size)
{
	bool owned;
	int fd, ret;

	if (S_ISDIR(f->node->type))
		return -EISDIR;
	if (size > INT64_MAX)
		return -EINVAL;
	ret = setattr_fd(f, O_WRONLY, &fd, &owned);
	if (ret)
		return ret;
	ret = ftruncate(fd, (off_t)size) < 0 ? -errno : 0;
	if (owned)
		close(fd);
	return ret;
}

static int setattr_times(struct gofer_fid *f, const struct p9_setattr *sa)
{
	struct timespec ts[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_nsec = UTIME_OMIT}};

	if (sa->valid & P9_SETATTR_ATIME) {
		ts[0].tv_nsec = UTIME_NOW;
		if (sa->valid & P9_SETATTR_ATIME_SET)
			ts[0] = (struct timespec){(time_t)sa->atime_sec, (long)sa->atime_nsec};
	}
	if (sa->valid & P9_SETATTR_MTIME) {
		ts[1].tv_nsec = UTIME_NOW;
		if (sa->valid & P9_SETATTR_MTIME_SET)
			ts[1] = (struct timespec){(time_t)sa->mtime_sec, (long)sa->mtime_nsec};
	}
	if (utimensat(f->node->fd, "", ts, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
		return -errno;
	return 0;
}

static int setattr_fid(struct gofer_server *s, struct gofer_fid *f, const struct p9_setattr *sa)
{
	int ret = 0;

	if (s->readonly)
		return -EROFS;
	if (f->node->kernfs)
		return -EACCES;
	if (sa->valid & P9_SETATTR_MODE)
		ret = setattr_mode(f, sa->mode);
	if (!ret && (sa->valid & (P9_SETATTR_UID | P9_SETATTR_GID))) {
		uid_t uid = (sa->valid & P9_SETATTR_UID) ? sa->uid : (uid_t)-1;
		gid_t gid = (sa->valid & P9_SETATTR_GID) ? sa->gid : (gid_t)-1;

		if (fchownat(f->node->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0)
			ret = -errno;
	}
	if (!ret && (sa->valid & P9_SETATTR_SIZE))
		ret = setattr_size(f, sa->size);
	if (!ret && (sa->valid & (P9_SETATTR_ATIME | P9_SETATTR_MTIME)))
		ret = setattr_times(f, sa);
	return ret;
}

int gofer_op_setattr(struct gofer_server *s, struct gofer_call *call)
{
	struct gofer_fid *f = fid_get(s, call->in->tsetattr.fid);
	int ret;

	if (!f)
		return -EBADF;
	ret = setattr_fid(s, f, &call->in->tsetattr.attr);
	fid_put(f);
	return ret;
}
