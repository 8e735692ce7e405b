/* mqueue.c: POSIX message queues: mq_open, mq_unlink, mq_timedsend, mq_timedreceive,
 * mq_notify and mq_getsetattr on the queues of the mqueue filesystem (mqueue_fs.c). */
#include "sentry/ipc/mqueue.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "lib/util.h"
#include "sentry/ipc/ipc_internal.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

#ifndef SI_MESGQ
#define SI_MESGQ -3
#endif
/* What Linux charges per message slot and per priority node (struct msg_msg and struct
 * posix_msg_tree_node on x86-64), so RLIMIT_MSGQUEUE runs out where it does there. */
#define MQ_MSG_OVERHEAD 48
#define MQ_NODE_OVERHEAD 48

struct mq_msg {
	struct list_head link;
	unsigned prio;
	size_t size;
	char data[];
};

/* Bytes charged per user (RLIMIT_MSGQUEUE is per user, not per process). */
struct mq_user {
	struct list_head link;
	uid_t uid;
	uint64_t bytes;
};
static struct list_head g_mq_users = LIST_HEAD_INIT(g_mq_users);

static struct mq_user *mq_user(uid_t uid)
{
	struct list_head *pos;
	struct mq_user *u;

	list_for_each(pos, &g_mq_users) {
		u = list_entry(pos, struct mq_user, link);
		if (u->uid == uid)
			return u;
	}
	u = xcalloc(1, sizeof(*u));
	u->uid = uid;
	list_add(&u->link, &g_mq_users);
	return u;
}

/* Linux's mq_attr_ok: the caller's attributes against the namespace's fs.mqueue.msg_max
 * and msgsize_max (the hard limits with CAP_SYS_RESOURCE). The defaults are not checked. */
static int mq_check_attr(struct task *t, struct ipc_ns *ns, const struct abi_mq_attr *a)
{
	bool cap = caps_capable(t, CAP_SYS_RESOURCE);

	if (a->mq_maxmsg <= 0 || a->mq_msgsize <= 0)
		return -EINVAL;
	if (a->mq_maxmsg > (cap ? MQ_HARD_MAXMSG : ns->mq_msg_max) ||
	    a->mq_msgsize > (cap ? MQ_HARD_MSGSIZE : ns->mq_msgsize_max))
		return -EINVAL;
	return 0;
}

int mqueue_new(struct task *t, const struct abi_mq_attr *attr, struct mqueue **out)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	/* Without attributes: the defaults, capped by the maxima (as Linux does). */
	struct abi_mq_attr a = {.mq_maxmsg = MIN(ns->mq_msg_default, ns->mq_msg_max),
				.mq_msgsize = MIN(ns->mq_msgsize_default, ns->mq_msgsize_max)};
	uint64_t bytes, lim = t->tg->rlim[RLIMIT_MSGQUEUE].rlim_cur;
	struct mq_user *u;
	struct mqueue *q;
	int err;

	if (attr) {
		err = mq_check_attr(t, ns, attr);
		if (err)
			return err;
		a.mq_maxmsg = attr->mq_maxmsg;
		a.mq_msgsize = attr->mq_msgsize;
	}
	if (ns->mq_queues >= ns->mq_queues_max && !caps_capable(t, CAP_SYS_RESOURCE))
		return -ENOSPC;
	bytes = (uint64_t)a.mq_maxmsg * (MQ_MSG_OVERHEAD + (uint64_t)a.mq_msgsize) +
		(uint64_t)MIN(a.mq_maxmsg, MQ_PRIO_MAX_) * MQ_NODE_OVERHEAD;
	u = mq_user(t->creds.euid);
	if (u->bytes + bytes > lim)
		return -EMFILE;
	u->bytes += bytes;
	q = xcalloc(1, sizeof(*q));
	q->attr = a;
	list_init(&q->msgs);
	waitq_init(&q->wq);
	q->charged_uid = u->uid;
	q->charged = bytes;
	q->ns = ns;
	ns->mq_queues++;
	*out = q;
	return 0;
}

