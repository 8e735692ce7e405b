/* ipc.c: what System V shared memory, semaphores and message queues share: the
 * namespace, id tables (ids as Linux makes them), ipcget and permission checks. */
#include "sentry/ipc/ipc_internal.h"

#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <time.h>

#include "lib/util.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"

static struct ipc_ns g_ipc_ns = {
	.tasks = 1, /* never freed */
	IPC_NS_DEFAULTS,
};

struct ipc_ns *ipc_ns_of(struct task *t)
{
	return t && t->ipc_ns ? t->ipc_ns : &g_ipc_ns;
}

struct ipc_ns *ipc_ns_fork(struct ipc_ns *parent, bool new_ns)
{
	struct ipc_ns *ns;

	if (!new_ns) {
		if (parent)
			parent->tasks++;
		return parent;
	}
	ns = xmalloc(sizeof(*ns));
	*ns = (struct ipc_ns){.tasks = 1, IPC_NS_DEFAULTS};
	return ns;
}

void ipc_ns_maybe_free(struct ipc_ns *ns)
{
	if (ns == &g_ipc_ns || ns->tasks > 0 || ns->ids[IPC_KIND_SHM].in_use > 0 ||
	    ns->mq_queues > 0)
		return;
	for (int i = 0; i < IPC_NKINDS; i++)
		free(ns->ids[i].slots);
	free(ns);
}

void ipc_ns_put(struct ipc_ns *ns)
{
	if (!ns || --ns->tasks > 0)
		return;
	/* As Linux's free_ipc_ns: the objects go with the namespace (attached segments
	 * at their last detach). Held meanwhile: destroying a segment may free it. */
	ns->tasks = 1;
	sem_ns_exit(ns);
	msg_ns_exit(ns);
	mqueue_ns_exit(ns);
	shm_ns_exit(ns);
	ns->tasks = 0;
	ipc_ns_maybe_free(ns);
}

static struct ipc_obj *find_key(struct ipc_ids *ids, int32_t key)
{
	for (int i = 0; i < ids->nslots; i++)
		if (ids->slots[i] && ids->slots[i]->key == key)
			return ids->slots[i];
	return NULL;
}

int ipc_get(struct task *t, struct ipc_ns *ns, int kind, int32_t key, int flg,
	    const struct ipc_get_ops *ops, long arg)
{
	struct ipc_obj *o;
	int err;

	if (key == IPC_PRIVATE_KEY)
		return ops->create(t, ns, key, flg, arg);
	o = find_key(&ns->ids[kind], key);
	if (!o) {
		if (!(flg & IPC_CREAT_FLAG))
			return -ENOENT;
		return ops->create(t, ns, key, flg, arg);
	}
	if ((flg & IPC_CREAT_FLAG) && (flg & IPC_EXCL_FLAG))
		return -EEXIST;
	if (ops->more_checks) {
		err = ops->more_checks(o, arg);
		if (err)
			return err;
	}
	err = ipc_perms(t, o, flg);
	return err ? err : o->id;
}

int ipc_add(struct task *t, struct ipc_ids *ids, struct ipc_obj *o, int32_t key, int flg)
{
	int idx;

	if (ids->in_use >= ids->limit)
		return -ENOSPC;
	for (idx = 0; idx < ids->nslots && ids->slots[idx]; idx++)
		;
	if (idx == ids->nslots) {
		int n = ids->nslots ? ids->nslots * 2 : 16;
		ids->slots = xrealloc(ids->slots, n * sizeof(*ids->slots));
		memset(ids->slots + ids->nslots, 0, (n - ids->nslots) * sizeof(*ids->slots));
		ids->nslots = n;
	}
	ids->slots[idx] = o;
	ids->in_use++;
	o->seq = ids->seq;
	ids->seq = ids->seq == IPC_SEQ_MAX ? 0 : ids->seq + 1;
	o->id = o->seq * IPC_SEQ_MULT + idx;
	o->key = key;
	o->uid = o->cuid = t->creds.euid;
	o->gid = o->cgid = t->creds.egid;
	o->mode = flg & 0777;
	o->deleted = false;
	return 0;
}

