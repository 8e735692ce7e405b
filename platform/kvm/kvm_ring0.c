/* kvm_ring0.c: application syscalls served by Sentry code in guest ring 0 without a VM
 * exit (issue 7, step 2; hardware KVM only: on PVM a ring-3 `syscall` never reaches ring
 * 0, and ring-0 code is interpreted).
 *
 * A trampoline copied into the ring-0 code page (the upper half every table shares) does
 * the switches. kvm_r0_switch_user, called by Sentry code running in ring 0 through the
 * kernel table: saves the caller's callee-saved registers and rsp in the vCPU's ring-0
 * block (GS base), loads the application's table and registers, `sysretq`. The LSTAR
 * entry: `swapgs`, saves the application's registers in the block, reloads the kernel
 * table and the caller's registers, and returns 1 from kvm_r0_switch_user. The caller
 * (Sentry C code, still in ring 0) serves the syscall and switches again: no exit. A #PF
 * from ring 3 enters through gate 14 of a ring-0-mode IDT, saves the frame and CR2 the
 * same way and returns 14; the next switch then resumes with iretq (rcx, r11 kept).
 *
 * kvm_ring0_serve_loop uses it to serve getpid and page faults until the program makes
 * another syscall: the proof for the exit counters. The same entries serve a Sentry
 * thread in ring 0 (kvm_bluepill.c): LSTAR tells a host syscall from ring 0 (IOPL 0) from
 * an application's (IOPL 1), gate 14 a ring-0 #PF by the frame's CS, and both `hlt`. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/log.h"

#define TRAMP_OFF 0x800 /* in the code page */
#define MSR_LSTAR 0xc0000082
#define MSR_KERNEL_GS_BASE 0xc0000102

/* Position independent: it only addresses the block through %gs. */
extern const char kvm_r0_tramp[], kvm_r0_tramp_entry[], kvm_r0_tramp_end[];
extern const char kvm_r0_tramp_ksys[];
extern const uint64_t kvm_r0_vec_offs[KVM_R0_VECS];
#define IDT_OFF 0x100 /* the ring-0 mode IDT (gates 0-0x80, IST 1) in the probe page */
/* Every vector the ring-0 IDT has a gate for (0x80: int $0x80), in kvm_r0_vec_offs. */
#define R0_VEC_LIST "0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25," \
		    "26,27,28,29,30,31,32,128"
