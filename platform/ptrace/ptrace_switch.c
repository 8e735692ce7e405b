/* ptrace_switch.c: running application code in a stub under PTRACE_SYSEMU, and interrupts.
 *
 * One host thread traces each stub: the thread that first switches into the address
 * space forks it. Tracer and stub run on one CPU: a ptrace round trip costs ~10 us on one
 * CPU and 60-140 us across CPUs on a VM, so the stub is pinned to the CPU the tracer is
 * on before each resume (the affinity call only happens when that CPU changed).
 *
 * Multi-threaded applications (several host threads running one address space) are not
 * supported yet: a second thread gets -EOPNOTSUPP. Planned design: the new thread asks
 * the owner (through the address space) to inject clone(CLONE_VM|CLONE_THREAD...) in the
 * stub; the new stub thread starts in a loop in the stub page that futex-waits on a word
 * of a shared page; the owner detaches it (PTRACE_DETACH), and the new Sentry thread
 * attaches with PTRACE_SEIZE + PTRACE_INTERRUPT and becomes its tracer. The per-AS state
 * then becomes a list of (tracer tid, stub tid) pairs, and ops injected by any tracer
 * change the one shared mm, so only other-thread callers without a stub thread queue.
 */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "lib/log.h"

#define USER_CS 0x33
#define USER_SS 0x2b
/* x86 exception vectors reported as trapno. */
#define X86_TRAP_DE 0
#define X86_TRAP_DB 1
#define X86_TRAP_BP 3
#define X86_TRAP_UD 6
#define X86_TRAP_GP 13
#define X86_TRAP_PF 14
#define X86_TRAP_AC 17

/* Bind as's stub to ctx, forking it on first use. */
static int ensure_stub(struct ptrace_ctx *ctx, struct ptrace_as *as)
{
	struct ptrace_platform *p = ctx->p;
	int ret = 0;

	pthread_mutex_lock(&as->lock);
	if (as->pid == 0) {
		pid_t pid;

		ret = ptrace_stub_spawn(p, &pid);
		if (ret == 0) {
			as->pid = pid;
			as->tracer = ctx->tid;
			as->cpu = -1;
			ptrace_as_replay(as);
		}
	} else if (as->pid < 0) {
		ret = as->err ? as->err : -ESRCH;
	} else if (as->tracer != ctx->tid) {
		log_warn("ptrace: address space of stub %d is run by thread %d, not %d: "
			 "multi-threaded applications are not supported yet",
			 as->pid, as->tracer, ctx->tid);
		ret = -EOPNOTSUPP;
	}
	pthread_mutex_unlock(&as->lock);
	if (ret)
		return ret;

	pthread_mutex_lock(&p->own_lock);
	if (as->owner != ctx) {
		struct ptrace_ctx *old = as->owner;

		if (old) { /* another context of this same thread had it */
			if (old->fpu_as == as) {
				ptrace_stub_get_fpu(p, as->pid, &old->fpu);
				old->fpu_as = NULL;
			}
			list_del(&as->owner_link);
		}
		as->owner = ctx;
		list_add(&as->owner_link, &ctx->owned);
	}
	pthread_mutex_unlock(&p->own_lock);
	return 0;
}

/* Keep the stub on the tracer's CPU (see the top of the file). Tracer only. */
static void pin_stub(struct ptrace_as *as)
{
	int cpu = sched_getcpu();
	cpu_set_t set;

	if (cpu < 0 || cpu == as->cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(as->pid, sizeof(set), &set) != 0)
		log_debug("ptrace stub %d: sched_setaffinity(%d): %s", as->pid, cpu,
			  strerror(errno));
	as->cpu = cpu;
}

static void set_stopped(struct ptrace_as *as)
{
	pthread_mutex_lock(&as->lock);
	as->running = false;
	pthread_cond_broadcast(&as->cond);
	pthread_mutex_unlock(&as->lock);
}

/* A ptrace or wait failure: ESRCH/ECHILD mean the stub died (see ptrace_as_fail). */
static int stub_failed(struct ptrace_as *as, int err)
{
	if (err == -ESRCH || err == -ECHILD) {
		pthread_mutex_lock(&as->lock);
		ptrace_as_fail(as, err);
		pthread_mutex_unlock(&as->lock);
	}
	return err;
}

static int fault_trapno(int sig, int code)
{
	switch (sig) {
	case SIGSEGV:
		return code == SI_KERNEL ? X86_TRAP_GP : X86_TRAP_PF;
	case SIGBUS:
		return code == BUS_ADRALN ? X86_TRAP_AC : X86_TRAP_PF;
	case SIGILL:
		return X86_TRAP_UD;
	case SIGFPE:
		return code == FPE_INTDIV ? X86_TRAP_DE : -1;
	case SIGTRAP:
		return code == TRAP_TRACE || code == TRAP_HWBKPT ? X86_TRAP_DB : X86_TRAP_BP;
	}
	return -1;
}

static bool is_fault_signal(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
	       sig == SIGTRAP;
}

/* Turn a stop into a trap. Sets *again for stops the Sentry need not see (a stale
 * interrupt signal, a host signal, a deferred-op flush request). */
