/* futex_pi.c: priority-inheritance futexes (FUTEX_LOCK_PI, LOCK_PI2, TRYLOCK_PI, UNLOCK_PI)
 * with Linux's ownership protocol on the futex word: the owner's tid, FUTEX_WAITERS when
 * the kernel holds waiters, FUTEX_OWNER_DIED after a robust owner died. Unlock hands the
 * lock straight to the first waiter. The Sentry has no priorities to inherit: the
 * ownership semantics are exact, the scheduling boost is not modelled. */
#include "sentry/kernel/futex_internal.h"

#include <errno.h>
#include <linux/futex.h>

#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

/* The first PI waiter queued on key, or NULL. */
static struct futex_waiter *first_pi_waiter(const struct futex_key *key, int *count)
{
	struct futex_waiter *first = NULL;
	struct list_head *pos;

	*count = 0;
	list_for_each(pos, &g_futex_waiters) {
		struct futex_waiter *w = list_entry(pos, struct futex_waiter, link);
		if (!w->task || !futex_key_eq(&w->key, key))
			continue;
		if (!first)
			first = w;
		(*count)++;
	}
	return first;
}

/* Lock words hold tids as the application sees them (its pid namespace's). */
static uint32_t word_tid(struct task *viewer, struct task *t)
{
	return (uint32_t)task_vnr(viewer, t);
}

/* Take the lock if it is free (tid 0); else mark FUTEX_WAITERS. Returns 1 acquired, 0
 * held by another, -EDEADLK held by us. */
static int try_acquire(struct task *t, uint32_t *w)
{
	uint32_t old = __atomic_load_n(w, __ATOMIC_RELAXED), nv;

	for (;;) {
		uint32_t owner = old & FUTEX_TID_MASK;
		if (owner == word_tid(t, t))
			return -EDEADLK;
		if (owner == 0 || !task_find(pid_from_vnr(t, (int)owner))) {
			/* Free, or its owner is gone without releasing it: ours (the dead
			 * owner case keeps OWNER_DIED for robust mutexes to report). */
			nv = word_tid(t, t) | (old & FUTEX_WAITERS) |
			     (owner ? FUTEX_OWNER_DIED : (old & FUTEX_OWNER_DIED));
			if (__atomic_compare_exchange_n(w, &old, nv, false, __ATOMIC_SEQ_CST,
							__ATOMIC_RELAXED))
				return 1;
			continue;
		}
		nv = old | FUTEX_WAITERS;
		if (nv == old ||
		    __atomic_compare_exchange_n(w, &old, nv, false, __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
			return 0;
	}
}

long futex_lock_pi(struct task *t, const struct futex_key *key, uaddr_t uaddr, bool trylock,
		   const struct timespec *deadline)
{
	struct futex_waiter w = {.key = *key, .bitset = FUTEX_BITSET_MATCH_ANY, .task = t};
	uint32_t *word = mm_user_word(t->mm, uaddr.v);
	int r;

	if (!word)
		return -EFAULT;
	r = try_acquire(t, word);
	if (r)
		return r < 0 ? r : 0;
	if (trylock)
		return -EWOULDBLOCK;
	waitq_init(&w.wq);
	list_add_tail(&w.link, &g_futex_waiters);
	do
		r = task_block(t, &w.wq, deadline);
	while (r == 0 && !w.woken);
	if (w.woken)
		return 0; /* the unlocker made us the owner */
	list_del(&w.link);
	return r == -ETIMEDOUT ? -ETIMEDOUT : -ERESTARTNOINTR;
}

long futex_unlock_pi(struct task *t, const struct futex_key *key, uaddr_t uaddr)
{
	uint32_t *word = mm_user_word(t->mm, uaddr.v);
	struct futex_waiter *next;
	uint32_t old, nv;
	int count;

	if (!word)
		return -EFAULT;
	old = __atomic_load_n(word, __ATOMIC_RELAXED);
	do {
		if ((old & FUTEX_TID_MASK) != word_tid(t, t))
			return -EPERM;
		next = first_pi_waiter(key, &count);
		nv = next ? word_tid(t, next->task) | (count > 1 ? FUTEX_WAITERS : 0) : 0;
	} while (!__atomic_compare_exchange_n(word, &old, nv, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	if (next) {
		list_del(&next->link);
		next->woken = true;
		waitq_wake_all(&next->wq);
	}
	return 0;
}
