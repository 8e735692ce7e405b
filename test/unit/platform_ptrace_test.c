/* platform_ptrace_test.c: the ptrace platform running tiny programs: traps, faults, interrupts,
 * FPU, stub hygiene, dead stubs and the syscall round-trip time. */
#include "test/unit/platform_ptrace_fixture.h"

static void syscalls_trap_with_numbers(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.orig_rax, 39);
	assert_int_equal(r.rip, CODE_ADDR + 7); /* past mov(5) + syscall(2) */
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
	assert_int_equal(r.rip, CODE_ADDR); /* the faulting instruction */
	/* Jumping to an unmapped page is an instruction fetch. */
	start_regs(&r);
	r.rip = 0x20000000;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.addr, 0x20000000);
	assert_int_equal(t.access, PLAT_ACCESS_EXEC);
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
	assert_int_equal(r.rip, CODE_ADDR + 1); /* int3 reports the next instruction */
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
	assert_int_equal(r.rip, CODE_ADDR); /* still in the loop */

	/* Requested before switch_to: returns at once, registers untouched. */
	f->o->interrupt(f->ctx);
	r.rip = CODE_ADDR + 0x10;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_INTERRUPT);
	assert_int_equal(r.rip, CODE_ADDR + 0x10);

	/* Consumed: the next run is not interrupted; a stale signal is ignored. */
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

	/* Before any run: the initial state. */
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

	/* With a stub, set_fpu applies at once. */
	v = 0x0102030405060708ULL;
	memcpy(fpu.data + XMM0_OFF, &v, 8);
	assert_int_equal(f->o->set_fpu(f->ctx, &fpu), 0);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(r.rdi, v);
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
		/* as: sets xmm1 = x + i. */
		start_regs(&r);
		r.rsi = x + (uint64_t)i;
		assert_int_equal(run(f, f->as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
		/* as2 (different code at the same address): reads its own data page. */
		start_regs(&r);
		r.rdi = DATA_ADDR;
		assert_int_equal(run(f, as2, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_SYSCALL);
		assert_int_equal(r.rsi, b);
		/* The FPU state followed the context into as2. */
		assert_int_equal(f->o->get_fpu(f->ctx, &fpu), 0);
		assert_memory_equal(fpu.data + XMM1_OFF, &(uint64_t){ x + (uint64_t)i }, 8);
	}
	f->o->as_release(as2);
	/* The context still runs in the first one. */
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
}


static void stub_has_nothing_else(void **state)
{
	struct fixture *f = *state;
	struct ptrace_as *pas = (struct ptrace_as *)f->as;
	struct plat_trap t;
	plat_regs_t r;
	char path[64], line[256];
	int lines = 0, fds = 0;
	struct dirent *de;
	FILE *maps;
	DIR *d;

	LOAD(f, f->as, prog_load);
	start_regs(&r);
	r.rdi = (uint64_t)(uintptr_t)&stub_has_nothing_else; /* the Sentry's code */
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.signo, SIGSEGV);
	assert_int_equal(t.code, SEGV_MAPERR);
	assert_int_equal(t.addr, r.rdi);
	start_regs(&r);
	r.rdi = (uint64_t)(uintptr_t)&r; /* the Sentry's stack */
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.code, SEGV_MAPERR);

	/* Only the code, stack and stub pages (and the kernel's vsyscall). */
	snprintf(path, sizeof(path), "/proc/%d/maps", pas->pid);
	maps = fopen(path, "r");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps)) {
		if (strstr(line, "[vsyscall]"))
			continue;
		print_message("stub map: %s", line);
		lines++;
	}
	fclose(maps);
	assert_int_equal(lines, 3);
	/* Only the memory file is open. */
	snprintf(path, sizeof(path), "/proc/%d/fd", pas->pid);
	d = opendir(path);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			assert_int_equal(atoi(de->d_name), f->memfd);
			fds++;
		}
	closedir(d);
	assert_int_equal(fds, 1);
}


static void killed_stub_is_reported(void **state)
{
	struct fixture *f = *state;
	struct ptrace_as *pas = (struct ptrace_as *)f->as;
	struct plat_trap t;
	plat_regs_t r;
	pid_t pid;

	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	pid = pas->pid;
	kill(pid, SIGKILL);
	assert_int_equal(run(f, f->as, &r, &t), -ESRCH);
	assert_int_equal(run(f, f->as, &r, &t), -ESRCH);
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, DATA_OFF, PROT_READ), -ESRCH);
	/* Reaped: no zombie left behind. */
	assert_int_equal(waitpid(pid, NULL, WNOHANG | __WALL), -1);
	assert_int_equal(errno, ECHILD);
}


