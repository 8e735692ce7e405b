/* platform_kvm_test.c: the KVM platform running tiny ring-3 programs: syscalls, faults,
 * address-space changes under a loaded table, two address spaces, interrupt, FPU. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "platform/kvm/kvm_internal.h"

#define FIXTURE_OPS plat_kvm_ops
#define FIXTURE_AVAILABLE (access("/dev/kvm", F_OK) == 0)
#include "test/unit/platform_fixture.h"

#define NEED_KVM(f)                                                                         \
	do {                                                                               \
		if (!(f)->p)                                                               \
			skip();                                                            \
	} while (0)

static void syscalls_trap_with_numbers(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

	NEED_KVM(f);
	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.orig_rax, 39);
	assert_int_equal(r.rip, CODE_ADDR + 7);
	assert_int_equal(r.rsp, STACK_ADDR + PG);
	assert_int_equal(r.eflags & 0x200, 0x200);
	r.rax = 1234;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.orig_rax, 60);
	assert_int_equal(r.rdi, 1235);
}

/* int $0x80 is a syscall of the i386 ABI (PVM raises #UD on it, hardware KVM takes its
 * gate): rip past it, rcx kept. */
static void int80_is_a_compat_syscall(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

	NEED_KVM(f);
	LOAD(f, f->as, prog_int80);
	start_regs(&r);
	r.rcx = 0xc0c0;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(t.entry, PLAT_ENTRY_INT80);
	assert_int_equal(r.orig_rax, 20);
	assert_int_equal(r.rip, CODE_ADDR + 7);
	assert_int_equal(r.rcx, 0xc0c0);
}

