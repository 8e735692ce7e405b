/* kvm_r0switch.c: switch_to in ring-0 mode (issue 7, step 3; hardware KVM only).
 *
 * The Sentry thread enters guest ring 0 with kvm_bluepill (once: it stays there until a
 * host syscall, a fault or a kick brings it back), loads the application's registers,
 * FS and GS bases and table into its vCPU's ring-0 block, restores the application's
 * FPU state with xrstor and calls the trampoline (kvm_ring0.c), which enters ring 3. A
 * syscall (LSTAR), an exception (the ring-0 IDT, every vector and int $0x80) or the kick
 * interrupt comes back through the trampoline as a return value, the FPU state is saved
 * with xsave, and switch_to returns its trap to the Sentry, still in guest ring 0: no VM
 * exit. kvm_r0_run_user checks CS just before calling the trampoline (which only guest
 * mode maps) and returns -1 when the thread was dropped to host mode on the way (a
 * kick, a fault); the switch then starts again. A kick between that check and the call
 * does not drop the thread (kvm_r0_crit_start..end, kvm_bluepill.c).
 *
 * Kicks (interrupt(), table changes, the run gate) reach a vCPU in ring 3 as an injected
 * interrupt (vector KVM_R0_KICK_VEC, kvm_bluepill.c), and one in Sentry code by ending
 * KVM_RUN there: the thread goes on in host mode. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/log.h"

#define RFLAGS_USER_MASK 0x240dd5ULL /* CF PF AF ZF SF TF DF OF AC ID */
#define RFLAGS_FIXED 0x202ULL	     /* IF and the reserved bit 1 */
#define RFLAGS_IOPL1 0x1000ULL	     /* the application's mark for LSTAR */
#define CANONICAL_LIMIT 0x0000800000000000ULL
#define XSTATE_BV_OFF 512
#define XSAVE_SIZE 4096

/* xrstor the application's FPU state, switch (the trampoline at switch_va), xsave it
 * again if the switch happened; the Sentry's MXCSR and x87 control word (callee-saved)
 * survive. Returns the trampoline's value. */
long kvm_r0_run_user(uint8_t *fpu, uint64_t mask, uint64_t switch_va);
__asm__(".text\n .globl kvm_r0_run_user\n .type kvm_r0_run_user, @function\n"
	"kvm_r0_run_user:\n"
	"push %rbx\n push %r12\n push %r13\n sub $16, %rsp\n"
	"stmxcsr (%rsp)\n fnstcw 4(%rsp)\n"
	"mov %rdi, %rbx\n mov %rsi, %r12\n mov %rdx, %r13\n"
	"mov %r12d, %eax\n mov %r12, %rdx\n shr $32, %rdx\n xrstor64 (%rbx)\n"
	"movq $0, -8(%rsp)\n" /* the call's slot is guest memory before the window */
	".globl kvm_r0_crit_start, kvm_r0_crit_end\n"
	"kvm_r0_crit_start:\n" /* a kick here must not drop to host mode (kvm_bluepill.c) */
	"mov %cs, %eax\n test $3, %al\n jnz 2f\n"
	"call *%r13\n"
	"kvm_r0_crit_end:\n"
	"mov %rax, 8(%rsp)\n"
	"test %rax, %rax\n js 1f\n"
	"mov %r12d, %eax\n mov %r12, %rdx\n shr $32, %rdx\n xsave64 (%rbx)\n"
	"jmp 1f\n"
	"2: movq $-1, 8(%rsp)\n" /* host mode: the trampoline is not mapped here */
	"1: fnclex\n ldmxcsr (%rsp)\n fldcw 4(%rsp)\n"
	"mov 8(%rsp), %rax\n add $16, %rsp\n pop %r13\n pop %r12\n pop %rbx\n ret\n"
	".size kvm_r0_run_user, .-kvm_r0_run_user\n");

static uint64_t xgetbv0(void)
{
	uint32_t lo, hi;

	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return lo | ((uint64_t)hi << 32);
}

