/* signal.c: sending, queueing and choosing signals, and their default actions. Frames
 * for handlers are built in sigframe.c. */
#include "sentry/kernel/task.h"

#include <errno.h>
#include <string.h>
#include <sys/syscall.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/abi/signal.h"
#include "sentry/fs/anon.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/signal_internal.h"
#include "sentry/mm/mm.h"

enum sig_default { SIGDFL_TERM, SIGDFL_CORE, SIGDFL_IGN, SIGDFL_STOP };

static enum sig_default sig_default_action(int sig)
{
	switch (sig) {
	case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS: case SIGFPE:
	case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
		return SIGDFL_CORE;
	case SIGCHLD: case SIGURG: case SIGWINCH: case SIGCONT:
		return SIGDFL_IGN;
	case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
		return SIGDFL_STOP;
	default:
		return SIGDFL_TERM;
	}
}

static bool sig_is_stop(int sig)
{
	return sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU;
}

static void sigpending_discard(struct sigpending *p, sigmask_t mask);

/* Tell the parent about a stop or continue, unless it asked not to (SA_NOCLDSTOP). */
static void notify_parent_jobctl(struct thread_group *tg, int code, int status)
{
	struct thread_group *parent = tg->parent;
	siginfo_t info;

	if (!parent)
		return;
	if (!(parent->sighand->action[SIGCHLD - 1].flags & ABI_SA_NOCLDSTOP)) {
		siginfo_kernel(&info, SIGCHLD, code);
		info.si_pid = tg->tgid;
		info.si_uid = tg->leader ? tg->leader->creds.uid : 0;
		info.si_status = status;
		tg_send_signal(parent, SIGCHLD, &info);
	}
	waitq_wake_all(&parent->child_wq);
}

static void tg_discard_pending(struct thread_group *tg, sigmask_t mask)
{
	struct list_head *pos;

	sigpending_discard(&tg->shared_pending, mask);
	list_for_each(pos, &tg->tasks)
		sigpending_discard(&list_entry(pos, struct task, tg_link)->pending, mask);
}

/* What Linux does when a stop or continue signal is generated, even if it is ignored:
 * a stop cancels pending SIGCONT; SIGCONT cancels pending stops and resumes the group. */
static void prepare_jobctl(struct thread_group *tg, int sig)
{
	sigmask_t stops = sig_bit(SIGSTOP) | sig_bit(SIGTSTP) | sig_bit(SIGTTIN) | sig_bit(SIGTTOU);

	if (sig_is_stop(sig)) {
		tg_discard_pending(tg, sig_bit(SIGCONT));
		return;
	}
	if (sig != SIGCONT)
		return;
	tg_discard_pending(tg, stops);
	if (!tg->stopped)
		return;
	tg->stopped = false;
	tg->stop_report = false;
	tg->cont_report = true;
	waitq_wake_all(&tg->stop_wq);
	notify_parent_jobctl(tg, CLD_CONTINUED, SIGCONT);
}

struct orphan_check {
	int pgid;
	bool has_outside_parent;
};

static void orphan_visit(struct task *t, void *arg)
{
	struct orphan_check *oc = arg;
	struct thread_group *tg = t->tg, *parent = tg->parent;

	if (!task_is_group_rep(t) || tg->zombie || tg->pgid != oc->pgid)
		return;
	if (parent && parent->pgid != oc->pgid && parent->sid == tg->sid)
		oc->has_outside_parent = true;
}

/* POSIX's orphaned process group: no member has a parent in another group of the same
 * session (nobody left to resume it), so terminal stop signals are discarded. */
static bool pgrp_orphaned(int pgid)
{
	struct orphan_check oc = {.pgid = pgid};

	task_for_each(orphan_visit, &oc);
	return !oc.has_outside_parent;
}

bool proc_pgrp_orphaned(int pgid)
{
	return pgrp_orphaned(pgid);
}

struct stopped_check {
	int pgid;
	bool stopped;
};

static void stopped_visit(struct task *t, void *arg)
{
	struct stopped_check *sc = arg;

	if (task_is_group_rep(t) && !t->tg->zombie && t->tg->pgid == sc->pgid && t->tg->stopped)
		sc->stopped = true;
}

static void hup_cont_one(void *arg, int tgid)
{
	struct thread_group *tg = tg_find(tgid);

	if (tg) {
		tg_send_signal(tg, SIGHUP, NULL);
		tg_send_signal(tg, SIGCONT, NULL);
	}
}

void pgrp_hup_if_orphaned_stopped(int pgid)
{
	struct stopped_check sc = {.pgid = pgid};

	if (pgid <= 0 || !pgrp_orphaned(pgid))
		return;
	task_for_each(stopped_visit, &sc);
	if (sc.stopped)
		proc_for_each_in_pgrp(pgid, hup_cont_one, NULL);
}

