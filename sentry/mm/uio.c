/* uio.c: copies between Sentry buffers and an application iovec array that stop at the
 * first byte that faults. */
#include "sentry/mm/uio.h"

#include <errno.h>
#include <limits.h>
#include <sys/uio.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"

long uio_import(struct task *t, uaddr_t uaddr, int cnt, struct uio *u)
{
	uint64_t total = 0;
	long ret;

	*u = (struct uio){0};
	if (cnt < 0 || cnt > UIO_MAXIOV)
		return -EINVAL;
	u->cnt = cnt;
	u->iov = xcalloc((size_t)cnt + 1, sizeof(*u->iov));
	ret = copy_from_user(t, u->iov, uaddr, (size_t)cnt * sizeof(*u->iov));
	for (int i = 0; ret == 0 && i < cnt; i++) {
		if ((int64_t)u->iov[i].len < 0 || total + u->iov[i].len > SSIZE_MAX)
			ret = -EINVAL;
		total += u->iov[i].len;
		/* Linux transfers at most MAX_RW_COUNT: trim the rest. */
		if (total > (uint64_t)MAX_RW_COUNT) {
			u->iov[i].len -= total - (uint64_t)MAX_RW_COUNT;
			total = MAX_RW_COUNT;
		}
	}
	u->total = (size_t)total;
	return ret;
}

/* Advance u over n bytes of its current iovec (n <= what is left of it). */
static void uio_advance(struct uio *u, size_t n)
{
	u->off += n;
	u->moved += n;
	while (u->idx < u->cnt && u->off == u->iov[u->idx].len) {
		u->idx++;
		u->off = 0;
	}
}

size_t uio_copy_in(struct task *t, struct uio *u, void *kbuf, size_t n)
{
	char *p = kbuf;
	size_t done = 0;

	while (done < n && u->idx < u->cnt) {
		struct user_iov *v = &u->iov[u->idx];
		size_t step = MIN(n - done, v->len - u->off);
		size_t got = copy_from_user_upto_fault(t, p + done, uaddr(v->base + u->off), step);

		done += got;
		uio_advance(u, got);
		if (got < step)
			break;
	}
	return done;
}

size_t uio_copy_out(struct task *t, struct uio *u, const void *kbuf, size_t n)
{
	const char *p = kbuf;
	size_t done = 0;

	while (done < n && u->idx < u->cnt) {
		struct user_iov *v = &u->iov[u->idx];
		size_t step = MIN(n - done, v->len - u->off);
		size_t got = copy_to_user_upto_fault(t, uaddr(v->base + u->off), p + done, step);

		done += got;
		uio_advance(u, got);
		if (got < step)
			break;
	}
	return done;
}

void uio_skip(struct uio *u, size_t n)
{
	/* At least one step, so empty iovecs at the position are passed even for n == 0. */
	do {
		size_t step;

		if (u->idx >= u->cnt)
			break;
		step = MIN(n, u->iov[u->idx].len - u->off);
		uio_advance(u, step);
		n -= step;
	} while (n > 0);
}

size_t uio_writable(struct task *t, const struct uio *u, size_t n)
{
	size_t done = 0;
	uint64_t off = u->off;

	for (int i = u->idx; done < n && i < u->cnt; i++, off = 0) {
		size_t step = MIN(n - done, u->iov[i].len - off);
		size_t got = mm_user_writable(t->mm, u->iov[i].base + off, step);

		done += got;
		if (got < step)
			break;
	}
	return done;
}
