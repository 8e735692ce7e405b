/* systrap_handoff.c: where a stub thread runs relative to the Sentry thread that drives
 * it, and how long each side spins before sleeping on the futex (tune).
 *
 * Measured here (2-vCPU VM, getpid through the platform): both sides spinning 20 us,
 * left to the scheduler (NONE), ~3 us a round trip: two busy threads end up on
 * different CPUs and the hand-off is a cache-line transfer. Futex only, same CPU
 * (SAME): ~8 us when the Sentry thread stays there, but its own wake-up is often
 * placed on the idle CPU, an IPI to a halted vCPU of 50-140 us, so ~20 us on average.
 * Futex only across CPUs: ~50 us. Spinning on one CPU only delays the other side.
 *
 * Spinning pays only when the other side answers within the spin, and when a CPU is
 * free to spin on. A 1-byte pipe round trip alternates a fast write with a read that
 * blocks, so the handler's spin after every read is wasted, and on a shared machine a
 * spinner takes the CPU the other side needs. Measured with fixed tunings under load
 * average ~15 from other jobs (us per op, best of 3): pipe round trip 247 both sides
 * spinning 20 us, 301 Sentry only, 269 handler only, 85 neither; getpid 136, 21, 11
 * and 28. So both spins adapt:
 *  - the handler spins while at least 3 in 4 of the recent traps (a 1/8-weight moving
 *    average) were served within its spin, counted apart by the kind of trap (syscall
 *    number) that came before: a syscall loop keeps it; in a pipe ping-pong the read
 *    that follows a write blocks and drops it, while the write that follows a read is
 *    served at once and keeps it (one score for all traps dropped both, so the handler
 *    slept through every write: two more sleeps and wake-ups per round trip);
 *  - the Sentry keeps the mean resume-to-trap time of its waits with and without its
 *    spin, and uses the faster way, trying the other one wait in 32 to stay current;
 *    but it spins only while at least 1 in 4 of its recent spins caught the trap (a
 *    1/8-weight average of what its own spins saw). Under others' load (~20 on 2
 *    CPUs) both sides used to spin in vain, each waiting for a thread that waited for
 *    a CPU: with the rule, A/B over 5 rounds (test/benchmarks/counts.py), getpid
 *    29 -> 16 us and 16 -> 11 us CPU per call, the pipe round trip 348 -> 261 us and
 *    131 -> 119 us CPU at the same ~10 context switches, fork+exit+wait 662 -> 642
 *    us; under chrt -f 10 (no wait for a CPU, as on an idle machine) unchanged: pipe
 *    35.7 us and ~4.1 switches, getpid 4.5-4.7 us, fork+exit+wait 474-481 us. A
 *    3-in-4 rule cost the pipe round trip there 43 -> 58 us: spins that catch 1 in 2
 *    still pay while a CPU is free;
 *  - a task blocked in the Sentry (a pipe's reader) has two sleeping threads: its
 *    Sentry thread and the handler. Woken one after the other, each wake-up of a
 *    halted vCPU costs ~20 us on an idle VM; so the waker also wakes the handler to
 *    spin for the resume (systrap_handoff_wake, through the platform's wake_hint),
 *    and the two wake-ups overlap. It keeps doing so while 3 in 4 of the resumes
 *    came within the spin (scored at every wake-up, spun or not).
 * Pipe round trip with both (runsc do micro under chrt -f 10, which keeps others' load
 * off our CPUs much as an idle machine would; load ~22): 104 us before, 73 with the
 * per-kind handler spin alone, 44.5 with the wake-up hint too, native 35.5; context
 * switches per round trip 8.5, 4.2, 4.2; getpid unchanged at ~4.5 us.
 *
 * A spin cannot catch a thread that needs the spinner's CPU: such a spin only delays
 * it. The handler reads its CPU with rdpid (P_RDPID, M_STUB_CPU) and
 *  - skips its spin after a trap when its Sentry thread last ran on that CPU
 *    (M_SENTRY_CPU, written at each resume): awake, the Sentry thread runs there only
 *    once we stop; asleep, our trap's futex wake-up mostly puts it there too;
 *  - skips the spin of a wake hint when it wakes on the hinting thread's CPU
 *    (M_HINT_CPU): that thread is finishing its own syscall, and the task's Sentry
 *    thread, woken just before, is mostly queued there as well;
 * and the Sentry skips its spin when the handler it resumes is awake on its CPU. The
 * scores cannot see this: without the spin such a resume comes quickly, so they
 * turned the spin back on every few traps. Measured A/B interleaved (counts.py, 7
 * rounds, load 17-20 from other jobs), pipe round trip: nice -n -20 (other load
 * keeps our threads on one CPU, where the CFS scheduler interleaves them) 173 -> 74
 * us, CPU 115 -> 65 us per round trip; no prefix 168 -> 112 us; chrt -f 10 (two free
 * CPUs, threads run until they block) 36.1 -> 36.6 us but 4.1 -> 5.3 switches (a
 * Sentry thread and its handler that meet on one CPU now hand over by futex
 * instead of spinning); getpid unchanged (3.44 -> 3.48 us under chrt, 14.1 ->
 * 13.8 us under nice -20); fork+exit+wait under chrt 634 -> 650 us.
 *
 * A task that ping-pongs with another (a pipe's or a socket's round trips: 1 in 4 of
 * its syscalls or more wait in the Sentry, and half of those waits or more end within
 * BLOCK_SCORE_NS) is served differently: four threads (two stubs, two Sentry threads)
 * spinning for each other on two CPUs took CPUs the other side needed, and on an idle
 * VM every futex wake-up across CPUs woke a halted vCPU (native pays two such wake-ups
 * a round trip, we paid ~4). So for such a task
 *  - its stub is pinned to its Sentry thread's CPU (place, SYSTRAP_PIN_SAME) and
 *    neither side spins on a hand-off: trap and resume are futex wake-ups on one CPU,
 *    ~1.5 us each with no IPI (left alone, the scheduler could settle both Sentry
 *    threads on one CPU and both stubs on the other: every hand-off crossed CPUs);
 *  - no wake hint (the handler would only queue behind the Sentry thread);
 *  - its Sentry thread spins for the wake-up when it waits (block_spin_ns, sched.c:
 *    with sched_yield, so a thread of ours queued on its CPU runs first; with pause
 *    only for a while after a yield that took long, as under others' load a yield
 *    gives the CPU away for a whole slice; one spinner per CPU but one), so the waker
 *    sets a flag instead of waking a halted vCPU.
 * Measured A/B interleaved (counts.py, 5 rounds, idle): pipe round trip 88 -> 24 us
 * (native 30), 6.8 -> 8.2 switches (all on one CPU now), CPU 126 -> 43 us per round
 * trip; getpid, fork+exit+wait, fork+exec+wait, thread create+join unchanged. Under
 * two busy `yes` loops: 252 -> ~110 us (yield-only spinning: 1.7 ms).
 */