void ipc_remove(struct ipc_ids *ids, struct ipc_obj *o)
{
	int idx = o->id % IPC_SEQ_MULT;

	if (idx < ids->nslots && ids->slots[idx] == o) {
		ids->slots[idx] = NULL;
		ids->in_use--;
	}
	o->deleted = true;
}

struct ipc_obj *ipc_lookup_index(struct ipc_ids *ids, int idx)
{
	if (idx < 0 || idx >= ids->nslots)
		return NULL;
	return ids->slots[idx];
}

struct ipc_obj *ipc_lookup(struct ipc_ids *ids, int id)
{
	struct ipc_obj *o;

	if (id < 0)
		return NULL;
	o = ipc_lookup_index(ids, id % IPC_SEQ_MULT);
	return (o && o->id == id) ? o : NULL;
}

int ipc_max_idx(const struct ipc_ids *ids)
{
	for (int i = ids->nslots - 1; i >= 0; i--)
		if (ids->slots[i])
			return i;
	return 0;
}

static bool in_group(const struct creds *c, gid_t gid)
{
	if (c->fsgid == gid)
		return true;
	for (int i = 0; i < c->ngroups && i < (int)ARRAY_SIZE(c->groups); i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

int ipc_perms(struct task *t, const struct ipc_obj *o, int flag)
{
	int requested = (flag >> 6) | (flag >> 3) | flag;
	int granted = o->mode;
	uid_t euid = t->creds.euid;

	if (euid == o->cuid || euid == o->uid)
		granted >>= 6;
	else if (in_group(&t->creds, o->cgid) || in_group(&t->creds, o->gid))
		granted >>= 3;
	if ((requested & ~granted & 07) && !caps_capable(t, CAP_IPC_OWNER))
		return -EACCES;
	return 0;
}

int ipc_check_owner(struct task *t, const struct ipc_obj *o)
{
	uid_t euid = t->creds.euid;

	if (euid == o->cuid || euid == o->uid || caps_capable(t, CAP_SYS_ADMIN))
		return 0;
	return -EPERM;
}

void ipc_fill_perm(const struct ipc_obj *o, struct abi_ipc64_perm *p)
{
	memset(p, 0, sizeof(*p));
	p->key = o->key;
	p->uid = o->uid;
	p->gid = o->gid;
	p->cuid = o->cuid;
	p->cgid = o->cgid;
	p->mode = (uint16_t)o->mode;
	p->seq = o->seq;
}

void ipc_set_perm(struct ipc_obj *o, const struct abi_ipc64_perm *p)
{
	o->uid = p->uid;
	o->gid = p->gid;
	o->mode = (o->mode & ~0777u) | (p->mode & 0777u);
}

int64_t ipc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return ts.tv_sec;
}

int ipc_tgid(const struct task *t)
{
	return t && t->tg ? t->tg->tgid : 0;
}

int ipc_deadline(const struct timespec *rel, struct timespec *deadline)
{
	struct timespec now;

	if (rel->tv_sec < 0 || rel->tv_nsec < 0 || rel->tv_nsec >= 1000000000L)
		return -EINVAL;
	clock_gettime(CLOCK_MONOTONIC, &now);
	/* Huge timeouts saturate instead of wrapping into the past. */
	if (rel->tv_sec > INT64_MAX / 4) {
		deadline->tv_sec = INT64_MAX / 4;
		deadline->tv_nsec = 0;
		return 0;
	}
	deadline->tv_sec = now.tv_sec + rel->tv_sec;
	deadline->tv_nsec = now.tv_nsec + rel->tv_nsec;
	if (deadline->tv_nsec >= 1000000000L) {
		deadline->tv_sec++;
		deadline->tv_nsec -= 1000000000L;
	}
	return 0;
}
