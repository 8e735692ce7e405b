/* kvm_bluepill.c: a Sentry thread enters guest ring 0 itself and leaves again (issue 7,
 * steps 2 and 4; hardware KVM only, never on PVM, whose ring 0 is interpreted).
 *
 * Entry (kvm_bluepill): kvm_bp_enter, called like a function, records the caller's
 * callee-saved registers, its return address and stack pointer, RFLAGS and the whole
 * XSAVE state (the components KVM keeps) in the context's frame, then moves to a host
 * handler stack of its own and calls bp_host. bp_host writes those registers into the
 * vCPU (KVM_SET_REGS, CS = kernel code, CR3 = the kernel table of kvm_sentry.c, FS base =
 * the thread's own, KVM_SET_XSAVE) and runs it: the same C code continues after the call
 * in guest ring 0, at the same addresses, on the same stack. Signal masks are untouched:
 * the host thread sits in KVM_RUN on the handler stack, so a signal (a kick) only ends
 * KVM_RUN, and its handler runs on that stack.
 *
 * Exit: whatever stops the vCPU, bp_host copies the vCPU's registers and XSAVE state
 * back into the frame and kvm_bp_resume loads them on the host thread (xrstor, popfq,
 * the registers, then rsp and a jump through thread-local words, leaving the red zone
 * alone): the thread goes on in host mode where the guest stopped.
 *   - kvm_redpill(): a `hlt` in ring 0; the thread goes on after it.
 *   - a host syscall in ring 0 reaches LSTAR with the kernel's RFLAGS (IOPL 0; the
 *     application runs with IOPL 1), whose `hlt` exits; rip is rewound to the `syscall`,
 *     which the host thread then executes natively (the redpill of gVisor).
 *   - an exception in ring 0 (IST stack, so the Sentry's red zone survives) exits at its
 *     vector's `hlt`; the thread replays the instruction in host mode, where a real fault
 *     is a real SIGSEGV. A #PF on Sentry memory that is only missing from guest memory (a
 *     mapping made after kvm_sentry_map_all, a memory-file chunk registered since) gets
 *     its slot and page-table entries at the next kvm_bluepill (not in bp_host, which
 *     must take no lock the stopped guest code might hold: malloc's, the platform's).
 *   - a kick (EINTR) or KVM_RUN's EFAULT: back to host mode at the current rip. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/log.h"

#define BP_STACK (64 << 10)  /* the host handler's stack */
#define RFLAGS_HOST_MASK 0x40dd5ULL /* CF PF AF ZF SF TF DF OF AC: what goes back */
#define XSTATE_BV_OFF 512

/* What kvm_bp_enter saves and kvm_bp_resume loads (offsets fixed by the assembly). */
struct kvm_bp_frame {
	uint64_t gpr[16];  /* rax rbx rcx rdx rsi rdi rbp (rsp) r8-r15 */
	uint64_t iret[5];  /* rip cs rflags rsp ss */
	uint64_t stack_top; /* of the handler stack */
	uint32_t xmask[2]; /* XSAVE components moved */
	uint64_t pad;
	uint8_t xsave[4096] __attribute__((aligned(64)));
	struct kvm_ctx *c;
	uint64_t fs_base;
	uint8_t stack[BP_STACK] __attribute__((aligned(16)));
};
_Static_assert(offsetof(struct kvm_bp_frame, iret) == 128 &&
		       offsetof(struct kvm_bp_frame, stack_top) == 168 &&
		       offsetof(struct kvm_bp_frame, xmask) == 176 &&
		       offsetof(struct kvm_bp_frame, xsave) == 192,
	       "kvm_bp_enter's offsets");

enum { G_RAX, G_RBX, G_RCX, G_RDX, G_RSI, G_RDI, G_RBP, G_RSP, G_R8, G_R9, G_R10, G_R11,
       G_R12, G_R13, G_R14, G_R15 };
