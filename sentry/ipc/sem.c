/* sem.c: System V semaphores: semget, semop/semtimedop (atomic operation sets, blocking,
 * SEM_UNDO applied when the process exits) and semctl. */
#include "sentry/ipc/ipc_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lib/list.h"
#include "lib/util.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/sched.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

/* The limits are the namespace's kernel.sem sysctl; these are Linux's constants. */
#define SEMVMX 32767
#define SEMAEM SEMVMX
#define SEMUSZ 20
#define SEMMNU IPC_SEMMNS_DFL
#define SEMMAP IPC_SEMMNS_DFL
#define SEMUME IPC_SEMOPM_DFL

#define SEM_UNDO_FLAG 0x1000
#define GETPID_CMD 11
#define GETVAL_CMD 12
#define GETALL_CMD 13
#define GETNCNT_CMD 14
#define GETZCNT_CMD 15
#define SETVAL_CMD 16
#define SETALL_CMD 17
#define SEM_STAT_CMD 18
#define SEM_INFO_CMD 19
#define SEM_STAT_ANY_CMD 20

struct sem {
	int val;
	int pid; /* sempid: the process of the last operation */
};

struct sem_set {
	struct ipc_obj perm; /* first: the table holds &perm */
	struct ipc_ns *ns;
	int refs;		 /* the table until removed, plus each blocked semop */
	int nsems;
	int64_t otime, ctime;
	struct waitq wq;	 /* blocked semops: woken by every change */
	struct list_head waiters; /* of sem_waiter: what GETNCNT/GETZCNT count */
	struct list_head undos;	  /* of sem_undo.set_link */
	struct sem sems[];
};

/* A blocked semop and the operation it waits on. */
struct sem_waiter {
	struct list_head link;
	int sem_num;
	bool zero; /* waits for zero (GETZCNT) rather than for an increase (GETNCNT) */
};

/* SEM_UNDO adjustments of one process for one set, applied when it exits. */
struct sem_undo {
	struct list_head tg_link; /* g_undos */
	struct list_head set_link;
	struct thread_group *tg;
	struct sem_set *set;	  /* NULL once the set is removed */
	short adj[];
};

static struct list_head g_undos = LIST_HEAD_INIT(g_undos);

static void set_put(struct sem_set *s)
{
	if (--s->refs == 0)
		free(s);
}

static int set_create(struct task *t, struct ipc_ns *ns, int32_t key, int flg, long nsems)
{
	struct sem_set *s;
	int err;

	if (nsems == 0)
		return -EINVAL;
	if (ns->used_sems + nsems > ns->sem_ctls[1])
		return -ENOSPC;
	s = xcalloc(1, sizeof(*s) + nsems * sizeof(s->sems[0]));
	err = ipc_add(t, &ns->ids[IPC_KIND_SEM], &s->perm, key, flg);
	if (err) {
		free(s);
		return err;
	}
	s->ns = ns;
	s->refs = 1;
	s->nsems = (int)nsems;
	s->ctime = ipc_now();
	waitq_init(&s->wq);
	list_init(&s->waiters);
	list_init(&s->undos);
	ns->used_sems += (int)nsems;
	return s->perm.id;
}

static int set_more_checks(struct ipc_obj *o, long nsems)
{
	return nsems > ((struct sem_set *)o)->nsems ? -EINVAL : 0;
}

static const struct ipc_get_ops g_sem_get_ops = {
	.create = set_create,
	.more_checks = set_more_checks,
};

long sys_semget(struct task *t, const struct sysargs *a)
{
	int nsems = arg_int(a, 1);

	if (nsems < 0 || nsems > ipc_ns_of(t)->sem_ctls[0])
		return -EINVAL;
	return ipc_get(t, ipc_ns_of(t), IPC_KIND_SEM, arg_int(a, 0), arg_int(a, 2),
		       &g_sem_get_ops, nsems);
}

