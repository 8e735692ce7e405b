/* sys_timer.c: itimers, alarm, POSIX timers, times and getrusage. */
#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/times.h>
#include <time.h>

#include "sentry/kernel/cputime.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define NS_PER_SEC 1000000000ULL
#define NS_PER_TICK 10000000ULL /* USER_HZ = 100 */

struct kitimerval {
	struct timeval interval, value;
};

/* Nanoseconds, saturating at INT64_MAX as Linux does for huge times. */
static uint64_t tv_to_ns(const struct timeval *tv)
{
	if (tv->tv_sec >= (time_t)(INT64_MAX / NS_PER_SEC))
		return INT64_MAX;
	return (uint64_t)tv->tv_sec * NS_PER_SEC + (uint64_t)tv->tv_usec * 1000;
}

static struct timeval ns_to_tv(uint64_t ns)
{
	/* Round up so a running timer never reads as disarmed. */
	uint64_t us = (ns + 999) / 1000;

	return (struct timeval){.tv_sec = (time_t)(us / 1000000), .tv_usec = (long)(us % 1000000)};
}

static void itimer_get(struct task *t, int which, struct kitimerval *out)
{
	struct ktimer *k = &timers_of(t->tg)->itimer[which];

	out->value = ns_to_tv(ktimer_remaining(k));
	out->interval = ns_to_tv(k->armed ? k->interval : 0);
}

static void itimer_set(struct task *t, int which, uint64_t value, uint64_t interval)
{
	struct ktimer *k = &timers_of(t->tg)->itimer[which];

	ktimer_set(k, value ? ktimer_now(k) + value : 0, interval);
}

long sys_getitimer(struct task *t, const struct sysargs *a)
{
	int which = arg_int(a, 0);
	struct kitimerval v;

	if (which < 0 || which >= ITIMER_COUNT)
		return -EINVAL;
	itimer_get(t, which, &v);
	return copy_to_user(t, arg_uaddr(a, 1), &v, sizeof(v));
}

static bool tv_valid(const struct timeval *tv)
{
	return tv->tv_sec >= 0 && tv->tv_usec >= 0 && tv->tv_usec < 1000000;
}

long sys_setitimer(struct task *t, const struct sysargs *a)
{
	int which = arg_int(a, 0);
	struct kitimerval nv, old;
	uaddr_t uold = arg_uaddr(a, 2);

	if (which < 0 || which >= ITIMER_COUNT)
		return -EINVAL;
	/* A NULL new value disarms the timer (Linux keeps this for old programs). */
	memset(&nv, 0, sizeof(nv));
	if (!uaddr_is_null(arg_uaddr(a, 1)) && copy_from_user(t, &nv, arg_uaddr(a, 1), sizeof(nv)))
		return -EFAULT;
	if (!tv_valid(&nv.value) || !tv_valid(&nv.interval))
		return -EINVAL;
	itimer_get(t, which, &old);
	itimer_set(t, which, tv_to_ns(&nv.value), tv_to_ns(&nv.interval));
	if (!uaddr_is_null(uold) && copy_to_user(t, uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_alarm(struct task *t, const struct sysargs *a)
{
	unsigned secs = arg_uint(a, 0);
	struct kitimerval old;
	long left;

	itimer_get(t, ITIMER_REAL, &old);
	itimer_set(t, ITIMER_REAL, (uint64_t)secs * NS_PER_SEC, 0);
	/* Linux rounds the remainder to the nearest second, but never reports 0 if armed. */
	left = old.value.tv_sec + (old.value.tv_usec >= 500000);
	if (!left && old.value.tv_usec)
		left = 1;
	return left;
}

long sys_getrusage(struct task *t, const struct sysargs *a)
{
	struct rusage ru;
	struct cputime c;

	switch (arg_int(a, 0)) {
	case RUSAGE_SELF:
		c = cputime_tg(t->tg);
		break;
	case RUSAGE_CHILDREN:
		c = cputime_children(t->tg);
		break;
	case RUSAGE_THREAD:
		c = cputime_task(t);
		break;
	default:
		return -EINVAL;
	}
	cputime_to_rusage(&ru, c);
	return copy_to_user(t, arg_uaddr(a, 1), &ru, sizeof(ru));
}

long sys_times(struct task *t, const struct sysargs *a)
{
	struct cputime self = cputime_tg(t->tg), ch = cputime_children(t->tg);
	struct tms tm = {
		.tms_utime = (clock_t)(self.utime_ns / NS_PER_TICK),
		.tms_stime = (clock_t)(self.stime_ns / NS_PER_TICK),
		.tms_cutime = (clock_t)(ch.utime_ns / NS_PER_TICK),
		.tms_cstime = (clock_t)(ch.stime_ns / NS_PER_TICK),
	};

	if (!uaddr_is_null(arg_uaddr(a, 0)) && copy_to_user(t, arg_uaddr(a, 0), &tm, sizeof(tm)))
		return -EFAULT;
	return (long)(cputime_mono_ns() / NS_PER_TICK);
}
