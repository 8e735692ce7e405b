/* tmpfs.c: tmpfs instances and their directory operations. The tree is the dentry cache
 * itself (every tmpfs dentry stays hashed while linked), so lookup of an uncached name is
 * simply ENOENT and readdir walks the cached children. */
#include "sentry/fs/tmpfs/tmpfs.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "sentry/fs/dev/dev.h"
#include "sentry/fs/fifo.h"
#include "sentry/vfs/dir.h"

static struct tmpfs_sb *tsb(struct super_block *sb)
{
	return sb->priv;
}

struct inode *tmpfs_inode_new(struct super_block *sb, uint32_t mode, dev_t rdev)
{
	struct inode *inode = inode_new(sb, mode);

	inode->iops = &g_tmpfs_iops;
	inode->rdev = rdev;
	if (S_ISDIR(mode)) {
		inode->fops = &g_dir_fops;
		inode->nlink = 2;
		inode->size = 2 * TMPFS_DIRENT_SIZE;
	} else if (S_ISREG(mode)) {
		inode->fops = &g_tmpfs_reg_fops;
		struct tmpfs_data *data = xcalloc(1, sizeof(*data));
		data->obj = shm_obj_new(0);
		inode->priv = data;
	}
	tsb(sb)->inodes++;
	return inode;
}

uint64_t tmpfs_free_ispace(struct super_block *sb)
{
	struct tmpfs_sb *ts = tsb(sb);
	uint64_t max = ts->max_inodes, cap, used;

	if (!max || max == TMPFS_UNLIMITED)
		return UINT64_MAX;
	cap = max > UINT64_MAX / TMPFS_BOGO_INODE_SIZE ? UINT64_MAX
						       : max * TMPFS_BOGO_INODE_SIZE;
	used = ts->inodes * TMPFS_BOGO_INODE_SIZE + ts->xattr_ispace;
	return used < cap ? cap - used : 0;
}

int tmpfs_inode_reserve(struct super_block *sb)
{
	return tmpfs_free_ispace(sb) < TMPFS_BOGO_INODE_SIZE ? -ENOSPC : 0;
}

static void dir_changed(struct inode *dir, int64_t entries)
{
	dir->size += (uint64_t)(entries * TMPFS_DIRENT_SIZE);
	inode_touch(dir, VA_MTIME | VA_CTIME);
}

static int tmpfs_lookup(struct dentry *dir, const char *name, struct inode **out)
{
	return -ENOENT;
}

static int tmpfs_mknod(struct dentry *dir, struct dentry *d, uint32_t mode, dev_t rdev,
		       const struct creds *c)
{
	struct inode *inode;

	if (tmpfs_inode_reserve(dir->sb))
		return -ENOSPC;
	inode = tmpfs_inode_new(dir->sb, mode, rdev);
	inode_init_owner(inode, dir, c);
	d_instantiate(d, inode);
	if (S_ISDIR(mode))
		dir->inode->nlink++;
	dir_changed(dir->inode, 1);
	return 0;
}

static int tmpfs_create(struct dentry *dir, struct dentry *d, uint32_t mode,
			const struct creds *c)
{
	return tmpfs_mknod(dir, d, mode, 0, c);
}

static int tmpfs_symlink(struct dentry *dir, struct dentry *d, const char *target,
			 const struct creds *c)
{
	size_t len = strlen(target);
	struct inode *inode;

	if (len >= VFS_PATH_MAX)
		return -ENAMETOOLONG;
	if (tmpfs_inode_reserve(dir->sb))
		return -ENOSPC;
	inode = tmpfs_inode_new(dir->sb, S_IFLNK | 0777, 0);
	inode->priv = xstrdup(target);
	inode->size = len;
	inode_init_owner(inode, dir, c);
	d_instantiate(d, inode);
	dir_changed(dir->inode, 1);
	return 0;
}

static int tmpfs_tmpfile(struct dentry *dir, uint32_t mode, const struct creds *c,
			 struct inode **out)
{
	struct inode *inode;

	if (tmpfs_inode_reserve(dir->sb))
		return -ENOSPC;
	inode = tmpfs_inode_new(dir->sb, mode, 0);
	inode_init_owner(inode, dir, c);
	inode->nlink = 0;
	*out = inode;
	return 0;
}

static int tmpfs_link(struct dentry *old, struct dentry *dir, struct dentry *d)
{
	struct inode *inode = old->inode;

	if (inode->sb != dir->sb)
		return -EXDEV;
	inode->nlink++;
	inode_touch(inode, VA_CTIME);
	inode_get(inode);
	d_instantiate(d, inode);
	dir_changed(dir->inode, 1);
	return 0;
}

static int tmpfs_unlink(struct dentry *dir, struct dentry *d)
{
	d->inode->nlink--;
	inode_touch(d->inode, VA_CTIME);
	dir_changed(dir->inode, -1);
	return 0;
}

static int tmpfs_rmdir(struct dentry *dir, struct dentry *d)
{
	if (!list_empty(&d->children))
		return -ENOTEMPTY;
	d->inode->nlink = 0;
	dir->inode->nlink--;
	dir_changed(dir->inode, -1);
	return 0;
}

static int tmpfs_rename(struct dentry *odir, struct dentry *od, struct dentry *ndir,
			struct dentry *nd)
{
	bool isdir = d_is_dir(od);

	if (nd->inode) {
		if (d_is_dir(nd)) {
			if (!list_empty(&nd->children))
				return -ENOTEMPTY;
			nd->inode->nlink = 0;
			ndir->inode->nlink--;
		} else {
			nd->inode->nlink--;
		}
		inode_touch(nd->inode, VA_CTIME);
		dir_changed(ndir->inode, -1);
	}
	if (isdir && odir != ndir) {
		odir->inode->nlink--;
		ndir->inode->nlink++;
	}
	dir_changed(odir->inode, -1);
	dir_changed(ndir->inode, 1);
	inode_touch(od->inode, VA_CTIME);
	return 0;
}

