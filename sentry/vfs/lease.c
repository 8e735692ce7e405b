/* lease.c: file leases (fcntl F_SETLEASE/F_GETLEASE). A lease belongs to an open file
 * description of a regular file. An open by any other description that conflicts (any
 * open for writing or with O_TRUNC against any lease; an open for reading against a
 * write lease) breaks it: the holder's owner gets SIGIO (or its F_SETSIG signal with
 * si_fd), F_GETLEASE shows the type the lease must drop to, and the opener waits until
 * the holder downgrades or unlocks, or until lease-break-time (45 s, as
 * /proc/sys/fs/lease-break-time says) passes and the lease is broken for it. O_NONBLOCK
 * openers get EWOULDBLOCK at once, the break still started. truncate(2) breaks leases
 * as an open for writing does. */
#include "sentry/vfs/lease.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <time.h>

#include "lib/list.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/sched.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/fown.h"
#include "sentry/vfs/vfs_internal.h"

struct lease {
	struct list_head link;	/* g_leases */
	struct file *f;		/* the holder (not referenced: lease_release_file) */
	struct inode *inode;	/* lease_inode(f) */
	int fd;			/* the fd F_SETLEASE came through (si_fd) */
	int type;		/* F_RDLCK or F_WRLCK */
	int target;		/* while breaking: F_RDLCK or F_UNLCK; else -1 */
	struct timespec deadline; /* CLOCK_MONOTONIC: when a break is forced */
};

static struct list_head g_leases = LIST_HEAD_INIT(g_leases);
static struct waitq g_lease_wq; /* openers waiting for a break to finish */
static bool g_lease_wq_ready;

static struct waitq *lease_wq(void)
{
	if (!g_lease_wq_ready) {
		waitq_init(&g_lease_wq);
		g_lease_wq_ready = true;
	}
	return &g_lease_wq;
}

/* The inode a lease and the open counts live on: the path's (stable across an overlay
 * copy-up), else the file's own. */
static struct inode *lease_inode(const struct file *f)
{
	return f->path.dentry && f->path.dentry->inode ? f->path.dentry->inode : f->inode;
}

void lease_count_open(struct file *f)
{
	struct inode *inode = lease_inode(f);

	if (!inode || (f->fmode & (FMODE_PATH | FMODE_COUNTED)))
		return;
	if (f->fmode & FMODE_WRITE)
		inode->writecount++;
	else if (f->fmode & FMODE_READ)
		inode->readcount++;
	f->fmode |= FMODE_COUNTED;
}

static struct lease *lease_of(const struct file *f)
{
	struct list_head *pos;

	list_for_each(pos, &g_leases) {
		struct lease *l = list_entry(pos, struct lease, link);

		if (l->f == f)
			return l;
	}
	return NULL;
}

static void lease_free(struct lease *l)
{
	list_del(&l->link);
	free(l);
	waitq_wake_all(lease_wq());
}

void lease_release_file(struct file *f)
{
	struct lease *l;

	if (f->fmode & FMODE_COUNTED) {
		if (f->fmode & FMODE_WRITE)
			lease_inode(f)->writecount--;
		else
			lease_inode(f)->readcount--;
	}
	if (!list_empty(&g_leases) && (l = lease_of(f)))
		lease_free(l);
}

/* Whether another description's lease on inode conflicts with a new lease of type, or
 * one is being broken. */
static bool other_lease_conflicts(struct file *f, struct inode *inode, int type)
{
	struct list_head *pos;

	list_for_each(pos, &g_leases) {
		struct lease *l = list_entry(pos, struct lease, link);

		if (l->inode != inode || l->f == f)
			continue;
		if (l->target >= 0 || type == F_WRLCK || l->type == F_WRLCK)
			return true;
	}
	return false;
}

static int lease_set(struct task *t, int fd, struct file *f, int type)
{
	struct inode *inode = lease_inode(f);
	int self_w = (f->fmode & FMODE_WRITE) ? 1 : 0, self_r = self_w ? 0 : 1;
	struct lease *l = lease_of(f);

	/* A read lease needs no writer at all; a write lease no other open at all. */
	if (type == F_RDLCK && inode->writecount > 0)
		return -EAGAIN;
	if (type == F_WRLCK && (inode->writecount != self_w || inode->readcount != self_r))
		return -EAGAIN;
	if (other_lease_conflicts(f, inode, type))
		return -EAGAIN;
	if (!l) {
		l = xcalloc(1, sizeof(*l));
		l->f = f;
		l->inode = inode;
		list_add_tail(&l->link, &g_leases);
	}
	l->fd = fd;
	l->type = type;
	l->target = -1;
	fown_set_current(t, f);
	waitq_wake_all(lease_wq());
	return 0;
}

