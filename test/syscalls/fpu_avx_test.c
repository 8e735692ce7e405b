/* Vector registers (AVX ymm, upper halves included; SSE xmm without AVX) survive every
 * kind of trap into the kernel: syscalls, page faults, a signal whose handler clobbers
 * them, fork, and other threads running in between. Each case loads all sixteen registers,
 * traps inside the same asm block and stores them back, so no compiled code touches them. */
#include "harness.h"

#include <cpuid.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <ucontext.h>

#define NREG 16
#define LANE 32 /* bytes per register saved (ymm; xmm uses the first 16) */

static bool g_avx;

struct vregs {
	uint8_t r[NREG][LANE];
} __attribute__((aligned(32)));

/* Load all registers from `in`, run `trap` (asm text; may use rax, rcx, rdx, r8-r12, and
 * rsi/rdi if it restores rdi), store them to `out`. */
#define VEC_AROUND(in, out, trap, ...)                                                   \
	do {                                                                             \
		const void *h_in = (in);                                                 \
		void *h_out = (out);                                                     \
		if (g_avx)                                                               \
			__asm__ volatile(VALL(R, "vmovdqu", "ymm") trap                   \
					 VALL(W, "vmovdqu", "ymm")                          \
					 : "+S"(h_in), "+D"(h_out) : __VA_ARGS__                 \
					 : VGPRS, "memory", VCLOBBER);                          \
		else                                                                     \
			__asm__ volatile(VALL(R, "movdqu", "xmm") trap                    \
					 VALL(W, "movdqu", "xmm")                           \
					 : "+S"(h_in), "+D"(h_out) : __VA_ARGS__                 \
					 : VGPRS, "memory", VCLOBBER);                          \
	} while (0)
#define R(op, rg, n) op " " #n "*32(%%rsi), %%" rg #n "\n"
#define W(op, rg, n) op " %%" rg #n ", " #n "*32(%%rdi)\n"
#define VALL(F, op, rg)                                                                  \
	F(op, rg, 0) F(op, rg, 1) F(op, rg, 2) F(op, rg, 3) F(op, rg, 4) F(op, rg, 5)        \
	F(op, rg, 6) F(op, rg, 7) F(op, rg, 8) F(op, rg, 9) F(op, rg, 10) F(op, rg, 11)      \
	F(op, rg, 12) F(op, rg, 13) F(op, rg, 14) F(op, rg, 15)
#define VGPRS "rax", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12"
#define VCLOBBER                                                                         \
	"xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",  \
	"xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15"

static void pattern(struct vregs *v, uint8_t seed)
{
	for (int i = 0; i < NREG; i++)
		for (int j = 0; j < LANE; j++)
			v->r[i][j] = (uint8_t)(seed + i * 37 + j * 11 + (j >= 16 ? 0x80 : 0));
}

static int lane_bytes(void)
{
	return g_avx ? 32 : 16;
}

/* Registers differ from the pattern: the first wrong register and byte, for messages. */
static bool same(const struct vregs *a, const struct vregs *b, int *reg, int *byte)
{
	for (int i = 0; i < NREG; i++)
		for (int j = 0; j < lane_bytes(); j++)
			if (a->r[i][j] != b->r[i][j]) {
				*reg = i, *byte = j;
				return false;
			}
	return true;
}

#define CHECK_VREGS(got, want)                                                           \
	do {                                                                             \
		int h_r = -1, h_b = -1;                                                  \
		bool h_ok = same(got, want, &h_r, &h_b);                                 \
		g_checks++;                                                              \
		if (!h_ok)                                                               \
			h_fail(__FILE__, __LINE__, "%s%d byte %d: want %#x got %#x",      \
			       g_avx ? "ymm" : "xmm", h_r, h_b, (want)->r[h_r][h_b],       \
			       (got)->r[h_r][h_b]);                                      \
	} while (0)

static bool cpuinfo_has_avx(void)
{
	char line[8192];
	bool avx = false;
	FILE *f = fopen("/proc/cpuinfo", "r");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5)) {
			avx = strstr(line, " avx ") || strstr(line, " avx\n");
			break;
		}
	fclose(f);
	return avx;
}

/* AVX is usable when CPUID says AVX and OSXSAVE and XCR0 enables SSE and AVX state. */
static void avx_usable_where_cpu_has_it(void)
{
	unsigned a, b, c, d;
	bool cpuid_avx;

	__cpuid(1, a, b, c, d);
	cpuid_avx = (c & bit_AVX) && (c & bit_OSXSAVE);
	if (cpuid_avx) {
		uint32_t lo, hi;

		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		CHECK_EQ(lo & 6, 6);
		g_avx = (lo & 6) == 6;
	}
	if (cpuinfo_has_avx())
		CHECK(g_avx);
	printf("  vector state checked: %s\n",
	       g_avx ? "AVX (ymm0-15, upper halves included)"
		     : "SSE only (xmm0-15): THIS CPU HAS NO AVX, the AVX cases are not run");
}

