/* msg.c: System V message queues: msgget, msgsnd, msgrcv (by type, MSG_EXCEPT,
 * MSG_NOERROR, MSG_COPY), msgctl, with blocking senders and receivers. */
#include "sentry/ipc/ipc_internal.h"

#include <errno.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>

#include "lib/list.h"
#include "lib/util.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/sched.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

/* Constants IPC_INFO reports as Linux does (the limits themselves are sysctls). */
#define MSGSSZ 16
#define MSGSEG 0xffff
#define MSGPOOL (IPC_MSGMNI_DFL * IPC_MSGMNB_DFL / 1024)
#define MSGMAP IPC_MSGMNB_DFL
#define MSGTQL IPC_MSGMNB_DFL

#define MSG_NOERROR_FLAG 010000
#define MSG_EXCEPT_FLAG 020000
#define MSG_COPY_FLAG 040000
#define MSG_STAT_CMD 11
#define MSG_INFO_CMD 12
#define MSG_STAT_ANY_CMD 13

struct msg {
	struct list_head link;
	long mtype;
	size_t size;
	char text[];
};

struct msg_queue {
	struct ipc_obj perm; /* first: the table holds &perm */
	struct ipc_ns *ns;
	int refs;	     /* the table until removed, plus each blocked caller */
	int64_t stime, rtime, ctime;
	uint64_t cbytes, qnum, qbytes;
	int lspid, lrpid;
	struct list_head msgs; /* of struct msg, in arrival order */
	struct waitq wq;       /* blocked senders and receivers */
};

enum search { SEARCH_ANY, SEARCH_EQUAL, SEARCH_NOTEQUAL, SEARCH_LESSEQUAL, SEARCH_NUMBER };

static void queue_put(struct msg_queue *q)
{
	if (--q->refs == 0)
		free(q);
}

static int queue_create(struct task *t, struct ipc_ns *ns, int32_t key, int flg, long arg)
{
	struct msg_queue *q = xcalloc(1, sizeof(*q));
	int err = ipc_add(t, &ns->ids[IPC_KIND_MSG], &q->perm, key, flg);

	if (err) {
		free(q);
		return err;
	}
	q->ns = ns;
	q->refs = 1;
	q->qbytes = (uint64_t)ns->msg_ctlmnb;
	q->ctime = ipc_now();
	list_init(&q->msgs);
	waitq_init(&q->wq);
	return q->perm.id;
}

static const struct ipc_get_ops g_msg_get_ops = {.create = queue_create};

long sys_msgget(struct task *t, const struct sysargs *a)
{
	return ipc_get(t, ipc_ns_of(t), IPC_KIND_MSG, arg_int(a, 0), arg_int(a, 1),
		       &g_msg_get_ops, 0);
}

static struct msg_queue *queue_lookup(struct task *t, int id)
{
	return (struct msg_queue *)ipc_lookup(&ipc_ns_of(t)->ids[IPC_KIND_MSG], id);
}

/* Block until the queue changes: 0 to retry, -ERESTARTNOHAND on a signal, -EIDRM. */
static int queue_wait(struct task *t, struct msg_queue *q)
{
	int r;

	q->refs++;
	r = task_block(t, &q->wq, NULL);
	if (q->perm.deleted)
		r = -EIDRM;
	else if (r == -EINTR)
		r = -ERESTARTNOHAND;
	queue_put(q);
	return r;
}

static void queue_add(struct task *t, struct msg_queue *q, struct msg *m)
{
	list_add_tail(&m->link, &q->msgs);
	q->cbytes += m->size;
	q->qnum++;
	q->ns->msg_bytes += m->size;
	q->ns->msg_hdrs++;
	q->stime = ipc_now();
	q->lspid = ipc_tgid(t);
	waitq_wake_all(&q->wq);
}

