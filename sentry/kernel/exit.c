/* exit.c: thread and thread-group exit, zombies, reparenting, SIGCHLD, and the end of
 * the sandbox when init exits. */
#include "sentry/kernel/task.h"

#include <errno.h>
#include <string.h>
#include <sys/wait.h>

#include "lib/log.h"
#include "sentry/abi/signal.h"
#include "sentry/kernel/cputime.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/timer.h"
#include "sentry/ipc/ipc.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

static pthread_cond_t g_init_done = PTHREAD_COND_INITIALIZER;
pthread_mutex_t *kernel_mutex(void);

void tg_kill_all_threads(struct thread_group *tg)
{
	struct list_head *pos;

	list_for_each(pos, &tg->tasks) {
		struct task *t = list_entry(pos, struct task, tg_link);
		if (t->state != TASK_RUNNING)
			continue;
		t->exit_now = true;
		task_kick(t);
	}
}

void tg_do_exit_group(struct task *t, int wait_status)
{
	tg_exit_group(t->tg, wait_status);
}

void tg_exit_group(struct thread_group *tg, int wait_status)
{
	if (!tg->exiting) {
		tg->exiting = true;
		tg->exit_status = wait_status;
	}
	tg_kill_all_threads(tg);
}

static void fill_child_info(siginfo_t *info, struct thread_group *tg)
{
	int st = tg->exit_status;

	siginfo_kernel(info, SIGCHLD, CLD_EXITED);
	info->si_pid = tg->tgid; /* translated for the parent by tg_send_signal */
	info->si_uid = tg->leader->creds.uid;
	if (WIFEXITED(st)) {
		info->si_status = WEXITSTATUS(st);
	} else {
		info->si_code = WCOREDUMP(st) ? CLD_DUMPED : CLD_KILLED;
		info->si_status = WTERMSIG(st);
	}
}

void tg_release_zombie(struct thread_group *tg)
{
	struct task *leader = tg->leader;

	cputime_reap(tg); /* rusage of children: the reaped child's times go to its parent */
	list_del(&tg->sibling);
	if (leader) {
		list_del(&leader->tg_link);
		task_free(leader);
		tg->leader = NULL;
	}
	tg_put(tg);
}

void tg_notify_parent(struct thread_group *tg)
{
	struct thread_group *parent = tg->parent;
	const struct ksigaction *ka;
	siginfo_t info;

	if (!parent)
		return;
	ka = &parent->sighand->action[SIGCHLD - 1];
	if (tg->exit_signal == SIGCHLD &&
	    (ka->handler == (uint64_t)SIG_IGN || (ka->flags & ABI_SA_NOCLDWAIT))) {
		/* Nobody will wait: the child is reaped at once (Linux autoreap). */
		tg_release_zombie(tg);
		waitq_wake_all(&parent->child_wq);
		return;
	}
	if (tg->exit_signal > 0) {
		fill_child_info(&info, tg);
		info.si_signo = tg->exit_signal;
		tg_send_signal(parent, tg->exit_signal, &info);
	}
	waitq_wake_all(&parent->child_wq);
}

/* The new parent of tg's orphans: the nearest live ancestor in tg's pid namespace that
 * asked to be a child subreaper (PR_SET_CHILD_SUBREAPER), else the namespace's init (or,
 * once that has gone, the nearest ancestor namespace's). */
static struct thread_group *find_reaper(struct thread_group *tg)
{
	struct pid_ns *ns = pid_ns_of(tg->pid);

	for (struct thread_group *a = tg->parent; a && !tg_is_ns_init(a); a = a->parent) {
		if (pid_ns_of(a->pid) != ns)
			break;
		if (a->subreaper && !a->exiting && a->nr_live > 0)
			return a;
	}
	return pidns_reaper_above(ns);
}

/* The init of a pid namespace below the sandbox's exits: the namespace takes no new
 * process (fork fails ENOMEM) and every process in it or below gets SIGKILL. */
static void pidns_init_exit(struct thread_group *init)
{
	struct pid_ns *ns = pid_ns_of(init->pid);

	ns->reaper = NULL;
	ns->closed = true;
	tasks_kill_in_ns(ns, init);
}

