/* systrap_filter.c: the stub page's parameter block and the stubs' two seccomp programs.
 *
 * Filter A is installed by a new stub for the whole process: application syscalls (an
 * instruction pointer outside the code page) trap; from the code page only what the
 * control thread, thread start and the handler make, with arguments checked where they
 * matter. Filter B is added by every application thread on top: from the code page it
 * allows only the handler's calls, so an application that jumps into the control
 * thread's code with crafted registers is killed instead of mapping, cloning or writing.
 */
#include "platform/systrap/systrap_internal.h"

#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

struct bld {
	struct sock_filter *f;
	unsigned n, max;
	bool overflow;
};

static void emit(struct bld *b, uint16_t code, uint8_t jt, uint8_t jf, uint32_t k)
{
	if (b->n >= b->max) {
		b->overflow = true;
		return;
	}
	b->f[b->n++] = (struct sock_filter){ code, jt, jf, k };
}

#define LD(b, off) emit(b, BPF_LD | BPF_W | BPF_ABS, 0, 0, off)
#define JEQ(b, k, jt, jf) emit(b, BPF_JMP | BPF_JEQ | BPF_K, jt, jf, k)
#define RET(b, k) emit(b, BPF_RET | BPF_K, 0, 0, k)
#define ARG_LO(i) ((uint32_t)offsetof(struct seccomp_data, args[i]))
#define ARG_HI(i) (ARG_LO(i) + 4)

/* Checks of one argument: its high half is 0 and its low half is one of vals. */
struct cond {
	int arg;
	int nvals;
	uint32_t vals[2];
};

/* nr: ALLOW if every condition holds, else KILL_PROCESS. Layout per condition: ld hi,
 * jeq 0, ld lo, one jeq per value (to the next condition), ja kill. */
static void rule(struct bld *b, int nr, const struct cond *c, int nc)
{
	unsigned len = 1 + 2, pos = 1;

	for (int i = 0; i < nc; i++)
		len += (unsigned)c[i].nvals + 4;
	JEQ(b, (uint32_t)nr, 0, (uint8_t)(len - 1));
	for (int i = 0; i < nc; i++) {
		unsigned n = (unsigned)c[i].nvals;

		LD(b, ARG_HI(c[i].arg));
		JEQ(b, 0, 0, (uint8_t)(len - 1 - (pos + 2)));
		LD(b, ARG_LO(c[i].arg));
		for (unsigned k = 0; k < n; k++)
			JEQ(b, c[i].vals[k], (uint8_t)(n - k), 0);
		emit(b, BPF_JMP | BPF_JA, 0, 0, len - 1 - (pos + 4 + n));
		pos += n + 4;
	}
	RET(b, SECCOMP_RET_ALLOW);
	RET(b, SECCOMP_RET_KILL_PROCESS);
}

static void allow(struct bld *b, int nr)
{
	JEQ(b, (uint32_t)nr, 0, 1);
	RET(b, SECCOMP_RET_ALLOW);
}

/* Common head: x86-64 only, except that `int $0x80` (arch i386) gets `outside` (the
 * application's i386 syscalls trap to the Sentry); an instruction pointer outside the
 * code page gets `outside`; then the syscall number is loaded. */
static void head(struct bld *b, uint64_t code, uint32_t outside)
{
	LD(b, offsetof(struct seccomp_data, arch));
	JEQ(b, AUDIT_ARCH_X86_64, 3, 0);
	JEQ(b, AUDIT_ARCH_I386, 0, 1);
	RET(b, outside);
	RET(b, SECCOMP_RET_KILL_PROCESS);
	LD(b, offsetof(struct seccomp_data, instruction_pointer) + 4);
	JEQ(b, (uint32_t)(code >> 32), 1, 0);
	RET(b, outside);
	LD(b, offsetof(struct seccomp_data, instruction_pointer));
	emit(b, BPF_ALU | BPF_AND | BPF_K, 0, 0, (uint32_t)~(SYSTRAP_PAGE - 1));
	JEQ(b, (uint32_t)code, 1, 0);
	RET(b, outside);
	LD(b, offsetof(struct seccomp_data, nr));
}

/* Filter A, the whole stub: application syscalls trap; from the code page only what the
 * control thread, thread start and the handler make, with their arguments. */
