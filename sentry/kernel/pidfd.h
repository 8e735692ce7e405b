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
/* A thread of the process behind pidfd fd that still has its address space, in *out
 * (not referenced). Returns 0, -EBADF (not a pidfd) or -ESRCH (exited: a zombie, or
 * reaped). */
int pidfd_mm_task(struct task *t, int fd, struct task **out);

#endif