enum { I_RIP, I_CS, I_RFLAGS, I_RSP, I_SS };

void kvm_bp_enter(struct kvm_bp_frame *f, void (*host)(struct kvm_bp_frame *));
/* Where kvm_bp_resume jumps (not an iretq: QEMU's TCG reads its frame as a supervisor,
 * which SMAP refuses in user mode). Local-exec TLS: the platform is linked statically. */
__thread uint64_t kvm_bp_rip __attribute__((tls_model("local-exec")));
__thread uint64_t kvm_bp_rsp __attribute__((tls_model("local-exec")));
extern const char kvm_redpill_hlt[];
extern const char kvm_r0_crit_start[], kvm_r0_crit_end[]; /* kvm_r0switch.c */
__asm__(".text\n"
	".globl kvm_bp_enter\n .type kvm_bp_enter, @function\n"
	"kvm_bp_enter:\n"
	"mov %rbx, 8(%rdi)\n mov %rbp, 48(%rdi)\n mov %r12, 96(%rdi)\n"
	"mov %r13, 104(%rdi)\n mov %r14, 112(%rdi)\n mov %r15, 120(%rdi)\n"
	"movq $0, 0(%rdi)\n"
	"mov (%rsp), %rax\n mov %rax, 128(%rdi)\n lea 8(%rsp), %rax\n mov %rax, 152(%rdi)\n"
	"pushfq\n popq 144(%rdi)\n movq $0x33, 136(%rdi)\n movq $0x2b, 160(%rdi)\n"
	"mov %rdi, %rbx\n mov %rsi, %r12\n"
	"mov 176(%rdi), %eax\n mov 180(%rdi), %edx\n xsave64 192(%rdi)\n"
	"mov 168(%rbx), %rsp\n mov %rbx, %rdi\n call *%r12\n mov %rbx, %rdi\n"
	/* kvm_bp_resume: everything from the frame; rflags first (no mov changes them),
	 * then rsp and rip through the thread's own TLS, so no scratch register is needed */
	"mov 176(%rdi), %eax\n mov 180(%rdi), %edx\n xrstor64 192(%rdi)\n"
	"mov 128(%rdi), %rax\n mov %rax, %fs:kvm_bp_rip@tpoff\n"
	"mov 152(%rdi), %rax\n mov %rax, %fs:kvm_bp_rsp@tpoff\n"
	"pushq 144(%rdi)\n popfq\n"
	"mov 0(%rdi), %rax\n mov 8(%rdi), %rbx\n mov 16(%rdi), %rcx\n mov 24(%rdi), %rdx\n"
	"mov 32(%rdi), %rsi\n mov 48(%rdi), %rbp\n mov 64(%rdi), %r8\n mov 72(%rdi), %r9\n"
	"mov 80(%rdi), %r10\n mov 88(%rdi), %r11\n mov 96(%rdi), %r12\n mov 104(%rdi), %r13\n"
	"mov 112(%rdi), %r14\n mov 120(%rdi), %r15\n mov 40(%rdi), %rdi\n"
	"mov %fs:kvm_bp_rsp@tpoff, %rsp\n jmp *%fs:kvm_bp_rip@tpoff\n"
	".size kvm_bp_enter, .-kvm_bp_enter\n"
	".globl kvm_redpill\n .type kvm_redpill, @function\n"
	"kvm_redpill:\n"
	"mov %cs, %eax\n test $3, %al\n jnz 1f\n"
	"kvm_redpill_hlt:\n hlt\n"
	"1: ret\n"
	".size kvm_redpill, .-kvm_redpill\n");

bool kvm_in_guest(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return (cs & 3) == 0;
}

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | ((uint64_t)hi << 32);
}

static void count(struct kvm_platform *p, int stat)
{
	atomic_fetch_add_explicit(&p->stats[stat], 1, memory_order_relaxed);
}

