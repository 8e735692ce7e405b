/* dev.h: character devices the Sentry implements itself, opened through device nodes
 * (major/minor as on Linux) on any in-Sentry filesystem. */
#ifndef RUNSC_SENTRY_FS_DEV_DEV_H
#define RUNSC_SENTRY_FS_DEV_DEV_H

#include <sys/types.h>

struct file;

/* Set up f (ops, fmode) for the character device rdev, opened by t_current. f->flags may
 * carry O_NOCTTY (cleared here). -ENXIO for unknown devices and for /dev/tty without a
 * controlling terminal; -EIO for a locked or closed pty. */
int chrdev_open(dev_t rdev, struct file *f);

#endif
