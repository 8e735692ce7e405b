/* ptrace_internal.h: state shared by the ptrace platform's files (stubs, address spaces, contexts). */
#ifndef RUNSC_PLATFORM_PTRACE_INTERNAL_H
#define RUNSC_PLATFORM_PTRACE_INTERNAL_H

#include <linux/filter.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib/list.h"
#include "platform/platform.h"

#define PTRACE_STUB_SIZE 4096ULL
/* End of the x86-64 user address space with 4-level paging (the kernel's TASK_SIZE). */
#define PTRACE_USER_END 0x00007ffffffff000ULL
/* The signal interrupt() sends to a running stub. Any signal works: the stub never runs
 * handlers, every signal stops it for the tracer, which suppresses it. SIGSTKFLT is one
 * no other component sends. */
#define PTRACE_SIG_INTERRUPT SIGSTKFLT
/* Room for the stubs' seccomp program (see ptrace_stub_build_filter). */
#define PTRACE_FILTER_MAX 24

/* The platform instance. Immutable after create() except no_xstate and what own_lock guards. */
struct ptrace_platform {
	struct platform base;
	int memfd;			/* the Sentry's memory file; same fd number in stubs */
	uint64_t stub_addr;		/* stub code page, in the Sentry and every stub */
	uint64_t stub_init;		/* where a forked child enters the page */
	uint64_t stub_syscall;		/* `syscall; int3` used for injection */
	struct sock_filter filter[PTRACE_FILTER_MAX];
	struct sock_fprog prog;		/* the stubs' own seccomp filter, built before fork */
	unsigned fpu_size;		/* bytes moved by PTRACE_(GET|SET)REGSET NT_X86_XSTATE */
	atomic_bool no_xstate;		/* XSTATE regset unusable: use (GET|SET)FPREGS */
	pthread_mutex_t own_lock;	/* ctx<->as ownership links and ctx->fpu_as */
};

/* Mapped ranges of one stub, kept so protect can skip holes (host mprotect fails with
 * ENOMEM on them). Sorted by start, non-overlapping. */
struct ptrace_extent {
	uint64_t start, end;	/* page aligned, [start, end) */
	uint64_t off;		/* memory-file offset of start */
	int prot;
};
struct ptrace_extents {
	struct ptrace_extent *v;
	size_t n, cap;
};

enum ptrace_op_kind { PTRACE_OP_MAP, PTRACE_OP_UNMAP, PTRACE_OP_PROTECT };

/* One address-space change waiting for the stub's tracer to inject it. */
struct ptrace_op {
	enum ptrace_op_kind kind;
	int prot;
	uint64_t addr, size, off;
};

/* One application address space = one stub process. */
struct ptrace_as {
	struct ptrace_platform *p;
	pthread_mutex_t lock;		/* protects everything below except owner links */
	pthread_cond_t cond;		/* broadcast when `running` drops */
	pid_t pid;			/* stub process: 0 = not created yet, -1 = dead */
	pid_t tracer;			/* host tid tracing the stub (its creator) */
	bool running;			/* resumed by its tracer, stop not yet seen */
	int cpu;			/* CPU the stub is pinned to, -1 = none (tracer only) */
	int err;			/* sticky failure of a deferred op (-errno) */
	struct ptrace_op *ops;		/* deferred changes for a live stub, oldest first */
	size_t nops, ops_cap;
	struct ptrace_extents ext;	/* what is mapped once ops are applied */
	struct ptrace_ctx *owner;	/* context running the stub (own_lock) */
	struct list_head owner_link;	/* in owner->owned (own_lock) */
};

/* One application thread's context, bound to the host thread that created it. */
struct ptrace_ctx {
	struct ptrace_platform *p;
	pid_t tid;			/* the host thread */
	atomic_int interrupt;		/* interrupt() requested, not yet reported */
	atomic_int running;		/* pid of the stub switch_to resumed, else 0 */
	struct list_head owned;		/* address spaces this thread traces (own_lock) */
	struct ptrace_as *fpu_as;	/* stub holding the live FPU state; NULL = fpu (own_lock) */
	struct plat_fpu fpu;		/* FPU state while no stub holds it */
};

/* The calling host thread's tid, cached (tracer checks run on every switch). */
static inline pid_t ptrace_gettid(void)
{
	static __thread pid_t tid;

	if (!tid)
		tid = gettid();
	return tid;
}