/* The first thread to take a default-action stop signal stops the whole group. */
static void group_stop(struct task *t, int sig)
{
	struct thread_group *tg = t->tg;
	struct list_head *pos;

	if (tg->stopped)
		return;
	tg->stopped = true;
	tg->stop_sig = sig;
	tg->stop_report = true;
	tg->cont_report = false;
	list_for_each(pos, &tg->tasks) {
		struct task *o = list_entry(pos, struct task, tg_link);
		if (o != t && o->state == TASK_RUNNING)
			task_kick(o);
	}
	notify_parent_jobctl(tg, CLD_STOPPED, sig);
}

static bool sig_ignored(struct thread_group *tg, int sig)
{
	const struct ksigaction *ka = &tg->sighand->action[sig - 1];

	if (sig == SIGKILL || sig == SIGSTOP)
		return false;
	if (ka->handler == (uint64_t)SIG_IGN)
		return true;
	return ka->handler == (uint64_t)SIG_DFL && sig_default_action(sig) == SIGDFL_IGN;
}

void sigpending_flush(struct sigpending *p)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &p->queue) {
		list_del(pos);
		free(list_entry(pos, struct sigqueue_entry, link));
	}
	p->set = 0;
}

static void sigpending_discard(struct sigpending *p, sigmask_t mask)
{
	struct list_head *pos, *n;

	if (!(p->set & mask))
		return;
	list_for_each_safe(pos, n, &p->queue) {
		struct sigqueue_entry *e = list_entry(pos, struct sigqueue_entry, link);
		if (!(sig_bit(e->info.si_signo) & mask))
			continue;
		list_del(pos);
		free(e);
	}
	p->set &= ~mask;
}

void siginfo_kernel(siginfo_t *info, int sig, int code)
{
	memset(info, 0, sizeof(*info));
	info->si_signo = sig;
	info->si_code = code;
}

static void sigpending_add(struct sigpending *p, int sig, const siginfo_t *info)
{
	struct sigqueue_entry *e;

	/* Standard signals coalesce; real-time ones queue. */
	if (sig < SIGRTMIN && (p->set & sig_bit(sig)))
		return;
	e = xmalloc(sizeof(*e));
	if (info)
		e->info = *info;
	else
		siginfo_kernel(&e->info, sig, SI_KERNEL);
	e->info.si_signo = sig;
	list_add_tail(&e->link, &p->queue);
	p->set |= sig_bit(sig);
	signalfd_notify(); /* pollers of signalfds */
}

/* Remove the first entry for sig from p into *info. */
static bool sigpending_take(struct sigpending *p, int sig, siginfo_t *info)
{
	struct list_head *pos;
	bool found = false, more = false;

	list_for_each(pos, &p->queue) {
		struct sigqueue_entry *e = list_entry(pos, struct sigqueue_entry, link);
		if (e->info.si_signo != sig)
			continue;
		if (found) {
			more = true;
			break;
		}
		*info = e->info;
		list_del(&e->link);
		free(e);
		found = true;
		/* list_del left pos pointing at itself; restart the scan for "more". */
		pos = &p->queue;
	}
	if (!more)
		p->set &= ~sig_bit(sig);
	return found;
}

bool task_signal_pending(const struct task *t)
{
	sigmask_t pend = t->pending.set | t->tg->shared_pending.set;

	return (pend & ~t->sigmask) || (pend & sig_bit(SIGKILL));
}

/* Wake a thread of tg that can take sig. */
static void tg_wake_for(struct thread_group *tg, int sig)
{
	struct list_head *pos;

	list_for_each(pos, &tg->tasks) {
		struct task *t = list_entry(pos, struct task, tg_link);
		if (t->state == TASK_RUNNING && !(t->sigmask & sig_bit(sig))) {
			task_kick(t);
			return;
		}
	}
}

/* Signals to a pid namespace's init (the sandbox's too) that it has no handler for are
 * dropped, as Linux does, except SIGKILL and SIGSTOP from outside the namespace (force).
 * A blocked signal is queued all the same (sigwait may take it); delivery drops it then
 * if still unhandled. */
static bool init_protected(struct thread_group *tg, int sig, bool force)
{
	if (force && (sig == SIGKILL || sig == SIGSTOP))
		return false;
	return tg_is_ns_init(tg) && tg->sighand->action[sig - 1].handler == (uint64_t)SIG_DFL;
}

/* Whether a signal comes from outside tg's pid namespace: from the kernel or the control
 * socket (no info, SI_KERNEL, no current task), or from a task of an ancestor namespace. */
static bool sent_from_outside(struct thread_group *tg, const siginfo_t *info)
{
	if (!info || info->si_code == SI_KERNEL || !t_current || !t_current->pid)
		return true;
	return !pidns_is_descendant(task_active_pidns(t_current), pid_ns_of(tg->pid));
}

