/* signal.h: the x86-64 Linux signal ABI as the application sees it: sigcontext,
 * ucontext and rt_sigframe layouts, and the SA_ flags. Written from the ABI, sizes checked. */
#ifndef RUNSC_SENTRY_ABI_SIGNAL_H
#define RUNSC_SENTRY_ABI_SIGNAL_H

#include <signal.h>
#include <stdint.h>

#define ABI_SA_NOCLDSTOP 0x00000001
#define ABI_SA_NOCLDWAIT 0x00000002
#define ABI_SA_SIGINFO 0x00000004
#define ABI_SA_RESTORER 0x04000000
#define ABI_SA_ONSTACK 0x08000000
#define ABI_SA_RESTART 0x10000000
#define ABI_SA_NODEFER 0x40000000
#define ABI_SA_RESETHAND 0x80000000

#define ABI_SS_ONSTACK 1
#define ABI_SS_DISABLE 2
#define ABI_SS_AUTODISARM (1U << 31)
#define ABI_MINSIGSTKSZ 2048

#define FP_XSTATE_MAGIC1 0x46505853U
#define FP_XSTATE_MAGIC2 0x46505845U

struct abi_sigcontext {
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rdi, rsi, rbp, rbx, rdx, rax, rcx, rsp, rip, eflags;
	uint16_t cs, gs, fs, ss;
	uint64_t err, trapno, oldmask, cr2;
	uint64_t fpstate; /* app address of the FPU area, 0 if none */
	uint64_t reserved1[8];
};
_Static_assert(sizeof(struct abi_sigcontext) == 256, "sigcontext layout");

struct abi_stack {
	uint64_t ss_sp;
	int32_t ss_flags;
	int32_t pad;
	uint64_t ss_size;
};

struct abi_ucontext {
	uint64_t uc_flags;
	uint64_t uc_link;
	struct abi_stack uc_stack;
	struct abi_sigcontext uc_mcontext;
	uint64_t uc_sigmask;
};
_Static_assert(sizeof(struct abi_ucontext) == 304, "ucontext layout");

struct abi_rt_sigframe {
	uint64_t pretcode; /* return address: sa_restorer */
	struct abi_ucontext uc;
	siginfo_t info;
};
_Static_assert(sizeof(siginfo_t) == 128, "siginfo layout");

/* The software-reserved bytes (464..511) of the FXSAVE area in a signal frame. */
struct abi_fpx_sw_bytes {
	uint32_t magic1, extended_size;
	uint64_t xfeatures;
	uint32_t xstate_size, padding[7];
};

#define UC_FP_XSTATE 0x1
#define UC_SIGCONTEXT_SS 0x2
#define UC_STRICT_RESTORE_SS 0x4

#endif
