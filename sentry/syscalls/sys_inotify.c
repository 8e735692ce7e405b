/* sys_inotify.c: inotify_init, inotify_init1, inotify_add_watch, inotify_rm_watch. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/inotify.h>

#include "sentry/fs/inotify.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

static long do_inotify_init(struct task *t, int flags)
{
	struct file *f;
	long ret = inotify_new(flags, &f);

	if (ret < 0)
		return ret;
	ret = fdtable_alloc(t, t->files, f, 0, flags & IN_CLOEXEC);
	file_put(f);
	return ret;
}

long sys_inotify_init(struct task *t, const struct sysargs *a)
{
	return do_inotify_init(t, 0);
}

long sys_inotify_init1(struct task *t, const struct sysargs *a)
{
	return do_inotify_init(t, arg_int(a, 0));
}

long sys_inotify_add_watch(struct task *t, const struct sysargs *a)
{
	uint32_t mask = arg_uint(a, 2);
	unsigned lookup = 0;
	struct file *f;
	struct path p;
	char *path;
	long ret;

	/* Linux checks the mask before the fd and the path. */
	if (!(mask & IN_ALL_EVENTS) || ((mask & IN_MASK_ADD) && (mask & IN_MASK_CREATE)))
		return -EINVAL;
	f = sys_fd_file(t, arg_int(a, 0));
	if (!f)
		return -EBADF;
	ret = sys_copy_path(t, arg_uaddr(a, 1), &path);
	if (ret < 0)
		goto out_put;
	if (!(mask & IN_DONT_FOLLOW))
		lookup |= LOOKUP_FOLLOW;
	if (mask & IN_ONLYDIR)
		lookup |= LOOKUP_DIRECTORY;
	ret = vfs_lookupat(t, AT_FDCWD, path, lookup, &p);
	if (ret < 0)
		goto out_free;
	ret = vfs_permission(task_fs_creds(t), p.dentry, MAY_READ);
	if (ret == 0)
		ret = inotify_watch_add(f, &p, mask);
	path_put(&p);
out_free:
	free(path);
out_put:
	file_put(f);
	return ret;
}

long sys_inotify_rm_watch(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f)
		return -EBADF;
	ret = inotify_watch_rm(f, arg_int(a, 1));
	file_put(f);
	return ret;
}
