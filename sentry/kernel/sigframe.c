/* sigframe.c: x86-64 rt_sigframe construction for handlers and rt_sigreturn. */
#include "sentry/kernel/signal_internal.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "sentry/abi/signal.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/mm/mm.h"

#define USER_CS 0x33
#define USER_DS 0x2b
#define X86_EFLAGS_TF 0x100
#define X86_EFLAGS_DF 0x400
#define X86_EFLAGS_RF 0x10000
/* Flags an application may change through sigreturn (AC OF DF TF SF ZF AF PF CF NT RF). */
#define FIX_EFLAGS 0x00054dd5ULL
#define FXSAVE_SW_OFFSET 464
#define XSAVE_HDR_OFFSET 512

static bool on_altstack(const struct task *t, uint64_t sp)
{
	return t->altstack_size && sp > t->altstack_sp && sp <= t->altstack_sp + t->altstack_size;
}

static void fill_sigcontext(struct abi_sigcontext *sc, const plat_regs_t *r)
{
	sc->r8 = r->r8; sc->r9 = r->r9; sc->r10 = r->r10; sc->r11 = r->r11;
	sc->r12 = r->r12; sc->r13 = r->r13; sc->r14 = r->r14; sc->r15 = r->r15;
	sc->rdi = r->rdi; sc->rsi = r->rsi; sc->rbp = r->rbp; sc->rbx = r->rbx;
	sc->rdx = r->rdx; sc->rax = r->rax; sc->rcx = r->rcx; sc->rsp = r->rsp;
	sc->rip = r->rip; sc->eflags = r->eflags;
	sc->cs = USER_CS;
	sc->ss = USER_DS;
}

static void restore_sigcontext(plat_regs_t *r, const struct abi_sigcontext *sc)
{
	r->r8 = sc->r8; r->r9 = sc->r9; r->r10 = sc->r10; r->r11 = sc->r11;
	r->r12 = sc->r12; r->r13 = sc->r13; r->r14 = sc->r14; r->r15 = sc->r15;
	r->rdi = sc->rdi; r->rsi = sc->rsi; r->rbp = sc->rbp; r->rbx = sc->rbx;
	r->rdx = sc->rdx; r->rax = sc->rax; r->rcx = sc->rcx; r->rsp = sc->rsp;
	r->rip = sc->rip;
	r->eflags = (r->eflags & ~FIX_EFLAGS) | (sc->eflags & FIX_EFLAGS);
	r->cs = USER_CS;
	r->ss = USER_DS;
	r->orig_rax = (uint64_t)-1;
}

/* Save the FPU state into the frame area at fp (app address). */
static int save_fpu(struct task *t, uint64_t fp)
{
	unsigned size = plat_fpu_size();
	struct plat_fpu *fpu = xmalloc(sizeof(*fpu));
	struct abi_fpx_sw_bytes sw = {0};
	uint32_t magic2 = FP_XSTATE_MAGIC2;
	int err;

	err = g_platform->ops->get_fpu(t->ctx, fpu);
	if (err)
		goto out;
	sw.magic1 = FP_XSTATE_MAGIC1;
	sw.extended_size = size + sizeof(magic2);
	memcpy(&sw.xfeatures, fpu->data + XSAVE_HDR_OFFSET, sizeof(sw.xfeatures));
	sw.xstate_size = size;
	if (size > XSAVE_HDR_OFFSET)
		memcpy(fpu->data + FXSAVE_SW_OFFSET, &sw, sizeof(sw));
	err = mm_copy_out(t->mm, fp, fpu->data, size);
	if (!err && size > XSAVE_HDR_OFFSET)
		err = mm_copy_out(t->mm, fp + size, &magic2, sizeof(magic2));
out:
	free(fpu);
	return err;
}

