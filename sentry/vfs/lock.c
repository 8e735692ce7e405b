/* lock.c: advisory file locks (flock, POSIX and OFD record locks) kept per file in a small
 * table of lock lists, with blocking waits and POSIX deadlock detection.
 *
 * On a filesystem with inode_ops.host_lock (writable gofer mounts) the record locks are
 * also the host's: the sandbox's combined lock of each range is held on the host as one
 * owner. A lock is taken there before it is committed here (a host conflict is EAGAIN, or
 * a retry every HOST_RETRY_MS for F_SETLKW); after an unlock the range is set on the host
 * to what the sandbox's remaining owners hold. flock(2) locks stay in the sandbox. */
#include "sentry/vfs/lock.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/file.h>
#include <time.h>

#include "lib/list.h"
#include "lib/util.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/sched.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs_internal.h"

#define LOCK_EOF UINT64_MAX
#define DEADLOCK_MAX_STEPS 10 /* how far a wait-for chain is followed */
#define HOST_RETRY_MS 5	      /* F_SETLKW's wait between tries on a host conflict */

enum lock_kind { LK_FLOCK, LK_POSIX, LK_OFD };

struct file_lock {
	struct list_head link;	/* lock_file.locks */
	enum lock_kind kind;
	const void *owner;	/* flock/OFD: struct file; POSIX: struct fdtable */
	int pid;		/* the locker's tgid (POSIX), reported by F_GETLK */
	bool write;
	uint64_t start, end;	/* inclusive byte range; end LOCK_EOF = to end of file */
};

/* The locks of one file (keyed by its inode, or the open file when it has none). */
struct lock_file {
	struct list_head link;	/* g_lock_files */
	const void *key;
	struct list_head locks;
	struct waitq wq;	/* waiters for any lock of this file */
	int waiters;		/* also pins lf while a host round trip lets the lock go */
	struct inode *host;	/* its iops->host_lock shares the record locks, or NULL */
	unsigned host_syncs;	/* host_sync calls so far (see host_acquire) */
};

/* A POSIX owner blocked on another owner's lock (the wait-for graph). */
struct lock_waiter {
	struct list_head link;	/* g_posix_waiters */
	const void *owner, *blocker;
};

static struct list_head g_lock_files = LIST_HEAD_INIT(g_lock_files);
static struct list_head g_posix_waiters = LIST_HEAD_INIT(g_posix_waiters);

static const void *lock_key(const struct file *f)
{
	if (f->inode)
		return f->inode;
	return f->priv ? f->priv : (const void *)f;
}

static struct inode *host_inode(const struct file *f)
{
	struct inode *inode = f->inode;

	return inode && inode->iops && inode->iops->host_lock && inode->iops->host_getlock
		       ? inode
		       : NULL;
}

static struct lock_file *lock_file_find(const struct file *f, bool create)
{
	const void *key = lock_key(f);
	struct list_head *pos;
	struct lock_file *lf;

	list_for_each(pos, &g_lock_files) {
		lf = list_entry(pos, struct lock_file, link);
		if (lf->key == key)
			return lf;
	}
	if (!create)
		return NULL;
	lf = xcalloc(1, sizeof(*lf));
	lf->key = key;
	lf->host = host_inode(f);
	list_init(&lf->locks);
	waitq_init(&lf->wq);
	list_add(&lf->link, &g_lock_files);
	return lf;
}

/* Free lf once nothing references it. */
static void lock_file_maybe_free(struct lock_file *lf)
{
	if (!list_empty(&lf->locks) || lf->waiters)
		return;
	list_del(&lf->link);
	free(lf);
}

static bool same_family(enum lock_kind a, enum lock_kind b)
{
	return (a == LK_FLOCK) == (b == LK_FLOCK);
}

/* The first lock of another owner that conflicts with the request, or NULL. */
static struct file_lock *find_conflict(struct lock_file *lf, const struct file_lock *req)
{
	struct list_head *pos;

	list_for_each(pos, &lf->locks) {
		struct file_lock *l = list_entry(pos, struct file_lock, link);

		if (!same_family(l->kind, req->kind) || l->owner == req->owner)
			continue;
		if (l->end < req->start || req->end < l->start)
			continue;
		if (l->write || req->write)
			return l;
	}
	return NULL;
}

