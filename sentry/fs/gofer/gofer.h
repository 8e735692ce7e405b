/* gofer.h: internals of the gofer filesystem (the root filesystem read through 9P). Every
 * inode keeps a walked fid, and a read fid plus the donated host fd once opened. The root
 * is read-only so attributes and the dentry tree are cached for the sandbox's life; a
 * writable gofer mount will need revalidation. */
#ifndef RUNSC_SENTRY_FS_GOFER_GOFER_H
#define RUNSC_SENTRY_FS_GOFER_GOFER_H

#include "gofer/p9/client.h"
#include "sentry/vfs/vfs_internal.h"

#define V9FS_MAGIC 0x01021997

struct gofer_fs {
	struct p9_client *c;
	uint32_t spare_fid; /* allocated, not in use: failed walks leave it for the next */
};

struct gofer_inode {
	uint32_t fid;	   /* walked to this file, not opened */
	uint32_t open_fid; /* opened O_RDONLY, P9_NOFID until first open */
	uint32_t iounit;
	int hostfd;	   /* donated by the gofer with the open, or -1 */
	char *link;	   /* cached symlink target */
};

extern const struct inode_ops g_gofer_iops;
extern const struct file_ops g_gofer_reg_fops;

static inline struct gofer_fs *gofer_fs(struct super_block *sb)
{
	return sb->priv;
}

/* Open ino's read fid (and host fd) if not yet. Returns 0 or -errno. */
int gofer_inode_open(struct inode *inode);

#endif