/* Kernel-filled siginfo carries the sender's (or child's) sandbox-wide pid: the receiver
 * sees it as numbered in its own pid namespace (0 if it cannot see it), as Linux. */
static const siginfo_t *info_for(struct thread_group *tg, const siginfo_t *info, siginfo_t *buf)
{
	struct pid_ns *ns = pid_ns_of(tg->pid);
	bool has_pid;

	if (!info || ns->level == 0)
		return info;
	has_pid = info->si_code == SI_USER || info->si_code == SI_TKILL ||
		  info->si_code == SI_MESGQ || (info->si_signo == SIGCHLD && info->si_code > 0);
	if (!has_pid)
		return info;
	*buf = *info;
	buf->si_pid = pid_nr_ns(pid_find_ns(pidns_root(), info->si_pid), ns);
	return buf;
}

static bool tg_blocks(struct thread_group *tg, int sig)
{
	struct list_head *pos;

	list_for_each(pos, &tg->tasks) {
		struct task *t = list_entry(pos, struct task, tg_link);
		if (t->state == TASK_RUNNING && ((t->sigmask | t->sigwait) & sig_bit(sig)))
			return true;
	}
	return false;
}

int tg_send_signal(struct thread_group *tg, int sig, const siginfo_t *info)
{
	siginfo_t buf;

	if (sig < 0 || sig > SENTRY_NSIG)
		return -EINVAL;
	if (sig == 0 || tg->zombie || tg->exiting)
		return 0;
	prepare_jobctl(tg, sig);
	if (!tg_blocks(tg, sig) &&
	    (init_protected(tg, sig, sent_from_outside(tg, info)) || sig_ignored(tg, sig)))
		return 0;
	info = info_for(tg, info, &buf);
	if (sig == SIGKILL) {
		tg_exit_group(tg, SIGKILL);
		return 0;
	}
	sigpending_add(&tg->shared_pending, sig, info);
	tg_wake_for(tg, sig);
	return 0;
}

int task_send_signal(struct task *t, int sig, const siginfo_t *info)
{
	siginfo_t buf;

	if (sig < 0 || sig > SENTRY_NSIG)
		return -EINVAL;
	if (sig == 0 || t->state != TASK_RUNNING || t->tg->exiting)
		return 0;
	if (sig == SIGKILL)
		return tg_send_signal(t->tg, sig, info);
	prepare_jobctl(t->tg, sig);
	if (!((t->sigmask | t->sigwait) & sig_bit(sig)) &&
	    (init_protected(t->tg, sig, sent_from_outside(t->tg, info)) ||
	     sig_ignored(t->tg, sig)))
		return 0;
	info = info_for(t->tg, info, &buf);
	sigpending_add(&t->pending, sig, info);
	if (!(t->sigmask & sig_bit(sig)))
		task_kick(t);
	return 0;
}

void signal_force_fault(struct task *t, int sig, int code, uint64_t addr)
{
	siginfo_t info;

	siginfo_kernel(&info, sig, code);
	info.si_addr = (void *)addr;
	signal_force_info(t, &info);
}

void signal_force_info(struct task *t, const siginfo_t *info)
{
	int sig = info->si_signo;
	struct ksigaction *ka = &t->tg->sighand->action[sig - 1];

	/* A blocked or ignored synchronous signal kills (Linux force_sig_info), even init. */
	if ((t->sigmask & sig_bit(sig)) || ka->handler == (uint64_t)SIG_IGN) {
		t->sigmask &= ~sig_bit(sig);
		ka->handler = (uint64_t)SIG_DFL;
	}
	t->forced |= sig_bit(sig);
	sigpending_add(&t->pending, sig, info);
}

void signal_reset_for_exec(struct task *t)
{
	struct sighand *sh = t->tg->sighand;

	if (sh->refs > 1) {
		struct sighand *n = xmalloc(sizeof(*n));
		*n = *sh;
		n->refs = 1;
		sh->refs--;
		t->tg->sighand = sh = n;
	}
	for (int i = 0; i < SENTRY_NSIG; i++) {
		if (sh->action[i].handler != (uint64_t)SIG_IGN)
			sh->action[i].handler = (uint64_t)SIG_DFL;
		sh->action[i].flags = 0;
		sh->action[i].mask = 0;
		sh->action[i].restorer = 0;
	}
	t->altstack_sp = 0;
	t->altstack_size = 0;
	t->altstack_flags = SS_DISABLE;
}

/* Pick the next deliverable signal: thread-directed first (synchronous faults live
 * there), lowest number first, SIGKILL before all. Returns 0 if none. */
