/* vvar.h: the [vvar] page the Sentry publishes and its vDSO reads (shared by both sides:
 * plain C types and freestanding inline code only). Times are
 * ns = base + ((tsc - tsc_base) * mult >> shift). */
#ifndef RUNSC_SENTRY_VDSO_VVAR_H
#define RUNSC_SENTRY_VDSO_VVAR_H

#include <stdint.h>

struct vdso_vvar {
	uint32_t seq;	      /* odd while the Sentry rewrites the fields below */
	uint32_t enabled;     /* 0: the vDSO makes the real system call */
	uint64_t tsc_base;    /* TSC at the reference point */
	int64_t mono_base;    /* CLOCK_MONOTONIC (ns) at tsc_base */
	int64_t real_offset;  /* CLOCK_REALTIME - CLOCK_MONOTONIC (ns) */
	uint64_t mult;	      /* ns per TSC cycle, scaled by 2^shift */
	uint32_t shift;
	uint32_t pad;
};

static inline uint64_t vvar_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi) : : "memory");
	return ((uint64_t)hi << 32) | lo;
}

/* CLOCK_MONOTONIC (real = 0) or CLOCK_REALTIME in ns as published in v; -1 when nothing
 * is published (the caller then asks the host). The vDSO and the Sentry's own clock
 * system calls both read time here, so a program mixing the two never sees it go back. */
static inline int vvar_read_ns(const volatile struct vdso_vvar *v, int real, int64_t *ns)
{
	for (;;) {
		uint32_t seq = __atomic_load_n(&v->seq, __ATOMIC_ACQUIRE);
		if (seq & 1) {
			__builtin_ia32_pause();
			continue;
		}
		if (!__atomic_load_n(&v->enabled, __ATOMIC_RELAXED))
			return -1;
		int64_t d = (int64_t)(vvar_rdtsc() - v->tsc_base);
		if (d < 0)
			d = 0; /* a CPU whose TSC lags the reference by a few cycles */
		int64_t t = v->mono_base +
			    (int64_t)(((unsigned __int128)(uint64_t)d * v->mult) >> v->shift);
		if (real)
			t += v->real_offset;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		if (__atomic_load_n(&v->seq, __ATOMIC_RELAXED) == seq) {
			*ns = t;
			return 0;
		}
	}
}

#endif
