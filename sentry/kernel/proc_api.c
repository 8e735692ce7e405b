/* proc_api.c: read-only snapshots of tasks and thread groups for /proc and the ttys. The
 * thread groups are found by walking the process trees from init and from each `runsc
 * exec` process (orphans are reparented to init, so the trees hold every group that has
 * not been reaped). */
#include "sentry/kernel/proc_api.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>

#include "sentry/fs/cgroup/cgroup.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/cputime.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* Every group, exec'd trees included (a `runsc exec -t` shell's process groups). */
static void tg_for_each(tg_visit_fn fn, void *arg)
{
	kernel_for_each_tg(fn, arg);
}

struct find_ctx {
	int tgid;
	struct thread_group *found;
};

static void find_visit(void *arg, struct thread_group *tg)
{
	struct find_ctx *c = arg;

	if (tg->tgid == c->tgid)
		c->found = tg;
}

/* The thread group tgid, zombies included. */
static struct thread_group *tg_lookup(int tgid)
{
	struct find_ctx c = {tgid, NULL};

	if (tgid <= 0)
		return NULL;
	tg_for_each(find_visit, &c);
	return c.found;
}

/* Insert id into the ascending array ids of *n entries (capacity max). */
static void sorted_insert(int *ids, int *n, int max, int id)
{
	int i = *n < max ? *n : max;

	while (i > 0 && ids[i - 1] > id) {
		if (i < max)
			ids[i] = ids[i - 1];
		i--;
	}
	if (i < max)
		ids[i] = id;
	(*n)++;
}

struct list_ctx {
	int *ids;
	int n, max;
};

static void list_visit(void *arg, struct thread_group *tg)
{
	struct list_ctx *c = arg;

	sorted_insert(c->ids, &c->n, c->max, tg->tgid);
}

int proc_tgid_list(int *ids, int max)
{
	struct list_ctx c = {ids, 0, max};

	tg_for_each(list_visit, &c);
	return c.n;
}

int proc_tid_list(int tgid, int *ids, int max)
{
	struct thread_group *tg = tg_lookup(tgid);
	struct list_head *pos;
	int n = 0;

	if (!tg)
		return -ESRCH;
	list_for_each(pos, &tg->tasks) {
		struct task *t = list_entry(pos, struct task, tg_link);

		if (t->state != TASK_DEAD || (t == tg->leader && tg->zombie))
			sorted_insert(ids, &n, max, t->tid);
	}
	return n;
}

bool proc_tg_exists(int tgid)
{
	return tg_lookup(tgid) != NULL;
}

static struct task *tg_thread(struct thread_group *tg, int tid)
{
	struct list_head *pos;

	list_for_each(pos, &tg->tasks) {
		struct task *t = list_entry(pos, struct task, tg_link);

		if (tid == 0 ? t == tg->leader : t->tid == tid)
			return t;
	}
	return NULL;
}

bool proc_thread_exists(int tgid, int tid)
{
	struct thread_group *tg = tg_lookup(tgid);
	struct task *t = tg ? tg_thread(tg, tid) : NULL;

	return t && (t->state != TASK_DEAD || tg->zombie);
}

static uint64_t sig_set_of(const struct sighand *sh, bool caught)
{
	uint64_t set = 0;

	if (!sh)
		return 0;
	for (int sig = 1; sig <= SENTRY_NSIG; sig++) {
		uint64_t h = sh->action[sig - 1].handler;

		if (caught ? h > 1 : h == 1)
			set |= 1ULL << (sig - 1);
	}
	return set;
}

static int queue_len(const struct sigpending *p)
{
	const struct list_head *pos;
	int n = 0;

	for (pos = p->queue.next; pos != &p->queue; pos = pos->next)
		n++;
	return n;
}

static char task_state_char(const struct thread_group *tg, const struct task *t)
{
	if (tg->zombie)
		return 'Z';
	if (t->state == TASK_DEAD)
		return 'X';
	if (tg->stopped)
		return 'T'; /* job-control stop */
	return t->blocked ? 'S' : 'R';
}

static void fill_creds(struct proc_task_info *info, const struct creds *c)
{
	info->uid = c->uid;
	info->euid = c->euid;
	info->suid = c->suid;
	info->fsuid = c->fsuid;
	info->gid = c->gid;
	info->egid = c->egid;
	info->sgid = c->sgid;
	info->fsgid = c->fsgid;
	info->ngroups = c->ngroups < 0 ? 0 : c->ngroups > 32 ? 32 : c->ngroups;
	memcpy(info->groups, c->groups, sizeof(info->groups));
	info->cap_inh = c->cap_inheritable;
	info->cap_prm = c->cap_permitted;
	info->cap_eff = c->cap_effective;
	info->cap_bnd = c->cap_bset;
	info->cap_amb = c->cap_ambient;
}

