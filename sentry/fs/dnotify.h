/* dnotify.h: fcntl(F_NOTIFY) directory notifications (sentry/fs/dnotify.c). Kernel lock
 * held. */
#ifndef RUNSC_SENTRY_FS_DNOTIFY_H
#define RUNSC_SENTRY_FS_DNOTIFY_H

#include <stdbool.h>
#include <stdint.h>

struct file;
struct inode;
struct task;

/* F_NOTIFY on fd (f) of the fd table owner: arg DN_* | DN_MULTISHOT adds to the mark of
 * (owner, f), arg without events removes it. -ENOTDIR if f is not a directory. The
 * calling process becomes f's owner. */
long dnotify_fcntl(struct task *t, const void *owner, int fd, struct file *f,
		   unsigned long arg);
/* An fd of f in the fd table owner is being closed: its marks go. */
void dnotify_flush(const void *owner, struct file *f);
/* Whether any mark exists (fsnotify hooks skip work otherwise). */
bool dnotify_active(void);
/* An inotify-style event (IN_* mask) on inode: signal the marks it matches. */
void dnotify_event(const struct inode *inode, uint32_t in_mask);
/* A rename inside the directory dir (DN_RENAME). */
void dnotify_rename(const struct inode *dir);

#endif
