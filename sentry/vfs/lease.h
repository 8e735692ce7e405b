/* lease.h: file leases (F_SETLEASE/F_GETLEASE) and the open counts they are checked
 * against (sentry/vfs/lease.c). Kernel lock held. */
#ifndef RUNSC_SENTRY_VFS_LEASE_H
#define RUNSC_SENTRY_VFS_LEASE_H

#include <stdbool.h>

struct file;
struct inode;
struct task;

#define LEASE_BREAK_TIME 45 /* seconds, Linux's default /proc/sys/fs/lease-break-time */

/* F_SETLEASE (arg F_RDLCK/F_WRLCK/F_UNLCK) or F_GETLEASE on fd (f). Returns 0, the lease
 * type (F_GETLEASE), or -EAGAIN (conflicting opens or leases; F_UNLCK without a lease),
 * -EACCES (not the file's owner, no CAP_LEASE), -EINVAL (not a regular file, bad arg). */
long lease_fcntl(struct task *t, int fd, struct file *f, int cmd, long arg);
/* A new open file description f: count it on its inode (once). */
void lease_count_open(struct file *f);
/* The last reference to f goes: uncount it and drop its lease. */
void lease_release_file(struct file *f);
/* An open (f, just set up; trunc: O_TRUNC) breaks the leases it conflicts with and waits
 * for them: 0, -EWOULDBLOCK (nonblock), -ERESTARTSYS (a signal). */
int lease_break(struct task *t, struct file *opener, bool trunc, bool nonblock);
/* truncate(2) of inode (a path's) breaks every lease on it and waits, as an open for
 * writing. */
int lease_break_truncate(struct task *t, struct inode *inode);

#endif
