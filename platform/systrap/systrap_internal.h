/* systrap_internal.h: state shared by the systrap platform's files: stubs, address
 * spaces, stub threads, contexts. Layout constants are in systrap_abi.h. */
#ifndef RUNSC_PLATFORM_SYSTRAP_INTERNAL_H
#define RUNSC_PLATFORM_SYSTRAP_INTERNAL_H

#include <linux/filter.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/extent.h"
#include "platform/platform.h"
#include "platform/systrap/systrap_abi.h"

/* Released stubs kept for reuse (systrap_pool.c), and the most threads one may have. */
#define SYSTRAP_POOL_MAX 4
#define SYSTRAP_POOL_MAX_THREADS 64

/* The signal interrupt() sends to a stub thread running application code. */
#define SYSTRAP_SIG_INTERRUPT SIGSTKFLT

/* Where a stub thread runs relative to the Sentry thread that drives it. */
enum systrap_pin {
	SYSTRAP_PIN_NONE,	/* wherever the host scheduler puts it */
	SYSTRAP_PIN_SAME,	/* on the Sentry thread's current CPU: futex hand-offs are cheap */
	SYSTRAP_PIN_OTHER,	/* on any other CPU: spinning hand-offs work */
};

/* Kinds of trap the handler's spin is predicted by (systrap_handoff_kind). */
#define SPIN_KEYS 16

/* How the Sentry and a stub thread hand a trap to each other (see systrap_switch.c). */
struct systrap_tune {
	unsigned sentry_spin_ns;	/* how long the Sentry spins before the futex */
	unsigned stub_spin_ns;		/* same for the stub's handler */
	enum systrap_pin pin;
	unsigned block_spin_ns;		/* a ping-pong task's wait in the Sentry (0: sleep) */
};

/* The platform instance. Immutable after create() except what the locks guard. */
struct systrap_platform {
	struct platform base;
	int memfd;			/* the Sentry's memory file (SYSTRAP_FD_MEM in stubs) */
	uint64_t region;		/* B: the code page, same address everywhere */
	unsigned fpu_size;		/* plat_fpu_size() */
	uint32_t mxcsr_mask;		/* MXCSR bits the CPU accepts */
	uint64_t xcr0;			/* XSAVE features enabled (0 without XSAVE) */
	bool fsgsbase;			/* user-mode rd/wr{fs,gs}base allowed */
	bool rdpid;			/* the stub can read its CPU number (rdpid) */
	int ncpus;			/* CPUs the Sentry may run on (pinning masks) */
	uint64_t cpus;			/* which of CPUs 0-63 those are (0: none of them) */
	struct systrap_tune tune;
	unsigned pause_ns;		/* cost of one `pause`, measured at create() */
	pid_t factory_pid;		/* stub zero: forks every stub */
	int factory_sock;		/* its request socket (factory_lock) */
	pthread_mutex_t factory_lock;
	pthread_mutex_t own_lock;	/* ctx <-> stub thread bindings, ctx FPU copies */
	pthread_mutex_t pool_lock;	/* pool, pool_n */
	struct systrap_as *pool[SYSTRAP_POOL_MAX]; /* released stubs to reuse */
	unsigned pool_n;
};

struct systrap_as;
struct systrap_ctx;

/* One application thread of a stub: a slot of its region. */
struct systrap_thread {
	struct systrap_as *as;
	int slot;
	pid_t tid;			/* host tid (as the stub reported it: untrusted) */
	bool ready;			/* waits in the handler with a valid frame */
	bool tid_ok;			/* tid checked to be a thread of the stub */
	int cpu;			/* Sentry CPU its placement was computed for (-1 none) */
	bool placed_other;		/* placed away from that CPU (else on it) */
	struct systrap_ctx *owner;	/* context using it (own_lock) */
	/* Frame of the last trap, validated offsets into the slot. */
	uint32_t uctx_off;
	uint32_t fp_off, fp_size;	/* fp_size 0: no FPU area found */
};

/* One address-space change waiting for the control thread. */
struct systrap_op {
	uint32_t kind, prot;
	uint64_t addr, size, off;
};


/* One application address space = one stub process. */
struct systrap_as {
	struct systrap_platform *p;
	pthread_mutex_t lock;		/* everything below */
	pid_t pid;			/* 0 = no stub yet, -1 = dead */
	int pidfd;			/* the stub (kill, liveness) */
	int sock;			/* to its control thread */
	uint8_t *view;			/* the Sentry's mapping of the region memfd */
	int err;			/* sticky failure (-errno) */
	int ctl_cpu;			/* CPU the control thread was pinned to, -1 none */
	unsigned batch;			/* as_batch_begin depth: unmap/protect wait for the end */
	struct systrap_op *ops;		/* queued changes, oldest first */
	size_t nops, ops_cap;
	struct plat_extents ext;	/* what is mapped once ops are applied */
	unsigned nthreads;
	struct systrap_thread threads[SYSTRAP_NSLOTS];
};

