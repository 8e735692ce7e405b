/* ioprio.h: a task's I/O context as ioprio_set/ioprio_get and kcmp(KCMP_IO) see it. The
 * Sentry records the I/O priority and reports it back; no host I/O is reprioritized. */
#ifndef RUNSC_SENTRY_KERNEL_IOPRIO_H
#define RUNSC_SENTRY_KERNEL_IOPRIO_H

#include <stdbool.h>
#include <stdint.h>

/* Shared by tasks cloned with CLONE_IO; a task has none until ioprio_set names it. */
struct io_context {
	int refs;
	uint16_t ioprio; /* IOPRIO_PRIO_VALUE(class, data) as set; 0 = class NONE */
};

/* The child's context at clone (Linux's copy_io): the parent's shared with CLONE_IO, a
 * copy when the parent set a valid class, else none. Kernel lock held. */
struct io_context *ioprio_fork(struct io_context *parent, bool share);
struct task;
/* Set t's I/O priority (a checked IOPRIO_PRIO_VALUE), as ioprio_set does once allowed. */
void ioprio_set_task(struct task *t, uint16_t prio);
/* Drop a reference (NULL is fine). Kernel lock held. */
void ioprio_put(struct io_context *io);
/* Linux's ioprio_check_cap: may t use I/O priority prio? 0, -EPERM (real-time class
 * without CAP_SYS_ADMIN or CAP_SYS_NICE) or -EINVAL. */
struct task;
int ioprio_check(const struct task *t, int prio);

#endif
