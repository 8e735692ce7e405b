/* ptrace_as.c: address spaces of the ptrace platform: stub mappings and who may change them.
 *
 * A stub process is one mm shared by all its threads: an mmap/munmap/mprotect injected
 * through ANY of them changes what every thread sees, and the host has shot down the other
 * CPUs' TLB entries before the call returns. Only a stub thread's tracer can inject into
 * it, so an address-space op records the change in the extent set, then:
 *  - no stub yet (fork: the parent's thread fills the child's new mm; execve: the new mm
 *    is built before the task's first switch into it): nothing more; the first switch_to
 *    has the manager fork the stub and map the final extents (so a map later undone costs
 *    nothing, and contiguous pages become one mmap);
 *  - the caller traces a stub thread of this process (a task changing its own mm in a
 *    syscall; that thread is stopped because its host thread is in the Sentry): injected
 *    through it at once;
 *  - any other caller (ptrace/process_vm_writev into another task's mm, a shared file
 *    truncated by another process): the manager injects it through the stub's injector
 *    thread. Application threads running in the stub are not stopped.
 * Either way the change is in effect when the op returns: after as_unmap no application
 * thread can touch the old pages. The Sentry serializes ops per address space (mm lock);
 * as->lock is held across each injection to order them against thread attach and spawn.
 */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "lib/log.h"
#include "lib/util.h"

int ptrace_as_create(struct platform *p, struct plat_as **out)
{
	struct ptrace_as *as = xcalloc(1, sizeof(*as));

	as->p = to_pp(p);
	as->inj_cpu = -1;
	pthread_mutex_init(&as->lock, NULL);
	list_init(&as->threads);
	*out = (struct plat_as *)as;
	return 0;
}

void ptrace_as_kill(struct ptrace_as *as)
{
	struct list_head *pos;

	if (as->pid <= 0)
		return;
	kill(as->pid, SIGKILL);
	/* Threads first: the leader cannot be reaped while any of them is unreaped. Any
	 * Sentry thread may reap them (waits cover the tracees of the whole thread group);
	 * a tracer that was waiting on one sees ECHILD. */
	list_for_each(pos, &as->threads)
		ptrace_stub_reap(list_entry(pos, struct ptrace_thread, as_link)->tid);
	ptrace_stub_reap(as->injector);
	ptrace_stub_reap(as->pid);
	as->pid = -1;
	as->injector = 0;
}

