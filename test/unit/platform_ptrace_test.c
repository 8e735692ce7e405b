/* platform_ptrace_test.c: the ptrace platform running tiny machine-code programs in stubs. */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <seccomp.h>

#include "platform/platform.h"
#include "platform/ptrace/ptrace_internal.h"

/* Guest programs: position-independent code copied into the memory file. */
#define PROG(name, body)                                                           \
	extern const char name[], name##_end[];                                    \
	__asm__(".pushsection .rodata\n" #name ":\n" body "\n" #name "_end:\n"   \
		".popsection\n")

/* getpid(); then exit(result + 1). */
PROG(prog_syscalls, "mov $39, %eax\n syscall\n lea 1(%rax), %rdi\n mov $60, %eax\n syscall\n ud2");
/* Read 8 bytes at rdi into rsi, then getpid() to report. */
PROG(prog_load, "mov (%rdi), %rsi\n mov $39, %eax\n syscall\n ud2");
/* Store 42 at rdi, then getpid(). */
PROG(prog_store, "movq $42, (%rdi)\n mov $39, %eax\n syscall\n ud2");
PROG(prog_ud2, "nop\n ud2");
PROG(prog_int3, "int3\n ud2");
PROG(prog_spin, "1: jmp 1b");
/* Spin reading (%rdi) until it faults. */
PROG(prog_spin_load, "1: mov (%rdi), %rax\n jmp 1b");
/* rdi = xmm0; xmm1 = rsi; getpid(). */
PROG(prog_xmm, "movq %xmm0, %rdi\n movq %rsi, %xmm1\n mov $39, %eax\n syscall\n ud2");
/* getpid() forever: the round-trip benchmark. */
PROG(prog_loop, "1: mov $39, %eax\n syscall\n jmp 1b");

#define CODE_ADDR 0x400000ULL
#define STACK_ADDR 0x500000ULL
#define DATA_ADDR 0x600000ULL
#define PG 4096ULL
/* Memory-file pages: 0 code, 1 stack, 2 and 3 data, 4 a second code page. */
#define CODE_OFF 0
#define STACK_OFF PG
#define DATA_OFF (2 * PG)
#define DATA2_OFF (3 * PG)
#define CODE2_OFF (4 * PG)
#define FILE_SIZE (16 * PG)
#define XMM0_OFF 160
#define XMM1_OFF 176

struct fixture {
	int memfd;
	uint8_t *mem; /* the Sentry's view of the memory file */
	struct platform *p;
	const struct platform_ops *o;
	struct plat_as *as;
	struct plat_ctx *ctx;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	f->memfd = memfd_create("platform-test", 0);
	assert_true(f->memfd >= 0);
	assert_int_equal(ftruncate(f->memfd, FILE_SIZE), 0);
	f->mem = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	assert_ptr_not_equal(f->mem, MAP_FAILED);
	f->o = &plat_ptrace_ops;
	assert_int_equal(f->o->create(f->memfd, &f->p), 0);
	assert_int_equal(f->o->as_create(f->p, &f->as), 0);
	assert_int_equal(f->o->ctx_create(f->p, &f->ctx), 0);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	f->o->ctx_release(f->ctx);
	f->o->as_release(f->as);
	f->o->destroy(f->p);
	munmap(f->mem, FILE_SIZE);
	close(f->memfd);
	free(f);
	return 0;
}

/* Copy a program into a code page of the file and map it (RX) and the stack (RW). */
static void load_at(struct fixture *f, struct plat_as *as, uint64_t code_off, const char *b,
		    const char *e)
{
	memset(f->mem + code_off, 0xcc, PG);
	memcpy(f->mem + code_off, b, (size_t)(e - b));
	assert_int_equal(f->o->as_map(as, CODE_ADDR, PG, code_off, PROT_READ | PROT_EXEC), 0);
	assert_int_equal(f->o->as_map(as, STACK_ADDR, PG, STACK_OFF, PROT_READ | PROT_WRITE), 0);
}
#define LOAD(f, as, prog) load_at(f, as, CODE_OFF, prog, prog##_end)

static void start_regs(plat_regs_t *r)
{
	memset(r, 0, sizeof(*r));
	r->rip = CODE_ADDR;
	r->rsp = STACK_ADDR + PG;
	r->eflags = 0x202;
}

static int run(struct fixture *f, struct plat_as *as, plat_regs_t *r, struct plat_trap *t)
{
	return f->o->switch_to(f->ctx, as, r, t);
}

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
	int ret;	/* switch_to with a context of this thread */
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
	oc->ret_foreign = oc->f->o->switch_to(oc->f->ctx, oc->f->as, &r, &t);
	oc->f->o->ctx_release(ctx);
	return NULL;
}

