/* platform_ptrace_as_test.c: ptrace address spaces: map/unmap/protect, ops before the stub
 * exists and from other threads, and the Sentry seccomp rules. */
#include "test/unit/platform_ptrace_fixture.h"


static void unmap_then_access_faults(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

	LOAD(f, f->as, prog_load);
	memcpy(f->mem + DATA_OFF, "\x11\x22\x33\x44\x55\x66\x77\x88", 8);
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, DATA_OFF, PROT_READ), 0);
	start_regs(&r);
	r.rdi = DATA_ADDR;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.rsi, 0x8877665544332211ULL);

	assert_int_equal(f->o->as_unmap(f->as, DATA_ADDR, PG), 0);
	start_regs(&r);
	r.rdi = DATA_ADDR + 8;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.signo, SIGSEGV);
	assert_int_equal(t.code, SEGV_MAPERR);
	assert_int_equal(t.addr, DATA_ADDR + 8);
}


static void protect_read_only_then_write_faults(void **state)
{
	struct fixture *f = *state;
	struct plat_trap t;
	plat_regs_t r;

	LOAD(f, f->as, prog_store);
	memset(f->mem + DATA_OFF, 0, PG);
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, DATA_OFF, PROT_READ | PROT_WRITE),
			 0);
	start_regs(&r);
	r.rdi = DATA_ADDR + 16;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(f->mem[DATA_OFF + 16], 42); /* shared with the memory file */

	/* Protect a range with holes around the page: only mapped parts change. */
	assert_int_equal(f->o->as_protect(f->as, DATA_ADDR - 4 * PG, 8 * PG, PROT_READ), 0);
	start_regs(&r);
	r.rdi = DATA_ADDR + 24;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.signo, SIGSEGV);
	assert_int_equal(t.code, SEGV_ACCERR);
	assert_int_equal(t.addr, DATA_ADDR + 24);
	assert_int_equal(f->mem[DATA_OFF + 24], 0);

	/* Bad arguments. */
	assert_int_equal(f->o->as_protect(f->as, DATA_ADDR + 1, PG, PROT_READ), -EINVAL);
	assert_int_equal(f->o->as_map(f->as, PLAT_APP_MAX_ADDR, PG, 0, PROT_READ), -EINVAL);
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, 0, 0x100), -EINVAL);
	assert_int_equal(f->o->as_unmap(f->as, ~0ULL & ~(PG - 1), 2 * PG), -EINVAL);
}


/* Ops before the first switch only shape the final map, replayed into the new stub. */
static void ops_before_the_stub_exists(void **state)
{
	struct fixture *f = *state;
	struct ptrace_as *pas = (struct ptrace_as *)f->as;
	struct plat_trap t;
	plat_regs_t r;
	char path[64], line[256];
	int lines = 0;
	FILE *maps;

	LOAD(f, f->as, prog_store);
	/* Two data pages mapped one by one, contiguous in the file: one host mapping. */
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR, PG, DATA_OFF, PROT_READ | PROT_WRITE), 0);
	assert_int_equal(f->o->as_map(f->as, DATA_ADDR + PG, PG, DATA2_OFF,
				      PROT_READ | PROT_WRITE), 0);
	/* A page mapped then unmapped, and a read-only protect of the first data page. */
	assert_int_equal(f->o->as_map(f->as, 0x700000, PG, DATA_OFF, PROT_READ), 0);
	assert_int_equal(f->o->as_unmap(f->as, 0x700000, PG), 0);
	assert_int_equal(f->o->as_protect(f->as, DATA_ADDR, PG, PROT_READ), 0);
	assert_int_equal(pas->pid, 0);

	start_regs(&r);
	r.rdi = DATA_ADDR + PG; /* writable */
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(f->mem[DATA2_OFF], 42);
	start_regs(&r);
	r.rdi = DATA_ADDR; /* read-only */
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.code, SEGV_ACCERR);
	start_regs(&r);
	r.rdi = 0x700000; /* unmapped */
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.code, SEGV_MAPERR);

	/* Live stub: back to one writable host mapping for both data pages (the host merges
	 * them again): code, stack, data, stub. */
	assert_int_equal(f->o->as_protect(f->as, DATA_ADDR, PG, PROT_READ | PROT_WRITE), 0);
	snprintf(path, sizeof(path), "/proc/%d/maps", pas->pid);
	maps = fopen(path, "r");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps))
		lines += strstr(line, "[vsyscall]") == NULL;
	fclose(maps);
	assert_int_equal(lines, 4);
}


