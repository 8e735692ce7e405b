/* vfs_internal.h: the VFS objects (super blocks, inodes, dentries, mounts, files) and the
 * operation tables that filesystems under sentry/fs/ implement.
 *
 * Everything here runs under the kernel lock. Reference counts are plain ints for that
 * reason. Ownership rules:
 *  - a dentry holds one reference on its inode and one on its parent dentry;
 *  - a hashed (cached) dentry holds one reference on itself, dropped when it is unhashed
 *    (unlink, rmdir, rename over it). tmpfs keeps its tree in the dentry cache, so its
 *    dentries stay until unlinked. On super blocks marked prunable (gofer, overlay) a
 *    dentry only the cache holds goes on an LRU and is dropped when the cache is full;
 *    the gofer root is read-only, so what is cached stays valid for the sandbox's life
 *    (writable gofer bind mounts revalidate through super_ops.d_revalidate);
 *  - a struct path holds one reference on its dentry; mount structs live for the sandbox's
 *    life (an unmounted one stays, its filesystem released once unused: vfs/mount.h).
 */
#ifndef RUNSC_SENTRY_VFS_VFS_INTERNAL_H
#define RUNSC_SENTRY_VFS_VFS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/types.h>
#include <time.h>

#include "lib/list.h"
#include "lib/util.h"
#include "sentry/vfs/vfs.h"

struct flock; /* <fcntl.h>: inode_ops.host_getlock */

struct creds;
struct waitq;
struct dentry;
struct inode;
struct super_block;
struct path;
struct pipe;
struct tmpfs_xattr;
struct mnt_ns;

#define VFS_NAME_MAX 255
#define VFS_PATH_MAX 4096
#define VFS_MAXSYMLINKS 40

/* Attributes as stat/statx report them. */
struct kstat {
	uint64_t dev, ino, nlink, size, blocks, rdev;
	uint32_t mode, uid, gid, blksize;
	struct timespec atime, mtime, ctime, btime;
	bool has_btime;
	int mnt_id;		/* the mount's IDs (statx); 0: no mount (pipes...) */
	uint64_t mnt_id_unique;
};

/* A setattr request: only fields whose VA_* bit is in valid change. */
#define VA_MODE 0x01
#define VA_UID 0x02
#define VA_GID 0x04
#define VA_SIZE 0x08
#define VA_ATIME 0x10
#define VA_MTIME 0x20
#define VA_CTIME 0x40
struct vattr {
	unsigned valid;
	uint32_t mode; /* permission bits only (07777) */
	uid_t uid;
	gid_t gid;
	uint64_t size;
	struct timespec atime, mtime, ctime;
};

/* One entry reported by inode_ops.readdir (not "." or ".."). */
struct vfs_dirent {
	const char *name;
	size_t name_len;
	uint64_t ino;
	unsigned char type; /* DT_* */
};
/* Return non-zero to stop the iteration. */
typedef int (*vfs_dirent_fn)(void *arg, const struct vfs_dirent *ent);

struct super_ops {
	int (*statfs)(struct super_block *sb, struct statfs *st);
	/* Whether a cached dentry still names what it named (procfs: the process or fd is
	 * still there). NULL: cached dentries are always valid. A false answer unhashes it
	 * and the name is looked up again. It may let the kernel lock go (the caller holds
	 * d, and d its parent) if it answers false when d was dropped, moved or renamed
	 * meanwhile. */
	bool (*d_revalidate)(struct dentry *d);
	/* sync(2)/syncfs(2), after the shared mappings' dirty pages were written back: make
	 * what was written durable (writable gofer mounts: Tfsync of their written files).
	 * NULL: nothing more to do. 0 or -errno (syncfs reports it). */
	int (*sync_fs)(struct super_block *sb);
	/* The last tree mounting sb is gone (a deleted pod container's) and its dentries are
	 * dropped: let go of what it holds besides (connections, inner filesystems). NULL:
	 * nothing more. */
	void (*release)(struct super_block *sb);
};

