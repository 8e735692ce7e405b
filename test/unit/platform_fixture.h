/* platform_fixture.h: shared set-up of the stub-process platform tests (ptrace, systrap):
 * guest programs, a memory file, a platform with one address space and one context.
 * Define FIXTURE_OPS (the backend's ops) before including it, and FIXTURE_AVAILABLE (an
 * expression) when the backend may be missing: setup then leaves f->p NULL. */
#ifndef RUNSC_TEST_PLATFORM_FIXTURE_H
#define RUNSC_TEST_PLATFORM_FIXTURE_H

#ifndef FIXTURE_OPS
#error "define FIXTURE_OPS (e.g. plat_ptrace_ops) before including platform_fixture.h"
#endif

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

#ifndef FIXTURE_AVAILABLE
#define FIXTURE_AVAILABLE 1
#endif

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
PROG(prog_int80, "mov $20, %eax\n int $0x80\n ud2");
PROG(prog_int3, "int3\n ud2");
PROG(prog_spin, "1: jmp 1b");
/* Spin reading (%rdi) until it faults. */
PROG(prog_spin_load, "1: mov (%rdi), %rax\n jmp 1b");
/* rdi = xmm0; xmm1 = rsi; getpid(). */
PROG(prog_xmm, "movq %xmm0, %rdi\n movq %rsi, %xmm1\n mov $39, %eax\n syscall\n ud2");
/* getpid() forever: the round-trip benchmark. */
PROG(prog_loop, "1: mov $39, %eax\n syscall\n jmp 1b");
/* Keeps r12..r15 and rbx: checks the GPRs survive a round trip. */
PROG(prog_regs, "mov $39, %eax\n syscall\n mov $40, %eax\n syscall\n ud2");

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
#define FILE_SIZE (64 * PG)
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

static inline int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	*state = f;
	if (!(FIXTURE_AVAILABLE))
		return 0;
	f->memfd = memfd_create("platform-test", 0);
	assert_true(f->memfd >= 0);
	assert_int_equal(ftruncate(f->memfd, FILE_SIZE), 0);
	f->mem = mmap(NULL, FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, f->memfd, 0);
	assert_ptr_not_equal(f->mem, MAP_FAILED);
	f->o = &FIXTURE_OPS;
	assert_int_equal(f->o->create(f->memfd, &f->p), 0);
	assert_int_equal(f->o->as_create(f->p, &f->as), 0);
	assert_int_equal(f->o->ctx_create(f->p, &f->ctx), 0);
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *f = *state;

	if (f->p) {
		f->o->ctx_release(f->ctx);
		f->o->as_release(f->as);
		f->o->destroy(f->p);
		munmap(f->mem, FILE_SIZE);
		close(f->memfd);
	}
	free(f);
	return 0;
}

/* Copy a program into a code page of the file and map it (RX) and the stack (RW). */
static inline void load_at(struct fixture *f, struct plat_as *as, uint64_t code_off, const char *b,
		    const char *e)
{
	memset(f->mem + code_off, 0xcc, PG);
	memcpy(f->mem + code_off, b, (size_t)(e - b));
	assert_int_equal(f->o->as_map(as, CODE_ADDR, PG, code_off, PROT_READ | PROT_EXEC), 0);
	assert_int_equal(f->o->as_map(as, STACK_ADDR, PG, STACK_OFF, PROT_READ | PROT_WRITE), 0);
}
#define LOAD(f, as, prog) load_at(f, as, CODE_OFF, prog, prog##_end)

static inline void start_regs(plat_regs_t *r)
{
	memset(r, 0, sizeof(*r));
	r->rip = CODE_ADDR;
	r->rsp = STACK_ADDR + PG;
	r->eflags = 0x202;
}

static inline int run(struct fixture *f, struct plat_as *as, plat_regs_t *r, struct plat_trap *t)
{
	return f->o->switch_to(f->ctx, as, r, t);
}

#endif
