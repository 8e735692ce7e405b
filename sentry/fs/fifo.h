/* fifo.h: named pipes: opening a FIFO inode on any filesystem (fifo.c). */
#ifndef RUNSC_SENTRY_FS_FIFO_H
#define RUNSC_SENTRY_FS_FIFO_H

struct file;
struct inode;

/* Set up f (f->flags set, ops not yet) as an end of inode's pipe for t_current, waiting
 * for the other side as Linux's fifo_open. 0, -ENXIO (O_WRONLY|O_NONBLOCK, no reader),
 * -EINVAL (access mode 3) or -ERESTARTSYS (a signal while waiting). */
int fifo_open(struct inode *inode, struct file *f);

#endif