struct mapper {
	struct fixture *f;
	struct plat_as *as;
	int ret;
};


static void *map_from_other_thread(void *arg)
{
	struct mapper *m = arg;

	LOAD(m->f, m->as, prog_load);
	m->ret = m->f->o->as_map(m->as, DATA_ADDR, PG, DATA_OFF, PROT_READ);
	return NULL;
}


static void *unmap_while_running(void *arg)
{
	struct mapper *m = arg;
	struct timespec ts = { 0, 50 * 1000000L };

	nanosleep(&ts, NULL);
	m->ret = m->f->o->as_unmap(m->as, DATA_ADDR, PG);
	return NULL;
}


static void other_threads_change_the_address_space(void **state)
{
	struct fixture *f = *state;
	struct mapper m = { f, f->as, -1 };
	struct plat_trap t;
	plat_regs_t r;
	pthread_t th;

	/* Like fork: another thread fills the new address space before it first runs. */
	memcpy(f->mem + DATA_OFF, "\x07\0\0\0\0\0\0\0", 8);
	assert_int_equal(pthread_create(&th, NULL, map_from_other_thread, &m), 0);
	pthread_join(th, NULL);
	assert_int_equal(m.ret, 0);
	start_regs(&r);
	r.rdi = DATA_ADDR;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.rsi, 7);

	/* Another thread unmaps while the program spins on the page: the stub is
	 * stopped, the change applied, and the next access faults. */
	LOAD(f, f->as, prog_spin_load);
	m.ret = -1;
	assert_int_equal(pthread_create(&th, NULL, unmap_while_running, &m), 0);
	start_regs(&r);
	r.rdi = DATA_ADDR;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	pthread_join(th, NULL);
	assert_int_equal(m.ret, 0);
	assert_int_equal(t.kind, TRAP_FAULT);
	assert_int_equal(t.signo, SIGSEGV);
	assert_int_equal(t.addr, DATA_ADDR);
}


struct other_ctx {
	struct fixture *f;
	int ret;	 /* switch_to with a context of this thread */
	uint64_t rdi;	 /* its exit argument */
	int ret_foreign; /* switch_to with the main thread's context */
};


static void *run_from_other_thread(void *arg)
{
	struct other_ctx *oc = arg;
	struct plat_ctx *ctx;
	struct plat_trap t;
	plat_regs_t r;

	if (oc->f->o->ctx_create(oc->f->p, &ctx) != 0)
		return NULL;
	start_regs(&r);
	oc->ret = oc->f->o->switch_to(ctx, oc->f->as, &r, &t);
	if (oc->ret == 0 && t.kind == TRAP_SYSCALL && r.orig_rax == 39) {
		r.rax = 100;
		oc->ret = oc->f->o->switch_to(ctx, oc->f->as, &r, &t);
		oc->rdi = r.rdi;
	}
	oc->ret_foreign = oc->f->o->switch_to(oc->f->ctx, oc->f->as, &r, &t);
	oc->f->o->ctx_release(ctx);
	return NULL;
}


static int count_tasks(pid_t pid)
{
	char path[64];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += de->d_name[0] != '.';
	closedir(d);
	return n;
}


