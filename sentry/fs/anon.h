/* anon.h: anonymous files that are not pipes: eventfd, epoll, timerfd, signalfd, memfd.
 * Each constructor returns a new open file (*out, one reference) or -errno; the syscall
 * handlers in sentry/syscalls/ copy arguments and install the fd. Kernel lock held. */
#ifndef RUNSC_SENTRY_FS_ANON_H
#define RUNSC_SENTRY_FS_ANON_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "sentry/kernel/task.h"

struct file;
struct kstat;
struct itimerspec;
struct epoll_event;

/* Fill st for an anonymous inode (anon_inodefs: mode 0600, no type bits). */
void anon_fill_stat(struct kstat *st, uint64_t ino);
/* A fresh inode number for an anonymous file. */
uint64_t anon_next_ino(void);

/* eventfd2: initval, flags EFD_SEMAPHORE | EFD_NONBLOCK (EFD_CLOEXEC is the caller's). */
int eventfd_create(unsigned initval, int flags, struct file **out);
/* Is f an eventfd? */
bool file_is_eventfd(const struct file *f);
/* Add 1 to eventfd f's counter (saturating, never blocking) and wake its waiters: an aio
 * completion with IOCB_FLAG_RESFD (Linux's eventfd_signal). */
void eventfd_signal(struct file *f);

/* epoll_create1 (EPOLL_CLOEXEC is the caller's). */
int eventpoll_create(struct file **out);
bool file_is_epoll(const struct file *f);
/* The file of the toff-th item of ep registered under fd (kcmp KCMP_EPOLL_TFD), not
 * referenced; NULL with *err -EINVAL (ep is no epoll) or -ENOENT (no such item). */
struct file *eventpoll_target(struct file *ep, int fd, uint64_t toff, int *err);
/* epoll_ctl on ep for target with op and the caller's event (NULL for DEL). */
int eventpoll_ctl(struct task *t, struct file *ep, int op, int fd, struct file *target,
		  const struct epoll_event *ev);
/* Wait for events: up to max into evs (Sentry buffer); deadline NULL = forever, or
 * CLOCK_MONOTONIC. Returns the count, 0 on timeout, -EINTR on a signal. */
int eventpoll_wait(struct task *t, struct file *ep, struct epoll_event *evs, int max,
		   const struct timespec *deadline);
/* The last reference to f is going: take it off every interest list. */
void eventpoll_file_release(struct file *f);

/* timerfd_create: clockid CLOCK_REALTIME/MONOTONIC/BOOTTIME(_ALARM), flags TFD_NONBLOCK. */
int timerfd_new(int clockid, int flags, struct file **out);
/* timerfd_settime/gettime on f (-EINVAL if f is not a timerfd). */
int timerfd_set(struct file *f, int flags, const struct itimerspec *nv,
		struct itimerspec *old);
int timerfd_get(struct file *f, struct itimerspec *cur);

/* Poll passes and timers without a thread: a file whose readiness will change at a known
 * time (an armed timerfd) notes it during its poll op; poll, select and epoll clear the
 * note before a pass and sleep no later than it after. Per Sentry thread. */
void poll_deadline_reset(void);
void poll_deadline_note(const struct timespec *mono);
/* The earliest noted CLOCK_MONOTONIC time, if any. */
bool poll_deadline_get(struct timespec *out);

/* signalfd4: a new signalfd for mask, or with f non-NULL a new mask for it. */
int signalfd_new(sigmask_t mask, int flags, struct file **out);
int signalfd_set_mask(struct file *f, sigmask_t mask);
/* A signal was queued somewhere: wake signalfd pollers (they re-check their task). */
void signalfd_notify(void);

/* memfd_create: name already copied, flags MFD_ALLOW_SEALING (MFD_CLOEXEC: caller's). */
int memfd_new(struct task *t, const char *name, unsigned flags, struct file **out);
/* F_ADD_SEALS / F_GET_SEALS: -EINVAL if f is not a memfd. */
int memfd_add_seals(struct file *f, unsigned seals);
int memfd_get_seals(struct file *f);

#endif
