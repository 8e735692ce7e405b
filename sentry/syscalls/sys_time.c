/* sys_time.c: clocks and sleeps. */
#include <errno.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vdso/vdso.h"

#define NSEC_PER_SEC 1000000000LL

static bool clock_valid(clockid_t id)
{
	switch (id) {
	case CLOCK_REALTIME: case CLOCK_MONOTONIC: case CLOCK_PROCESS_CPUTIME_ID:
	case CLOCK_THREAD_CPUTIME_ID: case CLOCK_MONOTONIC_RAW: case CLOCK_REALTIME_COARSE:
	case CLOCK_MONOTONIC_COARSE: case CLOCK_BOOTTIME: case CLOCK_TAI:
		return true;
	default:
		return false;
	}
}

static bool is_cpu_clock(clockid_t id)
{
	return id < 0 || id == CLOCK_PROCESS_CPUTIME_ID || id == CLOCK_THREAD_CPUTIME_ID;
}

/* CPU clocks read the application's accounted time (sentry/kernel/cputime.h). */
static int cpu_clock_read(struct task *t, clockid_t id, struct timespec *ts)
{
	struct ktimer k = {0};
	int err = ktimer_clock_of(t, id, &k);
	uint64_t ns;

	if (err)
		return err;
	ns = ktimer_now(&k);
	ts->tv_sec = (time_t)(ns / NSEC_PER_SEC);
	ts->tv_nsec = (long)(ns % NSEC_PER_SEC);
	return 0;
}

/* REALTIME and MONOTONIC (coarse or not) as the vDSO shows them, the other clocks from
 * the host: the vDSO's curve tracks the host within microseconds, and a program that
 * mixes vDSO calls with system calls must never see time go back between them. */
static void clock_read(clockid_t id, struct timespec *ts)
{
	bool real = id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE;

	if ((real || id == CLOCK_MONOTONIC || id == CLOCK_MONOTONIC_COARSE) &&
	    vdso_clock_now(real, ts))
		return;
	clock_gettime(id, ts);
}

long sys_clock_gettime(struct task *t, const struct sysargs *a)
{
	clockid_t id = arg_int(a, 0);
	struct timespec ts;

	if (is_cpu_clock(id)) {
		int err = cpu_clock_read(t, id, &ts);
		if (err)
			return err;
	} else if (!clock_valid(id)) {
		return -EINVAL;
	} else {
		clock_read(id, &ts);
	}
	return copy_to_user(t, arg_uaddr(a, 1), &ts, sizeof(ts));
}

long sys_clock_getres(struct task *t, const struct sysargs *a)
{
	clockid_t id = arg_int(a, 0);
	struct timespec ts;

	if (is_cpu_clock(id)) {
		int err = cpu_clock_read(t, id, &ts);
		if (err)
			return err;
		ts = (struct timespec){0, 1};
	} else if (!clock_valid(id)) {
		return -EINVAL;
	} else {
		clock_getres(id, &ts);
	}
	if (uaddr_is_null(arg_uaddr(a, 1)))
		return 0;
	return copy_to_user(t, arg_uaddr(a, 1), &ts, sizeof(ts));
}

long sys_gettimeofday(struct task *t, const struct sysargs *a)
{
	struct timezone tz = {0, 0};
	struct timespec ts;
	struct timeval tv;

	clock_read(CLOCK_REALTIME, &ts);
	tv = (struct timeval){.tv_sec = ts.tv_sec, .tv_usec = ts.tv_nsec / 1000};
	if (!uaddr_is_null(arg_uaddr(a, 0)) && copy_to_user(t, arg_uaddr(a, 0), &tv, sizeof(tv)))
		return -EFAULT;
	if (!uaddr_is_null(arg_uaddr(a, 1)) && copy_to_user(t, arg_uaddr(a, 1), &tz, sizeof(tz)))
		return -EFAULT;
	return 0;
}

