/* tmpfs.h: internals shared by the tmpfs files (the directory tree lives in the dentry
 * cache; regular file data in memory-file pages, shared with MAP_SHARED mappings). */
#ifndef RUNSC_SENTRY_FS_TMPFS_TMPFS_H
#define RUNSC_SENTRY_FS_TMPFS_TMPFS_H

#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs_internal.h"

#define TMPFS_MAGIC 0x01021994
#define TMPFS_DIRENT_SIZE 20 /* Linux's BOGO_DIRENT_SIZE: directory sizes grow by this */
#define TMPFS_MAX_FILE_SIZE (1ULL << 40)

struct tmpfs_sb {
	uint64_t used_bytes; /* file data allocated */
	uint64_t inodes;     /* live inodes */
	uint64_t max_bytes;  /* size= of the mount: writes past it get ENOSPC; 0 = no limit
			      * (none given: statfs says half the memory), TMPFS_UNLIMITED
			      * for size=0 */
	uint64_t xattr_bytes; /* heap held by extended attributes (tmpfs_xattr.c) */
	uint64_t xattr_ispace; /* their share of the inode space (tmpfs_free_ispace) */
	uint64_t max_inodes; /* nr_inodes=: more is ENOSPC; 0 and TMPFS_UNLIMITED as above */
	uint32_t mode;	     /* mode= as given (01777 by default), for /proc/mounts */
	uid_t uid;	     /* uid= and gid= of the root as given, for /proc/mounts */
	gid_t gid;
};

#define TMPFS_UNLIMITED UINT64_MAX

/* Linux's inode space: nr_inodes= times TMPFS_BOGO_INODE_SIZE bytes, taken by every
 * inode and by extended attributes; what is left (UINT64_MAX without nr_inodes=). */
#define TMPFS_BOGO_INODE_SIZE 1024
uint64_t tmpfs_free_ispace(struct super_block *sb);
/* -ENOSPC if a new inode would pass nr_inodes= (its inode space). */
int tmpfs_inode_reserve(struct super_block *sb);

/* Regular file data: a shared-memory object of memory-file pages keyed by offset (holes
 * read as zero and cost nothing). Its size follows the file's, so mappings fault SIGBUS
 * past EOF; bytes of the last page past the size are kept zero. */
struct tmpfs_data {
	struct shm_obj *obj;
};

extern const struct inode_ops g_tmpfs_iops;
extern const struct file_ops g_tmpfs_reg_fops;

/* A new inode on a tmpfs sb (regular, dir, symlink or device node). */
struct inode *tmpfs_inode_new(struct super_block *sb, uint32_t mode, dev_t rdev);
/* Change a regular file's size (truncate up or down). Returns 0 or -ENOSPC/-EFBIG. */
int tmpfs_set_size(struct inode *inode, uint64_t size);
ssize_t tmpfs_readlink(struct dentry *d, char *buf, size_t size);
void tmpfs_evict(struct inode *inode);
/* Extended attributes kept in memory per inode (user.*, trusted.*, security.*). */
ssize_t tmpfs_getxattr(struct dentry *d, const char *name, void *buf, size_t size);
ssize_t tmpfs_listxattr(struct dentry *d, char *buf, size_t size);
int tmpfs_setxattr(struct dentry *d, const char *name, const void *value, size_t size,
		   int flags);
int tmpfs_removexattr(struct dentry *d, const char *name);
/* Free the inode's attributes (evict). */
void tmpfs_xattrs_free(struct inode *inode);
/* The pages of a regular file (for mmap), or NULL. */
struct shm_obj *tmpfs_page_cache(struct inode *inode);

#endif