static int next_signal(struct task *t, siginfo_t *info)
{
	struct sigpending *lists[2] = {&t->pending, &t->tg->shared_pending};

	for (int l = 0; l < 2; l++) {
		if (lists[l]->set & sig_bit(SIGKILL)) {
			sigpending_take(lists[l], SIGKILL, info);
			return SIGKILL;
		}
	}
	for (int l = 0; l < 2; l++) {
		sigmask_t ready = lists[l]->set & ~t->sigmask;
		if (!ready)
			continue;
		int sig = __builtin_ctzll(ready) + 1;
		sigpending_take(lists[l], sig, info);
		return sig;
	}
	return 0;
}

int signal_dequeue(struct task *t, sigmask_t set, siginfo_t *info)
{
	struct sigpending *lists[2] = {&t->pending, &t->tg->shared_pending};

	for (int l = 0; l < 2; l++) {
		sigmask_t ready = lists[l]->set & set;
		if (!ready)
			continue;
		int sig = __builtin_ctzll(ready) + 1;
		sigpending_take(lists[l], sig, info);
		return sig;
	}
	return 0;
}

/* After a syscall returned a restart code and no handler ran: rewind to restart it. */
static void restart_syscall_now(struct task *t)
{
	t->regs.rax = t->regs.orig_rax;
	t->regs.rip -= 2;
}

/* A handler is about to run: decide whether the interrupted syscall restarts. */
static void restart_for_handler(struct task *t, const struct ksigaction *ka)
{
	long code = t->restart_rax;

	t->restart_rax = 0;
	if (code == -ERESTARTNOINTR || (code == -ERESTARTSYS && (ka->flags & ABI_SA_RESTART)))
		restart_syscall_now(t);
	else
		t->regs.rax = (uint64_t)-EINTR;
}

long signal_begin_wait_mask(struct task *t, uaddr_t umask, size_t size)
{
	sigmask_t mask;

	if (uaddr_is_null(umask))
		return 0;
	if (size != sizeof(sigmask_t))
		return -EINVAL;
	if (copy_from_user(t, &mask, umask, sizeof(mask)))
		return -EFAULT;
	t->saved_sigmask = t->sigmask;
	t->restore_sigmask = true;
	t->sigmask = mask & ~(sig_bit(SIGKILL) | sig_bit(SIGSTOP));
	return 0;
}

void signal_end_wait_mask(struct task *t, long ret)
{
	if (!t->restore_sigmask || ret == -EINTR || ret == -ERESTARTNOHAND)
		return;
	t->restore_sigmask = false;
	t->sigmask = t->saved_sigmask;
}

void signal_deliver(struct task *t)
{
	siginfo_t info;
	int sig, handled = 0;

again:
	while (!t->exit_now && handled < 8 && (sig = next_signal(t, &info)) != 0) {
		struct ksigaction *ka = &t->tg->sighand->action[sig - 1];

		bool forced = t->forced & sig_bit(sig);
		t->forced &= ~sig_bit(sig);
		if (sig == SIGKILL || ka->handler == (uint64_t)SIG_DFL) {
			enum sig_default d = sig == SIGKILL ? SIGDFL_TERM : sig_default_action(sig);
			if (d == SIGDFL_IGN)
				continue;
			/* SIGKILL and SIGSTOP queued for init passed the sender check. */
			if (!forced && init_protected(t->tg, sig, true))
				continue;
			if (d == SIGDFL_STOP) {
				/* SIGTSTP/TTIN/TTOU do not stop an orphaned process group. */
				if (sig == SIGSTOP || !pgrp_orphaned(t->tg->pgid))
					group_stop(t, sig);
				continue;
			}
			tg_do_exit_group(t, sig);
			return;
		}
		if (ka->handler == (uint64_t)SIG_IGN)
			continue;
		if (t->restart_rax)
			restart_for_handler(t, ka);
		if (sigframe_setup(t, sig, &info, ka) < 0) {
			signal_force_fault(t, SIGSEGV, SI_KERNEL, 0);
			continue;
		}
		handled++;
	}
	if (t->restart_rax) {
		long code = t->restart_rax;
		t->restart_rax = 0;
		restart_syscall_now(t);
		/* A restart block continues through restart_syscall(2) (what is left of a
		 * sleep), not by repeating the original call. */
		if (code == -ERESTART_RESTARTBLOCK)
			t->regs.rax = SYS_restart_syscall;
	}
	if (t->restore_sigmask) {
		t->restore_sigmask = false;
		t->sigmask = t->saved_sigmask;
	}
	/* Stopped: wait for SIGCONT (or SIGKILL) before going back to the application, then
	 * take what arrived meanwhile (a SIGTERM sent before the SIGCONT kills at once, as
	 * Linux's get_signal goes round again after a stop). */
	if (t->tg->stopped && !t->exit_now) {
		while (t->tg->stopped && !t->exit_now)
			task_block_killable(t, &t->tg->stop_wq);
		goto again;
	}
}