void kvm_ring0_set_fpu(struct kvm_ctx *c, const struct plat_fpu *fpu)
{
	unsigned n = plat_fpu_size();
	uint64_t bv = 3;

	memcpy(c->r0_fpu, fpu->data, n < XSAVE_SIZE ? n : XSAVE_SIZE);
	if (n > XSTATE_BV_OFF)
		memcpy(&bv, fpu->data + XSTATE_BV_OFF, 8);
	bv &= c->r0_xmask;
	memset(c->r0_fpu + XSTATE_BV_OFF, 0, 64); /* XCOMP_BV 0: the standard format */
	memcpy(c->r0_fpu + XSTATE_BV_OFF, &bv, 8);
}

void kvm_ring0_get_fpu(struct kvm_ctx *c, struct plat_fpu *fpu)
{
	unsigned n = plat_fpu_size();

	memset(fpu->data, 0, n);
	memcpy(fpu->data, c->r0_fpu, n < XSAVE_SIZE ? n : XSAVE_SIZE);
}

/* The vCPU's TSC reads as the host's (offset 0, Linux 5.16+), so that the vDSO's clock
 * works in guest ring 0 on the host's time data; without it the vDSO stays out of guest
 * memory and a clock_gettime there is replayed in host mode. */
static void sync_tsc(struct kvm_ctx *c)
{
	uint64_t zero = 0;
	struct kvm_device_attr a = {
		.group = KVM_VCPU_TSC_CTRL, .attr = KVM_VCPU_TSC_OFFSET,
		.addr = (uint64_t)(uintptr_t)&zero,
	};

	if (ioctl(c->fd, KVM_SET_DEVICE_ATTR, &a) && atomic_exchange(&c->p->vdso_ok, false))
		log_warn("kvm: the vCPU's TSC offset cannot be set (%d): the vDSO runs in host "
			 "mode", -errno);
}

int kvm_ring0_ctx_init(struct kvm_ctx *c)
{
	struct plat_fpu *fpu;

	if (!c->r0_fpu && !(c->r0_fpu = aligned_alloc(64, XSAVE_SIZE)))
		return -ENOMEM;
	memset(c->r0_fpu, 0, XSAVE_SIZE);
	c->r0_xmask = xgetbv0() & c->p->xfeatures;
	fpu = aligned_alloc(64, sizeof(*fpu));
	if (!fpu)
		return -ENOMEM;
	plat_fpu_init(fpu);
	kvm_ring0_set_fpu(c, fpu);
	free(fpu);
	sync_tsc(c);
	return 0;
}

/* The application's registers into the block. iretq, not sysretq, so that rcx and r11
 * come back exactly (sysretq would show the IOPL mark in r11). */
static void fill_block(struct kvm_ctx *c, uint64_t *b, const plat_regs_t *r)
{
	b[B_RAX] = r->rax, b[B_RBX] = r->rbx, b[B_RCX] = r->rcx, b[B_RDX] = r->rdx;
	b[B_RSI] = r->rsi, b[B_RDI] = r->rdi, b[B_RBP] = r->rbp, b[B_RSP] = r->rsp;
	b[B_R8] = r->r8, b[B_R9] = r->r9, b[B_R10] = r->r10, b[B_R11] = r->r11;
	b[B_R12] = r->r12, b[B_R13] = r->r13, b[B_R14] = r->r14, b[B_R15] = r->r15;
	b[B_RIP] = r->rip;
	b[B_RFLAGS] = (r->eflags & RFLAGS_USER_MASK) | RFLAGS_FIXED | RFLAGS_IOPL1;
	b[B_UFS] = r->fs_base, b[B_UGS] = r->gs_base;
	b[B_KCR3] = c->p->kas->root;
	b[B_IRET] = 1;
	b[B_STACK] = kvm_ring0_stack(c);
	__asm__ volatile("mov %%fs:0, %0" : "=r"(b[B_SFS])); /* the Sentry's own FS base */
}

