/* sys_file.h: helpers shared by the file-family syscall handlers (sys_file*.c, sys_fd.c):
 * copying paths in and looking up fds. */
#ifndef RUNSC_SENTRY_SYSCALLS_SYS_FILE_H
#define RUNSC_SENTRY_SYSCALLS_SYS_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentry/abi/uaddr.h"

struct task;
struct file;
struct uio;

#define MAX_RW_COUNT 0x7ffff000L /* Linux clamps one read/write to this many bytes */

/* Copy a path (at most PATH_MAX bytes with its NUL) from the application into a new
 * buffer (*out, freed by the caller). Returns 0, -EFAULT or -ENAMETOOLONG. Empty paths
 * are returned as "" (callers decide between ENOENT and AT_EMPTY_PATH). */
int sys_copy_path(struct task *t, uaddr_t upath, char **out);

/* Linux's copy_struct_from_user: usize bytes at u into a struct of ksize bytes (zero
 * filled past usize); a larger struct from a newer program is fine if its unknown tail
 * is zero. Returns 0, -EFAULT or -E2BIG. The caller checks usize's bounds first. */
int sys_copy_struct(struct task *t, void *dst, size_t ksize, uaddr_t u, uint64_t usize);

/* The open file at fd with a new reference, or NULL (the caller returns -EBADF). */
struct file *sys_fd_file(struct task *t, int fd);

/* Kernel-side open(2) shared by open/openat/creat: installs the fd. */
long sys_do_openat(struct task *t, int dirfd, uaddr_t upath, int flags, unsigned mode);

/* fcntl's record-lock and seal commands (sys_lock.c): -EINVAL for any other cmd. */
long sys_fcntl_lock(struct task *t, struct file *f, int cmd, uint64_t arg);

/* One read or write of u at *off (off NULL: at the file position) as preadv2/pwritev2 do
 * it, rwf's RWF_DSYNC/RWF_SYNC syncing after a write (the caller has refused other
 * flags): io_submit's IOCB_CMD_PREAD(V)/PWRITE(V). Returns the bytes moved or -errno. */
long sys_file_rw_uio(struct task *t, struct file *f, struct uio *u, uint64_t *off,
		     bool write, unsigned rwf);

#endif
