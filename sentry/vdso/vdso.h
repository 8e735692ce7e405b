/* vdso.h: the Sentry's vDSO: a small image built with the project (image/) and mapped
 * into every new address space with the [vvar] page of time parameters it reads, so
 * clock_gettime, gettimeofday, time and getcpu cost the application no trap. */
#ifndef RUNSC_SENTRY_VDSO_VDSO_H
#define RUNSC_SENTRY_VDSO_VDSO_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "lib/util.h"
#include "sentry/vdso/vvar.h"

struct mm;

/* Map [vvar] and [vdso] (just above it) into mm and set mm->vdso_base (for
 * AT_SYSINFO_EHDR). The first call builds the shared image and starts the thread that
 * keeps the time parameters current. Kernel lock held. */
int vdso_map(struct mm *mm) __must_check;

/* Start publishing time parameters into vv (TSC calibration, then periodic
 * correction against the host clocks). Returns 0 or -errno; leaves vv disabled (the
 * vDSO then makes real syscalls) when the TSC is not invariant. */
int vdso_clock_start(struct vdso_vvar *vv) __must_check;

/* CLOCK_MONOTONIC (real false) or CLOCK_REALTIME as the vDSO shows it now: the clock
 * system calls answer the same, or a program mixing them with the vDSO would see time
 * go back by the curve's small error against the host. false until parameters are
 * published (then the host clock is the answer, as the vDSO's own fallback). */
bool vdso_clock_now(bool real, struct timespec *ts);

/* The embedded image (vdso_blob.S). */
extern const uint8_t vdso_image_start[], vdso_image_end[];

#endif
