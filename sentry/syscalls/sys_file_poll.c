/* sys_file_poll.c: poll and ppoll over any files: pipes block on their wait queues, host
 * fds (and sets with more queues than a task can wait on) are re-polled every few ms. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>

#include "sentry/fs/anon.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define POLL_MAX_QUEUES 8	 /* task_block_many's limit */
#define POLL_SLICE_NS 10000000L	 /* re-poll host fds every 10 ms */

struct poll_state {
	struct waitq *qs[POLL_MAX_QUEUES];
	int nq;
	bool must_repoll; /* a file without a queue, or too many queues */
};

static void add_queue(struct poll_state *ps, struct waitq *q)
{
	for (int i = 0; i < ps->nq; i++)
		if (ps->qs[i] == q)
			return;
	if (ps->nq == POLL_MAX_QUEUES) {
		ps->must_repoll = true;
		return;
	}
	ps->qs[ps->nq++] = q;
}

/* One pass over the fds: fill revents, return how many are ready. */
static int poll_once(struct task *t, struct pollfd *pfds, unsigned n, struct poll_state *ps)
{
	int ready = 0;

	ps->nq = 0;
	ps->must_repoll = false;
	for (unsigned i = 0; i < n; i++) {
		struct waitq *q = NULL;
		struct file *f;
		unsigned mask;

		pfds[i].revents = 0;
		if (pfds[i].fd < 0)
			continue;
		f = sys_fd_file(t, pfds[i].fd);
		if (!f) {
			pfds[i].revents = POLLNVAL;
			ready++;
			continue;
		}
		mask = vfs_poll(t, f, &q);
		file_put(f);
		pfds[i].revents = (short)(mask & ((unsigned)(uint16_t)pfds[i].events | POLLERR |
						  POLLHUP | POLLNVAL));
		if (pfds[i].revents) {
			ready++;
		} else if (q) {
			add_queue(ps, q);
		} else {
			ps->must_repoll = true;
		}
	}
	return ready;
}

static void ts_add_ns(struct timespec *ts, long ns)
{
	ts->tv_nsec += ns;
	while (ts->tv_nsec >= 1000000000L) {
		ts->tv_nsec -= 1000000000L;
		ts->tv_sec++;
	}
}

static bool ts_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Poll until something is ready, the deadline (NULL: none) passes, or a signal. */
static long do_poll(struct task *t, uaddr_t ufds, unsigned n, const struct timespec *deadline)
{
	struct pollfd *pfds;
	struct poll_state ps;
	struct timespec now, until;
	long ret;

	if (n > (unsigned)fdtable_max_fds(t))
		return -EINVAL;
	pfds = xcalloc(n ? n : 1, sizeof(*pfds));
	if (copy_from_user(t, pfds, ufds, n * sizeof(*pfds))) {
		free(pfds);
		return -EFAULT;
	}
	for (;;) {
		struct timespec noted;
		bool timed;

		poll_deadline_reset();
		ret = poll_once(t, pfds, n, &ps);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ret > 0 || (deadline && !ts_before(&now, deadline)))
			break;
		until = now;
		ts_add_ns(&until, POLL_SLICE_NS);
		if (deadline && ts_before(deadline, &until))
			until = *deadline;
		timed = deadline || ps.must_repoll;
		/* A timerfd's next expiry: nobody wakes its queue then. */
		if (poll_deadline_get(&noted) && (!timed || ts_before(&noted, &until))) {
			until = noted;
			timed = true;
		}
		ret = task_block_many(t, ps.qs, ps.nq, timed ? &until : NULL);
		if (ret == -EINTR) {
			ret = -ERESTARTNOHAND;
			break;
		}
	}
	if (ret >= 0 && copy_to_user(t, ufds, pfds, n * sizeof(*pfds)))
		ret = -EFAULT;
	free(pfds);
	return ret;
}

long sys_poll(struct task *t, const struct sysargs *a)
{
	int timeout = arg_int(a, 2);
	struct timespec deadline;

	if (timeout < 0)
		return do_poll(t, arg_uaddr(a, 0), arg_uint(a, 1), NULL);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout / 1000;
	ts_add_ns(&deadline, (long)(timeout % 1000) * 1000000L);
	return do_poll(t, arg_uaddr(a, 0), arg_uint(a, 1), &deadline);
}

long sys_ppoll(struct task *t, const struct sysargs *a)
{
	uaddr_t uts = arg_uaddr(a, 2), umask = arg_uaddr(a, 3);
	struct timespec ts, deadline;
	long ret;

	if (!uaddr_is_null(uts)) {
		if (copy_from_user(t, &ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += ts.tv_sec;
		ts_add_ns(&deadline, ts.tv_nsec);
	}
	ret = signal_begin_wait_mask(t, umask, arg_u64(a, 4));
	if (ret)
		return ret;
	ret = do_poll(t, arg_uaddr(a, 0), arg_uint(a, 1), uaddr_is_null(uts) ? NULL : &deadline);
	signal_end_wait_mask(t, ret);
	/* ppoll writes back the time left; Linux does this unless the timeout was NULL. */
	if (!uaddr_is_null(uts) && ret != -EFAULT) {
		struct timespec now, left = {0, 0};

		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ts_before(&now, &deadline)) {
			left.tv_sec = deadline.tv_sec - now.tv_sec;
			left.tv_nsec = deadline.tv_nsec - now.tv_nsec;
			if (left.tv_nsec < 0) {
				left.tv_nsec += 1000000000L;
				left.tv_sec--;
			}
		}
		if (copy_to_user(t, uts, &left, sizeof(left)))
			ret = ret >= 0 ? ret : -EFAULT;
	}
	return ret;
}