struct super_block {
	const struct super_ops *ops;
	const char *type;	/* "tmpfs", "overlay", "9p", for /proc/mounts later */
	unsigned long magic;	/* statfs f_type */
	dev_t dev;		/* st_dev of every inode */
	uint64_t next_ino;	/* for filesystems that number their own inodes */
	struct dentry *root;	/* reference held */
	bool prunable;		/* unused dentries may be dropped (caches of another source) */
	/* A lookup (or revalidation) of a name also brings its directory's attributes: the
	 * path walk asks it before checking search permission there (writable gofer mounts,
	 * where fetching them alone would be a round trip of its own). */
	bool lookup_fetches_dir_attrs;
	bool global;		/* one for the whole sandbox (mqueue): never released */
	bool rdonly;		/* mounted or remounted read-only (MS_RDONLY): every mount EROFS */
	int ctx_pins;		/* fs-context fds holding it (mount_api.c): not released */
	void *priv;
};

/* Inode flags. */
#define I_OPAQUE 0x1	/* overlay upper dir: hides the lower dir of the same name */
#define I_LINKABLE 0x2	/* an O_TMPFILE file (without O_EXCL) linkat may give a name */

struct inode {
	int refs;
	struct super_block *sb;
	const struct inode_ops *iops;
	const struct file_ops *fops; /* used by open when iops->open is NULL */
	uint64_t ino;
	uint32_t mode;
	uid_t uid;
	gid_t gid;
	uint64_t nlink;
	uint64_t size;
	uint64_t blocks; /* 512-byte units */
	dev_t rdev;
	struct timespec atime, mtime, ctime, btime;
	unsigned flags;	 /* I_* */
	void *priv;	 /* the filesystem's */
	/* Open file descriptions of it for reading only / for writing (lease conflicts),
	 * counted on the inode of the file's path (the overlay's, not the layer's). */
	int readcount, writecount;
	struct pipe *pipe; /* a FIFO's pipe while it is open (sentry/fs/fifo.c) */
	struct tmpfs_xattr *xattrs; /* tmpfs: its extended attributes (tmpfs_xattr.c) */
};

/* Directory and attribute operations. Names are NUL-terminated components, never "." or
 * "..", at most VFS_NAME_MAX bytes. Permission checks are the caller's (the VFS). Create
 * operations fill the negative dentry d with d_instantiate(). All return 0 or -errno. */
