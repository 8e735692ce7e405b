/* uio.h: a position in an application's iovec array, and copies between it and Sentry
 * buffers that stop at the first byte that faults (Linux's iov_iter over user memory).
 * Files whose fault semantics depend on their own structure (pipes: whole buffers) move
 * data through a uio themselves (file_ops read_uio/write_uio). Kernel lock held. */
#ifndef RUNSC_SENTRY_MM_UIO_H
#define RUNSC_SENTRY_MM_UIO_H

#include <stddef.h>
#include <stdint.h>

#include "sentry/abi/uaddr.h"

struct task;

struct user_iov {
	uint64_t base, len;
};

struct uio {
	struct user_iov *iov;
	int cnt, idx;
	uint64_t off;	/* within iov[idx] */
	size_t total;	/* bytes covered, clamped to MAX_RW_COUNT */
	size_t moved;	/* bytes the copies and pins below have passed */
};

/* The iovec array at uaddr, cnt entries (at most UIO_MAXIOV), clamped to MAX_RW_COUNT in
 * total; u->iov is allocated (free it) even on error. 0, -EINVAL or -EFAULT. */
long uio_import(struct task *t, uaddr_t uaddr, int cnt, struct uio *u);
/* Bytes of u not yet passed. */
static inline size_t uio_left(const struct uio *u)
{
	return u->total - u->moved;
}
/* Copy n bytes between kbuf and the application's iovecs up to the first byte that
 * faults, advancing u over what was copied; returns the bytes copied. */
size_t uio_copy_in(struct task *t, struct uio *u, void *kbuf, size_t n);
size_t uio_copy_out(struct task *t, struct uio *u, const void *kbuf, size_t n);
/* Move u over n bytes without copying (fewer at the end of the iovecs), and past any
 * empty iovecs there. */
void uio_skip(struct uio *u, size_t n);
/* How many of the next n bytes of u could be written before a fault (u is not moved). */
size_t uio_writable(struct task *t, const struct uio *u, size_t n);

#endif