void mqueue_free(struct mqueue *q)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &q->msgs)
		free(list_entry(pos, struct mq_msg, link));
	mq_user(q->charged_uid)->bytes -= q->charged;
	q->ns->mq_queues--;
	ipc_ns_maybe_free(q->ns); /* a namespace without tasks goes with its last queue */
	free(q);
}

void mqueue_file_release(struct task *t, struct mqueue *q)
{
	if (q->notify_owner && q->notify_owner == ipc_tgid(t))
		q->notify_owner = 0;
}

int mqueue_describe(struct mqueue *q, char *buf, size_t size)
{
	bool on = q->notify_owner != 0;

	return snprintf(buf, size, "QSIZE:%-10llu NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d\n",
			(unsigned long long)q->qsize, on ? q->notify_kind : 0,
			on && q->notify_kind == SIGEV_SIGNAL ? q->notify_signo : 0,
			q->notify_owner);
}

unsigned mqueue_poll_events(struct mqueue *q)
{
	unsigned ev = 0;

	if (q->attr.mq_curmsgs)
		ev |= POLLIN | POLLRDNORM;
	if (q->attr.mq_curmsgs < q->attr.mq_maxmsg)
		ev |= POLLOUT | POLLWRNORM;
	return ev;
}

/* The queue became non-empty: signal the registered process once (then unregister). */
static void mq_notify_fire(struct task *t, struct mqueue *q)
{
	struct thread_group *tg;
	siginfo_t info;

	if (!q->notify_owner || q->receivers)
		return;
	tg = tg_find(q->notify_owner);
	if (q->notify_kind == SIGEV_SIGNAL && q->notify_signo && tg) {
		memset(&info, 0, sizeof(info));
		info.si_signo = q->notify_signo;
		info.si_code = SI_MESGQ;
		info.si_pid = ipc_tgid(t);
		info.si_uid = t->creds.uid;
		info.si_value = q->notify_value;
		(void)tg_send_signal(tg, q->notify_signo, &info);
	}
	q->notify_owner = 0;
}

static void mq_enqueue(struct task *t, struct mqueue *q, struct mq_msg *m)
{
	struct list_head *pos;

	/* Before the first message of lower priority: FIFO within a priority. */
	list_for_each(pos, &q->msgs) {
		if (list_entry(pos, struct mq_msg, link)->prio < m->prio)
			break;
	}
	list__insert(&m->link, pos->prev, pos);
	q->attr.mq_curmsgs++;
	q->qsize += m->size;
	if (q->attr.mq_curmsgs == 1)
		mq_notify_fire(t, q);
	waitq_wake_all(&q->wq);
}

/* Turn an absolute CLOCK_REALTIME timeout into a CLOCK_MONOTONIC deadline. */
static int mq_deadline(struct task *t, uaddr_t uts, struct timespec *deadline)
{
	struct timespec ts, now;
	int64_t ns;

	if (copy_from_user(t, &ts, uts, sizeof(ts)))
		return -EFAULT;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
		return -EINVAL;
	clock_gettime(CLOCK_REALTIME, &now);
	if (ts.tv_sec - now.tv_sec > INT32_MAX)
		ts.tv_sec = now.tv_sec + INT32_MAX; /* far enough: never, in practice */
	ns = (ts.tv_sec - now.tv_sec) * 1000000000LL + (ts.tv_nsec - now.tv_nsec);
	ts.tv_sec = ns > 0 ? ns / 1000000000LL : 0;
	ts.tv_nsec = ns > 0 ? ns % 1000000000LL : 0;
	return ipc_deadline(&ts, deadline);
}

/* The queue of descriptor fd, opened for fmode (FMODE_READ/WRITE): 0 with *fp
 * referenced, or -EBADF. */
static int mq_get(struct task *t, int fd, unsigned fmode, struct file **fp, struct mqueue **qp)
{
	struct file *f = fdtable_get(t->files, fd);

	if (!f)
		return -EBADF;
	*qp = mqueue_of_file(f);
	if (!*qp || (fmode && !(f->fmode & fmode))) {
		file_put(f);
		return -EBADF;
	}
	*fp = f;
	return 0;
}

