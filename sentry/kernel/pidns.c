/* pidns.c: pid namespaces and multi-level pids (pidns.h). */
#include "sentry/kernel/pidns.h"

#include <errno.h>
#include <stdlib.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"

#define PIDNS_ROOT_INO 4026531836ULL /* Linux's PROC_PID_INIT_INO */
#define RESERVED_PIDS 300	     /* where allocation wraps to, as on Linux */

static struct pid_ns g_root_ns = {.refs = 1, .ino = PIDNS_ROOT_INO};
static bool g_root_ready;
static uint64_t g_next_ino = PIDNS_ROOT_INO + 400; /* clear of the other initial ones */

static void ns_init_hash(struct pid_ns *ns)
{
	for (int i = 0; i < PIDNS_HASH; i++)
		list_init(&ns->hash[i]);
	ns->next_nr = 1;
}

struct pid_ns *pidns_root(void)
{
	if (!g_root_ready) {
		ns_init_hash(&g_root_ns);
		g_root_ready = true;
	}
	return &g_root_ns;
}

uint64_t ns_ino_alloc(void)
{
	return g_next_ino++;
}

int pidns_new(struct pid_ns *parent, struct pid_ns **out)
{
	struct pid_ns *ns;

	if (parent->level >= PIDNS_MAX_LEVEL)
		return -ENOSPC;
	ns = xcalloc(1, sizeof(*ns));
	ns_init_hash(ns);
	ns->refs = 1;
	ns->level = parent->level + 1;
	ns->parent = pidns_get(parent);
	ns->ino = ns_ino_alloc();
	*out = ns;
	return 0;
}

struct pid_ns *pidns_get(struct pid_ns *ns)
{
	if (ns)
		ns->refs++;
	return ns;
}

void pidns_put(struct pid_ns *ns)
{
	while (ns && ns != &g_root_ns && --ns->refs == 0) {
		struct pid_ns *parent = ns->parent;
		free(ns);
		ns = parent;
	}
}

bool pidns_is_descendant(const struct pid_ns *ns, const struct pid_ns *anc)
{
	for (; ns && ns->level >= anc->level; ns = ns->parent)
		if (ns == anc)
			return true;
	return false;
}

static struct list_head *bucket(const struct pid_ns *ns, int nr)
{
	return (struct list_head *)&ns->hash[(unsigned)nr % PIDNS_HASH];
}

/* The pid a upid is part of: it is entry up[level of its namespace]. */
static struct pid *upid_owner(struct upid *u)
{
	struct upid *first = u - u->ns->level;

	return (struct pid *)((char *)first - offsetof(struct pid, up));
}

struct pid *pid_find_ns(const struct pid_ns *ns, int nr)
{
	struct list_head *pos, *head = bucket(ns, nr);

	list_for_each(pos, head) {
		struct upid *u = list_entry(pos, struct upid, link);
		if (u->nr == nr)
			return upid_owner(u);
	}
	return NULL;
}

/* A free number in ns: from next_nr up to pid_max, then from RESERVED_PIDS (1 in a
 * namespace that has not wrapped yet), as Linux's cursor does. */
static int ns_alloc_nr(struct pid_ns *ns, int pid_max)
{
	for (int tries = 0; tries < pid_max; tries++) {
		int nr = ns->next_nr++;
		if (ns->next_nr >= pid_max)
			ns->next_nr = RESERVED_PIDS;
		if (!pid_find_ns(ns, nr))
			return nr;
	}
	return -EAGAIN;
}

static void pid_unhash(struct pid *p, int from_level)
{
	for (int l = from_level; l <= p->level; l++) {
		list_del(&p->up[l].link);
		p->up[l].ns->nr_pids--;
		pidns_put(p->up[l].ns);
	}
}

int pid_alloc(struct pid_ns *ns, int pid_max, struct pid **out)
{
	struct pid *p = xcalloc(1, sizeof(*p) + (size_t)(ns->level + 1) * sizeof(struct upid));
	struct pid_ns *n = ns;

	p->refs = 1;
	p->level = ns->level;
	for (int l = ns->level; l >= 0; l--, n = n->parent) {
		int nr = n->closed ? -ENOMEM : ns_alloc_nr(n, pid_max);

		if (nr < 0) {
			pid_unhash(p, l + 1);
			free(p);
			return nr;
		}
		p->up[l] = (struct upid){.nr = nr, .ns = pidns_get(n)};
		list_add_tail(&p->up[l].link, bucket(n, nr));
		n->nr_pids++;
	}
	*out = p;
	return 0;
}

struct pid *pid_get(struct pid *p)
{
	if (p)
		p->refs++;
	return p;
}

void pid_put(struct pid *p)
{
	if (!p || --p->refs > 0)
		return;
	pid_unhash(p, 0);
	free(p);
}

int pid_nr_ns(const struct pid *p, const struct pid_ns *ns)
{
	if (!p || ns->level > p->level || p->up[ns->level].ns != ns)
		return 0;
	return p->up[ns->level].nr;
}

struct pid_ns *task_active_pidns(const struct task *t)
{
	return t && t->pid ? pid_ns_of(t->pid) : pidns_root();
}

int pidns_nr_of(const struct pid_ns *ns, int nr)
{
	if (!ns || ns->level == 0 || nr <= 0)
		return nr;
	return pid_nr_ns(pid_find_ns(pidns_root(), nr), ns);
}

int pidns_root_nr(const struct pid_ns *ns, int nr)
{
	struct pid *p;

	if (!ns || ns->level == 0 || nr <= 0)
		return nr;
	p = pid_find_ns(ns, nr);
	return p ? p->up[0].nr : -1;
}

int pid_vnr(const struct task *viewer, int nr)
{
	return pidns_nr_of(task_active_pidns(viewer), nr);
}

int pid_from_vnr(const struct task *viewer, int nr)
{
	return pidns_root_nr(task_active_pidns(viewer), nr);
}

bool tg_is_ns_init(const struct thread_group *tg)
{
	return tg == g_init_tg || (tg->pid && pid_ns_of(tg->pid)->reaper == tg);
}

struct thread_group *pidns_reaper_above(struct pid_ns *ns)
{
	for (; ns; ns = ns->parent)
		if (ns->reaper)
			return ns->reaper;
	return g_init_tg;
}

int task_vnr(const struct task *viewer, const struct task *t)
{
	return pid_nr_ns(t->pid, task_active_pidns(viewer));
}

int tg_vnr(const struct task *viewer, const struct thread_group *tg)
{
	return pid_nr_ns(tg->pid, task_active_pidns(viewer));
}
