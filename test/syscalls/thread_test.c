/* thread: clone(CLONE_THREAD) through pthreads: ids, shared memory, futex hand-offs,
 * thread exit vs exit_group, signals aimed at threads, execve from a secondary thread,
 * robust mutexes whose owner died. */
#include "harness.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/mman.h>

static pid_t gettid_raw(void)
{
	return (pid_t)syscall(SYS_gettid);
}

struct ids {
	pid_t pid, tid;
};

static void *report_ids(void *arg)
{
	struct ids *ids = arg;

	ids->pid = getpid();
	ids->tid = gettid_raw();
	return (void *)(intptr_t)42;
}

static void thread_shares_pid_with_own_tid(void)
{
	struct ids ids = {0};
	pthread_t th;
	void *ret;

	CHECK_EQ(pthread_create(&th, NULL, report_ids, &ids), 0);
	CHECK_EQ(pthread_join(th, &ret), 0);
	CHECK_EQ((intptr_t)ret, 42);
	CHECK_EQ(ids.pid, getpid());
	CHECK(ids.tid > 0);
	CHECK(ids.tid != gettid_raw());
	CHECK_EQ(gettid_raw(), getpid());
}

static atomic_int g_counter;

static void *count_up(void *arg)
{
	for (int i = 0; i < 1000; i++)
		atomic_fetch_add(&g_counter, 1);
	return NULL;
}

static void threads_share_memory(void)
{
	pthread_t th[4];

	atomic_store(&g_counter, 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, count_up, NULL), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	CHECK_EQ(atomic_load(&g_counter), 4000);
}

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static int g_turn;

static void *ping(void *arg)
{
	for (int i = 0; i < 50; i++) {
		pthread_mutex_lock(&g_mu);
		while (g_turn != 1)
			pthread_cond_wait(&g_cv, &g_mu);
		g_turn = 0;
		pthread_cond_signal(&g_cv);
		pthread_mutex_unlock(&g_mu);
	}
	return NULL;
}

static void condvar_ping_pong_between_threads(void)
{
	pthread_t th;

	g_turn = 0;
	CHECK_EQ(pthread_create(&th, NULL, ping, NULL), 0);
	for (int i = 0; i < 50; i++) {
		pthread_mutex_lock(&g_mu);
		g_turn = 1;
		pthread_cond_signal(&g_cv);
		while (g_turn != 0)
			pthread_cond_wait(&g_cv, &g_mu);
		pthread_mutex_unlock(&g_mu);
	}
	CHECK_EQ(pthread_join(th, NULL), 0);
}

static void *exit_thread_only(void *arg)
{
	syscall(SYS_exit, 0);
	return NULL;
}

static void thread_exit_leaves_process_running(void)
{
	pthread_t th;

	CHECK_EQ(pthread_create(&th, NULL, exit_thread_only, NULL), 0);
	/* The kernel clears and wakes the thread's tid word: join returns. */
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(getpid(), getpid());
}

static void *group_exit(void *arg)
{
	syscall(SYS_exit_group, 7);
	return NULL;
}

static void exit_group_from_thread_ends_process(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		pthread_t th;
		pthread_create(&th, NULL, group_exit, NULL);
		for (;;)
			pause();
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 7);
}

static pid_t g_handler_tid;

static void record_tid(int sig)
{
	g_handler_tid = gettid_raw();
}

static void *wait_for_signal(void *arg)
{
	sigset_t set;

	sigemptyset(&set);
	sigsuspend(&set);
	return NULL;
}

static void tgkill_targets_one_thread(void)
{
	struct sigaction sa = {.sa_handler = record_tid};
	pthread_t th;
	struct ids ids = {0};

	sigset_t usr1, old;

	sigaction(SIGUSR1, &sa, NULL);
	g_handler_tid = 0;
	/* The thread starts with SIGUSR1 blocked and unblocks it only inside sigsuspend: a
	 * signal sent before it got there (a slow or loaded host) waits for it, pending,
	 * instead of running the handler early and leaving sigsuspend waiting forever. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &usr1, &old);
	CHECK_EQ(pthread_create(&th, NULL, wait_for_signal, NULL), 0);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	usleep(20000);
	CHECK_EQ(pthread_kill(th, SIGUSR1), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK(g_handler_tid != 0);
	CHECK(g_handler_tid != gettid_raw());
	(void)ids;
	/* tgkill of a thread of another group is ESRCH. */
	CHECK_ERR(syscall(SYS_tgkill, getpid() + 100000, gettid_raw(), 0), ESRCH);
	signal(SIGUSR1, SIG_DFL);
}

static void *exec_from_thread(void *arg)
{
	char *argv[] = {"/bin/sh", "-c", "exit $(( $PPID > 0 ? 5 : 6 ))", NULL};

	execv("/bin/sh", argv);
	return NULL;
}