struct inode_ops {
	int (*lookup)(struct dentry *dir, const char *name, struct inode **out);
	int (*create)(struct dentry *dir, struct dentry *d, uint32_t mode, const struct creds *c);
	int (*mkdir)(struct dentry *dir, struct dentry *d, uint32_t mode, const struct creds *c);
	int (*mknod)(struct dentry *dir, struct dentry *d, uint32_t mode, dev_t rdev,
		     const struct creds *c);
	int (*symlink)(struct dentry *dir, struct dentry *d, const char *target,
		       const struct creds *c);
	/* O_TMPFILE: a new regular file with no name and no link (nlink 0) on dir's
	 * filesystem, returned referenced in *out. NULL: EOPNOTSUPP. */
	int (*tmpfile)(struct dentry *dir, uint32_t mode, const struct creds *c,
		       struct inode **out);
	/* Make d (negative, in dir) another name of old's inode. */
	int (*link)(struct dentry *old, struct dentry *dir, struct dentry *d);
	int (*unlink)(struct dentry *dir, struct dentry *d);
	int (*rmdir)(struct dentry *dir, struct dentry *d);
	/* rmdir of a directory of this filesystem that still lists entries: the filesystem
	 * decides (cgroupfs: its control files do not count). false: ENOTEMPTY. */
	bool rmdir_nonempty;
	/* Rename od in odir to nd in ndir. nd may be positive (the VFS has checked types and
	 * emptiness). flags: RENAME_NOREPLACE/EXCHANGE already handled by the VFS. */
	int (*rename)(struct dentry *odir, struct dentry *od, struct dentry *ndir,
		      struct dentry *nd);
	/* RENAME_EXCHANGE: od in odir and nd in ndir (both positive, any types) swap names.
	 * NULL: the filesystem cannot (EINVAL). */
	int (*exchange)(struct dentry *odir, struct dentry *od, struct dentry *ndir,
			struct dentry *nd);
	/* RENAME_WHITEOUT: the filesystem keeps whiteouts (a 0:0 character device at the
	 * old name after the rename); false: EINVAL. */
	bool rename_whiteout;
	/* Every entry of the directory but "." and "..". */
	int (*readdir)(struct dentry *dir, vfs_dirent_fn fn, void *arg);
	/* Copy the target (not NUL-terminated) into buf; returns its length or -errno. */
	ssize_t (*readlink)(struct dentry *d, char *buf, size_t size);
	int (*getattr)(struct dentry *d, struct kstat *st); /* NULL: from the inode fields */
	int (*setattr)(struct dentry *d, const struct vattr *va);
	/* Set up f (f->ops, f->priv, f->inode) for an open of d with f->flags. NULL: use
	 * inode->fops and the inode itself. */
	int (*open)(struct dentry *d, struct file *f);
	void (*evict)(struct inode *inode); /* free priv when the last reference goes */
	/* Magic links (/proc/PID/fd/N, exe, cwd, root): the walk jumps to the object itself
	 * instead of walking readlink's text. t is the walking task. Returns 0 with a
	 * referenced positive path in *out, or -errno. link is the symlink's own path.
	 * NULL: readlink's text is walked. */
	int (*get_link)(struct task *t, const struct path *link, struct path *out);
	/* Opening d gives an open file other than a fresh one (a /proc fd link to a pipe or
	 * host fd): *out is referenced. flags as vfs_open_path got them. NULL: usual open. */
	int (*reopen)(struct dentry *d, int flags, struct file **out);
	/* Extended attributes. name is the whole name ("user.x"), already checked by the VFS
	 * (namespace, length, permission, file type). Return the value's length (size 0: the
	 * length only; too small: -ERANGE), or -errno (-ENODATA: none). NULL: none stored. */
	ssize_t (*getxattr)(struct dentry *d, const char *name, void *buf, size_t size);
	/* Every name, each NUL-terminated, back to back; size 0: the length only. */
	ssize_t (*listxattr)(struct dentry *d, char *buf, size_t size);
	/* flags: XATTR_CREATE / XATTR_REPLACE as the syscall got them. NULL: EOPNOTSUPP. */
	int (*setxattr)(struct dentry *d, const char *name, const void *value, size_t size,
			int flags);
	int (*removexattr)(struct dentry *d, const char *name);
	/* POSIX and OFD record locks shared with the host (writable gofer mounts): set the
	 * sandbox's combined lock on [start, end] (end UINT64_MAX: to the end of the file)
	 * to type F_RDLCK, F_WRLCK or F_UNLCK. Never waits: -EAGAIN when a host lock
	 * conflicts. drop: the kernel lock may be let go during the round trip (the caller
	 * checks its state again after). host_getlock replaces fl (type and an absolute range from SEEK_SET) by
	 * the first conflicting host lock, or sets l_type F_UNLCK. NULL: the sandbox's locks
	 * are its own (sentry/vfs/lock.c). Kernel lock held. */
	int (*host_lock)(struct inode *inode, short type, uint64_t start, uint64_t end,
			 bool drop);
	int (*host_getlock)(struct inode *inode, struct flock *fl);
};

struct dentry {
	int refs;
	char *name;
	size_t name_len;
	struct dentry *parent;	 /* reference held; the root's parent is itself */
	struct inode *inode;	 /* reference held; NULL while negative */
	struct super_block *sb;
	struct list_head children; /* of child.sibling, in creation order */
	struct list_head sibling;
	struct dentry *hnext;	 /* hash chain */
	bool hashed;		 /* in the cache (and in parent->children) */
	int mounts;		 /* mounts whose mountpoint this is */
	struct list_head lru;	 /* g_dlru while only the cache holds it (prunable sbs) */
};

#define MNT_READONLY 0x1
#define MNT_NOSUID 0x2	/* set-user-ID bits ignored (the Sentry never honours them) */
#define MNT_NODEV 0x4	/* device files cannot be opened: EACCES */
#define MNT_NOEXEC 0x8	/* execve: EACCES; mmap with PROT_EXEC: EPERM */
#define MNT_NOATIME 0x10 /* reads leave atime alone */
#define MNT_UNBINDABLE 0x20 /* MS_UNBINDABLE: a bind of it is EINVAL (mount_ops.c) */
#define MNT_EXPIRE_MARK 0x40 /* umount2(MNT_EXPIRE) marked it and nothing used it since */