/* The stub dies between traps while running: the wait sees it, reaps it. */
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
	pid = ((struct ptrace_as *)f->as)->pid;
	LOAD(f, f->as, prog_spin);
	start_regs(&r);
	assert_int_equal(pthread_create(&th, NULL, kill_later, &pid), 0);
	assert_int_equal(run(f, f->as, &r, &t), -ECHILD);
	pthread_join(th, NULL);
	assert_int_equal(waitpid(pid, NULL, WNOHANG | __WALL), -1);
	assert_int_equal(errno, ECHILD);
}


/* The stub's own filter: an injected syscall outside the list kills the stub process. */
static void stub_filter_kills_other_syscalls(void **state)
{
	struct fixture *f = *state;
	struct ptrace_as *pas = (struct ptrace_as *)f->as;
	long args[6] = { 0 }, res = -1;
	struct plat_trap t;
	plat_regs_t r;
	pid_t pid, tid;

	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	pid = pas->pid;
	tid = ptrace_thread_of(pas, gettid())->tid;
	args[0] = 0x700000;
	args[1] = PG;
	assert_int_equal(ptrace_stub_inject((struct ptrace_platform *)f->p, tid, SYS_munmap,
					    args, &res), 0);
	assert_int_equal(res, 0);
	/* clone with other flags than the platform's: killed too. */
	args[0] = PTRACE_CLONE_FLAGS | CLONE_SETTLS;
	assert_int_equal(ptrace_stub_inject((struct ptrace_platform *)f->p, tid, SYS_clone,
					    args, &res), -ECHILD);
	/* The next switch finds the process dead and reaps what is left of it. */
	assert_int_equal(run(f, f->as, &r, &t), -ESRCH);
	assert_int_equal(waitpid(pid, NULL, WNOHANG | __WALL), -1);
	assert_int_equal(errno, ECHILD);
}


/* A new context on the same thread takes over the stubs of a released one. */
static void new_context_adopts_stubs(void **state)
{
	struct fixture *f = *state;
	struct plat_fpu fpu;
	struct plat_trap t;
	plat_regs_t r;

	LOAD(f, f->as, prog_xmm);
	start_regs(&r);
	r.rsi = 77;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	f->o->ctx_release(f->ctx);
	assert_int_equal(f->o->ctx_create(f->p, &f->ctx), 0);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	/* The new context brought its own (initial) FPU state: xmm0 = 0. */
	assert_int_equal(r.rdi, 0);
	assert_int_equal(f->o->get_fpu(f->ctx, &fpu), 0);
	assert_int_equal(fpu.data[XMM1_OFF], 0);
}


static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}


static void syscall_round_trip_time(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;
	const int n = 20000;
	uint64_t best = ~0ULL;

	/* First switch: forks the stub, maps code and stack, runs to the first trap. */
	uint64_t t0 = now_ns();
	LOAD(f, f->as, prog_loop);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	print_message("ptrace first switch (stub fork + 2 maps + trap): %llu ns\n",
		      (unsigned long long)(now_ns() - t0));
	/* An injected map in a live stub. */
	t0 = now_ns();
	for (int i = 0; i < 100; i++)
		assert_int_equal(f->o->as_map(f->as, DATA_ADDR + (uint64_t)(i % 2) * PG, PG,
					      DATA_OFF, PROT_READ), 0);
	print_message("ptrace as_map in a live stub: %llu ns\n",
		      (unsigned long long)(now_ns() - t0) / 100);
	for (int round = 0; round < 5; round++) {
		t0 = now_ns();

		for (int i = 0; i < n; i++) {
			assert_int_equal(run(f, f->as, &r, &t), 0);
			if (t.kind != TRAP_SYSCALL || r.orig_rax != 39)
				fail_msg("unexpected trap %d nr %llu", t.kind, r.orig_rax);
			r.rax = 1;
		}
		uint64_t per = (now_ns() - t0) / (uint64_t)n;
		print_message("ptrace getpid round trip: %llu ns (round %d)\n",
			      (unsigned long long)per, round);
		if (per < best)
			best = per;
	}
	print_message("ptrace getpid round trip, best of 5: %llu ns\n",
		      (unsigned long long)best);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(syscalls_trap_with_numbers),
		T(unmapped_access_faults),
		T(ud2_and_int3_fault),
		T(interrupt_stops_a_spinning_program),
		T(fpu_round_trip),
		T(two_address_spaces_alternate),
		T(stub_has_nothing_else),
		T(killed_stub_is_reported),
		T(stub_killed_while_running),
		T(stub_filter_kills_other_syscalls),
		T(new_context_adopts_stubs),
		T(syscall_round_trip_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
