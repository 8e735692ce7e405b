/* gofer_xattr.c: extended attributes of gofer files, read and written on the host file
 * through the Gofer (Txattrwalk, Txattrcreate), which serves the user.* names alone (the
 * rest EOPNOTSUPP: a sandbox never sets security.* or trusted.* on host files). The VFS
 * has checked the name, the caller's permission and the file type. Each call holds the
 * dentry, so its inode and fid stay while the kernel lock is let go around the round
 * trips (a get is Txattrwalk, Tread, Tclunk; a set Twalk, Txattrcreate, Twrite, Tclunk). */
#include "sentry/fs/gofer/gofer.h"

#include <errno.h>

static struct p9_client *xclient(struct dentry *d)
{
	return gofer_fs(d->sb)->c;
}

static uint32_t xfid(struct dentry *d)
{
	return ((struct gofer_inode *)d->inode->priv)->fid;
}

ssize_t gofer_getxattr(struct dentry *d, const char *name, void *buf, size_t size)
{
	bool dropped = gofer_unlock();
	ssize_t ret = p9c_getxattr(xclient(d), xfid(d), name, buf, size);

	gofer_relock(dropped);
	return ret;
}

ssize_t gofer_listxattr(struct dentry *d, char *buf, size_t size)
{
	bool dropped = gofer_unlock();
	ssize_t ret = p9c_listxattr(xclient(d), xfid(d), buf, size);

	gofer_relock(dropped);
	return ret;
}

/* A change moved the host file's ctime: a writable mount's next stat fetches it. */
static void xattr_changed(struct dentry *d)
{
	((struct gofer_inode *)d->inode->priv)->attr_syscall = 0;
}

int gofer_setxattr(struct dentry *d, const char *name, const void *value, size_t size,
		   int flags)
{
	bool dropped;
	int ret;

	if (!gofer_fs(d->sb)->writable)
		return -EROFS; /* the read-only root: the overlay above copies up first */
	dropped = gofer_unlock();
	ret = p9c_setxattr(xclient(d), xfid(d), name, value, size, flags);
	gofer_relock(dropped);
	if (ret == 0)
		xattr_changed(d);
	return ret;
}

int gofer_removexattr(struct dentry *d, const char *name)
{
	bool dropped;
	int ret;

	if (!gofer_fs(d->sb)->writable)
		return -EROFS;
	dropped = gofer_unlock();
	ret = p9c_removexattr(xclient(d), xfid(d), name);
	gofer_relock(dropped);
	if (ret == 0)
		xattr_changed(d);
	return ret;
}