/* The application's state after a trap, from the block. */
static void read_block(const uint64_t *b, plat_regs_t *r)
{
	r->rax = b[B_RAX], r->rbx = b[B_RBX], r->rcx = b[B_RCX], r->rdx = b[B_RDX];
	r->rsi = b[B_RSI], r->rdi = b[B_RDI], r->rbp = b[B_RBP], r->rsp = b[B_RSP];
	r->r8 = b[B_R8], r->r9 = b[B_R9], r->r10 = b[B_R10], r->r11 = b[B_R11];
	r->r12 = b[B_R12], r->r13 = b[B_R13], r->r14 = b[B_R14], r->r15 = b[B_R15];
	r->rip = b[B_RIP];
	r->eflags = (b[B_RFLAGS] & RFLAGS_USER_MASK) | RFLAGS_FIXED;
	r->cs = KVM_SEL_UCODE;
	r->ss = KVM_SEL_UDATA;
	r->orig_rax = (uint64_t)-1;
}

static int decode(const uint64_t *b, long v, plat_regs_t *r, struct plat_trap *t)
{
	read_block(b, r);
	memset(t, 0, sizeof(*t));
	if (v == KVM_R0_SYSCALL || v == 0x80) {
		r->orig_rax = b[B_RAX];
		if (v == KVM_R0_SYSCALL) /* as the syscall instruction leaves them */
			r->rcx = r->rip, r->r11 = r->eflags;
		t->kind = TRAP_SYSCALL;
		t->entry = v == 0x80 ? PLAT_ENTRY_INT80 : PLAT_ENTRY_SYSCALL;
		return 0;
	}
	return kvm_vector_to_fault((unsigned)v, b[B_ERR], b[B_RIP], b[B_CR2], t);
}

static void fault_gp(struct plat_trap *t)
{
	memset(t, 0, sizeof(*t));
	t->kind = TRAP_FAULT;
	t->signo = SIGSEGV;
	t->code = SI_KERNEL;
	t->trapno = 13;
}

/* The application's table in the block; the vCPU has it loaded from now on. */
static void load_table(struct kvm_ctx *c, struct kvm_as *as, uint64_t *b)
{
	pthread_mutex_lock(&as->lock);
	b[B_UCR3] = as->root;
	atomic_store(&c->loaded_gen, atomic_load(&as->gen));
	kvm_as_loaded(as);
	pthread_mutex_unlock(&as->lock);
}

int kvm_switch_ring0(struct kvm_ctx *c, struct kvm_as *as, plat_regs_t *regs,
		     struct plat_trap *t)
{
	uint64_t *b = kvm_ring0_block_ptr(c);
	unsigned misses = 0, drops = 0;
	long v;

	if (regs->rip >= CANONICAL_LIMIT || regs->rsp >= CANONICAL_LIMIT ||
	    regs->fs_base >= CANONICAL_LIMIT || regs->gs_base >= CANONICAL_LIMIT) {
		fault_gp(t);
		return 0;
	}
	atomic_store(&c->cur_as, as);
	for (;;) {
		c->run->immediate_exit = 0; /* before the check: interrupt() re-arms it */
		if (atomic_exchange(&c->intr, 0)) {
			memset(t, 0, sizeof(*t));
			t->kind = TRAP_INTERRUPT;
			return 0;
		}
		if (atomic_load(&c->p->gate_closed))
			kvm_redpill(); /* a pool flip waits for every vCPU to leave KVM_RUN */
		if (!kvm_bluepill(c)) {
			if (++misses > 1000) {
				log_err("kvm: vCPU %d cannot enter guest ring 0", c->id);
				return -EIO;
			}
			continue;
		}
		load_table(c, as, b);
		fill_block(c, b, regs);
		v = kvm_r0_run_user(c->r0_fpu, c->r0_xmask, kvm_ring0_switch_va());
		if (v < 0) { /* back in host mode before ring 3 (a kick, a fault): again */
			/* A ring-0 fault on this thread's own state (regs, FPU) in Sentry memory
			 * that cannot join the guest (kvm_sentry_map refuses it) would drop it
			 * here on every round and spin for ever, as the pool merged with an
			 * arena did (kvm_pt.c): fail loudly instead. A kick cannot do that. */
			if (++drops > 1000) {
				log_err("kvm: vCPU %d keeps faulting in ring 0 before reaching the "
					"application (Sentry memory outside the guest?)", c->id);
				return -EIO;
			}
			continue;
		}
		drops = 0;
		if (v != KVM_R0_KICK_VEC)
			return decode(b, v, regs, t);
		read_block(b, regs); /* a kick: an interrupt, or a table change (run on) */
	}
}
