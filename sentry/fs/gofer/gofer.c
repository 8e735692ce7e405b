/* gofer.c: the gofer filesystem: attach, lookup by Twalkgetattr, readdir, readlink,
 * statfs. Writes are EROFS here: the writable root is the overlay above this one, and
 * read-write bind mounts use gofer_write.c's operations. */
#include "sentry/fs/gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/kernel/task.h"
#include "sentry/fs/dev/dev.h"
#include "sentry/fs/fifo.h"
#include "sentry/vfs/dir.h"

void gofer_inode_set_attr(struct inode *inode, const struct p9_attr *a)
{
	inode->mode = (inode->mode & S_IFMT) | (a->mode & 07777);
	inode->uid = a->uid;
	inode->gid = a->gid;
	inode->nlink = a->nlink;
	inode->rdev = (dev_t)a->rdev;
	inode->size = a->size;
	inode->blocks = a->blocks;
	if (S_ISREG(inode->mode) && inode->priv)
		gofer_cache_resized(inode);
	inode->atime = (struct timespec){(time_t)a->atime_sec, (long)a->atime_nsec};
	inode->mtime = (struct timespec){(time_t)a->mtime_sec, (long)a->mtime_nsec};
	inode->ctime = (struct timespec){(time_t)a->ctime_sec, (long)a->ctime_nsec};
	if (a->valid & P9_GETATTR_BTIME)
		inode->btime = (struct timespec){(time_t)a->btime_sec, (long)a->btime_nsec};
}

struct inode *gofer_inode_new(struct super_block *sb, uint32_t fid, const struct p9_attr *a)
{
	struct inode *inode = inode_new(sb, a->mode);
	struct gofer_inode *gi = xcalloc(1, sizeof(*gi));
	bool rw = gofer_fs(sb)->writable;

	gi->fid = fid;
	gi->open_fid = P9_NOFID;
	gi->write_fid = P9_NOFID;
	gi->lock_fid = P9_NOFID;
	gi->hostfd = -1;
	inode->priv = gi;
	inode->iops = rw ? &g_gofer_rw_iops : &g_gofer_iops;
	inode->fops = S_ISDIR(a->mode) ? &g_dir_fops : rw ? &g_gofer_rw_reg_fops
							  : &g_gofer_reg_fops;
	inode->ino = a->qid.path;
	gofer_inode_set_attr(inode, a);
	gi->attr_syscall = gofer_syscall_id();
	return inode;
}

void gofer_evict(struct inode *inode)
{
	struct gofer_fs *fs = gofer_fs(inode->sb);
	struct gofer_inode *gi = inode->priv;

	gofer_cache_release(inode); /* may write back: before the fids go */
	if (gi->open_fid != P9_NOFID)
		p9c_clunk(fs->c, gi->open_fid);
	if (gi->write_fid != P9_NOFID) {
		list_del(&gi->wlink);
		p9c_clunk(fs->c, gi->write_fid);
	}
	if (gi->lock_fid != P9_NOFID)
		p9c_clunk(fs->c, gi->lock_fid); /* the host drops its locks with it */
	p9c_clunk(fs->c, gi->fid);
	if (gi->hostfd >= 0)
		close(gi->hostfd);
	free(gi->link);
	gofer_dirents_free(gi->dents);
	free(gi);
}

int gofer_lookup(struct dentry *dir, const char *name, struct inode **out)
{
	struct gofer_fs *fs = gofer_fs(dir->sb);
	struct gofer_inode *gdir = dir->inode->priv;
	struct p9_attr attr, dirattr;
	uint64_t sent_at = task_syscall_id_latest();
	uint32_t fid;
	int ret;

	if (fs->spare_fid == P9_NOFID)
		fs->spare_fid = p9c_fid_alloc(fs->c);
	fid = fs->spare_fid;
	/* One round trip: the walk to the new fid and its attributes (and dir's). */
	ret = p9c_walkgetattr(fs->c, gdir->fid, fid, 1, &name, &attr, &dirattr);
	if (ret < 0)
		return ret; /* the fid was not established: keep it as the spare */
	if (fs->writable)
		gofer_attr_fetched(dir->inode, &dirattr, sent_at);
	fs->spare_fid = P9_NOFID;
	*out = gofer_inode_new(dir->sb, fid, &attr);
	return 0;
}

ssize_t gofer_readlink(struct dentry *d, char *buf, size_t size)
{
	struct gofer_fs *fs = gofer_fs(d->sb);
	struct gofer_inode *gi = d->inode->priv;
	size_t len;

	if (!gi->link) {
		char *tmp = xmalloc(VFS_PATH_MAX);
		ssize_t n = p9c_readlink(fs->c, gi->fid, tmp, VFS_PATH_MAX - 1);

		if (n < 0) {
			free(tmp);
			return n;
		}
		tmp[n] = '\0';
		gi->link = tmp;
	}
	len = MIN(strlen(gi->link), size);
	memcpy(buf, gi->link, len);
	return (ssize_t)len;
}

