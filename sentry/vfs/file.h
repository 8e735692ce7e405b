/* file.h: the VFS operations the syscall handlers (sentry/syscalls/sys_file*.c, sys_fd.c)
 * and unit tests call: path-based operations on behalf of a task, fd-table management and
 * anonymous files. Paths are Sentry strings already copied from the application. Every
 * function runs under the kernel lock and returns 0 (or a count) or -errno as Linux.
 */
#ifndef RUNSC_SENTRY_VFS_FILE_H
#define RUNSC_SENTRY_VFS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "sentry/vfs/vfs.h"

struct task;
struct path;
struct kstat;
struct dentry;
struct statfs;
struct waitq;

/* ---- fd table (fdtable.c) ---- */

/* Install f at the lowest free fd >= minfd, taking a new reference. -EMFILE past
 * RLIMIT_NOFILE of t's thread group (t may be NULL: no limit but the table's). */
int fdtable_alloc(struct task *t, struct fdtable *ft, struct file *f, int minfd, bool cloexec);
/* Close fd. Returns 0 or -EBADF. */
int fdtable_close(struct fdtable *ft, int fd);
/* Close every fd in [first, last] (close_range); cloexec_only: set FD_CLOEXEC instead. */
void fdtable_close_range(struct fdtable *ft, unsigned first, unsigned last, bool cloexec_only);
/* FD_CLOEXEC of fd: returns 0/1 or -EBADF. */
int fdtable_get_cloexec(struct fdtable *ft, int fd);
int fdtable_set_cloexec(struct fdtable *ft, int fd, bool cloexec);
/* The lowest open fd >= fd, or -1 if there is none (/proc/PID/fd listings). */
int fdtable_next_fd(struct fdtable *ft, int fd);
/* The fd limit for t (RLIMIT_NOFILE's soft limit, capped by the table's maximum). */
int fdtable_max_fds(struct task *t);

/* ---- opening (open.c) ---- */

/* openat: flags and mode as the syscall got them (umask applied here). */
int vfs_openat(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
	       struct file **out);
/* openat2: as vfs_openat, the walk limited by resolve (LOOKUP_RESOLVE bits, vfs_internal.h);
 * the caller has checked the flags as openat2 does. */
int vfs_openat2(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
		unsigned resolve, struct file **out);

/* ---- namespace operations (namei_ops.c) ---- */

int vfs_mkdirat(struct task *t, int dirfd, const char *path, uint32_t mode);
/* mknodat: mode carries the type (0: regular); rdev only for S_IFCHR/S_IFBLK. */
int vfs_mknodat(struct task *t, int dirfd, const char *path, uint32_t mode, dev_t rdev);
int vfs_unlinkat(struct task *t, int dirfd, const char *path, int flags); /* AT_REMOVEDIR */
int vfs_renameat2(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
		  const char *newpath, unsigned flags);
int vfs_symlinkat(struct task *t, const char *target, int dirfd, const char *path);
int vfs_linkat(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
	       const char *newpath, int flags);
/* readlinkat: copies at most size bytes (no NUL) into buf; returns the count. */
ssize_t vfs_readlinkat(struct task *t, int dirfd, const char *path, char *buf, size_t size);

/* ---- attributes (attr.c) ---- */

/* stat by path; flags: AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
int vfs_statat(struct task *t, int dirfd, const char *path, int flags, struct kstat *st);
int vfs_faccessat(struct task *t, int dirfd, const char *path, int mode, int flags);
int vfs_fchmodat(struct task *t, int dirfd, const char *path, uint32_t mode, int flags);
int vfs_fchmod(struct task *t, struct file *f, uint32_t mode);
/* uid/gid (uid_t)-1 = unchanged. */
int vfs_fchownat(struct task *t, int dirfd, const char *path, uid_t uid, gid_t gid, int flags);
int vfs_fchown(struct task *t, struct file *f, uid_t uid, gid_t gid);
int vfs_truncate(struct task *t, const char *path, int64_t length);
int vfs_ftruncate(struct task *t, struct file *f, int64_t length);
/* times: NULL = now for both; else [0]=atime [1]=mtime with UTIME_NOW/UTIME_OMIT. path
 * NULL: the file dirfd itself (utimensat(fd, NULL, ...)). */
int vfs_utimensat(struct task *t, int dirfd, const char *path, const struct timespec *times,
		  int flags);
int vfs_statfs_path(struct task *t, const char *path, struct statfs *st);
int vfs_fstatfs(struct file *f, struct statfs *st);

/* ---- extended attributes (xattr.c) ---- */

