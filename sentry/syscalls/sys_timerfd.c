/* sys_timerfd.c: timerfd_create, timerfd_settime, timerfd_gettime. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <sys/timerfd.h>

#include "sentry/fs/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"

long sys_timerfd_create(struct task *t, const struct sysargs *a)
{
	int flags = arg_int(a, 1);
	struct file *f;
	long ret = timerfd_new(arg_int(a, 0), flags, &f);

	if (ret < 0)
		return ret;
	ret = fdtable_alloc(t, t->files, f, 0, flags & TFD_CLOEXEC);
	file_put(f);
	return ret;
}

long sys_timerfd_settime(struct task *t, const struct sysargs *a)
{
	uaddr_t uold = arg_uaddr(a, 3);
	struct itimerspec nv, old;
	struct file *f;
	long ret;

	if (copy_from_user(t, &nv, arg_uaddr(a, 2), sizeof(nv)))
		return -EFAULT;
	f = sys_fd_file(t, arg_int(a, 0));
	if (!f)
		return -EBADF;
	ret = timerfd_set(f, arg_int(a, 1), &nv, &old);
	file_put(f);
	if (ret == 0 && !uaddr_is_null(uold) && copy_to_user(t, uold, &old, sizeof(old)))
		ret = -EFAULT;
	return ret;
}

long sys_timerfd_gettime(struct task *t, const struct sysargs *a)
{
	struct itimerspec cur;
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f)
		return -EBADF;
	ret = timerfd_get(f, &cur);
	file_put(f);
	if (ret == 0 && copy_to_user(t, arg_uaddr(a, 1), &cur, sizeof(cur)))
		ret = -EFAULT;
	return ret;
}