static long do_msgsnd(struct task *t, int id, struct msg *m, int flg)
{
	for (;;) {
		struct msg_queue *q = queue_lookup(t, id);
		int r;

		if (!q)
			return -EINVAL;
		if (ipc_perms(t, &q->perm, 0222))
			return -EACCES;
		if (m->size + q->cbytes <= q->qbytes && 1 + q->qnum <= q->qbytes) {
			queue_add(t, q, m);
			return 0;
		}
		if (flg & IPC_NOWAIT_FLAG)
			return -EAGAIN;
		r = queue_wait(t, q);
		if (r)
			return r;
	}
}

long sys_msgsnd(struct task *t, const struct sysargs *a)
{
	int id = arg_int(a, 0), flg = arg_int(a, 3);
	uaddr_t msgp = arg_uaddr(a, 1);
	size_t size = arg_u64(a, 2);
	struct msg *m;
	long mtype, r;

	if (copy_from_user(t, &mtype, msgp, sizeof(mtype)))
		return -EFAULT;
	if (size > (size_t)ipc_ns_of(t)->msg_ctlmax || (long)size < 0 || id < 0 || mtype < 1)
		return -EINVAL;
	m = xmalloc(sizeof(*m) + size);
	m->mtype = mtype;
	m->size = size;
	if (copy_from_user(t, m->text, uaddr_add(msgp, sizeof(long)), size)) {
		free(m);
		return -EFAULT;
	}
	r = do_msgsnd(t, id, m, flg);
	if (r)
		free(m);
	return r;
}

static bool msg_matches(const struct msg *m, long type, enum search mode)
{
	switch (mode) {
	case SEARCH_EQUAL:
		return m->mtype == type;
	case SEARCH_NOTEQUAL:
		return m->mtype != type;
	case SEARCH_LESSEQUAL:
		return m->mtype <= type;
	default: /* SEARCH_ANY, SEARCH_NUMBER */
		return true;
	}
}

/* Linux's find_msg: the first match, the lowest type for LESSEQUAL, or the type-th
 * message for MSG_COPY. */
static struct msg *find_msg(struct msg_queue *q, long type, enum search mode)
{
	struct msg *found = NULL;
	struct list_head *pos;
	long count = 0;

	list_for_each(pos, &q->msgs) {
		struct msg *m = list_entry(pos, struct msg, link);
		if (!msg_matches(m, type, mode))
			continue;
		if (mode == SEARCH_LESSEQUAL && m->mtype != 1) {
			type = m->mtype - 1;
			found = m;
		} else if (mode == SEARCH_NUMBER) {
			if (type == count)
				return m;
		} else {
			return m;
		}
		count++;
	}
	return found;
}

static enum search search_mode(long *type, int flg)
{
	if (flg & MSG_COPY_FLAG)
		return SEARCH_NUMBER;
	if (*type == 0)
		return SEARCH_ANY;
	if (*type < 0) {
		*type = *type == LONG_MIN ? LONG_MAX : -*type;
		return SEARCH_LESSEQUAL;
	}
	return (flg & MSG_EXCEPT_FLAG) ? SEARCH_NOTEQUAL : SEARCH_EQUAL;
}

static void queue_take(struct task *t, struct msg_queue *q, struct msg *m)
{
	list_del(&m->link);
	q->cbytes -= m->size;
	q->qnum--;
	q->ns->msg_bytes -= m->size;
	q->ns->msg_hdrs--;
	q->rtime = ipc_now();
	q->lrpid = ipc_tgid(t);
	waitq_wake_all(&q->wq); /* room for senders */
}

