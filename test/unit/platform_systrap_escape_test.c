/* platform_systrap_escape_test.c: an application cannot make a host syscall on systrap:
 * jumping into the stub's syscall instructions with crafted registers kills only its own
 * stub; unmapping, remapping or protecting the stub region are trapped syscalls the Sentry
 * answers; writes to the code and request pages fault; scribbling over the writable
 * part of the region hurts nobody else. */
#include "test/unit/platform_systrap_fixture.h"

#include <poll.h>

#include "lib/util.h"

extern const char systrap_stub_begin[], systrap_stub_map_syscall[],
	systrap_stub_clone_syscall[], systrap_stub_reply_syscall[],
	systrap_stub_wake_syscall[];

/* Fill [rdi, rdi + rsi) with 0xa5 bytes, then getpid(); then getpid() again. */
PROG(prog_scribble, "1: movb $0xa5, (%rdi)\n inc %rdi\n dec %rsi\n jnz 1b\n"
		    " mov $39, %eax\n syscall\n mov $39, %eax\n syscall\n ud2");
/* munmap(rdi, rsi) as the application would. */
PROG(prog_munmap, "mov $11, %eax\n syscall\n ud2");

static uint64_t stub_addr(struct fixture *f, const char *sym)
{
	return ((struct systrap_platform *)f->p)->region + (uint64_t)(sym - systrap_stub_begin);
}

static bool pid_gone(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	return poll(&pfd, 1, 2000) == 1;
}

/* Run once so the stub exists, then jump to `target` with rax = nr and the given args. */
static void jump_is_fatal(struct fixture *f, const char *target, long nr, const long a[6])
{
	struct systrap_as *sas = (struct systrap_as *)f->as;
	struct plat_trap t;
	plat_regs_t r;
	uint64_t probe = 0x7777;

	memcpy(f->mem + DATA_OFF, &probe, 8);
	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	start_regs(&r);
	r.rip = stub_addr(f, target);
	r.rax = (uint64_t)nr;
	r.rdi = (uint64_t)a[0], r.rsi = (uint64_t)a[1], r.rdx = (uint64_t)a[2];
	r.r10 = (uint64_t)a[3], r.r8 = (uint64_t)a[4], r.r9 = (uint64_t)a[5];
	assert_int_equal(run(f, f->as, &r, &t), -ESRCH);
	assert_true(pid_gone(sas->pidfd));
	/* And the Sentry is fine: a new address space works. */
	f->o->as_release(f->as);
	assert_int_equal(f->o->as_create(f->p, &f->as), 0);
	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
}

static void jump_to_control_mmap_with_memory_file(void **state)
{
	/* mmap(0x700000, 16 pages, RW, MAP_SHARED|MAP_FIXED, memory file, 0): all memory
	 * of every sandboxed process would be the application's. */
	const long a[6] = { 0x700000, 16 * 4096, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_FIXED, SYSTRAP_FD_MEM, 0 };

	jump_is_fatal(*state, systrap_stub_map_syscall, SYS_mmap, a);
}

static void jump_to_control_reply_write(void **state)
{
	/* A forged "done" answer to the Sentry. */
	const long a[6] = { SYSTRAP_FD_SOCK, 0, 1 };
	struct fixture *f = *state;
	long b[6];

	memcpy(b, a, sizeof(b));
	b[1] = (long)((struct systrap_platform *)f->p)->region;
	jump_is_fatal(f, systrap_stub_reply_syscall, SYS_write, b);
}

static void jump_to_control_clone(void **state)
{
	const long a[6] = { SYSTRAP_CLONE_FLAGS, 0x500800, 0, 0, 0, 0 };

	jump_is_fatal(*state, systrap_stub_clone_syscall, SYS_clone, a);
}

static void jump_to_handler_syscall_with_other_numbers(void **state)
{
	const long kill_args[6] = { 1, SIGKILL };
	const long open_args[6] = { -100, 0, 0 };
	const long unmap_args[6] = { 0 };

	jump_is_fatal(*state, systrap_stub_wake_syscall, SYS_kill, kill_args);
	jump_is_fatal(*state, systrap_stub_wake_syscall, SYS_openat, open_args);
	jump_is_fatal(*state, systrap_stub_wake_syscall, SYS_getpid, unmap_args);
}