static struct sem_set *set_lookup(struct task *t, int id)
{
	return (struct sem_set *)ipc_lookup(&ipc_ns_of(t)->ids[IPC_KIND_SEM], id);
}

static void set_remove(struct sem_set *s)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &s->undos) {
		struct sem_undo *u = list_entry(pos, struct sem_undo, set_link);
		list_del(&u->set_link);
		list_init(&u->set_link);
		u->set = NULL;
	}
	s->ns->used_sems -= s->nsems;
	ipc_remove(&s->ns->ids[IPC_KIND_SEM], &s->perm);
	waitq_wake_all(&s->wq); /* blocked semops return EIDRM */
	set_put(s);
}

void sem_ns_exit(struct ipc_ns *ns)
{
	struct ipc_ids *ids = &ns->ids[IPC_KIND_SEM];

	for (int i = 0; i < ids->nslots; i++)
		if (ids->slots[i])
			set_remove((struct sem_set *)ids->slots[i]);
}

/* Forget every process's adjustment of semaphore num (-1: all), as SETVAL/SETALL do. */
static void undo_clear(struct sem_set *s, int num)
{
	struct list_head *pos;

	list_for_each(pos, &s->undos) {
		struct sem_undo *u = list_entry(pos, struct sem_undo, set_link);
		if (num < 0)
			memset(u->adj, 0, s->nsems * sizeof(u->adj[0]));
		else
			u->adj[num] = 0;
	}
}

static struct sem_undo *undo_find(struct thread_group *tg, struct sem_set *s, bool create)
{
	struct list_head *pos;
	struct sem_undo *u;

	list_for_each(pos, &s->undos) {
		u = list_entry(pos, struct sem_undo, set_link);
		if (u->tg == tg)
			return u;
	}
	if (!create)
		return NULL;
	u = xcalloc(1, sizeof(*u) + s->nsems * sizeof(u->adj[0]));
	u->tg = tg;
	tg->sem_undo_list = true;
	u->set = s;
	list_add_tail(&u->tg_link, &g_undos);
	list_add_tail(&u->set_link, &s->undos);
	return u;
}

static void undo_free(struct sem_undo *u)
{
	list_del(&u->tg_link);
	list_del(&u->set_link);
	free(u);
}

/* Try the whole operation set. 0: done; 1: would block on *blocking; -EAGAIN/-ERANGE. */
static int try_semop(struct task *t, struct sem_set *s, const struct abi_sembuf *sops,
		     unsigned nsops, struct sem_undo *u, const struct abi_sembuf **blocking)
{
	int *vals = xmalloc(s->nsems * sizeof(int));
	int err = 0;

	for (int i = 0; i < s->nsems; i++)
		vals[i] = s->sems[i].val;
	for (unsigned i = 0; i < nsops && !err; i++) {
		const struct abi_sembuf *op = &sops[i];
		int result = vals[op->sem_num] + op->sem_op;

		if ((op->sem_op == 0 && vals[op->sem_num] != 0) || result < 0) {
			*blocking = op;
			err = (op->sem_flg & IPC_NOWAIT_FLAG) ? -EAGAIN : 1;
		} else if (result > SEMVMX) {
			err = -ERANGE;
		} else if (op->sem_flg & SEM_UNDO_FLAG) {
			int undo = u->adj[op->sem_num] - op->sem_op;
			if (undo < -SEMAEM - 1 || undo > SEMAEM)
				err = -ERANGE;
		}
		vals[op->sem_num] = result;
	}
	if (err) {
		free(vals);
		return err;
	}
	for (unsigned i = 0; i < nsops; i++) {
		if (sops[i].sem_flg & SEM_UNDO_FLAG)
			u->adj[sops[i].sem_num] -= sops[i].sem_op;
		s->sems[sops[i].sem_num].pid = ipc_tgid(t);
	}
	for (int i = 0; i < s->nsems; i++)
		s->sems[i].val = vals[i];
	free(vals);
	s->otime = ipc_now();
	return 0;
}