static void build_filter_a(struct bld *b, uint64_t code)
{
	static const struct cond futex_op = { 1, 2, { 0 /* WAIT */, 1 /* WAKE */ } };
	static const struct cond set_base = { 0, 2, { 0x1002 /* FS */, 0x1001 /* GS */ } };
	static const struct cond self = { 0, 1, { 0 } };
	static const struct cond map[] = { { 4, 1, { SYSTRAP_FD_MEM } },
					   { 3, 1, { MAP_SHARED | MAP_FIXED } } };
	static const struct cond clone_flags = { 0, 1, { SYSTRAP_CLONE_FLAGS } };
	static const struct cond sock = { 0, 1, { SYSTRAP_FD_SOCK } };
	static const struct cond filter[] = { { 0, 1, { SECCOMP_SET_MODE_FILTER } },
					      { 1, 1, { 0 } } };

	head(b, code, SECCOMP_RET_TRAP);
	allow(b, __NR_rt_sigreturn);
	rule(b, __NR_futex, &futex_op, 1);		/* handler <-> Sentry */
	rule(b, __NR_arch_prctl, &set_base, 1);		/* fs/gs base without FSGSBASE */
	rule(b, __NR_sched_setaffinity, &self, 1);	/* pin self */
	rule(b, __NR_mmap, map, 2);			/* control thread: memory file */
	allow(b, __NR_munmap);				/* control thread */
	allow(b, __NR_mprotect);			/* control thread */
	rule(b, __NR_clone, &clone_flags, 1);		/* control thread: app threads */
	rule(b, __NR_read, &sock, 1);			/* control thread: doorbell */
	rule(b, __NR_write, &sock, 1);			/* control thread: reply */
	allow(b, __NR_rt_sigprocmask);			/* thread start */
	allow(b, __NR_sigaltstack);			/* thread start */
	rule(b, __NR_seccomp, filter, 2);		/* thread start: filter B */
	allow(b, __NR_exit_group);			/* control thread: Sentry gone */
	RET(b, SECCOMP_RET_KILL_PROCESS);
}

/* Filter B, added by each application thread: from the code page only what the handler
 * makes (filter A checks the arguments); other IPs are left to filter A (trap). So an
 * application that jumps into the control thread's code cannot map, clone or write. */
static void build_filter_b(struct bld *b, uint64_t code)
{
	head(b, code, SECCOMP_RET_ALLOW);
	allow(b, __NR_rt_sigreturn);
	allow(b, __NR_futex);
	allow(b, __NR_arch_prctl);
	allow(b, __NR_sched_setaffinity);
	RET(b, SECCOMP_RET_KILL_PROCESS);
}

struct fprog_image {	/* struct sock_fprog as the stub reads it */
	uint16_t len;
	uint16_t pad[3];
	uint64_t filter;
};

int systrap_params_fill(struct systrap_platform *p, uint8_t *page)
{
	uint8_t *par = page + SYSTRAP_PARAMS_OFF;
	struct sock_filter *f = (struct sock_filter *)(par + P_FILTERS);
	struct bld a = { f, 0, P_FILTERS_MAX, false }, b;
	struct fprog_image pa, pb;
	uint64_t mask = systrap_app_sigmask(), fsgs = p->fsgsbase;
	uint32_t rdpid = p->rdpid;

	build_filter_a(&a, p->region);
	b = (struct bld){ f + a.n, 0, P_FILTERS_MAX - a.n, false };
	build_filter_b(&b, p->region);
	if (a.overflow || b.overflow)
		return -E2BIG;
	pa = (struct fprog_image){ .len = (uint16_t)a.n,
				   .filter = p->region + SYSTRAP_PARAMS_OFF + P_FILTERS };
	pb = (struct fprog_image){ .len = (uint16_t)b.n, .filter = pa.filter + a.n * 8 };
	memcpy(par + P_REGION, &p->region, 8);
	memcpy(par + P_FSGSBASE, &fsgs, 4);
	memcpy(par + P_RDPID, &rdpid, 4);
	memcpy(par + P_APPMASK, &mask, 8);
	memcpy(par + P_FPROG_A, &pa, sizeof(pa));
	memcpy(par + P_FPROG_B, &pb, sizeof(pb));
	return 0;
}
