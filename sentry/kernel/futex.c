/* futex.c: futex wait queues keyed by (mm, address) for private futexes and by memory-file
 * offset for shared ones, so processes sharing memory meet on the same key. */
#include "sentry/kernel/futex.h"
#include "sentry/kernel/futex_internal.h"

#include <errno.h>
#include <linux/futex.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/list.h"
#include "lib/util.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

struct list_head g_futex_waiters = LIST_HEAD_INIT(g_futex_waiters);

bool futex_key_eq(const struct futex_key *a, const struct futex_key *b)
{
	return a->mm == b->mm && a->addr == b->addr;
}

/* Shared futexes in shared memory are keyed by the memory-file page. */
int futex_key_get(struct task *t, uint64_t addr, bool private, struct futex_key *key)
{
	uint64_t off;

	if (addr & 3)
		return -EINVAL;
	key->mm = t->mm;
	key->addr = addr;
	if (private)
		return 0;
	int r = mm_shared_offset(t->mm, addr, &off);
	if (r < 0)
		return r;
	if (r == 1) {
		key->mm = NULL;
		key->addr = off;
	}
	return 0;
}

/* Wake up to n waiters on key whose bitset intersects; returns how many. */
int futex_wake_key(const struct futex_key *key, int n, uint32_t bitset)
{
	struct list_head *pos, *nx;
	int woken = 0;

	list_for_each_safe(pos, nx, &g_futex_waiters) {
		struct futex_waiter *w = list_entry(pos, struct futex_waiter, link);
		if (woken >= n)
			break;
		if (!futex_key_eq(&w->key, key) || !(w->bitset & bitset))
			continue;
		list_del(&w->link);
		w->woken = true;
		waitq_wake_all(&w->wq);
		woken++;
	}
	return woken;
}

long futex_wait_key(struct task *t, const struct futex_key *key, uaddr_t uaddr, uint32_t val,
		    const struct timespec *deadline, uint32_t bitset)
{
	struct futex_waiter w = {.key = *key, .bitset = bitset};
	uint32_t cur;
	int r;

	if (copy_from_user(t, &cur, uaddr, sizeof(cur)))
		return -EFAULT;
	if (cur != val)
		return -EAGAIN;
	waitq_init(&w.wq);
	list_add_tail(&w.link, &g_futex_waiters);
	do
		r = task_block(t, &w.wq, deadline);
	while (r == 0 && !w.woken);
	if (w.woken)
		return 0;
	list_del(&w.link);
	if (r == -ETIMEDOUT)
		return -ETIMEDOUT;
	return -ERESTARTSYS;
}

int futex_requeue_key(const struct futex_key *from, const struct futex_key *to, int n)
{
	struct list_head *pos;
	int moved = 0;

	list_for_each(pos, &g_futex_waiters) {
		struct futex_waiter *w = list_entry(pos, struct futex_waiter, link);
		if (moved >= n)
			break;
		if (!futex_key_eq(&w->key, from))
			continue;
		w->key = *to;
		moved++;
	}
	return moved;
}

/* FUTEX_WAKE_OP's operation on the second word, atomically (application threads may
 * update it concurrently); *cmp is the comparison on its old value. Returns 0 or -errno. */
