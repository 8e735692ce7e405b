/* pidfd.h: process file descriptors (pidfd.c). Kernel lock held for every call. */
#ifndef RUNSC_SENTRY_KERNEL_PIDFD_H
#define RUNSC_SENTRY_KERNEL_PIDFD_H

struct task;
struct thread_group;

/* Install a close-on-exec pidfd for tg in t's fd table (flags: O_NONBLOCK). Returns the
 * fd or -errno. */
int pidfd_create(struct task *t, struct thread_group *tg, int flags);
/* The pid behind pidfd fd, or -EBADF. */
int pidfd_to_pid(struct task *t, int fd);

#endif
