/* sys_sched.c: scheduling policies, priorities and affinity as programs observe them,
 * and personality. The Sentry schedules nothing itself: host threads run every task, so
 * these calls keep and check Linux's values without changing host scheduling. */
#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>

#include "sentry/kernel/caps.h"
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
	target = pid ? task_find(pid) : t;
	if (!target)
		*err = -ESRCH;
	return target;
}

static bool policy_rt(int policy)
{
	return policy == SCHED_FIFO || policy == SCHED_RR;
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
	if (!capable(t, CAP_SYS_NICE)) {
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
	if (!capable(t, CAP_SYS_NICE) && target->creds.uid != t->creds.euid &&
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