/* Block until the set changes: 0 to retry, or -EAGAIN (timeout), -EINTR, -EIDRM. */
static int semop_wait(struct task *t, struct sem_set *s, const struct abi_sembuf *blocking,
		      const struct timespec *deadline)
{
	struct sem_waiter w = {.sem_num = blocking->sem_num, .zero = blocking->sem_op == 0};
	int r;

	list_add_tail(&w.link, &s->waiters);
	s->refs++;
	r = task_block(t, &s->wq, deadline);
	list_del(&w.link);
	if (s->perm.deleted)
		r = -EIDRM;
	else if (r == -ETIMEDOUT)
		r = -EAGAIN;
	set_put(s);
	return r;
}

static long do_semop(struct task *t, int id, const struct abi_sembuf *sops, unsigned nsops,
		     const struct timespec *deadline)
{
	bool undo = false, alter = false;
	int max = 0, r;

	for (unsigned i = 0; i < nsops; i++) {
		max = MAX(max, (int)sops[i].sem_num);
		undo |= sops[i].sem_flg & SEM_UNDO_FLAG;
		alter |= sops[i].sem_op != 0;
	}
	for (;;) {
		const struct abi_sembuf *blocking = NULL;
		struct sem_set *s = set_lookup(t, id);
		struct sem_undo *u = NULL;

		if (!s)
			return -EINVAL;
		if (max >= s->nsems)
			return -EFBIG;
		if (ipc_perms(t, &s->perm, alter ? 0222 : 0444))
			return -EACCES;
		if (undo)
			u = undo_find(t->tg, s, true);
		r = try_semop(t, s, sops, nsops, u, &blocking);
		if (r == 0 && alter)
			waitq_wake_all(&s->wq);
		if (r <= 0)
			return r;
		r = semop_wait(t, s, blocking, deadline);
		if (r)
			return r;
	}
}

static long semtimedop_common(struct task *t, const struct sysargs *a, uaddr_t utimeout)
{
	unsigned nsops = arg_uint(a, 2);
	struct timespec ts, deadline;
	struct abi_sembuf *sops;
	int id = arg_int(a, 0);
	long r;

	if (nsops < 1 || id < 0)
		return -EINVAL;
	if (nsops > (unsigned)ipc_ns_of(t)->sem_ctls[2])
		return -E2BIG;
	sops = xmalloc(nsops * sizeof(*sops));
	r = copy_from_user(t, sops, arg_uaddr(a, 1), nsops * sizeof(*sops));
	if (!r && !uaddr_is_null(utimeout)) {
		r = copy_from_user(t, &ts, utimeout, sizeof(ts));
		if (!r)
			r = ipc_deadline(&ts, &deadline);
	}
	if (!r)
		r = do_semop(t, id, sops, nsops, uaddr_is_null(utimeout) ? NULL : &deadline);
	free(sops);
	return r;
}

long sys_semop(struct task *t, const struct sysargs *a)
{
	return semtimedop_common(t, a, uaddr(0));
}

long sys_semtimedop(struct task *t, const struct sysargs *a)
{
	return semtimedop_common(t, a, arg_uaddr(a, 3));
}

void sem_undo_exit(struct thread_group *tg)
{
	struct list_head *pos, *n;

	tg->sem_undo_list = false;
	list_for_each_safe(pos, n, &g_undos) {
		struct sem_undo *u = list_entry(pos, struct sem_undo, tg_link);
		struct sem_set *s = u->set;

		if (u->tg != tg)
			continue;
		for (int i = 0; s && i < s->nsems; i++) {
			if (!u->adj[i])
				continue;
			s->sems[i].val = MAX(0, MIN(SEMVMX, s->sems[i].val + u->adj[i]));
			s->sems[i].pid = tg->tgid;
		}
		if (s)
			waitq_wake_all(&s->wq);
		undo_free(u);
	}
}