struct mount {
	int id;			 /* mount ID as /proc/PID/mountinfo shows it */
	uint64_t unique_id;	 /* never reused: statmount, listmount, STATX_MNT_ID_UNIQUE */
	struct mount *parent;	 /* NULL for the root mount */
	struct dentry *mountpoint; /* in parent; reference held */
	struct dentry *root;	 /* reference held */
	struct super_block *sb;
	int flags;		 /* MNT_* */
	struct list_head link;	 /* g_mounts; g_detached once unmounted and still used */
	struct mnt_ns *ns;	 /* its mount namespace; NULL once unmounted (mnt_ns.c) */
	int users;		 /* open files and fs_context roots/cwds on it: umount EBUSY */
	int writers;		 /* files open for writing on it: remount read-only EBUSY */
	char *source;		 /* mount(2)'s source for /proc/mounts; NULL: from the type */
	struct mount *copy;	 /* scratch while its namespace is copied */
};

struct path {
	struct mount *mnt;
	struct dentry *dentry;
};

/* File mode bits (what an open file description may do). */
#define FMODE_READ 0x1
#define FMODE_WRITE 0x2
#define FMODE_LSEEK 0x4  /* lseek works */
#define FMODE_PREAD 0x8  /* pread/pwrite work (else ESPIPE) */
#define FMODE_PATH 0x10	 /* O_PATH: no I/O at all */
#define FMODE_COUNTED 0x20 /* counted in its inode's readcount/writecount (leases) */
#define FMODE_FULL_READ 0x40 /* reads fill the buffer as a regular file's (/dev/zero) */
/* A read takes its records (an eventfd count, siginfos, inotify events, timer ticks)
 * whatever the destination can hold, as Linux: a fault then costs them (EFAULT), all
 * but those before it when the ops say so (fault_record). */
#define FMODE_WHOLE_RECORDS 0x80
#define FMODE_MNT_WRITE 0x100 /* counted in its mount's writers (a remount read-only: EBUSY) */
#define FMODE_NEED_UNMOUNT 0x200 /* fsmount/open_tree's fd: its last close frees the detached tree */

struct iovec;
struct uio;

/* Operations on an open file. t may be NULL for kernel-side I/O (loader); pos points at
 * f->pos for read/write and at a local for pread/pwrite. Return bytes or -errno. */
