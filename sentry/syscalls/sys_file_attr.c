/* sys_file_attr.c: attribute changes: chmod family, chown family, umask, truncate,
 * ftruncate, utimensat (+ utime, utimes, futimesat), fsync, fdatasync. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

static long do_fchmodat(struct task *t, int dirfd, uaddr_t upath, unsigned mode, int flags)
{
	char *path = NULL;
	long ret = sys_copy_path(t, upath, &path);

	if (ret < 0)
		return ret;
	ret = vfs_fchmodat(t, dirfd, path, mode, flags);
	free(path);
	return ret;
}

long sys_chmod(struct task *t, const struct sysargs *a)
{
	return do_fchmodat(t, AT_FDCWD, arg_uaddr(a, 0), arg_uint(a, 1), 0);
}

long sys_fchmodat(struct task *t, const struct sysargs *a)
{
	return do_fchmodat(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uint(a, 2), 0);
}

/* fchmodat2 (Linux 6.6): fchmodat with flags (AT_SYMLINK_NOFOLLOW: EOPNOTSUPP on a
 * symlink, AT_EMPTY_PATH). */
long sys_fchmodat2(struct task *t, const struct sysargs *a)
{
	return do_fchmodat(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uint(a, 2), arg_int(a, 3));
}

long sys_fchmod(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f)
		return -EBADF;
	ret = vfs_fchmod(t, f, arg_uint(a, 1));
	file_put(f);
	return ret;
}

static long do_fchownat(struct task *t, int dirfd, uaddr_t upath, uid_t uid, gid_t gid,
			int flags)
{
	char *path = NULL;
	long ret;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	ret = sys_copy_path(t, upath, &path);
	if (ret < 0)
		return ret;
	ret = vfs_fchownat(t, dirfd, path, uid, gid, flags);
	free(path);
	return ret;
}

long sys_chown(struct task *t, const struct sysargs *a)
{
	return do_fchownat(t, AT_FDCWD, arg_uaddr(a, 0), arg_uint(a, 1), arg_uint(a, 2), 0);
}

long sys_lchown(struct task *t, const struct sysargs *a)
{
	return do_fchownat(t, AT_FDCWD, arg_uaddr(a, 0), arg_uint(a, 1), arg_uint(a, 2),
			   AT_SYMLINK_NOFOLLOW);
}

long sys_fchownat(struct task *t, const struct sysargs *a)
{
	return do_fchownat(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uint(a, 2), arg_uint(a, 3),
			   arg_int(a, 4));
}

long sys_fchown(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f)
		return -EBADF;
	ret = vfs_fchown(t, f, arg_uint(a, 1), arg_uint(a, 2));
	file_put(f);
	return ret;
}

long sys_umask(struct task *t, const struct sysargs *a)
{
	uint32_t old = t->fs->umask;

	t->fs->umask = arg_uint(a, 0) & 0777;
	return old;
}

/* RLIMIT_FSIZE: growing a regular file past the limit raises SIGXFSZ and fails with
 * EFBIG, as Linux's inode_newsize_ok does. */
static long fsize_check(struct task *t, const struct kstat *st, long len)
{
	if (!S_ISREG(st->mode) || len < 0)
		return 0;
	return vfs_fsize_check(t, st->size, (uint64_t)len);
}

long sys_truncate(struct task *t, const struct sysargs *a)
{
	char *path = NULL;
	long ret = sys_copy_path(t, arg_uaddr(a, 0), &path);
	struct kstat st;

	if (ret < 0)
		return ret;
	if (vfs_statat(t, AT_FDCWD, path, 0, &st) == 0)
		ret = fsize_check(t, &st, arg_long(a, 1));
	if (!ret)
		ret = vfs_truncate(t, path, arg_long(a, 1));
	free(path);
	return ret;
}

