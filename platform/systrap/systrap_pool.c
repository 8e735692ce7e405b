/* systrap_pool.c: stubs of released address spaces, kept for the next one.
 *
 * A new address space (a fork's child) needs a stub process with one thread waiting in
 * the handler: a region memfd, a socketpair, a fork by stub zero, the stub's start-up
 * (unmap all, map the region, filter A) and a clone (filter B). That is two processes'
 * worth of wake-ups across CPUs, 0.3-0.5 ms here, all on the path of fork. Exit then
 * kills the stub and the host tears it down. Instead, a released address space gives its
 * stub back here when it is healthy: its control thread is asked to unmap the whole
 * application range (without waiting for the answer: the exit does not block on it),
 * and the next address space adopts it with its threads, reads that answer, and maps
 * its own extents in the usual first batch. gVisor's platforms reuse their stub
 * processes the same way.
 *
 * What a reused stub carries over is what exec's as_reset already carries over within
 * one process: the code page, the region (message blocks, frames, alternate stacks:
 * rewritten by the Sentry before every resume, and untrusted anyway), and the parked
 * threads with their host signal state (a stale interrupt signal is ignored as on any
 * resume). An application cannot make a host syscall, so it can leave nothing else: no
 * fd, mapping, credential or thread of its own making. The unmap covers everything
 * below PLAT_APP_MAX_ADDR, and no application code runs in the stub again before the
 * answer to it has been read.
 */
#include "platform/systrap/systrap_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"

/* Whether as's stub can serve another address space: alive as far as the Sentry knows,
 * nothing queued or half done, every thread parked in the handler. */
static bool reusable(const struct systrap_as *as)
{
	if (as->pid <= 0 || as->err || as->batch || as->nthreads == 0 ||
	    as->nthreads > SYSTRAP_POOL_MAX_THREADS)
		return false;
	for (unsigned i = 0; i < as->nthreads; i++)
		if (!as->threads[i].ready || as->threads[i].owner)
			return false;
	return true;
}

/* Ask the control thread to unmap the application range; the answer is read when the
 * stub is taken. */
static int unmap_all_async(struct systrap_as *as)
{
	uint8_t *req = as->view;
	uint32_t n = 1, kind = OPK_UNMAP, prot = 0;
	uint64_t addr = 0, len = PLAT_APP_MAX_ADDR, off = 0, mask = 0;
	int32_t cpu = -1;

	memcpy(req + REQ_OPS + OP_KIND, &kind, 4);
	memcpy(req + REQ_OPS + OP_PROT, &prot, 4);
	memcpy(req + REQ_OPS + OP_ADDR, &addr, 8);
	memcpy(req + REQ_OPS + OP_LEN, &len, 8);
	memcpy(req + REQ_OPS + OP_OFF, &off, 8);
	memcpy(req + REQ_NOPS, &n, 4);
	memcpy(req + REQ_CPU, &cpu, 4);
	memcpy(req + REQ_CPUMASK, &mask, 8);
	if (send(as->sock, "x", 1, MSG_NOSIGNAL | MSG_DONTWAIT) != 1)
		return -errno;
	return 0;
}

bool systrap_pool_put(struct systrap_as *as)
{
	struct systrap_platform *p = as->p;
	bool kept = false;

	if (!reusable(as))
		return false;
	pthread_mutex_lock(&p->pool_lock);
	if (p->pool_n < SYSTRAP_POOL_MAX && unmap_all_async(as) == 0) {
		p->pool[p->pool_n++] = as;
		kept = true;
	}
	pthread_mutex_unlock(&p->pool_lock);
	return kept;
}

/* The answer to the unmap of a pooled stub: 0 when it is done and the stub lives. */
static int unmap_answer(struct systrap_as *src)
{
	char buf[64];
	ssize_t r;

	do
		r = read(src->sock, buf, sizeof(buf));
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return r == 0 || errno == ECONNRESET ? -ESRCH : -errno;
	return r == 1 ? 0 : -(int)(r - 1);
}

/* Move src's stub and threads into as (which has none); src is freed. */
static void adopt(struct systrap_as *as, struct systrap_as *src)
{
	as->pid = src->pid;
	as->pidfd = src->pidfd;
	as->sock = src->sock;
	as->view = src->view;
	as->ctl_cpu = src->ctl_cpu;
	as->nthreads = src->nthreads;
	memcpy(as->threads, src->threads, src->nthreads * sizeof(as->threads[0]));
	for (unsigned i = 0; i < as->nthreads; i++)
		as->threads[i].as = as;
	src->pid = 0;
	src->pidfd = src->sock = -1;
	src->view = NULL;
	src->nthreads = 0;
	systrap_as_release((struct plat_as *)src);
}

int systrap_pool_take(struct systrap_as *as)
{
	struct systrap_platform *p = as->p;

	for (;;) {
		struct systrap_as *src = NULL;
		int ret;

		pthread_mutex_lock(&p->pool_lock);
		if (p->pool_n > 0)
			src = p->pool[--p->pool_n];
		pthread_mutex_unlock(&p->pool_lock);
		if (!src)
			return -EAGAIN;
		ret = unmap_answer(src);
		if (ret == 0 && !systrap_stub_alive(src))
			ret = -ESRCH;
		if (ret == 0) {
			adopt(as, src);
			return 0;
		}
		log_warn("systrap stub %d: not reused: %s", src->pid, strerror(-ret));
		src->err = ret;
		systrap_as_release((struct plat_as *)src);
	}
}

void systrap_pool_drain(struct systrap_platform *p)
{
	pthread_mutex_lock(&p->pool_lock);
	while (p->pool_n > 0) {
		struct systrap_as *as = p->pool[--p->pool_n];

		as->err = -ESRCH; /* not back into the pool */
		pthread_mutex_unlock(&p->pool_lock);
		systrap_as_release((struct plat_as *)as);
		pthread_mutex_lock(&p->pool_lock);
	}
	pthread_mutex_unlock(&p->pool_lock);
}
