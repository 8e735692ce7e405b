/* kvm_switch.c: switch_to: enter ring 3 through the iretq, run until a trap reaches a
 * one-`hlt` handler, and turn what the vCPU stopped on into a plat_trap. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/log.h"

#define RFLAGS_USER_MASK 0x240dd5ULL /* CF PF AF ZF SF TF DF OF AC ID */
#define RFLAGS_FIXED 0x202ULL	     /* IF and the reserved bit 1 */
#define RFLAGS_KERNEL 0x2ULL
#define FRAME_WORDS 5		     /* rip, cs, rflags, rsp, ss */
#define CANONICAL_LIMIT 0x0000800000000000ULL

static uint64_t code_va(uint64_t off)
{
	return KVM_KVA + KVM_R0_CODE_PAGE * KVM_PG + off;
}

static uint64_t stack_top(struct kvm_ctx *c)
{
	return KVM_KVA + (KVM_R0_VCPU_PAGE + 2ULL * (uint64_t)c->id + 2) * KVM_PG;
}

static void gprs_to_kvm(const plat_regs_t *r, struct kvm_regs *k)
{
	k->rax = r->rax, k->rbx = r->rbx, k->rcx = r->rcx, k->rdx = r->rdx;
	k->rsi = r->rsi, k->rdi = r->rdi, k->rbp = r->rbp;
	k->r8 = r->r8, k->r9 = r->r9, k->r10 = r->r10, k->r11 = r->r11;
	k->r12 = r->r12, k->r13 = r->r13, k->r14 = r->r14, k->r15 = r->r15;
}

static void gprs_from_kvm(const struct kvm_regs *k, plat_regs_t *r)
{
	r->rax = k->rax, r->rbx = k->rbx, r->rcx = k->rcx, r->rdx = k->rdx;
	r->rsi = k->rsi, r->rdi = k->rdi, r->rbp = k->rbp;
	r->r8 = k->r8, r->r9 = k->r9, r->r10 = k->r10, r->r11 = k->r11;
	r->r12 = k->r12, r->r13 = k->r13, r->r14 = k->r14, r->r15 = k->r15;
}

/* Load as's current root (and the app's FS/GS bases) into the vCPU's sregs. */
static void load_as(struct kvm_ctx *c, struct kvm_as *as, const plat_regs_t *regs)
{
	struct kvm_sregs *s = &c->run->s.regs.sregs;

	pthread_mutex_lock(&as->lock);
	if (c->loaded_flips != atomic_load(&c->p->flips)) {
		/* Table pages were recycled, so a root may have its old value: load another
		 * one first so that the real load is a change (a flush, a new shadow). */
		c->loaded_flips = atomic_load(&c->p->flips);
		s->cr3 = c->p->kernel_pdpt;
		if (ioctl(c->fd, KVM_SET_SREGS, s))
			log_warn("kvm: KVM_SET_SREGS: %d", -errno);
	}
	if (s->cr3 != as->root || s->fs.base != regs->fs_base || s->gs.base != regs->gs_base) {
		s->cr3 = as->root;
		s->fs.base = regs->fs_base;
		s->gs.base = regs->gs_base;
		c->run->kvm_dirty_regs |= KVM_SYNC_X86_SREGS;
	}
	atomic_store(&c->loaded_gen, atomic_load(&as->gen));
	kvm_as_loaded(as);
	pthread_mutex_unlock(&as->lock);
}

/* Set the vCPU up to continue the application at regs. */
static void enter(struct kvm_ctx *c, const plat_regs_t *regs)
{
	struct kvm_regs *k = &c->run->s.regs.regs;
	uint64_t fl = (regs->eflags & RFLAGS_USER_MASK) | RFLAGS_FIXED;

	gprs_to_kvm(regs, k);
	if (c->in_user) { /* stopped in ring 3 by a kick: just replace its registers */
		k->rip = regs->rip, k->rsp = regs->rsp, k->rflags = fl;
	} else {
		uint64_t top = stack_top(c);
		uint64_t *f = kvm_r0(c->p, top - FRAME_WORDS * 8 - KVM_KVA);

		f[0] = regs->rip, f[1] = KVM_SEL_UCODE, f[2] = fl;
		f[3] = regs->rsp, f[4] = KVM_SEL_UDATA;
		k->rip = code_va(KVM_CODE_IRET);
		k->rsp = top - FRAME_WORDS * 8;
		k->rflags = RFLAGS_KERNEL;
	}
	c->run->kvm_dirty_regs |= KVM_SYNC_X86_REGS;
}

