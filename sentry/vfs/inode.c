/* inode.c: inode allocation, reference counts, timestamps and the default getattr. */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sentry/kernel/task.h"

struct inode *inode_new(struct super_block *sb, uint32_t mode)
{
	struct inode *inode = xcalloc(1, sizeof(*inode));

	inode->refs = 1;
	inode->sb = sb;
	inode->mode = mode;
	inode->nlink = 1;
	inode->ino = ++sb->next_ino;
	vfs_now(&inode->atime);
	inode->mtime = inode->ctime = inode->btime = inode->atime;
	return inode;
}

void inode_get(struct inode *inode)
{
	inode->refs++;
}

void inode_put(struct inode *inode)
{
	if (!inode || --inode->refs > 0)
		return;
	if (inode->iops && inode->iops->evict)
		inode->iops->evict(inode);
	free(inode);
}

void vfs_now(struct timespec *ts)
{
	clock_gettime(CLOCK_REALTIME, ts);
}

void inode_touch(struct inode *inode, unsigned which)
{
	struct timespec now;

	vfs_now(&now);
	if (which & VA_ATIME)
		inode->atime = now;
	if (which & VA_MTIME)
		inode->mtime = now;
	if (which & VA_CTIME)
		inode->ctime = now;
}

void file_touch_atime(struct file *f)
{
	struct inode *inode = f->inode;
	struct timespec now;

	if (!inode || (f->flags & O_NOATIME) || (f->path.mnt && (f->path.mnt->flags & MNT_NOATIME)))
		return;
	/* relatime: only when atime is older than mtime/ctime or a day old. */
	vfs_now(&now);
	if (inode->atime.tv_sec <= inode->mtime.tv_sec ||
	    inode->atime.tv_sec <= inode->ctime.tv_sec || now.tv_sec - inode->atime.tv_sec > 86400)
		inode->atime = now;
}

void inode_apply_attr(struct inode *inode, const struct vattr *va)
{
	if (va->valid & VA_MODE)
		inode->mode = (inode->mode & S_IFMT) | (va->mode & 07777);
	if (va->valid & VA_UID)
		inode->uid = va->uid;
	if (va->valid & VA_GID)
		inode->gid = va->gid;
	if (va->valid & VA_ATIME)
		inode->atime = va->atime;
	if (va->valid & VA_MTIME)
		inode->mtime = va->mtime;
	if (va->valid & VA_CTIME)
		inode->ctime = va->ctime;
}

void inode_fill_kstat(const struct inode *inode, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->dev = inode->sb->dev;
	st->ino = inode->ino;
	st->nlink = inode->nlink;
	st->mode = inode->mode;
	st->uid = inode->uid;
	st->gid = inode->gid;
	st->rdev = inode->rdev;
	st->size = inode->size;
	st->blocks = inode->blocks;
	st->blksize = 4096;
	st->atime = inode->atime;
	st->mtime = inode->mtime;
	st->ctime = inode->ctime;
	st->btime = inode->btime;
	st->has_btime = true;
}

int vfs_getattr(struct dentry *d, struct kstat *st)
{
	if (!d->inode)
		return -ENOENT;
	if (d->inode->iops && d->inode->iops->getattr)
		return d->inode->iops->getattr(d, st);
	inode_fill_kstat(d->inode, st);
	return 0;
}

void inode_init_owner(struct inode *inode, struct dentry *dir, const struct creds *c)
{
	struct inode *di = dir->inode;

	inode->uid = c ? c->fsuid : 0;
	inode->gid = c ? c->fsgid : 0;
	if (di && (di->mode & S_ISGID)) {
		inode->gid = di->gid;
		if (S_ISDIR(inode->mode))
			inode->mode |= S_ISGID;
	}
}
