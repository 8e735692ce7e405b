/* sched.h: the kernel lock, wait queues and interruptible blocking of tasks.
 *
 * Locking model (first light): one kernel lock serializes all Sentry state. A task holds
 * it while it runs a syscall handler or handles a trap, and drops it while application
 * code runs (platform switch_to) and while it blocks. Finer locks come later; code that
 * blocks on the host for long (a read from a host terminal) drops it explicitly with
 * kernel_unlock()/kernel_lock().
 */
#ifndef RUNSC_SENTRY_KERNEL_SCHED_H
#define RUNSC_SENTRY_KERNEL_SCHED_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "lib/list.h"

struct task;

void kernel_lock(void);
void kernel_unlock(void);
bool kernel_lock_held(void);

/* A wait queue: tasks blocked until some state changes. Protected by the kernel lock. */
struct waitq {
	struct list_head waiters; /* of struct waiter.link */
};

struct waiter {
	struct list_head link;
	struct task *task;
};

static inline void waitq_init(struct waitq *q)
{
	list_init(&q->waiters);
}

/* A hook on a wait queue: instead of waking a task, waitq_wake_all calls fn (epoll
 * forwards its member files' wake-ups to its own queue this way). A hook stays on the
 * queue until removed. fn runs under the kernel lock and must not add or remove waiters
 * or hooks of the queue being woken. */
struct waitq_hook {
	struct waiter w; /* w.task == NULL marks a hook */
	void (*fn)(struct waitq_hook *h);
};

static inline void waitq_hook_add(struct waitq *q, struct waitq_hook *h)
{
	h->w.task = NULL;
	list_add_tail(&h->w.link, &q->waiters);
}

static inline void waitq_hook_del(struct waitq_hook *h)
{
	list_del(&h->w.link);
}

/* Wake every task waiting on q and call every hook on it. Kernel lock held. The tasks
 * are signalled when this thread drops the kernel lock (kernel_unlock, or blocking). */
void waitq_wake_all(struct waitq *q);

/* Signal the tasks this thread woke now (before a pthread_cond_wait on the kernel mutex
 * outside block_on; kernel_unlock does it itself). */
void kernel_flush_wakes(void);
/* Before t is freed or its platform context released (kernel lock held): drop this
 * thread's pending wake-up of t and wait until no other thread is still signalling it. */
void kernel_forget_wakes(struct task *t);

/* Block the current task on q until woken, a signal becomes deliverable, or the deadline
 * (CLOCK_MONOTONIC, NULL = none) passes. Kernel lock held; dropped while asleep.
 * Returns 0 when woken (the caller re-checks its condition and loops),
 * -EINTR when a signal is pending (the caller returns -ERESTARTSYS or -EINTR),
 * -ETIMEDOUT when the deadline passed. Spurious wake-ups return 0. */
int task_block(struct task *t, struct waitq *q, const struct timespec *deadline);

/* Same, waiting on several queues at once (poll-like). */
int task_block_many(struct task *t, struct waitq **qs, int nq, const struct timespec *deadline);

/* Block ignoring signals; returns when woken or when the task is being killed
 * (t->exit_now). For waits Linux makes killable only (vfork). */
void task_block_killable(struct task *t, struct waitq *q);

/* Wake a task blocked in task_block (for signals and kills). Kernel lock held. */
void task_kick(struct task *t);

#endif
