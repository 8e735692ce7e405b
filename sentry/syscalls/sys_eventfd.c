/* sys_eventfd.c: eventfd, eventfd2: make the file and install it. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/eventfd.h>

#include "sentry/fs/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"

static long do_eventfd(struct task *t, unsigned initval, int flags)
{
	struct file *f;
	long ret = eventfd_create(initval, flags, &f);

	if (ret < 0)
		return ret;
	ret = fdtable_alloc(t, t->files, f, 0, flags & EFD_CLOEXEC);
	file_put(f);
	return ret;
}

long sys_eventfd(struct task *t, const struct sysargs *a)
{
	return do_eventfd(t, arg_uint(a, 0), 0);
}

long sys_eventfd2(struct task *t, const struct sysargs *a)
{
	return do_eventfd(t, arg_uint(a, 0), arg_int(a, 1));
}