struct file_ops {
	ssize_t (*read)(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos);
	ssize_t (*write)(struct task *t, struct file *f, const void *buf, size_t size,
			 uint64_t *pos);
	/* write from cnt segments of the Sentry's view of pinned application memory
	 * (mm_user_pin) holding size bytes: no bounce buffer. NULL: the caller copies into
	 * a buffer and uses write. Ops copied from another filesystem's (memfd) must wrap
	 * or clear this with write. */
	ssize_t (*write_iov)(struct task *t, struct file *f, const struct iovec *iov, int cnt,
			     size_t size, uint64_t *pos);
	/* read/write at the file position straight from/to the application's iovecs, for
	 * files whose fault semantics depend on their structure (pipes: a fault costs
	 * whole buffers, as in Linux). NULL: read/write through a bounce buffer. */
	ssize_t (*read_uio)(struct task *t, struct file *f, struct uio *u);
	ssize_t (*write_uio)(struct task *t, struct file *f, struct uio *u);
	/* NULL: the generic seek on inode->size. */
	int64_t (*llseek)(struct file *f, int64_t off, int whence);
	/* NULL: -ENOTTY for every command the VFS itself does not handle. */
	long (*ioctl)(struct task *t, struct file *f, unsigned cmd, uint64_t arg);
	/* Ready events (POLLIN...) now; *wq = the queue that is woken when they change, or
	 * NULL (host fds: the caller polls again after a short sleep). NULL op: always
	 * readable and writable. */
	unsigned (*poll)(struct task *t, struct file *f, struct waitq **wq);
	int (*fsync)(struct file *f);
	/* fallocate after the VFS's checks (vfs_fallocate): mode as the syscall got it, off +
	 * len within int64_t. NULL: EOPNOTSUPP. */
	int (*fallocate)(struct task *t, struct file *f, int mode, uint64_t off, uint64_t len);
	/* fstat of a file with no dentry (pipes, host fds). */
	int (*stat)(struct file *f, struct kstat *st);
	/* The memory-file pages holding the file's data (tmpfs), shared by read/write and
	 * MAP_SHARED mappings; NULL op or result: the file has no page cache. */
	struct shm_obj *(*page_cache)(struct file *f);
	/* The page cache if the file has one now, without making one (cachestat); NULL op:
	 * page_cache's. */
	struct shm_obj *(*page_cache_now)(struct file *f);
	/* Overlay copy-up of a mapped file: the lower file hands over its page cache, filled
	 * completely, if mappings use it (the caller gets the reference; NULL otherwise), and
	 * the upper file adopts it as its data (the reference passes to it; 0 or -errno), so
	 * the mappings stay coherent with the copy. */
	struct shm_obj *(*take_page_cache)(struct file *f);
	int (*adopt_page_cache)(struct file *f, struct shm_obj *obj);
	/* FILE_MMAP_CONTENTS (0): mmap maps the file; FILE_MMAP_ANON: anonymous memory
	 * (/dev/zero); FILE_MMAP_NONE: ENODEV, as Linux files without an mmap op (procfs). */
	int mmap_as;
	/* FMODE_WHOLE_RECORDS: a fault keeps the whole records of this many bytes before it
	 * (signalfd: siginfos; timerfd: 1, the bytes of its count); 0: the read fails with
	 * EFAULT (eventfd, inotify). */
	unsigned fault_record;
	/* A descriptor of f is being closed (any fd, by t_current's process; Linux's
	 * ->flush): message queues drop that process's mq_notify registration. */
	void (*flush)(struct file *f);
	void (*release)(struct file *f);
};

struct dirsnap;
struct fasync;

struct file {
	int refs;
	int flags;		/* O_ACCMODE and status flags (O_APPEND, O_NONBLOCK...) */
	unsigned fmode;		/* FMODE_* */
	uint64_t pos;
	struct path path;	/* mnt NULL and dentry NULL for anonymous files */
	struct inode *inode;	/* the inode the ops act on (overlay: the real one); ref held */
	const struct file_ops *ops;
	void *priv;
	struct dirsnap *dir;	/* getdents snapshot, for directories */
	int owner_type, owner_id; /* F_SETOWN(_EX): F_OWNER_*, and 0 for no owner (fown.c) */
	int sig;		/* F_SETSIG: 0 = plain SIGIO */
	struct fasync *fasync;	/* O_ASYNC on a pipe or socket: the readiness hook (fown.c) */
	uint64_t pipe_wseen;	/* FIFO read end: no POLLHUP while the pipe's w_counter is this */
	uint64_t cred_sig;	/* caps_creds_sig of the opener's credentials (0: the kernel) */
};

/* Per-task (or per CLONE_FS group) filesystem context. */
struct fs_context {
	int refs;
	struct path root, cwd; /* references held (mnt_hold on their mounts too) */
	struct mnt_ns *mnt_ns; /* reference held; CLONE_FS sharers are in one namespace */
	uint32_t umask;
};

/* ---- path walk (namei.c) ---- */

#define LOOKUP_FOLLOW 0x1	/* follow a symlink in the last component */
#define LOOKUP_DIRECTORY 0x2	/* the result must be a directory (ENOTDIR) */
#define LOOKUP_EMPTY 0x4	/* an empty path means the dirfd itself (AT_EMPTY_PATH) */
/* openat2's RESOLVE_* limits, for the whole walk (namei.c says what each refuses). */
#define LOOKUP_NO_XDEV 0x10	  /* crossing a mount: EXDEV */
#define LOOKUP_NO_MAGICLINKS 0x20 /* following a magic link (/proc/PID/fd/N): ELOOP */
#define LOOKUP_NO_SYMLINKS 0x40	  /* following any symlink: ELOOP */
#define LOOKUP_BENEATH 0x80	  /* leaving the start by "..", "/" or a magic link: EXDEV */
#define LOOKUP_IN_ROOT 0x100	  /* the start is the root for "..", "/" and symlinks */
#define LOOKUP_CACHED 0x200	  /* only what the dentry cache answers, else EAGAIN */
#define LOOKUP_SCOPED (LOOKUP_BENEATH | LOOKUP_IN_ROOT)
#define LOOKUP_RESOLVE (LOOKUP_NO_XDEV | LOOKUP_NO_MAGICLINKS | LOOKUP_NO_SYMLINKS | \
			LOOKUP_SCOPED | LOOKUP_CACHED)

