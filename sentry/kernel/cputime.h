/* cputime.h: application CPU time per task and per thread group.
 *
 * The platform runs application code in stub processes whose CPU clocks the Sentry cannot
 * read, so user time is the wall time a task spends inside platform switch_to (an
 * approximation: it includes the platform's own switch cost and host preemption), and
 * system time is the Sentry host thread's CPU time spent outside switch_to (syscalls,
 * faults, signal delivery) — blocking costs no CPU and so is not counted.
 *
 * Reading a thread's CPU clock is a host syscall (0.5-2 us on this VM), and it took two
 * per trap. A stretch in the Sentry is timed with CLOCK_MONOTONIC (vDSO) instead, unless
 * it lets the kernel lock go (every blocking wait does): at its first lock drop the
 * stretch so far is charged and the thread's CPU clock is read, and the rest of the
 * stretch is charged by that clock. A stretch that never drops the lock can only lose
 * the CPU to host preemption, which user time already absorbs the same way.
 * All functions need the kernel lock.
 */
#ifndef RUNSC_SENTRY_KERNEL_CPUTIME_H
#define RUNSC_SENTRY_KERNEL_CPUTIME_H

#include <stdint.h>
#include <sys/resource.h>

struct task;
struct thread_group;

struct cputime {
	uint64_t utime_ns, stime_ns;
};

/* Called just before t enters app code: system time since it left app code is charged. */
void cputime_enter_app(struct task *t);

/* Called just after t leaves app code: the time inside switch_to is charged as user. */
void cputime_leave_app(struct task *t);

/* The calling host thread is about to let the kernel lock go (it may block). */
void cputime_lock_drop(void);
/* t's thread spun for a wake-up since its lock drop: that CPU time is not t's (a task
 * that waits uses no CPU on Linux), so its system time restarts from now. */
void cputime_spun(struct task *t);

/* One thread's times so far, including a switch_to still in progress. */
struct cputime cputime_task(const struct task *t);

/* The whole process: live threads, exited threads, not children. */
struct cputime cputime_tg(const struct thread_group *tg);

/* Reaped children's totals (RUSAGE_CHILDREN, times()). */
struct cputime cputime_children(const struct thread_group *tg);

/* A thread exits: move its times to its group's dead-thread totals. */
void cputime_task_exit(struct task *t);

/* A zombie is reaped: add its own and its children's times to its parent's child totals. */
void cputime_reap(struct thread_group *tg);

/* A struct rusage with these times (other fields are not measured: zero). */
void cputime_to_rusage(struct rusage *ru, struct cputime c);

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t cputime_mono_ns(void);

#endif