static void survive_syscalls(void)
{
	struct vregs in, out;

	pattern(&in, 1);
	memset(&out, 0, sizeof(out));
	VEC_AROUND(&in, &out,
		   "mov $1000, %%r8d\n"
		   "1: mov $39, %%eax\n syscall\n"	     /* getpid */
		   "mov $24, %%eax\n syscall\n"	     /* sched_yield */
		   "dec %%r8d\n jnz 1b\n");
	CHECK_VREGS(&out, &in);
}

static void survive_page_faults(void)
{
	struct vregs in, out;
	size_t n = 64;
	uint8_t *m = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);

	CHECK(m != MAP_FAILED);
	if (m == MAP_FAILED)
		return;
	pattern(&in, 2);
	VEC_AROUND(&in, &out,
		   "mov %[m], %%rdx\n mov %[n], %%r8\n"
		   "1: movb $1, (%%rdx)\n add $4096, %%rdx\n dec %%r8\n jnz 1b\n",
		   [m] "r"(m), [n] "r"(n));
	CHECK_VREGS(&out, &in);
	CHECK_EQ(m[(n - 1) * 4096], 1);
	munmap(m, n * 4096);
}

static volatile int g_handled;
static uint8_t g_seen_upper[16]; /* ymm0's upper half as the signal frame held it */
static bool g_frame_xsave;

static void clobber_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint8_t *fx = (uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t magic;

	(void)sig, (void)si;
	/* Linux's frame is an XSAVE image marked by FP_XSTATE_MAGIC1 in the software-reserved
	 * bytes of the FXSAVE area; ymm0's upper half is at offset 576 of it. */
	memcpy(&magic, fx + 464, 4);
	g_frame_xsave = magic == 0x46505853U;
	if (g_frame_xsave)
		memcpy(g_seen_upper, fx + 576, 16);
	if (g_avx)
		__asm__ volatile("vpcmpeqb %%ymm0, %%ymm0, %%ymm0\n vmovdqa %%ymm0, %%ymm15\n"
				 "vpxor %%ymm3, %%ymm3, %%ymm3" ::: "xmm0", "xmm3", "xmm15");
	else
		__asm__ volatile("pcmpeqb %%xmm0, %%xmm0\n movdqa %%xmm0, %%xmm15\n"
				 "pxor %%xmm3, %%xmm3" ::: "xmm0", "xmm3", "xmm15");
	g_handled++;
}

static void survive_signal_handler_clobbering_them(void)
{
	struct sigaction sa = { .sa_sigaction = clobber_handler, .sa_flags = SA_SIGINFO };
	struct vregs in, out;
	long pid = getpid(), tid = syscall(SYS_gettid);

	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	pattern(&in, 3);
	g_handled = 0;
	/* tgkill(pid, tid, SIGUSR1), keeping the out pointer in r12 */
	VEC_AROUND(&in, &out,
		   "mov %%rdi, %%r12\n mov $234, %%eax\n mov %[p], %%rdi\n mov %[t], %%rsi\n"
		   "mov $10, %%edx\n syscall\n mov %%r12, %%rdi\n",
		   [p] "r"(pid), [t] "r"(tid));
	CHECK_EQ(g_handled, 1);
	CHECK_VREGS(&out, &in);
	if (g_avx) {
		CHECK(g_frame_xsave);
		CHECK_MEM(g_seen_upper, &in.r[0][16], 16);
	}
	signal(SIGUSR1, SIG_DFL);
}

static void survive_fork(void)
{
	struct vregs in, out;
	long ret = 0;
	int reg = -1, byte = -1, st;

	pattern(&in, 4);
	memset(&out, 0, sizeof(out));
	VEC_AROUND(&in, &out, "mov $57, %%eax\n syscall\n mov %%rax, (%[r])\n", [r] "r"(&ret));
	if (ret == 0) /* the child: its registers are the parent's at fork */
		_exit(same(&out, &in, &reg, &byte) ? 0 : 10 + reg);
	CHECK(ret > 0);
	CHECK_VREGS(&out, &in);
	CHECK_EQ(waitpid((pid_t)ret, &st, 0), ret);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static void *other_thread(void *arg)
{
	struct vregs in, out;
	int reg, byte;

	pattern(&in, (uint8_t)(uintptr_t)arg);
	VEC_AROUND(&in, &out,
		   "mov $500, %%r8d\n 1: mov $24, %%eax\n syscall\n dec %%r8d\n jnz 1b\n");
	return (void *)(uintptr_t)!same(&out, &in, &reg, &byte);
}

static void threads_keep_their_own(void)
{
	pthread_t t[3];
	void *bad;

	for (int i = 0; i < 3; i++)
		CHECK_EQ(pthread_create(&t[i], NULL, other_thread, (void *)(uintptr_t)(50 + i)),
			 0);
	survive_syscalls();
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(pthread_join(t[i], &bad), 0);
		CHECK(bad == NULL);
	}
}

int main(void)
{
	h_begin();
	RUN(avx_usable_where_cpu_has_it);
	RUN(survive_syscalls);
	RUN(survive_page_faults);
	RUN(survive_signal_handler_clobbering_them);
	RUN(survive_fork);
	RUN(threads_keep_their_own);
	return h_end();
}
