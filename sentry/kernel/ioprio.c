/* ioprio.c: ioprio_set / ioprio_get (man 2 ioprio_set) as Linux 6.x: per-task I/O
 * contexts, who = process (a thread id), process group or user, the RT class needing
 * CAP_SYS_ADMIN or CAP_SYS_NICE, and the "best" priority over a group or user computed
 * from nice and policy for tasks that never set one. Recorded and reported only: host
 * threads keep the host's I/O priority. */
#include "sentry/kernel/ioprio.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>

#include "lib/util.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"

#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_CLASS(p) (((p) >> IOPRIO_CLASS_SHIFT) & 7)
#define IOPRIO_LEVEL(p) ((p) & 7)
#define IOPRIO_VALUE(c, d) (((c) << IOPRIO_CLASS_SHIFT) | (d))
enum { CLASS_NONE, CLASS_RT, CLASS_BE, CLASS_IDLE };
enum { WHO_PROCESS = 1, WHO_PGRP, WHO_USER };

struct io_context *ioprio_fork(struct io_context *parent, bool share)
{
	struct io_context *io;

	if (!parent)
		return NULL;
	if (share) {
		parent->refs++;
		return parent;
	}
	if (IOPRIO_CLASS(parent->ioprio) == CLASS_NONE)
		return NULL;
	io = xcalloc(1, sizeof(*io));
	io->refs = 1;
	io->ioprio = parent->ioprio;
	return io;
}

void ioprio_set_task(struct task *t, uint16_t prio)
{
	if (!t->io) {
		t->io = xcalloc(1, sizeof(*t->io));
		t->io->refs = 1;
	}
	t->io->ioprio = prio;
}

void ioprio_put(struct io_context *io)
{
	if (io && --io->refs == 0)
		free(io);
}

/* ioprio_check_cap: the value is checked before the target is looked up. */
int ioprio_check(const struct task *t, int prio)
{
	switch (IOPRIO_CLASS(prio)) {
	case CLASS_RT:
		if (!caps_capable(t, CAP_SYS_ADMIN) && !caps_capable(t, CAP_SYS_NICE))
			return -EPERM;
		return 0;
	case CLASS_BE: case CLASS_IDLE:
		return 0;
	case CLASS_NONE:
		return IOPRIO_LEVEL(prio) ? -EINVAL : 0;
	default:
		return -EINVAL;
	}
}

/* What a task that never chose a class gets: its class and level from policy and nice. */
static int ioprio_effective(const struct task *t)
{
	int policy = t->sched_policy & ~SCHED_RESET_ON_FORK;
	int prio = t->io ? t->io->ioprio : 0, class = CLASS_BE;

	if (IOPRIO_CLASS(prio) != CLASS_NONE)
		return prio;
	if (policy == SCHED_IDLE)
		class = CLASS_IDLE;
	else if (policy == SCHED_FIFO || policy == SCHED_RR)
		class = CLASS_RT;
	return IOPRIO_VALUE(class, (t->nice + 20) / 5);
}

/* set_task_ioprio: the target's real uid must be the caller's real or effective one. */
static int ioprio_set_one(struct task *caller, struct task *t, int prio)
{
	const struct creds *c = &caller->creds;

	if (t->creds.uid != c->euid && t->creds.uid != c->uid &&
	    !caps_capable(caller, CAP_SYS_NICE))
		return -EPERM;
	ioprio_set_task(t, (uint16_t)prio);
	return 0;
}

struct ioprio_walk {
	struct task *caller;
	int which, who;	/* who: a sandbox-wide pgid, or a uid */
	bool set;
	int prio;	/* the value to set */
	int ret;	/* -ESRCH until a task matched; get: the best (lowest) seen */
};

static void ioprio_visit(struct task *t, void *arg)
{
	struct ioprio_walk *w = arg;

	if (w->which == WHO_PGRP ? t->tg->pgid != w->who
				 : t->creds.uid != (uid_t)w->who || !task_vnr(w->caller, t))
		return;
	if (!w->set) {
		int p = ioprio_effective(t);
		w->ret = w->ret == -ESRCH || p < w->ret ? p : w->ret;
	} else if (w->ret == 0 || w->ret == -ESRCH) { /* Linux stops at the first refusal */
		w->ret = ioprio_set_one(w->caller, t, w->prio);
	}
}

static long ioprio_do(struct task *t, int which, int who, bool set, int prio)
{
	struct ioprio_walk w = {t, which, who, set, prio, -ESRCH};
	struct task *target;

	switch (which) {
	case WHO_PROCESS:
		target = who ? task_find(pid_from_vnr(t, who)) : t;
		if (!target)
			return -ESRCH;
		if (set)
			return ioprio_set_one(t, target, prio);
		return target->io ? target->io->ioprio : 0; /* the raw value, 0 if never set */
	case WHO_PGRP:
		w.who = who ? pid_from_vnr(t, who) : t->tg->pgid;
		break;
	case WHO_USER:
		if (who == -1)
			return -ESRCH; /* not a valid uid */
		/* As Linux: get's 0 is the caller's real uid, set's is uid 0. */
		w.who = who || set ? who : (int)t->creds.uid;
		break;
	default:
		return -EINVAL;
	}
	task_for_each(ioprio_visit, &w);
	return w.ret;
}

long sys_ioprio_set(struct task *t, const struct sysargs *a)
{
	int prio = arg_int(a, 2);
	int err = ioprio_check(t, prio);

	return err ? err : ioprio_do(t, arg_int(a, 0), arg_int(a, 1), true, prio);
}

long sys_ioprio_get(struct task *t, const struct sysargs *a)
{
	return ioprio_do(t, arg_int(a, 0), arg_int(a, 1), false, 0);
}
