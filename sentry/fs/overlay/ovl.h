/* ovl.h: internals of the overlay filesystem: each overlay inode pairs an upper dentry (in
 * the overlay's private tmpfs) and/or a lower one (read-only, usually the gofer root).
 * Whiteouts are upper character devices 0:0; an upper dir flagged I_OPAQUE hides the lower
 * dir of the same name. */
#ifndef RUNSC_SENTRY_FS_OVERLAY_OVL_H
#define RUNSC_SENTRY_FS_OVERLAY_OVL_H

#include "sentry/vfs/vfs_internal.h"

#define OVERLAYFS_MAGIC 0x794c7630
/* Upper-only inodes get numbers outside the lower's range so st_ino never collides. */
#define OVL_UPPER_INO(ino) ((ino) | (1ULL << 62))

struct ovl_inode {
	struct dentry *upper; /* reference held, NULL until copied up */
	struct dentry *lower; /* reference held, NULL for upper-only objects */
};

extern const struct inode_ops g_ovl_iops;

static inline struct ovl_inode *ovl_i(struct dentry *d)
{
	return d->inode->priv;
}

/* The dentry that holds the data and attributes now: upper if present, else lower. */
static inline struct dentry *ovl_real(struct dentry *d)
{
	struct ovl_inode *oi = ovl_i(d);

	return oi->upper ? oi->upper : oi->lower;
}

bool ovl_is_whiteout(const struct dentry *d);
/* A new overlay inode over up/low (references taken). */
struct inode *ovl_inode_new(struct super_block *sb, struct dentry *up, struct dentry *low);
/* Give d (an overlay dentry) an upper copy: its parents first, then data and attributes. */
int ovl_copy_up(struct dentry *d);

int ovl_create(struct dentry *dir, struct dentry *d, uint32_t mode, const struct creds *c);
int ovl_mknod(struct dentry *dir, struct dentry *d, uint32_t mode, dev_t rdev,
	      const struct creds *c);
int ovl_symlink(struct dentry *dir, struct dentry *d, const char *target, const struct creds *c);
int ovl_tmpfile(struct dentry *dir, uint32_t mode, const struct creds *c, struct inode **out);
int ovl_link(struct dentry *old, struct dentry *dir, struct dentry *d);
int ovl_unlink(struct dentry *dir, struct dentry *d);
int ovl_rmdir(struct dentry *dir, struct dentry *d);
int ovl_rename(struct dentry *odir, struct dentry *od, struct dentry *ndir, struct dentry *nd);
int ovl_exchange(struct dentry *odir, struct dentry *od, struct dentry *ndir, struct dentry *nd);
int ovl_readdir(struct dentry *dir, vfs_dirent_fn fn, void *arg);

/* Extended attributes (ovl_xattr.c). */
ssize_t ovl_getxattr(struct dentry *d, const char *name, void *buf, size_t size);
ssize_t ovl_listxattr(struct dentry *d, char *buf, size_t size);
int ovl_setxattr(struct dentry *d, const char *name, const void *value, size_t size,
		 int flags);
int ovl_removexattr(struct dentry *d, const char *name);
/* Give up (a new copy-up) the attributes of low. */
int ovl_copy_xattrs(struct dentry *low, struct dentry *up);

#endif