enum last_type { LAST_NORM, LAST_DOT, LAST_DOTDOT, LAST_ROOT };

/* The parent directory of a path and its last component (for create, unlink, rename). */
struct lookup_parent {
	struct path dir;		/* reference held; release with path_put */
	char last[VFS_NAME_MAX + 1];
	size_t len;
	enum last_type type;
	bool trailing_slash;		/* the path ended in '/' */
};

/* Resolve path relative to dirfd (AT_FDCWD: the cwd) for task t. Returns 0 with a
 * referenced positive path in *out, or -errno (ENOENT, ENOTDIR, ELOOP, EACCES, EBADF,
 * ENAMETOOLONG; EXDEV, EAGAIN from LOOKUP_RESOLVE bits). An empty path is ENOENT unless
 * LOOKUP_EMPTY. */
int vfs_lookupat(struct task *t, int dirfd, const char *path, unsigned flags,
		 struct path *out);
/* Resolve everything but the last component. lp->dir must be released by the caller. */
int vfs_lookup_parent(struct task *t, int dirfd, const char *path, struct lookup_parent *lp);
/* Look up lp's last component in lp->dir (search permission checked, mounts crossed,
 * symlinks not followed). Returns 0 with a referenced path or -errno. */
int vfs_lookup_last(struct task *t, struct lookup_parent *lp, struct path *out);
/* open(O_CREAT): resolve path following symlinks in the last component (unless nofollow:
 * then a symlink is ELOOP), creating a regular file with mode (umask applied by the
 * caller) when the final name is missing, as Linux does for dangling symlinks. excl:
 * EEXIST if anything is there. resolve: LOOKUP_RESOLVE bits. Returns 0 with *out
 * referenced and *created set. */
int vfs_lookup_creat(struct task *t, int dirfd, const char *path, bool excl, bool nofollow,
		     unsigned resolve, uint32_t mode, struct path *out, bool *created);
/* The credentials a task's file accesses use (NULL task: the kernel). */
const struct creds *task_fs_creds(struct task *t);

/* ---- inodes and dentries (dentry.c, inode.c) ---- */

struct inode *inode_new(struct super_block *sb, uint32_t mode);
void inode_get(struct inode *inode);
void inode_put(struct inode *inode);
/* Stamp atime/mtime/ctime with the current time (bits: VA_ATIME | VA_MTIME | VA_CTIME). */
void inode_touch(struct inode *inode, unsigned which);
/* A read of f: its inode's atime as relatime moves it (not with O_NOATIME). */
void file_touch_atime(struct file *f);
/* Store va's mode permission bits, owner and times (whichever va->valid names) in the
 * inode: the setattr of a filesystem that keeps its attributes in memory. */
void inode_apply_attr(struct inode *inode, const struct vattr *va);
void vfs_now(struct timespec *ts);
/* Fill st from the inode fields (the default getattr). */
void inode_fill_kstat(const struct inode *inode, struct kstat *st);

/* A new dentry (refs 1, negative, unhashed) named name under parent. */
struct dentry *d_alloc(struct dentry *parent, const char *name, size_t len);
/* The root dentry of a new super block (refs 1, hashed as its own parent). */
struct dentry *d_alloc_root(struct super_block *sb, struct inode *inode);
void d_instantiate(struct dentry *d, struct inode *inode); /* takes the inode reference */
void dget(struct dentry *d);
void dput(struct dentry *d);
/* Add d to the cache (a reference is kept for the cache). */
void d_add(struct dentry *d);
/* Remove d from the cache (unlink); drops the cache's reference. */
void d_drop(struct dentry *d);
/* d_drop every cached dentry below root (not root itself): what nothing else holds is
 * freed, inodes included. */
