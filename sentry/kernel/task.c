/* task.c: task and thread-group objects, pid allocation, lookup and host threads. */
#include "sentry/kernel/task.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "lib/log.h"
#include "sentry/fs/cgroup/cgroup.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/ioprio.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/timer.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

struct thread_group *g_init_tg;
__thread struct task *t_current;
struct platform *g_platform;

static struct list_head g_tasks = LIST_HEAD_INIT(g_tasks);

#define PID_MAX_DEFAULT 32768
#define PID_MAX_LIMIT 4194304
#define PIDS_PER_CPU 1024

static int g_pid_max = PID_MAX_DEFAULT;

void task_pid_max_init(int ncpus)
{
	long max = (long)ncpus * PIDS_PER_CPU;

	if (max < PID_MAX_DEFAULT)
		max = PID_MAX_DEFAULT;
	g_pid_max = max > PID_MAX_LIMIT ? PID_MAX_LIMIT : (int)max;
}

int task_pid_max(void)
{
	return g_pid_max;
}

uint64_t kernel_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

struct task *task_find(int tid)
{
	struct list_head *pos;

	list_for_each(pos, &g_tasks) {
		struct task *t = list_entry(pos, struct task, all_link);
		if (t->tid == tid && t->state != TASK_DEAD)
			return t;
	}
	return NULL;
}

struct thread_group *tg_find(int tgid)
{
	struct list_head *pos;

	/* By any thread: the leader may have exited while other threads run on. */
	list_for_each(pos, &g_tasks) {
		struct task *t = list_entry(pos, struct task, all_link);
		if (t->tg->tgid == tgid && !t->tg->zombie)
			return t->tg;
	}
	return NULL;
}

struct thread_group *tg_find_with_zombies(int tgid)
{
	struct list_head *pos;

	list_for_each(pos, &g_tasks) {
		struct task *t = list_entry(pos, struct task, all_link);
		if (t->tg->tgid == tgid)
			return t->tg;
	}
	return NULL;
}

int task_count_user(uid_t uid)
{
	struct list_head *pos;
	int n = 0;

	list_for_each(pos, &g_tasks) {
		struct task *t = list_entry(pos, struct task, all_link);
		if (t->creds.uid == uid && t->state != TASK_DEAD)
			n++;
	}
	return n;
}

int task_count_mm(const struct mm *mm)
{
	struct list_head *pos;
	int n = 0;

	list_for_each(pos, &g_tasks) {
		struct task *t = list_entry(pos, struct task, all_link);
		if (t->mm == mm && t->state != TASK_DEAD && !t->vfork)
			n++;
	}
	return n;
}

void task_for_each(void (*fn)(struct task *t, void *arg), void *arg)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &g_tasks) {
		struct task *t = list_entry(pos, struct task, all_link);
		if (t->state != TASK_DEAD)
			fn(t, arg);
	}
}

void task_for_each_with_zombies(void (*fn)(struct task *t, void *arg), void *arg)
{
	struct list_head *pos, *n;

	list_for_each_safe(pos, n, &g_tasks) {
		struct task *t = list_entry(pos, struct task, all_link);
		if (t->state != TASK_DEAD || (t->tg->zombie && t->tg->leader == t))
			fn(t, arg);
	}
}

bool task_is_group_rep(const struct task *t)
{
	struct list_head *pos;

	list_for_each(pos, &t->tg->tasks) {
		struct task *o = list_entry(pos, struct task, tg_link);
		if (o->state != TASK_DEAD)
			return o == t;
	}
	return false;
}

/* tg's process group or session becomes the one of sandbox-wide number nr (a pid that
 * exists: the caller's own or an existing group's). */
static void tg_set_pid_ref(struct pid **slot, int nr)
{
	struct pid *p = pid_get(pid_find_ns(pidns_root(), nr));

	pid_put(*slot);
	*slot = p;
}

void tg_set_pgid(struct thread_group *tg, int pgid)
{
	tg->pgid = pgid;
	tg_set_pid_ref(&tg->pgrp, pgid);
}

void tg_set_sid(struct thread_group *tg, int sid)
{
	tg->sid = sid;
	tg_set_pid_ref(&tg->session, sid);
}

void tasks_kill_in_ns(struct pid_ns *ns, struct thread_group *keep)
{
	struct list_head *pos;

	list_for_each(pos, &g_tasks) {
		struct task *t = list_entry(pos, struct task, all_link);
		if (t->tg != keep && t->state == TASK_RUNNING &&
		    pidns_is_descendant(pid_ns_of(t->pid), ns))
			tg_send_signal(t->tg, SIGKILL, NULL);
	}
}

void tasks_kill_all_except(struct thread_group *keep)
{
	struct list_head *pos;

	list_for_each(pos, &g_tasks) {
		struct task *t = list_entry(pos, struct task, all_link);
		if (t->tg != keep && t->state == TASK_RUNNING)
			tg_send_signal(t->tg, SIGKILL, NULL);
	}
}

