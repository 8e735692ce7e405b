/* futex2.c: the futex2 calls of Linux 6.7: futex_wake(2), futex_wait(2) and
 * futex_requeue(2), the FUTEX_WAKE_BITSET / FUTEX_WAIT_BITSET / FUTEX_CMP_REQUEUE of
 * futex(2) with futex2 flags (a size, FUTEX2_NUMA, FUTEX2_MPOL, FUTEX2_PRIVATE) and a
 * bitmask as wide as the size. Only 32-bit futexes exist, as in Linux. The waiters are
 * ordinary futex waiters, so futex(2) and these calls wake each other on one word. */
#include "sentry/kernel/futex_internal.h"

#include <errno.h>
#include <time.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define FUTEX2_VALID (FUTEX2_SIZE_MASK | FUTEX2_NUMA | FUTEX2_MPOL | FUTEX2_PRIVATE)
#define FUTEX_NO_NODE 0xffffffffU

int futex2_flags_check(uint32_t flags)
{
	if (flags & ~(uint32_t)FUTEX2_VALID)
		return -EINVAL;
	if ((flags & FUTEX2_SIZE_MASK) != FUTEX2_SIZE_U32)
		return -EINVAL;
	return 0;
}

/* Linux's get_futex_key for FUTEX2_NUMA: the node word after the value. FUTEX2_MPOL picks
 * the node of the memory policy when the word says none; with one node that is node 0
 * either way. */
static int futex2_node(struct task *t, uint64_t addr)
{
	uaddr_t naddr = uaddr(addr + sizeof(uint32_t));
	uint32_t node;

	if (addr & (2 * sizeof(uint32_t) - 1))
		return -EINVAL;
	if (copy_from_user(t, &node, naddr, sizeof(node)))
		return -EFAULT;
	if (node == 0)
		return 0;
	if (node != FUTEX_NO_NODE)
		return -EINVAL;
	node = 0;
	if (copy_to_user(t, naddr, &node, sizeof(node)))
		return -EFAULT;
	return 0;
}

/* Linux 6.16+ hashes a private futex of a threaded process in the process's own table,
 * unless it is FUTEX2_NUMA (the global, per-node tables): a private NUMA waiter and a
 * plain private wake on the same word miss each other. Keyed apart here by an address
 * bit no application address has. Shared futexes hash alike either way and meet. */
#define FUTEX_KEY_PRIVATE_NUMA (1ULL << 63)

int futex2_key_get(struct task *t, uint64_t addr, uint32_t flags, struct futex_key *key)
{
	int err;

	if (flags & FUTEX2_NUMA) {
		err = futex2_node(t, addr);
		if (err)
			return err;
	}
	err = futex_key_get(t, addr, flags & FUTEX2_PRIVATE, key);
	if (!err && (flags & FUTEX2_NUMA) && (flags & FUTEX2_PRIVATE))
		key->addr |= FUTEX_KEY_PRIVATE_NUMA;
	return err;
}

/* futex_wake(uaddr, mask, nr, flags): wake up to nr waiters whose bitset meets mask. */
long sys_futex_wake(struct task *t, const struct sysargs *a)
{
	uint64_t addr = arg_u64(a, 0), mask = arg_u64(a, 1);
	uint32_t flags = arg_uint(a, 3);
	int nr = arg_int(a, 2);
	struct futex_key key;
	long err;

	err = futex2_flags_check(flags);
	if (err)
		return err;
	if (!mask || (mask >> 32))
		return -EINVAL;
	err = futex2_key_get(t, addr, flags, &key);
	if (err)
		return err;
	/* nr 0 wakes none; a negative nr wakes one, as Linux's loop does. */
	return futex_wake_key(&key, nr < 0 ? 1 : nr, (uint32_t)mask);
}

/* futex_wait(uaddr, val, mask, flags, timeout, clockid): sleep while *uaddr == val until
 * a wake meeting mask, the absolute timeout on clockid, or a signal. */
long sys_futex_wait(struct task *t, const struct sysargs *a)
{
	uint64_t addr = arg_u64(a, 0), val = arg_u64(a, 1), mask = arg_u64(a, 2);
	uint32_t flags = arg_uint(a, 3);
	uaddr_t utimeout = arg_uaddr(a, 4);
	int clockid = arg_int(a, 5);
	struct timespec deadline;
	struct futex_key key;
	long err;

	err = futex2_flags_check(flags);
	if (err)
		return err;
	if ((val >> 32) || (mask >> 32))
		return -EINVAL;
	if (!uaddr_is_null(utimeout)) {
		if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC)
			return -EINVAL;
		err = futex_deadline(t, utimeout, true, clockid == CLOCK_REALTIME, &deadline);
		if (err)
			return err;
	}
	if (!mask)
		return -EINVAL;
	err = futex2_key_get(t, addr, flags, &key);
	if (err)
		return err;
	return futex_wait_key(t, &key, uaddr(addr), (uint32_t)val,
			      uaddr_is_null(utimeout) ? NULL : &deadline, (uint32_t)mask);
}

/* The application's struct futex_waitv. */
struct futex2_vec {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

/* futex_requeue(waiters[2], flags, nr_wake, nr_requeue): if *waiters[0].uaddr still holds
 * waiters[0].val, wake nr_wake waiters of it and move up to nr_requeue more to
 * waiters[1].uaddr; returns how many were woken or moved. */
long sys_futex_requeue(struct task *t, const struct sysargs *a)
{
	uaddr_t uv = arg_uaddr(a, 0);
	int nr_wake = arg_int(a, 2), nr_requeue = arg_int(a, 3);
	struct futex_key k1, k2;
	struct futex2_vec v[2];
	uint32_t cur;
	long err;

	if (arg_uint(a, 1) || uaddr_is_null(uv))
		return -EINVAL;
	for (int i = 0; i < 2; i++) {
		if (copy_from_user(t, &v[i], uaddr_add(uv, i * sizeof(v[i])), sizeof(v[i])))
			return -EFAULT;
		if (v[i].reserved || futex2_flags_check(v[i].flags) || (v[i].val >> 32))
			return -EINVAL;
	}
	/* Both words must have the same flags (Linux 6.18 still asks that). */
	if (v[0].flags != v[1].flags || nr_wake < 0 || nr_requeue < 0)
		return -EINVAL;
	err = futex2_key_get(t, v[0].uaddr, v[0].flags, &k1);
	if (!err)
		err = futex2_key_get(t, v[1].uaddr, v[1].flags, &k2);
	if (err)
		return err;
	if (copy_from_user(t, &cur, uaddr(v[0].uaddr), sizeof(cur)))
		return -EFAULT;
	if (cur != (uint32_t)v[0].val)
		return -EAGAIN;
	return futex_wake_key(&k1, nr_wake, FUTEX_BITSET_ANY) +
	       futex_requeue_key(&k1, &k2, nr_requeue);
}
