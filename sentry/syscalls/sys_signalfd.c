/* sys_signalfd.c: signalfd and signalfd4: a new signalfd, or a new mask for one. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <sys/signalfd.h>

#include "sentry/fs/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"

static long do_signalfd(struct task *t, int fd, uaddr_t umask, uint64_t size, int flags)
{
	struct file *f;
	sigmask_t mask;
	long ret;

	if (size != sizeof(sigmask_t))
		return -EINVAL;
	if (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC))
		return -EINVAL;
	if (copy_from_user(t, &mask, umask, sizeof(mask)))
		return -EFAULT;
	if (fd != -1) {
		f = sys_fd_file(t, fd);
		if (!f)
			return -EBADF;
		ret = signalfd_set_mask(f, mask);
		file_put(f);
		return ret < 0 ? ret : fd;
	}
	ret = signalfd_new(mask, flags, &f);
	if (ret < 0)
		return ret;
	ret = fdtable_alloc(t, t->files, f, 0, flags & SFD_CLOEXEC);
	file_put(f);
	return ret;
}

long sys_signalfd(struct task *t, const struct sysargs *a)
{
	return do_signalfd(t, arg_int(a, 0), arg_uaddr(a, 1), arg_u64(a, 2), 0);
}

long sys_signalfd4(struct task *t, const struct sysargs *a)
{
	return do_signalfd(t, arg_int(a, 0), arg_uaddr(a, 1), arg_u64(a, 2), arg_int(a, 3));
}
