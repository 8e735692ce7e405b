/* futex_wake, futex_wait and futex_requeue (the futex2 calls of Linux 6.7): waits and
 * wakes across threads and across processes on a shared mapping, bitmasks, absolute
 * timeouts on both clocks, EAGAIN, the EINVAL/EFAULT cases of every argument, FUTEX2_NUMA
 * on one node, requeue counts, and waking futex(2) waiters and being woken by futex(2). */
#include "harness.h"

#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>

#define NR_futex_wake 454
#define NR_futex_wait 455
#define NR_futex_requeue 456

#define SZ8 0x00
#define SZ16 0x01
#define SZ32 0x02
#define SZ64 0x03
#define NUMA 0x04
#define MPOL 0x08
#define PRIV 128

struct waitv {
	uint64_t val, uaddr;
	uint32_t flags, reserved;
};

static long fwake(void *uaddr, unsigned long mask, int nr, unsigned flags)
{
	return syscall(NR_futex_wake, uaddr, mask, nr, flags);
}

static long fwait(void *uaddr, unsigned long val, unsigned long mask, unsigned flags,
		  struct timespec *to, int clk)
{
	return syscall(NR_futex_wait, uaddr, val, mask, flags, to, clk);
}

static long frequeue(struct waitv *v, unsigned flags, int nr_wake, int nr_requeue)
{
	return syscall(NR_futex_requeue, v, flags, nr_wake, nr_requeue);
}

static bool reached(int clk, const struct timespec *dl)
{
	struct timespec now;

	clock_gettime(clk, &now);
	return now.tv_sec > dl->tv_sec || (now.tv_sec == dl->tv_sec && now.tv_nsec >= dl->tv_nsec);
}

/* Wait until thread tid of process pid sleeps (state S in its stat). */
static void wait_sleeping(pid_t pid, pid_t tid)
{
	char path[64], buf[256];

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", pid, tid);
	for (int i = 0; i < 20000; i++) {
		int fd = open(path, O_RDONLY);
		ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
		if (fd >= 0)
			close(fd);
		if (n > 0) {
			buf[n] = 0;
			char *p = strrchr(buf, ')');
			if (p && p[1] == ' ' && p[2] == 'S')
				return;
		}
		usleep(1000);
	}
	printf("  thread %d never slept\n", tid);
}

/* A thread waiting on a word with futex_wait or FUTEX_WAIT_BITSET. */
struct waiter {
	pthread_t th;
	uint32_t *word;
	uint32_t mask;
	unsigned flags;
	bool classic;
	pid_t tid;
	long ret;
	int err;
};

static void *waiter_main(void *arg)
{
	struct waiter *w = arg;

	__atomic_store_n(&w->tid, gettid(), __ATOMIC_SEQ_CST);
	if (w->classic)
		w->ret = syscall(SYS_futex, w->word, FUTEX_WAIT_BITSET_PRIVATE, *w->word, NULL,
				 NULL, w->mask);
	else
		w->ret = fwait(w->word, *w->word, w->mask, w->flags, NULL, 0);
	w->err = errno;
	return NULL;
}

static void start(struct waiter *w, uint32_t *word, uint32_t mask, unsigned flags, bool classic)
{
	*w = (struct waiter){.word = word, .mask = mask, .flags = flags, .classic = classic};
	pthread_create(&w->th, NULL, waiter_main, w);
	while (!__atomic_load_n(&w->tid, __ATOMIC_SEQ_CST))
		usleep(100);
	wait_sleeping(getpid(), w->tid);
}

static void finish(struct waiter *w)
{
	pthread_join(w->th, NULL);
	CHECK_EQ(w->ret, 0);
}

static uint32_t g_a __attribute__((aligned(8))), g_b __attribute__((aligned(8)));

static void wake_wakes_a_waiting_thread(void)
{
	struct waiter w;

	g_a = 7;
	start(&w, &g_a, 0xffffffff, SZ32 | PRIV, false);
	CHECK_EQ(fwake(&g_a, 0xffffffff, 1, SZ32 | PRIV), 1);
	finish(&w);
	CHECK_EQ(fwake(&g_a, 0xffffffff, 1, SZ32 | PRIV), 0);
}

