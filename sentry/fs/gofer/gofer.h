/* gofer.h: internals of the gofer filesystem (the root filesystem and bind mounts read
 * through 9P). Every inode keeps a walked fid, and a read fid plus the donated host fd once
 * opened. The root is read-only so attributes and the dentry tree are cached for the
 * sandbox's life; writable bind mounts (gofer_write.c) fetch attributes again on stat and
 * revalidate cached names, since the host shares their files. */
#ifndef RUNSC_SENTRY_FS_GOFER_GOFER_H
#define RUNSC_SENTRY_FS_GOFER_GOFER_H

#include "gofer/p9/client.h"
#include "sentry/vfs/vfs_internal.h"

#define V9FS_MAGIC 0x01021997

struct gofer_fs {
	struct p9_client *c;
	uint32_t spare_fid; /* allocated, not in use: failed walks leave it for the next */
	bool writable;	    /* a read-write bind mount: changes go to the host, and the host
			     * may change files too, so attributes are fetched again */
	/* Inodes holding a write fid (gofer_inode.wlink): what sync(2) and syncfs(2) make
	 * durable on the host. */
	struct list_head writers;
};

struct gofer_inode {
	uint32_t fid;	   /* walked to this file, not opened */
	uint32_t open_fid; /* opened O_RDONLY, P9_NOFID until first open */
	uint32_t iounit;
	int hostfd;	   /* donated by the gofer with the open, or -1 */
	uint32_t write_fid; /* opened O_WRONLY for writes (writable mounts), or P9_NOFID */
	struct list_head wlink; /* in gofer_fs.writers while write_fid is open */
	/* Writable mounts: opened at the first record lock, it holds the whole sandbox's
	 * locks on the file as one host owner (gofer_lock.c), or P9_NOFID. */
	uint32_t lock_fid;
	char *link;	   /* cached symlink target */
	/* A directory's listing: kept for the sandbox's life on a read-only mount (its tree
	 * never changes, as the cached dentries and attributes assume); NULL until read. */
	struct gofer_dirents *dents;
	/* Page cache for mmap, created by the first mapping, filled from the file on demand;
	 * emptied when no mapping uses it (one reference held here). */
	struct shm_obj *cache;
	/* task.syscall_id of the syscall that last fetched the attributes (0: none, or a
	 * change since): a writable mount's stat reuses them within that syscall only. */
	uint64_t attr_syscall;
};

extern const struct inode_ops g_gofer_iops;
extern const struct file_ops g_gofer_reg_fops;
/* Writable mounts (gofer_write.c). */
extern const struct inode_ops g_gofer_rw_iops;
extern const struct file_ops g_gofer_rw_reg_fops;

#define GOFER_ATTR_MASK (P9_GETATTR_BASIC | P9_GETATTR_BTIME)

/* The current task's syscall_id (0 outside a syscall): see gofer_inode.attr_syscall. */
uint64_t gofer_syscall_id(void);
/* Writable mounts: attributes a of inode just fetched by a request sent when
 * task_syscall_id_latest() was sent_at; they are current for every syscall that had begun
 * by then (gofer_write.c). */
void gofer_attr_fetched(struct inode *inode, const struct p9_attr *a, uint64_t sent_at);
/* A new inode for walked fid (taken) with attributes a, fetched during this syscall. */
struct inode *gofer_inode_new(struct super_block *sb, uint32_t fid, const struct p9_attr *a);
/* Copy fresh attributes into an inode (type bits kept). */
void gofer_inode_set_attr(struct inode *inode, const struct p9_attr *a);
/* The read-only operations shared by both tables. */
int gofer_lookup(struct dentry *dir, const char *name, struct inode **out);
/* gofer_dir.c: the listing from the host (a writable mount's each time, through the
 * directory's open fid kept from its first listing), or the cached one. */
int gofer_readdir(struct dentry *dir, vfs_dirent_fn fn, void *arg);
void gofer_dirents_free(struct gofer_dirents *ds);
ssize_t gofer_readlink(struct dentry *d, char *buf, size_t size);
void gofer_evict(struct inode *inode);
bool gofer_d_revalidate(struct dentry *d);
int gofer_open(struct dentry *d, struct file *f);
/* Writable mounts: fresh attributes, and the read and write fids fmode needs. */
int gofer_rw_open_reg(struct inode *inode, unsigned fmode);
ssize_t gofer_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos);

static inline struct gofer_fs *gofer_fs(struct super_block *sb)
{
	return sb->priv;
}

/* Let the kernel lock go (if this thread holds it) around a 9P or host call that touches
 * only what the caller holds references to, so other tasks' gofer calls go out meanwhile
 * (the 9P client multiplexes them by tag) and the gofer answers them concurrently.
 * Returns whether it was dropped, for gofer_relock. */
bool gofer_unlock(void);
void gofer_relock(bool dropped);

/* gofer_xattr.c: the inode_ops xattr calls of both tables (writes: EROFS on the
 * read-only root, whose overlay copies up first). */
ssize_t gofer_getxattr(struct dentry *d, const char *name, void *buf, size_t size);
ssize_t gofer_listxattr(struct dentry *d, char *buf, size_t size);
int gofer_setxattr(struct dentry *d, const char *name, const void *value, size_t size,
		   int flags);
int gofer_removexattr(struct dentry *d, const char *name);

/* gofer_lock.c: inode_ops.host_lock and host_getlock of writable mounts (flock(2) locks
 * stay in the sandbox). */
int gofer_host_lock(struct inode *inode, short type, uint64_t start, uint64_t end, bool drop);
int gofer_host_getlock(struct inode *inode, struct flock *fl);

/* Open ino's read fid (and host fd) if not yet. Returns 0 or -errno. */
int gofer_inode_open(struct inode *inode);
/* Read up to size bytes at off from the host file: the donated host fd, else 9P Tread. */
ssize_t gofer_pread(struct inode *inode, void *buf, size_t size, uint64_t off);

/* The page cache (gofer_cache.c): one per file, made by its first mmap, shared by every
 * mapping; dirty pages go to the host on msync, fsync and the last unmap. */
struct shm_obj *gofer_page_cache(struct file *f);
struct shm_obj *gofer_take_page_cache(struct file *f);
/* The cache if a mapping made one, else NULL. */
struct shm_obj *gofer_page_cache_now(struct file *f);
/* read(2) through the cache: cached pages from it, the rest from the host. */
ssize_t gofer_cache_read(struct inode *inode, void *buf, size_t size, uint64_t off);
/* After size bytes of buf reached the host at off: the same bytes into cached pages. */
void gofer_cache_wrote(struct inode *inode, const void *buf, size_t size, uint64_t off);
/* Write the cache's dirty pages to the host. 0 or -errno. */
int gofer_cache_sync(struct inode *inode);
/* The file's size is now inode->size (a stat, a truncate, a write past the end). */
void gofer_cache_resized(struct inode *inode);
/* Write back and drop the inode's reference (inode eviction). */
void gofer_cache_release(struct inode *inode);
/* Open the inode's write fid once; every writer of the file shares it (gofer_write.c). */
int gofer_open_write_fid(struct inode *inode);
/* sync(2)/syncfs(2) of a writable mount: the page caches' dirty pages, then Tfsync of every
 * file written through it (the host makes them durable). Kernel lock held throughout. */
int gofer_sync_fs(struct super_block *sb);

#endif
