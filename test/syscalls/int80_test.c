/* int $0x80 from a 64-bit program runs the i386 syscall ABI (Linux with IA32 emulation,
 * as Debian's kernels are built): i386 numbers in eax, arguments in ebx, ecx, edx, esi,
 * edi, ebp (only their low 32 bits), the result sign-extended in rax, and every other
 * register kept, rcx and r11 included. */
#include "harness.h"

#include <stdint.h>

struct regs80 {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, rbp, r8, r9, r10, r11, r12, r13, r14, r15;
};

/* Load every register from *r, run int $0x80, store every register back into *r. */
static void int80(struct regs80 *r)
{
	/* Below the red zone, where the compiler may keep data. */
	__asm__ volatile("sub $128, %%rsp\n push %%rbp\n push %%rbx\n push %%rax\n"
			 "mov 8(%%rax), %%rbx\n mov 16(%%rax), %%rcx\n mov 24(%%rax), %%rdx\n"
			 "mov 32(%%rax), %%rsi\n mov 40(%%rax), %%rdi\n mov 48(%%rax), %%rbp\n"
			 "mov 56(%%rax), %%r8\n mov 64(%%rax), %%r9\n mov 72(%%rax), %%r10\n"
			 "mov 80(%%rax), %%r11\n mov 88(%%rax), %%r12\n mov 96(%%rax), %%r13\n"
			 "mov 104(%%rax), %%r14\n mov 112(%%rax), %%r15\n mov (%%rax), %%rax\n"
			 "int $0x80\n"
			 "xchg %%rax, (%%rsp)\n" /* rax = r, the result on the stack */
			 "mov %%rbx, 8(%%rax)\n mov %%rcx, 16(%%rax)\n mov %%rdx, 24(%%rax)\n"
			 "mov %%rsi, 32(%%rax)\n mov %%rdi, 40(%%rax)\n mov %%rbp, 48(%%rax)\n"
			 "mov %%r8, 56(%%rax)\n mov %%r9, 64(%%rax)\n mov %%r10, 72(%%rax)\n"
			 "mov %%r11, 80(%%rax)\n mov %%r12, 88(%%rax)\n mov %%r13, 96(%%rax)\n"
			 "mov %%r14, 104(%%rax)\n mov %%r15, 112(%%rax)\n"
			 "pop %%rcx\n mov %%rcx, (%%rax)\n pop %%rbx\n pop %%rbp\n"
			 "add $128, %%rsp\n"
			 : "+a"(r)
			 :
			 : "rcx", "rdx", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14",
			   "r15", "memory", "cc");
}

static long call80(uint64_t nr, uint64_t a, uint64_t b, uint64_t c)
{
	struct regs80 r = { .rax = nr, .rbx = a, .rcx = b, .rdx = c };

	int80(&r);
	return (long)r.rax;
}

/* Static, so below 4 GiB in this non-PIE static program: int $0x80 passes 32 bits. */
static char g_path[256];
static char g_buf[64];
static int g_fds[2];

static void getpid_is_i386_20(void)
{
	CHECK_EQ(call80(20, 0, 0, 0), getpid());
	/* Only eax counts: the upper half of rax is ignored. */
	CHECK_EQ(call80(0x100000014ULL, 0, 0, 0), getpid());
	CHECK_EQ(call80(224, 0, 0, 0), syscall(SYS_gettid)); /* i386 gettid */
}

static void numbers_are_i386_ones(void)
{
	struct stat st;

	/* i386 39 is mkdir (x86-64 39 is getpid). */
	snprintf(g_path, sizeof(g_path), "%s", h_path("made-by-int80"));
	CHECK_EQ(call80(39, (uintptr_t)g_path, 0750, 0), 0);
	CHECK_OK(stat(g_path, &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 0777, 0750 & ~022 & 0777);
	/* i386 40 is rmdir. */
	CHECK_EQ(call80(40, (uintptr_t)g_path, 0, 0), 0);
	CHECK_ERR(stat(g_path, &st), ENOENT);
}

static void read_write_through_a_pipe(void)
{
	CHECK_OK(pipe(g_fds));
	memcpy(g_buf, "int80!", 6);
	/* i386 4 is write, 3 is read; the upper halves of rbx/rdx are ignored. */
	CHECK_EQ(call80(4, 0xdead000000000000ULL | (uint32_t)g_fds[1], (uintptr_t)g_buf,
			0xffffffff00000006ULL),
		 6);
	memset(g_buf, 0, sizeof(g_buf));
	CHECK_EQ(call80(3, (uint32_t)g_fds[0], (uintptr_t)g_buf, sizeof(g_buf)), 6);
	CHECK_MEM(g_buf, "int80!", 6);
	CHECK_EQ(call80(6, (uint32_t)g_fds[1], 0, 0), 0); /* i386 6 is close */
	CHECK_EQ(call80(3, (uint32_t)g_fds[0], (uintptr_t)g_buf, sizeof(g_buf)), 0);
	close(g_fds[0]);
}

static void errors_are_sign_extended(void)
{
	CHECK_EQ(call80(6, 0xffffffffULL, 0, 0), -EBADF); /* close(-1) */
	CHECK_EQ(call80(1000, 0, 0, 0), -ENOSYS);
	CHECK_EQ(call80(0xffffffffULL, 0, 0, 0), -ENOSYS);
}

static void registers_are_kept(void)
{
	struct regs80 r = { .rax = 20, .rbx = 1, .rcx = 2, .rdx = 3, .rsi = 4, .rdi = 5,
			    .rbp = 6, .r8 = 8, .r9 = 9, .r10 = 10, .r11 = 11, .r12 = 12,
			    .r13 = 13, .r14 = 14, .r15 = 15 };

	int80(&r);
	CHECK_EQ(r.rax, getpid());
	CHECK_EQ(r.rbx, 1);
	CHECK_EQ(r.rcx, 2); /* `syscall` would clobber rcx and r11; int $0x80 does not */
	CHECK_EQ(r.rdx, 3);
	CHECK_EQ(r.rsi, 4);
	CHECK_EQ(r.rdi, 5);
	CHECK_EQ(r.rbp, 6);
	CHECK_EQ(r.r8, 8);
	CHECK_EQ(r.r9, 9);
	CHECK_EQ(r.r10, 10);
	CHECK_EQ(r.r11, 11);
	CHECK_EQ(r.r12, 12);
	CHECK_EQ(r.r13, 13);
	CHECK_EQ(r.r14, 14);
	CHECK_EQ(r.r15, 15);
}

static void exit_through_int80(void)
{
	struct regs80 r = { .rax = 1, .rbx = 0x100000000ULL | 42 };
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int80(&r); /* i386 exit(42): the upper half of rbx is ignored */
		_exit(1);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 42);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	umask(022);
	RUN(getpid_is_i386_20);
	RUN(numbers_are_i386_ones);
	RUN(read_write_through_a_pipe);
	RUN(errors_are_sign_extended);
	RUN(registers_are_kept);
	RUN(exit_through_int80);
	return h_end();
}
