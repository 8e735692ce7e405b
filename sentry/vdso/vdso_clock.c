/* vdso_clock.c: keeps the [vvar] time parameters current. The TSC rate is calibrated
 * against the host's CLOCK_MONOTONIC over an ever longer baseline; every period the
 * published curve is re-anchored where it stands (so it never jumps back) with a slope
 * that meets the host clock again by the next period. */
#include "sentry/vdso/vdso.h"

#include <cpuid.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <x86intrin.h>

#include "lib/log.h"

#define NSEC_PER_SEC 1000000000LL
#define SHIFT 32
#define PERIOD_NS NSEC_PER_SEC
#define MAX_SLEW_PPM 500	     /* at most this much faster or slower than measured */
#define STEP_NS (NSEC_PER_SEC / 1000) /* behind by more than this: jump forward */
#define REAL_JITTER_NS 10000	     /* REALTIME offset changes below this are noise */
#define CALIBRATE_NS 1000000	     /* the first rate's baseline, spun at start */

struct sample {
	uint64_t tsc;
	int64_t mono, real;
};

static struct vdso_vvar *g_vv;
static struct sample g_first;

static int64_t ts_ns(const struct timespec *ts)
{
	return ts->tv_sec * NSEC_PER_SEC + ts->tv_nsec;
}

/* A TSC reading and the host clocks at (about) the same instant: of a few tries, the
 * one whose TSC bracket is narrowest, so a try preempted between the readings (a loaded
 * host) cannot skew the rate or the anchor by milliseconds. */
#define SAMPLE_TRIES 8
#define SAMPLE_GOOD_CYCLES 4000 /* ~1.5 us here: good enough, stop trying */

static void take_sample(struct sample *s)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < SAMPLE_TRIES && best > SAMPLE_GOOD_CYCLES; i++) {
		struct timespec m, r;
		uint64_t t0 = __rdtsc();
		clock_gettime(CLOCK_MONOTONIC, &m);
		clock_gettime(CLOCK_REALTIME, &r);
		uint64_t t1 = __rdtsc();
		if (t1 - t0 >= best)
			continue;
		best = t1 - t0;
		s->tsc = t0 + (t1 - t0) / 2;
		s->mono = ts_ns(&m);
		s->real = ts_ns(&r);
	}
}

static bool tsc_invariant(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(0x80000007, &a, &b, &c, &d))
		return false;
	return d & (1u << 8);
}

static void publish(uint64_t tsc, int64_t mono, int64_t real_offset, uint64_t mult)
{
	struct vdso_vvar *vv = g_vv;

	__atomic_store_n(&vv->seq, vv->seq + 1, __ATOMIC_RELAXED);
	__atomic_thread_fence(__ATOMIC_RELEASE);
	vv->tsc_base = tsc;
	vv->mono_base = mono;
	vv->real_offset = real_offset;
	vv->mult = mult;
	vv->shift = SHIFT;
	vv->enabled = 1;
	__atomic_store_n(&vv->seq, vv->seq + 1, __ATOMIC_RELEASE);
}

/* What the vDSO shows for CLOCK_MONOTONIC at tsc under the current parameters. */
static int64_t shown_mono(uint64_t tsc)
{
	int64_t d = (int64_t)(tsc - g_vv->tsc_base);

	return g_vv->mono_base + (int64_t)(((unsigned __int128)(uint64_t)(d > 0 ? d : 0) *
					    g_vv->mult) >> SHIFT);
}

/* Re-anchor: continuous with the old curve at the moment of publishing (a reader between
 * the sample and the publish must not see time go back), and slewed so as to meet the
 * host by the next period. */
static void update(void)
{
	struct sample s;

	take_sample(&s);
	if (s.mono <= g_first.mono || s.tsc <= g_first.tsc)
		return;
	/* Long-baseline rate: ns per cycle scaled by 2^SHIFT. */
	double rate = (double)(s.mono - g_first.mono) / (double)(s.tsc - g_first.tsc);
	int64_t real_offset = s.real - s.mono;
	uint64_t now = __rdtsc();
	/* Where the host clock is now, by the sample and the measured rate. */
	int64_t host_now = s.mono + (int64_t)((double)(now - s.tsc) * rate), anchor = host_now;

	if (g_vv->enabled) {
		int64_t shown = shown_mono(now), err = host_now - shown;
		if (err < STEP_NS)
			anchor = shown; /* never step back; slew instead */
		double slew = (double)(host_now - anchor) / PERIOD_NS;
		if (slew > MAX_SLEW_PPM / 1e6)
			slew = MAX_SLEW_PPM / 1e6;
		if (slew < -MAX_SLEW_PPM / 1e6)
			slew = -MAX_SLEW_PPM / 1e6;
		rate *= 1.0 + slew;
		if (llabs(real_offset - g_vv->real_offset) < REAL_JITTER_NS)
			real_offset = g_vv->real_offset;
	}
	publish(now, anchor, real_offset, (uint64_t)(rate * (double)(1ULL << SHIFT)));
}

static void *clock_thread(void *arg)
{
	/* Short first baselines publish soon; later ones only correct drift. */
	static const long first_ns[] = {10000000, 100000000};
	unsigned i = 0;

	for (;;) {
		long ns = i < ARRAY_SIZE(first_ns) ? first_ns[i++] : PERIOD_NS;
		struct timespec ts = {ns / NSEC_PER_SEC, ns % NSEC_PER_SEC};
		while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
			;
		update();
	}
	return NULL;
}

bool vdso_clock_now(bool real, struct timespec *ts)
{
	struct vdso_vvar *vv = __atomic_load_n(&g_vv, __ATOMIC_ACQUIRE);
	int64_t ns;

	if (!vv || vvar_read_ns(vv, real, &ns) != 0)
		return false;
	*ts = (struct timespec){.tv_sec = ns / NSEC_PER_SEC, .tv_nsec = ns % NSEC_PER_SEC};
	return true;
}

int vdso_clock_start(struct vdso_vvar *vv)
{
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t th;
	int err;

	memset(vv, 0, sizeof(*vv));
	__atomic_store_n(&g_vv, vv, __ATOMIC_RELEASE);
	if (!tsc_invariant())
		return -ENOTSUP;
	/* A first rate over a short spin, so the vDSO serves times from the start; the
	 * thread refines it within a period. */
	struct sample now;
	take_sample(&g_first);
	do
		take_sample(&now);
	while (now.mono - g_first.mono < CALIBRATE_NS);
	publish(now.tsc, now.mono, now.real - now.mono,
		(uint64_t)((double)(now.mono - g_first.mono) / (double)(now.tsc - g_first.tsc) *
			   (double)(1ULL << SHIFT)));
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	/* The thread takes no signals: they are for task threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&th, &attr, clock_thread, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	return -err;
}
