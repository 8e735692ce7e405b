/* clock_gettime/gettimeofday/nanosleep: agreement between clocks, elapsed time, errnos. */
#include "harness.h"

#include <sys/time.h>

static long long ns_of(const struct timespec *ts)
{
	return ts->tv_sec * 1000000000LL + ts->tv_nsec;
}

static void realtime_is_plausible_and_agrees(void)
{
	struct timespec ts;
	struct timeval tv;

	CHECK_OK(clock_gettime(CLOCK_REALTIME, &ts));
	CHECK_OK(gettimeofday(&tv, NULL));
	/* After 2020-01-01 and within two seconds of each other and time(). */
	CHECK(ts.tv_sec > 1577836800);
	CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	CHECK(llabs((long long)tv.tv_sec - ts.tv_sec) <= 2);
	CHECK(llabs((long long)time(NULL) - ts.tv_sec) <= 2);
}

static void raw_syscalls_agree_with_vdso(void)
{
	struct timespec a, b;
	struct timeval tv;

	CHECK_OK(syscall(SYS_clock_gettime, CLOCK_REALTIME, &a));
	CHECK_OK(clock_gettime(CLOCK_REALTIME, &b));
	CHECK(llabs(ns_of(&b) - ns_of(&a)) < 2000000000LL);
	CHECK_OK(syscall(SYS_gettimeofday, &tv, NULL));
	CHECK(llabs((long long)tv.tv_sec - a.tv_sec) <= 2);
}

static void monotonic_never_goes_backwards(void)
{
	struct timespec prev, cur;
	int backwards = 0;

	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &prev));
	for (int i = 0; i < 1000; i++) {
		clock_gettime(CLOCK_MONOTONIC, &cur);
		if (ns_of(&cur) < ns_of(&prev))
			backwards++;
		prev = cur;
	}
	CHECK_EQ(backwards, 0);
}

static void nanosleep_sleeps_at_least_requested(void)
{
	struct timespec a, b, req = { 0, 50 * 1000 * 1000 };

	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &a));
	CHECK_EQ(nanosleep(&req, NULL), 0);
	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &b));
	CHECK(ns_of(&b) - ns_of(&a) >= 50 * 1000 * 1000);
	CHECK(ns_of(&b) - ns_of(&a) < 5LL * 1000 * 1000 * 1000);
}

static void nanosleep_invalid_times_return_einval(void)
{
	struct timespec bad_ns = { 0, 1000000000 }, neg_ns = { 0, -1 }, neg_s = { -1, 0 };

	CHECK_ERR(nanosleep(&bad_ns, NULL), EINVAL);
	CHECK_ERR(nanosleep(&neg_ns, NULL), EINVAL);
	CHECK_ERR(nanosleep(&neg_s, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_nanosleep, 1L, NULL), EFAULT);
}

static void clock_gettime_errors(void)
{
	struct timespec ts;

	CHECK_ERR(syscall(SYS_clock_gettime, 12345, &ts), EINVAL);
	CHECK_ERR(syscall(SYS_clock_gettime, CLOCK_REALTIME, 1L), EFAULT);
	CHECK_ERR(syscall(SYS_gettimeofday, 1L, NULL), EFAULT);
}

static void other_clocks_are_readable(void)
{
	struct timespec ts;

	CHECK_OK(clock_gettime(CLOCK_MONOTONIC_COARSE, &ts));
	CHECK_OK(clock_gettime(CLOCK_REALTIME_COARSE, &ts));
	CHECK_OK(clock_gettime(CLOCK_BOOTTIME, &ts));
	CHECK(ts.tv_sec >= 0);
}

int main(void)
{
	h_begin();
	RUN(realtime_is_plausible_and_agrees);
	RUN(raw_syscalls_agree_with_vdso);
	RUN(monotonic_never_goes_backwards);
	RUN(nanosleep_sleeps_at_least_requested);
	RUN(nanosleep_invalid_times_return_einval);
	RUN(clock_gettime_errors);
	RUN(other_clocks_are_readable);
	return h_end();
}