static inline struct ptrace_as *to_pas(struct plat_as *as)
{
	return (struct ptrace_as *)as;
}
static inline struct ptrace_ctx *to_pctx(struct plat_ctx *ctx)
{
	return (struct ptrace_ctx *)ctx;
}
static inline struct ptrace_platform *to_pp(struct platform *p)
{
	return (struct ptrace_platform *)p;
}

/* ---- ptrace_stub.c: stub processes ---- */

/* Map the stub code page into the Sentry and build the stubs' seccomp program. */
int ptrace_stub_setup(struct ptrace_platform *p);
void ptrace_stub_teardown(struct ptrace_platform *p);
/* Fork a stub from the calling thread, which becomes its tracer. On success the stub
 * holds only the stub page and sits stopped; *pid is its pid. */
int ptrace_stub_spawn(struct ptrace_platform *p, pid_t *pid);
/* SIGKILL the stub and reap it. Any Sentry thread may call it, on a pid not yet reaped
 * (until then the pid cannot be reused, so the kill cannot hit another process). */
void ptrace_stub_kill(pid_t pid);
/* waitpid for the next stop of pid, retrying EINTR. Returns 0 with *status, or -errno;
 * -ECHILD means the stub is gone: it exited or was killed (logged) and is reaped now. */
int ptrace_stub_wait(pid_t pid, int *status);
/* Run syscall nr(args) inside a stopped stub (caller is its tracer); the stub's registers
 * are clobbered. Returns 0 with the syscall's result in *ret, or -errno on failure. */
int ptrace_stub_inject(struct ptrace_platform *p, pid_t pid, long nr, const long args[6],
		       long *ret);
/* Read or write the stub thread's FPU state (caller is its tracer, stub stopped). */
int ptrace_stub_get_fpu(struct ptrace_platform *p, pid_t pid, struct plat_fpu *fpu);
int ptrace_stub_set_fpu(struct ptrace_platform *p, pid_t pid, const struct plat_fpu *fpu);

/* ---- ptrace_extent.c: mapped-range bookkeeping ---- */

void ptrace_ext_free(struct ptrace_extents *s);
/* Forget [start, end), splitting extents at the edges. */
void ptrace_ext_remove(struct ptrace_extents *s, uint64_t start, uint64_t end);
/* Record [start, end) -> off with prot; the range must be free (call remove first). */
void ptrace_ext_insert(struct ptrace_extents *s, uint64_t start, uint64_t end, uint64_t off,
		       int prot);
/* Set prot on the mapped parts of [start, end) and call emit once per maximal run of
 * contiguous mapped addresses. Stops at and returns the first emit error. */
int ptrace_ext_protect(struct ptrace_extents *s, uint64_t start, uint64_t end, int prot,
		       int (*emit)(void *arg, uint64_t start, uint64_t end), void *arg);

/* ---- ptrace_as.c: address spaces ---- */

/* Apply the deferred ops of as by injection. Caller holds as->lock and is the tracer,
 * with the stub stopped. Returns 0 or the sticky -errno. */
int ptrace_as_flush(struct ptrace_as *as);
/* Queue a map of every recorded extent: the first thing a new stub runs. Holds lock. */
void ptrace_as_replay(struct ptrace_as *as);
/* Record that an op on the stub failed with err: every later use returns err. -ESRCH
 * (the stub died under ptrace) and -ECHILD (already reaped) also retire the stub: it is
 * killed and reaped if needed. Caller holds as->lock. */
void ptrace_as_fail(struct ptrace_as *as, int err);

int ptrace_as_create(struct platform *p, struct plat_as **out);
void ptrace_as_release(struct plat_as *as);
int ptrace_as_map(struct plat_as *as, uint64_t addr, uint64_t size, uint64_t off, int prot);
int ptrace_as_unmap(struct plat_as *as, uint64_t addr, uint64_t size);
int ptrace_as_protect(struct plat_as *as, uint64_t addr, uint64_t size, int prot);

/* ---- ptrace_switch.c: running application code ---- */

int ptrace_switch_to(struct plat_ctx *ctx, struct plat_as *as, plat_regs_t *regs,
		     struct plat_trap *trap);
void ptrace_interrupt(struct plat_ctx *ctx);

/* ---- ptrace.c: contexts and FPU ---- */

/* Make as's stub hold ctx's FPU state before ctx runs in it (own_lock taken inside). */
int ptrace_ctx_fpu_to(struct ptrace_ctx *ctx, struct ptrace_as *as);

#endif
