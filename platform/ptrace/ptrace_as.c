/* ptrace_as.c: address spaces of the ptrace platform: stub mappings and who may change them.
 *
 * Rule: only the stub's tracer (the host thread that created it, at its first switch_to)
 * can inject syscalls. An address-space op therefore records the change, then:
 *  - no stub yet (fork: the parent's thread fills the child's new mm; execve: the new mm
 *    is built before the task's first switch into it): only the extent set changes; the
 *    first switch_to forks the stub and maps the final extents (so a map later undone
 *    costs nothing, and contiguous pages become one mmap);
 *  - caller is the tracer (a task changing its own mm in a syscall; its stub is stopped
 *    because the thread is in the Sentry): injected at once;
 *  - another thread while the stub exists (ptrace/process_vm_writev into another task's
 *    mm, a shared file truncated by another process): queued; if the tracer is running
 *    the stub right now, the stub is signalled and the caller waits until it has
 *    stopped. The tracer applies the queue before it resumes the stub again, so on return
 *    the application can no longer see the old mapping.
 * The Sentry serializes ops per address space (mm lock); as->lock orders them against
 * the tracer's switch_to.
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
	as->cpu = -1;
	pthread_mutex_init(&as->lock, NULL);
	pthread_cond_init(&as->cond, NULL);
	list_init(&as->owner_link);
	*out = (struct plat_as *)as;
	return 0;
}

void ptrace_as_release(struct plat_as *as_)
{
	struct ptrace_as *as = to_pas(as_);
	struct ptrace_platform *p;

	if (!as)
		return;
	p = as->p;
	pthread_mutex_lock(&p->own_lock);
	if (as->owner) {
		struct ptrace_ctx *ctx = as->owner;

		/* Keep the owner's FPU state if we can still read it (tracer thread only). */
		if (ctx->fpu_as == as) {
			if (as->pid > 0 && as->tracer == ptrace_gettid())
				ptrace_stub_get_fpu(p, as->pid, &ctx->fpu);
			ctx->fpu_as = NULL;
		}
		list_del(&as->owner_link);
		as->owner = NULL;
	}
	pthread_mutex_unlock(&p->own_lock);
	ptrace_stub_kill(as->pid);
	ptrace_ext_free(&as->ext);
	free(as->ops);
	pthread_cond_destroy(&as->cond);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

/* Whether op b continues op a: one host call can do both. */
static bool op_extends(const struct ptrace_op *a, const struct ptrace_op *b)
{
	return a->kind == b->kind && a->prot == b->prot && a->addr + a->size == b->addr &&
	       (a->kind != PTRACE_OP_MAP || a->off + a->size == b->off);
}

/* Queue a change for a live stub (nothing to queue before it exists). */
static void queue_op(struct ptrace_as *as, enum ptrace_op_kind kind, uint64_t addr,
		     uint64_t size, uint64_t off, int prot)
{
	struct ptrace_op op = { .kind = kind, .prot = prot, .addr = addr, .size = size,
				.off = off };

	if (as->pid == 0)
		return;
	if (as->nops && op_extends(&as->ops[as->nops - 1], &op)) {
		as->ops[as->nops - 1].size += size;
		return;
	}
	if (as->nops == as->ops_cap) {
		as->ops_cap = as->ops_cap ? as->ops_cap * 2 : 16;
		as->ops = xrealloc(as->ops, as->ops_cap * sizeof(*as->ops));
	}
	as->ops[as->nops++] = op;
}

void ptrace_as_replay(struct ptrace_as *as)
{
	as->nops = 0;
	for (size_t i = 0; i < as->ext.n; i++) {
		const struct ptrace_extent *e = &as->ext.v[i];

		queue_op(as, PTRACE_OP_MAP, e->start, e->end - e->start, e->off, e->prot);
	}
}