static struct kvm_segment kseg(uint16_t sel, uint8_t type, bool code, uint64_t base)
{
	struct kvm_segment s = {
		.base = base, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .s = 1, .l = code, .db = !code, .g = 1,
	};
	return s;
}

/* The vCPU takes over the frame's registers in ring 0. */
static int bp_load(struct kvm_ctx *c, struct kvm_bp_frame *f)
{
	struct kvm_platform *p = c->p;
	uint64_t bv;
	struct kvm_sregs s;
	struct kvm_regs r = {
		.rax = 1, .rbx = f->gpr[G_RBX], .rbp = f->gpr[G_RBP], .r12 = f->gpr[G_R12],
		.r13 = f->gpr[G_R13], .r14 = f->gpr[G_R14], .r15 = f->gpr[G_R15],
		.rip = f->iret[I_RIP], .rsp = f->iret[I_RSP], .rflags = 2,
	};

	if (ioctl(c->fd, KVM_GET_SREGS, &s))
		return -errno;
	s.cs = kseg(KVM_SEL_KCODE, 11, true, 0);
	s.ss = kseg(KVM_SEL_KDATA, 3, false, 0);
	s.ds = s.es = kseg(0, 3, false, 0);
	s.fs = kseg(0, 3, false, f->fs_base);
	s.gs = kseg(0, 3, false, kvm_ring0_block(c));
	s.cr3 = p->kas->root;
	s.idt.base = kvm_ring0_idt();
	s.idt.limit = KVM_R0_IDT_GATES * 16 - 1;
	memcpy(&bv, f->xsave + XSTATE_BV_OFF, 8);
	bv &= p->xfeatures;
	memcpy(f->xsave + XSTATE_BV_OFF, &bv, 8);
	if (ioctl(c->fd, KVM_SET_SREGS, &s) || ioctl(c->fd, KVM_SET_REGS, &r) ||
	    ioctl(c->fd, KVM_SET_XSAVE, (struct kvm_xsave *)(void *)f->xsave))
		return -errno;
	return 0;
}

/* The thread goes on in host mode with the vCPU's registers (rip, rsp, rflags as given). */
static void bp_store(struct kvm_ctx *c, struct kvm_bp_frame *f, const struct kvm_regs *r,
		     uint64_t rip, uint64_t rsp, uint64_t rflags)
{
	uint64_t *g = f->gpr, bv;

	g[G_RAX] = r->rax, g[G_RBX] = r->rbx, g[G_RCX] = r->rcx, g[G_RDX] = r->rdx;
	g[G_RSI] = r->rsi, g[G_RDI] = r->rdi, g[G_RBP] = r->rbp, g[G_R8] = r->r8;
	g[G_R9] = r->r9, g[G_R10] = r->r10, g[G_R11] = r->r11, g[G_R12] = r->r12;
	g[G_R13] = r->r13, g[G_R14] = r->r14, g[G_R15] = r->r15;
	f->iret[I_RIP] = rip, f->iret[I_RSP] = rsp;
	f->iret[I_RFLAGS] = (rflags & RFLAGS_HOST_MASK) | 0x202;
	if (rip >= KVM_KVA || rsp >= KVM_KVA)
		log_fatal("kvm: leaving guest mode at %#llx (rsp %#llx): not Sentry code",
			  (unsigned long long)rip, (unsigned long long)rsp);
	if (ioctl(c->fd, KVM_GET_XSAVE, (struct kvm_xsave *)(void *)f->xsave))
		log_fatal("kvm: KVM_GET_XSAVE: %d", -errno); /* the host FPU would be lost */
	memcpy(&bv, f->xsave + XSTATE_BV_OFF, 8);
	bv &= (uint64_t)f->xmask[0] | ((uint64_t)f->xmask[1] << 32);
	memcpy(f->xsave + XSTATE_BV_OFF, &bv, 8);
	memset(f->xsave + XSTATE_BV_OFF + 8, 0, 8); /* XCOMP_BV: standard format */
}

