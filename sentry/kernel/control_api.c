/* control_api.c: kernel services for the control socket: parentless processes started by
 * `runsc exec`, their reaping, signals to every process, and the process listing. */
#include "sentry/kernel/control_api.h"

#include <errno.h>
#include <string.h>

#include "lib/util.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"

#define MAX_EXEC_ROOTS 256

/* Thread groups created by control_task_create and not yet reaped: the roots of process
 * trees that do not hang below init. Each holds a reference (tg->refs). */
static struct thread_group *g_exec_roots[MAX_EXEC_ROOTS];

static int roots_add(struct thread_group *tg)
{
	for (int i = 0; i < MAX_EXEC_ROOTS; i++) {
		if (!g_exec_roots[i]) {
			g_exec_roots[i] = tg;
			return 0;
		}
	}
	return -EAGAIN;
}

static void roots_del(struct thread_group *tg)
{
	for (int i = 0; i < MAX_EXEC_ROOTS; i++)
		if (g_exec_roots[i] == tg)
			g_exec_roots[i] = NULL;
}

struct task *control_task_create(struct pid_ns *ns, struct fdtable *files,
				 struct fs_context *fs, const struct creds *creds,
				 const struct rlimit *rlim)
{
	struct thread_group *tg;
	struct task *t;

	if (task_alloc(ns ?: pidns_root(), &t))
		return NULL;
	tg = tg_alloc(t, NULL);
	if (roots_add(tg) < 0) {
		list_del(&t->tg_link);
		tg_put(tg);
		task_free(t);
		return NULL;
	}
	tg->refs++;
	tg->sighand = xcalloc(1, sizeof(*tg->sighand));
	tg->sighand->refs = 1;
	tg_set_pgid(tg, t->tid);
	tg_set_sid(tg, t->tid);
	if (rlim)
		memcpy(tg->rlim, rlim, sizeof(tg->rlim));
	else if (g_init_tg)
		memcpy(tg->rlim, g_init_tg->rlim, sizeof(tg->rlim));
	t->files = files;
	t->fs = fs;
	t->creds = *creds;
	return t;
}

void control_task_abort(struct task *t)
{
	struct thread_group *tg = t->tg;
	int status;

	task_do_exit(t, 127);
	control_tg_reap(tg, &status);
}

int control_tg_reap(struct thread_group *tg, int *wait_status)
{
	if (!tg->zombie)
		return -EAGAIN;
	*wait_status = tg->exit_status;
	roots_del(tg);
	tg_release_zombie(tg);
	tg_put(tg);
	return 0;
}

static void tg_walk(struct thread_group *tg, tg_visit_fn fn, void *arg, int depth)
{
	struct list_head *pos;

	if (depth > 100000)
		return; /* a cycle would be a kernel bug: never loop forever on it */
	fn(arg, tg);
	list_for_each(pos, &tg->children)
		tg_walk(list_entry(pos, struct thread_group, sibling), fn, arg, depth + 1);
}

void kernel_for_each_tg(tg_visit_fn fn, void *arg)
{
	if (g_init_tg)
		tg_walk(g_init_tg, fn, arg, 0);
	for (int i = 0; i < MAX_EXEC_ROOTS; i++)
		if (g_exec_roots[i])
			tg_walk(g_exec_roots[i], fn, arg, 0);
}

struct signal_ctx {
	int sig, count, cid;
};

static void signal_visit(void *arg, struct thread_group *tg)
{
	struct signal_ctx *c = arg;

	if (tg->zombie || tg->exiting || (c->cid >= 0 && tg->cid != c->cid))
		return;
	if (tg_send_signal(tg, c->sig, NULL) == 0)
		c->count++;
}

int control_signal_all(int sig, int cid)
{
	struct signal_ctx c = {sig, 0, cid};

	kernel_for_each_tg(signal_visit, &c);
	return c.count;
}

struct ps_ctx {
	struct control_proc *v;
	int n, max, cid;
};

static void ps_visit(void *arg, struct thread_group *tg)
{
	struct ps_ctx *c = arg;
	struct control_proc p = {0};
	int i;

	if (c->cid >= 0 && tg->cid != c->cid)
		return;
	p.pid = tg->tgid;
	p.ppid = tg->parent ? tg->parent->tgid : 0;
	p.threads = tg->nr_live;
	p.start_ns = tg->start_ns;
	p.state = tg->zombie ? 'Z' : 'R';
	if (tg->leader) {
		p.uid = tg->leader->creds.uid;
		memcpy(p.comm, tg->leader->comm, sizeof(p.comm));
		p.comm[sizeof(p.comm) - 1] = '\0';
	}
	/* Insertion in pid order. */
	for (i = MIN(c->n, c->max); i > 0 && c->v[i - 1].pid > p.pid; i--)
		if (i < c->max)
			c->v[i] = c->v[i - 1];
	if (i < c->max)
		c->v[i] = p;
	c->n++;
}

int control_ps(struct control_proc *v, int max, int cid)
{
	struct ps_ctx c = {v, 0, max, cid};

	kernel_for_each_tg(ps_visit, &c);
	return c.n;
}
