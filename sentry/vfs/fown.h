/* fown.h: file owners and their signals (F_SETOWN/F_GETOWN(_EX), F_SETSIG/F_GETSIG) for
 * F_NOTIFY and leases. Kernel lock held. */
#ifndef RUNSC_SENTRY_VFS_FOWN_H
#define RUNSC_SENTRY_VFS_FOWN_H

#include <stdint.h>

struct file;
struct task;

/* The owner and signal fcntl commands on f: the fcntl result or -errno (ESRCH for an
 * owner that does not exist, EINVAL for a bad type or signal, EFAULT). */
long fown_fcntl(struct task *t, struct file *f, int cmd, uint64_t arg);
/* Make t's process the owner (what F_NOTIFY and F_SETLEASE do). */
void fown_set_current(struct task *t, struct file *f);
/* Signal f's owner about fd: SIGIO, or f's F_SETSIG signal with si_fd = fd, si_code =
 * code (POLL_MSG...) and si_band = band. Nothing without an owner. */
void fown_send(struct file *f, int fd, int code, long band);

/* F_SETFL or FIOASYNC changed f's flags through fd: start (O_ASYNC set, on a pipe or a
 * socket) or stop signalling the owner when f becomes ready. */
void fown_async_update(struct file *f, int fd);
/* f's last reference goes: stop signalling. */
void fown_async_release(struct file *f);

#endif