static int count_waiters(struct sem_set *s, int num, bool zero)
{
	struct list_head *pos;
	int n = 0;

	list_for_each(pos, &s->waiters) {
		struct sem_waiter *w = list_entry(pos, struct sem_waiter, link);
		n += w->sem_num == num && w->zero == zero;
	}
	return n;
}

static void set_changed(struct task *t, struct sem_set *s, int num)
{
	undo_clear(s, num);
	s->ctime = ipc_now();
	waitq_wake_all(&s->wq);
}

static long sem_setval(struct task *t, int id, int num, int val)
{
	struct sem_set *s;

	if (val > SEMVMX || val < 0)
		return -ERANGE;
	s = set_lookup(t, id);
	if (!s)
		return -EINVAL;
	if (num < 0 || num >= s->nsems)
		return -EINVAL;
	if (ipc_perms(t, &s->perm, 0222))
		return -EACCES;
	s->sems[num].val = val;
	s->sems[num].pid = ipc_tgid(t);
	set_changed(t, s, num);
	return 0;
}

static long sem_all(struct task *t, struct sem_set *s, int cmd, uaddr_t arg)
{
	size_t size = s->nsems * sizeof(uint16_t);
	uint16_t *vals = xmalloc(size);
	long r = 0;

	if (cmd == GETALL_CMD) {
		for (int i = 0; i < s->nsems; i++)
			vals[i] = (uint16_t)s->sems[i].val;
		r = copy_to_user(t, arg, vals, size) ? -EFAULT : 0;
	} else if (copy_from_user(t, vals, arg, size)) {
		r = -EFAULT;
	} else {
		for (int i = 0; i < s->nsems && !r; i++)
			if (vals[i] > SEMVMX)
				r = -ERANGE;
		for (int i = 0; i < s->nsems && !r; i++) {
			s->sems[i].val = vals[i];
			s->sems[i].pid = ipc_tgid(t);
		}
		if (!r)
			set_changed(t, s, -1);
	}
	free(vals);
	return r;
}

static long sem_main(struct task *t, int id, int num, int cmd, uaddr_t arg)
{
	struct sem_set *s = set_lookup(t, id);

	if (!s)
		return -EINVAL;
	if (ipc_perms(t, &s->perm, cmd == SETALL_CMD ? 0222 : 0444))
		return -EACCES;
	if (cmd == GETALL_CMD || cmd == SETALL_CMD)
		return sem_all(t, s, cmd, arg);
	if (num < 0 || num >= s->nsems)
		return -EINVAL;
	switch (cmd) {
	case GETVAL_CMD:
		return s->sems[num].val;
	case GETPID_CMD:
		return pid_vnr(t, s->sems[num].pid);
	case GETNCNT_CMD:
		return count_waiters(s, num, false);
	default: /* GETZCNT */
		return count_waiters(s, num, true);
	}
}

static long sem_stat(struct task *t, int id, int cmd, uaddr_t buf)
{
	struct ipc_ids *ids = &ipc_ns_of(t)->ids[IPC_KIND_SEM];
	struct abi_semid64_ds ds;
	struct sem_set *s;

	if (cmd == IPC_STAT_CMD)
		s = (struct sem_set *)ipc_lookup(ids, id);
	else
		s = (struct sem_set *)ipc_lookup_index(ids, id);
	if (!s)
		return -EINVAL;
	if (cmd != SEM_STAT_ANY_CMD && ipc_perms(t, &s->perm, 0444))
		return -EACCES;
	memset(&ds, 0, sizeof(ds));
	ipc_fill_perm(&s->perm, &ds.sem_perm);
	ds.sem_otime = s->otime;
	ds.sem_ctime = s->ctime;
	ds.sem_nsems = (uint64_t)s->nsems;
	if (copy_to_user(t, buf, &ds, sizeof(ds)))
		return -EFAULT;
	return cmd == IPC_STAT_CMD ? 0 : s->perm.id;
}