static int tmpfs_exchange(struct dentry *odir, struct dentry *od, struct dentry *ndir,
			  struct dentry *nd)
{
	/* A directory moving to the other parent takes its ".." link along. */
	if (odir != ndir && d_is_dir(od) != d_is_dir(nd)) {
		int delta = d_is_dir(od) ? 1 : -1;

		odir->inode->nlink -= delta;
		ndir->inode->nlink += delta;
	}
	dir_changed(odir->inode, 0);
	dir_changed(ndir->inode, 0);
	inode_touch(od->inode, VA_CTIME);
	inode_touch(nd->inode, VA_CTIME);
	return 0;
}

static unsigned char mode_to_dtype(uint32_t mode)
{
	return (unsigned char)((mode & S_IFMT) >> 12);
}

static int tmpfs_readdir(struct dentry *dir, vfs_dirent_fn fn, void *arg)
{
	struct list_head *pos;

	list_for_each(pos, &dir->children) {
		struct dentry *d = list_entry(pos, struct dentry, sibling);
		struct vfs_dirent ent = {
			.name = d->name,
			.name_len = d->name_len,
			.ino = d->inode->ino,
			.type = mode_to_dtype(d->inode->mode),
		};

		if (fn(arg, &ent))
			break;
	}
	return 0;
}

static int tmpfs_setattr(struct dentry *d, const struct vattr *va)
{
	struct inode *inode = d->inode;
	int ret;

	if (va->valid & VA_SIZE) {
		if (S_ISDIR(inode->mode))
			return -EISDIR;
		if (!S_ISREG(inode->mode))
			return -EINVAL;
		ret = tmpfs_set_size(inode, va->size);
		if (ret < 0)
			return ret;
	}
	inode_apply_attr(inode, va);
	return 0;
}

static int tmpfs_open(struct dentry *d, struct file *f)
{
	struct inode *inode = d->inode;

	if (S_ISCHR(inode->mode))
		return chrdev_open(inode->rdev, f);
	if (S_ISFIFO(inode->mode))
		return fifo_open(inode, f);
	if (S_ISSOCK(inode->mode) || S_ISBLK(inode->mode))
		return -ENXIO; /* as Linux for sockets; no block device is implemented */
	f->inode = inode;
	inode_get(inode);
	f->ops = inode->fops;
	return 0;
}

const struct inode_ops g_tmpfs_iops = {
	.lookup = tmpfs_lookup,
	.create = tmpfs_create,
	.mkdir = tmpfs_create,
	.mknod = tmpfs_mknod,
	.symlink = tmpfs_symlink,
	.tmpfile = tmpfs_tmpfile,
	.link = tmpfs_link,
	.unlink = tmpfs_unlink,
	.rmdir = tmpfs_rmdir,
	.rename = tmpfs_rename,
	.exchange = tmpfs_exchange,
	.rename_whiteout = true,
	.readdir = tmpfs_readdir,
	.readlink = tmpfs_readlink,
	.setattr = tmpfs_setattr,
	.open = tmpfs_open,
	.evict = tmpfs_evict,
	.getxattr = tmpfs_getxattr,
	.listxattr = tmpfs_listxattr,
	.setxattr = tmpfs_setxattr,
	.removexattr = tmpfs_removexattr,
};

/* Without size= or nr_inodes=, half the memory is what Linux gives. */
static int tmpfs_statfs(struct super_block *sb, struct statfs *st)
{
	struct tmpfs_sb *ts = tsb(sb);
	long pages = sysconf(_SC_PHYS_PAGES);
	uint64_t half = pages > 0 ? (uint64_t)pages / 2 : (1ULL << 20);
	uint64_t blocks = ts->max_bytes ? ts->max_bytes / 4096 : half;
	uint64_t files = ts->max_inodes ? ts->max_inodes : half;
	uint64_t used = ts->used_bytes / 4096;

	if (ts->max_bytes != TMPFS_UNLIMITED) {
		st->f_blocks = blocks;
		st->f_bfree = st->f_bavail = used < blocks ? blocks - used : 0;
	}
	if (ts->max_inodes != TMPFS_UNLIMITED) {
		st->f_files = files;
		st->f_ffree = ts->inodes < files ? files - ts->inodes : 0;
		if (ts->max_inodes) /* xattrs take inode space too */
			st->f_ffree = tmpfs_free_ispace(sb) / TMPFS_BOGO_INODE_SIZE;
	}
	return 0;
}

static const struct super_ops g_tmpfs_sops = {
	.statfs = tmpfs_statfs,
};

void tmpfs_set_max_bytes(struct super_block *sb, uint64_t max_bytes)
{
	tsb(sb)->max_bytes = max_bytes;
}

struct super_block *tmpfs_new(uint32_t root_mode, uid_t uid, gid_t gid)
{
	struct super_block *sb = sb_new(&g_tmpfs_sops, "tmpfs", TMPFS_MAGIC);
	struct inode *root;

	sb->priv = xcalloc(1, sizeof(struct tmpfs_sb));
	tsb(sb)->mode = root_mode & 07777;
	tsb(sb)->uid = uid;
	tsb(sb)->gid = gid;
	root = tmpfs_inode_new(sb, S_IFDIR | (root_mode & 07777), 0);
	root->uid = uid;
	root->gid = gid;
	sb->root = d_alloc_root(sb, root);
	return sb;
}