static void fault(struct plat_trap *t, int signo, int code, uint64_t addr)
{
	t->kind = TRAP_FAULT;
	t->signo = signo;
	t->code = code;
	t->addr = addr;
}

/* Vector v from ring 3 to a signal, as Linux's traps would (cr2 for a #PF). */
int kvm_vector_to_fault(unsigned v, uint64_t err, uint64_t rip, uint64_t cr2,
			struct plat_trap *t)
{
	t->trapno = (int)v;
	switch (v) {
	case 0: fault(t, SIGFPE, FPE_INTDIV, rip); return 0;
	case 1: fault(t, SIGTRAP, TRAP_TRACE, rip); return 0;
	case 3: fault(t, SIGTRAP, SI_KERNEL, 0); return 0;
	case 4: case 5: case 10: case 11: case 13:
		fault(t, SIGSEGV, SI_KERNEL, 0); return 0;
	case 6: fault(t, SIGILL, ILL_ILLOPN, rip); return 0;
	case 12: fault(t, SIGBUS, SI_KERNEL, 0); return 0;
	case 14:
		fault(t, SIGSEGV, (err & 1) ? SEGV_ACCERR : SEGV_MAPERR, cr2);
		t->access = (err & 16) ? PLAT_ACCESS_EXEC
				       : (err & 2) ? PLAT_ACCESS_WRITE : PLAT_ACCESS_READ;
		return 0;
	case 16: case 19: fault(t, SIGFPE, 0, rip); return 0;
	case 17: fault(t, SIGBUS, BUS_ADRALN, 0); return 0;
	default:
		log_err("kvm: unexpected vector %u from ring 3 at %#llx", v,
			(unsigned long long)rip);
		return -EIO;
	}
}

static bool is_int80(struct kvm_as *as, uint64_t rip)
{
	uint8_t insn[2];

	return kvm_as_read(as, rip, insn, 2) == 0 && insn[0] == 0xcd && insn[1] == 0x80;
}

/* The vCPU stopped in the handler for vector v (before or after its hlt). */
static int decode_vector(struct kvm_ctx *c, struct kvm_as *as, unsigned v,
			 plat_regs_t *regs, struct plat_trap *t)
{
	struct kvm_regs *k = &c->run->s.regs.regs;
	uint64_t top = stack_top(c), err = 0, *f;
	unsigned words = FRAME_WORDS + (kvm_vec_has_error(v) ? 1 : 0);

	if (k->rsp != top - words * 8) {
		log_err("kvm: vector %u taken in ring 0 (rsp %#llx)", v,
			(unsigned long long)k->rsp);
		return -EIO;
	}
	f = kvm_r0(c->p, k->rsp - KVM_KVA);
	if (words > FRAME_WORDS)
		err = *f++;
	c->in_user = false;
	gprs_from_kvm(k, regs);
	regs->rip = f[0];
	regs->eflags = (f[2] & RFLAGS_USER_MASK) | RFLAGS_FIXED;
	regs->rsp = f[3];
	regs->cs = KVM_SEL_UCODE;
	regs->ss = KVM_SEL_UDATA;
	regs->orig_rax = (uint64_t)-1;
	memset(t, 0, sizeof(*t));
	/* The stub's `out` refused (#GP at the stub), or its int3 fallback: a syscall. */
	if ((v == 13 && f[0] == KVM_STUB_VA) || (v == 3 && f[0] == KVM_STUB_VA + 3)) {
		regs->rip = k->rcx;
		regs->eflags = (k->r11 & RFLAGS_USER_MASK) | RFLAGS_FIXED;
		regs->orig_rax = k->rax;
		t->kind = TRAP_SYSCALL;
		t->entry = PLAT_ENTRY_SYSCALL;
		return 0;
	}
	/* `int $0x80`: its gate on hardware KVM; PVM raises #UD on it instead. */
	if (v == 0x80 || (v == 6 && is_int80(as, f[0]))) {
		regs->rip = v == 6 ? f[0] + 2 : f[0];
		regs->orig_rax = k->rax;
		t->kind = TRAP_SYSCALL;
		t->entry = PLAT_ENTRY_INT80;
		return 0;
	}
	return kvm_vector_to_fault(v, err, f[0], c->run->s.regs.sregs.cr2, t);
}

