/* timerfd.c: timerfd(2) without a timer thread: expirations are computed from the clock
 * whenever the timer is read, polled or queried. A blocked read sleeps until the next
 * expiry; a poll pass notes that expiry (poll_deadline_note) so poll, select and epoll
 * wake for it. */
#include "sentry/fs/anon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/timerfd.h>

#include "sentry/kernel/sched.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs_internal.h"

#define NSEC 1000000000LL

struct timerfd {
	clockid_t clock;
	bool armed;
	int64_t next;		/* next expiry, ns on clock */
	int64_t interval;	/* ns, 0 = one-shot */
	uint64_t ticks;		/* expirations not yet read */
	uint64_t ino;
	struct waitq wq;	/* readers; woken by settime */
};

static __thread bool t_poll_has_deadline;
static __thread struct timespec t_poll_deadline;

static const struct file_ops g_timerfd_ops;

void poll_deadline_reset(void)
{
	t_poll_has_deadline = false;
}

static bool ts_less(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

void poll_deadline_note(const struct timespec *mono)
{
	if (!t_poll_has_deadline || ts_less(mono, &t_poll_deadline))
		t_poll_deadline = *mono;
	t_poll_has_deadline = true;
}

bool poll_deadline_get(struct timespec *out)
{
	if (t_poll_has_deadline)
		*out = t_poll_deadline;
	return t_poll_has_deadline;
}

static int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NSEC + ts->tv_nsec;
}

static struct timespec ns_ts(int64_t ns)
{
	return (struct timespec){.tv_sec = ns / NSEC, .tv_nsec = ns % NSEC};
}

static int64_t clock_now(clockid_t c)
{
	struct timespec ts;

	/* The alarm clocks read as their plain counterparts. */
	if (c == CLOCK_REALTIME_ALARM)
		c = CLOCK_REALTIME;
	else if (c == CLOCK_BOOTTIME_ALARM)
		c = CLOCK_BOOTTIME;
	clock_gettime(c, &ts);
	return ts_ns(&ts);
}

/* Fold the expirations that happened by now into ticks. Returns now. */
static int64_t tfd_update(struct timerfd *tf)
{
	int64_t now = clock_now(tf->clock), n;
	uint64_t before = tf->ticks;

	if (!tf->armed || now < tf->next)
		return now;
	if (tf->interval == 0) {
		tf->ticks++;
		tf->armed = false;
	} else {
		n = (now - tf->next) / tf->interval + 1;
		tf->ticks += (uint64_t)n;
		tf->next += n * tf->interval;
	}
	/* Becoming readable is a state change like any other: epoll's edge trigger sees it.
	 * Further expiries before a read are not (Linux's timer sleeps until the read). */
	if (before == 0)
		waitq_wake_all(&tf->wq);
	return now;
}

/* The next expiry as a CLOCK_MONOTONIC time (for sleeping). */
static struct timespec tfd_mono_deadline(struct timerfd *tf, int64_t now)
{
	return ns_ts(clock_now(CLOCK_MONOTONIC) + (tf->next - now));
}

static ssize_t tfd_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	struct timerfd *tf = f->priv;

	if (size < sizeof(uint64_t))
		return -EINVAL;
	for (;;) {
		int64_t now = tfd_update(tf);
		struct timespec deadline;
		int ret;

		if (tf->ticks) {
			memcpy(buf, &tf->ticks, sizeof(uint64_t));
			tf->ticks = 0;
			return sizeof(uint64_t);
		}
		if ((f->flags & O_NONBLOCK) || !t)
			return -EAGAIN;
		deadline = tfd_mono_deadline(tf, now);
		ret = task_block(t, &tf->wq, tf->armed ? &deadline : NULL);
		if (ret == -EINTR)
			return -ERESTARTSYS;
	}
}

static unsigned tfd_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct timerfd *tf = f->priv;
	int64_t now = tfd_update(tf);

	*wq = &tf->wq;
	if (tf->ticks)
		return POLLIN | POLLRDNORM;
	if (tf->armed) {
		struct timespec deadline = tfd_mono_deadline(tf, now);

		poll_deadline_note(&deadline);
	}
	return 0;
}

static int tfd_stat(struct file *f, struct kstat *st)
{
	anon_fill_stat(st, ((struct timerfd *)f->priv)->ino);
	return 0;
}

static void tfd_release(struct file *f)
{
	free(f->priv);
}

static const struct file_ops g_timerfd_ops = {
	.read = tfd_read,
	.fault_record = 1, /* copy_to_iter: the bytes before a fault count */
	.poll = tfd_poll,
	.stat = tfd_stat,
	.release = tfd_release,
};

int timerfd_new(int clockid, int flags, struct file **out)
{
	struct timerfd *tf;
	struct file *f;

	if (flags & ~(TFD_NONBLOCK | TFD_CLOEXEC))
		return -EINVAL;
	if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC &&
	    clockid != CLOCK_BOOTTIME && clockid != CLOCK_REALTIME_ALARM &&
	    clockid != CLOCK_BOOTTIME_ALARM)
		return -EINVAL;
	tf = xcalloc(1, sizeof(*tf));
	tf->clock = clockid;
	tf->ino = anon_next_ino();
	waitq_init(&tf->wq);
	f = file_alloc(O_RDWR | (flags & TFD_NONBLOCK));
	f->ops = &g_timerfd_ops;
	f->priv = tf;
	f->fmode |= FMODE_WHOLE_RECORDS;
	*out = f;
	return 0;
}

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < NSEC;
}

int timerfd_get(struct file *f, struct itimerspec *cur)
{
	struct timerfd *tf = f->priv;
	int64_t now;

	if (f->ops != &g_timerfd_ops)
		return -EINVAL;
	now = tfd_update(tf);
	memset(cur, 0, sizeof(*cur));
	if (tf->armed)
		cur->it_value = ns_ts(tf->next - now > 0 ? tf->next - now : 1);
	cur->it_interval = ns_ts(tf->interval);
	return 0;
}

int timerfd_set(struct file *f, int flags, const struct itimerspec *nv, struct itimerspec *old)
{
	struct timerfd *tf = f->priv;
	int64_t now;

	if (f->ops != &g_timerfd_ops)
		return -EINVAL;
	if (flags & ~(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET))
		return -EINVAL;
	if (!ts_valid(&nv->it_value) || !ts_valid(&nv->it_interval))
		return -EINVAL;
	if (old)
		timerfd_get(f, old);
	now = clock_now(tf->clock);
	tf->ticks = 0;
	tf->interval = ts_ns(&nv->it_interval);
	tf->armed = nv->it_value.tv_sec || nv->it_value.tv_nsec;
	tf->next = ts_ns(&nv->it_value) + ((flags & TFD_TIMER_ABSTIME) ? 0 : now);
	waitq_wake_all(&tf->wq);
	return 0;
}
