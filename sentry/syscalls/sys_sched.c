/* sys_sched.c: scheduling policies, priorities and affinity as programs observe them,
 * and personality. The Sentry schedules nothing itself: host threads run every task, so
 * these calls keep and check Linux's values without changing host scheduling. */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define RR_TIMESLICE_NS 100000000L /* Linux's default sched_rr_timeslice_ms */
#define PER_QUERY 0xffffffffU

static struct task *sched_target(struct task *t, int pid, int *err)
{
	struct task *target;

	if (pid < 0) {
		*err = -EINVAL;
		return NULL;
	}
	target = pid ? task_find(pid_from_vnr(t, pid)) : t;
	if (!target)
		*err = -ESRCH;
	return target;
}

static bool policy_rt(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
}

/* The policies nice applies to (Linux: fair_policy); SCHED_IDLE keeps its nice. */
static bool policy_fair(int policy)
{
	return policy == SCHED_OTHER || policy == SCHED_BATCH;
}

static int prio_max(int policy)
{
	switch (policy) {
	case SCHED_FIFO: case SCHED_RR: return 99;
	case SCHED_OTHER: case SCHED_BATCH: case SCHED_IDLE: case 6 /* DEADLINE */: return 0;
	default: return -EINVAL;
	}
}

long sys_sched_get_priority_max(struct task *t, const struct sysargs *a)
{
	return prio_max(arg_int(a, 0));
}

long sys_sched_get_priority_min(struct task *t, const struct sysargs *a)
{
	int policy = arg_int(a, 0), max = prio_max(policy);

	return max < 0 ? max : (policy_rt(policy) ? 1 : 0);
}

/* Set policy (-1: keep) and priority on the target, with Linux's checks. */
static long sched_set(struct task *t, int pid, int policy, uaddr_t uparam)
{
	struct sched_param p;
	struct task *target;
	bool reset = false;
	int err = 0;

	if (uaddr_is_null(uparam) || pid < 0)
		return -EINVAL;
	if (copy_from_user(t, &p, uparam, sizeof(p)))
		return -EFAULT;
	target = sched_target(t, pid, &err);
	if (!target)
		return err;
	if (policy >= 0) {
		reset = policy & SCHED_RESET_ON_FORK;
		policy &= ~SCHED_RESET_ON_FORK;
		if (policy == 6 || prio_max(policy) < 0)
			return -EINVAL;
	} else {
		policy = target->sched_policy & ~SCHED_RESET_ON_FORK;
		reset = target->sched_policy & SCHED_RESET_ON_FORK;
	}
	if (policy_rt(policy) ? (p.sched_priority < 1 || p.sched_priority > 99)
			      : p.sched_priority != 0)
		return -EINVAL;
	if (!caps_capable(t, CAP_SYS_NICE)) {
		/* Without CAP_SYS_NICE: own tasks only, RT only within RLIMIT_RTPRIO. */
		if (target->creds.uid != t->creds.euid && target->creds.euid != t->creds.euid)
			return -EPERM;
		if (policy_rt(policy) &&
		    (uint64_t)p.sched_priority > t->tg->rlim[RLIMIT_RTPRIO].rlim_cur)
			return -EPERM;
	}
	target->sched_policy = policy | (reset ? SCHED_RESET_ON_FORK : 0);
	target->sched_prio = p.sched_priority;
	return 0;
}

long sys_sched_setscheduler(struct task *t, const struct sysargs *a)
{
	int policy = arg_int(a, 1);

	if (policy < 0)
		return -EINVAL;
	return sched_set(t, arg_int(a, 0), policy, arg_uaddr(a, 2));
}

long sys_sched_setparam(struct task *t, const struct sysargs *a)
{
	return sched_set(t, arg_int(a, 0), -1, arg_uaddr(a, 1));
}

long sys_sched_getscheduler(struct task *t, const struct sysargs *a)
{
	int err = 0;
	struct task *target = sched_target(t, arg_int(a, 0), &err);

	return target ? target->sched_policy : err;
}

long sys_sched_getparam(struct task *t, const struct sysargs *a)
{
	struct sched_param p = {0};
	struct task *target;
	int err = 0;

	if (uaddr_is_null(arg_uaddr(a, 1)))
		return -EINVAL;
	target = sched_target(t, arg_int(a, 0), &err);
	if (!target)
		return err;
	p.sched_priority = target->sched_prio;
	return copy_to_user(t, arg_uaddr(a, 1), &p, sizeof(p));
}

long sys_sched_rr_get_interval(struct task *t, const struct sysargs *a)
{
	struct timespec ts = {0, 0};
	struct task *target;
	int err = 0;

	target = sched_target(t, arg_int(a, 0), &err);
	if (!target)
		return err;
	/* FIFO has no time slice; the fair classes report 0 as Linux 6.x does here. */
	if ((target->sched_policy & ~SCHED_RESET_ON_FORK) == SCHED_RR)
		ts.tv_nsec = RR_TIMESLICE_NS;
	return copy_to_user(t, arg_uaddr(a, 1), &ts, sizeof(ts));
}

