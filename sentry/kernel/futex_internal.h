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
/* Sleep on key if the word at uaddr still holds val, until a wake whose bitset meets
 * bitset (0), the deadline (-ETIMEDOUT; NULL: none) or a signal (-ERESTARTSYS). -EAGAIN
 * when the word differs, -EFAULT when unreadable. */
long futex_wait_key(struct task *t, const struct futex_key *key, uaddr_t uaddr, uint32_t val,
		    const struct timespec *deadline, uint32_t bitset);
/* Move up to n waiters from one key to another; returns how many. */
int futex_requeue_key(const struct futex_key *from, const struct futex_key *to, int n);
/* A CLOCK_MONOTONIC deadline from the timeout at utime (relative, or absolute on
 * CLOCK_REALTIME/CLOCK_MONOTONIC). */
int futex_deadline(struct task *t, uaddr_t utime, bool absolute, bool realtime,
		   struct timespec *out);

/* FUTEX_LOCK_PI(2) / FUTEX_TRYLOCK_PI and FUTEX_UNLOCK_PI (futex_pi.c). */
long futex_lock_pi(struct task *t, const struct futex_key *key, uaddr_t uaddr, bool trylock,
		   const struct timespec *deadline);
long futex_unlock_pi(struct task *t, const struct futex_key *key, uaddr_t uaddr);

/* futex2 flags (futex_waitv, futex_wake, futex_wait, futex_requeue; futex2.c). */
#define FUTEX2_SIZE_U32 0x02
#define FUTEX2_SIZE_MASK 0x03
#define FUTEX2_NUMA 0x04
#define FUTEX2_MPOL 0x08
#define FUTEX2_PRIVATE 128
#define FUTEX_BITSET_ANY 0xffffffffU

/* -EINVAL unless flags are valid futex2 flags of a 32-bit futex, else 0. */
int futex2_flags_check(uint32_t flags);
/* The key of the futex2 word at addr. FUTEX2_NUMA words are 8-byte aligned pairs {value,
 * node}: node -1 becomes 0 (written back), any other node than 0 is EINVAL (one node). */
int futex2_key_get(struct task *t, uint64_t addr, uint32_t flags, struct futex_key *key);

#endif