static long mq_wait(struct task *t, struct mqueue *q, const struct timespec *deadline)
{
	int r = task_block(t, &q->wq, deadline);

	if (r == -EINTR)
		return -ERESTARTSYS;
	return r; /* 0 or -ETIMEDOUT */
}

static long do_send(struct task *t, struct file *f, struct mqueue *q, struct mq_msg *m,
		    const struct timespec *deadline)
{
	while (q->attr.mq_curmsgs >= q->attr.mq_maxmsg) {
		long r;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		r = mq_wait(t, q, deadline);
		if (r)
			return r;
	}
	mq_enqueue(t, q, m);
	return 0;
}

long sys_mq_timedsend(struct task *t, const struct sysargs *a)
{
	uaddr_t uts = arg_uaddr(a, 4);
	size_t len = arg_u64(a, 2);
	unsigned prio = arg_uint(a, 3);
	struct timespec deadline;
	struct mq_msg *m;
	struct mqueue *q;
	struct file *f;
	long r;

	if (!uaddr_is_null(uts)) {
		r = mq_deadline(t, uts, &deadline);
		if (r)
			return r;
	}
	if (prio >= MQ_PRIO_MAX_)
		return -EINVAL;
	r = mq_get(t, arg_int(a, 0), FMODE_WRITE, &f, &q);
	if (r)
		return r;
	if (len > (size_t)q->attr.mq_msgsize) {
		file_put(f);
		return -EMSGSIZE;
	}
	m = xmalloc(sizeof(*m) + len);
	m->prio = prio;
	m->size = len;
	r = copy_from_user(t, m->data, arg_uaddr(a, 1), len) ? -EFAULT : 0;
	if (!r)
		r = do_send(t, f, q, m, uaddr_is_null(uts) ? NULL : &deadline);
	if (r)
		free(m);
	file_put(f);
	return r;
}

static long do_receive(struct task *t, struct file *f, struct mqueue *q,
		       const struct timespec *deadline, struct mq_msg **out)
{
	while (q->attr.mq_curmsgs == 0) {
		long r;
		if (f->flags & O_NONBLOCK)
			return -EAGAIN;
		q->receivers++;
		r = mq_wait(t, q, deadline);
		q->receivers--;
		if (r)
			return r;
	}
	*out = list_entry(q->msgs.next, struct mq_msg, link);
	list_del(&(*out)->link);
	q->attr.mq_curmsgs--;
	q->qsize -= (*out)->size;
	waitq_wake_all(&q->wq);
	return 0;
}

long sys_mq_timedreceive(struct task *t, const struct sysargs *a)
{
	uaddr_t uts = arg_uaddr(a, 4), uprio = arg_uaddr(a, 3);
	size_t len = arg_u64(a, 2);
	struct timespec deadline;
	struct mq_msg *m;
	struct mqueue *q;
	struct file *f;
	long r;

	if (!uaddr_is_null(uts)) {
		r = mq_deadline(t, uts, &deadline);
		if (r)
			return r;
	}
	r = mq_get(t, arg_int(a, 0), FMODE_READ, &f, &q);
	if (r)
		return r;
	if (len < (size_t)q->attr.mq_msgsize)
		r = -EMSGSIZE;
	else
		r = do_receive(t, f, q, uaddr_is_null(uts) ? NULL : &deadline, &m);
	file_put(f);
	if (r)
		return r;
	r = (long)m->size;
	if ((!uaddr_is_null(uprio) && copy_to_user(t, uprio, &m->prio, sizeof(m->prio))) ||
	    copy_to_user(t, arg_uaddr(a, 1), m->data, m->size))
		r = -EFAULT;
	free(m);
	return r;
}

static long do_notify(struct task *t, struct mqueue *q, const struct sigevent *ev)
{
	if (!ev) {
		if (q->notify_owner == ipc_tgid(t))
			q->notify_owner = 0;
		return 0;
	}
	if (q->notify_owner)
		return -EBUSY;
	q->notify_kind = ev->sigev_notify;
	q->notify_signo = ev->sigev_signo;
	q->notify_value = ev->sigev_value;
	q->notify_owner = ipc_tgid(t);
	return 0;
}

