/* sys_file_dir.c: directories and names: getdents(64), getcwd, chdir, fchdir, chroot, mkdir(at),
 * mknod(at), unlink(at), rmdir, rename(at/at2), symlink(at), link(at). */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/sysmacros.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define GETDENTS_MAX (1 << 20) /* Sentry buffer cap per call; callers loop anyway */

static long do_getdents(struct task *t, const struct sysargs *a, bool old)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	size_t size = MIN((size_t)arg_uint(a, 2), (size_t)GETDENTS_MAX);
	char *buf;
	long ret;

	if (!f)
		return -EBADF;
	buf = xmalloc(size ? size : 1);
	ret = old ? vfs_getdents(t, f, buf, size) : vfs_getdents64(t, f, buf, size);
	if (ret > 0 && copy_to_user(t, arg_uaddr(a, 1), buf, (size_t)ret))
		ret = -EFAULT;
	free(buf);
	file_put(f);
	return ret;
}

long sys_getdents64(struct task *t, const struct sysargs *a)
{
	return do_getdents(t, a, false);
}

long sys_getdents(struct task *t, const struct sysargs *a)
{
	return do_getdents(t, a, true);
}

long sys_getcwd(struct task *t, const struct sysargs *a)
{
	size_t size = MIN(arg_u64(a, 1), (uint64_t)VFS_PATH_MAX);
	char *buf = xmalloc(VFS_PATH_MAX);
	long ret = vfs_getcwd(t, buf, size);

	if (ret > 0 && copy_to_user(t, arg_uaddr(a, 0), buf, (size_t)ret))
		ret = -EFAULT;
	free(buf);
	return ret;
}

long sys_chdir(struct task *t, const struct sysargs *a)
{
	char *path = NULL;
	long ret = sys_copy_path(t, arg_uaddr(a, 0), &path);

	if (ret < 0)
		return ret;
	ret = vfs_chdir(t, path);
	free(path);
	return ret;
}

long sys_chroot(struct task *t, const struct sysargs *a)
{
	char *path = NULL;
	long ret = sys_copy_path(t, arg_uaddr(a, 0), &path);

	if (ret < 0)
		return ret;
	ret = vfs_chroot(t, path);
	free(path);
	return ret;
}

long sys_fchdir(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f)
		return -EBADF;
	ret = vfs_fchdir(t, f);
	file_put(f);
	return ret;
}

static long do_mkdirat(struct task *t, int dirfd, uaddr_t upath, unsigned mode)
{
	char *path = NULL;
	long ret = sys_copy_path(t, upath, &path);

	if (ret < 0)
		return ret;
	ret = vfs_mkdirat(t, dirfd, path, mode);
	free(path);
	return ret;
}

long sys_mkdir(struct task *t, const struct sysargs *a)
{
	return do_mkdirat(t, AT_FDCWD, arg_uaddr(a, 0), arg_uint(a, 1));
}

long sys_mkdirat(struct task *t, const struct sysargs *a)
{
	return do_mkdirat(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uint(a, 2));
}

/* The dev argument is the kernel's 32-bit encoding (12-bit major, 20-bit minor). */
static long do_mknodat(struct task *t, int dirfd, uaddr_t upath, unsigned mode, unsigned dev)
{
	dev_t rdev = makedev((dev & 0xfff00) >> 8, (dev & 0xff) | ((dev >> 12) & 0xfff00));
	char *path = NULL;
	long ret = sys_copy_path(t, upath, &path);

	if (ret < 0)
		return ret;
	ret = vfs_mknodat(t, dirfd, path, mode, rdev);
	free(path);
	return ret;
}

long sys_mknod(struct task *t, const struct sysargs *a)
{
	return do_mknodat(t, AT_FDCWD, arg_uaddr(a, 0), arg_uint(a, 1), arg_uint(a, 2));
}

long sys_mknodat(struct task *t, const struct sysargs *a)
{
	return do_mknodat(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uint(a, 2), arg_uint(a, 3));
}

static long do_unlinkat(struct task *t, int dirfd, uaddr_t upath, int flags)
{
	char *path = NULL;
	long ret;

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	ret = sys_copy_path(t, upath, &path);
	if (ret < 0)
		return ret;
	ret = vfs_unlinkat(t, dirfd, path, flags);
	free(path);
	return ret;
}

long sys_unlink(struct task *t, const struct sysargs *a)
{
	return do_unlinkat(t, AT_FDCWD, arg_uaddr(a, 0), 0);
}

long sys_unlinkat(struct task *t, const struct sysargs *a)
{
	return do_unlinkat(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2));
}

long sys_rmdir(struct task *t, const struct sysargs *a)
{
	return do_unlinkat(t, AT_FDCWD, arg_uaddr(a, 0), AT_REMOVEDIR);
}

/* Copy two paths in; on success both must be freed. */
static long copy_two(struct task *t, uaddr_t u1, uaddr_t u2, char **p1, char **p2)
{
	long ret = sys_copy_path(t, u1, p1);

	if (ret < 0)
		return ret;
	ret = sys_copy_path(t, u2, p2);
	if (ret < 0)
		free(*p1);
	return ret;
}

static long do_renameat2(struct task *t, int odfd, uaddr_t uold, int ndfd, uaddr_t unew,
			 unsigned flags)
{
	char *oldp, *newp;
	long ret = copy_two(t, uold, unew, &oldp, &newp);

	if (ret < 0)
		return ret;
	ret = vfs_renameat2(t, odfd, oldp, ndfd, newp, flags);
	free(oldp);
	free(newp);
	return ret;
}

long sys_rename(struct task *t, const struct sysargs *a)
{
	return do_renameat2(t, AT_FDCWD, arg_uaddr(a, 0), AT_FDCWD, arg_uaddr(a, 1), 0);
}

long sys_renameat(struct task *t, const struct sysargs *a)
{
	return do_renameat2(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), arg_uaddr(a, 3), 0);
}

long sys_renameat2(struct task *t, const struct sysargs *a)
{
	return do_renameat2(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), arg_uaddr(a, 3),
			    arg_uint(a, 4));
}

static long do_symlinkat(struct task *t, uaddr_t utarget, int dirfd, uaddr_t upath)
{
	char *target, *path;
	long ret = copy_two(t, utarget, upath, &target, &path);

	if (ret < 0)
		return ret;
	ret = vfs_symlinkat(t, target, dirfd, path);
	free(target);
	free(path);
	return ret;
}

long sys_symlink(struct task *t, const struct sysargs *a)
{
	return do_symlinkat(t, arg_uaddr(a, 0), AT_FDCWD, arg_uaddr(a, 1));
}

long sys_symlinkat(struct task *t, const struct sysargs *a)
{
	return do_symlinkat(t, arg_uaddr(a, 0), arg_int(a, 1), arg_uaddr(a, 2));
}

static long do_linkat(struct task *t, int odfd, uaddr_t uold, int ndfd, uaddr_t unew, int flags)
{
	char *oldp, *newp;
	long ret;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	ret = copy_two(t, uold, unew, &oldp, &newp);
	if (ret < 0)
		return ret;
	ret = vfs_linkat(t, odfd, oldp, ndfd, newp, flags);
	free(oldp);
	free(newp);
	return ret;
}

long sys_link(struct task *t, const struct sysargs *a)
{
	return do_linkat(t, AT_FDCWD, arg_uaddr(a, 0), AT_FDCWD, arg_uaddr(a, 1), 0);
}

long sys_linkat(struct task *t, const struct sysargs *a)
{
	return do_linkat(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), arg_uaddr(a, 3),
			 arg_int(a, 4));
}