static void wake_counts_and_masks(void)
{
	struct waiter w[3];

	g_a = 0;
	start(&w[0], &g_a, 0x1, SZ32 | PRIV, false);
	start(&w[1], &g_a, 0x2, SZ32 | PRIV, false);
	start(&w[2], &g_a, 0x6, SZ32 | PRIV, false);
	CHECK_EQ(fwake(&g_a, 0x8, INT_MAX, SZ32 | PRIV), 0); /* no bit in common */
	CHECK_EQ(fwake(&g_a, 0x3, 0, SZ32 | PRIV), 0);	      /* nr 0 wakes none */
	CHECK_EQ(fwake(&g_a, 0x1, INT_MAX, SZ32 | PRIV), 1);
	finish(&w[0]);
	CHECK_EQ(fwake(&g_a, 0x2, -5, SZ32 | PRIV), 1); /* negative nr wakes one */
	finish(&w[1]);
	CHECK_EQ(fwake(&g_a, 0xffffffff, INT_MAX, SZ32 | PRIV), 1);
	finish(&w[2]);
}

/* futex_wake wakes FUTEX_WAIT_BITSET waiters and FUTEX_WAKE_BITSET wakes futex_wait's,
 * with the same bitset rules. */
static void classic_and_futex2_meet(void)
{
	struct waiter w, w2;

	g_a = 3;
	start(&w, &g_a, 0x10, 0, true);
	CHECK_EQ(fwake(&g_a, 0x01, 1, SZ32 | PRIV), 0);
	CHECK_EQ(fwake(&g_a, 0x30, 1, SZ32 | PRIV), 1);
	finish(&w);
	start(&w, &g_a, 0x10, SZ32 | PRIV, false);
	CHECK_EQ(syscall(SYS_futex, &g_a, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x01), 0);
	CHECK_EQ(syscall(SYS_futex, &g_a, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	finish(&w);
	/* Unlike futex_wake, futex(2)'s wakes take nr 0 or negative as one. */
	start(&w, &g_a, 0xffffffff, SZ32 | PRIV, false);
	CHECK_EQ(syscall(SYS_futex, &g_a, FUTEX_WAKE_PRIVATE, 0, NULL, NULL, 0), 1);
	finish(&w);
	start(&w, &g_a, 0xffffffff, SZ32 | PRIV, false);
	start(&w2, &g_a, 0xffffffff, SZ32 | PRIV, false);
	CHECK_EQ(syscall(SYS_futex, &g_a, FUTEX_WAKE_BITSET_PRIVATE, -1, NULL, NULL, 1), 1);
	CHECK_EQ(syscall(SYS_futex, &g_a, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0), 1);
	finish(&w);
	finish(&w2);
}

/* A child process waits on a shared mapping's word; the parent's shared wake finds it. */
static void wake_across_processes(void)
{
	uint32_t *word = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
			      0);
	int status;
	pid_t pid;

	*word = 1;
	pid = fork();
	if (pid == 0)
		_exit(fwait(word, 1, 0xffffffff, SZ32, NULL, 0) == 0 ? 0 : 1);
	wait_sleeping(pid, pid);
	CHECK_EQ(fwake(word, 0xffffffff, INT_MAX, SZ32), 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	munmap(word, 4096);
}

static void wait_checks_the_value(void)
{
	g_a = 5;
	CHECK_ERR(fwait(&g_a, 4, 0xffffffff, SZ32 | PRIV, NULL, 0), EAGAIN);
	CHECK_ERR(fwait(&g_a, 5ULL << 32 | 5, 1, SZ32 | PRIV, NULL, 0), EINVAL);
	/* Without a timeout the clock is not looked at. */
	CHECK_ERR(fwait(&g_a, 4, 0xffffffff, SZ32 | PRIV, NULL, 99), EAGAIN);
}

static void wait_times_out_on_both_clocks(void)
{
	int clocks[] = {CLOCK_MONOTONIC, CLOCK_REALTIME};

	g_a = 0;
	for (int i = 0; i < 2; i++) {
		struct timespec dl = h_deadline_ms(clocks[i], 30), past = {0, 0};
		CHECK_ERR(fwait(&g_a, 0, 0xffffffff, SZ32 | PRIV, &dl, clocks[i]), ETIMEDOUT);
		CHECK(reached(clocks[i], &dl));
		CHECK_ERR(fwait(&g_a, 0, 0xffffffff, SZ32 | PRIV, &past, clocks[i]), ETIMEDOUT);
		CHECK_ERR(fwait(&g_a, 0, 0xffffffff, SZ32, &past, clocks[i]), ETIMEDOUT);
	}
}

static void wait_timeout_errors(void)
{
	struct timespec bad_ns = {0, 1000000000L}, neg = {-1, 0}, ok = {0, 0};

	g_a = 0;
	CHECK_ERR(fwait(&g_a, 0, 1, SZ32 | PRIV, &ok, CLOCK_BOOTTIME), EINVAL);
	CHECK_ERR(fwait(&g_a, 0, 1, SZ32 | PRIV, &ok, CLOCK_PROCESS_CPUTIME_ID), EINVAL);
	CHECK_ERR(fwait(&g_a, 1, 1, SZ32 | PRIV, &ok, -1), EINVAL); /* before the value */
	CHECK_ERR(fwait(&g_a, 0, 1, SZ32 | PRIV, &bad_ns, CLOCK_MONOTONIC), EINVAL);
	CHECK_ERR(fwait(&g_a, 0, 1, SZ32 | PRIV, &neg, CLOCK_MONOTONIC), EINVAL);
	CHECK_ERR(fwait(&g_a, 0, 1, SZ32 | PRIV, (void *)8, CLOCK_MONOTONIC), EFAULT);
}

static void bad_flags_sizes_and_masks(void)
{
	unsigned bad[] = {SZ8, SZ16, SZ64, SZ8 | PRIV, SZ64 | PRIV, SZ32 | 0x10, SZ32 | 0x20,
			  SZ32 | 0x40, SZ32 | 0x100, SZ32 | 0x1000, SZ32 | 0x80000000};
	struct timespec ok = {0, 0};

	g_a = 0;
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_ERR(fwake(&g_a, 1, 1, bad[i]), EINVAL);
		CHECK_ERR(fwait(&g_a, 0, 1, bad[i], &ok, CLOCK_MONOTONIC), EINVAL);
	}
	CHECK_ERR(fwake(&g_a, 0, 1, SZ32 | PRIV), EINVAL);
	CHECK_ERR(fwake(&g_a, 1ULL << 32, 1, SZ32 | PRIV), EINVAL);
	CHECK_ERR(fwake(&g_a, ~0UL, 1, SZ32 | PRIV), EINVAL);
	CHECK_ERR(fwait(&g_a, 0, 0, SZ32 | PRIV, &ok, CLOCK_MONOTONIC), EINVAL);
	CHECK_ERR(fwait(&g_a, 1, 0, SZ32 | PRIV, NULL, 0), EINVAL); /* before the value */
	CHECK_ERR(fwait(&g_a, 0, 1ULL << 32, SZ32 | PRIV, &ok, CLOCK_MONOTONIC), EINVAL);
	/* FUTEX2_MPOL alone changes nothing on one node. */
	CHECK_EQ(fwake(&g_a, 1, 1, SZ32 | PRIV | MPOL), 0);
	CHECK_ERR(fwait(&g_a, 0, 1, SZ32 | PRIV | MPOL, &ok, CLOCK_MONOTONIC), ETIMEDOUT);
}

static void bad_addresses(void)
{
	struct timespec ok = {0, 0};

	CHECK_ERR(fwake((char *)&g_a + 1, 1, 1, SZ32 | PRIV), EINVAL);
	CHECK_ERR(fwake((char *)&g_a + 2, 1, 0, SZ32 | PRIV), EINVAL); /* even with nr 0 */
	CHECK_ERR(fwait((char *)&g_a + 2, 0, 1, SZ32 | PRIV, &ok, CLOCK_MONOTONIC), EINVAL);
	/* A private wake does not touch the memory; a shared one must find its page. */
	CHECK_EQ(fwake((void *)0x1000, 1, 1, SZ32 | PRIV), 0);
	CHECK_ERR(fwake((void *)0x1000, 1, 1, SZ32), EFAULT);
	CHECK_ERR(fwait((void *)0x1000, 0, 1, SZ32 | PRIV, &ok, CLOCK_MONOTONIC), EFAULT);
}

/* FUTEX2_NUMA: an 8-byte aligned {value, node} pair; node -1 (none) becomes node 0. */
static void numa_on_one_node(void)
{
	static uint32_t pair[4] __attribute__((aligned(8)));
	struct timespec ok = {0, 0};
	struct waiter w;

	pair[0] = 0;
	pair[1] = 0xffffffff;
	CHECK_EQ(fwake(pair, 1, 1, SZ32 | PRIV | NUMA), 0);
	CHECK_EQ(pair[1], 0);
	pair[1] = 0xffffffff;
	CHECK_EQ(fwake(pair, 1, 1, SZ32 | NUMA | MPOL), 0);
	CHECK_EQ(pair[1], 0);
	pair[1] = 0xffffffff;
	CHECK_ERR(fwait(pair, 0, 1, SZ32 | PRIV | NUMA, &ok, CLOCK_MONOTONIC), ETIMEDOUT);
	CHECK_EQ(pair[1], 0);
	pair[1] = 1;
	CHECK_ERR(fwake(pair, 1, 1, SZ32 | PRIV | NUMA), EINVAL);
	pair[1] = 1024;
	CHECK_ERR(fwait(pair, 0, 1, SZ32 | PRIV | NUMA, &ok, CLOCK_MONOTONIC), EINVAL);
	CHECK_EQ(pair[1], 1024);
	pair[2] = 0xffffffff;
	CHECK_ERR(fwake(&pair[1], 1, 1, SZ32 | PRIV | NUMA), EINVAL); /* 4-byte aligned */
	/* futex_waitv takes FUTEX2_NUMA words too. */
	struct waitv v = {0, (uintptr_t)pair, SZ32 | PRIV | NUMA, 0};
	pair[1] = 0xffffffff;
	CHECK_ERR(syscall(SYS_futex_waitv, &v, 1, 0, &ok, CLOCK_MONOTONIC), ETIMEDOUT);
	CHECK_EQ(pair[1], 0);
	pair[1] = 2;
	CHECK_ERR(syscall(SYS_futex_waitv, &v, 1, 0, &ok, CLOCK_MONOTONIC), EINVAL);
	/* Private NUMA futexes live in the global hash, plain private ones of a threaded
	 * process in its own (Linux 6.16+): they do not meet. */
	pair[1] = 0;
	start(&w, &pair[0], 0xffffffff, SZ32 | PRIV | NUMA, false);
	CHECK_EQ(fwake(pair, 0xffffffff, 1, SZ32 | PRIV), 0);
	CHECK_EQ(syscall(SYS_futex, pair, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 0);
	CHECK_EQ(fwake(pair, 0xffffffff, 1, SZ32 | PRIV | NUMA), 1);
	finish(&w);
}

/* Shared NUMA and plain futexes hash alike: on one node they meet. */
static void numa_shared_meets_plain(void)
{
	uint32_t *pair = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
			      0);
	struct waiter w;

	pair[0] = 4;
	pair[1] = 0xffffffff;
	start(&w, &pair[0], 0xffffffff, SZ32 | NUMA, false);
	CHECK_EQ(pair[1], 0);
	CHECK_EQ(fwake(pair, 0xffffffff, 1, SZ32), 1);
	finish(&w);
	start(&w, &pair[0], 0xffffffff, SZ32, false);
	CHECK_EQ(fwake(pair, 0xffffffff, 1, SZ32 | NUMA), 1);
	finish(&w);
	munmap(pair, 4096);
}

static void on_signal(int sig)
{
	(void)sig;
}

static void wait_interrupted_by_a_signal(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	struct waiter w;

	sigaction(SIGUSR1, &sa, NULL);
	g_a = 0;
	start(&w, &g_a, 0xffffffff, SZ32 | PRIV, false);
	pthread_kill(w.th, SIGUSR1);
	pthread_join(w.th, NULL);
	CHECK_EQ(w.ret, -1);
	CHECK_EQ(w.err, EINTR);
}

static void set(struct waitv *v, uint32_t *word, uint64_t val, uint32_t flags)
{
	*v = (struct waitv){val, (uint64_t)(uintptr_t)word, flags, 0};
}

static void requeue_wakes_and_moves(void)
{
	struct waiter w[4];
	struct waitv v[2];

	g_a = 9;
	g_b = 0;
	for (int i = 0; i < 4; i++)
		start(&w[i], &g_a, 0xffffffff, SZ32 | PRIV, i == 3);
	set(&v[0], &g_a, 9, SZ32 | PRIV);
	set(&v[1], &g_b, 0, SZ32 | PRIV);
	CHECK_EQ(frequeue(v, 0, 0, 0), 0);
	CHECK_EQ(frequeue(v, 0, 1, 2), 3);   /* one woken, two moved to g_b */
	CHECK_EQ(fwake(&g_b, 0xffffffff, INT_MAX, SZ32 | PRIV), 2);
	CHECK_EQ(frequeue(v, 0, 0, INT_MAX), 1); /* the last one moves too */
	CHECK_EQ(fwake(&g_a, 0xffffffff, INT_MAX, SZ32 | PRIV), 0);
	CHECK_EQ(syscall(SYS_futex, &g_b, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0), 1);
	for (int i = 0; i < 4; i++)
		finish(&w[i]);
}

static void requeue_errors(void)
{
	struct waitv v[2];

	g_a = 9;
	set(&v[0], &g_a, 9, SZ32 | PRIV);
	set(&v[1], &g_b, 0, SZ32 | PRIV);
	CHECK_EQ(frequeue(v, 0, 1, 1), 0);
	v[0].val = 8;
	CHECK_ERR(frequeue(v, 0, 1, 1), EAGAIN);
	v[0].val = 9;
	CHECK_ERR(frequeue(v, 1, 1, 1), EINVAL);
	CHECK_ERR(frequeue(NULL, 0, 1, 1), EINVAL);
	CHECK_ERR(frequeue((void *)0x1000, 0, -1, 1), EFAULT);
	CHECK_ERR(frequeue(v, 0, -1, 1), EINVAL);
	CHECK_ERR(frequeue(v, 0, 1, -1), EINVAL);
	v[1].flags = SZ32; /* the two flags must be the same */
	CHECK_ERR(frequeue(v, 0, 1, 1), EINVAL);
	v[0].flags = v[1].flags = SZ16;
	CHECK_ERR(frequeue(v, 0, 1, 1), EINVAL);
	v[0].flags = v[1].flags = SZ32 | PRIV;
	v[1].reserved = 1;
	CHECK_ERR(frequeue(v, 0, 1, 1), EINVAL);
	v[1].reserved = 0;
	v[1].val = 1ULL << 32;
	CHECK_ERR(frequeue(v, 0, 1, 1), EINVAL);
	v[1].val = 0;
	v[1].uaddr = (uintptr_t)&g_b + 1;
	CHECK_ERR(frequeue(v, 0, 0, 0), EINVAL);
	v[1].uaddr = 0x1000; /* private: no page needed */
	CHECK_EQ(frequeue(v, 0, 1, 1), 0);
	v[0].uaddr = 0x1000; /* the compared word must be readable */
	CHECK_ERR(frequeue(v, 0, 1, 1), EFAULT);
}

int main(void)
{
	h_begin();
	RUN(wake_wakes_a_waiting_thread);
	RUN(wake_counts_and_masks);
	RUN(classic_and_futex2_meet);
	RUN(wake_across_processes);
	RUN(wait_checks_the_value);
	RUN(wait_times_out_on_both_clocks);
	RUN(wait_timeout_errors);
	RUN(bad_flags_sizes_and_masks);
	RUN(bad_addresses);
	RUN(numa_on_one_node);
	RUN(numa_shared_meets_plain);
	RUN(wait_interrupted_by_a_signal);
	RUN(requeue_wakes_and_moves);
	RUN(requeue_errors);
	return h_end();
}