int sigframe_setup(struct task *t, int sig, const siginfo_t *info, struct ksigaction *ka)
{
	struct abi_rt_sigframe frame;
	uint64_t sp = t->regs.rsp - 128, fp, fsize = plat_fpu_size() + 4;
	bool onstack = on_altstack(t, t->regs.rsp);
	struct plat_fpu *init;
	int err;

	if (!(ka->flags & ABI_SA_RESTORER))
		return -EFAULT;
	if ((ka->flags & ABI_SA_ONSTACK) && t->altstack_size && !onstack) {
		sp = t->altstack_sp + t->altstack_size;
		onstack = true;
	}
	fp = (sp - fsize) & ~63ULL;
	sp = ((fp - sizeof(frame)) & ~15ULL) - 8;

	memset(&frame, 0, sizeof(frame));
	frame.pretcode = ka->restorer;
	frame.uc.uc_flags = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
	frame.uc.uc_stack.ss_sp = t->altstack_sp;
	frame.uc.uc_stack.ss_size = t->altstack_size;
	frame.uc.uc_stack.ss_flags = t->altstack_size ? (onstack ? ABI_SS_ONSTACK : 0)
						       : ABI_SS_DISABLE;
	fill_sigcontext(&frame.uc.uc_mcontext, &t->regs);
	if (sig == SIGSEGV || sig == SIGBUS) {
		frame.uc.uc_mcontext.cr2 = (uint64_t)info->si_addr;
		frame.uc.uc_mcontext.trapno = 14;
	}
	frame.uc.uc_mcontext.fpstate = fp;
	frame.uc.uc_sigmask = t->restore_sigmask ? t->saved_sigmask : t->sigmask;
	frame.uc.uc_mcontext.oldmask = frame.uc.uc_sigmask;
	frame.info = *info;

	err = save_fpu(t, fp);
	if (!err)
		err = mm_copy_out(t->mm, sp, &frame, sizeof(frame));
	if (err)
		return -EFAULT;

	t->regs.rsp = sp;
	t->regs.rip = ka->handler;
	t->regs.rdi = (uint64_t)sig;
	t->regs.rsi = sp + offsetof(struct abi_rt_sigframe, info);
	t->regs.rdx = sp + offsetof(struct abi_rt_sigframe, uc);
	t->regs.rax = 0;
	t->regs.eflags &= ~(uint64_t)(X86_EFLAGS_DF | X86_EFLAGS_TF | X86_EFLAGS_RF);
	t->regs.cs = USER_CS;
	t->regs.ss = USER_DS;

	/* The handler starts with a clean FPU, as on Linux. */
	init = xmalloc(sizeof(*init));
	plat_fpu_init(init);
	g_platform->ops->set_fpu(t->ctx, init);
	free(init);

	t->restore_sigmask = false;
	t->sigmask |= ka->mask;
	if (!(ka->flags & ABI_SA_NODEFER))
		t->sigmask |= sig_bit(sig);
	t->sigmask &= ~(sig_bit(SIGKILL) | sig_bit(SIGSTOP));
	if (ka->flags & ABI_SA_RESETHAND) {
		ka->handler = (uint64_t)SIG_DFL;
		ka->flags &= ~(uint64_t)ABI_SA_RESETHAND;
	}
	return 0;
}

/* Load the FPU area the frame points at (XSAVE with magic, or legacy FXSAVE). */
static int restore_fpu(struct task *t, uint64_t fp)
{
	struct plat_fpu *fpu = xmalloc(sizeof(*fpu));
	struct abi_fpx_sw_bytes sw;
	unsigned size = plat_fpu_size();
	int err;

	plat_fpu_init(fpu);
	if (fp == 0)
		goto set;
	err = mm_copy_in(t->mm, fpu->data, fp, 512);
	if (err)
		goto fail;
	memcpy(&sw, fpu->data + FXSAVE_SW_OFFSET, sizeof(sw));
	if (size > 512 && sw.magic1 == FP_XSTATE_MAGIC1 && sw.xstate_size == size) {
		err = mm_copy_in(t->mm, fpu->data + 512, fp + 512, size - 512);
		if (err)
			goto fail;
	} else if (size > 512) {
		/* Legacy frame: only x87 and SSE state are valid. */
		memset(fpu->data + 512, 0, size - 512);
		fpu->data[XSAVE_HDR_OFFSET] = 3;
	}
set:
	err = g_platform->ops->set_fpu(t->ctx, fpu);
fail:
	free(fpu);
	return err ? -EFAULT : 0;
}

long sigframe_return(struct task *t)
{
	struct abi_rt_sigframe frame;
	uint64_t addr = t->regs.rsp - 8;

	t->no_restart = true;
	if (mm_copy_in(t->mm, &frame, addr, sizeof(frame)) < 0)
		goto badframe;
	restore_sigcontext(&t->regs, &frame.uc.uc_mcontext);
	t->sigmask = frame.uc.uc_sigmask & ~(sig_bit(SIGKILL) | sig_bit(SIGSTOP));
	if (restore_fpu(t, frame.uc.uc_mcontext.fpstate) < 0)
		goto badframe;
	/* Restore the alternate stack as sigaltstack would, ignoring bad values. */
	if (!(frame.uc.uc_stack.ss_flags & ABI_SS_DISABLE) &&
	    frame.uc.uc_stack.ss_size >= ABI_MINSIGSTKSZ && !on_altstack(t, t->regs.rsp)) {
		t->altstack_sp = frame.uc.uc_stack.ss_sp;
		t->altstack_size = frame.uc.uc_stack.ss_size;
		t->altstack_flags = 0;
	}
	return (long)t->regs.rax;
badframe:
	signal_force_fault(t, SIGSEGV, SI_KERNEL, 0);
	return -EFAULT;
}