/* Every exit is counted by its reason, and the debug summary names them. */
static void exits_are_counted_by_reason(void **state)
{
	struct fixture *f = *state;
	struct kvm_platform *p = (struct kvm_platform *)f->p;
	int sys = p->hw ? KVM_STAT_SYSCALL_HLT : KVM_STAT_SYSCALL_IO;
	uint64_t sys0, pf0, ud0;
	struct plat_trap t;
	plat_regs_t r;
	char buf[512];

	NEED_KVM(f);
	sys0 = p->stats[sys], pf0 = p->stats[14], ud0 = p->stats[6];
	LOAD(f, f->as, prog_loop);
	start_regs(&r);
	for (int i = 0; i < 100; i++) {
		assert_int_equal(run(f, f->as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
	}
	assert_int_equal(p->stats[sys] - sys0, 100);
	LOAD(f, f->as, prog_load);
	start_regs(&r);
	r.rdi = 0x10000000;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.signo, SIGSEGV);
	assert_int_equal(p->stats[14] - pf0, 1);
	LOAD(f, f->as, prog_ud2);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(p->stats[6] - ud0, 1);
	assert_true(f->o->debug_stats(f->p, buf, sizeof(buf)) > 0);
	assert_non_null(strstr(buf, "kvm exits: "));
	/* A fresh platform per test: these are all its exits, in vector order. */
	assert_non_null(strstr(buf, p->hw ? "; #UD 1, #PF 1, syscall (hlt) 100"
					  : "; #UD 1, #PF 1, syscall (out) 100"));
}

/* The guest check agrees with the host facts here; --kvm-mode=exit runs, ring0 (hardware
 * KVM only: kvm_hw_check runs it) is refused by probe and create on PVM, a bad value by
 * the setter. */
static void kind_detected_and_mode_checked(void **state)
{
	struct fixture *f = *state;
	struct kvm_platform *p = (struct kvm_platform *)f->p;
	struct platform *p2 = NULL;
	const char *why = NULL;

	NEED_KVM(f);
	assert_int_equal(p->kind_host, plat_kvm_is_hardware());
	assert_int_equal(p->kind_guest, p->kind_host);
	assert_int_equal(p->hw, p->kind_guest);
	assert_int_equal(plat_kvm_set_mode("ring7"), -EINVAL);
	assert_int_equal(plat_kvm_set_mode("exit"), 0);
	assert_int_equal(f->o->probe(&why), 0);
	assert_int_equal(f->o->create(f->memfd, &p2), 0);
	f->o->destroy(p2);
	if (p->hw)
		return;
	assert_int_equal(plat_kvm_set_mode("ring0"), 0);
	assert_int_equal(f->o->probe(&why), -ENOSYS);
	assert_non_null(strstr(why, "ring0"));
	p2 = NULL;
	assert_int_equal(f->o->create(f->memfd, &p2), -ENOSYS);
	assert_null(p2);
	assert_int_equal(plat_kvm_set_mode("auto"), 0);
}

/* Sentry code and data at their host addresses in guest ring 0 (issue 7's first step):
 * the kernel table maps the function's and the variable's mappings through slots at
 * guest-physical = host-virtual + KVM_SENTRY_GPA_OFF. On PVM ring-0 code is interpreted,
 * so this stays a handful of instructions. */
static volatile long g_ring0_seen;

static long __attribute__((noinline)) ring0_fn(long x)
{
	g_ring0_seen = x;
	return x * 3 + 1;
}

static void sentry_code_runs_in_ring0(void **state)
{
	struct fixture *f = *state;
	struct kvm_platform *p = (struct kvm_platform *)f->p;
	long got = 0;

	NEED_KVM(f);
	assert_int_equal(kvm_sentry_map(p, (uint64_t)(uintptr_t)&g_ring0_seen), 0);
	g_ring0_seen = 0;
	assert_int_equal(kvm_ring0_call(p, ring0_fn, 14, &got), 0);
	assert_int_equal(got, 43);
	assert_int_equal(g_ring0_seen, 14); /* written in guest mode, seen by the host */
	assert_int_equal(kvm_ring0_call(p, ring0_fn, -5, &got), 0);
	assert_int_equal(got, -14);
	assert_int_equal(g_ring0_seen, -5);
	assert_true(p->nsentry >= 1 && p->nsentry <= 2); /* text (and data): mapped once */
	if (!p->hw) { /* the ring-0 syscall loop needs ring-0 syscalls (kvm_hw_check) */
		plat_regs_t r = { .rip = CODE_ADDR };
		long served = -1, last = -1;

		assert_int_equal(kvm_ring0_getpid_loop(p, f->as, &r, 1, &served, &last), -ENOSYS);
	}
}

/* Steps 1 and 2 of the ring-0 mode where they may run here: every Sentry mapping goes
 * into guest memory (or the guest's physical address bits refuse it), and on PVM the
 * bluepill never enters guest mode (kvm_hw_check runs it under emulated SVM). */
static void sentry_maps_and_bluepill(void **state)
{
	struct fixture *f = *state;
	struct kvm_platform *p = (struct kvm_platform *)f->p;
	int ret;

	NEED_KVM(f);
	ret = kvm_sentry_map_all(p);
	if (p->phys_bits < 48) {
		assert_int_equal(ret, -ENOSYS);
		return;
	}
	assert_int_equal(ret, 0);
	assert_true(p->nsentry >= 4); /* text, data, heap, stacks at least */
	assert_int_equal(kvm_sentry_map_all(p), 0); /* again: nothing new, nothing fails */
	if (!p->hw) {
		assert_false(kvm_bluepill((struct kvm_ctx *)f->ctx));
		assert_false(kvm_in_guest());
		kvm_redpill(); /* nothing in host mode */
	}
}

/* The /proc/self/maps line holding addr: [*start, *end); false when none. */
static bool maps_line_of(uintptr_t addr, uintptr_t *start, uintptr_t *end)
{
	FILE *m = fopen("/proc/self/maps", "r");
	unsigned long s, e;
	char line[512];
	bool found = false;

	assert_non_null(m);
	while (!found && fgets(line, sizeof(line), m))
		if (sscanf(line, "%lx-%lx", &s, &e) == 2 && addr >= s && addr < e)
			*start = s, *end = e, found = true;
	fclose(m);
	return found;
}

/* An arena-like page (private, anonymous, MAP_NORESERVE, read-write) at addr, if that is
 * free; the address already taken (another neighbour) is fine too. */
static bool arena_page(uint8_t *addr)
{
	void *m = mmap(addr, KVM_PG, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (m == MAP_FAILED)
		return false;
	if (m != addr) /* a kernel without MAP_FIXED_NOREPLACE took it as a hint */
		munmap(m, KVM_PG);
	return m == addr;
}

/* The page-table pool never merges with a neighbour into one maps line: a glibc thread
 * arena made right next to it (private, anonymous, MAP_NORESERVE, read-write) did, and the
 * line, over KVM_SENTRY_MAP_MAX, kept both out of guest memory (a ring-0 task spun for
 * ever on its own state in that arena). Arena-like pages beside its guards stay apart. */
static void table_pool_never_merges(void **state)
{
	struct fixture *f = *state;
	struct kvm_platform *p = (struct kvm_platform *)f->p;
	uint8_t *above, *below;
	bool a, b;
	uintptr_t s, e;

	NEED_KVM(f);
	above = p->pt + KVM_PT_SIZE + KVM_PG, below = p->pt - 2 * KVM_PG;
	assert_false(arena_page(p->pt + KVM_PT_SIZE)); /* a guard page is there */
	assert_false(arena_page(p->pt - KVM_PG));
	a = arena_page(above), b = arena_page(below);
	assert_true(maps_line_of((uintptr_t)p->pt, &s, &e));
	assert_int_equal(s, (uintptr_t)p->pt);
	assert_int_equal(e - s, KVM_PT_SIZE);
	assert_true(e - s <= KVM_SENTRY_MAP_MAX);
	if (a)
		munmap(above, KVM_PG);
	if (b)
		munmap(below, KVM_PG);
}

static void registers_survive(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r, want;

	NEED_KVM(f);
	LOAD(f, f->as, prog_regs);
	start_regs(&r);
	r.rbx = 0x1111, r.rbp = 0x2222, r.rdx = 0x3333, r.rsi = 0x4444, r.rdi = 0x5555;
	r.r8 = 0x8888, r.r9 = 0x9999, r.r10 = 0xaaaa, r.r12 = 0xcccc, r.r13 = 0xdddd;
	r.r14 = 0xeeee, r.r15 = 0xffff;
	r.fs_base = 0x12345000;
	want = r;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.rbx, want.rbx);
	assert_int_equal(r.rbp, want.rbp);
	assert_int_equal(r.rdx, want.rdx);
	assert_int_equal(r.rsi, want.rsi);
	assert_int_equal(r.rdi, want.rdi);
	assert_int_equal(r.r8, want.r8);
	assert_int_equal(r.r10, want.r10);
	assert_int_equal(r.r15, want.r15);
	assert_int_equal(r.rcx, CODE_ADDR + 7); /* syscall's own clobbers */
	r.r15 = 0x4242;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(r.orig_rax, 40);
	assert_int_equal(r.r15, 0x4242);
	assert_int_equal(r.fs_base, 0x12345000);
}

static void unmapped_access_faults(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

	NEED_KVM(f);
	LOAD(f, f->as, prog_load);
	start_regs(&r);
	r.rdi = 0x10000000;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.signo, SIGSEGV);
	assert_int_equal(t.code, SEGV_MAPERR);
	assert_int_equal(t.addr, 0x10000000);
	assert_int_equal(t.trapno, 14);
	assert_int_equal(t.access, PLAT_ACCESS_READ);
	assert_int_equal(r.rip, CODE_ADDR);
	start_regs(&r);
	r.rip = 0x20000000;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.addr, 0x20000000);
	assert_int_equal(t.access, PLAT_ACCESS_EXEC);
	/* The ring-0 area is not reachable from ring 3. */
	start_regs(&r);
	r.rdi = 0xffffff8000000000ULL;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.signo, SIGSEGV);
}

