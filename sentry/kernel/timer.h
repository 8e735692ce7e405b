/* timer.h: kernel timers (itimers, alarm, POSIX timers, RLIMIT_CPU) fired by one Sentry
 * thread that sleeps until the earliest deadline and takes the kernel lock to fire.
 *
 * A timer runs on CLOCK_MONOTONIC or on a CPU clock (process user time, process
 * user+system time, one thread's time); CPU clocks are polled every few milliseconds
 * while such a timer is armed. All functions need the kernel lock.
 */
#ifndef RUNSC_SENTRY_KERNEL_TIMER_H
#define RUNSC_SENTRY_KERNEL_TIMER_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "lib/list.h"

struct task;
struct thread_group;

enum ktimer_clock {
	KT_MONO,	/* CLOCK_MONOTONIC */
	KT_VIRT,	/* the process's user time */
	KT_PROF,	/* the process's user + system time */
	KT_TCPU,	/* one thread's (tid) user + system time */
};

struct ktimer {
	struct list_head link;	/* in the armed list while armed */
	bool armed;
	enum ktimer_clock clock;
	uint64_t expires;	/* in the clock's nanoseconds */
	uint64_t interval;	/* 0 = one-shot */
	struct thread_group *tg;
	int tid;		/* KT_TCPU: the thread measured */
	/* Called with the kernel lock held; missed = expiries beyond the first (overruns). */
	void (*fire)(struct ktimer *k, uint64_t missed);
};

#define ITIMER_COUNT 3
#define TIMER_MAX_POSIX 256

struct posix_timer {
	struct ktimer k;
	int id;
	int clockid;
	int notify;		/* SIGEV_SIGNAL, SIGEV_NONE, SIGEV_THREAD_ID */
	int signo;
	int tid;		/* SIGEV_THREAD_ID target */
	union sigval value;
	int overrun_cur;	/* overruns carried by the last queued signal */
	int overrun_prev;	/* overruns of the signal before it */
};

/* A process's timers, allocated on first use. */
struct tg_timers {
	struct ktimer itimer[ITIMER_COUNT];	/* ITIMER_REAL, _VIRTUAL, _PROF */
	struct ktimer rlimit_cpu;		/* SIGXCPU / SIGKILL at RLIMIT_CPU */
	struct posix_timer *posix[TIMER_MAX_POSIX];
};

/* Point k at the clock a clockid names for task t (k->clock, k->tg, k->tid): the
 * wall clocks map to KT_MONO, CPU clocks (incl. per-pid/tid ones) to the CPU kinds.
 * -EINVAL for a bad id, -ENOTSUP for a clock no timer runs on (RAW, COARSE, ALARM). */
int ktimer_clock_of(struct task *t, clockid_t id, struct ktimer *k);

/* The timers of tg, allocating them (with itimers set up) on first use. */
struct tg_timers *timers_of(struct thread_group *tg);

/* The clock's current value for k. */
uint64_t ktimer_now(const struct ktimer *k);

/* Arm k to expire at `expires` (clock ns) and then every interval; expires 0 disarms. */
void ktimer_set(struct ktimer *k, uint64_t expires, uint64_t interval);

/* Nanoseconds until k expires (0 if disarmed or due). */
uint64_t ktimer_remaining(const struct ktimer *k);

/* RLIMIT_CPU changed (setrlimit, fork): re-arm the SIGXCPU timer. */
void timers_rlimit_cpu_changed(struct thread_group *tg);

/* execve: POSIX timers are deleted, itimers kept. */
void timers_exec(struct thread_group *tg);

/* The process exits: disarm and free every timer. */
void timers_tg_exit(struct thread_group *tg);

#endif
