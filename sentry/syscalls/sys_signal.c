/* sys_signal.c: signal syscalls: actions, masks, sending, waiting, alternate stacks. */
#include <errno.h>
#include <string.h>

#include "sentry/abi/signal.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/signal_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define UNBLOCKABLE (sig_bit(SIGKILL) | sig_bit(SIGSTOP))

long sys_rt_sigaction(struct task *t, const struct sysargs *a)
{
	int sig = arg_int(a, 0);
	uaddr_t uact = arg_uaddr(a, 1), uold = arg_uaddr(a, 2);
	struct ksigaction *ka, nact;

	if (arg_u64(a, 3) != sizeof(sigmask_t))
		return -EINVAL;
	if (sig < 1 || sig > SENTRY_NSIG)
		return -EINVAL;
	ka = &t->tg->sighand->action[sig - 1];
	if (!uaddr_is_null(uact)) {
		if (copy_from_user(t, &nact, uact, sizeof(nact)))
			return -EFAULT;
		if (sig == SIGKILL || sig == SIGSTOP)
			return -EINVAL;
	}
	if (!uaddr_is_null(uold) && copy_to_user(t, uold, ka, sizeof(*ka)))
		return -EFAULT;
	if (!uaddr_is_null(uact)) {
		nact.mask &= ~UNBLOCKABLE;
		*ka = nact;
		/* Setting SIG_IGN (or an ignored default) discards pending instances. */
		if (nact.handler == (uint64_t)SIG_IGN ||
		    (nact.handler == (uint64_t)SIG_DFL &&
		     (sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT))) {
			t->tg->shared_pending.set &= ~sig_bit(sig);
			t->pending.set &= ~sig_bit(sig);
		}
	}
	return 0;
}

