/* futex_waitv: the index of the woken futex (private and shared, 1 to 128 words), EAGAIN
 * on a value mismatch, absolute timeouts on CLOCK_MONOTONIC and CLOCK_REALTIME, EINTR,
 * and the EINVAL/EFAULT cases of the vector, flags, clock and timeout. */
#include "harness.h"

#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/time.h>

#define SIZE_U32 0x02
#define F2_PRIVATE 128
#define WAITV_MAX 128

struct waitv {
	uint64_t val, uaddr;
	uint32_t flags, reserved;
};

static long waitv(struct waitv *w, unsigned n, unsigned flags, struct timespec *to, int clk)
{
	return syscall(SYS_futex_waitv, w, n, flags, to, clk);
}

static void set(struct waitv *w, uint32_t *word, uint64_t val, uint32_t flags)
{
	*w = (struct waitv){val, (uint64_t)(uintptr_t)word, flags, 0};
}

static uint32_t g_words[WAITV_MAX];
static long g_ret;
static int g_err;
static unsigned g_n;

static void *waiter(void *arg)
{
	struct waitv w[WAITV_MAX];
	struct timespec to = h_deadline_ms(CLOCK_MONOTONIC, 10000);

	for (unsigned i = 0; i < g_n; i++)
		set(&w[i], &g_words[i], 0, SIZE_U32 | F2_PRIVATE);
	g_ret = waitv(w, g_n, 0, &to, CLOCK_MONOTONIC);
	g_err = errno;
	return arg;
}

/* Wake word idx until a waiter was there (the thread may not be asleep yet). */
static void wake_until_woken(uint32_t *word, int op)
{
	for (int i = 0; i < 1000; i++) {
		if (syscall(SYS_futex, word, op, 1, NULL, NULL, 0) == 1)
			return;
		usleep(5000);
	}
}

static void returns_woken_index(void)
{
	pthread_t th;

	for (unsigned n = 3; n <= WAITV_MAX; n += WAITV_MAX - 3) {
		unsigned idx = n == 3 ? 2 : 100;
		g_n = n;
		memset(g_words, 0, sizeof(g_words));
		CHECK_EQ(pthread_create(&th, NULL, waiter, NULL), 0);
		wake_until_woken(&g_words[idx], FUTEX_WAKE_PRIVATE);
		CHECK_EQ(pthread_join(th, NULL), 0);
		CHECK_EQ(g_ret, idx);
	}
}

static void shared_between_processes(void)
{
	uint32_t *words = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			       -1, 0);
	pid_t pid;
	int status;

	CHECK(words != MAP_FAILED);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct waitv w[2];
		struct timespec to = h_deadline_ms(CLOCK_REALTIME, 10000);
		set(&w[0], &words[0], 0, SIZE_U32);
		set(&w[1], &words[5], 0, SIZE_U32);
		_exit((int)waitv(w, 2, 0, &to, CLOCK_REALTIME));
	}
	wake_until_woken(&words[5], FUTEX_WAKE);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 1);
	munmap(words, 4096);
}

static void mismatch_and_timeouts(void)
{
	uint32_t a = 1, b = 2;
	struct waitv w[2];
	struct timespec to;

	set(&w[0], &a, 1, SIZE_U32 | F2_PRIVATE);
	set(&w[1], &b, 3, SIZE_U32 | F2_PRIVATE);
	CHECK_ERR(waitv(w, 2, 0, NULL, 0), EAGAIN);
	CHECK_ERR(waitv(w, 2, 0, NULL, 99), EAGAIN); /* no timeout: the clock is not read */
	w[1].val = 2;
	to = h_deadline_ms(CLOCK_MONOTONIC, 30);
	CHECK_ERR(waitv(w, 2, 0, &to, CLOCK_MONOTONIC), ETIMEDOUT);
	to = h_deadline_ms(CLOCK_REALTIME, 30);
	CHECK_ERR(waitv(w, 2, 0, &to, CLOCK_REALTIME), ETIMEDOUT);
	to = (struct timespec){0, 0}; /* long past */
	CHECK_ERR(waitv(w, 2, 0, &to, CLOCK_MONOTONIC), ETIMEDOUT);
}

static void bad_arguments(void)
{
	uint32_t a = 0, pair[2] = {0, 0};
	struct waitv w[WAITV_MAX + 1];
	struct timespec to = h_deadline_ms(CLOCK_MONOTONIC, 10), bad = {0, 1000000000L};

	for (int i = 0; i <= WAITV_MAX; i++)
		set(&w[i], &a, 1, SIZE_U32);
	CHECK_ERR(waitv(w, 1, 1, NULL, 0), EINVAL);
	CHECK_ERR(waitv(w, 0, 0, NULL, 0), EINVAL);
	CHECK_ERR(waitv(w, WAITV_MAX + 1, 0, NULL, 0), EINVAL);
	CHECK_ERR(waitv(NULL, 1, 0, NULL, 0), EINVAL);
	CHECK_ERR(waitv(w, 1, 0, &to, CLOCK_BOOTTIME), EINVAL);
	CHECK_ERR(waitv(w, 1, 0, &bad, CLOCK_MONOTONIC), EINVAL);
	CHECK_ERR(waitv(w, 1, 0, (struct timespec *)8, CLOCK_MONOTONIC), EFAULT);
	CHECK_ERR(waitv((struct waitv *)8, 1, 0, NULL, 0), EFAULT);
	CHECK_ERR(waitv(w, WAITV_MAX, 0, NULL, 0), EAGAIN);
	w[0].flags = 0; /* 8-bit */
	CHECK_ERR(waitv(w, 1, 0, NULL, 0), EINVAL);
	w[0].flags = 3; /* 64-bit */
	CHECK_ERR(waitv(w, 1, 0, NULL, 0), EINVAL);
	w[0].flags = SIZE_U32 | 0x100;
	CHECK_ERR(waitv(w, 1, 0, NULL, 0), EINVAL);
	set(&w[0], &a, 1, SIZE_U32);
	w[0].reserved = 1;
	CHECK_ERR(waitv(w, 1, 0, NULL, 0), EINVAL);
	set(&w[0], &a, 1ULL << 32, SIZE_U32);
	CHECK_ERR(waitv(w, 1, 0, NULL, 0), EINVAL);
	set(&w[0], (uint32_t *)((char *)pair + 2), 0, SIZE_U32 | F2_PRIVATE);
	CHECK_ERR(waitv(w, 1, 0, NULL, 0), EINVAL);
	set(&w[0], NULL, 0, SIZE_U32 | F2_PRIVATE);
	CHECK_ERR(waitv(w, 1, 0, NULL, 0), EFAULT);
	/* A bad entry after a good one still fails the call before any wait. */
	set(&w[0], &a, 0, SIZE_U32);
	set(&w[1], &a, 0, 0);
	CHECK_ERR(waitv(w, 2, 0, NULL, 0), EINVAL);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void signal_interrupts(void)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = on_alarm}; /* no SA_RESTART */
		struct itimerval it = {{0, 0}, {0, 50000}};
		struct timespec to = h_deadline_ms(CLOCK_MONOTONIC, 10000);
		uint32_t word = 0;
		struct waitv w;
		set(&w, &word, 0, SIZE_U32 | F2_PRIVATE);
		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		_exit(waitv(&w, 1, 0, &to, CLOCK_MONOTONIC) == -1 && errno == EINTR ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
}

int main(void)
{
	h_begin();
	RUN(returns_woken_index);
	RUN(shared_between_processes);
	RUN(mismatch_and_timeouts);
	RUN(bad_arguments);
	RUN(signal_interrupts);
	return h_end();
}
