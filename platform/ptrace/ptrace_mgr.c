/* ptrace_mgr.c: the stub manager: one host thread that forks every stub process and traces
 * its leader and its injector thread.
 *
 * Why a thread of its own: a stub process must outlive any one application thread (the
 * thread that first ran in an address space may exit while others go on), it needs a
 * thread that is always stopped so that clone and foreign address-space changes can be
 * injected at any time, and ptrace ties both the tracee and PR_SET_PDEATHSIG to one host
 * *thread*. So the manager forks each stub (parent and tracer of its leader: the stub dies
 * with the manager, i.e. with the platform), has the leader clone one "injector" thread and
 * seizes it, and from then on only serves requests, each from a thread holding as->lock:
 *  - spawn: fork + injector + map the address space's extents;
 *  - clone: inject clone through the injector; the new thread parks untraced in pause()
 *    in the stub page until the requesting thread PTRACE_SEIZEs it;
 *  - apply: inject mmap/munmap/mprotect for a caller that has no stub thread in the
 *    address space. The mm is shared by all stub threads, so the change is visible to
 *    every running application thread when the host call returns: no thread is stopped.
 * The leader never runs again after the clone: it stays in a ptrace stop for life. Keeping
 * injections off the leader matters when the process dies: a dead leader cannot be reaped
 * while other (traced) threads are unreaped, and waiting on it would stall the manager.
 *
 * The manager never takes as->lock or own_lock itself (its requesters hold as->lock), so it
 * cannot deadlock with them. It starts on first use from the requesting thread, so it
 * inherits that thread's seccomp filter and credentials (the Sentry's walls are up by then).
 */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>

#include "lib/log.h"

enum mgr_kind { MGR_SPAWN, MGR_CLONE, MGR_APPLY };

/* One request, on the requester's stack until done. */
struct ptrace_mgr_req {
	enum mgr_kind kind;
	struct ptrace_as *as;
	const struct ptrace_op *ops;	/* MGR_APPLY */
	size_t nops;
	pid_t tid;			/* MGR_CLONE result */
	int ret;
	bool done;
	struct list_head link;
};

static int apply_ops(struct ptrace_as *as, const struct ptrace_op *ops, size_t n)
{
	ptrace_stub_pin(as->injector, &as->inj_cpu);
	for (size_t i = 0; i < n; i++) {
		int ret = ptrace_op_inject(as->p, as->injector, &ops[i]);

		if (ret)
			return ret;
	}
	return 0;
}

/* Fork a stub that starts on this thread's CPU: the scheduler would put a new child on an
 * idle CPU, and waking a halted vCPU can take milliseconds. The child keeps the one-CPU
 * mask (the injector inherits it, and is re-pinned as the manager moves). */
static int spawn_here(struct ptrace_platform *p, pid_t *pid, int *cpu)
{
	cpu_set_t old, one;
	bool pinned = false;
	int ret;

	*cpu = sched_getcpu();
	if (*cpu >= 0 && sched_getaffinity(0, sizeof(old), &old) == 0) {
		CPU_ZERO(&one);
		CPU_SET(*cpu, &one);
		pinned = sched_setaffinity(0, sizeof(one), &one) == 0;
	}
	ret = ptrace_stub_spawn(p, pid);
	if (pinned)
		sched_setaffinity(0, sizeof(old), &old);
	else
		*cpu = -1;
	return ret;
}

/* Fork the stub, add and seize the injector, map the extents. */
static int do_spawn(struct ptrace_as *as)
{
	struct ptrace_platform *p = as->p;
	struct ptrace_ops batch = { 0 };
	pid_t pid, inj = 0;
	int ret, cpu;

	ret = spawn_here(p, &pid, &cpu);
	if (ret)
		return ret;
	ret = ptrace_stub_clone(p, pid, &inj);
	if (ret == 0)
		ret = ptrace_stub_seize(inj);
	if (ret)
		goto out_kill;
	as->pid = pid;
	as->injector = inj;
	as->inj_cpu = cpu;
	for (size_t i = 0; i < as->ext.n; i++) {
		const struct plat_extent *e = &as->ext.v[i];

		ptrace_ops_push(&batch, PTRACE_OP_MAP, e->start, e->end - e->start, e->off,
				e->prot);
	}
	ret = apply_ops(as, batch.v, batch.n);
	ptrace_ops_free(&batch);
	if (ret == 0)
		return 0;
	as->pid = 0;
	as->injector = 0;
out_kill:
	log_err("ptrace: setting up stub %d failed: %s", pid, strerror(-ret));
	kill(pid, SIGKILL);
	ptrace_stub_reap(inj);
	ptrace_stub_reap(pid);
	return ret;
}