/* Hardware KVM: `syscall` went straight to ring 0 at LSTAR, which is a hlt. */
static void decode_hw_syscall(struct kvm_ctx *c, plat_regs_t *regs, struct plat_trap *t)
{
	struct kvm_regs *k = &c->run->s.regs.regs;

	c->in_user = false;
	gprs_from_kvm(k, regs);
	regs->rip = k->rcx;
	regs->rsp = k->rsp;
	regs->eflags = (k->r11 & RFLAGS_USER_MASK) | RFLAGS_FIXED;
	regs->orig_rax = k->rax;
	memset(t, 0, sizeof(*t));
	t->kind = TRAP_SYSCALL;
	t->entry = PLAT_ENTRY_SYSCALL;
}

/* Where the vCPU stopped: >= 0 a handler's vector (0x80: the int $0x80 gate), -2 the
 * syscall entry, -3 the iretq, -1 somewhere else (ring 3 when `hlt` is false).
 * `after_hlt`: rip is past the hlt. */
static int where(uint64_t rip, bool after_hlt)
{
	uint64_t off;

	if (after_hlt)
		rip--;
	if (rip < code_va(0) || rip >= code_va(KVM_PG))
		return -1;
	off = rip - code_va(0);
	if (off == KVM_CODE_SYSENTRY)
		return -2;
	if (off == KVM_CODE_IRET)
		return -3;
	if (off == KVM_CODE_INT80)
		return 0x80;
	if (off % KVM_CODE_VEC_STRIDE == 0 && off / KVM_CODE_VEC_STRIDE < KVM_CODE_NVEC)
		return (int)(off / KVM_CODE_VEC_STRIDE);
	return -1;
}

static int decode_stop(struct kvm_ctx *c, struct kvm_as *as, bool after_hlt,
		       plat_regs_t *regs, struct plat_trap *t)
{
	int w = where(c->run->s.regs.regs.rip, after_hlt);

	if (w >= 0)
		return decode_vector(c, as, (unsigned)w, regs, t);
	if (w == -2) {
		decode_hw_syscall(c, regs, t);
		return 0;
	}
	log_err("kvm: vCPU stopped at unexpected %#llx",
		(unsigned long long)c->run->s.regs.regs.rip);
	return -EIO;
}

/* The stub's `out` exited straight from ring 3: every register is the app's. Another
 * `out` to the port (the app's own) is reported as the #GP it would be natively. */
static int decode_io(struct kvm_ctx *c, struct kvm_as *as, plat_regs_t *regs,
		     struct plat_trap *t)
{
	struct kvm_regs *k = &c->run->s.regs.regs;

	if (k->rip >= KVM_KVA)
		return decode_stop(c, as, false, regs, t);
	c->in_user = true;
	gprs_from_kvm(k, regs);
	regs->rsp = k->rsp;
	regs->cs = KVM_SEL_UCODE;
	regs->ss = KVM_SEL_UDATA;
	memset(t, 0, sizeof(*t));
	if (k->rip == KVM_STUB_VA + 2 && c->run->io.port == KVM_SYSCALL_PORT) {
		regs->rip = k->rcx;
		regs->eflags = (k->r11 & RFLAGS_USER_MASK) | RFLAGS_FIXED;
		regs->orig_rax = k->rax;
		t->kind = TRAP_SYSCALL;
		t->entry = PLAT_ENTRY_SYSCALL;
		return 0;
	}
	regs->rip = k->rip;
	regs->eflags = (k->rflags & RFLAGS_USER_MASK) | RFLAGS_FIXED;
	regs->orig_rax = (uint64_t)-1;
	fault(t, SIGSEGV, SI_KERNEL, 0);
	t->trapno = 13;
	return 0;
}

