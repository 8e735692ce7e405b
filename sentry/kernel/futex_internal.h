/* futex_internal.h: futex keys and waiters shared by futex.c and futex_pi.c. Kernel lock
 * held for everything here. */
#ifndef RUNSC_SENTRY_KERNEL_FUTEX_INTERNAL_H
#define RUNSC_SENTRY_KERNEL_FUTEX_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "lib/list.h"
#include "sentry/abi/uaddr.h"
#include "sentry/kernel/sched.h"

struct task;
struct mm;

struct futex_key {
	const struct mm *mm; /* NULL for a shared key */
	uint64_t addr;	     /* app address, or memory-file offset when shared */
};

struct futex_waiter {
	struct list_head link; /* g_futex_waiters */
	struct futex_key key;
	uint32_t bitset;
	bool woken;
	struct task *task;     /* PI waiters: who gets the lock on unlock (else NULL) */
	struct waitq wq;
};

extern struct list_head g_futex_waiters;

bool futex_key_eq(const struct futex_key *a, const struct futex_key *b);
int futex_key_get(struct task *t, uint64_t addr, bool private, struct futex_key *key);
int futex_wake_key(const struct futex_key *key, int n, uint32_t bitset);
/* A CLOCK_MONOTONIC deadline from the timeout at utime (relative, or absolute on
 * CLOCK_REALTIME/CLOCK_MONOTONIC). */
int futex_deadline(struct task *t, uaddr_t utime, bool absolute, bool realtime,
		   struct timespec *out);

/* FUTEX_LOCK_PI(2) / FUTEX_TRYLOCK_PI and FUTEX_UNLOCK_PI (futex_pi.c). */
long futex_lock_pi(struct task *t, const struct futex_key *key, uaddr_t uaddr, bool trylock,
		   const struct timespec *deadline);
long futex_unlock_pi(struct task *t, const struct futex_key *key, uaddr_t uaddr);

#endif