static struct file_lock *lock_new(const struct file_lock *tmpl, uint64_t start, uint64_t end,
				  bool write)
{
	struct file_lock *l = xmalloc(sizeof(*l));

	*l = *tmpl;
	l->start = start;
	l->end = end;
	l->write = write;
	list_init(&l->link);
	return l;
}

/* Remove the owner's locks from [start, end], splitting locks that straddle it. */
static void owner_unlock_range(struct lock_file *lf, const struct file_lock *req)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &lf->locks) {
		struct file_lock *l = list_entry(pos, struct file_lock, link);

		if (l->kind != req->kind || l->owner != req->owner)
			continue;
		if (l->end < req->start || req->end < l->start)
			continue;
		if (l->start < req->start)
			list_add_tail(&lock_new(l, l->start, req->start - 1, l->write)->link,
				      &lf->locks);
		if (req->end != LOCK_EOF && l->end > req->end)
			list_add_tail(&lock_new(l, req->end + 1, l->end, l->write)->link,
				      &lf->locks);
		list_del(&l->link);
		free(l);
	}
}

/* Insert the request and coalesce it with the owner's touching locks of the same type. */
static void owner_insert(struct lock_file *lf, const struct file_lock *req)
{
	struct file_lock *nl = lock_new(req, req->start, req->end, req->write);
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &lf->locks) {
		struct file_lock *l = list_entry(pos, struct file_lock, link);

		if (l->kind != req->kind || l->owner != req->owner || l->write != nl->write)
			continue;
		if (l->end != LOCK_EOF && l->end + 1 < nl->start)
			continue;
		if (nl->end != LOCK_EOF && nl->end + 1 < l->start)
			continue;
		nl->start = MIN(nl->start, l->start);
		nl->end = MAX(nl->end, l->end);
		list_del(&l->link);
		free(l);
	}
	list_add_tail(&nl->link, &lf->locks);
}

/* Would waiting for blocker close a cycle back to owner in the POSIX wait-for graph? */
static bool posix_deadlock(const void *owner, const void *blocker)
{
	for (int i = 0; i < DEADLOCK_MAX_STEPS; i++) {
		struct list_head *pos;
		const void *next = NULL;

		if (blocker == owner)
			return true;
		list_for_each(pos, &g_posix_waiters) {
			struct lock_waiter *w = list_entry(pos, struct lock_waiter, link);

			if (w->owner == blocker) {
				next = w->blocker;
				break;
			}
		}
		if (!next)
			return false;
		blocker = next;
	}
	return false;
}

/* Wait on lf for a change; registers the POSIX wait-for edge while asleep. */
static int lock_wait(struct task *t, struct lock_file *lf, const struct file_lock *req,
		     const struct file_lock *conflict)
{
	struct lock_waiter w = {.owner = req->owner, .blocker = conflict->owner};
	int ret;

	if (req->kind == LK_POSIX) {
		if (conflict->kind == LK_POSIX && posix_deadlock(req->owner, conflict->owner))
			return -EDEADLK;
		list_add(&w.link, &g_posix_waiters);
	}
	lf->waiters++;
	ret = task_block(t, &lf->wq, NULL);
	lf->waiters--;
	if (req->kind == LK_POSIX)
		list_del(&w.link);
	return ret == -EINTR ? -ERESTARTSYS : 0;
}

/* The strongest record lock any sandbox owner holds at off. */
static short combined_at(struct lock_file *lf, uint64_t off)
{
	struct list_head *pos;
	short type = F_UNLCK;

	list_for_each(pos, &lf->locks) {
		struct file_lock *l = list_entry(pos, struct file_lock, link);

		if (l->kind == LK_FLOCK || off < l->start || off > l->end)
			continue;
		if (l->write)
			return F_WRLCK;
		type = F_RDLCK;
	}
	return type;
}

/* The last offset (at most end) of the run from off over which no record lock begins or
 * ends. */
static uint64_t run_end(struct lock_file *lf, uint64_t off, uint64_t end)
{
	struct list_head *pos;

	list_for_each(pos, &lf->locks) {
		struct file_lock *l = list_entry(pos, struct file_lock, link);

		if (l->kind == LK_FLOCK)
			continue;
		if (l->start > off && l->start - 1 < end)
			end = l->start - 1;
		if (l->start <= off && l->end >= off && l->end < end)
			end = l->end;
	}
	return end;
}

/* Set [start, end] on the host to the sandbox's combined locks there, one Tlock a run.
 * The kernel lock stays held, so the host sees these in order; they only keep or drop
 * what the sandbox holds there already, which never conflicts with a host lock. */
