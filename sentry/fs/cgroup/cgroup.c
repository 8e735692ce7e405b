/* cgroup.c: the cgroup v2 hierarchy: cgroups as a tree under the container's root,
 * membership of thread groups (kept by the kernel, counted here on demand), mkdir/rmdir,
 * moving processes with the no-internal-process rule, subtree_control, and pids.max
 * checked at fork. Linux (Documentation/admin-guide/cgroup-v2.rst) is the model; threaded
 * cgroups are not supported. */
#include "sentry/fs/cgroup/cgroup_internal.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/task.h"

static uint64_t g_next_id = 2;

static void cg_init(struct cgroup *cg, const char *name, struct cgroup *parent)
{
	cg->refs = 1;
	cg->name = xstrdup(name);
	cg->parent = parent;
	list_init(&cg->children);
	list_init(&cg->sibling);
	cg->depth = parent ? parent->depth + 1 : 0;
	cg->id = g_next_id++;
	cg->max_depth = cg->max_descendants = INT32_MAX;
	cg->pids_max = cg->memory_max = cg->memory_high = cg->swap_max = -1;
	cg->cpu_quota = -1;
	cg->cpu_period = 100000;
	cg->cpu_weight = 100;
	clock_gettime(CLOCK_REALTIME, &cg->ctime);
}

static struct cgroup *root_cg(void)
{
	static struct cgroup root;

	if (!root.name)
		cg_init(&root, "", NULL);
	return &root;
}

struct cgroup *cgroup_root(void)
{
	return root_cg();
}

static void set_limit(int64_t *field, int64_t v)
{
	if (v != CGROUP_KEEP)
		*field = v < 0 ? -1 : v;
}

void cgroup_set_limits(struct cgroup *cg, const struct cgroup_limits *l)
{
	set_limit(&cg->memory_max, l->memory_max);
	set_limit(&cg->memory_low, l->memory_low);
	if (cg->memory_low < 0)
		cg->memory_low = 0; /* memory.low has no "max" here */
	set_limit(&cg->swap_max, l->swap_max);
	set_limit(&cg->pids_max, l->pids_max);
	set_limit(&cg->cpu_quota, l->cpu_quota);
	if (l->cpu_period)
		cg->cpu_period = l->cpu_period;
	if (l->cpu_weight)
		cg->cpu_weight = l->cpu_weight;
}

struct cgroup *cgroup_get(struct cgroup *cg)
{
	if (cg)
		cg->refs++;
	return cg;
}

void cgroup_put(struct cgroup *cg)
{
	while (cg && --cg->refs == 0 && cg->parent) {
		struct cgroup *parent = cg->parent;

		free(cg->name);
		free(cg);
		cg = parent;
	}
}

unsigned cg_controllers(const struct cgroup *cg)
{
	return cg->parent ? cg->parent->subtree_control : CG_ALL;
}

bool cg_is_below(const struct cgroup *a, const struct cgroup *b)
{
	for (; a; a = a->parent)
		if (a == b)
			return true;
	return false;
}

struct count_ctx {
	const struct cgroup *cg;
	bool below;
	int threads, procs;
	void (*fn)(void *arg, int tgid);
	void *arg;
};

static void count_visit(void *arg, int tgid, int nr_live, struct cgroup *cg)
{
	struct count_ctx *c = arg;

	if (nr_live <= 0 || !(c->below ? cg_is_below(cg, c->cg) : cg == c->cg))
		return;
	c->threads += nr_live;
	c->procs++;
	if (c->fn)
		c->fn(c->arg, tgid);
}

void cg_count(const struct cgroup *cg, bool below, int *threads, int *procs)
{
	struct count_ctx c = {.cg = cg, .below = below};

	proc_for_each_tg_cgroup(count_visit, &c);
	if (threads)
		*threads = c.threads;
	if (procs)
		*procs = c.procs;
}

void cg_for_each_proc(const struct cgroup *cg, bool below,
		      void (*fn)(void *arg, int tgid), void *arg)
{
	struct count_ctx c = {.cg = cg, .below = below, .fn = fn, .arg = arg};

	proc_for_each_tg_cgroup(count_visit, &c);
}

int cg_nr_descendants(const struct cgroup *cg)
{
	return cg->nr_descendants;
}

struct cgroup *cg_child(const struct cgroup *cg, const char *name)
{
	const struct list_head *pos;

	list_for_each(pos, &cg->children) {
		struct cgroup *c = list_entry(pos, struct cgroup, sibling);
		if (!strcmp(c->name, name))
			return c;
	}
	return NULL;
}

int cg_mkdir(struct cgroup *parent, const char *name, struct cgroup **out)
{
	struct cgroup *cg;

	if (parent->dead)
		return -ENODEV;
	if (cg_child(parent, name))
		return -EEXIST;
	/* Linux's cgroup_check_hierarchy_limits: every ancestor's max.depth and
	 * max.descendants count the new cgroup. */
	for (const struct cgroup *a = parent; a; a = a->parent) {
		if (parent->depth + 1 - a->depth > a->max_depth ||
		    cg_nr_descendants(a) >= a->max_descendants)
			return -EAGAIN;
	}
	cg = xcalloc(1, sizeof(*cg));
	cg_init(cg, name, cgroup_get(parent));
	list_add_tail(&cg->sibling, &parent->children);
	cg->refs++; /* the parent's list holds one until rmdir */
	for (struct cgroup *a = parent; a; a = a->parent)
		a->nr_descendants++;
	*out = cg;
	return 0;
}