long sys_time(struct task *t, const struct sysargs *a)
{
	struct timespec ts;
	int64_t now;

	clock_read(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec;

	if (!uaddr_is_null(arg_uaddr(a, 0)) && copy_to_user(t, arg_uaddr(a, 0), &now, sizeof(now)))
		return -EFAULT;
	return now;
}

#define KTIME_MAX INT64_MAX
#define KTIME_SEC_MAX (KTIME_MAX / NSEC_PER_SEC)

/* Nanoseconds, saturating at KTIME_MAX as Linux's timespec64_to_ktime does (a sleep
 * of {LONG_MAX, ...} is "forever", not an overflow into the past). */
static int64_t ts_ns(const struct timespec *ts)
{
	if (ts->tv_sec >= KTIME_SEC_MAX)
		return KTIME_MAX;
	return (int64_t)ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

static int64_t ns_add(int64_t a, int64_t b)
{
	return b > 0 && a > KTIME_MAX - b ? KTIME_MAX : a + b;
}

static struct timespec ns_ts(int64_t ns)
{
	return (struct timespec){.tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC};
}

/* Sleep until the monotonic deadline; on a signal write the remaining time to urem. */
static long sleep_until(struct task *t, int64_t deadline_ns, uaddr_t urem, bool absolute);

/* restart_syscall(2) after a relative sleep was interrupted without a handler running. */
static long sleep_restart(struct task *t)
{
	return sleep_until(t, t->restart.deadline_ns, t->restart.urem, false);
}

long sys_restart_syscall(struct task *t, const struct sysargs *a)
{
	long (*fn)(struct task *) = t->restart.fn;

	t->restart.fn = NULL;
	return fn ? fn(t) : -EINTR;
}

/* Sleep until the CLOCK_MONOTONIC deadline. Interrupted: write what is left to urem and
 * return -ERESTART_RESTARTBLOCK (a relative sleep resumes for what is left if no handler
 * runs) or -ERESTARTNOHAND (an absolute one simply repeats). */
static long sleep_until(struct task *t, int64_t deadline_ns, uaddr_t urem, bool absolute)
{
	struct timespec dl = ns_ts(deadline_ns), now;
	struct waitq q;

	waitq_init(&q);
	for (;;) {
		int r = task_block(t, &q, &dl);
		if (r == -ETIMEDOUT)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (ts_ns(&now) >= deadline_ns)
			return 0;
		if (r == -EINTR) {
			if (!uaddr_is_null(urem)) {
				struct timespec rem = ns_ts(deadline_ns - ts_ns(&now));
				if (copy_to_user(t, urem, &rem, sizeof(rem)))
					return -EFAULT;
			}
			if (absolute)
				return -ERESTARTNOHAND;
			t->restart.fn = sleep_restart;
			t->restart.deadline_ns = deadline_ns;
			t->restart.urem = urem;
			return -ERESTART_RESTARTBLOCK;
		}
	}
}

static int read_timespec(struct task *t, uaddr_t u, struct timespec *ts)
{
	if (copy_from_user(t, ts, u, sizeof(*ts)))
		return -EFAULT;
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NSEC_PER_SEC)
		return -EINVAL;
	return 0;
}

long sys_nanosleep(struct task *t, const struct sysargs *a)
{
	struct timespec req, now;
	int err = read_timespec(t, arg_uaddr(a, 0), &req);

	if (err)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return sleep_until(t, ns_add(ts_ns(&now), ts_ns(&req)), arg_uaddr(a, 1), false);
}

/* Sleep on a process CPU clock: poll it every few milliseconds (it advances only while
 * some thread of that process runs). Thread CPU clocks cannot be slept on (EINVAL). */
static long cpu_clock_sleep(struct task *t, clockid_t id, int flags, uaddr_t ureq, uaddr_t urem)
{
	struct ktimer k = {0};
	struct timespec req, dl;
	uint64_t target, now;
	struct waitq q;
	int err = ktimer_clock_of(t, id, &k);

	if (err)
		return err;
	if (k.clock == KT_TCPU)
		return -EINVAL;
	err = read_timespec(t, ureq, &req);
	if (err)
		return err;
	target = (uint64_t)ns_add(ts_ns(&req), (flags & TIMER_ABSTIME) ? 0 : (int64_t)ktimer_now(&k));
	waitq_init(&q);
	for (;;) {
		/* Look the clock up again: the process measured may have been reaped. */
		if (ktimer_clock_of(t, id, &k))
			return -EINVAL;
		now = ktimer_now(&k);
		if (now >= target)
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &dl);
		dl = ns_ts(ts_ns(&dl) + 4000000);
		if (task_block(t, &q, &dl) != -EINTR)
			continue;
		if (!(flags & TIMER_ABSTIME) && !uaddr_is_null(urem)) {
			struct timespec rem = ns_ts((int64_t)(target - now));
			if (copy_to_user(t, urem, &rem, sizeof(rem)))
				return -EFAULT;
		}
		return -ERESTARTNOHAND;
	}
}

long sys_clock_nanosleep(struct task *t, const struct sysargs *a)
{
	clockid_t id = arg_int(a, 0);
	int flags = arg_int(a, 1);
	struct timespec req, now, mono;
	int err;

	if (is_cpu_clock(id))
		return cpu_clock_sleep(t, id, flags, arg_uaddr(a, 2), arg_uaddr(a, 3));
	if (id != CLOCK_REALTIME && id != CLOCK_MONOTONIC && id != CLOCK_BOOTTIME &&
	    id != CLOCK_TAI)
		return clock_valid(id) ? -ENOTSUP : -EINVAL;
	err = read_timespec(t, arg_uaddr(a, 2), &req);
	if (err)
		return err;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	if (!(flags & TIMER_ABSTIME))
		return sleep_until(t, ns_add(ts_ns(&mono), ts_ns(&req)), arg_uaddr(a, 3), false);
	/* The deadline is on the clock the program reads (the vDSO's): sleep on the host
	 * until then, and again for what is left if that curve is not there yet. */
	for (;;) {
		long ret;

		clock_read(id, &now);
		if (ts_ns(&req) <= ts_ns(&now))
			return 0;
		clock_gettime(CLOCK_MONOTONIC, &mono);
		ret = sleep_until(t, ns_add(ts_ns(&mono), ts_ns(&req) - ts_ns(&now)), uaddr(0),
				  true);
		if (ret)
			return ret;
	}
}

/* The sandbox never sets the host's clock: setting fails as for a caller without
 * CAP_SYS_TIME, after Linux's argument checks. */
long sys_clock_settime(struct task *t, const struct sysargs *a)
{
	clockid_t id = arg_int(a, 0);
	struct timespec ts;
	int err;

	if (!clock_valid(id) || is_cpu_clock(id))
		return -EINVAL;
	err = read_timespec(t, arg_uaddr(a, 1), &ts);
	if (err)
		return err;
	return id == CLOCK_REALTIME ? -EPERM : -EINVAL;
}

long sys_settimeofday(struct task *t, const struct sysargs *a)
{
	struct timeval tv;

	if (!uaddr_is_null(arg_uaddr(a, 0))) {
		if (copy_from_user(t, &tv, arg_uaddr(a, 0), sizeof(tv)))
			return -EFAULT;
		if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
			return -EINVAL;
	}
	return -EPERM;
}
