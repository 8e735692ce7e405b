/* sys_epoll.c: epoll_create, epoll_create1, epoll_ctl, epoll_wait, epoll_pwait and
 * epoll_pwait2: argument checks and copies around sentry/fs/epoll.c. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

#include "sentry/fs/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"

#define EP_MAX_EVENTS ((int)(INT_MAX / sizeof(struct epoll_event)))
#define EP_BATCH 1024 /* events returned by one call at most (fewer is allowed) */

static long do_epoll_create(struct task *t, int flags)
{
	struct file *f;
	long ret;

	if (flags & ~EPOLL_CLOEXEC)
		return -EINVAL;
	ret = eventpoll_create(&f);
	if (ret < 0)
		return ret;
	ret = fdtable_alloc(t, t->files, f, 0, flags & EPOLL_CLOEXEC);
	file_put(f);
	return ret;
}

long sys_epoll_create(struct task *t, const struct sysargs *a)
{
	if (arg_int(a, 0) <= 0)
		return -EINVAL;
	return do_epoll_create(t, 0);
}

long sys_epoll_create1(struct task *t, const struct sysargs *a)
{
	return do_epoll_create(t, arg_int(a, 0));
}

long sys_epoll_ctl(struct task *t, const struct sysargs *a)
{
	int op = arg_int(a, 1), fd = arg_int(a, 2);
	struct epoll_event ev = {0};
	struct file *ep, *target;
	long ret;

	if (op != EPOLL_CTL_DEL && copy_from_user(t, &ev, arg_uaddr(a, 3), sizeof(ev)))
		return -EFAULT;
	ep = sys_fd_file(t, arg_int(a, 0));
	if (!ep)
		return -EBADF;
	target = sys_fd_file(t, fd);
	if (!target) {
		file_put(ep);
		return -EBADF;
	}
	ret = eventpoll_ctl(t, ep, op, fd, target, &ev);
	file_put(target);
	file_put(ep);
	return ret;
}

/* The common wait: deadline NULL = forever; signals give EINTR (never restarted). */
static long do_epoll_wait(struct task *t, int epfd, uaddr_t uevs, int max,
			  const struct timespec *deadline)
{
	struct epoll_event *evs;
	struct file *ep;
	long ret;

	if (max <= 0 || max > EP_MAX_EVENTS)
		return -EINVAL;
	ep = sys_fd_file(t, epfd);
	if (!ep)
		return -EBADF;
	if (!file_is_epoll(ep)) {
		file_put(ep);
		return -EINVAL;
	}
	max = MIN(max, EP_BATCH);
	evs = xcalloc((size_t)max, sizeof(*evs));
	ret = eventpoll_wait(t, ep, evs, max, deadline);
	if (ret > 0 && copy_to_user(t, uevs, evs, (size_t)ret * sizeof(*evs)))
		ret = -EFAULT;
	free(evs);
	file_put(ep);
	return ret;
}

static long epoll_wait_ms(struct task *t, const struct sysargs *a, int timeout)
{
	struct timespec deadline;

	if (timeout < 0)
		return do_epoll_wait(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), NULL);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout / 1000;
	deadline.tv_nsec += (long)(timeout % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_nsec -= 1000000000L;
		deadline.tv_sec++;
	}
	return do_epoll_wait(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), &deadline);
}

long sys_epoll_wait(struct task *t, const struct sysargs *a)
{
	return epoll_wait_ms(t, a, arg_int(a, 3));
}

long sys_epoll_pwait(struct task *t, const struct sysargs *a)
{
	long ret = signal_begin_wait_mask(t, arg_uaddr(a, 4), arg_u64(a, 5));

	if (ret < 0)
		return ret;
	ret = epoll_wait_ms(t, a, arg_int(a, 3));
	signal_end_wait_mask(t, ret);
	return ret;
}

long sys_epoll_pwait2(struct task *t, const struct sysargs *a)
{
	uaddr_t uts = arg_uaddr(a, 3);
	struct timespec ts, deadline, now;
	long ret;

	if (!uaddr_is_null(uts)) {
		if (copy_from_user(t, &ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
	}
	ret = signal_begin_wait_mask(t, arg_uaddr(a, 4), arg_u64(a, 5));
	if (ret < 0)
		return ret;
	if (!uaddr_is_null(uts)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		deadline.tv_sec = now.tv_sec + ts.tv_sec;
		deadline.tv_nsec = now.tv_nsec + ts.tv_nsec;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_nsec -= 1000000000L;
			deadline.tv_sec++;
		}
	}
	ret = do_epoll_wait(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2),
			    uaddr_is_null(uts) ? NULL : &deadline);
	signal_end_wait_mask(t, ret);
	return ret;
}
