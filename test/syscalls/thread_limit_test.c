/* thread_limit: a clone beyond a thread limit fails with EAGAIN and the process goes on.
 *
 * Linux refuses a thread it cannot create (RLIMIT_NPROC, threads-max, pid_max) with
 * EAGAIN. A sandbox platform may hold fewer threads per address space than the host
 * (systrap: one stub slot per thread); beyond that clone must fail the same way, not
 * kill the process. Natively all threads are created; either way every thread that was
 * created runs and is joined, and the process can create threads again afterwards. */
#include "harness.h"

#include <pthread.h>
#include <stdatomic.h>

#define WANT_THREADS 640
#define THREAD_STACK (64 * 1024)

static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cv = PTHREAD_COND_INITIALIZER;
static bool g_go;
static atomic_int g_ran;

/* Stays alive until the main thread has created as many threads as it could. */
static void *wait_for_go(void *arg)
{
	pthread_mutex_lock(&g_mu);
	while (!g_go)
		pthread_cond_wait(&g_cv, &g_mu);
	pthread_mutex_unlock(&g_mu);
	atomic_fetch_add(&g_ran, 1);
	return arg;
}

/* With the threads alive: a fork'd child has an address space of its own, and can
 * create a thread there. */
static void fork_child_with_thread(void)
{
	int status = 0;
	pid_t pid = CHECK_OK(fork());

	if (pid == 0) {
		pthread_t th;

		g_go = true;
		if (pthread_create(&th, NULL, wait_for_go, NULL) || pthread_join(th, NULL))
			_exit(1);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Create threads that all stay alive until the first failure or WANT_THREADS; each
 * pthread_create must succeed or fail with EAGAIN. Then (at the limit, with_fork: a
 * fork'd child creates a thread) join them all. Returns how many were created. */
static int create_until_limit(bool with_fork)
{
	static pthread_t th[WANT_THREADS];
	pthread_attr_t attr;
	int n = 0, err = 0;

	g_go = false;
	atomic_store(&g_ran, 0);
	CHECK_EQ(pthread_attr_init(&attr), 0);
	CHECK_EQ(pthread_attr_setstacksize(&attr, THREAD_STACK), 0);
	while (n < WANT_THREADS) {
		err = pthread_create(&th[n], &attr, wait_for_go, (void *)(long)n);
		if (err)
			break;
		n++;
	}
	if (err != 0 && err != EAGAIN)
		CHECK_STR(h_errname(err), "EAGAIN");
	if (with_fork)
		fork_child_with_thread();
	pthread_mutex_lock(&g_mu);
	g_go = true;
	pthread_cond_broadcast(&g_cv);
	pthread_mutex_unlock(&g_mu);
	for (int i = 0; i < n; i++) {
		void *ret = NULL;

		CHECK_EQ(pthread_join(th[i], &ret), 0);
		CHECK_EQ((long)ret, i);
	}
	CHECK_EQ(atomic_load(&g_ran), n);
	pthread_attr_destroy(&attr);
	return n;
}

/* Hit the limit (if there is one below WANT_THREADS), fork at it, join everything, and
 * do it again: the threads of the first round are all given back. */
static void clone_beyond_limit_is_eagain_and_process_survives(void)
{
	int first = create_until_limit(true);
	int second = create_until_limit(false);

	printf("  created %d threads, then %d (wanted %d)\n", first, second, WANT_THREADS);
	CHECK(first >= 100);
	CHECK_EQ(second, first);
}

int main(void)
{
	h_begin();
	RUN(clone_beyond_limit_is_eagain_and_process_survives);
	return h_end();
}