long sys_rt_sigprocmask(struct task *t, const struct sysargs *a)
{
	int how = arg_int(a, 0);
	uaddr_t uset = arg_uaddr(a, 1), uold = arg_uaddr(a, 2);
	sigmask_t set, old = t->sigmask;

	if (arg_u64(a, 3) != sizeof(sigmask_t))
		return -EINVAL;
	if (!uaddr_is_null(uset)) {
		if (copy_from_user(t, &set, uset, sizeof(set)))
			return -EFAULT;
		set &= ~UNBLOCKABLE;
		switch (how) {
		case SIG_BLOCK: t->sigmask |= set; break;
		case SIG_UNBLOCK: t->sigmask &= ~set; break;
		case SIG_SETMASK: t->sigmask = set; break;
		default: return -EINVAL;
		}
	}
	if (!uaddr_is_null(uold) && copy_to_user(t, uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

long sys_rt_sigreturn(struct task *t, const struct sysargs *a)
{
	return sigframe_return(t);
}

long sys_rt_sigpending(struct task *t, const struct sysargs *a)
{
	sigmask_t pend = (t->pending.set | t->tg->shared_pending.set) & t->sigmask;

	if (arg_u64(a, 1) > sizeof(sigmask_t))
		return -EINVAL;
	if (copy_to_user(t, arg_uaddr(a, 0), &pend, arg_u64(a, 1)))
		return -EFAULT;
	return 0;
}

/* Sleep until a signal handler runs: the syscall returns EINTR through the frame. */
static long wait_for_signal(struct task *t)
{
	struct waitq q;

	waitq_init(&q);
	while (task_block(t, &q, NULL) != -EINTR)
		;
	return -ERESTARTNOHAND;
}

long sys_rt_sigsuspend(struct task *t, const struct sysargs *a)
{
	sigmask_t set;

	if (arg_u64(a, 1) != sizeof(sigmask_t))
		return -EINVAL;
	if (copy_from_user(t, &set, arg_uaddr(a, 0), sizeof(set)))
		return -EFAULT;
	t->saved_sigmask = t->sigmask;
	t->restore_sigmask = true;
	t->sigmask = set & ~UNBLOCKABLE;
	return wait_for_signal(t);
}

long sys_pause(struct task *t, const struct sysargs *a)
{
	return wait_for_signal(t);
}

long sys_sigaltstack(struct task *t, const struct sysargs *a)
{
	uaddr_t uss = arg_uaddr(a, 0), uold = arg_uaddr(a, 1);
	bool on = t->altstack_size && t->regs.rsp > t->altstack_sp &&
		  t->regs.rsp <= t->altstack_sp + t->altstack_size;
	struct abi_stack old = {
		.ss_sp = t->altstack_sp,
		.ss_size = t->altstack_size,
		.ss_flags = on ? ABI_SS_ONSTACK : (t->altstack_size ? 0 : ABI_SS_DISABLE),
	}, ss;

	if (!uaddr_is_null(uss)) {
		if (copy_from_user(t, &ss, uss, sizeof(ss)))
			return -EFAULT;
		if (on)
			return -EPERM;
		int mode = ss.ss_flags & ~(int)ABI_SS_AUTODISARM;
		if (mode != 0 && mode != ABI_SS_DISABLE && mode != ABI_SS_ONSTACK)
			return -EINVAL;
		if (mode == ABI_SS_DISABLE) {
			t->altstack_sp = 0;
			t->altstack_size = 0;
		} else {
			if (ss.ss_size < ABI_MINSIGSTKSZ)
				return -ENOMEM;
			t->altstack_sp = ss.ss_sp;
			t->altstack_size = ss.ss_size;
		}
	}
	if (!uaddr_is_null(uold) && copy_to_user(t, uold, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

static void user_siginfo(struct task *t, siginfo_t *info, int sig, int code)
{
	siginfo_kernel(info, sig, code);
	info->si_pid = t->tg->tgid;
	info->si_uid = t->creds.uid;
}

struct kill_many {
	struct task *viewer;
	struct thread_group *sender;
	bool all;
	int pgid, sig, found, err;
	const siginfo_t *info;
};

static void kill_visit(struct task *t, void *arg)
{
	struct kill_many *km = arg;
	struct thread_group *tg = t->tg;

	/* A zombie (its leader kept until reaped) counts as found, as in Linux. */
	if (tg->zombie ? tg->leader != t : !task_is_group_rep(t))
		return;
	/* kill(-1): every process the sender sees but its namespace's init and itself. */
	if (km->all ? (tg_vnr(km->viewer, tg) <= 1 || tg == km->sender) : tg->pgid != km->pgid)
		return;
	km->found++;
	int r = tg_send_signal(tg, km->sig, km->info);
	if (r)
		km->err = r;
}

long sys_kill(struct task *t, const struct sysargs *a)
{
	int pid = arg_int(a, 0), sig = arg_int(a, 1);
	siginfo_t info;

	if (sig < 0 || sig > SENTRY_NSIG)
		return -EINVAL;
	user_siginfo(t, &info, sig, SI_USER);
	if (pid > 0) {
		struct thread_group *tg = tg_find_with_zombies(pid_from_vnr(t, pid));
		return tg ? tg_send_signal(tg, sig, &info) : -ESRCH;
	}
	if (pid == INT32_MIN)
		return -ESRCH;
	/* Process groups, or everyone (-1: all but init and the caller): one pass. */
	struct kill_many km = {
		.viewer = t,
		.sender = t->tg,
		.all = pid == -1,
		.pgid = pid == 0 ? t->tg->pgid : pid_from_vnr(t, -pid),
		.sig = sig,
		.info = &info,
	};
	task_for_each_with_zombies(kill_visit, &km);
	if (!km.found)
		return -ESRCH;
	return km.err;
}

static long send_to_thread(struct task *t, int tgid, int tid, int sig)
{
	struct task *target;
	siginfo_t info;

	if (tid <= 0 || (tgid != -1 && tgid <= 0))
		return -EINVAL;
	if (sig < 0 || sig > SENTRY_NSIG)
		return -EINVAL;
	target = task_find(pid_from_vnr(t, tid));
	if (!target || target->state != TASK_RUNNING ||
	    (tgid != -1 && tg_vnr(t, target->tg) != tgid))
		return -ESRCH;
	user_siginfo(t, &info, sig, SI_TKILL);
	return task_send_signal(target, sig, &info);
}

long sys_tkill(struct task *t, const struct sysargs *a)
{
	return send_to_thread(t, -1, arg_int(a, 0), arg_int(a, 1));
}

long sys_tgkill(struct task *t, const struct sysargs *a)
{
	return send_to_thread(t, arg_int(a, 0), arg_int(a, 1), arg_int(a, 2));
}

long sys_rt_sigtimedwait(struct task *t, const struct sysargs *a)
{
	uaddr_t uset = arg_uaddr(a, 0), uinfo = arg_uaddr(a, 1), uts = arg_uaddr(a, 2);
	struct timespec ts, now, dl;
	sigmask_t set, saved;
	siginfo_t info;
	struct waitq q;
	int sig, r = 0;

	if (arg_u64(a, 3) != sizeof(sigmask_t))
		return -EINVAL;
	if (copy_from_user(t, &set, uset, sizeof(set)))
		return -EFAULT;
	set &= ~UNBLOCKABLE;
	if (!uaddr_is_null(uts)) {
		if (copy_from_user(t, &ts, uts, sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
			return -EINVAL;
		clock_gettime(CLOCK_MONOTONIC, &now);
		dl.tv_sec = now.tv_sec + ts.tv_sec + (now.tv_nsec + ts.tv_nsec) / 1000000000L;
		dl.tv_nsec = (now.tv_nsec + ts.tv_nsec) % 1000000000L;
	}
	sig = signal_dequeue(t, set, &info);
	if (!sig && !(uts.v && ts.tv_sec == 0 && ts.tv_nsec == 0)) {
		/* Wait with the awaited signals unblocked, so that they wake us. */
		saved = t->sigmask;
		t->sigmask &= ~set;
		t->sigwait = set;
		waitq_init(&q);
		while (!(sig = signal_dequeue(t, set, &info)) && r == 0)
			r = task_block(t, &q, uaddr_is_null(uts) ? NULL : &dl);
		t->sigmask = saved;
		t->sigwait = 0;
	}
	if (!sig)
		return r == -EINTR ? -EINTR : -EAGAIN;
	if (!uaddr_is_null(uinfo) && copy_to_user(t, uinfo, &info, sizeof(info)))
		return -EFAULT;
	return sig;
}

/* The checks both sigqueueinfo calls make on an application-built siginfo. */
static int queueinfo_prepare(struct task *t, int pid, int sig, uaddr_t uinfo, siginfo_t *info)
{
	if (sig < 0 || sig > SENTRY_NSIG)
		return -EINVAL;
	if (copy_from_user(t, info, uinfo, sizeof(*info)))
		return -EFAULT;
	/* Only the kernel may claim to be the kernel or kill(2), except to oneself. */
	if ((info->si_code >= 0 || info->si_code == SI_TKILL) && pid != tg_vnr(t, t->tg))
		return -EPERM;
	info->si_signo = sig;
	return 0;
}

long sys_rt_sigqueueinfo(struct task *t, const struct sysargs *a)
{
	int pid = arg_int(a, 0), sig = arg_int(a, 1);
	siginfo_t info;
	struct thread_group *tg;
	int err = queueinfo_prepare(t, pid, sig, arg_uaddr(a, 2), &info);

	if (err)
		return err;
	tg = pid > 0 ? tg_find_with_zombies(pid_from_vnr(t, pid)) : NULL;
	return tg ? tg_send_signal(tg, sig, &info) : -ESRCH;
}

long sys_rt_tgsigqueueinfo(struct task *t, const struct sysargs *a)
{
	int tgid = arg_int(a, 0), tid = arg_int(a, 1), sig = arg_int(a, 2);
	struct task *target;
	siginfo_t info;
	int err;

	if (tgid <= 0 || tid <= 0)
		return -EINVAL;
	err = queueinfo_prepare(t, tgid, sig, arg_uaddr(a, 3), &info);
	if (err)
		return err;
	target = task_find(pid_from_vnr(t, tid));
	if (!target || tg_vnr(t, target->tg) != tgid || target->state != TASK_RUNNING)
		return -ESRCH;
	return task_send_signal(target, sig, &info);
}