/* One application thread's context. */
struct systrap_ctx {
	struct systrap_platform *p;
	atomic_int interrupt;		/* interrupt() requested, not yet reported */
	_Atomic uint64_t running;	/* pid << 32 | tid of the stub thread running, or 0 */
	struct systrap_thread *thr;	/* bound stub thread (own_lock) */
	bool fpu_dirty;			/* fpu is newer than thr's frame (own_lock) */
	/* Adaptive spinning (systrap_handoff.c): how often the handler's spin would have
	 * caught the Sentry lately (0..SPIN_SCORE_MAX), per kind of the trap before the
	 * one waited for (systrap_handoff_kind), the kind of the last trap and the key
	 * the handler's current spin was chosen by; the mean resume-to-trap time with
	 * and without the Sentry spinning (ns, 0 = not measured yet), whether it spins in
	 * this wait and a count for trying the other way; when the last resume and trap
	 * happened (CLOCK_MONOTONIC ns; 0 = not yet). */
	uint16_t stub_score[SPIN_KEYS];
	uint8_t last_key, spin_key;
	uint32_t lat_spin, lat_sleep;
	uint16_t sentry_score;		/* how often the Sentry's own spins caught the trap */
	bool spinning;
	uint8_t explore;
	uint64_t resumed_at, trapped_at;
	/* Waking the handler ahead of a resume (systrap_handoff_wake): how often its spin
	 * would have lasted until the resume, and when it was woken (0 = not since the
	 * last resume). The waker hints just after it dropped the kernel lock, by when the
	 * task's own thread may run again: both sides use relaxed atomics. */
	_Atomic uint16_t wake_score;
	_Atomic uint64_t woken_at;
	/* Waits in the Sentry (systrap_handoff_block_spin): how many of the recent
	 * syscalls waited, whether this one did, and how often a spin of BLOCK_SPIN_NS
	 * would have caught the wake-up. */
	uint16_t block_rate, block_score;
	bool blocked;
	struct plat_fpu fpu;		/* FPU state while no frame holds it */
};

static inline struct systrap_platform *to_sp(struct platform *p)
{
	return (struct systrap_platform *)p;
}
static inline struct systrap_as *to_sas(struct plat_as *as)
{
	return (struct systrap_as *)as;
}
static inline struct systrap_ctx *to_sctx(struct plat_ctx *c)
{
	return (struct systrap_ctx *)c;
}
/* The Sentry's view of a slot's first byte, and the stub's address of it. */
static inline uint8_t *slot_view(const struct systrap_as *as, int slot)
{
	return as->view + SYSTRAP_SLOTS_OFF - SYSTRAP_REQ_OFF + (size_t)slot * SYSTRAP_SLOT_SIZE;
}
static inline uint64_t slot_addr(const struct systrap_platform *p, int slot)
{
	return p->region + SYSTRAP_SLOTS_OFF + (uint64_t)slot * SYSTRAP_SLOT_SIZE;
}
/* A 32-bit word of a slot's message block, shared with the stub. */
static inline _Atomic uint32_t *msg_word(const struct systrap_as *as, int slot, unsigned off)
{
	return (_Atomic uint32_t *)(slot_view(as, slot) + off);
}

/* ---- systrap_stub.c: the code page, stub zero, stub processes ---- */

/* Map the code page at a free address above the application limit, fill its parameters
 * and filters, and fork stub zero. Called from create(), before the Sentry's filter. */
int systrap_stub_setup(struct systrap_platform *p);
/* The blocked-signal mask of application threads: all but the trap signals. */
uint64_t systrap_app_sigmask(void);
/* Stop stub zero (its children die with it) and unmap the code page. */
void systrap_stub_teardown(struct systrap_platform *p);
/* Create the stub of as (as->lock held): region memfd, socket, fork through stub zero.
 * On success as->pid, pidfd, sock and view are set; the stub serves requests. */
int systrap_stub_spawn(struct systrap_as *as);
/* SIGKILL the stub and close what the Sentry holds of it. Idempotent. */
void systrap_stub_kill(struct systrap_as *as);
/* Whether the stub process still runs (its pidfd is not readable). */
bool systrap_stub_alive(const struct systrap_as *as);

/* ---- systrap_pool.c: stubs of released address spaces ---- */

/* Keep as (released: no context, extents or ops left) with its stub in the pool if it
 * is reusable and there is room. */
bool systrap_pool_put(struct systrap_as *as);
/* Give as (no stub yet, as->lock held) a pooled stub with its parked threads; the caller
 * unmaps the application range in the first batch. 0, or -EAGAIN when the pool has none. */
int systrap_pool_take(struct systrap_as *as);
/* Kill the pooled stubs (destroy). */
void systrap_pool_drain(struct systrap_platform *p);

