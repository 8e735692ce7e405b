/* systrap_switch.c: running application code on a stub thread, and interrupts.
 *
 * A context binds to one stub thread of the address space it runs in (any host thread
 * can drive any stub thread: nothing is traced). The stub thread waits in its signal
 * handler; switch_to writes the registers into the signal frame, sets ST_RESUME and
 * waits for ST_TRAP. Where the stub thread runs and how long each side spins is
 * systrap_handoff.c's business.
 *
 * interrupt() sends SYSTRAP_SIG_INTERRUPT to the running stub thread; its handler
 * reports a trap like any other, which switch_to turns into TRAP_INTERRUPT.
 */
#include "platform/systrap/systrap_internal.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdint.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"

#define SYS_SECCOMP 1		/* si_code of a seccomp SIGSYS */
#define X86_TRAP_PF 14
#define PF_WRITE 0x2
#define PF_INSTR 0x10

void systrap_ctx_unbind(struct systrap_ctx *ctx)
{
	struct systrap_thread *thr = ctx->thr;

	if (!thr)
		return;
	if (!ctx->fpu_dirty && systrap_frame_get_fpu(thr, &ctx->fpu) != 0)
		log_warn("systrap: FPU state of stub thread %d lost", thr->tid);
	ctx->fpu_dirty = false;
	thr->owner = NULL;
	ctx->thr = NULL;
}

/* Bind ctx to a stub thread of as (as->lock held). */
static int bind(struct systrap_ctx *ctx, struct systrap_as *as)
{
	struct systrap_platform *p = ctx->p;
	struct systrap_thread *thr;
	int ret = 0;

	pthread_mutex_lock(&p->own_lock);
	if (ctx->thr && ctx->thr->as == as)
		goto out;
	systrap_ctx_unbind(ctx);
	ret = systrap_as_get_thread(as, &thr);
	if (ret)
		goto out;
	thr->owner = ctx;
	ctx->thr = thr;
	ctx->fpu_dirty = true; /* the new frame gets the context's FPU state */
out:
	pthread_mutex_unlock(&p->own_lock);
	return ret;
}

static int prepare(struct systrap_ctx *ctx, struct systrap_as *as)
{
	int ret;

	pthread_mutex_lock(&as->lock);
	ret = systrap_as_ready(as);
	if (ret == 0)
		ret = bind(ctx, as);
	pthread_mutex_unlock(&as->lock);
	if (ret)
		return ret;
	pthread_mutex_lock(&ctx->p->own_lock);
	if (ctx->fpu_dirty) {
		ret = systrap_frame_put_fpu(ctx->thr, &ctx->fpu);
		if (ret == 0)
			ctx->fpu_dirty = false;
	}
	pthread_mutex_unlock(&ctx->p->own_lock);
	return ret;
}

static bool is_fault(int sig)
{
	return sig == SIGSEGV || sig == SIGBUS || sig == SIGFPE || sig == SIGILL ||
	       sig == SIGTRAP;
}

/* Turn the trap in the slot into *trap and *regs. Sets *again for traps the Sentry
 * need not see: a stale interrupt, a signal nobody asked for. */
static int classify(struct systrap_ctx *ctx, struct systrap_thread *thr, plat_regs_t *r,
		    struct plat_trap *trap, bool *again)
{
	uint8_t *slot = slot_view(thr->as, thr->slot);
	int32_t signo, code, nr;
	uint64_t addr, err, trapno;
	int ret;