static long futex_wake_op_apply(struct task *t, uaddr_t uaddr2, uint32_t encoded, bool *cmp)
{
	unsigned op = (encoded >> 28) & 7, cmpop = (encoded >> 24) & 15;
	uint32_t oparg = (encoded >> 12) & 0xfff, cmparg = encoded & 0xfff, old, nv;
	uint32_t *w = mm_user_word(t->mm, uaddr2.v);

	if (encoded & (8U << 28))
		oparg = oparg < 32 ? 1U << oparg : 0;
	if (op > FUTEX_OP_XOR || cmpop > FUTEX_OP_CMP_GE)
		return -ENOSYS;
	if (!w)
		return -EFAULT;
	old = __atomic_load_n(w, __ATOMIC_RELAXED);
	do {
		switch (op) {
		case FUTEX_OP_SET: nv = oparg; break;
		case FUTEX_OP_ADD: nv = old + oparg; break;
		case FUTEX_OP_OR: nv = old | oparg; break;
		case FUTEX_OP_ANDN: nv = old & ~oparg; break;
		default: nv = old ^ oparg; break;
		}
	} while (!__atomic_compare_exchange_n(w, &old, nv, false, __ATOMIC_SEQ_CST,
					      __ATOMIC_RELAXED));
	switch (cmpop) {
	case FUTEX_OP_CMP_EQ: *cmp = old == cmparg; break;
	case FUTEX_OP_CMP_NE: *cmp = old != cmparg; break;
	case FUTEX_OP_CMP_LT: *cmp = (int32_t)old < (int32_t)cmparg; break;
	case FUTEX_OP_CMP_LE: *cmp = (int32_t)old <= (int32_t)cmparg; break;
	case FUTEX_OP_CMP_GT: *cmp = (int32_t)old > (int32_t)cmparg; break;
	default: *cmp = (int32_t)old >= (int32_t)cmparg; break;
	}
	return 0;
}

/* Turn the timeout argument into a CLOCK_MONOTONIC deadline. Relative for FUTEX_WAIT,
 * absolute (on the chosen clock) for FUTEX_WAIT_BITSET. */
int futex_deadline(struct task *t, uaddr_t utime, bool absolute, bool realtime,
			  struct timespec *out)
{
	struct timespec ts, now, mono;
	int64_t ns;

	if (copy_from_user(t, &ts, utime, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &mono);
	ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
	if (absolute) {
		clock_gettime(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, &now);
		ns -= now.tv_sec * 1000000000LL + now.tv_nsec;
		if (ns < 0)
			ns = 0;
	}
	ns += mono.tv_sec * 1000000000LL + mono.tv_nsec;
	out->tv_sec = ns / 1000000000LL;
	out->tv_nsec = ns % 1000000000LL;
	return 0;
}

/* futex(2)'s wake counts are ints that wake at least one (Linux checks the count only
 * after a wake): 0 or negative (INT_MIN..-1 as passed in a u32 or a timeout pointer)
 * wake one. futex_wake(2) differs: its 0 wakes none. */
static int wake_count(uint64_t nr)
{
	return (int32_t)nr <= 0 ? 1 : (int32_t)nr;
}

long sys_futex(struct task *t, const struct sysargs *a)
{
	uaddr_t uaddr = arg_uaddr(a, 0), utime = arg_uaddr(a, 3), uaddr2 = arg_uaddr(a, 4);
	int op = arg_int(a, 1), cmd = op & FUTEX_CMD_MASK;
	uint32_t val = arg_uint(a, 2), val3 = arg_uint(a, 5);
	bool private = op & FUTEX_PRIVATE_FLAG, realtime = op & FUTEX_CLOCK_REALTIME;
	struct futex_key k1, k2;
	struct timespec dl;
	long r;

	if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_LOCK_PI2)
		return -ENOSYS;
	r = futex_key_get(t, uaddr.v, private, &k1);
	if (r)
		return r;
	switch (cmd) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
		if (cmd == FUTEX_WAIT_BITSET && val3 == 0)
			return -EINVAL;
		if (!uaddr_is_null(utime)) {
			r = futex_deadline(t, utime, cmd == FUTEX_WAIT_BITSET, realtime, &dl);
			if (r)
				return r;
		}
		return futex_wait_key(t, &k1, uaddr, val, uaddr_is_null(utime) ? NULL : &dl,
				      cmd == FUTEX_WAIT ? FUTEX_BITSET_MATCH_ANY : val3);
	case FUTEX_WAKE:
	case FUTEX_WAKE_BITSET:
		if (cmd == FUTEX_WAKE_BITSET && val3 == 0)
			return -EINVAL;
		return futex_wake_key(&k1, wake_count(val),
				      cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3);
	case FUTEX_REQUEUE:
	case FUTEX_CMP_REQUEUE: {
		int nwake = (int)MIN(val, (uint32_t)INT32_MAX);
		int nreq = (int)MIN(utime.v, (uint64_t)INT32_MAX);
		uint32_t cur;
		if ((int32_t)val < 0 || (int64_t)utime.v < 0)
			return -EINVAL;
		r = futex_key_get(t, uaddr2.v, private, &k2);
		if (r)
			return r;
		if (cmd == FUTEX_CMP_REQUEUE) {
			if (copy_from_user(t, &cur, uaddr, sizeof(cur)))
				return -EFAULT;
			if (cur != val3)
				return -EAGAIN;
		}
		int woken = futex_wake_key(&k1, nwake, FUTEX_BITSET_MATCH_ANY);
		return woken + futex_requeue_key(&k1, &k2, nreq);
	}
	case FUTEX_WAKE_OP: {
		bool cmp = false;
		r = futex_key_get(t, uaddr2.v, private, &k2);
		if (r)
			return r;
		r = futex_wake_op_apply(t, uaddr2, val3, &cmp);
		if (r)
			return r;
		int woken = futex_wake_key(&k1, wake_count(val), FUTEX_BITSET_MATCH_ANY);
		if (cmp)
			woken += futex_wake_key(&k2, wake_count(utime.v), FUTEX_BITSET_MATCH_ANY);
		return woken;
	}
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_TRYLOCK_PI:
		if (cmd != FUTEX_TRYLOCK_PI && !uaddr_is_null(utime)) {
			/* LOCK_PI's timeout is absolute CLOCK_REALTIME; LOCK_PI2's follows
			 * FUTEX_CLOCK_REALTIME (else CLOCK_MONOTONIC). */
			r = futex_deadline(t, utime, true, cmd == FUTEX_LOCK_PI || realtime, &dl);
			if (r)
				return r;
		}
		return futex_lock_pi(t, &k1, uaddr, cmd == FUTEX_TRYLOCK_PI,
				     uaddr_is_null(utime) ? NULL : &dl);
	case FUTEX_UNLOCK_PI:
		return futex_unlock_pi(t, &k1, uaddr);
	default:
		/* WAIT_REQUEUE_PI / CMP_REQUEUE_PI (PI condition variables): not yet. */
		return -ENOSYS;
	}
}