long sys_ftruncate(struct task *t, const struct sysargs *a)
{
	struct file *f;
	struct kstat st;
	long ret;

	if (arg_long(a, 1) < 0)
		return -EINVAL;
	f = sys_fd_file(t, arg_int(a, 0));
	if (!f)
		return -EBADF;
	ret = (f->fmode & FMODE_WRITE) && vfs_fstat(f, &st) == 0
		      ? fsize_check(t, &st, arg_long(a, 1)) : 0;
	if (!ret)
		ret = vfs_ftruncate(t, f, arg_long(a, 1));
	file_put(f);
	return ret;
}

long sys_utimensat(struct task *t, const struct sysargs *a)
{
	int dirfd = arg_int(a, 0), flags = arg_int(a, 3);
	uaddr_t upath = arg_uaddr(a, 1), utimes = arg_uaddr(a, 2);
	struct timespec times[2];
	char *path = NULL;
	long ret;

	if (!uaddr_is_null(utimes) && copy_from_user(t, times, utimes, sizeof(times)))
		return -EFAULT;
	if (uaddr_is_null(upath)) {
		/* utimensat(fd, NULL, ...) is futimens; AT_FDCWD has no file. */
		if (dirfd == AT_FDCWD)
			return -EFAULT;
		if (flags & ~AT_EMPTY_PATH)
			return -EINVAL;
	} else {
		ret = sys_copy_path(t, upath, &path);
		if (ret < 0)
			return ret;
	}
	ret = vfs_utimensat(t, dirfd, path, uaddr_is_null(utimes) ? NULL : times, flags);
	free(path);
	return ret;
}

/* utime, utimes and futimesat: utimensat with whole seconds or microseconds. A NULL path
 * with a real dirfd changes that file (futimesat(fd, NULL, ...), the old futimes). */
static long do_utimes(struct task *t, int dirfd, uaddr_t upath, const struct timespec *times)
{
	char *path = NULL;
	long ret;

	if (!uaddr_is_null(upath) || dirfd == AT_FDCWD) {
		ret = sys_copy_path(t, upath, &path);
		if (ret < 0)
			return ret;
	}
	ret = vfs_utimensat(t, dirfd, path, times, 0);
	free(path);
	return ret;
}

static long do_futimesat(struct task *t, int dirfd, uaddr_t upath, uaddr_t utv)
{
	struct timeval tv[2];
	struct timespec times[2];

	if (uaddr_is_null(utv))
		return do_utimes(t, dirfd, upath, NULL);
	if (copy_from_user(t, tv, utv, sizeof(tv)))
		return -EFAULT;
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		times[i].tv_sec = tv[i].tv_sec;
		times[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return do_utimes(t, dirfd, upath, times);
}

long sys_utime(struct task *t, const struct sysargs *a)
{
	struct { int64_t actime, modtime; } ub;
	struct timespec times[2] = {{0}};

	if (uaddr_is_null(arg_uaddr(a, 1)))
		return do_utimes(t, AT_FDCWD, arg_uaddr(a, 0), NULL);
	if (copy_from_user(t, &ub, arg_uaddr(a, 1), sizeof(ub)))
		return -EFAULT;
	times[0].tv_sec = ub.actime;
	times[1].tv_sec = ub.modtime;
	return do_utimes(t, AT_FDCWD, arg_uaddr(a, 0), times);
}

long sys_utimes(struct task *t, const struct sysargs *a)
{
	return do_futimesat(t, AT_FDCWD, arg_uaddr(a, 0), arg_uaddr(a, 1));
}

long sys_futimesat(struct task *t, const struct sysargs *a)
{
	return do_futimesat(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uaddr(a, 2));
}

long sys_fsync(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f)
		return -EBADF;
	ret = file_is_pipe(f) ? -EINVAL : vfs_fsync(f);
	file_put(f);
	return ret;
}

long sys_fdatasync(struct task *t, const struct sysargs *a)
{
	return sys_fsync(t, a);
}