/* The parent died: threads that asked for PR_SET_PDEATHSIG get their signal. */
static void send_pdeathsig(struct thread_group *c)
{
	struct list_head *pos;

	list_for_each(pos, &c->tasks) {
		struct task *t = list_entry(pos, struct task, tg_link);
		if (t->pdeathsig && t->state == TASK_RUNNING)
			tg_send_signal(c, t->pdeathsig, NULL);
	}
}

/* Move tg's children to their new reaper. A child's group in tg's session but not tg's
 * own may be orphaned by the move (checked once every child has moved). */
static void reparent_children(struct thread_group *tg)
{
	struct thread_group *reaper = find_reaper(tg);
	struct list_head *pos, *n;
	int pgids[64], npgids = 0;

	list_for_each_safe(pos, n, &tg->children) {
		struct thread_group *c = list_entry(pos, struct thread_group, sibling);
		list_del(&c->sibling);
		c->parent = reaper;
		list_add_tail(&c->sibling, &reaper->children);
		if (c->zombie) {
			tg_notify_parent(c);
			continue;
		}
		send_pdeathsig(c);
		if (c->pgid != tg->pgid && c->sid == tg->sid && npgids < 64)
			pgids[npgids++] = c->pgid;
	}
	for (int i = 0; i < npgids; i++) {
		bool seen = false;

		for (int j = 0; j < i; j++)
			seen |= pgids[j] == pgids[i];
		if (!seen)
			pgrp_hup_if_orphaned_stopped(pgids[i]);
	}
}

static void tg_exit_last_thread(struct thread_group *tg, int code)
{
	waitq_wake_all(&tg->exit_wq);
	timers_tg_exit(tg); /* itimers and POSIX timers die with the process */
	sem_undo_exit(tg);  /* SEM_UNDO adjustments are applied as the process goes */
	if (!tg->exiting) {
		tg->exiting = true;
		tg->exit_status = (code & 0xff) << 8;
	}
	sigpending_flush(&tg->shared_pending);
	if (tg == g_init_tg) {
		/* When init exits, every other process of the pid namespace is killed. */
		tasks_kill_all_except(tg);
		tg->zombie = true;
		pthread_cond_broadcast(&g_init_done);
		return;
	}
	if (tg_is_ns_init(tg))
		pidns_init_exit(tg);
	reparent_children(tg);
	tg->zombie = true;
	/* Our exit may orphan our own group, if our parent was its tie to the session. */
	if (tg->parent && tg->parent->pgid != tg->pgid && tg->parent->sid == tg->sid)
		pgrp_hup_if_orphaned_stopped(tg->pgid);
	tg_notify_parent(tg);
}

void task_do_exit(struct task *t, int code)
{
	struct thread_group *tg = t->tg;
	int zero = 0;

	t->state = TASK_EXITING;
	if (t->robust_list.v && t->mm)
		futex_exit_robust(t);
	if (t->clear_child_tid.v && t->mm &&
	    mm_copy_out(t->mm, t->clear_child_tid.v, &zero, sizeof(zero)) == 0)
		futex_wake_exit(t, t->clear_child_tid.v);
	vfork_release(t);
	if (t->ctx) {
		kernel_forget_wakes(t); /* a waker may still be hinting t->ctx (sched.c) */
		g_platform->ops->ctx_release(t->ctx);
		t->ctx = NULL;
	}
	if (t->mm) {
		mm_put(t->mm);
		t->mm = NULL;
	}
	if (t->files) {
		fdtable_put(t->files);
		t->files = NULL;
	}
	if (t->fs) {
		fs_context_put(t->fs);
		t->fs = NULL;
	}
	ipc_ns_put(t->ipc_ns); /* the last task of a namespace takes its objects along */
	t->ipc_ns = NULL;
	sigpending_flush(&t->pending);
	t->state = TASK_DEAD;
	waitq_wake_all(&tg->thread_exit_wq);
	cputime_task_exit(t); /* the thread's CPU time stays with its process */
	if (--tg->nr_live == 0)
		tg_exit_last_thread(tg, code);
	if (t != tg->leader) {
		list_del(&t->tg_link);
		task_free(t);
	}
}

int kernel_wait_init(void)
{
	kernel_lock();
	while (!g_init_tg->zombie) {
		kernel_flush_wakes();
		pthread_cond_wait(&g_init_done, kernel_mutex());
	}
	int status = g_init_tg->exit_status;
	kernel_unlock();
	return status;
}
