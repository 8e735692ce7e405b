/* systrap_frame.c: the kernel's signal frame on a stub thread's alternate stack, read and
 * written by the Sentry: the application's registers and FPU state live there while the
 * thread waits in the handler, and rt_sigreturn loads whatever the Sentry left.
 *
 * The frame is in memory the application can write (another of its threads may scribble
 * on it at any time), so every offset is checked against the slot before use and every
 * value is copied out once; a bad frame can only hurt the application that made it.
 */
#include "platform/systrap/systrap_internal.h"

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

#include "lib/util.h"

/* The kernel's x86-64 struct ucontext (not glibc's ucontext_t, whose sigset is larger). */
struct kucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	uint64_t ss_sp;
	uint32_t ss_flags, ss_pad;
	uint64_t ss_size;
	/* struct sigcontext */
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate;
	uint64_t reserved1[8];
	uint64_t uc_sigmask;
};
_Static_assert(offsetof(struct kucontext, r8) == 40, "uc_mcontext offset");
_Static_assert(offsetof(struct kucontext, uc_sigmask) == 296, "uc_sigmask offset");

#define USER_CS 0x33
#define USER_SS 0x2b
#define FXSAVE_SIZE 512u
#define SW_BYTES_OFF 464u	/* struct _fpx_sw_bytes in the FXSAVE image */
#define XSTATE_MAGIC1 0x46505853u
#define XSAVE_HDR_OFF 512u
#define XSAVE_HDR_SIZE 64u

static uint8_t *slot_of(const struct systrap_thread *thr)
{
	return slot_view(thr->as, thr->slot);
}

int systrap_frame_locate(struct systrap_thread *thr)
{
	uint8_t *slot = slot_of(thr);
	uint64_t uctx, fp, base = slot_addr(thr->as->p, thr->slot);
	uint32_t magic, xsize, size = FXSAVE_SIZE;
	struct kucontext uc;

	memcpy(&uctx, slot + M_UCTX, 8);
	if (uctx < M_SIZE || uctx > SYSTRAP_SLOT_SIZE - sizeof(uc) || uctx % 8)
		return -EFAULT;
	memcpy(&uc, slot + uctx, sizeof(uc));
	thr->uctx_off = (uint32_t)uctx;
	thr->fp_off = thr->fp_size = 0;
	fp = uc.fpstate - base;
	if (uc.fpstate < base || fp < M_SIZE || fp > SYSTRAP_SLOT_SIZE - FXSAVE_SIZE || fp % 64)
		return 0; /* no usable FPU area: get/set_fpu fail with EFAULT */
	memcpy(&magic, slot + fp + SW_BYTES_OFF, 4);
	memcpy(&xsize, slot + fp + SW_BYTES_OFF + 16, 4);
	if (magic == XSTATE_MAGIC1 && xsize > FXSAVE_SIZE + XSAVE_HDR_SIZE &&
	    xsize <= SYSTRAP_SLOT_SIZE - fp)
		size = xsize;
	thr->fp_off = (uint32_t)fp;
	thr->fp_size = size;
	return 0;
}

void systrap_frame_get_regs(struct systrap_thread *thr, plat_regs_t *r)
{
	uint8_t *slot = slot_of(thr);
	struct kucontext uc;

	memcpy(&uc, slot + thr->uctx_off, sizeof(uc));
	r->r8 = uc.r8, r->r9 = uc.r9, r->r10 = uc.r10, r->r11 = uc.r11;
	r->r12 = uc.r12, r->r13 = uc.r13, r->r14 = uc.r14, r->r15 = uc.r15;
	r->rdi = uc.rdi, r->rsi = uc.rsi, r->rbp = uc.rbp, r->rbx = uc.rbx;
	r->rdx = uc.rdx, r->rax = uc.rax, r->rcx = uc.rcx, r->rsp = uc.rsp;
	r->rip = uc.rip, r->eflags = uc.eflags;
	r->cs = USER_CS, r->ss = USER_SS;
	r->ds = r->es = r->fs = r->gs = 0;
	r->orig_rax = (uint64_t)-1;
	if (thr->as->p->fsgsbase) {
		memcpy(&r->fs_base, slot + M_FS_BASE, 8);
		memcpy(&r->gs_base, slot + M_GS_BASE, 8);
	}
}