/* ---- systrap_filter.c ---- */

/* Fill the parameter block of the code page (still writable, mapped at p->region):
 * region address, FSGSBASE flag, signal mask, both seccomp programs. */
int systrap_params_fill(struct systrap_platform *p, uint8_t *page);

/* ---- systrap_as.c: address spaces, the control thread, stub threads ---- */

int systrap_as_create(struct platform *p, struct plat_as **out);
void systrap_as_release(struct plat_as *as);
int systrap_as_map(struct plat_as *as, uint64_t addr, uint64_t size, uint64_t off, int prot);
int systrap_as_unmap(struct plat_as *as, uint64_t addr, uint64_t size);
int systrap_as_protect(struct plat_as *as, uint64_t addr, uint64_t size, int prot);
void systrap_as_batch_begin(struct plat_as *as);
int systrap_as_batch_end(struct plat_as *as);
int systrap_as_reset(struct plat_as *as);
/* Make sure the stub exists and every queued op is applied (as->lock held), except
 * on a stub it has just made: its first maps wait for the clone of its first thread,
 * so the caller must call systrap_as_get_thread next. */
int systrap_as_ready(struct systrap_as *as);
/* Find an idle stub thread of as, or clone one, waiting in the handler (as->lock held). */
int systrap_as_get_thread(struct systrap_as *as, struct systrap_thread **out);
/* Wait until the thread's state is ST_TRAP: spin `spin` pauses, then sleep on the futex,
 * checking every so often that the stub lives. Returns 1 (seen while spinning), 0 (after
 * sleeping) or -ESRCH. */
int systrap_wait_trap(struct systrap_as *as, int slot, unsigned spin);

/* ---- systrap_frame.c: the signal frame in a slot: registers and FPU ---- */

/* Locate and validate the frame of thr's last trap (uctx_off, fp_off/fp_size). */
int systrap_frame_locate(struct systrap_thread *thr);
/* Copy the frame's registers into *regs (fs/gs base from the message block when the
 * CPU lets the handler read them; otherwise kept from *regs). */
void systrap_frame_get_regs(struct systrap_thread *thr, plat_regs_t *regs);
/* Write *regs into the frame, with the selectors, mask and stack the stub needs. */
void systrap_frame_put_regs(struct systrap_thread *thr, const plat_regs_t *regs);
int systrap_frame_get_fpu(struct systrap_thread *thr, struct plat_fpu *fpu);
int systrap_frame_put_fpu(struct systrap_thread *thr, const struct plat_fpu *fpu);
/* Whether fpu is an image the kernel's rt_sigreturn accepts (else -EINVAL). */
int systrap_fpu_check(const struct systrap_platform *p, const struct plat_fpu *fpu);

/* ---- systrap_handoff.c: where stub threads run and how long each side spins ---- */

#define SPIN_SCORE_MAX 1024

/* Place thr for this resume, set its spin budget, set ST_RESUME and wake it if it
 * sleeps. Returns the Sentry's spin budget (pauses) for the wait. */
unsigned systrap_handoff_resume(struct systrap_ctx *ctx, struct systrap_thread *thr);
/* The task of ctx, waiting in the Sentry while its handler sleeps, was woken: wake the
 * handler to spin for the resume that follows (own_lock held, ctx bound). */
void systrap_handoff_wake(struct systrap_ctx *ctx, struct systrap_thread *thr);
/* The wait that followed the resume saw a trap, while spinning (caught) or not: score
 * the Sentry's spin. */
void systrap_handoff_trapped(struct systrap_ctx *ctx, bool caught);
/* The task is about to wait in the Sentry: the spin before its thread sleeps (ns). */
uint64_t systrap_handoff_block_spin(struct systrap_ctx *ctx);
/* That wait lasted ns: score the spin. */
void systrap_handoff_block_end(struct systrap_ctx *ctx, uint64_t ns);
/* What the trap was (a syscall's number, or -1 for any other): the handler's spin for
 * the next trap is predicted by it. */
static inline void systrap_handoff_kind(struct systrap_ctx *ctx, long nr)
{
	ctx->last_key = nr < 0 ? SPIN_KEYS - 1 : (uint8_t)((unsigned long)nr % (SPIN_KEYS - 1));
}

/* ---- systrap_switch.c ---- */

int systrap_switch_to(struct plat_ctx *ctx, struct plat_as *as, plat_regs_t *regs,
		      struct plat_trap *trap);
void systrap_interrupt(struct plat_ctx *ctx);
/* Spin budget in pause iterations for ns nanoseconds. */
static inline unsigned systrap_spins(const struct systrap_platform *p, unsigned ns)
{
	return ns / (p->pause_ns ? p->pause_ns : 1);
}
/* Detach ctx from its stub thread, saving the FPU state into ctx->fpu (own_lock held). */
void systrap_ctx_unbind(struct systrap_ctx *ctx);

#endif