static long sem_info(struct task *t, int cmd, uaddr_t buf)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	struct ipc_ids *ids = &ns->ids[IPC_KIND_SEM];
	struct abi_seminfo si = {
		.semmni = ns->sem_ctls[3], .semmns = ns->sem_ctls[1],
		.semmsl = ns->sem_ctls[0], .semopm = ns->sem_ctls[2], .semvmx = SEMVMX,
		.semmnu = SEMMNU, .semmap = SEMMAP, .semume = SEMUME,
		.semusz = SEMUSZ, .semaem = SEMAEM,
	};

	if (cmd == SEM_INFO_CMD) {
		si.semusz = ids->in_use;
		si.semaem = ns->used_sems;
	}
	if (copy_to_user(t, buf, &si, sizeof(si)))
		return -EFAULT;
	return ipc_max_idx(ids);
}

static long sem_set_or_rmid(struct task *t, int id, int cmd, uaddr_t buf)
{
	struct abi_semid64_ds ds;
	struct sem_set *s;
	int err;

	if (cmd == IPC_SET_CMD && copy_from_user(t, &ds, buf, sizeof(ds)))
		return -EFAULT;
	s = set_lookup(t, id);
	if (!s)
		return -EINVAL;
	err = ipc_check_owner(t, &s->perm);
	if (err)
		return err;
	if (cmd == IPC_RMID_CMD) {
		set_remove(s);
		return 0;
	}
	ipc_set_perm(&s->perm, &ds.sem_perm);
	s->ctime = ipc_now();
	return 0;
}

long sys_semctl(struct task *t, const struct sysargs *a)
{
	int id = arg_int(a, 0), num = arg_int(a, 1), cmd = arg_int(a, 2);
	uaddr_t arg = arg_uaddr(a, 3);

	if (id < 0)
		return -EINVAL;
	switch (cmd) {
	case IPC_INFO_CMD:
	case SEM_INFO_CMD:
		return sem_info(t, cmd, arg);
	case IPC_STAT_CMD:
	case SEM_STAT_CMD:
	case SEM_STAT_ANY_CMD:
		return sem_stat(t, id, cmd, arg);
	case GETALL_CMD:
	case GETVAL_CMD:
	case GETPID_CMD:
	case GETNCNT_CMD:
	case GETZCNT_CMD:
	case SETALL_CMD:
		return sem_main(t, id, num, cmd, arg);
	case SETVAL_CMD:
		return sem_setval(t, id, num, arg_int(a, 3));
	case IPC_SET_CMD:
	case IPC_RMID_CMD:
		return sem_set_or_rmid(t, id, cmd, arg);
	default:
		return -EINVAL;
	}
}

size_t ipc_format_proc_sem(struct task *t, char *buf, size_t size)
{
	struct ipc_ids *ids = &ipc_ns_of(t)->ids[IPC_KIND_SEM];
	size_t len = 0;
	int n;

	n = snprintf(buf, size, "       key      semid perms      nsems   uid   gid  cuid  cgid "
				"     otime      ctime\n");
	len += n > 0 ? (size_t)n : 0;
	for (int i = 0; i < ids->nslots; i++) {
		struct sem_set *s = (struct sem_set *)ids->slots[i];

		if (!s)
			continue;
		n = snprintf(len < size ? buf + len : NULL, len < size ? size - len : 0,
			     "%10d %10d  %4o %10d %5u %5u %5u %5u %10lld %10lld\n", s->perm.key,
			     s->perm.id, s->perm.mode, s->nsems, s->perm.uid, s->perm.gid,
			     s->perm.cuid, s->perm.cgid, (long long)s->otime, (long long)s->ctime);
		len += n > 0 ? (size_t)n : 0;
	}
	return len;
}