void futex_wake_exit(struct task *t, uint64_t addr)
{
	struct futex_key key;

	if (futex_key_get(t, addr, false, &key) == 0)
		futex_wake_key(&key, 1, FUTEX_BITSET_MATCH_ANY);
}

#define ROBUST_LIST_LIMIT 2048

/* Release one robust futex held by t: owner-died, and wake a waiter if any. */
static void robust_release(struct task *t, uint64_t addr)
{
	uint32_t val, nv;

	if (copy_from_user(t, &val, uaddr(addr), sizeof(val)))
		return;
	if ((val & FUTEX_TID_MASK) != (uint32_t)task_vnr(t, t))
		return;
	nv = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
	if (copy_to_user(t, uaddr(addr), &nv, sizeof(nv)))
		return;
	if (val & FUTEX_WAITERS)
		futex_wake_exit(t, addr);
}

void futex_exit_robust(struct task *t)
{
	/* struct robust_list_head { next; long futex_offset; list_op_pending; } */
	uint64_t head[3], entry, head_addr = t->robust_list.v;
	int64_t offset;

	if (copy_from_user(t, head, t->robust_list, sizeof(head)))
		return;
	offset = (int64_t)head[1];
	entry = head[0];
	for (int n = 0; entry != head_addr && n < ROBUST_LIST_LIMIT; n++) {
		uint64_t next;
		if (copy_from_user(t, &next, uaddr(entry & ~1ULL), sizeof(next)))
			break;
		if (entry != head[2])
			robust_release(t, (entry & ~1ULL) + (uint64_t)offset);
		entry = next;
	}
	if (head[2])
		robust_release(t, (head[2] & ~1ULL) + (uint64_t)offset);
}