/* A second host thread gets its own stub thread in the same process; leaving removes it. */
static void second_thread_runs_in_the_same_stub(void **state)
{
	struct fixture *f = *state;
	struct ptrace_as *pas = (struct ptrace_as *)f->as;
	struct other_ctx oc = { f, -1, 0, 0 };
	struct plat_trap t;
	plat_regs_t r;
	pthread_t th;

	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	/* Leader, injector, this thread's. */
	assert_int_equal(count_tasks(pas->pid), 3);
	assert_int_equal(pthread_create(&th, NULL, run_from_other_thread, &oc), 0);
	pthread_join(th, NULL);
	assert_int_equal(oc.ret, 0);
	assert_int_equal(oc.rdi, 101);
	/* A context used on another thread than its own is refused. */
	assert_int_equal(oc.ret_foreign, -EPERM);
	/* Its stub thread is gone, reaped; the owner goes on. */
	assert_int_equal(count_tasks(pas->pid), 3);
	r.rax = 5;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.rdi, 6);
}


struct seccomp_thread {
	struct fixture *f;
	struct plat_as *as;
	int ok;
};


static void *seccomp_thread_main(void *arg)
{
	struct seccomp_thread *st = arg;
	struct plat_ctx *ctx;
	struct plat_trap t;
	plat_regs_t r;

	if (st->f->o->ctx_create(st->f->p, &ctx) != 0)
		return NULL;
	start_regs(&r);
	if (st->f->o->switch_to(ctx, st->as, &r, &t) == 0 && t.kind == TRAP_SYSCALL &&
	    r.orig_rax == 39)
		st->ok = 1;
	st->f->o->ctx_release(ctx);
	return NULL;
}


/* A new platform under a kill-by-default filter with only the platform's rules and what
 * this test needs (the manager thread starts under it): the rule list is complete for
 * stubs, tracing, and threads attaching and leaving. */
static void works_under_sentry_seccomp(void **state)
{
	static const int test_needs[] = {
		SCMP_SYS(write), SCMP_SYS(brk), SCMP_SYS(futex), SCMP_SYS(exit),
		SCMP_SYS(clock_gettime), SCMP_SYS(newfstatat), SCMP_SYS(fstat),
		SCMP_SYS(getrandom), SCMP_SYS(madvise), SCMP_SYS(rt_sigreturn),
		SCMP_SYS(sigaltstack), /* ASan's thread start */
	};
	struct fixture *f = *state;
	int status;
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0) {
		scmp_filter_ctx sc = seccomp_init(SCMP_ACT_KILL_PROCESS);
		struct seccomp_thread st = { f, NULL, 0 };
		struct plat_trap t;
		plat_regs_t r;
		pthread_t th;
		int rc = 1;

		for (size_t i = 0; i < sizeof(test_needs) / sizeof(test_needs[0]); i++)
			seccomp_rule_add(sc, SCMP_ACT_ALLOW, test_needs[i], 0);
		/* As the Sentry's filter does, so glibc falls back to clone. */
		seccomp_rule_add(sc, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
		/* A platform made before the filter, as boot does; used after it. */
		if (!sc || f->o->create(f->memfd, &f->p) != 0 ||
		    f->o->add_seccomp_rules(f->p, sc) != 0 || seccomp_load(sc) != 0)
			_exit(2);
		seccomp_release(sc);
		if (f->o->as_create(f->p, &f->as) != 0 || f->o->ctx_create(f->p, &f->ctx) != 0)
			_exit(3);
		st.as = f->as;
		LOAD(f, f->as, prog_syscalls);
		start_regs(&r);
		if (run(f, f->as, &r, &t) == 0 && t.kind == TRAP_SYSCALL && r.orig_rax == 39) {
			r.rax = 9;
			if (run(f, f->as, &r, &t) == 0 && r.orig_rax == 60 && r.rdi == 10)
				rc = 0;
		}
		/* A second thread attaches and leaves. */
		if (pthread_create(&th, NULL, seccomp_thread_main, &st) != 0)
			_exit(4);
		pthread_join(th, NULL);
		if (!st.ok)
			rc = 5;
		f->o->ctx_release(f->ctx);
		f->o->as_release(f->as);
		f->o->destroy(f->p);
		_exit(rc);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d (a syscall missing from the rules?)",
			 WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(unmap_then_access_faults),
		T(protect_read_only_then_write_faults),
		T(ops_before_the_stub_exists),
		T(other_threads_change_the_address_space),
		T(second_thread_runs_in_the_same_stub),
		T(works_under_sentry_seccomp),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