static void ud2_and_int3_fault(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

	NEED_KVM(f);
	LOAD(f, f->as, prog_ud2);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.signo, SIGILL);
	assert_int_equal(t.code, ILL_ILLOPN);
	assert_int_equal(r.rip, CODE_ADDR + 1);
	assert_int_equal(t.trapno, 6);

	LOAD(f, f->as, prog_int3);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.signo, SIGTRAP);
	assert_int_equal(r.rip, CODE_ADDR + 1);
	assert_int_equal(t.trapno, 3);
}

/* Narrowing or removing a mapping a vCPU has used takes effect at once. */
static void protect_and_unmap_take_effect(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

	NEED_KVM(f);
	LOAD(f, f->as, prog_store);
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, DATA_OFF, PROT_READ), 0);
	start_regs(&r);
	r.rdi = DATA_ADDR;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.code, SEGV_ACCERR);
	assert_int_equal(t.access, PLAT_ACCESS_WRITE);
	assert_int_equal(t.addr, DATA_ADDR);
	/* Widen: the store now succeeds. */
	assert_int_equal(f->o->as_protect(f->as, DATA_ADDR, PG, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(f->mem[DATA_OFF], 42);
	/* Narrow again after use: faults. */
	assert_int_equal(f->o->as_protect(f->as, DATA_ADDR, PG, PROT_READ), 0);
	start_regs(&r);
	r.rdi = DATA_ADDR;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.code, SEGV_ACCERR);
	/* Unmap after use: faults with MAPERR. */
	assert_int_equal(f->o->as_protect(f->as, DATA_ADDR, PG, PROT_READ | PROT_WRITE), 0);
	start_regs(&r);
	r.rdi = DATA_ADDR;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(f->o->as_unmap(f->as, DATA_ADDR, PG), 0);
	start_regs(&r);
	r.rdi = DATA_ADDR;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.code, SEGV_MAPERR);
	assert_int_equal(t.addr, DATA_ADDR);
}