	*again = false;
	ret = systrap_frame_locate(thr);
	if (ret)
		return ret;
	systrap_frame_get_regs(thr, r);
	memcpy(&signo, slot + M_SIGNO, 4);
	memcpy(&code, slot + M_CODE, 4);
	memcpy(&addr, slot + M_INFO, 8);
	if (signo == SIGSYS && code == SYS_SECCOMP) {
		uint32_t arch;

		memcpy(&nr, slot + M_INFO + 8, 4);
		memcpy(&arch, slot + M_INFO + 12, 4); /* si_arch */
		trap->kind = TRAP_SYSCALL;
		trap->entry = arch == AUDIT_ARCH_I386 ? PLAT_ENTRY_INT80 : PLAT_ENTRY_SYSCALL;
		r->orig_rax = (uint64_t)(int64_t)nr;
		return 0;
	}
	if (is_fault(signo) && code > 0) {
		memcpy(&err, slot + thr->uctx_off + 40 + 19 * 8, 8);
		memcpy(&trapno, slot + thr->uctx_off + 40 + 20 * 8, 8);
		trap->kind = TRAP_FAULT;
		trap->signo = signo;
		trap->code = code;
		trap->addr = addr;
		trap->trapno = trapno < 32 ? (int)trapno : -1;
		if (trapno == X86_TRAP_PF && (signo == SIGSEGV || signo == SIGBUS))
			trap->access = (err & PF_INSTR)	  ? PLAT_ACCESS_EXEC
				       : (err & PF_WRITE) ? PLAT_ACCESS_WRITE
							  : PLAT_ACCESS_READ;
		return 0;
	}
	if (atomic_exchange(&ctx->interrupt, 0)) {
		trap->kind = TRAP_INTERRUPT;
		return 0;
	}
	*again = true;
	return 0;
}

int systrap_switch_to(struct plat_ctx *ctx_, struct plat_as *as_, plat_regs_t *regs,
		      struct plat_trap *trap)
{
	struct systrap_ctx *ctx = to_sctx(ctx_);
	struct systrap_as *as = to_sas(as_);
	struct systrap_thread *thr;
	plat_regs_t r = *regs;
	bool again, ran = false;
	unsigned spin;
	int ret;

	memset(trap, 0, sizeof(*trap));
	trap->trapno = -1;
	ret = prepare(ctx, as);
	if (ret)
		return ret;
	thr = ctx->thr;
	for (;;) {
		if (atomic_load(&ctx->interrupt))
			break;
		systrap_frame_put_regs(thr, &r);
		/* Publish, then re-check: interrupt() sets the flag, then reads `running`. */
		atomic_store(&ctx->running, (uint64_t)as->pid << 32 | (uint32_t)thr->tid);
		if (atomic_load(&ctx->interrupt)) {
			atomic_store(&ctx->running, 0);
			break;
		}
		spin = systrap_handoff_resume(ctx, thr);
		ret = systrap_wait_trap(as, thr->slot, spin);
		atomic_store(&ctx->running, 0);
		systrap_handoff_trapped(ctx, ret > 0);
		if (ret < 0) {
			pthread_mutex_lock(&as->lock);
			if (!as->err)
				as->err = ret;
			pthread_mutex_unlock(&as->lock);
			return ret;
		}
		ran = true;
		ret = classify(ctx, thr, &r, trap, &again);
		if (ret) {
			log_warn("systrap stub %d: unusable signal frame", as->pid);
			return ret;
		}
		if (!again) {
			systrap_handoff_kind(ctx, trap->kind == TRAP_SYSCALL
						       ? (long)r.orig_rax : -1);
			*regs = r;
			return 0;
		}
	}
	atomic_store(&ctx->interrupt, 0);
	if (ran)
		*regs = r;
	trap->kind = TRAP_INTERRUPT;
	return 0;
}

void systrap_interrupt(struct plat_ctx *ctx_)
{
	struct systrap_ctx *ctx = to_sctx(ctx_);
	uint64_t run;

	atomic_store(&ctx->interrupt, 1);
	run = atomic_load(&ctx->running);
	if (run && syscall(SYS_tgkill, (pid_t)(run >> 32), (pid_t)(uint32_t)run,
			   SYSTRAP_SIG_INTERRUPT) != 0 && errno != ESRCH)
		log_warn("systrap stub %d: tgkill: %s", (int)(run >> 32), strerror(errno));
}