static void region_changes_are_trapped_syscalls(void **state)
{
	struct fixture *f = *state;
	struct systrap_platform *sp = (struct systrap_platform *)f->p;
	struct plat_trap t;
	plat_regs_t r;
	char path[64], line[256];
	int found = 0;
	FILE *maps;

	LOAD(f, f->as, prog_munmap);
	start_regs(&r);
	r.rdi = sp->region;
	r.rsi = SYSTRAP_REGION_SIZE;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL); /* the Sentry decides, and refuses */
	assert_int_equal(r.orig_rax, SYS_munmap);
	snprintf(path, sizeof(path), "/proc/%d/maps", ((struct systrap_as *)f->as)->pid);
	maps = fopen(path, "r");
	assert_non_null(maps);
	while (fgets(line, sizeof(line), maps))
		if (strtoull(line, NULL, 16) >= sp->region && !strstr(line, "[vsyscall]"))
			found++;
	fclose(maps);
	assert_int_equal(found, 3); /* code, request page, the rest */
	/* The platform refuses to map there for the Sentry too. */
	assert_int_equal(f->o->as_map(f->as, sp->region, PG, 0, PROT_READ), -EINVAL);
}

static void stores_to_code_and_request_pages_fault(void **state)
{
	struct fixture *f = *state;
	struct systrap_platform *sp = (struct systrap_platform *)f->p;
	uint64_t targets[2] = { sp->region + 16, sp->region + SYSTRAP_REQ_OFF };
	struct plat_trap t;
	plat_regs_t r;

	for (int i = 0; i < 2; i++) {
		LOAD(f, f->as, prog_store);
		start_regs(&r);
		r.rdi = targets[i];
		assert_int_equal(run(f, f->as, &r, &t), 0);
		assert_int_equal(t.kind, TRAP_FAULT);
		assert_int_equal(t.signo, SIGSEGV);
		assert_int_equal(t.code, SEGV_ACCERR);
		assert_int_equal(t.addr, targets[i]);
		assert_int_equal(t.access, PLAT_ACCESS_WRITE);
	}
}

/* The writable part: control scratch, every slot including the running thread's own
 * message block. The hand-off state is rewritten at every trap, so this is survivable;
 * the Sentry must at least never hang or crash. */
static void scribbling_over_the_writable_region(void **state)
{
	struct fixture *f = *state;
	struct systrap_platform *sp = (struct systrap_platform *)f->p;
	struct plat_trap t;
	plat_regs_t r;
	int ret;

	LOAD(f, f->as, prog_scribble);
	start_regs(&r);
	r.rdi = sp->region + SYSTRAP_CTL_OFF;
	r.rsi = SYSTRAP_SLOTS_OFF - SYSTRAP_CTL_OFF + M_SIZE; /* up to our alt stack */
	ret = run(f, f->as, &r, &t);
	print_message("after scribbling: switch_to %d, trap %d\n", ret, t.kind);
	if (ret == 0) {
		assert_int_equal(t.kind, TRAP_SYSCALL);
		ret = run(f, f->as, &r, &t);
		assert_true(ret == 0 || ret == -ESRCH || ret == -EFAULT);
	}
	/* Other address spaces are untouched. */
	struct plat_as *as2;
	assert_int_equal(f->o->as_create(f->p, &as2), 0);
	load_at(f, as2, CODE2_OFF, prog_syscalls, prog_syscalls_end);
	start_regs(&r);
	assert_int_equal(run(f, as2, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	f->o->as_release(as2);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(jump_to_control_mmap_with_memory_file),
		T(jump_to_control_reply_write),
		T(jump_to_control_clone),
		T(jump_to_handler_syscall_with_other_numbers),
		T(region_changes_are_trapped_syscalls),
		T(stores_to_code_and_request_pages_fault),
		T(scribbling_over_the_writable_region),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
