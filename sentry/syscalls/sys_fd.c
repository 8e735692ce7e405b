/* sys_fd.c: the fd table and fd-level controls: dup, dup2, dup3, fcntl, pipe, pipe2, ioctl. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/ioctl.h>

#include "sentry/fs/dnotify.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/fown.h"
#include "sentry/vfs/lease.h"
#include "sentry/vfs/vfs_internal.h"

long sys_dup(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f)
		return -EBADF;
	ret = fdtable_alloc(t, t->files, f, 0, false);
	file_put(f);
	return ret;
}

static long do_dup3(struct task *t, int oldfd, int newfd, bool cloexec)
{
	struct file *f = sys_fd_file(t, oldfd);
	long ret;

	if (!f)
		return -EBADF;
	if (newfd < 0 || newfd >= fdtable_max_fds(t))
		ret = -EBADF;
	else
		ret = fdtable_install_at(t->files, newfd, f, cloexec);
	file_put(f);
	return ret;
}

long sys_dup2(struct task *t, const struct sysargs *a)
{
	int oldfd = arg_int(a, 0), newfd = arg_int(a, 1);

	if (oldfd == newfd) {
		struct file *f = sys_fd_file(t, oldfd);

		if (!f)
			return -EBADF;
		file_put(f);
		return newfd;
	}
	return do_dup3(t, oldfd, newfd, false);
}

long sys_dup3(struct task *t, const struct sysargs *a)
{
	int oldfd = arg_int(a, 0), newfd = arg_int(a, 1), flags = arg_int(a, 2);

	if (flags & ~O_CLOEXEC)
		return -EINVAL;
	if (oldfd == newfd)
		return -EINVAL;
	return do_dup3(t, oldfd, newfd, flags & O_CLOEXEC);
}

static long fcntl_dupfd(struct task *t, struct file *f, long min, bool cloexec)
{
	if (min < 0 || min >= fdtable_max_fds(t))
		return -EINVAL;
	return fdtable_alloc(t, t->files, f, (int)min, cloexec);
}

/* Status flags, and O_ASYNC's signalling with them. */
static long fcntl_setfl(struct task *t, struct file *f, int fd, int flags)
{
	struct kstat st;
	int ret;

	/* Turning on O_NOATIME needs ownership (or CAP_FOWNER), as at open. */
	if ((flags & O_NOATIME) && !(f->flags & O_NOATIME) && f->path.dentry &&
	    vfs_getattr(f->path.dentry, &st) == 0 && !vfs_is_owner(task_fs_creds(t), &st))
		return -EPERM;
	ret = file_set_status_flags(f, flags);

	if (ret == 0)
		fown_async_update(f, fd);
	return ret;
}

static long do_fcntl(struct task *t, int fd, struct file *f, int cmd, uint64_t arg)
{
	bool path_only = f->fmode & FMODE_PATH;

	switch (cmd) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		return fcntl_dupfd(t, f, (int)arg, cmd == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return fdtable_get_cloexec(t->files, fd) > 0 ? FD_CLOEXEC : 0;
	case F_SETFD:
		return fdtable_set_cloexec(t->files, fd, arg & FD_CLOEXEC);
	case F_GETFL:
		return f->flags;
	case F_SETFL:
		return path_only ? -EBADF : fcntl_setfl(t, f, fd, (int)arg);
	case F_GETPIPE_SZ:
		return path_only ? -EBADF : pipe_get_size(f);
	case F_SETPIPE_SZ:
		return path_only ? -EBADF : pipe_set_size(f, (unsigned)arg,
							 caps_capable(t, CAP_SYS_RESOURCE));
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
	case F_ADD_SEALS:
	case F_GET_SEALS:
		return sys_fcntl_lock(t, f, cmd, arg);
	case F_SETOWN:
	case F_GETOWN:
	case F_SETOWN_EX:
	case F_GETOWN_EX:
	case F_SETSIG:
	case F_GETSIG:
		return path_only ? -EBADF : fown_fcntl(t, f, cmd, arg);
	case F_NOTIFY:
		return path_only ? -EBADF : dnotify_fcntl(t, t->files, fd, f, (unsigned long)arg);
	case F_SETLEASE:
	case F_GETLEASE:
		return path_only ? -EBADF : lease_fcntl(t, fd, f, cmd, (long)arg);
	default:
		return -EINVAL;
	}
}

long sys_fcntl(struct task *t, const struct sysargs *a)
{
	int fd = arg_int(a, 0);
	struct file *f = sys_fd_file(t, fd);
	long ret;

	if (!f)
		return -EBADF;
	ret = do_fcntl(t, fd, f, arg_int(a, 1), arg_u64(a, 2));
	file_put(f);
	return ret;
}

static long do_pipe2(struct task *t, uaddr_t ufds, int flags)
{
	struct file *rd, *wr;
	int fds[2];
	long ret = pipe_create(flags, &rd, &wr);

	if (ret < 0)
		return ret;
	fds[0] = fdtable_alloc(t, t->files, rd, 0, flags & O_CLOEXEC);
	fds[1] = fds[0] < 0 ? -1 : fdtable_alloc(t, t->files, wr, 0, flags & O_CLOEXEC);
	if (fds[0] < 0 || fds[1] < 0) {
		ret = fds[0] < 0 ? fds[0] : fds[1];
	} else if (copy_to_user(t, ufds, fds, sizeof(fds))) {
		ret = -EFAULT;
	}
	if (ret < 0) {
		if (fds[0] >= 0)
			fdtable_close(t->files, fds[0]);
		if (fds[1] >= 0)
			fdtable_close(t->files, fds[1]);
	}
	file_put(rd);
	file_put(wr);
	return ret;
}

long sys_pipe(struct task *t, const struct sysargs *a)
{
	return do_pipe2(t, arg_uaddr(a, 0), 0);
}

long sys_pipe2(struct task *t, const struct sysargs *a)
{
	return do_pipe2(t, arg_uaddr(a, 0), arg_int(a, 1));
}

long sys_ioctl(struct task *t, const struct sysargs *a)
{
	int fd = arg_int(a, 0);
	unsigned cmd = arg_uint(a, 1);
	uint64_t arg = arg_u64(a, 2);
	struct file *f = sys_fd_file(t, fd);
	int on;
	long ret;

	if (!f)
		return -EBADF;
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		ret = fdtable_set_cloexec(t->files, fd, cmd == FIOCLEX);
		break;
	case FIONBIO:
	case FIOASYNC:
		ret = copy_from_user(t, &on, uaddr(arg), sizeof(on));
		if (ret == 0 && (f->fmode & FMODE_PATH))
			ret = -EBADF;
		if (ret == 0) {
			int bit = cmd == FIONBIO ? O_NONBLOCK : O_ASYNC;

			ret = fcntl_setfl(t, f, fd, on ? (f->flags | bit) : (f->flags & ~bit));
		}
		break;
	default:
		ret = vfs_ioctl(t, f, cmd, arg);
		break;
	}
	file_put(f);
	return ret;
}