static void second_thread_is_refused(void **state)
{
	struct fixture *f = *state;
	struct other_ctx oc = { f, 0, 0 };
	struct plat_trap t;
	plat_regs_t r;
	pthread_t th;

	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(pthread_create(&th, NULL, run_from_other_thread, &oc), 0);
	pthread_join(th, NULL);
	assert_int_equal(oc.ret, -EOPNOTSUPP);
	/* A context used on another thread than its own is refused. */
	assert_int_equal(oc.ret_foreign, -EPERM);
	/* The owner goes on. */
	r.rax = 5;
	assert_int_equal(run(f, f->as, &r, &t), 0);
	assert_int_equal(t.kind, TRAP_SYSCALL);
	assert_int_equal(r.rdi, 6);
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

/* The stub's own filter: an injected syscall outside the list kills the stub. */
static void stub_filter_kills_other_syscalls(void **state)
{
	struct fixture *f = *state;
	struct ptrace_as *pas = (struct ptrace_as *)f->as;
	long args[6] = { 0 }, res = -1;
	struct plat_trap t;
	plat_regs_t r;
	pid_t pid;

	LOAD(f, f->as, prog_syscalls);
	start_regs(&r);
	assert_int_equal(run(f, f->as, &r, &t), 0);
	pid = pas->pid;
	args[0] = 0x700000;
	args[1] = PG;
	assert_int_equal(ptrace_stub_inject((struct ptrace_platform *)f->p, pid, SYS_munmap,
					    args, &res), 0);
	assert_int_equal(res, 0);
	assert_int_equal(ptrace_stub_inject((struct ptrace_platform *)f->p, pid, SYS_getpid,
					    args, &res), -ECHILD);
	assert_int_equal(waitpid(pid, NULL, WNOHANG | __WALL), -1);
	pas->pid = -1; /* reaped by the failed injection */
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

/* Everything above under a kill-by-default filter with only the platform's rules and
 * what this test needs: the rule list is complete for stubs and tracing. */
static void works_under_sentry_seccomp(void **state)
{
	static const int test_needs[] = {
		SCMP_SYS(write), SCMP_SYS(brk), SCMP_SYS(futex), SCMP_SYS(exit),
		SCMP_SYS(clock_gettime), SCMP_SYS(newfstatat), SCMP_SYS(fstat),
		SCMP_SYS(getrandom), SCMP_SYS(madvise), SCMP_SYS(rt_sigreturn),
	};
	struct fixture *f = *state;
	int status;
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0) {
		scmp_filter_ctx sc = seccomp_init(SCMP_ACT_KILL_PROCESS);
		struct plat_trap t;
		plat_regs_t r;
		int rc = 1;

		for (size_t i = 0; i < sizeof(test_needs) / sizeof(test_needs[0]); i++)
			seccomp_rule_add(sc, SCMP_ACT_ALLOW, test_needs[i], 0);
		if (!sc || f->o->add_seccomp_rules(f->p, sc) != 0 || seccomp_load(sc) != 0)
			_exit(2);
		seccomp_release(sc);
		LOAD(f, f->as, prog_syscalls);
		start_regs(&r);
		if (run(f, f->as, &r, &t) == 0 && t.kind == TRAP_SYSCALL && r.orig_rax == 39) {
			r.rax = 9;
			if (run(f, f->as, &r, &t) == 0 && r.orig_rax == 60 && r.rdi == 10)
				rc = 0;
		}
		f->o->as_release(f->as);
		_exit(rc);
	}
	assert_int_equal(waitpid(child, &status, 0), child);
	if (WIFSIGNALED(status))
		fail_msg("child killed by signal %d (a syscall missing from the rules?)",
			 WTERMSIG(status));
	assert_int_equal(WEXITSTATUS(status), 0);
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

	LOAD(f, f->as, prog_loop);
	start_regs(&r);
	for (int round = 0; round < 5; round++) {
		uint64_t t0 = now_ns();

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
		T(unmap_then_access_faults),
		T(protect_read_only_then_write_faults),
		T(fpu_round_trip),
		T(two_address_spaces_alternate),
		T(stub_has_nothing_else),
		T(other_threads_change_the_address_space),
		T(second_thread_is_refused),
		T(killed_stub_is_reported),
		T(stub_killed_while_running),
		T(stub_filter_kills_other_syscalls),
		T(new_context_adopts_stubs),
		T(works_under_sentry_seccomp),
		T(syscall_round_trip_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