/* Replacing the frame under a used mapping: reads see the new page. */
static void remap_sees_new_frame(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

	NEED_KVM(f);
	LOAD(f, f->as, prog_load);
	memcpy(f->mem + DATA_OFF, &(uint64_t){ 0x1111 }, 8);
	memcpy(f->mem + DATA2_OFF, &(uint64_t){ 0x2222 }, 8);
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, DATA_OFF, PROT_READ), 0);
	for (int i = 0; i < 4; i++) {
		start_regs(&r);
		r.rdi = DATA_ADDR;
		assert_int_equal(run(f, f->as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
		assert_int_equal(r.rsi, i % 2 ? 0x2222 : 0x1111);
		assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, i % 2 ? DATA_OFF : DATA2_OFF,
					      PROT_READ), 0);
	}
}

static void two_address_spaces_alternate(void **state)
{
	struct fixture *f = *state;
	struct plat_as *as2;
	struct plat_trap t;
	plat_regs_t r;

	NEED_KVM(f);
	assert_int_equal(f->o->as_create(f->p, &as2), 0);
	LOAD(f, f->as, prog_syscalls);
	load_at(f, as2, CODE2_OFF, prog_load, prog_load_end);
	memcpy(f->mem + DATA2_OFF, &(uint64_t){ 0xbbbb }, 8);
	assert_int_equal(f->o->as_map(as2, DATA_ADDR, PG, DATA2_OFF, PROT_READ), 0);
	for (int i = 0; i < 3; i++) {
		start_regs(&r);
		assert_int_equal(run(f, f->as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
		assert_int_equal(r.orig_rax, 39);
		start_regs(&r);
		r.rdi = DATA_ADDR;
		assert_int_equal(run(f, as2, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
		assert_int_equal(r.rsi, 0xbbbb);
		/* DATA_ADDR is not mapped in the first one. */
		LOAD(f, f->as, prog_load);
		start_regs(&r);
		r.rdi = DATA_ADDR;
		assert_int_equal(run(f, f->as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_FAULT);
		LOAD(f, f->as, prog_syscalls);
	}
	f->o->as_release(as2);
}

struct interrupter {
	struct fixture *f;
	unsigned delay_ms;
};

static void *interrupt_later(void *arg)
{
	struct interrupter *in = arg;
	struct timespec ts = { 0, (long)in->delay_ms * 1000000L };

	nanosleep(&ts, NULL);
	in->f->o->interrupt(in->f->ctx);
	return NULL;
}

static void interrupt_stops_a_spinning_program(void **state)
{
	struct fixture *f = *state;
	struct interrupter in = { f, 50 };
	struct plat_trap t;
	plat_regs_t r;
	pthread_t th;

	NEED_KVM(f);
	LOAD(f, f->as, prog_spin);
	start_regs(&r);
	r.r12 = 0x777;
	assert_int_equal(pthread_create(&th, NULL, interrupt_later, &in), 0);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	pthread_join(th, NULL);
	assert_int_equal(t.kind, TRAP_INTERRUPT);
	assert_int_equal(r.rip, CODE_ADDR);
	assert_int_equal(r.r12, 0x777);
	/* Resumed after a kick in ring 3, then interrupted again. */
	assert_int_equal(pthread_create(&th, NULL, interrupt_later, &in), 0);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	pthread_join(th, NULL);
	assert_int_equal(t.kind, TRAP_INTERRUPT);

	f->o->interrupt(f->ctx);
	r.rip = CODE_ADDR + 0x10;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_INTERRUPT);
	assert_int_equal(r.rip, CODE_ADDR + 0x10);

	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.orig_rax, 39);
}

static void fpu_round_trip(void **state)
{
	struct fixture *f = *state;
	struct plat_fpu *fpu = aligned_alloc(64, sizeof(*fpu));
	struct plat_trap t;
	plat_regs_t r;
	uint64_t v = 0x1122334455667788ULL, got;
	uint16_t fcw;

	NEED_KVM(f);
	assert_int_equal(f->o->get_fpu(f->ctx, fpu), 0);
	memcpy(&fcw, fpu->data, 2);
	assert_int_equal(fcw, 0x37f);
	memcpy(fpu->data + XMM0_OFF, &v, 8);
	assert_int_equal(f->o->set_fpu(f->ctx, fpu), 0);
	LOAD(f, f->as, prog_xmm);
	start_regs(&r);
	r.rsi = 0xcafef00dULL;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.rdi, v);
	memset(fpu, 0, sizeof(*fpu));
	assert_int_equal(f->o->get_fpu(f->ctx, fpu), 0);
	memcpy(&got, fpu->data + XMM1_OFF, 8);
	assert_int_equal(got, 0xcafef00dULL);
	free(fpu);
}

struct spinner {
	struct fixture *f;
	struct plat_trap t;
	plat_regs_t r;
	int ret;
	_Atomic int running;
};

static void *spin_on_data(void *arg)
{
	struct spinner *s = arg;
	struct plat_ctx *ctx;

	assert_int_equal(s->f->o->ctx_create(s->f->p, &ctx), 0);
	start_regs(&s->r);
	s->r.rdi = DATA_ADDR;
	s->running = 1;
	s->ret = s->f->o->switch_to(ctx, s->f->as, &s->r, &s->t);
	s->f->o->ctx_release(ctx);
	return NULL;
}

/* as_unmap from another thread while a vCPU runs in the address space: the running
 * program faults on the page at once (kick, new root). */
static void unmap_under_a_running_vcpu(void **state)
{
	struct fixture *f = *state;
	struct spinner s = { .f = f };
	struct timespec ts = { 0, 50 * 1000000L };
	pthread_t th;

	NEED_KVM(f);
	LOAD(f, f->as, prog_spin_load);
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, DATA_OFF, PROT_READ), 0);
	assert_int_equal(pthread_create(&th, NULL, spin_on_data, &s), 0);
	while (!s.running)
		nanosleep(&ts, NULL);
	nanosleep(&ts, NULL);
	assert_int_equal(f->o->as_unmap(f->as, DATA_ADDR, PG), 0);
	pthread_join(th, NULL);
	assert_int_equal(s.ret, 0);
	assert_int_equal(s.t.kind, TRAP_FAULT);
	assert_int_equal(s.t.signo, SIGSEGV);
	assert_int_equal(s.t.code, SEGV_MAPERR);
	assert_int_equal(s.t.addr, DATA_ADDR);
}