/* Give the Sentry memory at addr (the host has it, the guest lacked it) a slot and
 * page-table entries. Not from bp_host: the guest may have stopped anywhere, holding
 * malloc's or the platform's locks, so kvm_bluepill does it at its next call. */
static void bp_add_memory(struct kvm_platform *p, uint64_t addr)
{
	uint64_t mem = (uint64_t)(uintptr_t)p->mem;
	int ret;

	if (addr >= mem && addr < mem + p->mem_size)
		ret = kvm_mem_ensure(p, addr - mem, 1);
	else
		ret = kvm_sentry_map(p, addr);
	log_debug("kvm: ring-0 fault at %#llx: %s guest memory (%d)", (unsigned long long)addr,
		  ret ? "not added to" : "added to", ret);
}

/* An exception in ring 0: replayed in host mode, where a real fault is a real SIGSEGV.
 * A #PF on a page the kernel table lacks is remembered for the next entry. */
static bool bp_fault(struct kvm_ctx *c, struct kvm_bp_frame *f, struct kvm_regs *r, int vec)
{
	const uint64_t *fr = kvm_ring0_frame(c);

	count(c->p, KVM_STAT_R0_FAULT);
	if (vec == 14 && !(fr[-1] & 1)) /* not present */
		c->bp_missing = c->run->s.regs.sregs.cr2;
	bp_store(c, f, r, fr[I_RIP], fr[I_RSP], fr[I_RFLAGS]);
	return false;
}

/* Deliver the kick vector now if the vCPU can take it, else at its interrupt window. */
static void bp_inject(struct kvm_ctx *c, const struct kvm_regs *r)
{
	struct kvm_interrupt irq = { .irq = KVM_R0_KICK_VEC };

	if (c->run->ready_for_interrupt_injection && (r->rflags & 0x200) &&
	    ioctl(c->fd, KVM_INTERRUPT, &irq) == 0) {
		c->run->request_interrupt_window = 0;
		return;
	}
	c->run->request_interrupt_window = 1;
}

/* One exit of the vCPU: true to run it again, false when the thread is to go on in host
 * mode (the frame is filled). */
static bool bp_exit(struct kvm_ctx *c, struct kvm_bp_frame *f, int ret, int err)
{
	struct kvm_run *run = c->run;
	struct kvm_regs r = run->s.regs.regs;
	uint64_t h = r.rip - 1;
	int vec;

	if (ret < 0 || run->exit_reason == KVM_EXIT_INTR) {
		count(c->p, KVM_STAT_KICK);
		if (ret < 0 && err != EINTR)
			log_warn("kvm: ring-0 KVM_RUN: %d at %#llx", -err, (unsigned long long)r.rip);
		run->immediate_exit = 0; /* c->intr says whether it was interrupt() */
		/* In ring 3, the trampoline or the call of it: the kick interrupt brings it
		 * back to the Sentry (at once, or when ring 3 next enables interrupts). */
		if ((run->s.regs.sregs.cs.selector & 3) || r.rip >= KVM_KVA ||
		    (r.rip >= (uint64_t)(uintptr_t)kvm_r0_crit_start &&
		     r.rip < (uint64_t)(uintptr_t)kvm_r0_crit_end)) {
			bp_inject(c, &r);
			return true;
		}
		bp_store(c, f, &r, r.rip, r.rsp, r.rflags);
		return false;
	}
	if (run->exit_reason == KVM_EXIT_IRQ_WINDOW_OPEN) {
		bp_inject(c, &r);
		return true;
	}
	if (run->exit_reason != KVM_EXIT_HLT) {
		/* Guest memory without a slot (an MMIO exit). Sentry slots are never deleted
		 * (kvm_sentry.c), so this is not expected: a load is replayed in host mode,
		 * but a store's exit may already have retired it, so say so loudly. */
		count(c->p, KVM_STAT_OTHER);
		if (run->exit_reason == KVM_EXIT_MMIO && run->mmio.phys_addr >= KVM_SENTRY_GPA_OFF)
			c->bp_missing = run->mmio.phys_addr - KVM_SENTRY_GPA_OFF;
		if (run->exit_reason == KVM_EXIT_MMIO)
			log_warn("kvm: ring-0 MMIO %s at %#llx (rip %#llx): no slot there",
				 run->mmio.is_write ? "store" : "load",
				 (unsigned long long)run->mmio.phys_addr, (unsigned long long)r.rip);
		else
			log_warn("kvm: ring-0 exit %u at %#llx", run->exit_reason,
				 (unsigned long long)r.rip);
		run->immediate_exit = 1;
		ioctl(c->fd, KVM_RUN, 0);
		run->immediate_exit = 0;
		bp_store(c, f, &r, r.rip, r.rsp, r.rflags);
		return false;
	}
	if (h == (uint64_t)(uintptr_t)kvm_redpill_hlt) {
		count(c->p, KVM_STAT_R0_REDPILL);
		bp_store(c, f, &r, r.rip, r.rsp, r.rflags);
		return false;
	}
	if (h == kvm_ring0_ksys()) { /* a host syscall: re-executed on the host */
		count(c->p, KVM_STAT_R0_SYSCALL);
		if (r.rax < 512)
			atomic_fetch_add_explicit(&c->p->r0_sys[r.rax], 1, memory_order_relaxed);
		bp_store(c, f, &r, r.rcx - 2, r.rsp, r.r11);
		return false;
	}
	vec = kvm_ring0_kvec(h);
	if (vec >= 0)
		return bp_fault(c, f, &r, vec);
	count(c->p, KVM_STAT_OTHER);
	log_err("kvm: ring-0 halt at %#llx", (unsigned long long)r.rip);
	bp_store(c, f, &r, r.rip, r.rsp, r.rflags);
	return false;
}

