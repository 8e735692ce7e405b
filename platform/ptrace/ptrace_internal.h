/* ptrace_internal.h: state shared by the ptrace platform's files (stubs, address spaces, contexts). */
#ifndef RUNSC_PLATFORM_PTRACE_INTERNAL_H
#define RUNSC_PLATFORM_PTRACE_INTERNAL_H

#include <linux/filter.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <unistd.h>

#include "lib/list.h"
#include "platform/extent.h"
#include "platform/platform.h"

#define PTRACE_STUB_SIZE 4096ULL
/* End of the x86-64 user address space with 4-level paging (the kernel's TASK_SIZE). */
#define PTRACE_USER_END 0x00007ffffffff000ULL
/* The signal interrupt() sends to a running stub. Any signal works: the stub never runs
 * handlers, every signal stops it for the tracer, which suppresses it. SIGSTKFLT is one
 * no other component sends. */
#define PTRACE_SIG_INTERRUPT SIGSTKFLT
/* Room for the stubs' seccomp program (see build_filter in ptrace_stub.c). */
#define PTRACE_FILTER_MAX 40
/* Flags of the clone that adds a thread to a stub process: a plain thread sharing
 * everything, no TLS, no tid writes (the stub has no writable memory). The stubs' own
 * filter allows clone with exactly these flags. */
#define PTRACE_CLONE_FLAGS                                                                 \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

struct ptrace_as;

/* The stub manager (ptrace_mgr.c): one host thread that forks every stub process and
 * traces its leader and its injector thread (see the top of ptrace_mgr.c). */
struct ptrace_mgr {
	pthread_mutex_t lock;		/* protects everything below */
	pthread_cond_t wake;		/* queue became non-empty, or quit */
	pthread_cond_t done;		/* a request completed */
	struct list_head queue;		/* struct ptrace_mgr_req, oldest first */
	pthread_t thread;
	pid_t pid;			/* process the thread runs in; 0 = not started */
	bool quit;
};

/* The platform instance. Immutable after create() except no_xstate, mgr and what own_lock
 * guards. */
struct ptrace_platform {
	struct platform base;
	int memfd;			/* the Sentry's memory file; same fd number in stubs */
	uint64_t stub_addr;		/* stub code page, in the Sentry and every stub */
	uint64_t stub_init;		/* where a forked child enters the page */
	uint64_t stub_syscall;		/* `syscall; int3` used for injection */
	uint64_t stub_clone;		/* clone injection; the child parks, the caller traps */
	uint64_t stub_clone_trap;	/* rip after the caller's int3 in stub_clone */
	struct sock_filter filter[PTRACE_FILTER_MAX];
	struct sock_fprog prog;		/* the stubs' own seccomp filter, built before fork */
	unsigned fpu_size;		/* bytes moved by PTRACE_(GET|SET)REGSET NT_X86_XSTATE */
	atomic_bool no_xstate;		/* XSTATE regset unusable: use (GET|SET)FPREGS */
	pthread_mutex_t own_lock;	/* ctx<->stub thread links, ctx->fpu_th, ctx->last */
	struct ptrace_mgr mgr;
};


enum ptrace_op_kind { PTRACE_OP_MAP, PTRACE_OP_UNMAP, PTRACE_OP_PROTECT };

/* One address-space change to inject. */
struct ptrace_op {
	enum ptrace_op_kind kind;
	int prot;
	uint64_t addr, size, off;
};
/* A batch of changes; contiguous ones are merged into one host call. */
struct ptrace_ops {
	struct ptrace_op *v;
	size_t n, cap;
};

/* One stub thread: runs application code for one context, traced by that context's host
 * thread. Lives in as->threads from its creation until it exits or the process dies. */