__asm__(".pushsection .rodata\n"
	"kvm_r0_tramp:\n" /* kvm_r0_switch_user: -1 at once when not in ring 0 */
	"mov %cs, %eax\n test $3, %al\n jz 0f\n mov $-1, %eax\n ret\n"
	"0:\n"
	"mov %rsp, %gs:160\n mov %rbx, %gs:168\n mov %rbp, %gs:176\n"
	"mov %r12, %gs:184\n mov %r13, %gs:192\n mov %r14, %gs:200\n mov %r15, %gs:208\n"
	/* the application's FS base, and its GS base for the swapgs below */
	"mov $0xc0000100, %ecx\n mov %gs:248, %eax\n mov %gs:252, %edx\n wrmsr\n"
	"mov $0xc0000102, %ecx\n mov %gs:256, %eax\n mov %gs:260, %edx\n wrmsr\n"
	"mov %gs:144, %rax\n mov %rax, %cr3\n"
	"cmpq $0, %gs:240\n jne 1f\n"
	"mov %gs:8, %rbx\n mov %gs:24, %rdx\n mov %gs:32, %rsi\n mov %gs:40, %rdi\n"
	"mov %gs:48, %rbp\n mov %gs:64, %r8\n mov %gs:72, %r9\n mov %gs:80, %r10\n"
	"mov %gs:96, %r12\n mov %gs:104, %r13\n mov %gs:112, %r14\n mov %gs:120, %r15\n"
	"mov %gs:128, %rcx\n mov %gs:136, %r11\n mov %gs:0, %rax\n mov %gs:56, %rsp\n"
	"swapgs\n sysretq\n"
	"1:\n" /* iretq keeps rcx and r11; its frame on the vCPU's stack (upper half: the
		* Sentry's stack is not in the application's table) */
	"mov %gs:272, %rsp\n"
	"pushq $0x2b\n pushq %gs:56\n pushq %gs:136\n pushq $0x33\n pushq %gs:128\n"
	"mov %gs:8, %rbx\n mov %gs:16, %rcx\n mov %gs:24, %rdx\n mov %gs:32, %rsi\n"
	"mov %gs:40, %rdi\n mov %gs:48, %rbp\n mov %gs:64, %r8\n mov %gs:72, %r9\n"
	"mov %gs:80, %r10\n mov %gs:88, %r11\n mov %gs:96, %r12\n mov %gs:104, %r13\n"
	"mov %gs:112, %r14\n mov %gs:120, %r15\n mov %gs:0, %rax\n"
	"swapgs\n iretq\n"
	"kvm_r0_tramp_entry:\n" /* LSTAR: the application runs with IOPL 1, ring 0 not */
	"testl $0x1000, %r11d\n jz kvm_r0_tramp_ksys\n"
	"swapgs\n"
	"mov %rsp, %gs:56\n mov %rax, %gs:0\n mov %rbx, %gs:8\n mov %rdx, %gs:24\n"
	"mov %rsi, %gs:32\n mov %rdi, %gs:40\n mov %rbp, %gs:48\n mov %r8, %gs:64\n"
	"mov %r9, %gs:72\n mov %r10, %gs:80\n mov %r12, %gs:96\n mov %r13, %gs:104\n"
	"mov %r14, %gs:112\n mov %r15, %gs:120\n mov %rcx, %gs:128\n mov %r11, %gs:136\n"
	"mov %rcx, %gs:16\n mov %r11, %gs:88\n" /* as Linux leaves them */
	"movq $0, %gs:240\n mov $256, %eax\n"
	"2:\n" /* back to the caller of kvm_r0_switch_user, eax = what happened */
	"mov %gs:152, %rdx\n mov %rdx, %cr3\n mov %eax, %esi\n"
	"mov $0xc0000100, %ecx\n mov %gs:264, %eax\n mov %gs:268, %edx\n wrmsr\n"
	"mov %esi, %eax\n"
	"mov %gs:160, %rsp\n mov %gs:168, %rbx\n mov %gs:176, %rbp\n mov %gs:184, %r12\n"
	"mov %gs:192, %r13\n mov %gs:200, %r14\n mov %gs:208, %r15\n"
	/* the kernel's flags: an exception keeps the application's IOPL (and DF, AC) */
	"pushq $2\n popfq\n"
	"ret\n"
	/* One stub per vector: from ring 0, the vector's one-`hlt` handler in the code page
	 * (the host replays the fault, kvm_bluepill.c); from ring 3, push the vector (and a
	 * zero for a missing error code) and save the application's state. */
	".irp v," R0_VEC_LIST "\n"
	"kvm_r0_vec\\v:\n"
	".if \\v == 8 || (\\v >= 10 && \\v <= 14) || \\v == 17 || \\v == 21 || \\v == 29 || \\v == 30\n"
	"testb $3, 16(%rsp)\n jz kvm_r0_tramp + \\v * 8 - 0x800\n"
	".else\n"
	".if \\v < 32\n testb $3, 8(%rsp)\n jz kvm_r0_tramp + \\v * 8 - 0x800\n .endif\n"
	"pushq $0\n"
	".endif\n"
	"pushq $\\v\n jmp kvm_r0_tramp_exc\n"
	".endr\n"
	"kvm_r0_tramp_exc:\n" /* the stack: vector, error code, rip, cs, rflags, rsp, ss */
	"swapgs\n"
	"mov %rax, %gs:0\n mov %rbx, %gs:8\n mov %rcx, %gs:16\n mov %rdx, %gs:24\n"
	"mov %rsi, %gs:32\n mov %rdi, %gs:40\n mov %rbp, %gs:48\n mov %r8, %gs:64\n"
	"mov %r9, %gs:72\n mov %r10, %gs:80\n mov %r11, %gs:88\n mov %r12, %gs:96\n"
	"mov %r13, %gs:104\n mov %r14, %gs:112\n mov %r15, %gs:120\n"
	"pop %rax\n mov %rax, %gs:224\n pop %rax\n mov %rax, %gs:232\n"
	"pop %rax\n mov %rax, %gs:128\n pop %rax\n pop %rax\n mov %rax, %gs:136\n"
	"pop %rax\n mov %rax, %gs:56\n pop %rax\n"
	"mov %cr2, %rax\n mov %rax, %gs:216\n"
	"movq $1, %gs:240\n mov %gs:224, %eax\n jmp 2b\n"
	"kvm_r0_tramp_ksys:\n hlt\n" /* a host syscall from ring 0 (kvm_bluepill.c) */
	"kvm_r0_tramp_end:\n"
	".balign 8\n"
	"kvm_r0_vec_offs:\n"
	".irp v," R0_VEC_LIST "\n .quad kvm_r0_vec\\v - kvm_r0_tramp\n .endr\n"
	".popsection\n");

static uint64_t tramp_va(const char *sym)
{
	return KVM_KVA + KVM_R0_CODE_PAGE * KVM_PG + TRAMP_OFF + (uint64_t)(sym - kvm_r0_tramp);
}

