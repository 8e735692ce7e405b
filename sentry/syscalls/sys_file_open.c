/* sys_file_open.c: open, openat, creat, close, close_range, and the shared path/fd helpers. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <stdlib.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

int sys_copy_path(struct task *t, uaddr_t upath, char **out)
{
	char *buf = xmalloc(VFS_PATH_MAX);
	long n = strncpy_from_user(t, buf, upath, VFS_PATH_MAX);

	if (n < 0) {
		free(buf);
		return (int)n;
	}
	*out = buf;
	return 0;
}

struct file *sys_fd_file(struct task *t, int fd)
{
	return fdtable_get(t->files, fd);
}

long sys_do_openat(struct task *t, int dirfd, uaddr_t upath, int flags, unsigned mode)
{
	struct file *f;
	char *path = NULL;
	long ret = sys_copy_path(t, upath, &path);

	if (ret < 0)
		return ret;
	ret = vfs_openat(t, dirfd, path, flags, mode, &f);
	free(path);
	if (ret < 0)
		return ret;
	ret = fdtable_alloc(t, t->files, f, 0, flags & O_CLOEXEC);
	file_put(f);
	return ret;
}

long sys_open(struct task *t, const struct sysargs *a)
{
	return sys_do_openat(t, AT_FDCWD, arg_uaddr(a, 0), arg_int(a, 1), arg_uint(a, 2));
}

long sys_openat(struct task *t, const struct sysargs *a)
{
	return sys_do_openat(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), arg_uint(a, 3));
}

long sys_creat(struct task *t, const struct sysargs *a)
{
	return sys_do_openat(t, AT_FDCWD, arg_uaddr(a, 0), O_CREAT | O_WRONLY | O_TRUNC,
			     arg_uint(a, 1));
}

long sys_close(struct task *t, const struct sysargs *a)
{
	return fdtable_close(t->files, arg_int(a, 0));
}

long sys_close_range(struct task *t, const struct sysargs *a)
{
	unsigned first = arg_uint(a, 0), last = arg_uint(a, 1), flags = arg_uint(a, 2);
	struct fdtable *ft;

	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	if (flags & CLOSE_RANGE_UNSHARE) {
		ft = fdtable_fork(t->files, false);
		fdtable_put(t->files);
		t->files = ft;
	}
	fdtable_close_range(t->files, first, last, flags & CLOSE_RANGE_CLOEXEC);
	return 0;
}
