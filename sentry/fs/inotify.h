/* inotify.h: inotify instances (sentry/fs/inotify.c) for the syscall handlers. */
#ifndef RUNSC_SENTRY_FS_INOTIFY_H
#define RUNSC_SENTRY_FS_INOTIFY_H

#include <stdint.h>

struct file;
struct path;

/* inotify_init1: flags IN_NONBLOCK (IN_CLOEXEC is the caller's). */
int inotify_new(int flags, struct file **out);
/* Watch the inode at p (looked up and permission-checked by the caller) for mask;
 * returns the watch descriptor or -EINVAL (not an inotify file, no events, bad flag
 * mix), -EEXIST (IN_MASK_CREATE on a watched inode). */
int inotify_watch_add(struct file *f, const struct path *p, uint32_t mask);
/* Remove watch wd (queues IN_IGNORED): 0 or -EINVAL. */
int inotify_watch_rm(struct file *f, int wd);

#endif