static void bp_host(struct kvm_bp_frame *f)
{
	struct kvm_ctx *c = f->c;
	int ret, err;

	if (bp_load(c, f)) {
		log_warn("kvm: bluepill: the vCPU did not take the thread's state");
		return; /* the frame still holds the caller: it goes on in host mode */
	}
	atomic_store(&c->in_run, 1);
	do {
		ret = kvm_vcpu_run(c);
		err = errno;
	} while (bp_exit(c, f, ret, err));
	atomic_store(&c->in_run, 0);
}

bool kvm_bluepill(struct kvm_ctx *c)
{
	struct kvm_platform *p = c->p;
	struct kvm_bp_frame *f = c->bp;
	uint64_t xmask;

	if (kvm_in_guest())
		return true;
	if (!p->hw || !atomic_load(&p->kas_ready))
		return false; /* PVM (interpreted ring 0), or no Sentry memory in the guest */
	if (!f) {
		if (!(f = aligned_alloc(64, sizeof(*f))))
			return false;
		memset(f, 0, offsetof(struct kvm_bp_frame, stack));
		f->c = c;
		f->stack_top = (uint64_t)(uintptr_t)(f->stack + BP_STACK);
		xmask = xgetbv0() & p->xfeatures;
		f->xmask[0] = (uint32_t)xmask, f->xmask[1] = (uint32_t)(xmask >> 32);
		c->bp = f;
	}
	if (c->bp_missing) { /* a fault in ring 0 last time: the page joins guest memory */
		bp_add_memory(p, c->bp_missing);
		c->bp_missing = 0;
	}
	if (!c->r0_msrs) { /* the vCPU's syscall entry tells ring 0 from ring 3 now */
		if (kvm_ring0_prepare(c))
			return false;
		c->r0_msrs = true;
	}
	__asm__ volatile("mov %%fs:0, %0" : "=r"(f->fs_base)); /* the TLS ABI's self pointer */
	memset(f->xsave + XSTATE_BV_OFF, 0, 64);
	kvm_bp_enter(f, bp_host);
	return kvm_in_guest();
}
