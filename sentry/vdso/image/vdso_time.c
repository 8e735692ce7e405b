/* vdso_time.c: the Sentry's vDSO, run by the application: clock_gettime, gettimeofday,
 * time and getcpu without a trap, from the TSC and the parameters in the [vvar] page the
 * Sentry keeps current. Clocks it does not compute fall back to the real syscall.
 * Built freestanding and position independent (see sentry/vdso/CMakeLists.txt). */
#include <stdint.h>

#include "sentry/vdso/vvar.h"

#define CLOCK_REALTIME 0
#define CLOCK_MONOTONIC 1
#define CLOCK_REALTIME_COARSE 5
#define CLOCK_MONOTONIC_COARSE 6
#define NR_gettimeofday 96
#define NR_time 201
#define NR_clock_gettime 228
#define NR_getcpu 309
#define NSEC_PER_SEC 1000000000LL

struct vdso_timespec {
	int64_t tv_sec, tv_nsec;
};
struct vdso_timeval {
	int64_t tv_sec, tv_usec;
};

/* Defined by the linker script: the page just below the image. The Sentry rewrites it
 * at any time, hence volatile (the seqcount orders the reads). */
extern const volatile struct vdso_vvar vvar_page __attribute__((visibility("hidden")));

static inline long vsyscall2(long nr, long a, long b)
{
	long ret;

	__asm__ volatile("syscall" : "=a"(ret) : "0"(nr), "D"(a), "S"(b) : "rcx", "r11", "memory");
	return ret;
}

static inline long vsyscall3(long nr, long a, long b, long c)
{
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"(nr), "D"(a), "S"(b), "d"(c)
			 : "rcx", "r11", "memory");
	return ret;
}

static int read_ns(int real, int64_t *ns)
{
	return vvar_read_ns(&vvar_page, real, ns);
}

int __vdso_clock_gettime(int clk, struct vdso_timespec *ts);
int __vdso_gettimeofday(struct vdso_timeval *tv, void *tz);
long __vdso_time(long *t);
long __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache);

int __vdso_clock_gettime(int clk, struct vdso_timespec *ts)
{
	int real = clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE;
	int64_t ns;

	if ((real || clk == CLOCK_MONOTONIC || clk == CLOCK_MONOTONIC_COARSE) &&
	    read_ns(real, &ns) == 0) {
		ts->tv_sec = ns / NSEC_PER_SEC;
		ts->tv_nsec = ns % NSEC_PER_SEC;
		return 0;
	}
	return (int)vsyscall2(NR_clock_gettime, clk, (long)ts);
}

int __vdso_gettimeofday(struct vdso_timeval *tv, void *tz)
{
	int64_t ns;

	if (tz || read_ns(1, &ns) != 0)
		return (int)vsyscall2(NR_gettimeofday, (long)tv, (long)tz);
	if (tv) {
		tv->tv_sec = ns / NSEC_PER_SEC;
		tv->tv_usec = ns % NSEC_PER_SEC / 1000;
	}
	return 0;
}

long __vdso_time(long *t)
{
	int64_t ns;

	if (read_ns(1, &ns) != 0)
		return vsyscall2(NR_time, (long)t, 0);
	if (t)
		*t = ns / NSEC_PER_SEC;
	return ns / NSEC_PER_SEC;
}

long __vdso_getcpu(unsigned *cpu, unsigned *node, void *cache)
{
	uint32_t lo, hi, aux;

	if (!__atomic_load_n(&vvar_page.enabled, __ATOMIC_RELAXED))
		return vsyscall3(NR_getcpu, (long)cpu, (long)node, (long)cache);
	/* The host keeps cpu | node << 12 in TSC_AUX, as Linux's own vDSO reads it. */
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	(void)lo;
	(void)hi;
	if (cpu)
		*cpu = aux & 0xfff;
	if (node)
		*node = aux >> 12;
	return 0;
}

int clock_gettime(int clk, struct vdso_timespec *ts)
	__attribute__((weak, alias("__vdso_clock_gettime")));
int gettimeofday(struct vdso_timeval *tv, void *tz)
	__attribute__((weak, alias("__vdso_gettimeofday")));
long time(long *t) __attribute__((weak, alias("__vdso_time")));
long getcpu(unsigned *cpu, unsigned *node, void *cache)
	__attribute__((weak, alias("__vdso_getcpu")));
