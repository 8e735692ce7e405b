/* futex: the single-threaded uses glibc makes (once-wakes, value-mismatch waits, timeouts). */
#include "harness.h"

#include <linux/futex.h>
#include <stdint.h>
#include <sys/time.h>

static long futex(uint32_t *uaddr, int op, uint32_t val, const struct timespec *ts)
{
	return syscall(SYS_futex, uaddr, op, val, ts, NULL, 0);
}

static void futex_wake_without_waiters_returns_zero(void)
{
	static uint32_t word;

	/* glibc's pthread_once and stdio locks do exactly this (static busybox too). */
	CHECK_EQ(futex(&word, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL), 0);
	CHECK_EQ(futex(&word, FUTEX_WAKE, 1, NULL), 0);
}

static void futex_wait_on_changed_value_returns_eagain(void)
{
	static uint32_t word = 1;

	CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL), EAGAIN);
	CHECK_ERR(futex(&word, FUTEX_WAIT, 2, NULL), EAGAIN);
}

static void futex_wait_times_out(void)
{
	static uint32_t word;
	struct timespec ts = { 0, 20 * 1000 * 1000 }, a, b;

	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 0, &ts), ETIMEDOUT);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) >= 20000000L);
}

static void futex_errors(void)
{
	static uint32_t word;
	struct timespec bad = { 0, 2000000000L };

	CHECK_ERR(futex((uint32_t *)1, FUTEX_WAIT_PRIVATE, 0, NULL), EINVAL);	/* unaligned */
	CHECK_ERR(futex((uint32_t *)8, FUTEX_WAIT_PRIVATE, 0, NULL), EFAULT);
	CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 0, &bad), EINVAL);
	CHECK_ERR(futex(&word, 0x7f, 0, NULL), ENOSYS);
}

static void on_alarm(int sig)
{
}

/* A handled signal (without SA_RESTART) ends a FUTEX_WAIT with EINTR. */
static void futex_wait_interrupted_by_a_signal(void)
{
	static uint32_t word;
	struct sigaction sa = {.sa_handler = on_alarm}, old;
	struct itimerval it = {.it_value = {0, 30000}};

	sigaction(SIGALRM, &sa, &old);
	CHECK_OK(setitimer(ITIMER_REAL, &it, NULL));
	CHECK_ERR(futex(&word, FUTEX_WAIT_PRIVATE, 0, NULL), EINTR);
	sigaction(SIGALRM, &old, NULL);
}

int main(void)
{
	h_begin();
	RUN(futex_wake_without_waiters_returns_zero);
	RUN(futex_wait_on_changed_value_returns_eagain);
	RUN(futex_wait_times_out);
	RUN(futex_errors);
	RUN(futex_wait_interrupted_by_a_signal);
	return h_end();
}