#include "platform/systrap/systrap_internal.h"

#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define SPIN_SCORE_MIN (SPIN_SCORE_MAX * 3 / 4)
/* The Sentry spins only while at least 1 in 4 of its recent spins caught the trap. */
#define SENTRY_SCORE_MIN (SPIN_SCORE_MAX / 4)
/* How long a handler woken ahead of a resume spins for it: the Sentry thread's own
 * wake-up (a halted vCPU takes ~20 us to answer here), the kernel lock, and the rest
 * of the syscall. */
#define WAKE_SPIN_NS 50000
/* A task's wait in the Sentry counts as short when it ends within this (spun or not:
 * a sleep's end includes its thread's wake-up, on an idle VM tens of us). */
#define BLOCK_SCORE_NS 100000

/* Does this task ping-pong with another (a pipe's or socket's round trips): at least
 * 1 in 4 of its syscalls wait in the Sentry, and 3 in 4 of those waits are short? */
static bool ping_pong(const struct systrap_ctx *ctx)
{
	return ctx->p->tune.block_spin_ns && ctx->block_rate >= SPIN_SCORE_MAX / 4 &&
	       ctx->block_score >= SPIN_SCORE_MAX / 2;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Does the Sentry spin in this wait? The faster way by the means if its spins still
 * catch traps, the other way every 32nd wait, and each way until it has a mean. */
static bool sentry_spin_now(struct systrap_ctx *ctx)
{
	bool spin;

	if (ctx->p->tune.sentry_spin_ns == 0)
		return false;
	if (!ctx->lat_spin || !ctx->lat_sleep)
		return !ctx->lat_spin;
	spin = ctx->lat_spin <= ctx->lat_sleep && ctx->sentry_score >= SENTRY_SCORE_MIN;
	return ++ctx->explore % 32 == 0 ? !spin : spin;
}

static void mean(uint32_t *m, uint64_t ns)
{
	uint32_t v = ns > UINT32_MAX / 2 ? UINT32_MAX / 2 : (uint32_t)ns;

	*m = *m ? *m - *m / 8 + v / 8 : (v ? v : 1);
}

/* Fold one hand-off into a score: would a spin of budget_ns have caught it? */
static void score(uint16_t *s, uint64_t took_ns, unsigned budget_ns)
{
	*s = (uint16_t)(*s - *s / 8 + (took_ns <= budget_ns ? SPIN_SCORE_MAX / 8 : 0));
}

/* Pin thr by pin relative to our CPU when that changed, or let it run anywhere again:
 * directly if it sleeps (its wake-up then happens on the right CPU), else through the
 * message block (the handler applies it before it returns to the application). */
static void place(const struct systrap_platform *p, struct systrap_thread *thr,
		  uint8_t *slot, bool asleep, int cpu, enum systrap_pin pin)
{
	bool other = pin == SYSTRAP_PIN_OTHER;
	uint64_t all, mask;
	int32_t seq, cur;

	if (p->ncpus < 2 || cpu < 0 || cpu >= 64 || !(p->cpus & (1ULL << cpu)))
		return;
	all = p->cpus;
	if (pin == SYSTRAP_PIN_NONE) {
		if (thr->cpu < 0)
			return;
		thr->cpu = -1;
		mask = all;
	} else {
		if (cpu == thr->cpu && other == thr->placed_other)
			return;
		mask = other ? all & ~(1ULL << cpu) : 1ULL << cpu;
		if (!mask)
			return;
		thr->cpu = cpu;
		thr->placed_other = other;
	}
	if (asleep && thr->tid_ok &&
	    syscall(SYS_sched_setaffinity, thr->tid, sizeof(mask), &mask) == 0)
		return;
	memcpy(&cur, slot + M_CUR_CPU, 4);
	seq = (cur + 1) & 0x7fffffff;
	memcpy(slot + M_CPUMASK, &mask, 8);
	memcpy(slot + M_WANT_CPU, &seq, 4);
}

/* The CPU the handler last trapped on, as it wrote it (untrusted: only compared). */
static int stub_cpu(const uint8_t *slot)
{
	int32_t cpu;

	memcpy(&cpu, slot + M_STUB_CPU, 4);
	return cpu;
}

unsigned systrap_handoff_resume(struct systrap_ctx *ctx, struct systrap_thread *thr)
{
	struct systrap_platform *p = ctx->p;
	struct systrap_as *as = thr->as;
	uint8_t *slot = slot_view(as, thr->slot);
	bool asleep = atomic_load(msg_word(as, thr->slot, M_STUB_WAIT)) != 0;
	uint64_t now = now_ns();
	uint64_t woken = atomic_exchange_explicit(&ctx->woken_at, 0, memory_order_relaxed);
	unsigned stub_spin = 0;
	int cpu = sched_getcpu();
	bool pp;

	/* Did the handler woken ahead of us (systrap_handoff_wake) spin long enough? */
	if (woken) {
		uint16_t ws = atomic_load_explicit(&ctx->wake_score, memory_order_relaxed);

		score(&ws, now > woken ? now - woken : 0, WAKE_SPIN_NS);
		atomic_store_explicit(&ctx->wake_score, ws, memory_order_relaxed);
	}
	/* The handler has waited since the last trap: would its spin have caught us? */
	if (ctx->trapped_at)
		score(&ctx->stub_score[ctx->spin_key], now - ctx->trapped_at,
		      p->tune.stub_spin_ns);
	ctx->trapped_at = 0;
	ctx->resumed_at = now;
	ctx->spin_key = ctx->last_key;
	ctx->block_rate = (uint16_t)(ctx->block_rate - ctx->block_rate / 8 +
				     (ctx->blocked ? SPIN_SCORE_MAX / 8 : 0));
	ctx->blocked = false;
	pp = ping_pong(ctx);
	if (ctx->stub_score[ctx->spin_key] >= SPIN_SCORE_MIN && !pp)
		stub_spin = systrap_spins(p, p->tune.stub_spin_ns);
	/* A handler awake on our own CPU runs only once we stop: no spin can catch it. */
	ctx->spinning = !pp && sentry_spin_now(ctx) &&
			!(p->rdpid && !asleep && stub_cpu(slot) == cpu);
	place(p, thr, slot, asleep, cpu, pp ? SYSTRAP_PIN_SAME : p->tune.pin);
	memcpy(slot + M_SPIN, &stub_spin, 4);
	memcpy(slot + M_SENTRY_CPU, &cpu, 4);
	atomic_exchange(msg_word(as, thr->slot, M_STATE), ST_RESUME);
	if (asleep || atomic_load(msg_word(as, thr->slot, M_STUB_WAIT)))
		syscall(SYS_futex, msg_word(as, thr->slot, M_STATE), FUTEX_WAKE, 1, NULL, NULL,
			0);
	return ctx->spinning ? systrap_spins(p, p->tune.sentry_spin_ns) : 0;
}

void systrap_handoff_wake(struct systrap_ctx *ctx, struct systrap_thread *thr)
{
	struct systrap_platform *p = ctx->p;
	unsigned spin = systrap_spins(p, WAKE_SPIN_NS);

	if (p->tune.stub_spin_ns == 0 || !spin || ping_pong(ctx) ||
	    atomic_load(msg_word(thr->as, thr->slot, M_STATE)) != ST_TRAP)
		return;
	/* Scored whether or not the handler spins this time, so that a score lowered by
	 * a busy spell comes back up once the resumes are quick again. */
	atomic_store_explicit(&ctx->woken_at, now_ns(), memory_order_relaxed);
	if (atomic_load_explicit(&ctx->wake_score, memory_order_relaxed) < SPIN_SCORE_MIN)
		return;
	atomic_store(msg_word(thr->as, thr->slot, M_HINT_CPU), (uint32_t)sched_getcpu());
	atomic_exchange(msg_word(thr->as, thr->slot, M_WAKE_SPIN), spin);
	if (atomic_load(msg_word(thr->as, thr->slot, M_STUB_WAIT)))
		syscall(SYS_futex, msg_word(thr->as, thr->slot, M_STATE), FUTEX_WAKE, 1, NULL,
			NULL, 0);
}

void systrap_handoff_trapped(struct systrap_ctx *ctx, bool caught)
{
	uint64_t now = now_ns();

	if (ctx->spinning) /* a spin that ran out counts as a miss */
		score(&ctx->sentry_score, caught ? 0 : 1, 0);
	if (ctx->resumed_at)
		mean(ctx->spinning ? &ctx->lat_spin : &ctx->lat_sleep, now - ctx->resumed_at);
	ctx->resumed_at = 0;
	ctx->trapped_at = now;
}

uint64_t systrap_handoff_block_spin(struct systrap_ctx *ctx)
{
	ctx->blocked = true;
	return ping_pong(ctx) ? ctx->p->tune.block_spin_ns : 0;
}

void systrap_handoff_block_end(struct systrap_ctx *ctx, uint64_t ns)
{
	score(&ctx->block_score, ns, BLOCK_SCORE_NS);
}
