/* futex_waitv.c: futex_waitv(2) (Linux 5.16): wait on up to 128 32-bit futexes at once
 * until one is woken (its index is returned), a value differs (EAGAIN), the absolute
 * timeout on CLOCK_MONOTONIC or CLOCK_REALTIME passes (ETIMEDOUT) or a signal comes. The
 * waiters are ordinary futex waiters, so FUTEX_WAKE on any of the words wakes the call. */
#include "sentry/kernel/futex_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define FUTEX_WAITV_MAX 128

/* The application's struct futex_waitv. */
struct futex_waitv_abi {
	uint64_t val;
	uint64_t uaddr;
	uint32_t flags;
	uint32_t reserved;
};

/* One word waited on. A wake of its waiter is forwarded to the call's one queue (the
 * task blocks on that alone, however many words). */
struct waitv_item {
	struct futex_waiter w;
	struct waitq_hook hook;	/* on w.wq */
	struct waitq *all;
	uint64_t addr;
	uint32_t val;
	uint32_t flags;
};

static void waitv_woken(struct waitq_hook *h)
{
	waitq_wake_all(list_entry(h, struct waitv_item, hook)->all);
}

/* Read and check the vector, then key each word (Linux's futex_parse_waitv, then setup).
 * Sizes other than 32 bits are EINVAL; FUTEX2_NUMA words are {value, node} pairs. */
static int waitv_parse(struct task *t, uaddr_t u, unsigned n, struct waitv_item *it)
{
	struct futex_waitv_abi v;
	int err;

	for (unsigned i = 0; i < n; i++) {
		if (copy_from_user(t, &v, uaddr_add(u, i * sizeof(v)), sizeof(v)))
			return -EFAULT;
		if (v.reserved || futex2_flags_check(v.flags) || (v.val >> 32))
			return -EINVAL;
		it[i].val = (uint32_t)v.val;
		it[i].addr = v.uaddr;
		it[i].flags = v.flags;
		it[i].w.bitset = FUTEX_BITSET_ANY;
	}
	for (unsigned i = 0; i < n; i++) {
		err = futex2_key_get(t, it[i].addr, it[i].flags, &it[i].w.key);
		if (err)
			return err;
	}
	return 0;
}

/* Queue a waiter on each word if every word still holds its value. */
static int waitv_queue(struct task *t, unsigned n, struct waitv_item *it, struct waitq *all)
{
	uint32_t cur;

	for (unsigned i = 0; i < n; i++) {
		if (copy_from_user(t, &cur, uaddr(it[i].addr), sizeof(cur)))
			return -EFAULT;
		if (cur != it[i].val)
			return -EAGAIN;
	}
	for (unsigned i = 0; i < n; i++) {
		waitq_init(&it[i].w.wq);
		it[i].all = all;
		it[i].hook.fn = waitv_woken;
		waitq_hook_add(&it[i].w.wq, &it[i].hook);
		list_add_tail(&it[i].w.link, &g_futex_waiters);
	}
	return 0;
}

/* Sleep until a waiter is woken; unqueue the rest. The index of the last woken, or
 * -ETIMEDOUT / -ERESTARTSYS. */
static long waitv_sleep(struct task *t, unsigned n, struct waitv_item *it, struct waitq *all,
			const struct timespec *deadline)
{
	long ret = -1;
	int r;

	do {
		r = task_block(t, all, deadline);
		for (unsigned i = 0; i < n; i++)
			if (it[i].w.woken)
				ret = i;
	} while (ret < 0 && r == 0);
	for (unsigned i = 0; i < n; i++) {
		waitq_hook_del(&it[i].hook);
		if (!it[i].w.woken)
			list_del(&it[i].w.link);
	}
	if (ret >= 0)
		return ret;
	return r == -ETIMEDOUT ? -ETIMEDOUT : -ERESTARTSYS;
}

long sys_futex_waitv(struct task *t, const struct sysargs *a)
{
	uaddr_t uwaiters = arg_uaddr(a, 0), utimeout = arg_uaddr(a, 3);
	unsigned n = arg_uint(a, 1);
	int clockid = arg_int(a, 4);
	struct timespec deadline;
	struct waitv_item *it;
	struct waitq all;
	long ret;

	if (arg_uint(a, 2))
		return -EINVAL;
	if (!n || n > FUTEX_WAITV_MAX || uaddr_is_null(uwaiters))
		return -EINVAL;
	if (!uaddr_is_null(utimeout)) {
		if (clockid != CLOCK_REALTIME && clockid != CLOCK_MONOTONIC)
			return -EINVAL;
		ret = futex_deadline(t, utimeout, true, clockid == CLOCK_REALTIME, &deadline);
		if (ret)
			return ret;
	}
	it = xcalloc(n, sizeof(*it));
	waitq_init(&all);
	ret = waitv_parse(t, uwaiters, n, it);
	if (!ret)
		ret = waitv_queue(t, n, it, &all);
	if (!ret)
		ret = waitv_sleep(t, n, it, &all, uaddr_is_null(utimeout) ? NULL : &deadline);
	free(it);
	return ret;
}