/* KVM_RUN came back without a trap (a kick or another signal). Returns 1 to run on, 0
 * with *trap filled, or -errno. */
static int after_kick(struct kvm_ctx *c, struct kvm_as *as, plat_regs_t *regs,
		      struct plat_trap *t)
{
	struct kvm_regs *k = &c->run->s.regs.regs;
	int w = where(k->rip, false);

	if (w >= 0 || w == -2) /* a trap arrived but its hlt has not run yet */
		return decode_stop(c, as, false, regs, t);
	if (w == -1 && k->rip >= KVM_KVA)
		return decode_stop(c, as, false, regs, t); /* logs and fails */
	c->in_user = w == -1;
	c->run->immediate_exit = 0; /* before the check: a later interrupt() re-arms it */
	if (atomic_exchange(&c->intr, 0)) {
		if (w == -3) { /* still before the iretq: the frame is the app state */
			uint64_t *f = kvm_r0(c->p, k->rsp - KVM_KVA);

			gprs_from_kvm(k, regs);
			regs->rip = f[0], regs->rsp = f[3];
			regs->eflags = (f[2] & RFLAGS_USER_MASK) | RFLAGS_FIXED;
		} else {
			gprs_from_kvm(k, regs);
			regs->rip = k->rip, regs->rsp = k->rsp;
			regs->eflags = (k->rflags & RFLAGS_USER_MASK) | RFLAGS_FIXED;
		}
		memset(t, 0, sizeof(*t));
		t->kind = TRAP_INTERRUPT;
		return 0;
	}
	if (atomic_load(&as->gen) != c->loaded_gen ||
	    c->loaded_flips != atomic_load(&c->p->flips))
		load_as(c, as, regs); /* the tables changed, or were recycled, under us */
	return 1;
}

int kvm_switch_to(struct plat_ctx *cc, struct plat_as *a, plat_regs_t *regs,
		  struct plat_trap *trap)
{
	struct kvm_ctx *c = (struct kvm_ctx *)cc;
	struct kvm_as *as = (struct kvm_as *)a;
	int ret;

	if (c->p->ring0)
		return kvm_switch_ring0(c, as, regs, trap);
	c->run->immediate_exit = 0;
	if (atomic_exchange(&c->intr, 0)) {
		memset(trap, 0, sizeof(*trap));
		trap->kind = TRAP_INTERRUPT;
		return 0;
	}
	if (regs->rip >= CANONICAL_LIMIT || regs->rsp >= CANONICAL_LIMIT ||
	    regs->fs_base >= CANONICAL_LIMIT || regs->gs_base >= CANONICAL_LIMIT) {
		memset(trap, 0, sizeof(*trap));
		fault(trap, SIGSEGV, SI_KERNEL, 0);
		trap->trapno = 13;
		return 0;
	}
	if (!c->started) {
		if (ioctl(c->fd, KVM_GET_SREGS, &c->run->s.regs.sregs))
			return -errno;
		c->started = true;
	}
	atomic_store(&c->cur_as, as);
	load_as(c, as, regs);
	enter(c, regs);
	for (;;) {
		atomic_store(&c->in_run, 1);
		ret = kvm_vcpu_run(c);
		atomic_store(&c->in_run, 0);
		c->exits++;
		kvm_stats_count(c, ret, errno);
		if (ret < 0 && errno != EINTR) {
			ret = -errno;
			log_err("kvm: KVM_RUN: %d", ret);
			return ret;
		}
		if (ret == 0 && c->run->exit_reason == KVM_EXIT_HLT)
			return decode_stop(c, as, true, regs, trap);
		if (ret == 0 && c->run->exit_reason == KVM_EXIT_IO)
			return decode_io(c, as, regs, trap);
		if (ret == 0 && c->run->exit_reason != KVM_EXIT_INTR) {
			log_err("kvm: unexpected exit %u at %#llx", c->run->exit_reason,
				(unsigned long long)c->run->s.regs.regs.rip);
			return -EIO;
		}
		ret = after_kick(c, as, regs, trap);
		if (ret <= 0)
			return ret;
	}
}