/* The numbers of t as the current task (the reader of /proc) sees them. */
static void fill_ns_ids(struct proc_task_info *info, struct pid_ns *view,
			struct thread_group *tg, struct task *t)
{
	info->v_tid = pid_nr_ns(t->pid, view);
	info->v_tgid = pid_nr_ns(tg->pid, view);
	info->v_ppid = tg->parent ? pid_nr_ns(tg->parent->pid, view) : 0;
	info->v_pgid = pid_nr_ns(tg->pgrp, view);
	info->v_sid = pid_nr_ns(tg->session, view);
	if (pid_nr_ns(t->pid, view) == 0)
		return;
	for (int l = view->level; l <= t->pid->level; l++) {
		struct pid_ns *ns = t->pid->up[l].ns;
		int i = info->ns_count++;

		info->ns_tid[i] = t->pid->up[l].nr;
		info->ns_tgid[i] = pid_nr_ns(tg->pid, ns);
		info->ns_pgid[i] = pid_nr_ns(tg->pgrp, ns);
		info->ns_sid[i] = pid_nr_ns(tg->session, ns);
	}
}

int proc_task_info(int tgid, int tid, struct proc_task_info *info)
{
	return proc_task_info_ns(task_active_pidns(t_current), tgid, tid, info);
}

int proc_task_info_ns(struct pid_ns *view, int tgid, int tid, struct proc_task_info *info)
{
	struct thread_group *tg = tg_lookup(tgid);
	struct task *t = tg ? tg_thread(tg, tid) : NULL;
	struct cputime cpu;

	if (!t)
		return -ESRCH;
	memset(info, 0, sizeof(*info));
	info->tid = t->tid;
	info->tgid = tg->tgid;
	info->ppid = tg->parent ? tg->parent->tgid : 0;
	info->pgid = tg->pgid;
	info->sid = tg->sid;
	fill_ns_ids(info, view ?: pidns_root(), tg, t);
	memcpy(info->comm, t->comm, sizeof(info->comm));
	info->comm[sizeof(info->comm) - 1] = '\0';
	info->state = task_state_char(tg, t);
	info->nr_threads = tg->nr_live > 0 ? tg->nr_live : 1;
	fill_creds(info, &t->creds);
	info->start_ns = tg->start_ns;
	info->sigpnd = t->pending.set;
	info->shdpnd = tg->shared_pending.set;
	info->sigblk = t->sigmask;
	info->sigign = sig_set_of(tg->sighand, false);
	info->sigcgt = sig_set_of(tg->sighand, true);
	info->sigq = queue_len(&t->pending) + queue_len(&tg->shared_pending);
	info->no_new_privs = t->no_new_privs;
	info->seccomp_mode = t->seccomp_mode;
	info->seccomp_filters = 0;
	for (const struct seccomp_filter *f = t->seccomp; f; f = f->prev)
		info->seccomp_filters++;
	info->exit_signal = tg->exit_signal;
	info->dumpable = tg->dumpable;
	memcpy(info->rlim, tg->rlim, sizeof(info->rlim));
	cpu = cputime_tg(tg);
	info->utime_ns = cpu.utime_ns;
	info->stime_ns = cpu.stime_ns;
	info->cutime_ns = tg->child_utime_ns;
	info->cstime_ns = tg->child_stime_ns;
	info->nice = t->nice;
	info->policy = t->sched_policy & 0xff;
	info->rt_prio = t->sched_prio;
	return 0;
}

int proc_task_tgid(const struct task *t)
{
	return t && t->tg ? t->tg->tgid : 0;
}

int proc_task_tid(const struct task *t)
{
	return t ? t->tid : 0;
}

static struct pid_ns *g_mount_pidns;

struct pid_ns *proc_mount_pidns(void)
{
	return pidns_get(g_mount_pidns ?: task_active_pidns(t_current));
}

void proc_set_mount_pidns(struct pid_ns *ns)
{
	g_mount_pidns = ns;
}

int proc_pid_view(struct pid_ns *ns, int nr)
{
	return pidns_nr_of(ns, nr);
}

int proc_pid_unview(struct pid_ns *ns, int nr)
{
	return pidns_root_nr(ns, nr);
}

uint64_t proc_pidns_ino(int tgid, int tid, bool for_children)
{
	struct thread_group *tg = tg_lookup(tgid);
	struct task *t = tg ? tg_thread(tg, tid) : NULL;

	if (!tg)
		return 0;
	if (for_children && t && t->pidns_children)
		return t->pidns_children->ino;
	return pid_ns_of(tg->pid)->ino;
}

struct task *proc_any_task(int tgid)
{
	struct thread_group *tg = tg_lookup(tgid);
	struct list_head *pos;

	if (!tg || tg->zombie)
		return NULL;
	list_for_each(pos, &tg->tasks) {
		struct task *t = list_entry(pos, struct task, tg_link);

		if (t->state != TASK_DEAD && t->fs && t->files)
			return t;
	}
	return NULL;
}

struct mm *proc_get_mm(int tgid)
{
	struct task *t = proc_any_task(tgid);

	if (!t || !t->mm)
		return NULL;
	mm_get(t->mm);
	return t->mm;
}