/* With a tiny page-table pool, loaded tables are recycled through slot flips; every
 * address space still sees exactly its own page. */
static void table_pages_are_recycled(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

	NEED_KVM(f);
	f->o->ctx_release(f->ctx);
	f->o->as_release(f->as);
	f->o->destroy(f->p);
	kvm_pt_pool_pages = 40;
	assert_int_equal(f->o->create(f->memfd, &f->p), 0);
	kvm_pt_pool_pages = 0;
	assert_int_equal(f->o->ctx_create(f->p, &f->ctx), 0);
	for (uint64_t i = 0; i < 30; i++) {
		struct plat_as *as;
		uint64_t off = DATA_OFF + (i % 8) * PG;

		assert_int_equal(f->o->as_create(f->p, &as), 0);
		load_at(f, as, CODE_OFF, prog_load, prog_load_end);
		memcpy(f->mem + off, &(uint64_t){ 0x1000 + i }, 8);
		assert_int_equal(f->o->as_map(as, DATA_ADDR, PG, off, PROT_READ), 0);
		start_regs(&r);
		r.rdi = DATA_ADDR;
		assert_int_equal(run(f, as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
		assert_int_equal(r.rsi, 0x1000 + i);
		/* A remap under the loaded table copies its path (more dead pages). */
		assert_int_equal(f->o->as_unmap(as, DATA_ADDR, PG), 0);
		start_regs(&r);
		r.rdi = DATA_ADDR;
		assert_int_equal(run(f, as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_FAULT);
		f->o->as_release(as);
	}
	assert_true(((struct kvm_platform *)f->p)->flips > 0);
	assert_int_equal(f->o->as_create(f->p, &f->as), 0);
}

/* On PVM the pool's slot starts small (its per-page KVM metadata is on every start's
 * path) and grows by flips as tables fill it: an address space needing more table pages
 * than the first slot holds still sees every page, the last one too. */
static void table_slot_grows(void **state)
{
	struct fixture *f = *state;
	struct kvm_platform *p = (struct kvm_platform *)f->p;
	const uint32_t first = (uint32_t)(KVM_PT_SLOT0 / KVM_PG);
	const uint64_t base = 1ULL << 32, n = first + 64;
	struct plat_trap t;
	plat_regs_t r;

	NEED_KVM(f);
	if (p->kind_host) { /* hardware KVM registers the whole pool at once */
		assert_int_equal(p->pt_slot, p->pt_limit);
		return;
	}
	assert_int_equal(p->pt_slot, first);
	memcpy(f->mem + DATA_OFF, &(uint64_t){ 0x5107 }, 8);
	for (uint64_t i = 0; i < n; i++) /* one table page each: 2 MiB apart */
		assert_int_equal(f->o->as_map(f->as, base + (i << 21), PG, DATA_OFF, PROT_READ),
				 0);
	assert_true(p->pt_slot > first);
	assert_true(p->pt_next <= p->pt_slot);
	assert_true(p->flips > 0);
	LOAD(f, f->as, prog_load);
	start_regs(&r);
	r.rdi = base + ((n - 1) << 21);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.rsi, 0x5107);
}

/* KVM cannot destroy a vCPU: released contexts are reused, fresh, by later ones. */
static void contexts_are_recycled(void **state)
{
	struct fixture *f = *state;
	struct plat_fpu *fpu = aligned_alloc(64, sizeof(*fpu));
	struct plat_ctx *saved, *c2;
	struct plat_trap t;
	plat_regs_t r;
	uint16_t fcw = 0x27f;

	NEED_KVM(f);
	saved = f->ctx;
	LOAD(f, f->as, prog_syscalls);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(f->o->ctx_create(f->p, &c2), 0);
		f->ctx = c2;
		assert_int_equal(f->o->get_fpu(c2, fpu), 0);
		assert_memory_equal(fpu->data, &(uint16_t){ 0x37f }, 2); /* reset */
		memcpy(fpu->data, &fcw, 2);
		assert_int_equal(f->o->set_fpu(c2, fpu), 0);
		start_regs(&r);
		assert_int_equal(run(f, f->as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
		assert_int_equal(r.orig_rax, 39);
		f->o->ctx_release(c2);
	}
	f->ctx = saved;
	free(fpu);
}

static void getpid_round_trip_time(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	struct timespec a, b;
	plat_regs_t r;
	const int n = 2000;

	NEED_KVM(f);
	LOAD(f, f->as, prog_loop);
	start_regs(&r);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < n; i++) {
		assert_int_equal(run(f, f->as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
		r.rax = 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	fprintf(stderr, "kvm getpid round trip: %.0f ns\n",
		((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(syscalls_trap_with_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(registers_survive, setup, teardown),
		cmocka_unit_test_setup_teardown(int80_is_a_compat_syscall, setup, teardown),
		cmocka_unit_test_setup_teardown(exits_are_counted_by_reason, setup, teardown),
		cmocka_unit_test_setup_teardown(kind_detected_and_mode_checked, setup, teardown),
		cmocka_unit_test_setup_teardown(sentry_code_runs_in_ring0, setup, teardown),
		cmocka_unit_test_setup_teardown(sentry_maps_and_bluepill, setup, teardown),
		cmocka_unit_test_setup_teardown(table_pool_never_merges, setup, teardown),
		cmocka_unit_test_setup_teardown(unmapped_access_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(ud2_and_int3_fault, setup, teardown),
		cmocka_unit_test_setup_teardown(protect_and_unmap_take_effect, setup, teardown),
		cmocka_unit_test_setup_teardown(remap_sees_new_frame, setup, teardown),
		cmocka_unit_test_setup_teardown(two_address_spaces_alternate, setup, teardown),
		cmocka_unit_test_setup_teardown(interrupt_stops_a_spinning_program, setup,
						teardown),
		cmocka_unit_test_setup_teardown(fpu_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(unmap_under_a_running_vcpu, setup, teardown),
		cmocka_unit_test_setup_teardown(contexts_are_recycled, setup, teardown),
		cmocka_unit_test_setup_teardown(table_pages_are_recycled, setup, teardown),
		cmocka_unit_test_setup_teardown(table_slot_grows, setup, teardown),
		cmocka_unit_test_setup_teardown(getpid_round_trip_time, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
