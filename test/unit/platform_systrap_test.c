/* platform_systrap_test.c: the systrap platform running tiny programs: traps, faults,
 * interrupts, FPU, fs base, mapping changes, several contexts, stub hygiene, and the
 * syscall round-trip time for each hand-off mode. */
#include "test/unit/platform_systrap_fixture.h"

#include <poll.h>
#include <sched.h>

#include "lib/util.h"

/* Load the quadword at %fs:0 into rdi, then getpid(). */
PROG(prog_fs_load, "mov %fs:0, %rdi\n mov $39, %eax\n syscall\n ud2");
/* wrfsbase rdi; getpid(). */
PROG(prog_wrfsbase, "wrfsbase %rdi\n mov $39, %eax\n syscall\n ud2");

static void syscalls_trap_with_numbers(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	r.rbx = 0x1111, r.r15 = 0xf15, r.rbp = 0xb0b;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.orig_rax, 39);
	assert_int_equal(r.rip, CODE_ADDR + 7); /* past mov(5) + syscall(2) */
	assert_int_equal(r.rbx, 0x1111);
	assert_int_equal(r.r15, 0xf15);
	assert_int_equal(r.rbp, 0xb0b);
	assert_int_equal(r.rsp, STACK_ADDR + PG);
	assert_int_equal(r.cs, 0x33);
	r.rax = 1234;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.orig_rax, 60);
	assert_int_equal(r.rdi, 1235);
}

static void unmapped_access_faults(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

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
}

static void mapping_changes_apply(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;
	uint64_t v = 0x5eed;

	memcpy(f->mem + DATA_OFF, &v, 8);
	LOAD(f, f->as, prog_store);
	/* Read-only: the store faults as a write. */
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, DATA_OFF, PROT_READ), 0);
	start_regs(&r);
	r.rdi = DATA_ADDR + 8;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.code, SEGV_ACCERR);
	assert_int_equal(t.access, PLAT_ACCESS_WRITE);
	/* protect RW (across a hole after it: only the mapped part changes). */
	assert_int_equal(f->o->as_protect(f->as, DATA_ADDR, 4 * PG, PROT_READ | PROT_WRITE), 0);
	start_regs(&r);
	r.rdi = DATA_ADDR + 8;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(*(uint64_t *)(f->mem + DATA_OFF + 8), 42);
	/* Unmapped: the same store is a MAPERR now. */
	assert_int_equal(f->o->as_unmap(f->as, DATA_ADDR, PG), 0);
	start_regs(&r);
	r.rdi = DATA_ADDR + 8;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.code, SEGV_MAPERR);
	/* Many small maps (more than one request page) in one batch. */
	for (int i = 0; i < 300; i++)
		assert_int_equal(f->o->as_map(f->as, 0x1000000 + (uint64_t)i * 2 * PG, PG,
					      DATA_OFF, PROT_READ), 0);
	LOAD(f, f->as, prog_load);
	start_regs(&r);
	r.rdi = 0x1000000 + 299 * 2 * PG;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.rsi, v);
	assert_int_equal(f->o->as_map(f->as, 0x1000000, PG, DATA_OFF, 0x40), -EINVAL);
	assert_int_equal(f->o->as_map(f->as, PLAT_APP_MAX_ADDR, PG, DATA_OFF, PROT_READ),
			 -EINVAL);
}

static void ud2_and_int3_fault(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

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

struct interrupter {
	struct fixture *f;
	struct plat_ctx *ctx;
	unsigned delay_ms;
};

static void *interrupt_later(void *arg)
{
	struct interrupter *in = arg;
	struct timespec ts = { 0, (long)in->delay_ms * 1000000L };

	nanosleep(&ts, NULL);
	in->f->o->interrupt(in->ctx);
	return NULL;
}

static void interrupt_stops_a_spinning_program(void **state)
{
	struct fixture *f = *state;
	struct interrupter in = { f, f->ctx, 50 };
	struct plat_trap t;
	plat_regs_t r;
	pthread_t th;

	LOAD(f, f->as, prog_spin);
	start_regs(&r);
	assert_int_equal(pthread_create(&th, NULL, interrupt_later, &in), 0);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	pthread_join(th, NULL);
	assert_int_equal(t.kind, TRAP_INTERRUPT);
	assert_int_equal(r.rip, CODE_ADDR);

	f->o->interrupt(f->ctx);
	r.rip = CODE_ADDR + 0x10;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_INTERRUPT);
	assert_int_equal(r.rip, CODE_ADDR + 0x10);

	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
}

