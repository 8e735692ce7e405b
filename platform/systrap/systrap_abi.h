/* systrap_abi.h: layout of the stub region shared by the stub code (stub_amd64.S) and the
 * Sentry: plain #defines so the assembler can read them too.
 *
 * Region, at a base B chosen at create() above PLAT_APP_MAX_ADDR, identical in every stub:
 *   B + 0            code page: stub code, then the parameter block (read-only, exec)
 *   B + REQ_OFF      request page: the Sentry's batch of ops for the control thread,
 *                    read-only in the stub (only the Sentry writes it)
 *   B + CTL_OFF      control thread scratch (doorbell buffer) and its stack
 *   B + SLOTS_OFF    NSLOTS slots, one per application thread of the stub: a message
 *                    block at the slot base, then the thread's signal alternate stack
 * Everything from REQ_OFF on lives in one memfd per stub (file offset = region offset -
 * REQ_OFF) that the Sentry maps read-write. All of it except the request page is writable
 * by the application too, so the Sentry treats it as untrusted input.
 */
#ifndef RUNSC_PLATFORM_SYSTRAP_ABI_H
#define RUNSC_PLATFORM_SYSTRAP_ABI_H

#define SYSTRAP_PAGE 4096
#define SYSTRAP_USER_END 0x00007ffffffff000	/* x86-64 TASK_SIZE, 4-level paging */

#define SYSTRAP_PARAMS_OFF 2048		/* parameter block inside the code page */
#define SYSTRAP_REQ_OFF 4096
#define SYSTRAP_CTL_OFF 8192
#define SYSTRAP_CTL_STACK_TOP 16384	/* control thread stack: [CTL_OFF + 2048, 16384) */
#define SYSTRAP_SLOTS_OFF 16384
#define SYSTRAP_SLOT_SHIFT 14
#define SYSTRAP_SLOT_SIZE (1 << SYSTRAP_SLOT_SHIFT)
#define SYSTRAP_NSLOTS 512		/* application threads per address space */
#define SYSTRAP_REGION_SIZE (SYSTRAP_SLOTS_OFF + SYSTRAP_NSLOTS * SYSTRAP_SLOT_SIZE)
#define SYSTRAP_FILE_SIZE (SYSTRAP_REGION_SIZE - SYSTRAP_REQ_OFF)

/* Fixed fd numbers inside a stub. */
#define SYSTRAP_FD_MEM 3	/* the Sentry's memory file */
#define SYSTRAP_FD_SOCK 4	/* SOCK_SEQPACKET to the Sentry: doorbells and replies */
#define SYSTRAP_FD_MSG 5	/* the region memfd, closed once mapped */

/* Parameter block (code page + PARAMS_OFF), written by the Sentry at create(). */
#define P_REGION 0		/* u64 B */
#define P_FSGSBASE 8		/* u32: rd/wr{fs,gs}base usable in user mode */
#define P_RDPID 12		/* u32: rdpid usable (it reads the CPU number) */
#define P_APPMASK 16		/* u64: blocked-signal mask of application threads */
#define P_FPROG_A 24		/* struct sock_fprog of the stub-wide filter (16 bytes) */
#define P_FPROG_B 40		/* struct sock_fprog of the application-thread filter */
#define P_FILTERS 64		/* the two programs' instructions */
#define P_FILTERS_MAX ((SYSTRAP_PAGE - SYSTRAP_PARAMS_OFF - P_FILTERS) / 8)

/* Request page: a header, then ops of 32 bytes. */
#define REQ_NOPS 0		/* u32 */
#define REQ_CPU 4		/* i32: pin the control thread to this CPU first, -1 = no */
#define REQ_CPUMASK 8		/* u64 mask for that */
#define REQ_OPS 16
#define OP_SIZE 32
#define OP_KIND 0		/* u32 */
#define OP_PROT 4		/* u32 */
#define OP_ADDR 8		/* u64 */
#define OP_LEN 16		/* u64 */
#define OP_OFF 24		/* u64 memory-file offset (MAP); for CLONE the stack top */
#define REQ_MAX_OPS ((SYSTRAP_PAGE - REQ_OPS) / OP_SIZE)
#define OPK_MAP 1
#define OPK_UNMAP 2
#define OPK_PROTECT 3
#define OPK_CLONE 4		/* addr = slot base; the new thread's tid goes to its M_TID */

/* Message block at a slot base (stub address and Sentry view alike). */
#define M_STATE 0		/* u32 futex word: ST_* */
#define M_SENTRY_WAIT 4		/* u32: the Sentry sleeps on M_STATE */
#define M_STUB_WAIT 8		/* u32: the handler sleeps on M_STATE */
#define M_SIGNO 12		/* i32 */
#define M_CODE 16		/* i32 si_code */
#define M_SPIN 20		/* u32: handler spin iterations before sleeping */
#define M_INFO 24		/* 16 bytes: siginfo bytes 16..31 (si_addr / sigsys) */
#define M_UCTX 40		/* u64: ucontext address - slot base */
#define M_FS_BASE 48		/* u64: app fs base (read on trap if FSGSBASE, set on resume) */
#define M_GS_BASE 56
#define M_FS_SET 64		/* u64: fs base last applied by arch_prctl (no FSGSBASE) */
#define M_GS_SET 72
#define M_WANT_CPU 80		/* i32 request number: when it differs from M_CUR_CPU (and is
				 * >= 0), set the affinity to M_CPUMASK before returning */
#define M_CUR_CPU 84		/* i32: request applied last */
#define M_CPUMASK 88		/* u64 CPU mask of the request */
#define M_TID 96		/* u32: host tid, stored by the control thread at clone */
#define M_WAKE_SPIN 100		/* u32: spin iterations for a handler woken while it sleeps
				 * (the Sentry thread it waits for was woken: a resume comes) */
#define M_STUB_CPU 104		/* i32: CPU the handler last trapped on (with P_RDPID) */
#define M_SENTRY_CPU 108	/* i32: CPU of the Sentry thread at its last resume */
#define M_HINT_CPU 112		/* i32: CPU of the thread that set M_WAKE_SPIN */
#define M_SIZE 256		/* the alternate stack starts after the block */

#define ST_NONE 0
#define ST_APP 1		/* running application code */
#define ST_TRAP 2		/* the handler published a trap and waits */
#define ST_RESUME 3		/* the Sentry wrote the new context: return to the app */

/* Threads the control thread clones. */
#define SYSTRAP_CLONE_FLAGS 0x50f00	/* VM|FS|FILES|SIGHAND|THREAD|SYSVSEM */

#endif
