/* sys_select.c: select and pselect6. Each pass polls every fd in the sets; between passes
 * the caller sleeps on one private queue that hooks on the files' queues wake, so any
 * number of files can be watched (host fds without a queue are re-polled every 10 ms). */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sentry/fs/anon.h"
#include "sentry/kernel/sched.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define SEL_SLICE_NS 10000000L
#define SEL_IN (POLLIN | POLLRDNORM | POLLRDBAND | POLLHUP | POLLERR)
#define SEL_OUT (POLLOUT | POLLWRNORM | POLLWRBAND | POLLERR)
#define SEL_EX POLLPRI

struct sel_hook {
	struct waitq_hook hook;
	struct waitq *wake; /* the selecting task's private queue */
};

struct sel_state {
	int nfds;
	size_t words;		 /* 64-bit words per set */
	uint64_t *in[3], *out[3]; /* read, write, except: requested and result */
	struct waitq wq;
	struct sel_hook *hooks;	 /* one per fd at most */
	int nhooks;
	bool repoll;
};

static void sel_hook_fn(struct waitq_hook *h)
{
	waitq_wake_all(((struct sel_hook *)h)->wake);
}

static void sel_add_hook(struct sel_state *s, struct waitq *q)
{
	s->hooks[s->nhooks].hook.fn = sel_hook_fn;
	s->hooks[s->nhooks].wake = &s->wq;
	waitq_hook_add(q, &s->hooks[s->nhooks].hook);
	s->nhooks++;
}

static void sel_drop_hooks(struct sel_state *s)
{
	for (int i = 0; i < s->nhooks; i++)
		waitq_hook_del(&s->hooks[i].hook);
	s->nhooks = 0;
}

static bool bit_get(const uint64_t *set, int fd)
{
	return set && (set[fd / 64] >> (fd % 64)) & 1;
}

static void bit_set(uint64_t *set, int fd)
{
	set[fd / 64] |= 1ULL << (fd % 64);
}

/* One pass: fill the result sets; returns the number of bits set or -EBADF. */
static int sel_once(struct task *t, struct sel_state *s)
{
	static const unsigned want[3] = {SEL_IN, SEL_OUT, SEL_EX};
	int count = 0;

	sel_drop_hooks(s);
	s->repoll = false;
	for (int k = 0; k < 3; k++)
		if (s->out[k])
			memset(s->out[k], 0, s->words * 8);
	for (int fd = 0; fd < s->nfds; fd++) {
		struct waitq *q = NULL;
		struct file *f;
		unsigned mask;

		if (!bit_get(s->in[0], fd) && !bit_get(s->in[1], fd) && !bit_get(s->in[2], fd))
			continue;
		f = sys_fd_file(t, fd);
		if (!f)
			return -EBADF;
		mask = vfs_poll(t, f, &q);
		file_put(f);
		for (int k = 0; k < 3; k++) {
			if (bit_get(s->in[k], fd) && (mask & want[k])) {
				bit_set(s->out[k], fd);
				count++;
			}
		}
		if (q)
			sel_add_hook(s, q);
		else
			s->repoll = true;
	}
	return count;
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
static long sel_loop(struct task *t, struct sel_state *s, const struct timespec *deadline)
{
	struct timespec now, until;
	long ret;

	for (;;) {
		struct timespec noted;
		bool timed;

		poll_deadline_reset();
		ret = sel_once(t, s);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ret != 0 || (deadline && !ts_before(&now, deadline)))
			break;
		until = now;
		ts_add_ns(&until, SEL_SLICE_NS);
		if (deadline && ts_before(deadline, &until))
			until = *deadline;
		timed = deadline || s->repoll;
		if (!s->repoll && deadline)
			until = *deadline;
		if (poll_deadline_get(&noted) && (!timed || ts_before(&noted, &until))) {
			until = noted;
			timed = true;
		}
		ret = task_block(t, &s->wq, timed ? &until : NULL);
		if (ret == -EINTR) {
			ret = -ERESTARTNOHAND;
			break;
		}
	}
	sel_drop_hooks(s);
	return ret;
}