static void fpu_round_trip(void **state)
{
	struct fixture *f = *state;
	struct plat_fpu fpu;
	struct plat_trap t;
	plat_regs_t r;
	uint64_t v = 0x1122334455667788ULL, got;
	uint16_t fcw;
	uint32_t mxcsr;

	assert_int_equal(f->o->get_fpu(f->ctx, &fpu), 0);
	memcpy(&fcw, fpu.data, 2);
	assert_int_equal(fcw, 0x37f);

	memcpy(fpu.data + XMM0_OFF, &v, 8);
	assert_int_equal(f->o->set_fpu(f->ctx, &fpu), 0);
	LOAD(f, f->as, prog_xmm);
	start_regs(&r);
	r.rsi = 0xcafef00dULL;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.rdi, v);

	memset(&fpu, 0, sizeof(fpu));
	assert_int_equal(f->o->get_fpu(f->ctx, &fpu), 0);
	memcpy(&got, fpu.data + XMM1_OFF, 8);
	assert_int_equal(got, 0xcafef00dULL);
	memcpy(&fcw, fpu.data, 2);
	assert_int_equal(fcw, 0x37f);

	v = 0x0102030405060708ULL;
	memcpy(fpu.data + XMM0_OFF, &v, 8);
	assert_int_equal(f->o->set_fpu(f->ctx, &fpu), 0);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(r.rdi, v);

	/* An image sigreturn would refuse is refused now. */
	mxcsr = 0xffffffff;
	memcpy(fpu.data + 24, &mxcsr, 4);
	assert_int_equal(f->o->set_fpu(f->ctx, &fpu), -EINVAL);
}

static void fs_base_round_trip(void **state)
{
	struct fixture *f = *state;
	struct systrap_platform *sp = (struct systrap_platform *)f->p;
	struct plat_trap t;
	plat_regs_t r;
	uint64_t v = 0xf5f5f5f5ULL;

	memcpy(f->mem + DATA_OFF + 64, &v, 8);
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, DATA_OFF, PROT_READ), 0);
	LOAD(f, f->as, prog_fs_load);
	start_regs(&r);
	r.fs_base = DATA_ADDR + 64;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.rdi, v);
	assert_int_equal(r.fs_base, DATA_ADDR + 64);
	if (!sp->fsgsbase) {
		print_message("no FSGSBASE: wrfsbase part skipped\n");
		return;
	}
	LOAD(f, f->as, prog_wrfsbase);
	start_regs(&r);
	r.rdi = 0x123000;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.fs_base, 0x123000);
}