static uint64_t online_mask(void)
{
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	uint64_t mask = 0;

	for (long i = 0; i < ncpu && i < 64; i++)
		mask |= 1ULL << i;
	return mask;
}

long sys_sched_setaffinity(struct task *t, const struct sysargs *a)
{
	uint64_t len = arg_u64(a, 1), mask = 0;
	struct task *target;
	int err = 0;

	target = sched_target(t, arg_int(a, 0), &err);
	if (!target)
		return err;
	if (copy_from_user(t, &mask, arg_uaddr(a, 2), len < sizeof(mask) ? len : sizeof(mask)))
		return -EFAULT;
	mask &= online_mask();
	if (!mask)
		return -EINVAL;
	if (!caps_capable(t, CAP_SYS_NICE) && target->creds.uid != t->creds.euid &&
	    target->creds.euid != t->creds.euid)
		return -EPERM;
	target->affinity = mask;
	return 0;
}

long sys_sched_getaffinity(struct task *t, const struct sysargs *a)
{
	uint64_t len = arg_u64(a, 1), mask;
	struct task *target;
	int err = 0;

	target = sched_target(t, arg_int(a, 0), &err);
	if (!target)
		return err;
	if (len < sizeof(mask) || (len & (sizeof(long) - 1)))
		return -EINVAL;
	mask = target->affinity ? target->affinity : online_mask();
	if (copy_to_user(t, arg_uaddr(a, 2), &mask, sizeof(mask)))
		return -EFAULT;
	return sizeof(mask);
}

long sys_personality(struct task *t, const struct sysargs *a)
{
	unsigned persona = arg_uint(a, 0), old = t->personality;

	if (persona != PER_QUERY)
		t->personality = persona;
	return old;
}

/* getpriority/setpriority: the tasks one (which, who) names, and what to do with each. */
struct prio_ctx {
	struct task *caller;
	int which, who;
	bool set;
	int nice;	/* set: the new value; get: the lowest nice seen */
	int found, err;
};

static bool prio_match(const struct prio_ctx *c, const struct task *t)
{
	switch (c->which) {
	case PRIO_PROCESS: return t->tid == c->who;
	case PRIO_PGRP: return t->tg->pgid == c->who;
	default: return t->creds.uid == (uid_t)c->who;
	}
}

static void prio_visit(struct task *t, void *arg)
{
	struct prio_ctx *c = arg;
	const struct task *me = c->caller;

	if (!prio_match(c, t))
		return;
	c->found++;
	if (!c->set) {
		if (t->nice < c->nice)
			c->nice = t->nice;
		return;
	}
	if (!caps_capable(me, CAP_SYS_NICE) && t->creds.uid != me->creds.euid &&
	    t->creds.euid != me->creds.euid) {
		c->err = -EPERM;
		return;
	}
	/* Lowering nice needs CAP_SYS_NICE or RLIMIT_NICE (the floor is 20 - rlim_cur). */
	if (c->nice < t->nice && !caps_capable(me, CAP_SYS_NICE) &&
	    (uint64_t)(20 - c->nice) > t->tg->rlim[RLIMIT_NICE].rlim_cur) {
		c->err = -EACCES;
		return;
	}
	t->nice = c->nice;
}

static long prio_walk(struct task *t, struct prio_ctx *c)
{
	if (c->which < PRIO_PROCESS || c->which > PRIO_USER)
		return -EINVAL;
	if (c->who < 0)
		return -ESRCH;
	if (!c->who)
		c->who = c->which == PRIO_PROCESS ? t->tid
			 : c->which == PRIO_PGRP ? t->tg->pgid : (int)t->creds.uid;
	else if (c->which != PRIO_USER)
		c->who = pid_from_vnr(t, c->who); /* named in the caller's pid namespace */
	task_for_each(prio_visit, c);
	return c->found ? 0 : -ESRCH;
}

long sys_getpriority(struct task *t, const struct sysargs *a)
{
	struct prio_ctx c = {t, arg_int(a, 0), arg_int(a, 1), false, 20, 0, 0};
	long err = prio_walk(t, &c);

	/* The raw syscall returns 20 - nice (1..40) so that it is never negative. */
	return err ? err : 20 - c.nice;
}

long sys_setpriority(struct task *t, const struct sysargs *a)
{
	int nice = arg_int(a, 2);
	struct prio_ctx c = {t, arg_int(a, 0), arg_int(a, 1), true,
			     nice < -20 ? -20 : nice > 19 ? 19 : nice, 0, 0};
	long err = prio_walk(t, &c);

	return err ? err : c.err;
}

/* The kernel's struct sched_attr (sched_setattr/sched_getattr). */
struct ksched_attr {
	uint32_t size, policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime, deadline, period;
	uint32_t util_min, util_max;
};