static void host_sync(struct lock_file *lf, uint64_t start, uint64_t end)
{
	uint64_t off = start;

	if (!lf->host)
		return;
	lf->host_syncs++;
	for (;;) {
		short type = combined_at(lf, off);
		uint64_t e = run_end(lf, off, end);

		while (e < end && combined_at(lf, e + 1) == type)
			e = run_end(lf, e + 1, end);
		lf->host->iops->host_lock(lf->host, type, off, e, false);
		if (e >= end)
			return;
		off = e + 1;
	}
}

/* Take req on the host before it is committed here (no local conflict). The kernel lock
 * goes during the round trip: 1 when the local state changed meanwhile (the caller checks
 * again; the host is set back to it), else 0, -EAGAIN on a host conflict, or -errno. */
static int host_acquire(struct lock_file *lf, const struct file_lock *req)
{
	unsigned syncs = lf->host_syncs;
	int ret;

	if (!lf->host || req->kind == LK_FLOCK)
		return 0;
	lf->waiters++; /* pins lf while the lock is let go */
	ret = lf->host->iops->host_lock(lf->host, req->write ? F_WRLCK : F_RDLCK, req->start,
					 req->end, true);
	lf->waiters--;
	if (ret == 0 && find_conflict(lf, req)) {
		host_sync(lf, req->start, req->end); /* another owner got there first */
		return 1;
	}
	if (ret == 0 && syncs != lf->host_syncs) {
		/* An unlock's Tlock may have overtaken ours: send it again, in order now. */
		ret = lf->host->iops->host_lock(lf->host, req->write ? F_WRLCK : F_RDLCK,
						 req->start, req->end, false);
	}
	return ret;
}

/* F_SETLKW on a host conflict: sleep a little (woken early by local changes). */
static int host_wait(struct task *t, struct lock_file *lf)
{
	struct timespec deadline;
	int ret;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_nsec += HOST_RETRY_MS * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	lf->waiters++;
	ret = task_block(t, &lf->wq, &deadline);
	lf->waiters--;
	return ret == -EINTR ? -ERESTARTSYS : 0;
}

/* Take (or with unlock, drop) the lock req describes; wait: block on conflicts. */
static int lock_set(struct task *t, const struct file *f, const struct file_lock *req,
		    bool unlock, bool wait)
{
	struct lock_file *lf = lock_file_find(f, !unlock);
	struct file_lock *c;
	int ret = 0;

	if (!lf)
		return 0;
	while (!unlock) {
		c = find_conflict(lf, req);
		if (!c) {
			ret = host_acquire(lf, req);
			if (ret == -EAGAIN && wait && (ret = host_wait(t, lf)) == 0)
				ret = 1; /* try again */
			if (ret != 1)
				break;
			continue;
		}
		if (!wait) {
			ret = -EAGAIN;
			break;
		}
		ret = lock_wait(t, lf, req, c);
		if (ret)
			break;
	}
	if (ret == 0) {
		owner_unlock_range(lf, req);
		if (!unlock)
			owner_insert(lf, req);
		else if (req->kind != LK_FLOCK)
			host_sync(lf, req->start, req->end);
		waitq_wake_all(&lf->wq);
	}
	lock_file_maybe_free(lf);
	return ret;
}

int lock_flock(struct task *t, struct file *f, int op)
{
	struct file_lock req = {.kind = LK_FLOCK, .owner = f, .start = 0, .end = LOCK_EOF};
	int cmd = op & ~LOCK_NB;
	int ret;

	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (cmd != LOCK_SH && cmd != LOCK_EX && cmd != LOCK_UN)
		return -EINVAL;
	req.pid = t ? t->tg->tgid : 0;
	req.write = cmd == LOCK_EX;
	/* A conversion drops the old lock first, as Linux does (not atomic). */
	ret = lock_set(t, f, &req, true, false);
	if (ret || cmd == LOCK_UN)
		return ret;
	ret = lock_set(t, f, &req, false, !(op & LOCK_NB));
	return ret == -EAGAIN ? -EWOULDBLOCK : ret;
}

