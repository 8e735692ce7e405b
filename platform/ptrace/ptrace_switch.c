/* ptrace_switch.c: running application code in a stub thread under PTRACE_SYSEMU, and
 * interrupts.
 *
 * Each context runs in its own thread of the address space's stub process, traced by the
 * context's host thread (ptrace_thread.c attaches it on the first switch), so several
 * application threads run one address space at once, each stopping only for its own
 * tracer. A stub thread and its tracer run on one CPU: a ptrace round trip costs ~10 us on
 * one CPU and 60-140 us across CPUs on a VM, so the stub thread is pinned to the CPU the
 * tracer is on before each resume (the affinity call only happens when that CPU changed).
 * interrupt() signals exactly that stub thread (tgkill), never its siblings.
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
	if ((status >> 16) != 0) { /* a ptrace event stop (seized thread): nothing to report */
		*again = true;
		return 0;
	}
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

/* Resume the stub thread once and wait for its next stop. Returns 0 with *status, 1 if an
 * interrupt was pending so it was not resumed, or -errno. */
static int run_once(struct ptrace_ctx *ctx, struct ptrace_thread *th, const plat_regs_t *r,
		    int *status)
{
	struct ptrace_as *as = th->as;
	pid_t pid, tid = th->tid;
	int ret;

	pthread_mutex_lock(&as->lock);
	pid = as->pid;
	ret = pid < 0 || as->err ? (as->err ? as->err : -ESRCH) : 0;
	pthread_mutex_unlock(&as->lock);
	if (ret)
		return ret;
	if (atomic_load(&ctx->interrupt))
		return 1;
	if (ptrace(PTRACE_SETREGS, tid, 0, r) != 0)
		return stub_failed(as, -errno);

	/* Publish the thread, then re-check: interrupt() sets the flag, then reads the
	 * thread, so either it signals the stub thread or we see the flag here. */
	atomic_store(&ctx->running_pid, pid);
	atomic_store(&ctx->running, tid);
	if (atomic_load(&ctx->interrupt))
		ret = 1;
	else if (ptrace(PTRACE_SYSEMU, tid, 0, 0) != 0)
		ret = -errno;
	else
		ret = ptrace_stub_wait(tid, status);
	atomic_store(&ctx->running, 0);
	return ret < 0 ? stub_failed(as, ret) : ret;
}

int ptrace_switch_to(struct plat_ctx *ctx_, struct plat_as *as_, plat_regs_t *regs,
		     struct plat_trap *trap)
{
	struct ptrace_ctx *ctx = to_pctx(ctx_);
	struct ptrace_as *as = to_pas(as_);
	struct ptrace_thread *th;
	plat_regs_t r = *regs;
	bool again, ran = false;
	int status, ret;

	if (ptrace_gettid() != ctx->tid) {
		log_err("ptrace: context of thread %d used on thread %d", ctx->tid,
			ptrace_gettid());
		return -EPERM;
	}
	ret = ptrace_thread_get(ctx, as, &th);
	if (ret == 0)
		ret = ptrace_ctx_fpu_to(ctx, th);
	if (ret)
		return ret;
	ptrace_stub_pin(th->tid, &th->cpu);
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
		ret = run_once(ctx, th, &r, &status);
		if (ret == 1)
			break;
		if (ret)
			return ret;
		ran = true;
		ret = classify(ctx, th->tid, status, &r, trap, &again);
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
	pid_t pid, tid;

	atomic_store(&ctx->interrupt, 1);
	tid = atomic_load(&ctx->running);
	pid = atomic_load(&ctx->running_pid);
	if (tid > 0 && syscall(SYS_tgkill, pid, tid, PTRACE_SIG_INTERRUPT) != 0 &&
	    errno != ESRCH)
		log_warn("ptrace stub thread %d: tgkill: %s", tid, strerror(errno));
}