static void two_address_spaces_alternate(void **state)
{
	struct fixture *f = *state;
	struct plat_as *as2;
	struct plat_fpu fpu;
	struct plat_trap t;
	plat_regs_t r;
	uint64_t a = 0xaaaa, b = 0xbbbb, x = 0x5151;

	assert_int_equal(f->o->as_create(f->p, &as2), 0);
	LOAD(f, f->as, prog_xmm);
	load_at(f, as2, CODE2_OFF, prog_load, prog_load_end);
	memcpy(f->mem + DATA_OFF, &a, 8);
	memcpy(f->mem + DATA2_OFF, &b, 8);
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, DATA_OFF, PROT_READ), 0);
	assert_int_equal(f->o->as_map(as2, DATA_ADDR, PG, DATA2_OFF, PROT_READ), 0);
	for (int i = 0; i < 3; i++) {
		start_regs(&r);
		r.rsi = x + (uint64_t)i;
		assert_int_equal(run(f, f->as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
		start_regs(&r);
		r.rdi = DATA_ADDR;
		assert_int_equal(run(f, as2, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
		assert_int_equal(r.rsi, b);
		assert_int_equal(f->o->get_fpu(f->ctx, &fpu), 0);
		assert_memory_equal(fpu.data + XMM1_OFF, &(uint64_t){ x + (uint64_t)i }, 8);
	}
	f->o->as_release(as2);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
}

/* Another host thread with its own context runs in the same address space: it gets a
 * stub thread of its own, and both run at once. */
struct runner {
	struct fixture *f;
	int traps;
};

static void *run_other(void *arg)
{
	struct runner *rn = arg;
	struct fixture *f = rn->f;
	struct plat_ctx *ctx;
	struct plat_trap t;
	plat_regs_t r;

	if (f->o->ctx_create(f->p, &ctx) != 0)
		return NULL;
	start_regs(&r);
	r.rsp -= 512; /* its own piece of the stack page */
	for (int i = 0; i < 1000; i++) {
		if (f->o->switch_to(ctx, f->as, &r, &t) != 0 || t.kind != TRAP_SYSCALL)
			break;
		rn->traps++;
	}
	f->o->ctx_release(ctx);
	return NULL;
}

static void two_contexts_share_an_address_space(void **state)
{
	struct fixture *f = *state;
	struct runner rn = { f, 0 };
	struct plat_trap t;
	plat_regs_t r;
	pthread_t th;
	int mine = 0;

	LOAD(f, f->as, prog_loop);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(pthread_create(&th, NULL, run_other, &rn), 0);
	for (int i = 0; i < 1000; i++) {
		assert_int_equal(run(f, f->as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
		mine++;
	}
	pthread_join(th, NULL);
	assert_int_equal(rn.traps, 1000);
	assert_int_equal(mine, 1000);
	assert_int_equal(((struct systrap_as *)f->as)->nthreads, 2);
}

/* The stub maps nothing but the program's pages and the region, and holds nothing but
 * the memory file and its control socket: nothing of the Sentry. */
static void check_stub_hygiene(pid_t pid)
{
	char path[64], line[256];
	int lines = 0, fds = 0;
	struct dirent *de;
	FILE *maps;
	DIR *d;

	/* code, stack, stub code page, request page, the rest of the region. */
	snprintf(path, sizeof(path), "/proc/%d/maps", pid);
	maps = fopen(path, "r");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps)) {
		if (strstr(line, "[vsyscall]"))
			continue;
		print_message("stub map: %s", line);
		lines++;
	}
	fclose(maps);
	assert_int_equal(lines, 5);
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			int fd = atoi(de->d_name);
			assert_true(fd == SYSTRAP_FD_MEM || fd == SYSTRAP_FD_SOCK);
			fds++;
		}
	closedir(d);
	assert_int_equal(fds, 2);
}

static void stub_has_nothing_else(void **state)
{
	struct fixture *f = *state;
	struct systrap_as *sas = (struct systrap_as *)f->as;
	struct plat_trap t;
	plat_regs_t r;

	LOAD(f, f->as, prog_load);
	start_regs(&r);
	r.rdi = (uint64_t)(uintptr_t)&stub_has_nothing_else;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.code, SEGV_MAPERR);
	start_regs(&r);
	r.rdi = (uint64_t)(uintptr_t)&r;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.code, SEGV_MAPERR);
	check_stub_hygiene(sas->pid);
}

/* Release f->as and give the fixture a new, empty address space. */
static struct systrap_as *next_as(struct fixture *f)
{
	f->o->as_release(f->as);
	assert_int_equal(f->o->as_create(f->p, &f->as), 0);
	return (struct systrap_as *)f->as;
}

/* Read DATA_ADDR in f->as: the value, or 0 after checking it faults as unmapped. */
static uint64_t read_data(struct fixture *f)
{
	struct plat_trap t;
	plat_regs_t r;

	LOAD(f, f->as, prog_load);
	start_regs(&r);
	r.rdi = DATA_ADDR;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	if (t.kind == TRAP_SYSCALL)
		return r.rsi;
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.code, SEGV_MAPERR);
	assert_int_equal(t.addr, DATA_ADDR);
	return 0;
}

/* A released address space's stub serves the next one (systrap_pool.c) with nothing of
 * the old one mapped, and no more fds or mappings than a new stub; a stub that died in
 * the pool, or was killed in use, is not reused. */
static void released_stub_is_reused_empty(void **state)
{
	struct fixture *f = *state;
	struct systrap_as *sas = (struct systrap_as *)f->as;
	uint64_t secret = 0x5ec7e75ec7e7;
	struct plat_trap t;
	plat_regs_t r;
	pid_t first;
	int pidfd;

	memcpy(f->mem + DATA_OFF, &secret, 8);
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, DATA_OFF, PROT_READ), 0);
	assert_int_equal(read_data(f), secret);
	first = sas->pid;
	sas = next_as(f);
	assert_int_equal(read_data(f), 0);
	assert_int_equal(sas->pid, first);
	check_stub_hygiene(sas->pid);
	/* Dies while pooled: the next address space gets a new stub. */
	pidfd = (int)syscall(SYS_pidfd_open, first, 0);
	assert_true(pidfd >= 0);
	sas = next_as(f);
	assert_int_equal(kill(first, SIGKILL), 0);
	assert_int_equal(poll(&(struct pollfd){ .fd = pidfd, .events = POLLIN }, 1, 5000), 1);
	close(pidfd);
	assert_int_equal(read_data(f), 0);
	assert_int_not_equal(sas->pid, first);
	/* Killed while in use: not pooled. */
	first = sas->pid;
	assert_int_equal(kill(first, SIGKILL), 0);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), -ESRCH);
	sas = next_as(f);
	assert_int_equal(read_data(f), 0);
	assert_int_not_equal(sas->pid, first);
}

