/* sched.c: the kernel lock, wait queues, and interruptible blocking of tasks. */
#include "sentry/kernel/sched.h"

#include <errno.h>
#include <sched.h>
#include <stdatomic.h>

#include "lib/log.h"
#include "sentry/kernel/cputime.h"
#include "sentry/kernel/task.h"

static pthread_mutex_t g_kernel_mutex = PTHREAD_MUTEX_INITIALIZER;
static __thread bool t_lock_held;

/* Tasks this thread woke under the kernel lock, signalled once it drops the lock: a task
 * signalled while the waker still holds the lock wakes only to sleep again on the lock
 * (two more context switches per wake-up, and on an idle VM two more wake-ups of a halted
 * vCPU). Each entry holds a wake_refs count on its task, which task_free waits out.
 * A thread that wakes without holding the lock (it has nothing to drop) signals at once. */
#define DEFER_MAX 16
static __thread struct task *t_defer[DEFER_MAX];
static __thread unsigned t_ndefer;

static void defer_wake(struct task *t)
{
	for (unsigned i = 0; i < t_ndefer; i++)
		if (t_defer[i] == t)
			return;
	if (t_ndefer == DEFER_MAX || !t_lock_held) {
		pthread_cond_signal(&t->cond);
		return;
	}
	atomic_fetch_add(&t->wake_refs, 1);
	t_defer[t_ndefer++] = t;
}

/* A task about to be woken from a wait will soon run application code again: the
 * platform may get that ready in parallel with the task's own wake-up. */
static void wake_hint(struct task *t)
{
	if (t->blocked && t->ctx && !t->in_app && g_platform->ops->wake_hint)
		g_platform->ops->wake_hint(t->ctx);
}

void kernel_flush_wakes(void)
{
	unsigned n = t_ndefer;

	t_ndefer = 0;
	for (unsigned i = 0; i < n; i++) {
		struct task *t = t_defer[i];

		pthread_cond_signal(&t->cond);
		atomic_fetch_sub(&t->wake_refs, 1);
	}
}

void kernel_forget_wakes(struct task *t)
{
	for (unsigned i = 0; i < t_ndefer; i++)
		if (t_defer[i] == t) {
			atomic_fetch_sub(&t->wake_refs, 1);
			t_defer[i] = t_defer[--t_ndefer];
			break;
		}
	while (atomic_load(&t->wake_refs))
		sched_yield();
}

void kernel_lock(void)
{
	pthread_mutex_lock(&g_kernel_mutex);
	t_lock_held = true;
}

void kernel_unlock(void)
{
	cputime_lock_drop();
	t_lock_held = false;
	pthread_mutex_unlock(&g_kernel_mutex);
	kernel_flush_wakes();
}

bool kernel_lock_held(void)
{
	return t_lock_held;
}

pthread_mutex_t *kernel_mutex(void);
pthread_mutex_t *kernel_mutex(void)
{
	return &g_kernel_mutex;
}

void waitq_wake_all(struct waitq *q)
{
	struct list_head *pos;

	list_for_each(pos, &q->waiters) {
		struct waiter *w = list_entry(pos, struct waiter, link);

		if (!w->task) {
			struct waitq_hook *h = list_entry(w, struct waitq_hook, w);

			h->fn(h);
			continue;
		}
		if (!w->task->woken)
			wake_hint(w->task);
		w->task->woken = true;
		defer_wake(w->task);
	}
}

void task_kick(struct task *t)
{
	t->woken = true;
	pthread_cond_signal(&t->cond);
	if (t->in_app && t->ctx)
		g_platform->ops->interrupt(t->ctx);
}

/* Should a blocked task stop waiting? (a deliverable signal, or it is being killed) */
static bool task_interrupted(const struct task *t)
{
	/* A group stop also interrupts: the syscall restarts after SIGCONT. */
	return t->exit_now || task_signal_pending(t) || t->tg->stopped;
}

static int block_on(struct task *t, struct waitq **qs, int nq, const struct timespec *deadline,
		    bool (*stop)(const struct task *));

static bool task_killed(const struct task *t)
{
	return t->exit_now;
}

void task_block_killable(struct task *t, struct waitq *q)
{
	block_on(t, &q, 1, NULL, task_killed);
}

int task_block_many(struct task *t, struct waitq **qs, int nq, const struct timespec *deadline)
{
	return block_on(t, qs, nq, deadline, task_interrupted);
}

static int block_on(struct task *t, struct waitq **qs, int nq, const struct timespec *deadline,
		    bool (*stop)(const struct task *))
{
	struct waiter ws[8];
	int ret = 0;

	if (nq > 8)
		log_fatal("task_block_many: %d queues", nq);
	if (stop(t))
		return -EINTR;
	for (int i = 0; i < nq; i++) {
		ws[i].task = t;
		list_add_tail(&ws[i].link, &qs[i]->waiters);
	}
	t->woken = false;
	t->blocked = true;
	kernel_flush_wakes(); /* under the lock: pthread_cond_wait drops it itself */
	cputime_lock_drop();
	t_lock_held = false;
	while (!t->woken) {
		if (deadline) {
			int err = pthread_cond_timedwait(&t->cond, &g_kernel_mutex, deadline);
			if (err == ETIMEDOUT) {
				ret = -ETIMEDOUT;
				break;
			}
		} else {
			pthread_cond_wait(&t->cond, &g_kernel_mutex);
		}
	}
	t_lock_held = true;
	t->blocked = false;
	for (int i = 0; i < nq; i++)
		list_del(&ws[i].link);
	if (stop(t))
		return -EINTR;
	return ret;
}

int task_block(struct task *t, struct waitq *q, const struct timespec *deadline)
{
	return task_block_many(t, &q, 1, deadline);
}