struct ptrace_thread {
	struct ptrace_as *as;
	struct ptrace_ctx *ctx;		/* owner; NULL = orphan, adoptable by tracer (own_lock) */
	pid_t tid;			/* the stub thread */
	pid_t tracer;			/* host tid tracing it */
	int cpu;			/* CPU it is pinned to, -1 = none (tracer only) */
	struct list_head as_link;	/* in as->threads (as->lock) */
	struct list_head ctx_link;	/* in ctx->threads (own_lock) */
};

/* One application address space = one stub process: a leader and an injector thread
 * traced by the manager, plus one thread per context that runs in it. */
struct ptrace_as {
	struct ptrace_platform *p;
	pthread_mutex_t lock;		/* protects everything below; held across injections */
	pid_t pid;			/* stub process (leader): 0 = not created yet, -1 = dead */
	pid_t injector;			/* stub thread the manager injects through */
	int inj_cpu;			/* CPU the injector is pinned to (manager only) */
	int err;			/* sticky failure (-errno): the stub no longer matches ext */
	struct plat_extents ext;	/* what is mapped */
	struct list_head threads;	/* struct ptrace_thread */
};

/* One application thread's context, bound to the host thread that created it. */
struct ptrace_ctx {
	struct ptrace_platform *p;
	pid_t tid;			/* the host thread */
	atomic_int interrupt;		/* interrupt() requested, not yet reported */
	atomic_int running_pid;		/* process of the stub thread being run */
	atomic_int running;		/* stub thread switch_to resumed, else 0 */
	struct list_head threads;	/* its stub threads, one per address space (own_lock) */
	struct ptrace_thread *last;	/* the one the last switch_to used, or NULL (own_lock) */
	struct ptrace_thread *fpu_th;	/* stub thread holding the live FPU state; NULL = fpu */
	struct plat_fpu fpu;		/* FPU state while no stub thread holds it */
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

/* ---- ptrace_stub.c: stub processes and threads ---- */

/* Map the stub code page into the Sentry and build the stubs' seccomp program. */
int ptrace_stub_setup(struct ptrace_platform *p);
void ptrace_stub_teardown(struct ptrace_platform *p);
/* Fork a stub from the calling thread, which becomes its tracer. On success the stub
 * holds only the stub page and sits stopped; *pid is its pid. */
int ptrace_stub_spawn(struct ptrace_platform *p, pid_t *pid);
/* waitpid for the next stop of tid, retrying EINTR. Returns 0 with *status, or -errno;
 * -ECHILD means the thread is gone: it exited or was killed (logged) and is reaped now. */
int ptrace_stub_wait(pid_t tid, int *status);
/* Wait until tid has exited and reap it; 0 also if someone else already reaped it. Any
 * Sentry thread may call it for a thread that is dying (killed, or told to exit). */
void ptrace_stub_reap(pid_t tid);
/* Run syscall nr(args) inside the stopped stub thread tid (caller is its tracer); its
 * registers are clobbered. Returns 0 with the syscall's result in *ret, or -errno. */
int ptrace_stub_inject(struct ptrace_platform *p, pid_t tid, long nr, const long args[6],
		       long *ret);
/* Add a thread to the stub process through its stopped thread tid (caller is tid's
 * tracer). The new thread is untraced and parks in the stub page; *child is its tid. */
int ptrace_stub_clone(struct ptrace_platform *p, pid_t tid, pid_t *child);
/* Make the calling thread the tracer of a parked stub thread and wait for its stop. */
int ptrace_stub_seize(pid_t tid);
/* End the stopped stub thread tid with an injected exit and reap it (caller is its
 * tracer). Returns 0, or -errno if it could not be made to exit (then it still runs). */
int ptrace_stub_thread_exit(struct ptrace_platform *p, pid_t tid);
/* Read or write the stub thread's FPU state (caller is its tracer, thread stopped). */
int ptrace_stub_get_fpu(struct ptrace_platform *p, pid_t tid, struct plat_fpu *fpu);
int ptrace_stub_set_fpu(struct ptrace_platform *p, pid_t tid, const struct plat_fpu *fpu);
/* Keep tid on the calling thread's CPU; *cpu caches where it is pinned (-1 = nowhere). */
void ptrace_stub_pin(pid_t tid, int *cpu);

/* ---- ptrace_extent.c: op batches (mapped ranges: platform/extent.h) ---- */
/* Append an op to a batch, merging it into the last one when contiguous. */
void ptrace_ops_push(struct ptrace_ops *b, enum ptrace_op_kind kind, uint64_t addr,
		     uint64_t size, uint64_t off, int prot);
void ptrace_ops_free(struct ptrace_ops *b);

/* ---- ptrace_mgr.c: the stub manager thread ---- */

/* Start the manager on first use (from the calling thread, whose seccomp filter and
 * credentials it inherits). Stop it: remaining stubs die with it (PDEATHSIG, EXITKILL). */
void ptrace_mgr_init(struct ptrace_mgr *m);
void ptrace_mgr_stop(struct ptrace_mgr *m);
/* Create as's stub process (leader + injector) and map as->ext into it. Caller holds
 * as->lock and as->pid == 0; on success as->pid and as->injector are set. */
int ptrace_mgr_spawn(struct ptrace_as *as);
/* Add a parked thread to as's live stub process; *tid is its tid. Holds as->lock. */
int ptrace_mgr_clone(struct ptrace_as *as, pid_t *tid);
/* Inject a batch of ops through as's injector. Holds as->lock; as is live. */
int ptrace_mgr_apply(struct ptrace_as *as, const struct ptrace_op *ops, size_t n);

/* ---- ptrace_as.c: address spaces ---- */

/* Inject one op into the stopped stub thread tid (caller is its tracer). Returns 0 or
 * -errno (the host's answer, or a ptrace failure). */
int ptrace_op_inject(struct ptrace_platform *p, pid_t tid, const struct ptrace_op *op);
/* Record that an op on the stub failed with err: every later use returns err. -ESRCH and
 * -ECHILD (a stub thread died or is gone) also kill the whole stub process and reap all
 * its threads. Caller holds as->lock. */
void ptrace_as_fail(struct ptrace_as *as, int err);
/* SIGKILL the stub process and reap every thread of it; as->pid becomes -1. Holds lock. */
void ptrace_as_kill(struct ptrace_as *as);

int ptrace_as_create(struct platform *p, struct plat_as **out);
void ptrace_as_release(struct plat_as *as);
int ptrace_as_map(struct plat_as *as, uint64_t addr, uint64_t size, uint64_t off, int prot);
int ptrace_as_unmap(struct plat_as *as, uint64_t addr, uint64_t size);
int ptrace_as_protect(struct plat_as *as, uint64_t addr, uint64_t size, int prot);

/* ---- ptrace_thread.c: stub threads of contexts ---- */

/* ctx's stub thread in as, attached now if it has none (a new thread in as's stub
 * process, forking the process first if needed). Context's own thread. */
int ptrace_thread_get(struct ptrace_ctx *ctx, struct ptrace_as *as,
		      struct ptrace_thread **out);
/* The stub thread in as traced by host thread tid, or NULL. Caller holds as->lock. */
struct ptrace_thread *ptrace_thread_of(struct ptrace_as *as, pid_t tid);
/* Detach th from its context (saving the FPU state if it holds it and the caller can
 * read it), unlink it from its address space and free it. If the caller is its tracer
 * and the process lives, the stub thread exits first. Holds own_lock and as->lock. */
void ptrace_thread_remove(struct ptrace_thread *th);
/* Make th hold ctx's FPU state before ctx runs on it (own_lock taken inside). */
int ptrace_ctx_fpu_to(struct ptrace_ctx *ctx, struct ptrace_thread *th);

/* ---- ptrace_switch.c: running application code ---- */

int ptrace_switch_to(struct plat_ctx *ctx, struct plat_as *as, plat_regs_t *regs,
		     struct plat_trap *trap);
void ptrace_interrupt(struct plat_ctx *ctx);

#endif
