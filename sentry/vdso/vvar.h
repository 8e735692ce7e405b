/* vvar.h: the [vvar] page the Sentry publishes and its vDSO reads (shared by both sides:
 * plain C types only). Times are ns = base + ((tsc - tsc_base) * mult >> shift). */
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

#endif