/* Copy the sets in, wait, copy the results out. */
static long do_select(struct task *t, int nfds, const uaddr_t usets[3],
		      const struct timespec *deadline)
{
	struct sel_state s = {0};
	size_t size;
	long ret = 0;

	if (nfds < 0 || nfds > fdtable_max_fds(t))
		return -EINVAL;
	s.nfds = nfds;
	s.words = ((size_t)nfds + 63) / 64;
	size = s.words * 8;
	waitq_init(&s.wq);
	s.hooks = xcalloc((size_t)nfds + 1, sizeof(*s.hooks));
	for (int k = 0; k < 3; k++) {
		if (uaddr_is_null(usets[k]))
			continue;
		s.in[k] = xcalloc(s.words + 1, 8);
		s.out[k] = xcalloc(s.words + 1, 8);
		if (copy_from_user(t, s.in[k], usets[k], size))
			ret = -EFAULT;
	}
	if (ret == 0)
		ret = sel_loop(t, &s, deadline);
	for (int k = 0; k < 3 && ret >= 0; k++)
		if (s.out[k] && copy_to_user(t, usets[k], s.out[k], size))
			ret = -EFAULT;
	for (int k = 0; k < 3; k++) {
		free(s.in[k]);
		free(s.out[k]);
	}
	free(s.hooks);
	return ret;
}

/* The time left until deadline (zero once passed). */
static struct timespec time_left(const struct timespec *deadline)
{
	struct timespec now, left = {0, 0};

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (ts_before(&now, deadline)) {
		left.tv_sec = deadline->tv_sec - now.tv_sec;
		left.tv_nsec = deadline->tv_nsec - now.tv_nsec;
		if (left.tv_nsec < 0) {
			left.tv_nsec += 1000000000L;
			left.tv_sec--;
		}
	}
	return left;
}

long sys_select(struct task *t, const struct sysargs *a)
{
	uaddr_t usets[3] = {arg_uaddr(a, 1), arg_uaddr(a, 2), arg_uaddr(a, 3)};
	uaddr_t utv = arg_uaddr(a, 4);
	struct timespec deadline, left;
	struct timeval tv;
	long ret;

	if (uaddr_is_null(utv))
		return do_select(t, arg_int(a, 0), usets, NULL);
	if (copy_from_user(t, &tv, utv, sizeof(tv)))
		return -EFAULT;
	if (tv.tv_sec < 0 || tv.tv_usec < 0)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += tv.tv_sec + tv.tv_usec / 1000000;
	ts_add_ns(&deadline, (tv.tv_usec % 1000000) * 1000L);
	ret = do_select(t, arg_int(a, 0), usets, &deadline);
	/* Linux writes back the time left. */
	left = time_left(&deadline);
	tv.tv_sec = left.tv_sec;
	tv.tv_usec = left.tv_nsec / 1000;
	if (ret != -EFAULT && copy_to_user(t, utv, &tv, sizeof(tv)) && ret >= 0)
		ret = -EFAULT;
	return ret;
}

long sys_pselect6(struct task *t, const struct sysargs *a)
{
	uaddr_t usets[3] = {arg_uaddr(a, 1), arg_uaddr(a, 2), arg_uaddr(a, 3)};
	uaddr_t uts = arg_uaddr(a, 4), usig = arg_uaddr(a, 5);
	struct timespec ts, deadline;
	struct {
		uint64_t mask; /* uaddr of the sigset */
		uint64_t size;
	} sig;
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
	if (!uaddr_is_null(usig)) {
		if (copy_from_user(t, &sig, usig, sizeof(sig)))
			return -EFAULT;
		ret = signal_begin_wait_mask(t, uaddr(sig.mask), sig.size);
		if (ret)
			return ret;
	}
	ret = do_select(t, arg_int(a, 0), usets, uaddr_is_null(uts) ? NULL : &deadline);
	signal_end_wait_mask(t, ret);
	if (!uaddr_is_null(uts) && ret != -EFAULT) {
		ts = time_left(&deadline);
		if (copy_to_user(t, uts, &ts, sizeof(ts)) && ret >= 0)
			ret = -EFAULT;
	}
	return ret;
}