/* Find and take (or copy) a message: 0 with *out, or -errno. */
static int do_msgrcv(struct task *t, int id, size_t size, long type, int flg, struct msg **out)
{
	enum search mode = search_mode(&type, flg);

	for (;;) {
		struct msg_queue *q = queue_lookup(t, id);
		struct msg *m;
		int r;

		if (!q)
			return -EINVAL;
		if (ipc_perms(t, &q->perm, 0444))
			return -EACCES;
		m = find_msg(q, type, mode);
		if (m) {
			if (size < m->size && !(flg & MSG_NOERROR_FLAG))
				return -E2BIG;
			if (flg & MSG_COPY_FLAG) {
				*out = xmalloc(sizeof(*m) + m->size);
				memcpy(*out, m, sizeof(*m) + m->size);
			} else {
				queue_take(t, q, m);
				*out = m;
			}
			return 0;
		}
		if (flg & IPC_NOWAIT_FLAG)
			return -ENOMSG;
		r = queue_wait(t, q);
		if (r)
			return r;
	}
}

long sys_msgrcv(struct task *t, const struct sysargs *a)
{
	int id = arg_int(a, 0), flg = arg_int(a, 4);
	uaddr_t msgp = arg_uaddr(a, 1);
	size_t size = arg_u64(a, 2);
	struct msg *m;
	long r;

	if (id < 0 || (long)size < 0)
		return -EINVAL;
	if ((flg & MSG_COPY_FLAG) && ((flg & MSG_EXCEPT_FLAG) || !(flg & IPC_NOWAIT_FLAG)))
		return -EINVAL;
	r = do_msgrcv(t, id, size, arg_long(a, 3), flg, &m);
	if (r)
		return r;
	size = MIN(size, m->size);
	if (copy_to_user(t, msgp, &m->mtype, sizeof(long)) ||
	    copy_to_user(t, uaddr_add(msgp, sizeof(long)), m->text, size))
		r = -EFAULT;
	else
		r = (long)size;
	free(m);
	return r;
}

static long msg_stat(struct task *t, int id, int cmd, uaddr_t buf)
{
	struct ipc_ids *ids = &ipc_ns_of(t)->ids[IPC_KIND_MSG];
	struct abi_msqid64_ds ds;
	struct msg_queue *q;

	if (cmd == IPC_STAT_CMD)
		q = (struct msg_queue *)ipc_lookup(ids, id);
	else
		q = (struct msg_queue *)ipc_lookup_index(ids, id);
	if (!q)
		return -EINVAL;
	if (cmd != MSG_STAT_ANY_CMD && ipc_perms(t, &q->perm, 0444))
		return -EACCES;
	memset(&ds, 0, sizeof(ds));
	ipc_fill_perm(&q->perm, &ds.msg_perm);
	ds.msg_stime = q->stime;
	ds.msg_rtime = q->rtime;
	ds.msg_ctime = q->ctime;
	ds.msg_cbytes = q->cbytes;
	ds.msg_qnum = q->qnum;
	ds.msg_qbytes = q->qbytes;
	ds.msg_lspid = pid_vnr(t, q->lspid); /* as the caller's pid namespace numbers them */
	ds.msg_lrpid = pid_vnr(t, q->lrpid);
	if (copy_to_user(t, buf, &ds, sizeof(ds)))
		return -EFAULT;
	return cmd == IPC_STAT_CMD ? 0 : q->perm.id;
}

static long msg_info(struct task *t, int cmd, uaddr_t buf)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	struct ipc_ids *ids = &ns->ids[IPC_KIND_MSG];
	struct abi_msginfo mi = {
		.msgpool = MSGPOOL, .msgmap = MSGMAP, .msgmax = ns->msg_ctlmax,
		.msgmnb = ns->msg_ctlmnb, .msgmni = ids->limit, .msgssz = MSGSSZ,
		.msgtql = MSGTQL, .msgseg = MSGSEG,
	};

	if (cmd == MSG_INFO_CMD) {
		mi.msgpool = ids->in_use;
		mi.msgmap = ns->msg_hdrs;
		mi.msgtql = (int32_t)MIN(ns->msg_bytes, (uint64_t)INT_MAX);
	}
	if (copy_to_user(t, buf, &mi, sizeof(mi)))
		return -EFAULT;
	return ipc_max_idx(ids);
}