void ptrace_as_release(struct plat_as *as_)
{
	struct ptrace_as *as = to_pas(as_);
	struct ptrace_platform *p;
	struct list_head *pos, *n;

	if (!as)
		return;
	p = as->p;
	pthread_mutex_lock(&p->own_lock);
	pthread_mutex_lock(&as->lock);
	/* Contexts keep their FPU state where it can still be read, then lose the threads;
	 * the whole process goes at once (no per-thread exits). */
	list_for_each(pos, &as->threads) {
		struct ptrace_thread *th = list_entry(pos, struct ptrace_thread, as_link);
		struct ptrace_ctx *ctx = th->ctx;

		if (ctx && ctx->fpu_th == th) {
			if (as->pid > 0 && th->tracer == ptrace_gettid())
				ptrace_stub_get_fpu(p, th->tid, &ctx->fpu);
			ctx->fpu_th = NULL;
		}
	}
	ptrace_as_kill(as);
	list_for_each_safe(pos, n, &as->threads)
		ptrace_thread_remove(list_entry(pos, struct ptrace_thread, as_link));
	pthread_mutex_unlock(&as->lock);
	pthread_mutex_unlock(&p->own_lock);
	plat_ext_free(&as->ext);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

int ptrace_op_inject(struct ptrace_platform *p, pid_t tid, const struct ptrace_op *op)
{
	long args[6] = { (long)op->addr, (long)op->size };
	long nr, res, want = 0;
	int ret;

	switch (op->kind) {
	case PTRACE_OP_MAP:
		nr = SYS_mmap;
		args[2] = op->prot;
		args[3] = MAP_SHARED | MAP_FIXED;
		args[4] = p->memfd;
		args[5] = (long)op->off;
		want = (long)op->addr;
		break;
	case PTRACE_OP_UNMAP:
		nr = SYS_munmap;
		break;
	default:
		nr = SYS_mprotect;
		args[2] = op->prot;
		break;
	}
	ret = ptrace_stub_inject(p, tid, nr, args, &res);
	if (ret)
		return ret;
	if (res != want) {
		log_err("ptrace stub thread %d: syscall %ld(%#lx, %#lx) returned %ld", tid, nr,
			args[0], args[1], res);
		return res < 0 && res > -4096 ? (int)res : -EIO;
	}
	return 0;
}

void ptrace_as_fail(struct ptrace_as *as, int err)
{
	if (err == -ESRCH || err == -ECHILD)
		ptrace_as_kill(as);
	if (!as->err)
		as->err = err;
}

/* Make a batch take effect as the rules at the top of the file say. A failure leaves the
 * stub's memory unlike the Sentry's view, so it sticks: every later switch_to fails and
 * the Sentry ends the thread group. Holds as->lock. */
static int apply(struct ptrace_as *as, const struct ptrace_ops *b)
{
	struct ptrace_thread *th;
	int ret = 0;

	if (as->pid == 0 || b->n == 0)
		return 0;
	if (as->pid < 0 || as->err)
		return as->err ? as->err : -ESRCH;
	th = ptrace_thread_of(as, ptrace_gettid());
	if (th) {
		ptrace_stub_pin(th->tid, &th->cpu);
		for (size_t i = 0; i < b->n && ret == 0; i++)
			ret = ptrace_op_inject(as->p, th->tid, &b->v[i]);
	} else {
		ret = ptrace_mgr_apply(as, b->v, b->n);
	}
	if (ret)
		ptrace_as_fail(as, ret);
	return ret;
}

static bool range_ok(uint64_t addr, uint64_t size)
{
	return IS_ALIGNED(addr, PTRACE_STUB_SIZE) && IS_ALIGNED(size, PTRACE_STUB_SIZE) &&
	       addr + size >= addr && addr + size <= PLAT_APP_MAX_ADDR;
}

static bool prot_ok(int prot)
{
	return (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) == 0;
}

int ptrace_as_map(struct plat_as *as_, uint64_t addr, uint64_t size, uint64_t off, int prot)
{
	struct ptrace_as *as = to_pas(as_);
	struct ptrace_op op = { .kind = PTRACE_OP_MAP, .prot = prot, .addr = addr,
				.size = size, .off = off };
	struct ptrace_ops b = { .v = &op, .n = 1, .cap = 1 };
	int ret;

	if (!range_ok(addr, size) || !IS_ALIGNED(off, PTRACE_STUB_SIZE) || !prot_ok(prot))
		return -EINVAL;
	if (size == 0)
		return 0;
	pthread_mutex_lock(&as->lock);
	plat_ext_remove(&as->ext, addr, addr + size);
	plat_ext_insert(&as->ext, addr, addr + size, off, prot);
	ret = apply(as, &b);
	pthread_mutex_unlock(&as->lock);
	return ret;
}

int ptrace_as_unmap(struct plat_as *as_, uint64_t addr, uint64_t size)
{
	struct ptrace_as *as = to_pas(as_);
	struct ptrace_op op = { .kind = PTRACE_OP_UNMAP, .addr = addr, .size = size };
	struct ptrace_ops b = { .v = &op, .n = 1, .cap = 1 };
	int ret;

	if (!range_ok(addr, size))
		return -EINVAL;
	if (size == 0)
		return 0;
	pthread_mutex_lock(&as->lock);
	plat_ext_remove(&as->ext, addr, addr + size);
	ret = apply(as, &b);
	pthread_mutex_unlock(&as->lock);
	return ret;
}

struct protect_arg {
	struct ptrace_ops *b;
	int prot;
};

static int push_protect(void *arg, uint64_t start, uint64_t end)
{
	struct protect_arg *pa = arg;

	ptrace_ops_push(pa->b, PTRACE_OP_PROTECT, start, end - start, 0, pa->prot);
	return 0;
}

int ptrace_as_protect(struct plat_as *as_, uint64_t addr, uint64_t size, int prot)
{
	struct ptrace_as *as = to_pas(as_);
	struct ptrace_ops b = { 0 };
	struct protect_arg pa = { .b = &b, .prot = prot };
	int ret;

	if (!range_ok(addr, size) || !prot_ok(prot))
		return -EINVAL;
	if (size == 0)
		return 0;
	pthread_mutex_lock(&as->lock);
	/* Only mapped runs: the host's mprotect fails with ENOMEM across holes. */
	plat_ext_protect(&as->ext, addr, addr + size, prot, push_protect, &pa);
	ret = apply(as, &b);
	pthread_mutex_unlock(&as->lock);
	ptrace_ops_free(&b);
	return ret;
}
