/* sys_misc.c: uname, limits, randomness, arch_prctl, prctl, scheduling queries, sysinfo. */
#include <asm/prctl.h>
#include <errno.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/kernel/uts.h"

#define NR_OPEN_MAX 1048576
#define DEFAULT_TIMER_SLACK_NS 50000

long sys_uname(struct task *t, const struct sysargs *a)
{
	struct utsname u;

	uts_get(&u);
	return copy_to_user(t, arg_uaddr(a, 0), &u, sizeof(u));
}

long sys_sethostname(struct task *t, const struct sysargs *a)
{
	char name[65];
	int len = arg_int(a, 1);

	if (!caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if (len < 0 || len > 64)
		return -EINVAL;
	if (copy_from_user(t, name, arg_uaddr(a, 0), (size_t)len))
		return -EFAULT;
	name[len] = '\0';
	uts_set_hostname(name);
	return 0;
}

long sys_setdomainname(struct task *t, const struct sysargs *a)
{
	char name[65];
	int len = arg_int(a, 1);

	if (!caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if (len < 0 || len > 64)
		return -EINVAL;
	if (copy_from_user(t, name, arg_uaddr(a, 0), (size_t)len))
		return -EFAULT;
	name[len] = '\0';
	uts_set_domainname(name);
	return 0;
}

static int do_prlimit(struct task *t, int pid, unsigned res, const struct rlimit *nl,
		      struct rlimit *old)
{
	struct thread_group *tg = pid ? tg_find(pid_from_vnr(t, pid)) : t->tg;

	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	if (pid < 0 || !tg)
		return -ESRCH;
	if (old)
		*old = tg->rlim[res];
	if (nl) {
		if (nl->rlim_cur > nl->rlim_max)
			return -EINVAL;
		if (nl->rlim_max > tg->rlim[res].rlim_max && !caps_capable(t, CAP_SYS_RESOURCE))
			return -EPERM;
		if (res == RLIMIT_NOFILE && nl->rlim_max > NR_OPEN_MAX)
			return -EPERM;
		tg->rlim[res] = *nl;
		if (res == RLIMIT_CPU)
			timers_rlimit_cpu_changed(tg);
	}
	return 0;
}

long sys_prlimit64(struct task *t, const struct sysargs *a)
{
	struct rlimit nl, old;
	uaddr_t unew = arg_uaddr(a, 2), uold = arg_uaddr(a, 3);
	int err;

	if (!uaddr_is_null(unew) && copy_from_user(t, &nl, unew, sizeof(nl)))
		return -EFAULT;
	err = do_prlimit(t, arg_int(a, 0), arg_uint(a, 1), uaddr_is_null(unew) ? NULL : &nl, &old);
	if (err)
		return err;
	if (!uaddr_is_null(uold) && copy_to_user(t, uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_getrlimit(struct task *t, const struct sysargs *a)
{
	struct rlimit old;
	int err = do_prlimit(t, 0, arg_uint(a, 0), NULL, &old);

	if (err)
		return err;
	return copy_to_user(t, arg_uaddr(a, 1), &old, sizeof(old));
}

long sys_setrlimit(struct task *t, const struct sysargs *a)
{
	struct rlimit nl;

	if (copy_from_user(t, &nl, arg_uaddr(a, 1), sizeof(nl)))
		return -EFAULT;
	return do_prlimit(t, 0, arg_uint(a, 0), &nl, NULL);
}

long sys_getrandom(struct task *t, const struct sysargs *a)
{
	unsigned flags = arg_uint(a, 2);
	size_t count = MIN(arg_u64(a, 1), (size_t)33554431);
	uint8_t buf[4096];
	size_t done = 0;

	if (flags & ~(unsigned)(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
		return -EINVAL;
	if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
		return -EINVAL;
	while (done < count) {
		size_t chunk = MIN(count - done, sizeof(buf));
		ssize_t n = getrandom(buf, chunk, GRND_NONBLOCK);
		if (n <= 0)
			return done ? (long)done : -EAGAIN;
		if (copy_to_user(t, uaddr_add(arg_uaddr(a, 0), done), buf, (size_t)n))
			return done ? (long)done : -EFAULT;
		done += (size_t)n;
	}
	return (long)done;
}

long sys_arch_prctl(struct task *t, const struct sysargs *a)
{
	uint64_t addr = arg_u64(a, 1);

	switch (arg_int(a, 0)) {
	case ARCH_SET_FS:
		if (addr >= PLAT_APP_MAX_ADDR)
			return -EPERM;
		t->regs.fs_base = addr;
		return 0;
	case ARCH_SET_GS:
		if (addr >= PLAT_APP_MAX_ADDR)
			return -EPERM;
		t->regs.gs_base = addr;
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(t, arg_uaddr(a, 1), &t->regs.fs_base, 8);
	case ARCH_GET_GS:
		return copy_to_user(t, arg_uaddr(a, 1), &t->regs.gs_base, 8);
	case ARCH_GET_CPUID:
		return 1; /* cpuid is not faulting */
	case ARCH_SET_CPUID:
		return -ENODEV;
	default:
		return -EINVAL;
	}
}

long sys_prctl(struct task *t, const struct sysargs *a)
{
	int opt = arg_int(a, 0);
	uint64_t arg2 = arg_u64(a, 1);
	char name[16];

	switch (opt) {
	case PR_SET_NAME:
		if (strncpy_from_user(t, name, arg_uaddr(a, 1), sizeof(name)) == -EFAULT)
			return -EFAULT;
		name[15] = '\0';
		memcpy(t->comm, name, sizeof(name));
		return 0;
	case PR_GET_NAME:
		return copy_to_user(t, arg_uaddr(a, 1), t->comm, sizeof(t->comm));
	case PR_SET_PDEATHSIG:
		if (arg2 > SENTRY_NSIG)
			return -EINVAL;
		t->pdeathsig = (int)arg2;
		return 0;
	case PR_GET_PDEATHSIG:
		return copy_to_user(t, arg_uaddr(a, 1), &t->pdeathsig, sizeof(int));
	case PR_GET_DUMPABLE:
		return t->tg->dumpable;
	case PR_SET_DUMPABLE:
		if (arg2 > 1)
			return -EINVAL;
		t->tg->dumpable = (int)arg2;
		return 0;
	case PR_SET_NO_NEW_PRIVS:
		if (arg2 != 1 || arg_u64(a, 2) || arg_u64(a, 3) || arg_u64(a, 4))
			return -EINVAL;
		t->no_new_privs = true;
		return 0;
	case PR_GET_NO_NEW_PRIVS:
		return t->no_new_privs;
	case PR_SET_CHILD_SUBREAPER:
		t->tg->subreaper = arg2 != 0;
		return 0;
	case PR_GET_CHILD_SUBREAPER: {
		int v = t->tg->subreaper;
		return copy_to_user(t, arg_uaddr(a, 1), &v, sizeof(v));
	}
	case PR_GET_SECCOMP:
		return task_seccomp_mode(t);
	case PR_SET_SECCOMP:
		if (arg2 == SECCOMP_MODE_STRICT)
			return task_seccomp_strict(t);
		if (arg2 == SECCOMP_MODE_FILTER)
			return task_seccomp_filter(t, 0, arg_uaddr(a, 2));
		return -EINVAL;
	case PR_SET_TIMERSLACK:
		/* Kept for PR_GET_TIMERSLACK; host timers keep their own slack. */
		t->timer_slack_ns = arg2;
		return 0;
	case PR_GET_TIMERSLACK:
		return t->timer_slack_ns ? (long)t->timer_slack_ns : DEFAULT_TIMER_SLACK_NS;
	case PR_GET_TID_ADDRESS: {
		uint64_t addr = t->clear_child_tid.v;
		return copy_to_user(t, arg_uaddr(a, 1), &addr, sizeof(addr));
	}
	case PR_CAPBSET_READ: case PR_CAPBSET_DROP: case PR_CAP_AMBIENT:
	case PR_GET_KEEPCAPS: case PR_SET_KEEPCAPS: case PR_GET_SECUREBITS:
	case PR_SET_SECUREBITS:
		return caps_prctl(t, opt, arg2, arg_u64(a, 2), arg_u64(a, 3), arg_u64(a, 4));
	default:
		return -EINVAL;
	}
}

long sys_sched_yield(struct task *t, const struct sysargs *a)
{
	kernel_unlock();
	sched_yield();
	kernel_lock();
	return 0;
}

long sys_getcpu(struct task *t, const struct sysargs *a)
{
	unsigned cpu = (unsigned)sched_getcpu(), node = 0;

	if (!uaddr_is_null(arg_uaddr(a, 0)) && copy_to_user(t, arg_uaddr(a, 0), &cpu, 4))
		return -EFAULT;
	if (!uaddr_is_null(arg_uaddr(a, 1)) && copy_to_user(t, arg_uaddr(a, 1), &node, 4))
		return -EFAULT;
	return 0;
}

static void count_task(struct task *t, void *arg)
{
	(*(int *)arg)++;
}

long sys_sysinfo(struct task *t, const struct sysargs *a)
{
	struct sysinfo si;
	int n = 0;

	sysinfo(&si);
	/* procs counts the sandbox's threads, as Linux counts every task. */
	task_for_each(count_task, &n);
	si.procs = (unsigned short)n;
	return copy_to_user(t, arg_uaddr(a, 0), &si, sizeof(si));
}

long sys_rseq(struct task *t, const struct sysargs *a)
{
	return -ENOSYS;
}
