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
 * vCPU). The platform's wake hint for the task (its application thread told to get ready,
 * see wake_hint) waits for the lock drop too: a thread woken while we hold the lock can
 * take our CPU and then spin for a resume that needs the lock. Each entry holds a
 * wake_refs count on its task, which task_free and the release of its platform context
 * (task_do_exit) wait out. A thread that wakes without holding the lock (it has nothing
 * to drop) signals at once. */
#define DEFER_MAX 16
struct deferred_wake {
	struct task *t;
	struct plat_ctx *hint; /* the context to hint, or NULL */
};
static __thread struct deferred_wake t_defer[DEFER_MAX];
static __thread unsigned t_ndefer;

/* Hint first: once signalled, t may run (and exit) unless we hold the lock. */
static void wake_now(struct task *t, struct plat_ctx *hint)
{
	if (hint)
		g_platform->ops->wake_hint(hint);
	pthread_cond_signal(&t->cond);
}

static void defer_wake(struct task *t, struct plat_ctx *hint)
{
	for (unsigned i = 0; i < t_ndefer; i++)
		if (t_defer[i].t == t) {
			if (hint)
				t_defer[i].hint = hint;
			return;
		}
	if (t_ndefer == DEFER_MAX || !t_lock_held) {
		wake_now(t, hint);
		return;
	}
	atomic_fetch_add(&t->wake_refs, 1);
	t_defer[t_ndefer++] = (struct deferred_wake){ t, hint };
}

/* A task about to be woken from a wait will soon run application code again: the
 * platform may get that ready in parallel with the task's own wake-up. The context to
 * hint, decided under the lock while the task is still blocked. */
static struct plat_ctx *wake_hint_ctx(const struct task *t)
{
	if (t->blocked && t->ctx && !t->in_app && g_platform->ops->wake_hint)
		return t->ctx;
	return NULL;
}

void kernel_flush_wakes(void)
{
	unsigned n = t_ndefer;

	t_ndefer = 0;
	for (unsigned i = 0; i < n; i++) {
		struct task *t = t_defer[i].t;

		/* Our wake_refs count keeps the context: the task's thread first, so that
		 * it runs even if the hinted thread then takes our CPU. */
		pthread_cond_signal(&t->cond);
		if (t_defer[i].hint)
			g_platform->ops->wake_hint(t_defer[i].hint);
		atomic_fetch_sub(&t->wake_refs, 1);
	}
}

void kernel_forget_wakes(struct task *t)
{
	for (unsigned i = 0; i < t_ndefer; i++)
		if (t_defer[i].t == t) {
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
		defer_wake(w->task, w->task->woken ? NULL : wake_hint_ctx(w->task));
		w->task->woken = true;
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

/* A spinning thread keeps its CPU until it is preempted, so a thread of ours queued on
 * that CPU (the waker, or a stub pinned there) would wait for the spin: the spin yields
 * instead. But under others' load a yield hands the CPU to a busy task for its whole
 * slice (ms): a yield that took longer than YIELD_SLOW_NS makes the task's next
 * PAUSE_WAITS spins use pause only. */
#define YIELD_SLOW_NS 50000
#define PAUSE_WAITS 256

static void spin_once(struct task *t)
{
	uint64_t before;

	if (t->spin_pause_waits) {
		__builtin_ia32_pause();
		return;
	}
	before = kernel_now_ns();
	sched_yield();
	if (kernel_now_ns() - before > YIELD_SLOW_NS)
		t->spin_pause_waits = PAUSE_WAITS;
}

/* At most one spinning waiter per CPU but one: the others' threads need a CPU too. */
static atomic_int g_spinners;

static int spinners_max(void)
{
	static int max = -1;
	cpu_set_t set;

	if (max < 0)
		max = sched_getaffinity(0, sizeof(set), &set) == 0 ? CPU_COUNT(&set) - 1 : 0;
	return max;
}

/* Spin for the wake-up as long as the platform asks (a task that ping-pongs with
 * another: its waits are short, and a sleeping thread on an idle vCPU is slow to wake)
 * but not past the deadline, then take the lock back once it is free. Called and returns with the kernel mutex
 * held; returns when the wait began (0 if the platform does not score waits). */
static uint64_t block_spin(struct task *t, const struct timespec *deadline)
{
	uint64_t start, spin;

	if (!t->ctx || !g_platform->ops->block_spin_ns)
		return 0;
	start = kernel_now_ns();
	spin = g_platform->ops->block_spin_ns(t->ctx);
	if (deadline) { /* CLOCK_MONOTONIC, as t->cond's: spin no longer than the wait */
		uint64_t end = (uint64_t)deadline->tv_sec * 1000000000ULL +
			       (uint64_t)deadline->tv_nsec;
		if (end <= start)
			spin = 0;
		else if (end - start < spin)
			spin = end - start;
	}
	if (!spin)
		return start;
	if (atomic_fetch_add(&g_spinners, 1) >= spinners_max()) {
		atomic_fetch_sub(&g_spinners, 1);
		return start;
	}
	if (t->spin_pause_waits)
		t->spin_pause_waits--;
	pthread_mutex_unlock(&g_kernel_mutex);
	for (;;) {
		if (__atomic_load_n(&t->woken, __ATOMIC_ACQUIRE) &&
		    pthread_mutex_trylock(&g_kernel_mutex) == 0)
			break;
		spin_once(t);
		if (kernel_now_ns() - start > spin) {
			pthread_mutex_lock(&g_kernel_mutex);
			break;
		}
	}
	atomic_fetch_sub(&g_spinners, 1);
	cputime_spun(t);
	return start;
}

static int block_on(struct task *t, struct waitq **qs, int nq, const struct timespec *deadline,
		    bool (*stop)(const struct task *))
{
	struct waiter ws[8];
	uint64_t since;
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
	since = block_spin(t, deadline);
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
	if (since && ret == 0)
		g_platform->ops->block_end(t->ctx, kernel_now_ns() - since);
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
