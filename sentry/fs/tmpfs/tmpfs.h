/* tmpfs.h: internals shared by the tmpfs files (the directory tree lives in the dentry
 * cache; regular file data in a growable Sentry buffer, later the memory file). */
#ifndef RUNSC_SENTRY_FS_TMPFS_TMPFS_H
#define RUNSC_SENTRY_FS_TMPFS_TMPFS_H

#include "sentry/vfs/vfs_internal.h"

#define TMPFS_MAGIC 0x01021994
#define TMPFS_DIRENT_SIZE 20 /* Linux's BOGO_DIRENT_SIZE: directory sizes grow by this */
#define TMPFS_MAX_FILE_SIZE (1ULL << 40)

struct tmpfs_sb {
	uint64_t used_bytes; /* file data allocated */
	uint64_t inodes;     /* live inodes */
};

/* Regular file data: bytes [0, cap) are stored; bytes in [size, cap) are always zero and
 * positions at or past cap read as zero (sparse tails cost nothing). */
struct tmpfs_data {
	char *buf;
	size_t cap;
};

extern const struct inode_ops g_tmpfs_iops;
extern const struct file_ops g_tmpfs_reg_fops;

/* A new inode on a tmpfs sb (regular, dir, symlink or device node). */
struct inode *tmpfs_inode_new(struct super_block *sb, uint32_t mode, dev_t rdev);
/* Change a regular file's size (truncate up or down). Returns 0 or -ENOSPC/-EFBIG. */
int tmpfs_set_size(struct inode *inode, uint64_t size);
ssize_t tmpfs_readlink(struct dentry *d, char *buf, size_t size);
void tmpfs_evict(struct inode *inode);

#endif