static int classify(struct ptrace_ctx *ctx, pid_t pid, int status, plat_regs_t *regs,
		    struct plat_trap *trap, bool *again)
{
	int sig = WSTOPSIG(status);
	siginfo_t si;

	*again = false;
	if (ptrace(PTRACE_GETREGS, pid, 0, regs) != 0)
		return -errno;
	if (sig == (SIGTRAP | 0x80)) {
		trap->kind = TRAP_SYSCALL;
		return 0;
	}
	if (is_fault_signal(sig)) {
		if (ptrace(PTRACE_GETSIGINFO, pid, 0, &si) != 0)
			return -errno;
		if (si.si_code > 0) { /* raised by the CPU, not sent by someone */
			trap->kind = TRAP_FAULT;
			trap->signo = sig;
			trap->code = si.si_code;
			trap->addr = (uint64_t)si.si_addr;
			trap->trapno = fault_trapno(sig, si.si_code);
			/* ptrace does not expose the page-fault error code; only an
			 * instruction fetch is recognisable (the address is rip). */
			trap->access = (sig == SIGSEGV || sig == SIGBUS) &&
						       trap->addr == regs->rip
					       ? PLAT_ACCESS_EXEC
					       : 0;
			return 0;
		}
	}
	if (atomic_exchange(&ctx->interrupt, 0)) {
		trap->kind = TRAP_INTERRUPT;
		return 0;
	}
	*again = true;
	return 0;
}

/* Resume the stub once and wait for its next stop. Returns 0 with *status, 1 if an
 * interrupt was pending so the stub was not resumed, or -errno. */
static int run_once(struct ptrace_ctx *ctx, struct ptrace_as *as, const plat_regs_t *r,
		    int *status)
{
	pid_t pid = as->pid;
	int ret;

	pthread_mutex_lock(&as->lock);
	ret = ptrace_as_flush(as);
	if (ret == 0 && atomic_load(&ctx->interrupt))
		ret = 1;
	if (ret == 0 && ptrace(PTRACE_SETREGS, pid, 0, r) != 0) {
		ret = -errno;
		if (ret == -ESRCH)
			ptrace_as_fail(as, ret);
	}
	if (ret) {
		pthread_mutex_unlock(&as->lock);
		return ret;
	}
	as->running = true;
	pthread_mutex_unlock(&as->lock);

	/* Publish the pid, then re-check: interrupt() sets the flag, then reads the pid,
	 * so either it signals the stub or we see the flag here. */
	atomic_store(&ctx->running, pid);
	if (atomic_load(&ctx->interrupt))
		ret = 1;
	else if (ptrace(PTRACE_SYSEMU, pid, 0, 0) != 0)
		ret = -errno;
	else
		ret = ptrace_stub_wait(pid, status);
	atomic_store(&ctx->running, 0);
	set_stopped(as);
	return ret < 0 ? stub_failed(as, ret) : ret;
}

int ptrace_switch_to(struct plat_ctx *ctx_, struct plat_as *as_, plat_regs_t *regs,
		     struct plat_trap *trap)
{
	struct ptrace_ctx *ctx = to_pctx(ctx_);
	struct ptrace_as *as = to_pas(as_);
	plat_regs_t r = *regs;
	bool again, ran = false;
	int status, ret;

	if (ptrace_gettid() != ctx->tid) {
		log_err("ptrace: context of thread %d used on thread %d", ctx->tid,
			ptrace_gettid());
		return -EPERM;
	}
	ret = ensure_stub(ctx, as);
	if (ret == 0)
		ret = ptrace_ctx_fpu_to(ctx, as);
	if (ret)
		return ret;
	pin_stub(as);
	memset(trap, 0, sizeof(*trap));
	trap->trapno = -1;
	if (!r.cs)
		r.cs = USER_CS;
	if (!r.ss)
		r.ss = USER_SS;
	for (;;) {
		/* No syscall to restart: keeps the host's -ERESTART* rewinding away from
		 * whatever rax the Sentry returns. */
		r.orig_rax = (uint64_t)-1;
		ret = run_once(ctx, as, &r, &status);
		if (ret == 1)
			break;
		if (ret)
			return ret;
		ran = true;
		ret = classify(ctx, as->pid, status, &r, trap, &again);
		if (ret)
			return stub_failed(as, ret);
		if (!again) {
			*regs = r;
			return 0;
		}
	}
	/* Interrupted before (re)entering the application. */
	atomic_store(&ctx->interrupt, 0);
	if (ran)
		*regs = r;
	trap->kind = TRAP_INTERRUPT;
	return 0;
}

void ptrace_interrupt(struct plat_ctx *ctx_)
{
	struct ptrace_ctx *ctx = to_pctx(ctx_);
	pid_t pid;

	atomic_store(&ctx->interrupt, 1);
	pid = atomic_load(&ctx->running);
	if (pid > 0 && syscall(SYS_tgkill, pid, pid, PTRACE_SIG_INTERRUPT) != 0 && errno != ESRCH)
		log_warn("ptrace stub %d: tgkill: %s", pid, strerror(errno));
}