void d_drop_tree(struct dentry *root);
/* A super block whose last tree is gone: drop its dentries and call its release op. */
void sb_release(struct super_block *sb);
/* Move d under newparent with a new name (rename). */
void d_move(struct dentry *d, struct dentry *newparent, const char *name, size_t len);
/* Swap the names and parents of two hashed dentries (RENAME_EXCHANGE). */
void d_exchange(struct dentry *a, struct dentry *b);
/* Cached child of dir named name, with a reference, or NULL. */
struct dentry *d_lookup_cached(struct dentry *dir, const char *name, size_t len);
/* Cached child, else ask the filesystem. Returns 0 with a referenced positive dentry in
 * *out, or -ENOENT/-errno. dir must be a directory. */
int d_lookup(struct dentry *dir, const char *name, size_t len, struct dentry **out);
bool d_is_dir(const struct dentry *d);
bool d_is_symlink(const struct dentry *d);
bool d_is_reg(const struct dentry *d);

/* ---- super blocks and mounts (mount.c) ---- */

struct super_block *sb_new(const struct super_ops *ops, const char *type, unsigned long magic);
/* Mount sb's root at mountpoint (NULL mountpoint: the root mount). */
struct mount *vfs_mount(struct path *mountpoint, struct super_block *sb, int flags);
struct mount *vfs_root_mount(void);
/* If p is a mountpoint, replace it with the root of what is mounted there (repeatedly). */
void path_follow_mounts(struct path *p);
void path_get(const struct path *p);
void path_put(struct path *p);
bool path_equal(const struct path *a, const struct path *b);
/* Call fn on every mount, in mount order (/proc/mounts). */
void vfs_for_each_mount(void (*fn)(void *arg, struct mount *m), void *arg);
/* Reset the mount tree (unit tests only). */
void vfs_reset_for_test(void);

/* ---- permissions (perm.c) ---- */

#define MAY_EXEC 0x1
#define MAY_WRITE 0x2
#define MAY_READ 0x4

/* Whether creds may access the inode of d with mask (MAY_*). NULL creds: the kernel
 * itself, always allowed. Returns 0 or -EACCES. */
int vfs_permission(const struct creds *c, struct dentry *d, int mask);
/* Whether vfs_permission(c, d, mask) is 0 whatever d's mode bits (CAP_DAC_OVERRIDE, or
 * the kernel), so a caller may skip fetching d's attributes. */
bool vfs_may_skip_dac(const struct creds *c, const struct dentry *d, int mask);
/* Whether creds owns the inode or has CAP_FOWNER (Linux's inode_owner_or_capable). */
bool vfs_is_owner(const struct creds *c, const struct kstat *st);
bool creds_in_group(const struct creds *c, gid_t gid);
/* Sticky directory check for unlink/rename (owner of either, or CAP_FOWNER): 0 or -EPERM. */
int vfs_check_sticky(const struct creds *c, struct dentry *dir, struct dentry *victim);
/* Attributes through the filesystem (getattr or the inode fields). */
int vfs_getattr(struct dentry *d, struct kstat *st);

/* ---- files (file.c) ---- */

struct file *file_alloc(int flags);
/* Open the positive dentry at path for flags (no permission checks). */
int vfs_open_path(const struct path *p, int flags, struct file **out);
/* The generic llseek for files with a size. */
int64_t generic_llseek(struct file *f, int64_t off, int whence);
ssize_t vfs_read(struct task *t, struct file *f, void *buf, size_t size);
ssize_t vfs_write(struct task *t, struct file *f, const void *buf, size_t size);
ssize_t vfs_pread(struct task *t, struct file *f, void *buf, size_t size, uint64_t off);
ssize_t vfs_pwrite(struct task *t, struct file *f, const void *buf, size_t size, uint64_t off);
/* vfs_write (off NULL) or vfs_pwrite (at *off) through f->ops->write_iov, which the caller
 * checked is there. */
ssize_t vfs_write_iov(struct task *t, struct file *f, const struct iovec *iov, int cnt,
		      size_t size, const uint64_t *off);