int cg_rmdir(struct cgroup *cg)
{
	int procs;

	if (!cg->parent)
		return -EBUSY;
	if (cg->dead)
		return -ENOENT;
	cg_count(cg, true, NULL, &procs);
	if (procs || !list_empty(&cg->children))
		return -EBUSY;
	cg->dead = true;
	for (struct cgroup *a = cg->parent; a; a = a->parent)
		a->nr_descendants--;
	list_del(&cg->sibling);
	list_init(&cg->sibling);
	cgroup_put(cg);
	return 0;
}

int cg_attach(struct cgroup *cg, int tid)
{
	struct cgroup *from;
	int tgid, err;

	if (cg->dead)
		return -ENODEV;
	err = proc_thread_cgroup(tid ? tid : proc_task_tid(t_current), &tgid, &from);
	if (err)
		return err;
	/* No internal processes: a cgroup that hands controllers to its children holds no
	 * process itself (the root of a real hierarchy is exempt; ours is the container's
	 * cgroup, a non-root one on the host). */
	if (cg->subtree_control)
		return -EBUSY;
	if (from == cg)
		return 0;
	return proc_tg_set_cgroup(tgid, cg);
}

int cg_set_subtree(struct cgroup *cg, unsigned enable, unsigned disable)
{
	const struct list_head *pos;
	int procs;

	if (cg->dead)
		return -ENODEV;
	if (enable & ~cg_controllers(cg))
		return -ENOENT;
	enable &= ~cg->subtree_control;
	disable &= cg->subtree_control;
	if (enable) {
		cg_count(cg, false, NULL, &procs);
		if (procs)
			return -EBUSY;
	}
	/* A controller a child still hands on cannot be taken from it. */
	list_for_each(pos, &cg->children) {
		const struct cgroup *c = list_entry(pos, struct cgroup, sibling);
		if (c->subtree_control & disable)
			return -EBUSY;
	}
	cg->subtree_control = (cg->subtree_control | enable) & ~disable;
	return 0;
}

int cgroup_can_fork(struct cgroup *cg)
{
	for (struct cgroup *a = cg; a; a = a->parent) {
		int threads;

		if (a->pids_max < 0)
			continue;
		cg_count(a, true, &threads, NULL);
		if (threads + 1 > a->pids_max) {
			a->pids_events_max++;
			return -EAGAIN;
		}
	}
	return 0;
}

int cgroup_path(const struct cgroup *cg, char *buf, size_t size)
{
	static const char deleted[] = " (deleted)";
	size_t len = 0, pos = size;
	bool dead = false;

	/* Built backwards from the end of buf (no recursion: hierarchies may be deep). */
	for (const struct cgroup *a = cg; a; a = a->parent) {
		size_t n = strlen(a->name);

		dead |= a->dead;
		if (!a->parent)
			break;
		if (pos < n + 1)
			return -ERANGE;
		pos -= n;
		memcpy(buf + pos, a->name, n);
		buf[--pos] = '/';
	}
	len = size - pos;
	if (len == 0) {
		if (size < 2)
			return -ERANGE;
		buf[--pos] = '/';
		len = 1;
	}
	if (len + (dead ? sizeof(deleted) - 1 : 0) + 1 > size)
		return -ERANGE;
	memmove(buf, buf + pos, len);
	if (dead) {
		memcpy(buf + len, deleted, sizeof(deleted) - 1);
		len += sizeof(deleted) - 1;
	}
	buf[len] = '\0';
	return (int)len;
}

/* A pod's sandbox container's cgroup, once the root became the pod's. */
static struct cgroup *g_sandbox;

struct cgroup *cgroup_sandbox(void)
{
	return g_sandbox && !g_sandbox->dead ? g_sandbox : root_cg();
}

struct tgids {
	int n, cap;
	int *v;
};

static void tgid_add(void *arg, int tgid)
{
	struct tgids *t = arg;

	if (t->n == t->cap) {
		t->cap = t->cap ? 2 * t->cap : 16;
		t->v = xrealloc(t->v, (size_t)t->cap * sizeof(*t->v));
	}
	t->v[t->n++] = tgid;
}

/* The root becomes the pod's cgroup: its processes go to a child named sandbox (unless
 * the sandbox's programs already emptied it), and it hands every controller down. */
static int pod_split_root(const char *sandbox)
{
	struct cgroup *root = root_cg(), *sb;
	struct tgids t = {0};
	int err;

	cg_for_each_proc(root, false, tgid_add, &t);
	if (t.n) {
		err = cg_mkdir(root, sandbox, &sb);
		if (err) {
			free(t.v);
			return err;
		}
		for (int i = 0; i < t.n; i++)
			proc_tg_set_cgroup(t.v[i], sb);
		g_sandbox = sb; /* the reference of cg_mkdir */
	}
	free(t.v);
	return cg_set_subtree(root, CG_ALL, 0);
}

int cgroup_pod_join(const char *sandbox, const char *name, struct cgroup **out)
{
	struct cgroup *root = root_cg();
	int err = 0;

	if (!*name || strchr(name, '/') || !strcmp(name, sandbox))
		return -EINVAL;
	if (root->subtree_control != CG_ALL)
		err = pod_split_root(sandbox);
	if (!err)
		err = cg_mkdir(root, name, out);
	return err;
}

int cgroup_pod_leave(struct cgroup *cg)
{
	return cg->dead ? 0 : cg_rmdir(cg);
}