/* Turn a struct flock into an absolute inclusive range. */
static int flock_range(struct file *f, const struct flock *fl, struct file_lock *req)
{
	int64_t base, start, end;
	struct kstat st;

	switch (fl->l_whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)f->pos;
		break;
	case SEEK_END:
		if (vfs_fstat(f, &st) < 0)
			return -EBADF;
		base = (int64_t)st.size;
		break;
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, (int64_t)fl->l_start, &start))
		return -EOVERFLOW;
	if (fl->l_len > 0) {
		if (__builtin_add_overflow(start, (int64_t)fl->l_len - 1, &end))
			return -EOVERFLOW;
	} else if (fl->l_len < 0) {
		end = start - 1;
		start += fl->l_len;
	} else {
		end = -1; /* to the end of the file, however far it grows */
	}
	if (start < 0)
		return -EINVAL;
	req->start = (uint64_t)start;
	req->end = end < 0 ? LOCK_EOF : (uint64_t)end;
	return 0;
}

static void fill_conflict(struct flock *fl, const struct file_lock *c)
{
	fl->l_type = c->write ? F_WRLCK : F_RDLCK;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)c->start;
	fl->l_len = c->end == LOCK_EOF ? 0 : (off_t)(c->end - c->start + 1);
	fl->l_pid = c->kind == LK_OFD ? -1 : pid_vnr(t_current, c->pid);
}

/* The sandbox's conflicting lock first, then the host's (other than the sandbox's own). */
static int lock_getlk(const struct file *f, const struct file_lock *req, struct flock *fl)
{
	struct lock_file *lf = lock_file_find(f, false);
	struct file_lock *c = lf ? find_conflict(lf, req) : NULL;
	struct inode *host = host_inode(f);

	if (c) {
		fill_conflict(fl, c);
		return 0;
	}
	if (!host) {
		fl->l_type = F_UNLCK;
		return 0;
	}
	fl->l_type = req->write ? F_WRLCK : F_RDLCK;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)req->start;
	fl->l_len = req->end == LOCK_EOF ? 0 : (off_t)(req->end - req->start + 1);
	return host->iops->host_getlock(host, fl);
}

int lock_fcntl(struct task *t, struct file *f, int cmd, struct flock *fl)
{
	bool ofd = cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
	bool get = cmd == F_GETLK || cmd == F_OFD_GETLK;
	struct file_lock req = {.kind = ofd ? LK_OFD : LK_POSIX};
	int ret;

	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (ofd && fl->l_pid != 0)
		return -EINVAL;
	if (fl->l_type != F_RDLCK && fl->l_type != F_WRLCK && fl->l_type != F_UNLCK)
		return -EINVAL;
	if (get && fl->l_type == F_UNLCK)
		return -EINVAL;
	ret = flock_range(f, fl, &req);
	if (ret)
		return ret;
	req.owner = ofd ? (const void *)f : (const void *)t->files;
	req.pid = t->tg->tgid;
	req.write = fl->l_type == F_WRLCK;
	if (get)
		return lock_getlk(f, &req, fl);
	if (fl->l_type == F_RDLCK && !(f->fmode & FMODE_READ))
		return -EBADF;
	if (fl->l_type == F_WRLCK && !(f->fmode & FMODE_WRITE))
		return -EBADF;
	return lock_set(t, f, &req, fl->l_type == F_UNLCK,
			cmd == F_SETLKW || cmd == F_OFD_SETLKW);
}

/* Drop every lock of kind (or every non-flock kind) owned by owner on key. */
static void drop_owner_locks(const struct file *f, const void *owner, bool posix_only)
{
	struct lock_file *lf = lock_file_find(f, false);
	uint64_t start = LOCK_EOF, end = 0;
	struct list_head *pos, *n;
	bool changed = false;

	if (!lf)
		return;
	list_for_each_safe(pos, n, &lf->locks) {
		struct file_lock *l = list_entry(pos, struct file_lock, link);

		if (l->owner != owner || (posix_only && l->kind != LK_POSIX))
			continue;
		if (l->kind != LK_FLOCK) {
			start = MIN(start, l->start);
			end = MAX(end, l->end);
		}
		list_del(&l->link);
		free(l);
		changed = true;
	}
	if (start <= end)
		host_sync(lf, start, end);
	if (changed)
		waitq_wake_all(&lf->wq);
	lock_file_maybe_free(lf);
}

void lock_close_posix(struct fdtable *ft, struct file *f)
{
	if (!f || list_empty(&g_lock_files))
		return;
	drop_owner_locks(f, ft, true);
}

void lock_release_file(struct file *f)
{
	if (list_empty(&g_lock_files))
		return;
	drop_owner_locks(f, f, false);
}
