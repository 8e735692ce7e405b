/* systrap_pool.c: stubs of released address spaces, kept for the next one.
 *
 * A new address space (a fork's child) needs a stub process with one thread waiting in
 * the handler: a region memfd, a socketpair, a fork by stub zero, the stub's start-up
 * (unmap all, map the region, filter A) and a clone (filter B). That is two processes'
 * worth of wake-ups across CPUs, 0.3-0.5 ms here, all on the path of fork. Exit then
 * kills the stub and the host tears it down. Instead, a released address space gives its
 * stub back here when it is healthy, and the next address space adopts it with its parked
 * threads: its first batch unmaps the whole application range, then maps its own extents
 * (one control-thread round trip, which a new stub needed too). gVisor's platforms reuse
 * their stub processes the same way (they unmap at release; here the unmap waits for
 * the next batch, so an exit wakes no control thread: the old mappings stay in a stub
 * that runs nothing meanwhile, and pages the Sentry frees leave them as usual).
 *
 * What a reused stub carries over is what exec's as_reset already carries over within
 * one process: the code page, the region (message blocks, frames, alternate stacks:
 * rewritten by the Sentry before every resume, and untrusted anyway), and the parked
 * threads with their host signal state (a stale interrupt signal is ignored as on any
 * resume). An application cannot make a host syscall, so it can leave nothing else: no
 * fd, mapping, credential or thread of its own making. The unmap covers everything
 * below PLAT_APP_MAX_ADDR, and no application code runs in the stub again before the
 * control thread has answered that batch (systrap_as_ready flushes before any resume).
 */
#include "platform/systrap/systrap_internal.h"

#include <errno.h>
#include <string.h>

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

bool systrap_pool_put(struct systrap_as *as)
{
	struct systrap_platform *p = as->p;
	bool kept = false;

	if (!reusable(as))
		return false;
	pthread_mutex_lock(&p->pool_lock);
	if (p->pool_n < SYSTRAP_POOL_MAX) {
		p->pool[p->pool_n++] = as;
		kept = true;
	}
	pthread_mutex_unlock(&p->pool_lock);
	return kept;
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

		pthread_mutex_lock(&p->pool_lock);
		if (p->pool_n > 0)
			src = p->pool[--p->pool_n];
		pthread_mutex_unlock(&p->pool_lock);
		if (!src)
			return -EAGAIN;
		if (systrap_stub_alive(src)) {
			adopt(as, src);
			return 0;
		}
		log_warn("systrap stub %d died in the pool", src->pid);
		src->err = -ESRCH;
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
