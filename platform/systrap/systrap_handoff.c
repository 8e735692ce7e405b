/* systrap_handoff.c: where a stub thread runs relative to the Sentry thread that drives
 * it, and how long each side spins before sleeping on the futex (tune).
 *
 * Measured here (2-vCPU VM, getpid through the platform): both sides spinning 20 us,
 * left to the scheduler (NONE), ~3 us a round trip: two busy threads end up on
 * different CPUs and the hand-off is a cache-line transfer. Futex only, same CPU
 * (SAME): ~8 us when the Sentry thread stays there, but its own wake-up is often
 * placed on the idle CPU, an IPI to a halted vCPU of 50-140 us, so ~20 us on average.
 * Futex only across CPUs: ~50 us. Spinning on one CPU only delays the other side.
 */
#include "platform/systrap/systrap_internal.h"

#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Pin thr for the tuned mode relative to our CPU when that changed: directly if it
 * sleeps (its wake-up then happens on the right CPU), else through the message block
 * (the handler applies it before it returns to the application). */
static void place(const struct systrap_platform *p, struct systrap_thread *thr,
		  uint8_t *slot, bool asleep)
{
	bool other = p->tune.pin == SYSTRAP_PIN_OTHER;
	int cpu = sched_getcpu();
	uint64_t all, mask;
	int32_t seq, cur;

	if (p->tune.pin == SYSTRAP_PIN_NONE || p->ncpus < 2 || cpu < 0 || cpu >= 64 ||
	    (cpu == thr->cpu && other == thr->placed_other))
		return;
	all = p->ncpus >= 64 ? ~0ULL : (1ULL << p->ncpus) - 1;
	mask = other ? all & ~(1ULL << cpu) : 1ULL << cpu;
	if (!mask)
		return;
	thr->cpu = cpu;
	thr->placed_other = other;
	if (asleep && thr->tid_ok &&
	    syscall(SYS_sched_setaffinity, thr->tid, sizeof(mask), &mask) == 0)
		return;
	memcpy(&cur, slot + M_CUR_CPU, 4);
	seq = (cur + 1) & 0x7fffffff;
	memcpy(slot + M_CPUMASK, &mask, 8);
	memcpy(slot + M_WANT_CPU, &seq, 4);
}

unsigned systrap_handoff_resume(struct systrap_ctx *ctx, struct systrap_thread *thr)
{
	struct systrap_platform *p = ctx->p;
	struct systrap_as *as = thr->as;
	uint8_t *slot = slot_view(as, thr->slot);
	bool asleep = atomic_load(msg_word(as, thr->slot, M_STUB_WAIT)) != 0;
	unsigned stub_spin = systrap_spins(p, p->tune.stub_spin_ns);

	place(p, thr, slot, asleep);
	memcpy(slot + M_SPIN, &stub_spin, 4);
	atomic_exchange(msg_word(as, thr->slot, M_STATE), ST_RESUME);
	if (asleep || atomic_load(msg_word(as, thr->slot, M_STUB_WAIT)))
		syscall(SYS_futex, msg_word(as, thr->slot, M_STATE), FUTEX_WAKE, 1, NULL, NULL,
			0);
	return systrap_spins(p, p->tune.sentry_spin_ns);
}