static uint64_t code_va(uint64_t off)
{
	return KVM_KVA + KVM_R0_CODE_PAGE * KVM_PG + off;
}

/* A 64-bit interrupt gate on IST 1 (the vCPU's ring-0 stack, so that a fault in ring 0
 * never pushes onto the Sentry's stack and its red zone). */
static void ist_gate(uint8_t *g, uint64_t target, unsigned dpl)
{
	memset(g, 0, 16);
	g[0] = (uint8_t)target, g[1] = (uint8_t)(target >> 8), g[2] = KVM_SEL_KCODE;
	g[4] = 1, g[5] = (uint8_t)(0x8e | (dpl << 5));
	g[6] = (uint8_t)(target >> 16), g[7] = (uint8_t)(target >> 24);
	memcpy(g + 8, &(uint32_t){ (uint32_t)(target >> 32) }, 4);
}

void kvm_ring0_install(struct kvm_platform *p)
{
	_Static_assert(B_SR15 * 8 == 208 && B_UCR3 * 8 == 144 && B_RIP * 8 == 128 &&
			       B_CR2 * 8 == 216 && B_ERR * 8 == 232 && B_IRET * 8 == 240 &&
			       B_UFS * 8 == 248 && B_SFS * 8 == 264 && B_STACK * 8 == 272,
		       "the trampoline's offsets");
	_Static_assert(IDT_OFF + KVM_R0_IDT_GATES * 16 <= KVM_PG, "the ring-0 IDT fits");
	uint8_t *idt = kvm_r0(p, KVM_R0_PROBE_PAGE * KVM_PG + IDT_OFF);
	size_t n = (size_t)(kvm_r0_tramp_end - kvm_r0_tramp);

	if (n > KVM_PG - TRAMP_OFF)
		log_fatal("kvm: the ring-0 trampoline (%zu bytes) does not fit", n);
	memcpy(kvm_r0(p, KVM_R0_CODE_PAGE * KVM_PG + TRAMP_OFF), kvm_r0_tramp, n);
	memset(idt, 0, KVM_R0_IDT_GATES * 16);
	for (unsigned i = 0; i < KVM_R0_VECS; i++) {
		unsigned v = i < 33 ? i : 0x80;

		ist_gate(idt + v * 16, code_va(TRAMP_OFF + kvm_r0_vec_offs[i]),
			 (v == 3 || v == 4 || v == 0x80) ? 3 : 0);
	}
}

uint64_t kvm_ring0_block(struct kvm_ctx *c)
{
	return KVM_KVA + (KVM_R0_VCPU_PAGE + 2ULL * (uint64_t)c->id) * KVM_PG + BLOCK_OFF;
}

uint64_t kvm_ring0_stack(struct kvm_ctx *c)
{
	return KVM_KVA + (KVM_R0_VCPU_PAGE + 2ULL * (uint64_t)c->id + 2) * KVM_PG;
}

uint64_t *kvm_ring0_block_ptr(struct kvm_ctx *c)
{
	return kvm_r0(c->p, kvm_ring0_block(c) - KVM_KVA);
}

uint64_t kvm_ring0_switch_va(void)
{
	return tramp_va(kvm_r0_tramp);
}

uint64_t kvm_ring0_idt(void)
{
	return KVM_KVA + KVM_R0_PROBE_PAGE * KVM_PG + IDT_OFF;
}

uint64_t kvm_ring0_ksys(void)
{
	return tramp_va(kvm_r0_tramp_ksys);
}

int kvm_ring0_kvec(uint64_t hlt_va)
{
	uint64_t off = hlt_va - code_va(0);

	if (off % KVM_CODE_VEC_STRIDE == 0 && off / KVM_CODE_VEC_STRIDE < KVM_CODE_NVEC)
		return (int)(off / KVM_CODE_VEC_STRIDE);
	return -1;
}

const uint64_t *kvm_ring0_frame(struct kvm_ctx *c)
{
	/* The top of the vCPU's IST 1 stack: rip, cs, rflags, rsp, ss (the error code, if
	 * any, below rip). */
	return kvm_r0(c->p, (KVM_R0_VCPU_PAGE + 2ULL * (uint64_t)c->id + 2) * KVM_PG - 40);
}

/* What runs in guest ring 0 (Sentry code at its host address, the kernel table). */
struct r0_loop {
	uint64_t *block;	/* the vCPU's ring-0 block, upper half */
	long (*switch_user)(void);
	long pid, served;
	long faults;		/* page faults at fault_addr, resumed at the app's r12 */
	uint64_t fault_addr;
};

