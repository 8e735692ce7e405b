/* futex_pi: PTHREAD_PRIO_INHERIT mutexes (FUTEX_LOCK_PI/UNLOCK_PI/TRYLOCK_PI underneath):
 * contention between threads, trylock, timed lock, error cases on the raw word, and the
 * atomic FUTEX_WAKE_OP. */
#include "harness.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdint.h>

static pthread_mutex_t g_pi;
static long g_total;

static void *hammer(void *arg)
{
	for (int i = 0; i < 2000; i++) {
		pthread_mutex_lock(&g_pi);
		g_total++;
		if (i % 100 == 0)
			sched_yield(); /* hold it a while: the others go to the kernel */
		pthread_mutex_unlock(&g_pi);
	}
	return NULL;
}

static void pi_mutex_serializes_threads(void)
{
	pthread_mutexattr_t a;
	pthread_t th[4];

	pthread_mutexattr_init(&a);
	CHECK_EQ(pthread_mutexattr_setprotocol(&a, PTHREAD_PRIO_INHERIT), 0);
	CHECK_EQ(pthread_mutex_init(&g_pi, &a), 0);
	g_total = 0;
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pthread_create(&th[i], NULL, hammer, NULL), 0);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pthread_join(th[i], NULL), 0);
	CHECK_EQ(g_total, 8000);
}

static void *try_and_time(void *arg)
{
	struct timespec ts;
	long *res = arg;

	res[0] = pthread_mutex_trylock(&g_pi);
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 50 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	res[1] = pthread_mutex_timedlock(&g_pi, &ts);
	return NULL;
}

static void pi_trylock_and_timedlock_when_held(void)
{
	pthread_t th;
	long res[2];

	CHECK_EQ(pthread_mutex_lock(&g_pi), 0);
	CHECK_EQ(pthread_create(&th, NULL, try_and_time, res), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(res[0], EBUSY);
	CHECK_EQ(res[1], ETIMEDOUT);
	CHECK_EQ(pthread_mutex_unlock(&g_pi), 0);
}

static void pi_word_errors(void)
{
	uint32_t word = 0;
	pid_t tid = (pid_t)syscall(SYS_gettid);

	/* Unlocking a word we do not own is EPERM. */
	CHECK_ERR(syscall(SYS_futex, &word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0), EPERM);
	/* Locking a free word through the kernel takes it. */
	CHECK_OK(syscall(SYS_futex, &word, FUTEX_LOCK_PI, 0, NULL, NULL, 0));
	CHECK_EQ(word & FUTEX_TID_MASK, (uint32_t)tid);
	/* Again: we already own it. */
	CHECK_ERR(syscall(SYS_futex, &word, FUTEX_TRYLOCK_PI, 0, NULL, NULL, 0), EDEADLK);
	CHECK_OK(syscall(SYS_futex, &word, FUTEX_UNLOCK_PI, 0, NULL, NULL, 0));
	CHECK_EQ(word, 0);
	CHECK_ERR(syscall(SYS_futex, (uint32_t *)8, FUTEX_LOCK_PI, 0, NULL, NULL, 0), EFAULT);
}

static void wake_op_updates_the_second_word(void)
{
	uint32_t a = 0, b = 5;
	int op = FUTEX_OP(FUTEX_OP_ADD, 3, FUTEX_OP_CMP_EQ, 5);

	CHECK_EQ(syscall(SYS_futex, &a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, op), 0);
	CHECK_EQ(b, 8);
	op = FUTEX_OP(FUTEX_OP_OR, 0, FUTEX_OP_CMP_GT, 0) | (8U << 28); /* oparg = 1 << 0 */
	CHECK_EQ(syscall(SYS_futex, &a, FUTEX_WAKE_OP_PRIVATE, 1, 1, &b, op), 0);
	CHECK_EQ(b, 9);
}

int main(void)
{
	h_begin();
	RUN(pi_mutex_serializes_threads);
	RUN(pi_trylock_and_timedlock_when_held);
	RUN(pi_word_errors);
	RUN(wake_op_updates_the_second_word);
	return h_end();
}