/* Inject one op. Returns 0, or -errno (the host's answer or a ptrace failure). */
static int op_inject(struct ptrace_as *as, const struct ptrace_op *op)
{
	struct ptrace_platform *p = as->p;
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
	ret = ptrace_stub_inject(p, as->pid, nr, args, &res);
	if (ret)
		return ret;
	if (res != want) {
		log_err("ptrace stub %d: syscall %ld(%#lx, %#lx) returned %ld", as->pid, nr,
			args[0], args[1], res);
		return res < 0 && res > -4096 ? (int)res : -EIO;
	}
	return 0;
}

void ptrace_as_fail(struct ptrace_as *as, int err)
{
	if (err == -ESRCH || err == -ECHILD) {
		if (err == -ESRCH)
			ptrace_stub_kill(as->pid);
		as->pid = -1;
	}
	if (!as->err)
		as->err = err;
}

/* A failed deferred op leaves the stub's memory unlike the Sentry's view, so the error
 * stays: every later switch_to fails and the Sentry ends the thread group. */
int ptrace_as_flush(struct ptrace_as *as)
{
	size_t i;

	if (as->err)
		return as->err;
	for (i = 0; i < as->nops; i++) {
		int ret = op_inject(as, &as->ops[i]);

		if (ret) {
			ptrace_as_fail(as, ret);
			break;
		}
	}
	as->nops = 0;
	return as->err;
}

/* Make queued ops take effect as the rules at the top of the file say. Holds as->lock. */
static int commit(struct ptrace_as *as)
{
	if (as->pid == 0)
		return 0;
	if (as->pid < 0)
		return as->err ? as->err : -ESRCH;
	if (as->tracer == ptrace_gettid())
		return ptrace_as_flush(as);
	if (as->running) {
		if (syscall(SYS_tgkill, as->pid, as->pid, PTRACE_SIG_INTERRUPT) != 0)
			log_warn("ptrace stub %d: tgkill: %s", as->pid, strerror(errno));
		while (as->running)
			pthread_cond_wait(&as->cond, &as->lock);
	}
	return as->err;
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
	int ret;

	if (!range_ok(addr, size) || !IS_ALIGNED(off, PTRACE_STUB_SIZE) || !prot_ok(prot))
		return -EINVAL;
	if (size == 0)
		return 0;
	pthread_mutex_lock(&as->lock);
	ptrace_ext_remove(&as->ext, addr, addr + size);
	ptrace_ext_insert(&as->ext, addr, addr + size, off, prot);
	queue_op(as, PTRACE_OP_MAP, addr, size, off, prot);
	ret = commit(as);
	pthread_mutex_unlock(&as->lock);
	return ret;
}

int ptrace_as_unmap(struct plat_as *as_, uint64_t addr, uint64_t size)
{
	struct ptrace_as *as = to_pas(as_);
	int ret;

	if (!range_ok(addr, size))
		return -EINVAL;
	if (size == 0)
		return 0;
	pthread_mutex_lock(&as->lock);
	ptrace_ext_remove(&as->ext, addr, addr + size);
	queue_op(as, PTRACE_OP_UNMAP, addr, size, 0, 0);
	ret = commit(as);
	pthread_mutex_unlock(&as->lock);
	return ret;
}

struct protect_arg {
	struct ptrace_as *as;
	int prot;
};

static int queue_protect(void *arg, uint64_t start, uint64_t end)
{
	struct protect_arg *pa = arg;

	queue_op(pa->as, PTRACE_OP_PROTECT, start, end - start, 0, pa->prot);
	return 0;
}

int ptrace_as_protect(struct plat_as *as_, uint64_t addr, uint64_t size, int prot)
{
	struct ptrace_as *as = to_pas(as_);
	struct protect_arg pa = { .as = as, .prot = prot };
	int ret;

	if (!range_ok(addr, size) || !prot_ok(prot))
		return -EINVAL;
	if (size == 0)
		return 0;
	pthread_mutex_lock(&as->lock);
	/* Only mapped runs: the host's mprotect fails with ENOMEM across holes. */
	ptrace_ext_protect(&as->ext, addr, addr + size, prot, queue_protect, &pa);
	ret = commit(as);
	pthread_mutex_unlock(&as->lock);
	return ret;
}