long sys_mq_notify(struct task *t, const struct sysargs *a)
{
	uaddr_t uev = arg_uaddr(a, 1);
	struct sigevent ev;
	struct mqueue *q;
	struct file *f;
	long r;

	if (!uaddr_is_null(uev)) {
		if (copy_from_user(t, &ev, uev, sizeof(ev)))
			return -EFAULT;
		/* SIGEV_THREAD needs a netlink notification socket: not supported. */
		if (ev.sigev_notify != SIGEV_NONE && ev.sigev_notify != SIGEV_SIGNAL)
			return -EINVAL;
		if (ev.sigev_notify == SIGEV_SIGNAL &&
		    (ev.sigev_signo < 0 || ev.sigev_signo > SENTRY_NSIG))
			return -EINVAL;
	}
	r = mq_get(t, arg_int(a, 0), 0, &f, &q);
	if (r)
		return r;
	r = do_notify(t, q, uaddr_is_null(uev) ? NULL : &ev);
	file_put(f);
	return r;
}

long sys_mq_getsetattr(struct task *t, const struct sysargs *a)
{
	uaddr_t unew = arg_uaddr(a, 1), uold = arg_uaddr(a, 2);
	struct abi_mq_attr nattr, oattr;
	struct mqueue *q;
	struct file *f;
	long r;

	if (!uaddr_is_null(unew)) {
		if (copy_from_user(t, &nattr, unew, sizeof(nattr)))
			return -EFAULT;
		if (nattr.mq_flags & ~(int64_t)O_NONBLOCK)
			return -EINVAL;
	}
	r = mq_get(t, arg_int(a, 0), 0, &f, &q);
	if (r)
		return r;
	oattr = q->attr;
	memset(oattr.reserved, 0, sizeof(oattr.reserved));
	oattr.mq_flags = f->flags & O_NONBLOCK;
	if (!uaddr_is_null(unew))
		f->flags = (f->flags & ~O_NONBLOCK) | (int)(nattr.mq_flags & O_NONBLOCK);
	file_put(f);
	if (!uaddr_is_null(uold) && copy_to_user(t, uold, &oattr, sizeof(oattr)))
		return -EFAULT;
	return 0;
}

/* A queue name as lookup_one_len takes it: one component, not "." or "..". */
static long mq_copy_name(struct task *t, uaddr_t uname, char *name)
{
	long len = strncpy_from_user(t, name, uname, VFS_PATH_MAX);

	if (len < 0)
		return len;
	if (len == 0)
		return -ENOENT; /* an empty name, as getname() says */
	if (strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EACCES;
	if (len > VFS_NAME_MAX)
		return -ENAMETOOLONG;
	return 0;
}

long sys_mq_open(struct task *t, const struct sysargs *a)
{
	int oflag = arg_int(a, 1);
	uaddr_t uattr = arg_uaddr(a, 3);
	struct abi_mq_attr attr;
	char *name = xmalloc(VFS_PATH_MAX);
	struct file *f;
	long r;

	r = mq_copy_name(t, arg_uaddr(a, 0), name);
	if (!r && !uaddr_is_null(uattr) && copy_from_user(t, &attr, uattr, sizeof(attr)))
		r = -EFAULT;
	if (!r)
		r = mqueue_fs_open(t, name, oflag, arg_uint(a, 2) & 07777,
				   uaddr_is_null(uattr) ? NULL : &attr, &f);
	free(name);
	if (r)
		return r;
	/* Message queue descriptors are always close-on-exec, as Linux makes them. */
	r = fdtable_alloc(t, t->files, f, 0, true);
	file_put(f);
	return r;
}

long sys_mq_unlink(struct task *t, const struct sysargs *a)
{
	char *name = xmalloc(VFS_PATH_MAX);
	long r = mq_copy_name(t, arg_uaddr(a, 0), name);

	if (!r)
		r = mqueue_fs_unlink(t, name);
	free(name);
	return r;
}
