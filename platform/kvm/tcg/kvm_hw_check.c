/* kvm_hw_check.c: the KVM platform checked without cmocka, as a static program for a nested
 * TCG-SVM guest (run.sh): syscalls, faults, unmap, interrupt, FPU, auto selection. */
#include "platform/platform.h"
#include "platform/kvm/kvm_internal.h"
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <cpuid.h>
#include <unistd.h>
#define PROG(name, body) extern const char name[], name##_end[]; \
	__asm__(".pushsection .rodata\n" #name ":\n" body "\n" #name "_end:\n.popsection\n")
PROG(p_sys, "mov $39, %eax\n syscall\n lea 1(%rax), %rdi\n mov $60, %eax\n syscall\n ud2");
PROG(p_load, "mov (%rdi), %rsi\n mov $39, %eax\n syscall\n ud2");
PROG(p_ud2, "nop\n ud2");
PROG(p_int3, "int3\n ud2");
PROG(p_spin, "1: jmp 1b");
PROG(p_xmm, "movq %xmm0, %rdi\n movq %rsi, %xmm1\n mov $39, %eax\n syscall\n ud2");
PROG(p_ymm, "vextractf128 $1, %ymm1, %xmm2\n movq %xmm2, %rdi\n vmovq %rsi, %xmm3\n vinsertf128 $1, %xmm3, %ymm4, %ymm4\n mov $39, %eax\n syscall\n ud2");
PROG(p_int80, "mov $20, %eax\n int $0x80\n ud2");
PROG(p_getpid10k, "mov $10000, %ebx\n 1: mov $39, %eax\n syscall\n cmp $4242, %rax\n jne 2f\n dec %ebx\n jnz 1b\n mov $60, %eax\n syscall\n 2: mov $61, %eax\n syscall\n ud2");
PROG(p_fault1k, "mov $1000, %ebx\n lea 2f(%rip), %r12\n 1: mov $0x10000000, %rdi\n mov $0x1234, %ecx\n mov $0x5678, %r11d\n mov (%rdi), %rax\n 2: cmp $0x1234, %rcx\n jne 3f\n cmp $0x5678, %r11\n jne 3f\n dec %ebx\n jnz 1b\n mov $60, %eax\n syscall\n 3: mov $61, %eax\n syscall\n ud2");
PROG(p_loop, "1: mov $39, %eax\n syscall\n jmp 1b");
static int fails;
static uint64_t exits_now(struct platform *p) {
	uint64_t n = 0; struct kvm_platform *kp = (struct kvm_platform *)p;
	for (int i = 0; i < KVM_STAT_N; i++) n += kp->stats[i];
	return n;
}
static volatile long g_seen;
static long __attribute__((noinline)) ring0_fn(long x) { g_seen = x; return x * 3 + 1; }
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); fails++; } } while (0)
static const struct platform_ops *o = &plat_kvm_ops;
static struct platform *P; static struct plat_as *AS; static struct plat_ctx *C; static uint8_t *M;
static void load(const char *b, const char *e) {
	memset(M, 0xcc, 4096); memcpy(M, b, e - b);
	o->as_map(AS, 0x400000, 4096, 0, PROT_READ | PROT_EXEC);
	o->as_map(AS, 0x500000, 4096, 4096, PROT_READ | PROT_WRITE);
}
static void regs0(plat_regs_t *r) { memset(r, 0, sizeof(*r)); r->rip = 0x400000; r->rsp = 0x501000; r->eflags = 0x202; }
static void *intr(void *a) { struct timespec ts = {0, 50000000}; nanosleep(&ts, 0); o->interrupt(C); return a; }
/* Steps 1, 2 and 4 of the ring-0 mode: this thread enters guest ring 0 and leaves. */
static __thread long tls_v = 77;
static sigjmp_buf segv_jb;
static void segv(int s) { (void)s; siglongjmp(segv_jb, 1); }
static long __attribute__((noinline)) busy(long n) { long s = 0; for (long i = 0; i < n; i++) s += i ^ (s >> 3); return s; }
static void bluepill_checks(void) {
	struct kvm_platform *kp = (struct kvm_platform *)P; struct plat_ctx *c2; struct kvm_ctx *bc;
	char *heap = malloc(4096); volatile long stackv = 5; uint16_t cs_in = 3; uint32_t mx = 0x3f80, mx_in = 0; /* round down */
	uint64_t e0, e1, e2; long sum = 0, want = busy(10000); size_t len = 0; bool in;
	CHECK(kvm_sentry_map_all(kp) == 0); CHECK(o->ctx_create(P, &c2) == 0); bc = (struct kvm_ctx *)c2;
	if (fails) return;
	/* 1: state in, 10,000 loop iterations, TLS, heap, stack, memory file, MXCSR; no exit */
	e0 = exits_now(P);
	__asm__ volatile("ldmxcsr %0" :: "m"(mx));
	CHECK(kvm_bluepill(bc));
	__asm__ volatile("mov %%cs, %0\n stmxcsr %1" : "=r"(cs_in), "=m"(mx_in));
	tls_v++; stackv++; strcpy(heap, "in guest ring 0"); len = strlen(heap); sum = busy(10000);
	kp->mem[4000] = 9;
	e1 = exits_now(P);
	kvm_redpill();
	e2 = exits_now(P);
	mx = 0x1f80; __asm__ volatile("ldmxcsr %0" :: "m"(mx));
	printf("ring0: bluepill: cs in guest %#x, mxcsr %#x, %llu exits in guest, %llu to leave\n", cs_in, mx_in,
	       (unsigned long long)(e1 - e0), (unsigned long long)(e2 - e1));
	CHECK(cs_in == KVM_SEL_KCODE); CHECK(mx_in == 0x3f80); CHECK(!kvm_in_guest());
	CHECK(tls_v == 78); CHECK(stackv == 6); CHECK(len == 15); CHECK(sum == want); CHECK(kp->mem[4000] == 9);
	CHECK(e1 == e0); CHECK(e2 == e0 + 1);
	/* 2: a host syscall from ring 0 exits and is re-executed on the host; xmm5 survives */
	uint64_t x = 0x1122334455667788ULL, xo = 0, pid = 0, cs_after = 0;
	e0 = exits_now(P);
	CHECK(kvm_bluepill(bc));
	__asm__ volatile("movq %[x], %%xmm5\n mov $39, %%eax\n syscall\n movq %%xmm5, %[xo]\n mov %%cs, %[cs]"
			 : "=&a"(pid), [xo] "=r"(xo), [cs] "=r"(cs_after) : [x] "r"(x) : "rcx", "r11", "xmm5", "memory");
	e1 = exits_now(P);
	printf("ring0: host syscall from ring 0: getpid %llu (host %d), cs after %#llx, xmm5 %#llx, %llu exit\n",
	       (unsigned long long)pid, getpid(), (unsigned long long)cs_after, (unsigned long long)xo,
	       (unsigned long long)(e1 - e0));
	CHECK(pid == (uint64_t)getpid()); CHECK(xo == x); CHECK((cs_after & 3) == 3); CHECK(e1 == e0 + 1);
	/* 3: a mapping made after map_all: its #PF in ring 0 is replayed on the host, and
	 * the next bluepill adds it to guest memory */
	char *nm = mmap(0, 3 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool in2;
	e0 = exits_now(P);
	CHECK(kvm_bluepill(bc)); nm[100] = 42; in = kvm_in_guest();
	CHECK(kvm_bluepill(bc)); nm[(3 << 20) - 1] = 43; in2 = kvm_in_guest(); kvm_redpill();
	e1 = exits_now(P);
	printf("ring0: new mapping touched in ring 0: in guest after the first touch %d, after the next entry %d, %llu exits\n",
	       in, in2, (unsigned long long)(e1 - e0));
	CHECK(!in); CHECK(in2); CHECK(nm[100] == 42); CHECK(nm[(3 << 20) - 1] == 43); CHECK(e1 - e0 == 2);
	/* 4: a bad pointer in ring 0: replayed in host mode, a real SIGSEGV there */
	struct sigaction sa = { .sa_handler = segv }, old; volatile int caught = 0; volatile bool in_after = true;
	sigaction(SIGSEGV, &sa, &old);
	if (sigsetjmp(segv_jb, 1) == 0) { kvm_bluepill(bc); *(volatile int *)0x8 = 1; }
	else { caught = 1; in_after = kvm_in_guest(); }
	sigaction(SIGSEGV, &old, NULL);
	printf("ring0: bad pointer in ring 0: SIGSEGV on the host %d, in guest after %d\n", caught, in_after);
	CHECK(caught); CHECK(!in_after);
	char st[512]; o->debug_stats(P, st, sizeof(st)); printf("exits: %s\n", st);
	o->ctx_release(c2);
}
/* Syscalls, faults, unmap, int $0x80, #UD, #BP, interrupt, FPU through switch_to. */
static void trap_checks(void) {
	plat_regs_t r; struct plat_trap t;
	load(p_sys, p_sys_end); regs0(&r); r.r15 = 0x1515;
	CHECK(o->switch_to(C, AS, &r, &t) == 0); CHECK(t.kind == TRAP_SYSCALL); CHECK(r.orig_rax == 39);
	CHECK(r.rip == 0x400007); CHECK(r.r15 == 0x1515); CHECK(r.rsp == 0x501000);
	r.rax = 1234; CHECK(o->switch_to(C, AS, &r, &t) == 0); CHECK(r.orig_rax == 60); CHECK(r.rdi == 1235);
	load(p_load, p_load_end); regs0(&r); r.rdi = 0x10000000;
	CHECK(o->switch_to(C, AS, &r, &t) == 0); CHECK(t.kind == TRAP_FAULT); CHECK(t.signo == SIGSEGV);
	CHECK(t.addr == 0x10000000); CHECK(t.code == SEGV_MAPERR); CHECK(r.rip == 0x400000);
	memcpy(M + 8192, &(uint64_t){0x77}, 8); o->as_map(AS, 0x600000, 4096, 8192, PROT_READ);
	regs0(&r); r.rdi = 0x600000; CHECK(o->switch_to(C, AS, &r, &t) == 0); CHECK(t.kind == TRAP_SYSCALL); CHECK(r.rsi == 0x77);
	o->as_unmap(AS, 0x600000, 4096);
	regs0(&r); r.rdi = 0x600000; CHECK(o->switch_to(C, AS, &r, &t) == 0); CHECK(t.kind == TRAP_FAULT); CHECK(t.addr == 0x600000);
	load(p_int80, p_int80_end); regs0(&r); r.rcx = 0xc0c0;
	CHECK(o->switch_to(C, AS, &r, &t) == 0); CHECK(t.kind == TRAP_SYSCALL); CHECK(t.entry == PLAT_ENTRY_INT80);
	CHECK(r.orig_rax == 20); CHECK(r.rip == 0x400007); CHECK(r.rcx == 0xc0c0);
	load(p_ud2, p_ud2_end); regs0(&r); CHECK(o->switch_to(C, AS, &r, &t) == 0); CHECK(t.signo == SIGILL); CHECK(r.rip == 0x400001);
	load(p_int3, p_int3_end); regs0(&r); CHECK(o->switch_to(C, AS, &r, &t) == 0); CHECK(t.signo == SIGTRAP); CHECK(r.rip == 0x400001);
	load(p_spin, p_spin_end); regs0(&r); pthread_t th; pthread_create(&th, 0, intr, 0);
	CHECK(o->switch_to(C, AS, &r, &t) == 0); pthread_join(th, 0); CHECK(t.kind == TRAP_INTERRUPT);
	struct plat_fpu *f = aligned_alloc(64, sizeof(*f)); uint64_t v = 0x1122334455667788ULL, got;
	CHECK(o->get_fpu(C, f) == 0); CHECK(*(uint16_t *)f->data == 0x37f);
	memcpy(f->data + 160, &v, 8); CHECK(o->set_fpu(C, f) == 0);
	load(p_xmm, p_xmm_end); regs0(&r); r.rsi = 0xcafe; CHECK(o->switch_to(C, AS, &r, &t) == 0); CHECK(r.rdi == v);
	CHECK(o->get_fpu(C, f) == 0); memcpy(&got, f->data + 176, 8); CHECK(got == 0xcafe);
	unsigned ca, cb, cc, cd; __cpuid(1, ca, cb, cc, cd);
	if ((cc & bit_AVX) && (cc & bit_OSXSAVE)) { /* ymm upper halves reach ring 3 and back */
		uint64_t hi = 0x0badc0ffee0ddf00ULL;
		CHECK(o->get_fpu(C, f) == 0); memcpy(f->data + 576 + 16, &hi, 8);
		f->data[512] |= 4; /* XSTATE_BV: AVX */
		CHECK(o->set_fpu(C, f) == 0);
		load(p_ymm, p_ymm_end); regs0(&r); r.rsi = 0x5151;
		CHECK(o->switch_to(C, AS, &r, &t) == 0); CHECK(t.kind == TRAP_SYSCALL); CHECK(r.rdi == hi);
		CHECK(o->get_fpu(C, f) == 0); memcpy(&got, f->data + 576 + 4 * 16, 8); CHECK(got == 0x5151);
		printf("avx: ymm upper halves checked\n");
	} else {
		printf("avx: NOT CHECKED, this CPU has no AVX\n");
	}
}

/* Step 3: switch_to in ring-0 mode (a second platform): the same traps, then 10,000
 * getpid calls and 1,000 page faults served by this code in guest ring 0, no exit. */
static void ring0_mode_checks(int fd) {
	plat_regs_t r; struct plat_trap t; uint64_t e0, e1; long n = 0, faults = 0; int ret = 0;
	struct platform *p0 = P; struct plat_as *as0 = AS; struct plat_ctx *c0 = C;
	CHECK(plat_kvm_set_mode("ring0") == 0);
	CHECK(o->create(fd, &P) == 0); if (fails) return;
	CHECK(o->as_create(P, &AS) == 0); CHECK(o->ctx_create(P, &C) == 0);
	CHECK(((struct kvm_platform *)P)->ring0); if (fails) return;
	trap_checks();
	printf("ring0 mode: trap checks done (%d failures)\n", fails);
	load(p_getpid10k, p_getpid10k_end); regs0(&r);
	e0 = exits_now(P);
	while ((ret = o->switch_to(C, AS, &r, &t)) == 0 && t.kind == TRAP_SYSCALL && r.orig_rax == 39) { r.rax = 4242; n++; }
	e1 = exits_now(P);
	printf("ring0 mode: %ld getpid through switch_to, then syscall %lld; VM exits %llu\n", n,
	       (long long)r.orig_rax, (unsigned long long)(e1 - e0));
	CHECK(ret == 0); CHECK(n == 10000); CHECK(r.orig_rax == 60); CHECK(e1 == e0);
	load(p_fault1k, p_fault1k_end); regs0(&r);
	e0 = exits_now(P);
	while ((ret = o->switch_to(C, AS, &r, &t)) == 0 && t.kind == TRAP_FAULT && t.addr == 0x10000000) { r.rip = r.r12; faults++; }
	e1 = exits_now(P);
	printf("ring0 mode: %ld page faults through switch_to, then syscall %lld; VM exits %llu\n", faults,
	       (long long)r.orig_rax, (unsigned long long)(e1 - e0));
	CHECK(ret == 0); CHECK(faults == 1000); CHECK(r.orig_rax == 60); CHECK(e1 == e0);
	char st[512]; o->debug_stats(P, st, sizeof(st)); printf("exits: %s\n", st);
	o->ctx_release(C); o->as_release(AS); o->destroy(P);
	CHECK(plat_kvm_set_mode("auto") == 0); /* auto: ring0 on hardware KVM */
	CHECK(o->create(fd, &P) == 0);
	if (!fails) { printf("ring0 mode: auto picks %s\n", ((struct kvm_platform *)P)->ring0 ? "ring0" : "exit");
		CHECK(((struct kvm_platform *)P)->ring0); o->destroy(P); }
	P = p0, AS = as0, C = c0;
}
int main(void) {
	const char *why = "";
	plat_regs_t r; struct plat_trap t;
	int fd = memfd_create("m", 0);
	ftruncate(fd, 1 << 20);
	M = mmap(0, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int probe = o->probe(&why);
	const char *probe_why = why;
	const struct platform_ops *chosen = plat_choose("auto", &why);

	printf("hardware=%d probe=%d (%s) auto=%s\n", plat_kvm_is_hardware(), probe, probe_why,
	       chosen ? chosen->name : "none");
	CHECK(!plat_kvm_is_hardware() || chosen == &plat_kvm_ops);
	CHECK(plat_kvm_set_mode("exit") == 0); /* exit per trap first; auto is ring0 here */
	CHECK(o->create(fd, &P) == 0); CHECK(o->as_create(P, &AS) == 0); CHECK(o->ctx_create(P, &C) == 0);
	if (fails) goto out;
	trap_checks();
	load(p_loop, p_loop_end); regs0(&r);
	struct timespec a, b; clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 1000; i++) { CHECK(o->switch_to(C, AS, &r, &t) == 0 && t.kind == TRAP_SYSCALL); }
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("getpid round trip %.0f ns\n", ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec)) / 1000);
	char st[512]; CHECK(o->debug_stats(P, st, sizeof(st)) > 0); printf("exits: %s\n", st);
	const char *hs = strstr(st, "syscall (hlt) "); unsigned long nh = 0; /* each syscall through LSTAR */
	CHECK(hs && sscanf(hs, "syscall (hlt) %lu", &nh) == 1 && nh >= 1000);
	{ /* the kind check saw ring-0 syscalls */
		struct kvm_platform *kp = (struct kvm_platform *)P;
		printf("kind: host %d guest %d\n", kp->kind_host, kp->kind_guest);
		CHECK(kp->kind_host == 1 && kp->kind_guest == 1 && kp->hw);
		/* Sentry code and data at their host addresses in guest ring 0 */
		long got = 0; CHECK(kvm_sentry_map(kp, (uint64_t)(uintptr_t)&g_seen) == 0);
		CHECK(kvm_ring0_call(kp, ring0_fn, 14, &got) == 0); CHECK(got == 43); CHECK(g_seen == 14);
		printf("ring0: Sentry function ran in guest ring 0: %ld, wrote %ld\n", got, g_seen);
		/* 10,000 getpid calls served by Sentry code in ring 0: one VM exit in all */
		uint64_t before = 0, after = 0; long served = 0, last = 0;
		for (int i = 0; i < KVM_STAT_N; i++) before += kp->stats[i];
		load(p_getpid10k, p_getpid10k_end); regs0(&r);
		CHECK(kvm_ring0_getpid_loop(kp, AS, &r, 4242, &served, &last) == 0);
		for (int i = 0; i < KVM_STAT_N; i++) after += kp->stats[i];
		printf("ring0: %ld getpid served in guest ring 0, then syscall %ld; VM exits: %llu\n",
		       served, last, (unsigned long long)(after - before));
		CHECK(served == 10000); CHECK(last == 60); CHECK(after - before == 1);
		/* 1,000 page faults served in ring 0, resumed with iretq (rcx, r11 kept) */
		long faults = 0; before = after;
		load(p_fault1k, p_fault1k_end); regs0(&r);
		CHECK(kvm_ring0_serve_loop(kp, AS, &r, 4242, 0x10000000, &served, &faults, &last) == 0);
		after = 0; for (int i = 0; i < KVM_STAT_N; i++) after += kp->stats[i];
		printf("ring0: %ld page faults served in guest ring 0, then syscall %ld; VM exits: %llu\n",
		       faults, last, (unsigned long long)(after - before));
		CHECK(faults == 1000); CHECK(last == 60); CHECK(after - before == 1);
	}
	bluepill_checks();
	ring0_mode_checks(fd);
out:
	printf("%s (%d failures)\n", fails ? "KVMHW FAIL" : "KVMHW PASS", fails);
	return fails != 0;
}
