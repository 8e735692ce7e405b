/* sys_lock.c: flock(2) and fcntl's record-lock and seal commands; memfd_create. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#include "sentry/fs/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/lock.h"
#include "sentry/vfs/vfs_internal.h"

long sys_flock(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f)
		return -EBADF;
	ret = lock_flock(t, f, arg_int(a, 1));
	file_put(f);
	return ret;
}

long sys_fcntl_lock(struct task *t, struct file *f, int cmd, uint64_t arg)
{
	struct flock fl;
	long ret;

	switch (cmd) {
	case F_ADD_SEALS:
		return memfd_add_seals(f, (unsigned)arg);
	case F_GET_SEALS:
		return memfd_get_seals(f);
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		break;
	default:
		return -EINVAL;
	}
	if (copy_from_user(t, &fl, uaddr(arg), sizeof(fl)))
		return -EFAULT;
	ret = lock_fcntl(t, f, cmd, &fl);
	if (ret == 0 && (cmd == F_GETLK || cmd == F_OFD_GETLK) &&
	    copy_to_user(t, uaddr(arg), &fl, sizeof(fl)))
		return -EFAULT;
	return ret;
}

long sys_memfd_create(struct task *t, const struct sysargs *a)
{
	unsigned flags = arg_uint(a, 1);
	char name[256];
	struct file *f;
	long ret;

	ret = strncpy_from_user(t, name, arg_uaddr(a, 0), sizeof(name));
	if (ret == -ENAMETOOLONG)
		return -EINVAL; /* longer than any allowed name */
	if (ret < 0)
		return ret;
	ret = memfd_new(t, name, flags, &f);
	if (ret < 0)
		return ret;
	ret = fdtable_alloc(t, t->files, f, 0, flags & MFD_CLOEXEC);
	file_put(f);
	return ret;
}