static long r0_getpid_loop(long arg)
{
	struct r0_loop *l = (struct r0_loop *)arg;

	for (;;) {
		long v = l->switch_user();

		if (v == 14) { /* a #PF: resume at r12 (a fixup), or give up */
			if (l->block[B_CR2] != l->fault_addr)
				return -14;
			l->block[B_RIP] = l->block[B_R12];
			l->faults++;
			continue;
		}
		if (v != 256)
			return -v;
		if (l->block[B_RAX] != 39)
			return (long)l->block[B_RAX];
		l->block[B_RAX] = (uint64_t)l->pid;
		l->served++;
	}
}

static int set_msr(struct kvm_ctx *c, uint32_t index, uint64_t value)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e;
	} m = { .h.nmsrs = 1, .e = { .index = index, .data = value } };

	return ioctl(c->fd, KVM_SET_MSRS, &m) == 1 ? 0 : -EIO;
}

struct loop_setup {
	struct r0_loop *l;
	uint64_t block[B_WORDS]; /* the initial block: the application's registers, CR3s */
};

int kvm_ring0_prepare(struct kvm_ctx *c)
{
	if (set_msr(c, MSR_KERNEL_GS_BASE, 0) ||
	    set_msr(c, MSR_LSTAR, tramp_va(kvm_r0_tramp_entry)))
		return -EIO;
	return 0;
}

/* On the chosen vCPU: its block (GS base), the ring-0 IDT, the syscall entry (LSTAR). */
static int prepare(struct kvm_ctx *c, void *arg)
{
	struct loop_setup *ls = arg;
	uint64_t va = kvm_ring0_block(c);
	struct kvm_sregs s;

	ls->block[B_STACK] = kvm_ring0_stack(c);
	memcpy(kvm_r0(c->p, va - KVM_KVA), ls->block, sizeof(ls->block));
	ls->l->block = (uint64_t *)(uintptr_t)va;
	if (ioctl(c->fd, KVM_GET_SREGS, &s))
		return -errno;
	s.gs.base = va;
	s.idt.base = kvm_ring0_idt();
	s.idt.limit = KVM_R0_IDT_GATES * 16 - 1;
	if (ioctl(c->fd, KVM_SET_SREGS, &s))
		return -EIO;
	return kvm_ring0_prepare(c);
}

int kvm_ring0_getpid_loop(struct kvm_platform *p, struct plat_as *a, const plat_regs_t *regs,
			  long pid, long *served, long *last_nr)
{
	return kvm_ring0_serve_loop(p, a, regs, pid, 0, served, NULL, last_nr);
}

int kvm_ring0_serve_loop(struct kvm_platform *p, struct plat_as *a, const plat_regs_t *regs,
			 long pid, uint64_t fault_addr, long *served, long *faults, long *last_nr)
{
	struct kvm_as *as = (struct kvm_as *)a;
	struct r0_loop l = { .pid = pid, .fault_addr = fault_addr };
	struct loop_setup ls = { .l = &l };
	uint64_t *b = ls.block;
	int ret;

	if (!p->hw)
		return -ENOSYS; /* a ring-3 syscall does not reach ring 0 here */
	if ((ret = kvm_sentry_map(p, (uint64_t)(uintptr_t)&l)))
		return ret;
	l.switch_user = (long (*)(void))(uintptr_t)tramp_va(kvm_r0_tramp);
	b[B_RAX] = regs->rax, b[B_RBX] = regs->rbx, b[B_RDX] = regs->rdx;
	b[B_RSI] = regs->rsi, b[B_RDI] = regs->rdi, b[B_RBP] = regs->rbp;
	b[B_RSP] = regs->rsp, b[B_R8] = regs->r8, b[B_R9] = regs->r9;
	b[B_R10] = regs->r10, b[B_R12] = regs->r12, b[B_R13] = regs->r13;
	b[B_RCX] = regs->rcx, b[B_R11] = regs->r11;
	b[B_R14] = regs->r14, b[B_R15] = regs->r15;
	b[B_RIP] = regs->rip, b[B_RFLAGS] = 0x1202; /* IOPL 1 tells LSTAR it is ring 3 */
	pthread_mutex_lock(&as->lock);
	b[B_UCR3] = as->root;
	kvm_as_loaded(as);
	pthread_mutex_unlock(&as->lock);
	if ((ret = kvm_sentry_map(p, (uint64_t)(uintptr_t)r0_getpid_loop)))
		return ret;
	b[B_KCR3] = p->kas->root;
	ret = kvm_ring0_call_ex(p, r0_getpid_loop, (long)(uintptr_t)&l, last_nr, prepare, &ls);
	*served = l.served;
	if (faults)
		*faults = l.faults;
	return ret;
}
