/* CPU clocks (process, thread, per-pid and per-thread ids), clock_getres, and
 * clock_nanosleep with TIMER_ABSTIME. */
#include "harness.h"

#include <linux/capability.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/time.h>

static long long ns_of(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static long long clock_ns(clockid_t id)
{
	struct timespec ts;

	if (clock_gettime(id, &ts) < 0)
		return -1;
	return ns_of(&ts);
}

/* Spin for about ms milliseconds of wall time. */
static void busy_ms(int ms)
{
	long long end = clock_ns(CLOCK_MONOTONIC) + ms * 1000000LL;
	volatile unsigned long x = 0;

	while (clock_ns(CLOCK_MONOTONIC) < end)
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
}

/* Spin until clock id advanced by ms (true), or 10 s of wall time passed (false): the
 * CPU share a busy loop gets depends on the machine's load. */
static bool spin_cpu(clockid_t id, int ms)
{
	long long c0 = clock_ns(id), w0 = clock_ns(CLOCK_MONOTONIC);

	while (clock_ns(id) - c0 < ms * 1000000LL) {
		if (clock_ns(CLOCK_MONOTONIC) - w0 > 10000 * 1000000LL)
			return false;
		busy_ms(1);
	}
	return true;
}

static void process_clock_counts_busy_time_not_sleep(void)
{
	long long a = clock_ns(CLOCK_PROCESS_CPUTIME_ID), w0 = clock_ns(CLOCK_MONOTONIC), b, c;

	CHECK(spin_cpu(CLOCK_PROCESS_CPUTIME_ID, 100));
	b = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	/* One thread cannot use more CPU time than wall time (small slack for rounding). */
	CHECK(b - a <= clock_ns(CLOCK_MONOTONIC) - w0 + 5000000LL);
	usleep(200 * 1000);
	c = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	CHECK(c - b < 100 * 1000000LL); /* sleeping is not CPU time (slack: host preemption) */
}

static void *spin_thread(void *arg)
{
	if (!spin_cpu(CLOCK_THREAD_CPUTIME_ID, 100))
		return NULL;
	*(long long *)arg = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

static void thread_clock_is_per_thread(void)
{
	long long mine0 = clock_ns(CLOCK_THREAD_CPUTIME_ID), theirs = 0, mine1;
	long long proc0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	pthread_t th;

	CHECK_OK(pthread_create(&th, NULL, spin_thread, &theirs));
	pthread_join(th, NULL);
	mine1 = clock_ns(CLOCK_THREAD_CPUTIME_ID);
	CHECK(theirs >= 100 * 1000000LL);
	CHECK(mine1 - mine0 < 50 * 1000000LL);
	/* The exited thread's time stays with the process. */
	CHECK(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - proc0 >= 100 * 1000000LL);
}

static void per_pid_and_thread_clock_ids(void)
{
	clockid_t pc, tc;
	struct timespec ts;

	CHECK_OK(clock_getcpuclockid(0, &pc));
	CHECK_OK(clock_getcpuclockid(getpid(), &pc));
	busy_ms(20);
	CHECK_OK(clock_gettime(pc, &ts));
	CHECK(ns_of(&ts) > 0);
	CHECK_OK(pthread_getcpuclockid(pthread_self(), &tc));
	CHECK_OK(clock_gettime(tc, &ts));
	CHECK(ns_of(&ts) > 0);
	CHECK_OK(clock_getres(pc, &ts));
	CHECK_EQ(ts.tv_sec, 0);
	CHECK(ts.tv_nsec > 0);
	/* A pid that does not exist. */
	CHECK_ERR(clock_gettime((clockid_t)(~999999u << 3 | 2), &ts), EINVAL);
	CHECK_ERR(clock_gettime((clockid_t)(~0u << 3 | 3), &ts), EINVAL);
}

static void getres_for_every_clock(void)
{
	static const clockid_t ids[] = {CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME,
					CLOCK_MONOTONIC_RAW, CLOCK_REALTIME_COARSE,
					CLOCK_MONOTONIC_COARSE, CLOCK_PROCESS_CPUTIME_ID,
					CLOCK_THREAD_CPUTIME_ID};
	struct timespec ts;

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		CHECK_OK(clock_getres(ids[i], &ts));
		CHECK(ts.tv_sec == 0 && ts.tv_nsec > 0);
		CHECK_OK(clock_gettime(ids[i], &ts));
	}
	CHECK_ERR(clock_getres(99, &ts), EINVAL);
	CHECK_OK(syscall(SYS_clock_getres, CLOCK_MONOTONIC, NULL));
}

static void clock_nanosleep_abstime(void)
{
	struct timespec now, until, after;

	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &now));
	until = now;
	until.tv_nsec += 80 * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL), 0);
	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &after));
	CHECK(ns_of(&after) >= ns_of(&until));
	CHECK(ns_of(&after) - ns_of(&now) < 2000 * 1000000LL);
	/* A time in the past returns at once. */
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &now, NULL), 0);
	CHECK_OK(clock_gettime(CLOCK_REALTIME, &now));
	now.tv_nsec = 0;
	now.tv_sec += 1;
	CHECK_EQ(clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &now, NULL), 0);
	CHECK_OK(clock_gettime(CLOCK_REALTIME, &after));
	CHECK(after.tv_sec >= now.tv_sec);
	CHECK_EQ(clock_nanosleep(CLOCK_THREAD_CPUTIME_ID, 0, &now, NULL), EINVAL);
}