/* Unlocking, or downgrading a write lease that is being broken to a read one. */
static int lease_change(struct file *f, int type)
{
	struct lease *l = lease_of(f);

	if (!l)
		return -EAGAIN; /* as Linux: no lease of this description to change */
	if (type == F_UNLCK) {
		lease_free(l);
		return 0;
	}
	l->type = F_RDLCK;
	l->target = l->target == F_UNLCK ? F_UNLCK : -1;
	waitq_wake_all(lease_wq());
	return 0;
}

long lease_fcntl(struct task *t, int fd, struct file *f, int cmd, long arg)
{
	const struct creds *c = task_fs_creds(t);
	struct inode *inode = lease_inode(f);
	struct lease *l;
	struct kstat st;

	if (cmd == F_GETLEASE) {
		l = lease_of(f);
		return !l ? F_UNLCK : l->target >= 0 ? l->target : l->type;
	}
	if (arg != F_RDLCK && arg != F_WRLCK && arg != F_UNLCK)
		return -EINVAL;
	if (!inode || !f->path.dentry || vfs_getattr(f->path.dentry, &st) < 0)
		return -EINVAL;
	if (st.uid != c->fsuid && !caps_capable(t, CAP_LEASE))
		return -EACCES;
	if (!S_ISREG(st.mode))
		return -EINVAL;
	l = lease_of(f);
	if (arg == F_UNLCK || (l && l->target >= 0 && arg == F_RDLCK))
		return lease_change(f, (int)arg);
	return lease_set(t, fd, f, (int)arg);
}

/* What a new open (for writing or not) requires of l: -1 nothing, else the type l must
 * drop to. */
static int break_target(const struct lease *l, bool write)
{
	if (write)
		return F_UNLCK;
	return l->type == F_WRLCK ? F_RDLCK : -1;
}

/* Start breaking every conflicting lease on inode of descriptions other than self;
 * returns how many still conflict. Forces those whose time is up. */
static int lease_start_breaks(struct inode *inode, const struct file *self, bool write,
			      const struct timespec *now)
{
	struct list_head *pos, *n;
	int pending = 0;

	list_for_each_safe(pos, n, &g_leases) {
		struct lease *l = list_entry(pos, struct lease, link);
		int target = l->inode == inode && l->f != self ? break_target(l, write) : -1;

		if (target < 0)
			continue;
		if (l->target < 0 || (target == F_UNLCK && l->target != F_UNLCK)) {
			bool first = l->target < 0;

			l->target = target;
			if (first) {
				l->deadline = *now;
				l->deadline.tv_sec += LEASE_BREAK_TIME;
				fown_send(l->f, l->fd, POLL_MSG, POLLIN | POLLRDNORM | POLLMSG);
			}
		} else if (now->tv_sec > l->deadline.tv_sec ||
			   (now->tv_sec == l->deadline.tv_sec &&
			    now->tv_nsec >= l->deadline.tv_nsec)) {
			/* lease-break-time is up: break it for the holder. */
			if (l->target == F_UNLCK) {
				lease_free(l);
				continue;
			}
			l->type = F_RDLCK;
			l->target = -1;
			continue;
		}
		pending++;
	}
	return pending;
}

static struct timespec first_deadline(struct inode *inode)
{
	struct timespec d = {0, 0};
	struct list_head *pos;

	list_for_each(pos, &g_leases) {
		struct lease *l = list_entry(pos, struct lease, link);

		if (l->inode == inode && l->target >= 0 &&
		    (d.tv_sec == 0 || l->deadline.tv_sec < d.tv_sec))
			d = l->deadline;
	}
	return d;
}

static int break_and_wait(struct task *t, struct inode *inode, const struct file *self,
			  bool write, bool nonblock)
{
	struct timespec now, deadline;
	int ret;

	if (list_empty(&g_leases))
		return 0;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (lease_start_breaks(inode, self, write, &now) == 0)
			return 0;
		if (nonblock || !t)
			return -EWOULDBLOCK;
		deadline = first_deadline(inode);
		ret = task_block(t, lease_wq(), &deadline);
		if (ret == -EINTR)
			return -ERESTARTSYS;
	}
}

int lease_break(struct task *t, struct file *opener, bool trunc, bool nonblock)
{
	return break_and_wait(t, lease_inode(opener), opener,
			      (opener->fmode & FMODE_WRITE) || trunc, nonblock);
}

int lease_break_truncate(struct task *t, struct inode *inode)
{
	return break_and_wait(t, inode, NULL, true, false);
}
