/* lock.h: advisory file locks: flock(2) whole-file locks owned by an open file
 * description, POSIX record locks (fcntl F_SETLK...) owned by a process's fd table, and
 * OFD record locks (F_OFD_SETLK...) owned by an open file description. POSIX and OFD
 * locks share one table per inode and conflict with each other; flock locks are separate,
 * as on Linux. Everything runs under the kernel lock.
 */
#ifndef RUNSC_SENTRY_VFS_LOCK_H
#define RUNSC_SENTRY_VFS_LOCK_H

#include <fcntl.h>
#include <stdbool.h>

struct task;
struct file;
struct fdtable;

/* flock(2): op LOCK_SH/LOCK_EX/LOCK_UN, optionally | LOCK_NB. Returns 0, -EWOULDBLOCK,
 * -EINVAL, -ERESTARTSYS (interrupted while waiting). */
int lock_flock(struct task *t, struct file *f, int op);

/* fcntl record locks. cmd: F_GETLK, F_SETLK, F_SETLKW, F_OFD_GETLK, F_OFD_SETLK,
 * F_OFD_SETLKW. fl is the caller's struct flock (Sentry copy), updated for F_GETLK.
 * Returns 0 or -errno (EAGAIN on conflict, EDEADLK, EBADF for a mode mismatch, EINVAL). */
int lock_fcntl(struct task *t, struct file *f, int cmd, struct flock *fl);

/* The process owning fd table ft closed an fd of f: drop its POSIX locks on f's file. */
void lock_close_posix(struct fdtable *ft, struct file *f);

/* The last reference to the open file description f is going: drop its flock and OFD
 * locks. Cheap when there are no locks at all. */
void lock_release_file(struct file *f);

#endif