#define SCHED_ATTR_SIZE_VER0 48
#define SCHED_ATTR_PAGE 4096
#define K_SCHED_DEADLINE 6
#define K_FLAG_RESET_ON_FORK 0x01
#define K_FLAG_KEEP_POLICY 0x08
#define K_FLAG_KEEP_PARAMS 0x10
#define K_FLAGS_KNOWN 0x7f

long sys_sched_getattr(struct task *t, const struct sysargs *a)
{
	uint32_t usize = arg_uint(a, 2);
	struct ksched_attr ka = {0};
	struct task *target;
	int err = 0;

	if (uaddr_is_null(arg_uaddr(a, 1)) || arg_int(a, 0) < 0 || arg_uint(a, 3) ||
	    usize > SCHED_ATTR_PAGE || usize < SCHED_ATTR_SIZE_VER0)
		return -EINVAL;
	target = sched_target(t, arg_int(a, 0), &err);
	if (!target)
		return err;
	ka.policy = (uint32_t)(target->sched_policy & ~SCHED_RESET_ON_FORK);
	if (target->sched_policy & SCHED_RESET_ON_FORK)
		ka.flags |= K_FLAG_RESET_ON_FORK;
	if (policy_rt((int)ka.policy))
		ka.priority = (uint32_t)target->sched_prio;
	else
		ka.nice = target->nice;
	ka.util_max = 1024;
	ka.size = usize < sizeof(ka) ? usize : (uint32_t)sizeof(ka);
	return copy_to_user(t, arg_uaddr(a, 1), &ka, ka.size);
}

/* Read a struct sched_attr of any size: a larger one must be zero past what we know. */
static int sched_attr_read(struct task *t, uaddr_t u, struct ksched_attr *ka)
{
	uint32_t size, known = (uint32_t)sizeof(*ka);
	uint8_t extra[64];

	if (copy_from_user(t, &size, u, sizeof(size)))
		return -EFAULT;
	if (!size)
		size = SCHED_ATTR_SIZE_VER0;
	if (size > SCHED_ATTR_PAGE || size < SCHED_ATTR_SIZE_VER0)
		goto too_big;
	memset(ka, 0, sizeof(*ka));
	if (copy_from_user(t, ka, u, size < known ? size : known))
		return -EFAULT;
	for (uint32_t off = known; off < size; off += sizeof(extra)) {
		uint32_t n = size - off < sizeof(extra) ? size - off : (uint32_t)sizeof(extra);
		if (copy_from_user(t, extra, uaddr_add(u, off), n))
			return -EFAULT;
		for (uint32_t i = 0; i < n; i++)
			if (extra[i])
				goto too_big;
	}
	ka->nice = ka->nice < -20 ? -20 : ka->nice > 19 ? 19 : ka->nice;
	return 0;
too_big:
	/* Linux tells the caller the size it knows. */
	ignore_result(copy_to_user(t, u, &known, sizeof(known)));
	return -E2BIG;
}

long sys_sched_setattr(struct task *t, const struct sysargs *a)
{
	struct ksched_attr ka;
	struct task *target;
	int err = 0, policy;

	if (uaddr_is_null(arg_uaddr(a, 1)) || arg_int(a, 0) < 0 || arg_uint(a, 2))
		return -EINVAL;
	err = sched_attr_read(t, arg_uaddr(a, 1), &ka);
	if (err)
		return err;
	target = sched_target(t, arg_int(a, 0), &err);
	if (!target)
		return err;
	policy = (ka.flags & K_FLAG_KEEP_POLICY) ? target->sched_policy & ~SCHED_RESET_ON_FORK
						 : (int)ka.policy;
	if ((ka.flags & ~(uint64_t)K_FLAGS_KNOWN) || prio_max(policy) < 0 || ka.priority > 99 ||
	    policy_rt(policy) != (ka.priority != 0))
		return -EINVAL;
	if (policy == K_SCHED_DEADLINE)
		return -EPERM; /* no deadline scheduling in the Sentry */
	if (!caps_capable(t, CAP_SYS_NICE)) {
		if (target->creds.uid != t->creds.euid && target->creds.euid != t->creds.euid)
			return -EPERM;
		if (policy_rt(policy) && ka.priority > t->tg->rlim[RLIMIT_RTPRIO].rlim_cur)
			return -EPERM;
		if (policy_fair(policy) && ka.nice < target->nice &&
		    (uint64_t)(20 - ka.nice) > target->tg->rlim[RLIMIT_NICE].rlim_cur)
			return -EPERM;
	}
	if (!(ka.flags & K_FLAG_KEEP_PARAMS)) {
		target->sched_prio = (int)ka.priority;
		if (policy_fair(policy))
			target->nice = ka.nice;
	}
	if (ka.flags & K_FLAG_RESET_ON_FORK)
		policy |= SCHED_RESET_ON_FORK;
	target->sched_policy = policy;
	return 0;
}