/* vfs_read/vfs_write through f->ops->read_uio/write_uio, which the caller checked is
 * there. */
ssize_t vfs_read_uio(struct task *t, struct file *f, struct uio *u);
ssize_t vfs_write_uio(struct task *t, struct file *f, struct uio *u);
int64_t vfs_lseek(struct file *f, int64_t off, int whence);
int vfs_fstat(struct file *f, struct kstat *st);
unsigned vfs_poll(struct task *t, struct file *f, struct waitq **wq);

/* ---- kernel-side operations on dentries, no permission checks (namei_ops.c) ---- */

int vfsk_create(struct dentry *dir, const char *name, uint32_t mode, const struct creds *c,
		struct dentry **out);
int vfsk_mkdir(struct dentry *dir, const char *name, uint32_t mode, const struct creds *c,
	       struct dentry **out);
int vfsk_mknod(struct dentry *dir, const char *name, uint32_t mode, dev_t rdev,
	       const struct creds *c, struct dentry **out);
int vfsk_symlink(struct dentry *dir, const char *name, const char *target,
		 const struct creds *c, struct dentry **out);
int vfsk_unlink(struct dentry *dir, struct dentry *d);
int vfsk_rmdir(struct dentry *dir, struct dentry *d);
int vfsk_rename(struct dentry *odir, struct dentry *od, struct dentry *ndir, const char *name);
/* Swap od (in odir) and nd (in ndir) through the filesystem's exchange. */
int vfsk_exchange(struct dentry *odir, struct dentry *od, struct dentry *ndir, struct dentry *nd);
int vfsk_setattr(struct dentry *d, const struct vattr *va);
/* Set a new inode's owner from creds (group from a setgid dir; new dirs inherit setgid). */
void inode_init_owner(struct inode *inode, struct dentry *dir, const struct creds *c);
/* -EROFS if m is mounted read-only. */
int mnt_want_write(const struct mount *m);
/* Create a regular file in dir after the read-only and permission (W+X) checks. */
int vfs_create_checked(struct task *t, struct path *dir, const char *name, uint32_t mode,
		       struct dentry **out);
/* A new unnamed regular file (O_TMPFILE) in dir: *out is an unhashed dentry named
 * "#ino" holding it. No permission checks. */
int vfsk_tmpfile(struct dentry *dir, uint32_t mode, const struct creds *c, struct dentry **out);
/* Whether a directory has any entry (through readdir). */
int vfsk_dir_is_empty(struct dentry *dir);
/* Every xattr name d's filesystem lists (inode_ops.listxattr, nothing hidden) in a new
 * buffer *out (NULL when empty; freed by the caller): one call when the list fits in
 * 64 KiB. Returns its length or -errno. */
ssize_t vfsk_listxattr_all(struct dentry *d, char **out);

/* ---- filesystems ---- */

/* tmpfs (sentry/fs/tmpfs): a new instance with a root dir of the given mode/owner. */
struct super_block *tmpfs_new(uint32_t root_mode, uid_t uid, gid_t gid);
/* A size= limit on the instance's file data (bytes, page-rounded up; 0 = none). */
void tmpfs_set_max_bytes(struct super_block *sb, uint64_t max_bytes);
/* overlay (sentry/fs/overlay): a writable tmpfs upper over lower_root (reference taken). */
struct super_block *overlay_new(struct dentry *lower_root);
/* gofer (sentry/fs/gofer): attach to a 9P server on fd (taken). */
int gofer_fs_new(int fd, struct super_block **out);
/* A bind mount's gofer filesystem: writable sends changes to the host; want_dir says
 * whether the served root must be a directory (else a regular file). */
int gofer_fs_new_mount(int fd, bool writable, bool want_dir, struct super_block **out);
/* /dev (sentry/fs/dev). */
struct super_block *devfs_new(void);
/* Populate a dev tmpfs at root with its device nodes. */
int devfs_populate(struct dentry *root);
/* procfs (sentry/fs/proc) and sysfs (sentry/fs/sys): new read-only instances. */
struct super_block *procfs_new(void);
struct super_block *sysfs_new(void);

#endif