int task_alloc(struct pid_ns *ns, struct task **out)
{
	struct task *t;
	pthread_condattr_t attr;
	struct pid *pid;
	int err = pid_alloc(ns, g_pid_max, &pid);

	if (err)
		return err;
	t = xcalloc(1, sizeof(*t));
	t->pid = pid;
	t->tid = pid->up[0].nr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&t->cond, &attr);
	pthread_condattr_destroy(&attr);
	list_init(&t->pending.queue);
	list_init(&t->tg_link);
	t->altstack_flags = SS_DISABLE;
	list_add_tail(&t->all_link, &g_tasks);
	*out = t;
	return 0;
}

void task_free(struct task *t)
{
	kernel_forget_wakes(t);
	list_del(&t->all_link);
	task_seccomp_release(t);
	sigpending_flush(&t->pending);
	pthread_cond_destroy(&t->cond);
	free(t->pending_fpu);
	pid_put(t->pid);
	pidns_put(t->pidns_children);
	ioprio_put(t->io);
	free(t);
}

struct thread_group *tg_alloc(struct task *leader, struct thread_group *parent)
{
	struct thread_group *tg = xcalloc(1, sizeof(*tg));

	struct pid_ns *ns = pid_ns_of(leader->pid);

	tg->tgid = leader->tid;
	tg->pid = pid_get(leader->pid);
	/* The first process of a namespace is its init. */
	if (pid_nr_ns(leader->pid, ns) == 1 && !ns->reaper && !ns->closed)
		ns->reaper = tg;
	tg->refs = 1;
	tg->leader = leader;
	list_init(&tg->tasks);
	list_init(&tg->children);
	list_init(&tg->sibling);
	list_init(&tg->shared_pending.queue);
	waitq_init(&tg->child_wq);
	waitq_init(&tg->thread_exit_wq);
	waitq_init(&tg->stop_wq);
	waitq_init(&tg->exit_wq);
	tg->exit_signal = SIGCHLD;
	/* Linux keeps the flag with the memory: a fork copies its parent's, init starts at
	 * SUID_DUMP_USER (1). */
	tg->dumpable = parent ? parent->dumpable : 1;
	tg->start_ns = kernel_now_ns();
	tg->parent = parent;
	if (parent)
		list_add_tail(&tg->sibling, &parent->children);
	list_add_tail(&leader->tg_link, &tg->tasks);
	tg->nr_live = 1;
	/* A child starts in its parent's cgroup; init and exec'd processes in the sandbox's
	 * (a pod container's move to its own). */
	tg->cgroup = cgroup_get(parent ? parent->cgroup : cgroup_sandbox());
	leader->tg = tg;
	return tg;
}

void tg_put(struct thread_group *tg)
{
	if (--tg->refs > 0)
		return;
	timers_tg_exit(tg); /* a group freed without exiting (failed clone) may hold timers */
	cgroup_put(tg->cgroup);
	pid_put(tg->pid);
	pid_put(tg->pgrp);
	pid_put(tg->session);
	sigpending_flush(&tg->shared_pending);
	if (tg->sighand && --tg->sighand->refs == 0)
		free(tg->sighand);
	free(tg);
}

static void default_rlimits(struct rlimit *rl)
{
	for (int i = 0; i < RLIM_NLIMITS; i++)
		rl[i] = (struct rlimit){RLIM_INFINITY, RLIM_INFINITY};
	rl[RLIMIT_STACK] = (struct rlimit){8 << 20, RLIM_INFINITY};
	rl[RLIMIT_CORE] = (struct rlimit){0, RLIM_INFINITY};
	rl[RLIMIT_NOFILE] = (struct rlimit){1024, 1048576};
	rl[RLIMIT_NPROC] = (struct rlimit){63304, 63304};
	rl[RLIMIT_MEMLOCK] = (struct rlimit){8 << 20, 8 << 20};
	rl[RLIMIT_SIGPENDING] = (struct rlimit){63304, 63304};
	rl[RLIMIT_MSGQUEUE] = (struct rlimit){819200, 819200};
	rl[RLIMIT_RTPRIO] = (struct rlimit){0, 0};
	rl[RLIMIT_NICE] = (struct rlimit){0, 0};
}

struct task *task_create_init(struct mm *mm, struct fdtable *files, struct fs_context *fs,
			      const struct creds *creds)
{
	struct thread_group *tg;
	struct task *t;

	if (task_alloc(pidns_root(), &t))
		return NULL;
	tg = tg_alloc(t, NULL);
	tg->sighand = xcalloc(1, sizeof(*tg->sighand));
	tg->sighand->refs = 1;
	tg_set_pgid(tg, t->tid);
	tg_set_sid(tg, t->tid);
	default_rlimits(tg->rlim);
	t->mm = mm;
	t->files = files;
	t->fs = fs;
	t->creds = *creds;
	caps_init(&t->creds); /* root starts with every capability */
	g_init_tg = tg;
	return t;
}

static void *task_thread_main(void *arg)
{
	struct task *t = arg;

	t_current = t;
	kernel_lock();
	task_run(t);
	kernel_unlock();
	return NULL;
}

int task_start(struct task *t)
{
	pthread_attr_t attr;
	int err;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 1 << 20);
	err = pthread_create(&t->thread, &attr, task_thread_main, t);
	pthread_attr_destroy(&attr);
	return -err;
}
