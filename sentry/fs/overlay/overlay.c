/* overlay.c: the overlay filesystem (a tmpfs upper over a read-only lower): instances,
 * lookup through both layers, attributes, open and readlink. Namespace changes and
 * copy-up are in ovl_ops.c; merged readdir in ovl_readdir.c. */
#include "sentry/fs/overlay/ovl.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sentry/vfs/dir.h"

bool ovl_is_whiteout(const struct dentry *d)
{
	return d->inode && S_ISCHR(d->inode->mode) && d->inode->rdev == 0;
}

struct inode *ovl_inode_new(struct super_block *sb, struct dentry *up, struct dentry *low)
{
	struct dentry *real = up ? up : low;
	struct inode *inode = inode_new(sb, real->inode->mode);
	struct ovl_inode *oi = xcalloc(1, sizeof(*oi));

	oi->upper = up;
	oi->lower = low;
	if (up)
		dget(up);
	if (low)
		dget(low);
	inode->iops = &g_ovl_iops;
	inode->priv = oi;
	return inode;
}

static void ovl_evict(struct inode *inode)
{
	struct ovl_inode *oi = inode->priv;

	if (oi->upper)
		dput(oi->upper);
	if (oi->lower)
		dput(oi->lower);
	free(oi);
}

/* Look name up in one layer; a missing name is not an error (*out = NULL). */
static int layer_lookup(struct dentry *dir, const char *name, struct dentry **out)
{
	int ret;

	*out = NULL;
	if (!dir || !d_is_dir(dir))
		return 0;
	ret = d_lookup(dir, name, strlen(name), out);
	if (ret == -ENOENT) {
		*out = NULL;
		return 0;
	}
	return ret;
}

static int ovl_lookup(struct dentry *dir, const char *name, struct inode **out)
{
	struct ovl_inode *poi = ovl_i(dir);
	struct dentry *up = NULL, *low = NULL;
	bool opaque = poi->upper && (poi->upper->inode->flags & I_OPAQUE);
	int ret;

	ret = layer_lookup(poi->upper, name, &up);
	if (ret < 0)
		return ret;
	if (up && ovl_is_whiteout(up)) {
		dput(up);
		return -ENOENT;
	}
	/* An upper non-directory or opaque directory hides the lower entirely. */
	if (!opaque && !(up && (!d_is_dir(up) || (up->inode->flags & I_OPAQUE)))) {
		ret = layer_lookup(poi->lower, name, &low);
		if (ret < 0)
			goto out;
		if (low && up && !d_is_dir(low)) {
			dput(low);
			low = NULL;
		}
	}
	if (!up && !low) {
		ret = -ENOENT;
		goto out;
	}
	*out = ovl_inode_new(dir->sb, up, low);
out:
	if (up)
		dput(up);
	if (low)
		dput(low);
	return ret;
}

static int ovl_getattr(struct dentry *d, struct kstat *st)
{
	struct ovl_inode *oi = ovl_i(d);
	struct kstat lst;
	int ret = vfs_getattr(ovl_real(d), st);

	if (ret < 0)
		return ret;
	st->dev = d->sb->dev;
	/* A copied-up object keeps its lower inode number, as Linux's overlay does. */
	if (!oi->lower)
		st->ino = OVL_UPPER_INO(st->ino);
	else if (oi->upper)
		st->ino = vfs_getattr(oi->lower, &lst) == 0 ? lst.ino : OVL_UPPER_INO(st->ino);
	d->inode->mode = st->mode;
	return 0;
}

static int ovl_setattr(struct dentry *d, const struct vattr *va)
{
	int ret = ovl_copy_up(d);

	if (ret < 0)
		return ret;
	return vfsk_setattr(ovl_i(d)->upper, va);
}

static ssize_t ovl_readlink(struct dentry *d, char *buf, size_t size)
{
	struct dentry *real = ovl_real(d);

	if (!real->inode->iops->readlink)
		return -EINVAL;
	return real->inode->iops->readlink(real, buf, size);
}

static int ovl_open(struct dentry *d, struct file *f)
{
	struct dentry *real;
	int ret;

	if (d_is_dir(d)) {
		/* Reads go through the overlay's merged readdir. */
		f->inode = d->inode;
		inode_get(f->inode);
		f->ops = &g_dir_fops;
		return 0;
	}
	/* A FIFO opens on the layer that has it, without a copy-up (as Linux's overlayfs):
	 * its pipe is the real inode's, shared by every opener. */
	if ((f->fmode & FMODE_WRITE) && !S_ISFIFO(d->inode->mode)) {
		ret = ovl_copy_up(d);
		if (ret < 0)
			return ret;
	}
	real = ovl_real(d);
	if (real->inode->iops->open)
		return real->inode->iops->open(real, f);
	f->inode = real->inode;
	inode_get(f->inode);
	f->ops = real->inode->fops;
	return 0;
}

const struct inode_ops g_ovl_iops = {
	.lookup = ovl_lookup,
	.create = ovl_create,
	.mkdir = ovl_create,
	.mknod = ovl_mknod,
	.symlink = ovl_symlink,
	.tmpfile = ovl_tmpfile,
	.link = ovl_link,
	.unlink = ovl_unlink,
	.rmdir = ovl_rmdir,
	.rename = ovl_rename,
	.exchange = ovl_exchange,
	.readdir = ovl_readdir,
	.readlink = ovl_readlink,
	.getattr = ovl_getattr,
	.setattr = ovl_setattr,
	.open = ovl_open,
	.evict = ovl_evict,
	.getxattr = ovl_getxattr,
	.listxattr = ovl_listxattr,
	.setxattr = ovl_setxattr,
	.removexattr = ovl_removexattr,
};

static int ovl_statfs(struct super_block *sb, struct statfs *st)
{
	struct super_block *upper = sb->priv;

	if (upper->ops && upper->ops->statfs)
		return upper->ops->statfs(upper, st);
	return 0;
}

/* Its own dentries are dropped: release the upper tmpfs (the container's writes) and the
 * lower filesystem below the root (both are mounted nowhere else). */
static void ovl_release(struct super_block *sb)
{
	struct dentry *lower = ovl_i(sb->root)->lower;

	sb_release(sb->priv);
	if (lower)
		sb_release(lower->sb);
}

static const struct super_ops g_ovl_sops = {
	.statfs = ovl_statfs,
	.release = ovl_release,
};

struct super_block *overlay_new(struct dentry *lower_root)
{
	struct super_block *sb = sb_new(&g_ovl_sops, "overlay", OVERLAYFS_MAGIC);
	struct super_block *upper;
	struct kstat st;

	if (vfs_getattr(lower_root, &st) < 0)
		inode_fill_kstat(lower_root->inode, &st);
	upper = tmpfs_new(st.mode, st.uid, st.gid);
	upper->root->inode->atime = st.atime;
	upper->root->inode->mtime = st.mtime;
	upper->root->inode->ctime = st.ctime;
	sb->priv = upper;
	sb->prunable = true;
	sb->root = d_alloc_root(sb, ovl_inode_new(sb, upper->root, lower_root));
	return sb;
}