#define XATTR_SIZE_MAX 65536 /* a value's largest size (larger: E2BIG) */
#define XATTR_LIST_MAX 65536 /* a name list's largest size */
#define XATTR_NAME_LEN_MAX 255

/* The *xattr calls after the syscall copied the name (at most XATTR_NAME_LEN_MAX bytes)
 * and value in. The target is path relative to dirfd (at_flags: AT_SYMLINK_NOFOLLOW,
 * AT_EMPTY_PATH) or, path NULL, the open file dirfd (EBADF for O_PATH). buf/size is a
 * Sentry buffer of at most XATTR_SIZE_MAX (XATTR_LIST_MAX) bytes; size 0 asks for the
 * length. The VFS applies Linux's namespace, permission and file-type rules, then the
 * filesystem's inode_ops xattr operations. Return a length, 0 or -errno. */
ssize_t vfs_getxattrat(struct task *t, int dirfd, const char *path, int at_flags,
		       const char *name, void *buf, size_t size);
ssize_t vfs_listxattrat(struct task *t, int dirfd, const char *path, int at_flags, char *buf,
			size_t size);
int vfs_setxattrat(struct task *t, int dirfd, const char *path, int at_flags, const char *name,
		   const void *value, size_t size, int flags);
int vfs_removexattrat(struct task *t, int dirfd, const char *path, int at_flags,
		      const char *name);

/* ---- directories and the cwd (dir.c, fs_context.c) ---- */

/* Fill buf with linux_dirent64 records from f's position. Returns bytes, 0 at the end,
 * -EINVAL if buf cannot hold the next entry, -ENOTDIR if f is not a directory. */
ssize_t vfs_getdents64(struct task *t, struct file *f, void *buf, size_t size);
/* The same as the original struct linux_dirent records (getdents, d_type last). */
ssize_t vfs_getdents(struct task *t, struct file *f, void *buf, size_t size);
int vfs_chdir(struct task *t, const char *path);
int vfs_fchdir(struct task *t, struct file *f);
int vfs_chroot(struct task *t, const char *path);
/* The cwd as an absolute path into buf (NUL-terminated); returns its size with the NUL,
 * -ERANGE if size is too small, -ENOENT if the cwd was removed. A cwd outside the task's
 * root (after chroot) reads "(unreachable)/...", as Linux. */
ssize_t vfs_getcwd(struct task *t, char *buf, size_t size);
/* The absolute path of p as seen from t's root (for /proc/self/fd, getcwd); t NULL: from
 * the sandbox's root. */
ssize_t vfs_path_name(struct task *t, const struct path *p, char *buf, size_t size);

/* ---- anonymous files ---- */

/* pipe2: a read end and a write end (flags: O_NONBLOCK; O_DIRECT is EINVAL for now). */
int pipe_create(int flags, struct file **rd, struct file **wr);
/* Pipe capacity in bytes if f is a pipe, else -EBADF... (F_GETPIPE_SZ). */
long pipe_get_size(struct file *f);
long pipe_set_size(struct file *f, unsigned long size, bool privileged);
bool file_is_pipe(const struct file *f);
/* A new open file description of f's pipe for flags (O_ACCMODE, O_NONBLOCK), as opening
 * /proc/PID/fd/N of a pipe gives. *out is referenced. */
int pipe_reopen(struct file *f, int flags, struct file **out);

/* ---- misc file helpers (file.c) ---- */

/* Status flags F_SETFL may change: O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME. */
int file_set_status_flags(struct file *f, int flags);
/* FIONREAD for files without their own ioctl: bytes between pos and the size. */
long file_generic_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg);
long vfs_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg);
int vfs_fsync(struct file *f);

/* ---- space and flushing (sync.c) ---- */

/* RLIMIT_FSIZE for growing a file from size to new_size: SIGXFSZ to t and -EFBIG past
 * the limit, else 0 (t NULL: no limit). */
int vfs_fsize_check(struct task *t, uint64_t size, uint64_t new_size);
/* fallocate(2) on f: Linux's argument, fd and file-type checks, then the filesystem's op
 * (EOPNOTSUPP without one: gofer files, as Linux's 9p). */
int vfs_fallocate(struct task *t, struct file *f, int mode, int64_t off, int64_t len);
/* sync(2): dirty pages of shared mappings of host files go to the Gofer. */
int vfs_sync_all(void);
/* syncfs(2): as sync, for f's filesystem only. -EBADF for O_PATH files. */
int vfs_syncfs(struct file *f);
bool file_can_read(const struct file *f);
bool file_can_write(const struct file *f);

#endif
