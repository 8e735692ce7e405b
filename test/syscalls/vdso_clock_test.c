/* The vDSO: present (AT_SYSINFO_EHDR), and its clock_gettime, gettimeofday, time and
 * getcpu agree with the system calls, never go back, and cost no trap. */
#include "harness.h"

#include <sched.h>
#include <sys/auxv.h>
#include <sys/time.h>

static int64_t ts_ns(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec;
}

static void vdso_is_mapped_elf(void)
{
	const unsigned char *e = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);

	CHECK(e != NULL);
	if (e)
		CHECK_MEM(e, "\177ELF", 4);
}

/* A vDSO reading lies between two real system calls around it. */
static void clocks_agree_with_syscalls(void)
{
	static const clockid_t ids[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};

	for (unsigned i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
		struct timespec s1, v, s2;
		CHECK_OK(syscall(SYS_clock_gettime, ids[i], &s1));
		CHECK_OK(clock_gettime(ids[i], &v));
		CHECK_OK(syscall(SYS_clock_gettime, ids[i], &s2));
		CHECK(ts_ns(&s1) <= ts_ns(&v));
		CHECK(ts_ns(&v) <= ts_ns(&s2));
		CHECK(v.tv_nsec >= 0 && v.tv_nsec < 1000000000);
	}
}

/* Monotonic over 300 ms of calls (across the Sentry's parameter updates). */
static void monotonic_never_goes_back(void)
{
	struct timespec start, prev, now;
	long back = 0, calls = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	prev = start;
	do {
		clock_gettime(CLOCK_MONOTONIC, &now);
		back += ts_ns(&now) < ts_ns(&prev);
		prev = now;
		calls++;
	} while (ts_ns(&now) - ts_ns(&start) < 300000000);
	CHECK_EQ(back, 0);
	CHECK(calls > 1000);
}

/* A trap costs microseconds in any sandbox, a vDSO call tens of nanoseconds: the
 * fastest of 100 batches of 1000 calls takes well under 1 ms. (The fastest batch, not
 * the total: a loaded host preempts some batches, but hardly all of them.) */
static void clock_gettime_costs_no_trap(void)
{
	int64_t best = INT64_MAX;
	struct timespec a, b, t;

	for (int batch = 0; batch < 100; batch++) {
		clock_gettime(CLOCK_MONOTONIC, &a);
		for (int i = 0; i < 1000; i++)
			clock_gettime(CLOCK_MONOTONIC, &t);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (ts_ns(&b) - ts_ns(&a) < best)
			best = ts_ns(&b) - ts_ns(&a);
	}
	CHECK(best < 1000000);
	if (best >= 1000000)
		printf("  best batch of 1000 calls: %lld ns\n", (long long)best);
}

static void gettimeofday_time_and_getcpu(void)
{
	struct timeval tv;
	struct timespec rt;
	unsigned cpu = ~0u, node = ~0u;
	time_t t0, t1;

	t0 = time(NULL);
	CHECK_OK(gettimeofday(&tv, NULL));
	CHECK_OK(clock_gettime(CLOCK_REALTIME, &rt));
	t1 = time(NULL);
	/* time() may be the coarse clock (Linux's vDSO: last tick's second), which can lag
	 * gettimeofday's second just after it turns over; never lead it. */
	CHECK(t0 <= tv.tv_sec && tv.tv_sec <= t1 + 1);
	CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	CHECK(rt.tv_sec >= tv.tv_sec && rt.tv_sec - tv.tv_sec <= 1);
	CHECK_OK(getcpu(&cpu, &node));
	CHECK(cpu < (unsigned)sysconf(_SC_NPROCESSORS_CONF));
	CHECK(node < 1024);
	/* A clock the vDSO does not compute still works (it makes the syscall). */
	CHECK_OK(clock_gettime(CLOCK_BOOTTIME, &rt));
	CHECK_ERR(clock_gettime(12345, &rt), EINVAL);
}

/* A forked child and an exec'd program see the vDSO too. */
static void fork_keeps_vdso(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct timespec ts;
		_exit(getauxval(AT_SYSINFO_EHDR) && clock_gettime(CLOCK_MONOTONIC, &ts) == 0 ? 0 : 1);
	}
	CHECK_EQ(h_wait(pid), 0);
}

int main(void)
{
	h_begin();
	RUN(vdso_is_mapped_elf);
	RUN(clocks_agree_with_syscalls);
	RUN(monotonic_never_goes_back);
	RUN(clock_gettime_costs_no_trap);
	RUN(gettimeofday_time_and_getcpu);
	RUN(fork_keeps_vdso);
	return h_end();
}