static void killed_stub_is_reported(void **state)
{
	struct fixture *f = *state;
	struct systrap_as *sas = (struct systrap_as *)f->as;
	struct plat_trap t;
	plat_regs_t r;

	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	kill(sas->pid, SIGKILL);
	assert_int_equal(run(f, f->as, &r, &t), -ESRCH);
	assert_int_equal(run(f, f->as, &r, &t), -ESRCH);
	assert_int_equal(f->o->as_unmap(f->as, DATA_ADDR, PG), -ESRCH);
}

static void *kill_later(void *arg)
{
	struct timespec ts = { 0, 50 * 1000000L };

	nanosleep(&ts, NULL);
	kill(*(pid_t *)arg, SIGKILL);
	return NULL;
}

static void stub_killed_while_running(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;
	pthread_t th;
	pid_t pid;

	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	pid = ((struct systrap_as *)f->as)->pid;
	LOAD(f, f->as, prog_spin);
	start_regs(&r);
	assert_int_equal(pthread_create(&th, NULL, kill_later, &pid), 0);
	assert_int_equal(run(f, f->as, &r, &t), -ESRCH);
	pthread_join(th, NULL);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Best of 5 rounds of n getpid round trips, in ns. */
static uint64_t round_trips(struct fixture *f, plat_regs_t *r, int n)
{
	uint64_t best = ~0ULL;
	struct plat_trap t;

	for (int round = 0; round < 5; round++) {
		uint64_t t0 = now_ns(), per;

		for (int i = 0; i < n; i++) {
			assert_int_equal(run(f, f->as, r, &t), 0);
			if (t.kind != TRAP_SYSCALL || r->orig_rax != 39)
				fail_msg("unexpected trap %d nr %llu", t.kind, r->orig_rax);
			r->rax = 1;
		}
		per = (now_ns() - t0) / (uint64_t)n;
		if (per < best)
			best = per;
	}
	return best;
}

static void syscall_round_trip_time(void **state)
{
	struct fixture *f = *state;
	struct systrap_platform *sp = (struct systrap_platform *)f->p;
	struct systrap_tune saved = sp->tune;
	static const struct {
		const char *name;
		struct systrap_tune tune;
	} modes[] = {
		{ "spin 20us, stub on another CPU", { 20000, 20000, SYSTRAP_PIN_OTHER } },
		{ "futex only, stub on the same CPU", { 0, 0, SYSTRAP_PIN_SAME } },
		{ "spin 20us, unpinned", { 20000, 20000, SYSTRAP_PIN_NONE } },
		{ "futex only, unpinned", { 0, 0, SYSTRAP_PIN_NONE } },
		{ "futex only, stub on another CPU", { 0, 0, SYSTRAP_PIN_OTHER } },
	};
	uint64_t t0 = now_ns(), best;
	struct plat_trap t;
	plat_regs_t r;

	LOAD(f, f->as, prog_loop);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	print_message("systrap first switch (stub fork + thread + maps + trap): %llu ns\n",
		      (unsigned long long)(now_ns() - t0));
	t0 = now_ns();
	for (int i = 0; i < 100; i++)
		assert_int_equal(f->o->as_protect(f->as, CODE_ADDR, PG,
						  PROT_READ | PROT_EXEC), 0);
	print_message("systrap as_protect in a live stub: %llu ns\n",
		      (unsigned long long)(now_ns() - t0) / 100);
	best = round_trips(f, &r, 5000);
	print_message("systrap getpid round trip, default tuning: %llu ns (%d CPUs, pause %u ns)\n",
		      (unsigned long long)best, sp->ncpus, sp->pause_ns);
	for (size_t m = 0; m < ARRAY_SIZE(modes); m++) {
		if (modes[m].tune.pin != SYSTRAP_PIN_NONE && sp->ncpus < 2)
			continue;
		struct systrap_as *sas = (struct systrap_as *)f->as;
		uint8_t *slot = slot_view(sas, 0);
		uint64_t all = sp->cpus;
		int32_t seq;

		sp->tune = modes[m].tune;
		sas->threads[0].cpu = -1; /* re-pin, or let it run anywhere again */
		memcpy(&seq, slot + M_CUR_CPU, 4);
		seq = (seq + 1) & 0x7fffffff;
		memcpy(slot + M_CPUMASK, &all, 8);
		memcpy(slot + M_WANT_CPU, &seq, 4);
		best = round_trips(f, &r, 5000);
		print_message("systrap getpid round trip, %s: %llu ns\n", modes[m].name,
			      (unsigned long long)best);
	}
	sp->tune = saved;
}

/* How many CPUs the stub thread of f's address space may run on. */
static int stub_cpus(struct fixture *f)
{
	struct systrap_as *sas = (struct systrap_as *)f->as;
	cpu_set_t set;

	assert_int_equal(sched_getaffinity(sas->threads[0].tid, sizeof(set), &set), 0);
	return CPU_COUNT(&set);
}

/* n syscalls that each wait ns in the Sentry; returns the spin asked for the last. */
static uint64_t waits(struct fixture *f, plat_regs_t *r, int n, uint64_t ns)
{
	struct plat_trap t;
	uint64_t spin = 0;

	for (int i = 0; i < n; i++) {
		assert_int_equal(run(f, f->as, r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
		spin = f->o->block_spin_ns(f->ctx);
		f->o->block_end(f->ctx, ns);
	}
	return spin;
}

/* A task whose syscalls wait briefly in the Sentry (a pipe ping-pong) gets a spin for
 * its waits and its stub pinned to its Sentry thread's CPU; long waits undo both. */
static void ping_pong_task_spins_and_pins(void **state)
{
	struct fixture *f = *state;
	struct systrap_platform *sp = (struct systrap_platform *)f->p;
	struct plat_trap t;
	plat_regs_t r;

	if (sp->ncpus < 2) {
		print_message("one CPU: no spinning, nothing to pin\n");
		assert_int_equal(sp->tune.block_spin_ns, 0);
		return;
	}
	LOAD(f, f->as, prog_loop);
	start_regs(&r);
	assert_int_equal(waits(f, &r, 1, 1000), 0); /* no waits seen yet */
	assert_int_equal(stub_cpus(f), sp->ncpus);
	assert_int_equal(waits(f, &r, 32, 1000), sp->tune.block_spin_ns);
	assert_int_equal(run(f, f->as, &r, &t), 0); /* placed at this resume */
	assert_int_equal(stub_cpus(f), 1);
	/* Waits of 10 ms: no longer a ping-pong. */
	assert_int_equal(waits(f, &r, 32, 10000000), 0);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(stub_cpus(f), sp->ncpus);
	/* Syscalls that never wait: the same. */
	waits(f, &r, 32, 1000);
	for (int i = 0; i < 32; i++)
		assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(f->o->block_spin_ns(f->ctx), 0);
}

/* Under taskset (or a cpuset) a stub thread let run anywhere stays on the CPUs the
 * Sentry may use: not CPUs 0..n-1. */
static void stubs_keep_our_cpus(void **state)
{
	struct fixture *f = *state, g = *f;
	cpu_set_t old, one, got;
	struct plat_trap t;
	plat_regs_t r;
	int last = -1;

	assert_int_equal(sched_getaffinity(0, sizeof(old), &old), 0);
	for (int c = 0; c < 64; c++)
		if (CPU_ISSET(c, &old))
			last = c;
	if (CPU_COUNT(&old) < 2 || last < 1) {
		print_message("one CPU: nothing to keep apart\n");
		return;
	}
	CPU_ZERO(&one);
	CPU_SET(last, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	assert_int_equal(g.o->create(g.memfd, &g.p), 0);
	assert_int_equal(g.o->as_create(g.p, &g.as), 0);
	assert_int_equal(g.o->ctx_create(g.p, &g.ctx), 0);
	LOAD(&g, g.as, prog_loop);
	start_regs(&r);
	for (int i = 0; i < 3; i++)
		assert_int_equal(run(&g, g.as, &r, &t), 0);
	assert_int_equal(sched_getaffinity(((struct systrap_as *)g.as)->threads[0].tid,
					   sizeof(got), &got), 0);
	assert_true(CPU_EQUAL(&got, &one));
	g.o->ctx_release(g.ctx);
	g.o->as_release(g.as);
	g.o->destroy(g.p);
	assert_int_equal(sched_setaffinity(0, sizeof(old), &old), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(syscalls_trap_with_numbers),
		T(unmapped_access_faults),
		T(mapping_changes_apply),
		T(ud2_and_int3_fault),
		T(interrupt_stops_a_spinning_program),
		T(fpu_round_trip),
		T(fs_base_round_trip),
		T(two_address_spaces_alternate),
		T(two_contexts_share_an_address_space),
		T(stub_has_nothing_else),
		T(released_stub_is_reused_empty),
		T(killed_stub_is_reported),
		T(stub_killed_while_running),
		T(ping_pong_task_spins_and_pins),
		T(stubs_keep_our_cpus),
		T(syscall_round_trip_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