static void exec_from_secondary_thread_keeps_pid(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		pthread_t th;
		pthread_create(&th, NULL, exec_from_thread, NULL);
		for (;;)
			pause();
	}
	/* The exec'd program runs as the same process: our child exits with its status. */
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 5);
}

static pthread_mutex_t g_robust;

static void *lock_and_die(void *arg)
{
	pthread_mutex_lock(&g_robust);
	return NULL; /* exits holding the lock */
}

static void robust_mutex_owner_death_is_reported(void)
{
	pthread_mutexattr_t a;
	pthread_t th;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	CHECK_EQ(pthread_mutex_init(&g_robust, &a), 0);
	CHECK_EQ(pthread_create(&th, NULL, lock_and_die, NULL), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(pthread_mutex_lock(&g_robust), EOWNERDEAD);
	CHECK_EQ(pthread_mutex_consistent(&g_robust), 0);
	CHECK_EQ(pthread_mutex_unlock(&g_robust), 0);
}

static void *spin_forever(void *arg)
{
	for (;;)
		;
	return NULL;
}

static void fatal_signal_kills_all_threads(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		pthread_t th;
		pthread_create(&th, NULL, spin_forever, NULL);
		pthread_create(&th, NULL, spin_forever, NULL);
		usleep(10000);
		raise(SIGTERM);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGTERM);
}

#define STRESS_THREADS 8
#define STRESS_PAGES 256

static char *volatile g_region;
static pthread_barrier_t g_bar;

/* Every thread touches every page of one fresh mapping at once: faults race. */
static void *touch_region(void *arg)
{
	long id = (long)arg;

	for (int round = 0; round < 20; round++) {
		pthread_barrier_wait(&g_bar);
		for (int i = 0; i < STRESS_PAGES; i++)
			g_region[(size_t)i * 4096 + (size_t)id] = (char)(id + 1);
		pthread_barrier_wait(&g_bar);
	}
	return NULL;
}

static void concurrent_faults_on_one_mapping(void)
{
	pthread_t th[STRESS_THREADS];

	pthread_barrier_init(&g_bar, NULL, STRESS_THREADS + 1);
	for (long i = 0; i < STRESS_THREADS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, touch_region, (void *)i), 0);
	for (int round = 0; round < 20; round++) {
		g_region = mmap(NULL, STRESS_PAGES * 4096, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		CHECK(g_region != MAP_FAILED);
		pthread_barrier_wait(&g_bar);
		pthread_barrier_wait(&g_bar);
		for (int i = 0; i < STRESS_PAGES; i++)
			for (int j = 0; j < STRESS_THREADS; j++)
				if (g_region[(size_t)i * 4096 + (size_t)j] != j + 1)
					CHECK(!"a thread's store was lost");
		CHECK_OK(munmap(g_region, STRESS_PAGES * 4096));
	}
	for (int i = 0; i < STRESS_THREADS; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	pthread_barrier_destroy(&g_bar);
}

#define MANY_THREADS 300

static void *report_gettid(void *arg)
{
	pthread_barrier_wait(&g_bar); /* all alive at once */
	*(pid_t *)arg = gettid();
	return NULL;
}

/* Hundreds of live threads in one process (a thread pool, a Go or Java program): each is
 * created, runs and has a distinct tid. */
static void many_threads_alive_at_once(void)
{
	static pthread_t th[MANY_THREADS];
	static pid_t tids[MANY_THREADS];
	int distinct = 1;

	pthread_barrier_init(&g_bar, NULL, MANY_THREADS + 1);
	for (int i = 0; i < MANY_THREADS; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, report_gettid, &tids[i]), 0);
	pthread_barrier_wait(&g_bar);
	for (int i = 0; i < MANY_THREADS; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	for (int i = 1; i < MANY_THREADS; i++)
		distinct += tids[i] != tids[i - 1] && tids[i] > 0;
	CHECK_EQ(distinct, MANY_THREADS);
	pthread_barrier_destroy(&g_bar);
}

int main(void)
{
	h_begin();
	RUN(thread_shares_pid_with_own_tid);
	RUN(threads_share_memory);
	RUN(condvar_ping_pong_between_threads);
	RUN(thread_exit_leaves_process_running);
	RUN(exit_group_from_thread_ends_process);
	RUN(tgkill_targets_one_thread);
	RUN(exec_from_secondary_thread_keeps_pid);
	RUN(robust_mutex_owner_death_is_reported);
	RUN(fatal_signal_kills_all_threads);
	RUN(concurrent_faults_on_one_mapping);
	RUN(many_threads_alive_at_once);
	return h_end();
}