struct fdtable *proc_get_files(int tgid)
{
	struct task *t = proc_any_task(tgid);

	if (!t)
		return NULL;
	return fdtable_fork(t->files, true);
}

struct fs_context *proc_get_fs(int tgid)
{
	struct task *t = proc_any_task(tgid);

	if (!t)
		return NULL;
	return fs_context_fork(t->fs, true);
}

int proc_set_comm(int tgid, int tid, const char *name, size_t len)
{
	struct thread_group *tg = tg_lookup(tgid);
	struct task *t = tg ? tg_thread(tg, tid) : NULL;

	if (!t || t->state == TASK_DEAD)
		return -ESRCH;
	if (len > sizeof(t->comm) - 1)
		len = sizeof(t->comm) - 1;
	memcpy(t->comm, name, len);
	t->comm[len] = '\0';
	return 0;
}

int proc_get_oom_score_adj(int tgid, int *adj)
{
	struct thread_group *tg = tg_lookup(tgid);

	if (!tg)
		return -ESRCH;
	*adj = tg->oom_score_adj;
	return 0;
}

int proc_set_oom_score_adj(struct task *writer, int tgid, int adj, bool legacy)
{
	struct thread_group *tg = tg_lookup(tgid);
	bool cap = writer && caps_capable(writer, CAP_SYS_RESOURCE);

	if (!tg || tg->zombie)
		return -ESRCH;
	if (!cap && adj < (legacy ? tg->oom_score_adj : tg->oom_score_adj_min))
		return -EACCES;
	tg->oom_score_adj = adj;
	if (!legacy && cap)
		tg->oom_score_adj_min = adj;
	return 0;
}

struct pgrp_ctx {
	int pgid, sid;
	void (*fn)(void *arg, int tgid);
	void *arg;
	bool found;
};

static void pgrp_visit(void *arg, struct thread_group *tg)
{
	struct pgrp_ctx *c = arg;

	if (tg->zombie || tg->pgid != c->pgid)
		return;
	if (c->sid && tg->sid != c->sid)
		return;
	c->found = true;
	if (c->fn)
		c->fn(c->arg, tg->tgid);
}

void proc_for_each_in_pgrp(int pgid, void (*fn)(void *arg, int tgid), void *arg)
{
	struct pgrp_ctx c = {pgid, 0, fn, arg, false};

	tg_for_each(pgrp_visit, &c);
}

bool proc_pgrp_in_session(int pgid, int sid)
{
	struct pgrp_ctx c = {pgid, sid, NULL, NULL, false};

	tg_for_each(pgrp_visit, &c);
	return c.found;
}

struct count_ctx {
	int threads, groups, running, last;
};

static void count_visit(void *arg, struct thread_group *tg)
{
	struct count_ctx *c = arg;
	struct list_head *pos;

	c->groups++;
	list_for_each(pos, &tg->tasks) {
		struct task *t = list_entry(pos, struct task, tg_link);

		if (t->state == TASK_DEAD)
			continue;
		c->threads++;
		if (!t->blocked)
			c->running++;
		if (t->tid > c->last)
			c->last = t->tid;
	}
}

void proc_counts(int *threads, int *groups, int *running)
{
	struct count_ctx c = {0};

	tg_for_each(count_visit, &c);
	*threads = c.threads;
	*groups = c.groups;
	*running = c.running;
}

int proc_last_pid(void)
{
	struct count_ctx c = {0};

	tg_for_each(count_visit, &c);
	return c.last;
}

struct tg_cgroup_ctx {
	void (*fn)(void *arg, int tgid, int nr_live, struct cgroup *cg);
	void *arg;
};

static void tg_cgroup_visit(void *arg, struct thread_group *tg)
{
	struct tg_cgroup_ctx *c = arg;

	c->fn(c->arg, tg->tgid, tg->zombie ? 0 : tg->nr_live, tg->cgroup);
}

void proc_for_each_tg_cgroup(void (*fn)(void *arg, int tgid, int nr_live, struct cgroup *cg),
			     void *arg)
{
	struct tg_cgroup_ctx c = {fn, arg};

	tg_for_each(tg_cgroup_visit, &c);
}

struct cgroup *proc_tg_cgroup(int tgid)
{
	struct thread_group *tg = tg_lookup(tgid);

	return tg ? tg->cgroup : NULL;
}

int proc_thread_cgroup(int tid, int *tgid, struct cgroup **cg)
{
	struct task *t = tid > 0 ? task_find(tid) : NULL;

	if (!t || t->tg->zombie)
		return -ESRCH;
	*tgid = t->tg->tgid;
	*cg = t->tg->cgroup;
	return 0;
}

int proc_tg_set_cgroup(int tgid, struct cgroup *cg)
{
	struct thread_group *tg = tg_find(tgid);

	if (!tg)
		return -ESRCH;
	cgroup_get(cg);
	cgroup_put(tg->cgroup);
	tg->cgroup = cg;
	return 0;
}