/* Burn CPU until the sleeper woke (or a minute of wall time passed: then it never will). */
static void *spin_for_sleeper(void *arg)
{
	const atomic_bool *woke = arg;
	long long w0 = clock_ns(CLOCK_MONOTONIC);

	while (!atomic_load(woke) && clock_ns(CLOCK_MONOTONIC) - w0 < 60000 * 1000000LL)
		busy_ms(1);
	return NULL;
}

static void clock_nanosleep_on_process_cpu_clock(void)
{
	struct timespec req = {0, 100 * 1000000L};
	long long c0 = clock_ns(CLOCK_PROCESS_CPUTIME_ID);
	atomic_bool woke = false;
	pthread_t th;

	/* Another thread burns CPU; this one sleeps until the process used 100 ms more. */
	CHECK_OK(pthread_create(&th, NULL, spin_for_sleeper, &woke));
	CHECK_EQ(clock_nanosleep(CLOCK_PROCESS_CPUTIME_ID, 0, &req, NULL), 0);
	CHECK(clock_ns(CLOCK_PROCESS_CPUTIME_ID) - c0 >= 100 * 1000000LL);
	atomic_store(&woke, true);
	pthread_join(th, NULL);
}

/* Without CAP_SYS_TIME (dropped natively; the sandbox never sets the host clock). */
static void settime_child(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];
	struct timespec now, bad = {0, 2000000000L};
	struct timeval tv;

	if (syscall(SYS_capget, &h, d) < 0)
		_exit(2);
	d[0].effective &= ~(1U << CAP_SYS_TIME);
	if (syscall(SYS_capset, &h, d) < 0)
		_exit(3);
	clock_gettime(CLOCK_REALTIME, &now);
	if (clock_settime(CLOCK_REALTIME, &now) != -1 || errno != EPERM)
		_exit(4);
	if (clock_settime(CLOCK_REALTIME, &bad) != -1 || errno != EINVAL)
		_exit(5);
	if (clock_settime(CLOCK_MONOTONIC, &now) != -1 || errno != EINVAL)
		_exit(6);
	gettimeofday(&tv, NULL);
	if (settimeofday(&tv, NULL) != -1 || errno != EPERM)
		_exit(7);
	_exit(0);
}

static void setting_the_clock_is_refused(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		settime_child();
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

/* {LONG_MAX, ...} means "forever": the sleep lasts until a signal, as in Linux. */
static void huge_sleeps_do_not_wrap(void)
{
	struct timespec forever = {LONG_MAX, 999999999}, rem;
	struct sigaction sa = {.sa_handler = on_alarm};
	struct itimerval it = {{0, 0}, {0, 50000}}, huge = {{0, 0}, {LONG_MAX, 0}}, cur;
	long long t0 = clock_ns(CLOCK_MONOTONIC);

	sigaction(SIGALRM, &sa, NULL);
	CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
	CHECK_ERR(nanosleep(&forever, &rem), EINTR);
	CHECK(clock_ns(CLOCK_MONOTONIC) - t0 >= 40 * 1000000LL);
	CHECK(rem.tv_sec > 1000000000L);
	CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
	CHECK_EQ(clock_nanosleep(CLOCK_MONOTONIC, 0, &forever, NULL), EINTR);
	/* A huge itimer stays armed far in the future. */
	CHECK_OK(setitimer(ITIMER_REAL, &huge, NULL));
	CHECK_OK(getitimer(ITIMER_REAL, &cur));
	CHECK(cur.it_value.tv_sec > 1000000000L);
	it.it_value.tv_usec = 0;
	CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
}

int main(void)
{
	h_begin();
	RUN(process_clock_counts_busy_time_not_sleep);
	RUN(thread_clock_is_per_thread);
	RUN(per_pid_and_thread_clock_ids);
	RUN(getres_for_every_clock);
	RUN(clock_nanosleep_abstime);
	RUN(clock_nanosleep_on_process_cpu_clock);
	RUN(setting_the_clock_is_refused);
	RUN(huge_sleeps_do_not_wrap);
	return h_end();
}