void systrap_frame_put_regs(struct systrap_thread *thr, const plat_regs_t *r)
{
	uint8_t *slot = slot_of(thr);
	uint64_t base = slot_addr(thr->as->p, thr->slot);
	struct kucontext uc;

	memcpy(&uc, slot + thr->uctx_off, sizeof(uc));
	uc.r8 = r->r8, uc.r9 = r->r9, uc.r10 = r->r10, uc.r11 = r->r11;
	uc.r12 = r->r12, uc.r13 = r->r13, uc.r14 = r->r14, uc.r15 = r->r15;
	uc.rdi = r->rdi, uc.rsi = r->rsi, uc.rbp = r->rbp, uc.rbx = r->rbx;
	uc.rdx = r->rdx, uc.rax = r->rax, uc.rcx = r->rcx, uc.rsp = r->rsp;
	uc.rip = r->rip, uc.eflags = r->eflags;
	/* Whatever the application or the Sentry put there: a 64-bit user context, the
	 * stub's signal mask, and this slot's alternate stack (sigreturn restores both). */
	uc.cs = USER_CS, uc.ss = USER_SS, uc.fs = uc.gs = 0;
	uc.uc_sigmask = 0;
	memcpy(&uc.uc_sigmask, (const uint8_t *)thr->as->p->region + SYSTRAP_PARAMS_OFF +
				       P_APPMASK, 8);
	uc.ss_sp = base + M_SIZE, uc.ss_flags = 0, uc.ss_size = SYSTRAP_SLOT_SIZE - M_SIZE;
	memcpy(slot + thr->uctx_off, &uc, sizeof(uc));
	memcpy(slot + M_FS_BASE, &r->fs_base, 8);
	memcpy(slot + M_GS_BASE, &r->gs_base, 8);
}

int systrap_frame_get_fpu(struct systrap_thread *thr, struct plat_fpu *fpu)
{
	unsigned want = thr->as->p->fpu_size, n = MIN(want, thr->fp_size);

	if (!thr->fp_size)
		return -EFAULT;
	memcpy(fpu->data, slot_of(thr) + thr->fp_off, n);
	if (n < want) /* a legacy frame: only x87/SSE are valid */
		memset(fpu->data + n, 0, want - n);
	if (n == FXSAVE_SIZE && want > FXSAVE_SIZE)
		fpu->data[XSAVE_HDR_OFF] = 3;
	return 0;
}

/* The software bytes (464..511) stay the kernel's: they tell sigreturn the frame's
 * format and size. */
int systrap_frame_put_fpu(struct systrap_thread *thr, const struct plat_fpu *fpu)
{
	uint8_t *fp = slot_of(thr) + thr->fp_off;
	unsigned n = MIN(thr->as->p->fpu_size, thr->fp_size);

	if (!thr->fp_size)
		return -EFAULT;
	memcpy(fp, fpu->data, SW_BYTES_OFF);
	if (n > FXSAVE_SIZE)
		memcpy(fp + FXSAVE_SIZE, fpu->data + FXSAVE_SIZE, n - FXSAVE_SIZE);
	return 0;
}

int systrap_fpu_check(const struct systrap_platform *p, const struct plat_fpu *fpu)
{
	uint32_t mxcsr;
	uint64_t bv, comp;

	memcpy(&mxcsr, fpu->data + 24, 4);
	if (mxcsr & ~p->mxcsr_mask)
		return -EINVAL;
	if (p->fpu_size <= FXSAVE_SIZE)
		return 0;
	memcpy(&bv, fpu->data + XSAVE_HDR_OFF, 8);
	memcpy(&comp, fpu->data + XSAVE_HDR_OFF + 8, 8);
	if ((bv & ~p->xcr0) || comp)
		return -EINVAL;
	for (unsigned i = 16; i < XSAVE_HDR_SIZE; i++)
		if (fpu->data[XSAVE_HDR_OFF + i])
			return -EINVAL;
	return 0;
}