static void handle(struct ptrace_mgr_req *r)
{
	struct ptrace_as *as = r->as;

	switch (r->kind) {
	case MGR_SPAWN:
		r->ret = do_spawn(as);
		break;
	case MGR_CLONE:
		ptrace_stub_pin(as->injector, &as->inj_cpu);
		r->ret = ptrace_stub_clone(as->p, as->injector, &r->tid);
		break;
	case MGR_APPLY:
		r->ret = apply_ops(as, r->ops, r->nops);
		break;
	}
}

static void *mgr_main(void *arg)
{
	struct ptrace_mgr *m = arg;
	sigset_t all;

	/* Host signals are for the task threads; this one only waits on its queue. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	pthread_mutex_lock(&m->lock);
	for (;;) {
		struct ptrace_mgr_req *r;

		while (list_empty(&m->queue) && !m->quit)
			pthread_cond_wait(&m->wake, &m->lock);
		if (list_empty(&m->queue))
			break;
		r = list_first_entry(&m->queue, struct ptrace_mgr_req, link);
		list_del(&r->link);
		pthread_mutex_unlock(&m->lock);
		handle(r);
		pthread_mutex_lock(&m->lock);
		r->done = true;
		pthread_cond_broadcast(&m->done);
	}
	pthread_mutex_unlock(&m->lock);
	return NULL;
}

void ptrace_mgr_init(struct ptrace_mgr *m)
{
	pthread_mutex_init(&m->lock, NULL);
	pthread_cond_init(&m->wake, NULL);
	pthread_cond_init(&m->done, NULL);
	list_init(&m->queue);
	m->pid = 0;
	m->quit = false;
}

/* Start the thread if this process has none (never started, or we are a fork of the
 * process that started it: only the forking thread survives a fork). Holds m->lock. */
static int mgr_ensure(struct ptrace_mgr *m)
{
	pid_t self = getpid();
	int ret;

	if (m->pid == self)
		return 0;
	list_init(&m->queue);
	m->quit = false;
	ret = pthread_create(&m->thread, NULL, mgr_main, m);
	if (ret) {
		log_err("ptrace: cannot start the stub manager thread: %s", strerror(ret));
		return -ret;
	}
	m->pid = self;
	return 0;
}

static int mgr_call(struct ptrace_mgr *m, struct ptrace_mgr_req *r)
{
	int ret;

	pthread_mutex_lock(&m->lock);
	ret = mgr_ensure(m);
	if (ret == 0) {
		list_add_tail(&r->link, &m->queue);
		pthread_cond_signal(&m->wake);
		while (!r->done)
			pthread_cond_wait(&m->done, &m->lock);
		ret = r->ret;
	}
	pthread_mutex_unlock(&m->lock);
	return ret;
}

void ptrace_mgr_stop(struct ptrace_mgr *m)
{
	bool joinable;

	pthread_mutex_lock(&m->lock);
	joinable = m->pid == getpid();
	m->quit = true;
	pthread_cond_signal(&m->wake);
	pthread_mutex_unlock(&m->lock);
	if (joinable)
		pthread_join(m->thread, NULL);
	m->pid = 0;
	pthread_cond_destroy(&m->done);
	pthread_cond_destroy(&m->wake);
	pthread_mutex_destroy(&m->lock);
}

int ptrace_mgr_spawn(struct ptrace_as *as)
{
	struct ptrace_mgr_req r = { .kind = MGR_SPAWN, .as = as };

	return mgr_call(&as->p->mgr, &r);
}

int ptrace_mgr_clone(struct ptrace_as *as, pid_t *tid)
{
	struct ptrace_mgr_req r = { .kind = MGR_CLONE, .as = as };
	int ret = mgr_call(&as->p->mgr, &r);

	if (ret == 0)
		*tid = r.tid;
	return ret;
}

int ptrace_mgr_apply(struct ptrace_as *as, const struct ptrace_op *ops, size_t n)
{
	struct ptrace_mgr_req r = { .kind = MGR_APPLY, .as = as, .ops = ops, .nops = n };

	return n ? mgr_call(&as->p->mgr, &r) : 0;
}
