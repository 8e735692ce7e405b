/* ptrace_thread.c: stub threads: each context gets its own thread in each stub process it
 * runs in, traced by the context's host thread.
 *
 * Attaching (first switch_to of a context into an address space): the manager injects
 * clone(PTRACE_CLONE_FLAGS) through the stub's injector thread; the child parks in pause()
 * in the stub page, untraced; the attaching host thread PTRACE_SEIZEs it (with EXITKILL:
 * a stub thread must never run untraced) and PTRACE_INTERRUPTs it into a stop. No thread
 * that runs application code is disturbed. as->lock is held throughout, so as->threads
 * always lists every traced thread of the process (ptrace_as_kill reaps them all).
 *
 * Leaving (ctx_release on the context's thread): an injected exit() ends the stub thread,
 * its tracer reaps it (__WALL), the others go on. A context released on another thread
 * cannot reach its tracees: they stay as orphans that the same host thread adopts for its
 * next context, or that die with the address space. A host thread that exits still
 * tracing stub threads takes their processes with it (PTRACE_O_EXITKILL).
 */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

struct ptrace_thread *ptrace_thread_of(struct ptrace_as *as, pid_t tid)
{
	struct list_head *pos;

	list_for_each(pos, &as->threads) {
		struct ptrace_thread *th = list_entry(pos, struct ptrace_thread, as_link);

		if (th->tracer == tid)
			return th;
	}
	return NULL;
}

/* ctx's thread in as, adopting an orphan of this host thread. Holds own_lock. */
static struct ptrace_thread *find_locked(struct ptrace_ctx *ctx, struct ptrace_as *as)
{
	struct ptrace_thread *th = ctx->last;
	struct list_head *pos;

	if (th && th->as == as)
		return th;
	list_for_each(pos, &ctx->threads) {
		th = list_entry(pos, struct ptrace_thread, ctx_link);
		if (th->as == as)
			return th;
	}
	pthread_mutex_lock(&as->lock);
	th = ptrace_thread_of(as, ctx->tid);
	pthread_mutex_unlock(&as->lock);
	if (!th)
		return NULL;
	if (th->ctx) { /* another live context of this host thread runs here */
		log_err("ptrace: thread %d has two contexts in stub %d", ctx->tid, as->pid);
		return NULL;
	}
	th->ctx = ctx;
	list_add(&th->ctx_link, &ctx->threads);
	return th;
}

/* A new stub thread in as (its process forked first if needed), traced by the caller. */
static int thread_new(struct ptrace_ctx *ctx, struct ptrace_as *as, struct ptrace_thread **out)
{
	struct ptrace_thread *th;
	pid_t tid = 0;
	int ret = 0;

	pthread_mutex_lock(&as->lock);
	if (as->pid == 0)
		ret = ptrace_mgr_spawn(as);
	if (ret == 0 && (as->pid < 0 || as->err))
		ret = as->err ? as->err : -ESRCH;
	if (ret == 0) {
		ret = ptrace_mgr_clone(as, &tid);
		if (ret)
			ptrace_as_fail(as, ret);
	}
	if (ret == 0) {
		int cpu = -1;

		/* Bring it to this CPU first: it parks on the injector's. */
		ptrace_stub_pin(tid, &cpu);
		ret = ptrace_stub_seize(tid);
		/* A parked thread nobody traces must not stay: end the process. */
		if (ret) {
			log_err("ptrace: cannot seize stub thread %d: %s", tid, strerror(-ret));
			ptrace_as_fail(as, -ESRCH);
		}
	}
	if (ret) {
		pthread_mutex_unlock(&as->lock);
		return ret;
	}
	th = xcalloc(1, sizeof(*th));
	th->as = as;
	th->ctx = ctx;
	th->tid = tid;
	th->tracer = ctx->tid;
	th->cpu = -1; /* pinned again on its first switch */
	list_init(&th->ctx_link);
	list_add_tail(&th->as_link, &as->threads);
	pthread_mutex_unlock(&as->lock);
	*out = th;
	return 0;
}

int ptrace_thread_get(struct ptrace_ctx *ctx, struct ptrace_as *as, struct ptrace_thread **out)
{
	struct ptrace_platform *p = ctx->p;
	struct ptrace_thread *th;
	int ret;

	pthread_mutex_lock(&p->own_lock);
	th = find_locked(ctx, as);
	if (!th) {
		/* Without own_lock: other contexts keep switching meanwhile. */
		pthread_mutex_unlock(&p->own_lock);
		ret = thread_new(ctx, as, &th);
		if (ret)
			return ret;
		pthread_mutex_lock(&p->own_lock);
		list_add(&th->ctx_link, &ctx->threads);
	}
	ctx->last = th;
	pthread_mutex_unlock(&p->own_lock);
	*out = th;
	return 0;
}

void ptrace_thread_remove(struct ptrace_thread *th)
{
	struct ptrace_as *as = th->as;
	struct ptrace_ctx *ctx = th->ctx;
	bool mine = th->tracer == ptrace_gettid(), live = as->pid > 0;

	if (ctx) {
		if (ctx->fpu_th == th) {
			if (live && mine)
				ptrace_stub_get_fpu(as->p, th->tid, &ctx->fpu);
			ctx->fpu_th = NULL;
		}
		if (ctx->last == th)
			ctx->last = NULL;
		list_del(&th->ctx_link);
	}
	if (live && mine && ptrace_stub_thread_exit(as->p, th->tid) != 0) {
		log_err("ptrace: stub thread %d would not exit; killing stub %d", th->tid,
			as->pid);
		ptrace_as_kill(as);
	}
	list_del(&th->as_link);
	free(th);
}

int ptrace_ctx_fpu_to(struct ptrace_ctx *ctx, struct ptrace_thread *th)
{
	struct ptrace_platform *p = ctx->p;
	struct ptrace_thread *old;
	int ret = 0;

	pthread_mutex_lock(&p->own_lock);
	old = ctx->fpu_th;
	if (old != th) {
		/* A dead stub's state is lost: carry on with the last copy. */
		if (old && old->as->pid > 0 && ptrace_stub_get_fpu(p, old->tid, &ctx->fpu) != 0)
			log_warn("ptrace: FPU state of stub thread %d lost", old->tid);
		ctx->fpu_th = NULL;
		ret = ptrace_stub_set_fpu(p, th->tid, &ctx->fpu);
		if (ret == 0)
			ctx->fpu_th = th;
		else
			log_err("ptrace: moving FPU state to stub thread %d: %s", th->tid,
				strerror(-ret));
	}
	pthread_mutex_unlock(&p->own_lock);
	return ret;
}