static void queue_remove(struct msg_queue *q)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &q->msgs) {
		struct msg *m = list_entry(pos, struct msg, link);
		q->ns->msg_bytes -= m->size;
		q->ns->msg_hdrs--;
		list_del(&m->link);
		free(m);
	}
	ipc_remove(&q->ns->ids[IPC_KIND_MSG], &q->perm);
	waitq_wake_all(&q->wq); /* blocked callers return EIDRM */
	queue_put(q);
}

void msg_ns_exit(struct ipc_ns *ns)
{
	struct ipc_ids *ids = &ns->ids[IPC_KIND_MSG];

	for (int i = 0; i < ids->nslots; i++)
		if (ids->slots[i])
			queue_remove((struct msg_queue *)ids->slots[i]);
}

static long msg_set_or_rmid(struct task *t, int id, int cmd, uaddr_t buf)
{
	struct abi_msqid64_ds ds;
	struct msg_queue *q;
	int err;

	if (cmd == IPC_SET_CMD && copy_from_user(t, &ds, buf, sizeof(ds)))
		return -EFAULT;
	q = queue_lookup(t, id);
	if (!q)
		return -EINVAL;
	err = ipc_check_owner(t, &q->perm);
	if (err)
		return err;
	if (cmd == IPC_RMID_CMD) {
		queue_remove(q);
		return 0;
	}
	if (ds.msg_qbytes > (uint64_t)q->ns->msg_ctlmnb && !caps_capable(t, CAP_SYS_RESOURCE))
		return -EPERM;
	ipc_set_perm(&q->perm, &ds.msg_perm);
	q->qbytes = ds.msg_qbytes;
	q->ctime = ipc_now();
	waitq_wake_all(&q->wq); /* senders may fit now; receivers recheck permissions */
	return 0;
}

long sys_msgctl(struct task *t, const struct sysargs *a)
{
	int id = arg_int(a, 0), cmd = arg_int(a, 1);
	uaddr_t buf = arg_uaddr(a, 2);

	if (id < 0 || cmd < 0)
		return -EINVAL;
	switch (cmd) {
	case IPC_INFO_CMD:
	case MSG_INFO_CMD:
		return msg_info(t, cmd, buf);
	case IPC_STAT_CMD:
	case MSG_STAT_CMD:
	case MSG_STAT_ANY_CMD:
		return msg_stat(t, id, cmd, buf);
	case IPC_SET_CMD:
	case IPC_RMID_CMD:
		return msg_set_or_rmid(t, id, cmd, buf);
	default:
		return -EINVAL;
	}
}

size_t ipc_format_proc_msg(struct task *t, char *buf, size_t size)
{
	struct ipc_ids *ids = &ipc_ns_of(t)->ids[IPC_KIND_MSG];
	size_t len = 0;
	int n;

	n = snprintf(buf, size, "       key      msqid perms      cbytes       qnum lspid lrpid   "
				"uid   gid  cuid  cgid      stime      rtime      ctime\n");
	len += n > 0 ? (size_t)n : 0;
	for (int i = 0; i < ids->nslots; i++) {
		struct msg_queue *q = (struct msg_queue *)ids->slots[i];

		if (!q)
			continue;
		n = snprintf(len < size ? buf + len : NULL, len < size ? size - len : 0,
			     "%10d %10d  %4o  %10llu %10llu %5u %5u %5u %5u %5u %5u %10lld %10lld "
			     "%10lld\n",
			     q->perm.key, q->perm.id, q->perm.mode, (unsigned long long)q->cbytes,
			     (unsigned long long)q->qnum, q->lspid, q->lrpid, q->perm.uid,
			     q->perm.gid, q->perm.cuid, q->perm.cgid, (long long)q->stime,
			     (long long)q->rtime, (long long)q->ctime);
		len += n > 0 ? (size_t)n : 0;
	}
	return len;
}
