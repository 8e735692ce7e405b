/* futex.h: futex waits and wakes (sys_futex), and the wake at thread exit. */
#ifndef RUNSC_SENTRY_KERNEL_FUTEX_H
#define RUNSC_SENTRY_KERNEL_FUTEX_H

#include <stdint.h>

struct task;

/* Wake one waiter on the futex at addr in t's mm (clear_child_tid at exit/exec). */
void futex_wake_exit(struct task *t, uint64_t addr);

/* Mark the futexes on t's robust list owner-dead and wake a waiter of each (exit). */
void futex_exit_robust(struct task *t);

#endif