int gofer_open(struct dentry *d, struct file *f)
{
	struct inode *inode = d->inode;
	bool rw = gofer_fs(d->sb)->writable;
	int ret;

	if (S_ISCHR(inode->mode))
		return chrdev_open(inode->rdev, f);
	/* A FIFO the host made is served in the Sentry (fifo.c): no host FIFO is opened, so
	 * the sandbox meets only its own openers there, never a host process. */
	if (S_ISFIFO(inode->mode))
		return fifo_open(inode, f);
	if (!S_ISREG(inode->mode) && !S_ISDIR(inode->mode))
		return -ENXIO; /* sockets (as Linux) and block devices */
	if ((f->fmode & FMODE_WRITE) && !rw)
		return -EROFS;
	if (S_ISREG(inode->mode)) {
		ret = rw ? gofer_rw_open_reg(inode, f->fmode) : gofer_inode_open(inode);
		if (ret < 0)
			return ret;
	}
	f->inode = inode;
	inode_get(inode);
	f->ops = inode->fops;
	return 0;
}

/* The gofer root is read-only from here: writes happen in the overlay above. */
static int rofs_create(struct dentry *dir, struct dentry *d, uint32_t mode, const struct creds *c)
{
	return -EROFS;
}

static int rofs_mknod(struct dentry *dir, struct dentry *d, uint32_t mode, dev_t rdev,
		      const struct creds *c)
{
	return -EROFS;
}

static int rofs_symlink(struct dentry *dir, struct dentry *d, const char *target,
			const struct creds *c)
{
	return -EROFS;
}

static int rofs_link(struct dentry *old, struct dentry *dir, struct dentry *d)
{
	return -EROFS;
}

static int rofs_remove(struct dentry *dir, struct dentry *d)
{
	return -EROFS;
}

static int rofs_rename(struct dentry *odir, struct dentry *od, struct dentry *ndir,
		       struct dentry *nd)
{
	return -EROFS;
}

static int rofs_setattr(struct dentry *d, const struct vattr *va)
{
	return -EROFS;
}

const struct inode_ops g_gofer_iops = {
	.lookup = gofer_lookup,
	.create = rofs_create,
	.mkdir = rofs_create,
	.mknod = rofs_mknod,
	.symlink = rofs_symlink,
	.link = rofs_link,
	.unlink = rofs_remove,
	.rmdir = rofs_remove,
	.rename = rofs_rename,
	.readdir = gofer_readdir,
	.readlink = gofer_readlink,
	.setattr = rofs_setattr,
	.open = gofer_open,
	.evict = gofer_evict,
	.getxattr = gofer_getxattr,
	.listxattr = gofer_listxattr,
	.setxattr = gofer_setxattr,
	.removexattr = gofer_removexattr,
};

static int gofer_statfs(struct super_block *sb, struct statfs *st)
{
	struct gofer_inode *gi = sb->root->inode->priv;
	struct p9_statfs ps;
	int ret = p9c_statfs(gofer_fs(sb)->c, gi->fid, &ps);

	if (ret < 0)
		return ret;
	st->f_bsize = ps.bsize;
	st->f_frsize = ps.bsize;
	st->f_blocks = ps.blocks;
	st->f_bfree = ps.bfree;
	st->f_bavail = ps.bavail;
	st->f_files = ps.files;
	st->f_ffree = ps.ffree;
	st->f_namelen = ps.namelen ? ps.namelen : VFS_NAME_MAX;
	return 0;
}

/* Its container is deleted and the cache dropped: close the connection (the fids still
 * held by open files fail from now on; the Gofer ends when its last connection does). */
static void gofer_release(struct super_block *sb)
{
	p9c_shutdown(gofer_fs(sb)->c);
}

static const struct super_ops g_gofer_sops = {
	.statfs = gofer_statfs,
	.release = gofer_release,
};

/* Writable mounts share their tree with the host: a cached name is checked again. */
static const struct super_ops g_gofer_rw_sops = {
	.statfs = gofer_statfs,
	.d_revalidate = gofer_d_revalidate,
	.sync_fs = gofer_sync_fs,
	.release = gofer_release,
};

int gofer_fs_new_mount(int fd, bool writable, bool want_dir, struct super_block **out)
{
	struct gofer_fs *fs = xcalloc(1, sizeof(*fs));
	struct super_block *sb;
	struct p9_attr attr;
	struct p9_qid qid;
	uint32_t fid;
	int ret;

	ret = p9c_connect(fd, P9_DEFAULT_MSIZE, &fs->c);
	if (ret < 0) {
		free(fs);
		return ret;
	}
	fs->spare_fid = P9_NOFID;
	fs->writable = writable;
	list_init(&fs->writers);
	fid = p9c_fid_alloc(fs->c);
	ret = p9c_attach(fs->c, fid, "root", 0, "", &qid);
	if (ret == 0)
		ret = p9c_getattr(fs->c, fid, GOFER_ATTR_MASK, &attr);
	if (ret == 0 && want_dir && !S_ISDIR(attr.mode))
		ret = -ENOTDIR;
	if (ret == 0 && !want_dir && !S_ISREG(attr.mode))
		ret = -EISDIR;
	if (ret < 0) {
		log_err("gofer: cannot attach the root: %s", strerror(-ret));
		p9c_close(fs->c);
		free(fs);
		return ret;
	}
	sb = sb_new(&g_gofer_sops, "9p", V9FS_MAGIC);
	sb->priv = fs;
	sb->prunable = true;
	if (writable) {
		sb->ops = &g_gofer_rw_sops;
		sb->lookup_fetches_dir_attrs = true;
	}
	sb->root = d_alloc_root(sb, gofer_inode_new(sb, fid, &attr));
	*out = sb;
	return 0;
}

int gofer_fs_new(int fd, struct super_block **out)
{
	return gofer_fs_new_mount(fd, false, true, out);
}
