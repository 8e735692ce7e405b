/* shm.c: System V shared memory: shmget, shmat, shmdt, shmctl. A segment is a shared
 * memory object of the memory file (sentry/mm/shm.c) that counts its attachments and is
 * destroyed at its last detach once removed. */
#include "sentry/ipc/ipc_internal.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define SHMMIN 1ULL
#define SHMLBA PAGE_SIZE

/* shmflg and shmctl values (Linux's), spelled here to stay clear of glibc's headers. */
#define SHM_HUGETLB_FLAG 04000
#define SHM_NORESERVE_FLAG 010000
#define SHM_RDONLY_FLAG 010000
#define SHM_RND_FLAG 020000
#define SHM_REMAP_FLAG 040000
#define SHM_EXEC_FLAG 0100000
#define SHM_DEST_MODE 01000
#define SHM_LOCKED_MODE 02000
#define SHM_LOCK_CMD 11
#define SHM_UNLOCK_CMD 12
#define SHM_STAT_CMD 13
#define SHM_INFO_CMD 14
#define SHM_STAT_ANY_CMD 15

struct shm_seg {
	struct ipc_obj perm; /* first: the table holds &perm */
	struct ipc_ns *ns;
	struct shm_obj *obj; /* one reference until destroyed; obj->priv == this */
	uint64_t segsz;
	int64_t atime, dtime, ctime;
	int cpid, lpid;
	uint64_t nattch; /* VMAs made of obj */
};

static uint64_t seg_pages(const struct shm_seg *s)
{
	return ALIGN_UP(s->segsz, PAGE_SIZE) / PAGE_SIZE;
}

static void seg_destroy(struct shm_seg *s)
{
	struct shm_obj *obj = s->obj;
	struct ipc_ns *ns = s->ns;

	ipc_remove(&ns->ids[IPC_KIND_SHM], &s->perm);
	ns->shm_tot -= seg_pages(s);
	obj->ops = NULL;
	obj->priv = NULL;
	shm_obj_put(obj);
	free(s);
	ipc_ns_maybe_free(ns); /* a namespace without tasks goes with its last segment */
}

static void seg_rmid(struct shm_seg *s)
{
	if (s->nattch == 0) {
		seg_destroy(s);
		return;
	}
	/* Attached: gone at the last detach, meanwhile no longer found by its key. */
	s->perm.mode |= SHM_DEST_MODE;
	s->perm.key = IPC_PRIVATE_KEY;
}

void shm_ns_exit(struct ipc_ns *ns)
{
	struct ipc_ids *ids = &ns->ids[IPC_KIND_SHM];

	for (int i = 0; i < ids->nslots; i++)
		if (ids->slots[i])
			seg_rmid((struct shm_seg *)ids->slots[i]);
}

static void seg_open(struct shm_obj *o)
{
	struct shm_seg *s = o->priv;

	s->nattch++;
	s->atime = ipc_now();
	s->lpid = ipc_tgid(t_current);
}

static void seg_close(struct shm_obj *o)
{
	struct shm_seg *s = o->priv;

	s->nattch--;
	s->dtime = ipc_now();
	s->lpid = ipc_tgid(t_current);
	if (s->nattch == 0 && (s->perm.mode & SHM_DEST_MODE))
		seg_destroy(s);
}

static const struct shm_obj_ops g_seg_ops = {
	.open = seg_open,
	.close = seg_close,
};

static int seg_create(struct task *t, struct ipc_ns *ns, int32_t key, int flg, long arg)
{
	uint64_t size = (uint64_t)arg, pages = ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE;
	struct shm_seg *s;
	int err;

	if (size < SHMMIN || size > ns->shm_ctlmax)
		return -EINVAL;
	if (pages * PAGE_SIZE < size || ns->shm_tot + pages < ns->shm_tot ||
	    ns->shm_tot + pages > ns->shm_ctlall)
		return -ENOSPC;
	if (flg & SHM_HUGETLB_FLAG)
		return -ENOMEM; /* no huge pages are reserved in the sandbox */
	if (!(flg & SHM_NORESERVE_FLAG) && !memfile_may_commit(size))
		return -ENOMEM;
	s = xcalloc(1, sizeof(*s));
	err = ipc_add(t, &ns->ids[IPC_KIND_SHM], &s->perm, key, flg);
	if (err) {
		free(s);
		return err;
	}
	s->ns = ns;
	s->obj = shm_obj_new(size);
	s->obj->ops = &g_seg_ops;
	s->obj->priv = s;
	s->segsz = size;
	s->ctime = ipc_now();
	s->cpid = ipc_tgid(t);
	ns->shm_tot += pages;
	return s->perm.id;
}

static int seg_more_checks(struct ipc_obj *o, long arg)
{
	return ((struct shm_seg *)o)->segsz < (uint64_t)arg ? -EINVAL : 0;
}

static const struct ipc_get_ops g_shm_get_ops = {
	.create = seg_create,
	.more_checks = seg_more_checks,
};

long sys_shmget(struct task *t, const struct sysargs *a)
{
	return ipc_get(t, ipc_ns_of(t), IPC_KIND_SHM, arg_int(a, 0), arg_int(a, 2),
		       &g_shm_get_ops, (long)arg_u64(a, 1));
}

static struct shm_seg *seg_lookup(struct task *t, int id)
{
	return (struct shm_seg *)ipc_lookup(&ipc_ns_of(t)->ids[IPC_KIND_SHM], id);
}

long sys_shmat(struct task *t, const struct sysargs *a)
{
	int id = arg_int(a, 0), flg = arg_int(a, 2), prot, acc;
	uint64_t addr = arg_u64(a, 1);
	struct shm_seg *s;
	char name[24];

	if (id < 0)
		return -EINVAL;
	if (addr) {
		if (addr & (SHMLBA - 1)) {
			if (!(flg & SHM_RND_FLAG))
				return -EINVAL;
			addr &= ~(SHMLBA - 1);
			if (!addr && (flg & SHM_REMAP_FLAG))
				return -EINVAL;
		}
	} else if (flg & SHM_REMAP_FLAG) {
		return -EINVAL;
	}
	prot = (flg & SHM_RDONLY_FLAG) ? PROT_READ : PROT_READ | PROT_WRITE;
	acc = (flg & SHM_RDONLY_FLAG) ? 0444 : 0666;
	if (flg & SHM_EXEC_FLAG) {
		prot |= PROT_EXEC;
		acc |= 0111;
	}
	s = seg_lookup(t, id);
	if (!s)
		return -EINVAL;
	if (ipc_perms(t, &s->perm, acc))
		return -EACCES;
	snprintf(name, sizeof(name), "/SYSV%08x", (unsigned)s->perm.key);
	return mm_shm_attach(t->mm, addr, prot, s->obj, name, flg & SHM_REMAP_FLAG);
}

long sys_shmdt(struct task *t, const struct sysargs *a)
{
	return mm_shm_detach(t->mm, arg_u64(a, 0));
}

static void seg_fill(const struct shm_seg *s, struct abi_shmid64_ds *ds)
{
	memset(ds, 0, sizeof(*ds));
	ipc_fill_perm(&s->perm, &ds->shm_perm);
	ds->shm_segsz = s->segsz;
	ds->shm_atime = s->atime;
	ds->shm_dtime = s->dtime;
	ds->shm_ctime = s->ctime;
	ds->shm_cpid = pid_vnr(t_current, s->cpid); /* as the caller's pid namespace */
	ds->shm_lpid = pid_vnr(t_current, s->lpid);
	ds->shm_nattch = s->nattch;
}

static long shm_stat(struct task *t, int id, int cmd, uaddr_t buf)
{
	struct ipc_ids *ids = &ipc_ns_of(t)->ids[IPC_KIND_SHM];
	struct abi_shmid64_ds ds;
	struct shm_seg *s;

	if (cmd == IPC_STAT_CMD)
		s = (struct shm_seg *)ipc_lookup(ids, id);
	else
		s = (struct shm_seg *)ipc_lookup_index(ids, id);
	if (!s)
		return -EINVAL;
	if (cmd != SHM_STAT_ANY_CMD && ipc_perms(t, &s->perm, 0444))
		return -EACCES;
	seg_fill(s, &ds);
	if (copy_to_user(t, buf, &ds, sizeof(ds)))
		return -EFAULT;
	return cmd == IPC_STAT_CMD ? 0 : s->perm.id;
}

static int seg_rss(void *arg, uint64_t key, uint64_t val)
{
	(*(uint64_t *)arg)++;
	return 0;
}

static long shm_info(struct task *t, int cmd, uaddr_t buf)
{
	struct ipc_ns *ns = ipc_ns_of(t);
	struct ipc_ids *ids = &ns->ids[IPC_KIND_SHM];
	struct abi_shminfo64 si = {
		.shmmax = ns->shm_ctlmax, .shmmin = SHMMIN, .shmmni = (uint64_t)ids->limit,
		.shmseg = (uint64_t)ids->limit, .shmall = ns->shm_ctlall,
	};
	struct abi_shm_info in = {.used_ids = ids->in_use, .shm_tot = ns->shm_tot};

	if (cmd == IPC_INFO_CMD) {
		if (copy_to_user(t, buf, &si, sizeof(si)))
			return -EFAULT;
		return ipc_max_idx(ids);
	}
	for (int i = 0; i < ids->nslots; i++) {
		struct shm_seg *s = (struct shm_seg *)ids->slots[i];
		if (s)
			pmap_for_each(&s->obj->pages, 0, ~0ULL, seg_rss, &in.shm_rss);
	}
	if (copy_to_user(t, buf, &in, sizeof(in)))
		return -EFAULT;
	return ipc_max_idx(ids);
}

static long shm_set_or_rmid(struct task *t, int id, int cmd, uaddr_t buf)
{
	struct abi_shmid64_ds ds;
	struct shm_seg *s;
	int err;

	if (cmd == IPC_SET_CMD && copy_from_user(t, &ds, buf, sizeof(ds)))
		return -EFAULT;
	s = seg_lookup(t, id);
	if (!s)
		return -EINVAL;
	err = ipc_check_owner(t, &s->perm);
	if (err)
		return err;
	if (cmd == IPC_SET_CMD) {
		ipc_set_perm(&s->perm, &ds.shm_perm);
		s->ctime = ipc_now();
		return 0;
	}
	seg_rmid(s);
	return 0;
}

static long shm_lock(struct task *t, int id, int cmd)
{
	struct shm_seg *s = seg_lookup(t, id);

	if (!s)
		return -EINVAL;
	if (!caps_capable(t, CAP_IPC_LOCK)) {
		uint64_t lim = t->tg->rlim[RLIMIT_MEMLOCK].rlim_cur;
		if (t->creds.euid != s->perm.uid && t->creds.euid != s->perm.cuid)
			return -EPERM;
		if (cmd == SHM_LOCK_CMD && lim == 0)
			return -EPERM;
		if (cmd == SHM_LOCK_CMD && lim != RLIM_INFINITY &&
		    ALIGN_UP(s->segsz, PAGE_SIZE) > lim)
			return -ENOMEM;
	}
	/* Segment pages are always resident: locking only records it. */
	if (cmd == SHM_LOCK_CMD)
		s->perm.mode |= SHM_LOCKED_MODE;
	else
		s->perm.mode &= ~SHM_LOCKED_MODE;
	return 0;
}

long sys_shmctl(struct task *t, const struct sysargs *a)
{
	int id = arg_int(a, 0), cmd = arg_int(a, 1);
	uaddr_t buf = arg_uaddr(a, 2);

	if (cmd < 0 || id < 0)
		return -EINVAL;
	switch (cmd) {
	case IPC_INFO_CMD:
	case SHM_INFO_CMD:
		return shm_info(t, cmd, buf);
	case IPC_STAT_CMD:
	case SHM_STAT_CMD:
	case SHM_STAT_ANY_CMD:
		return shm_stat(t, id, cmd, buf);
	case IPC_SET_CMD:
	case IPC_RMID_CMD:
		return shm_set_or_rmid(t, id, cmd, buf);
	case SHM_LOCK_CMD:
	case SHM_UNLOCK_CMD:
		return shm_lock(t, id, cmd);
	default:
		return -EINVAL;
	}
}

size_t ipc_format_proc_shm(struct task *t, char *buf, size_t size)
{
	struct ipc_ids *ids = &ipc_ns_of(t)->ids[IPC_KIND_SHM];
	size_t len = 0;
	int n;

	n = snprintf(buf, size,
		     "       key      shmid perms                  size  cpid  lpid nattch   "
		     "uid   gid  cuid  cgid      atime      dtime      ctime                   "
		     "rss                  swap\n");
	len += n > 0 ? (size_t)n : 0;
	for (int i = 0; i < ids->nslots; i++) {
		struct shm_seg *s = (struct shm_seg *)ids->slots[i];
		uint64_t rss = 0;

		if (!s)
			continue;
		pmap_for_each(&s->obj->pages, 0, ~0ULL, seg_rss, &rss);
		n = snprintf(len < size ? buf + len : NULL, len < size ? size - len : 0,
			     "%10d %10d  %4o %21llu %5u %5u  %5llu %5u %5u %5u %5u %10lld %10lld "
			     "%10lld %21llu %21llu\n",
			     s->perm.key, s->perm.id, s->perm.mode,
			     (unsigned long long)s->segsz, s->cpid, s->lpid,
			     (unsigned long long)s->nattch, s->perm.uid, s->perm.gid,
			     s->perm.cuid, s->perm.cgid, (long long)s->atime, (long long)s->dtime,
			     (long long)s->ctime, (unsigned long long)(rss * PAGE_SIZE), 0ULL);
		len += n > 0 ? (size_t)n : 0;
	}
	return len;
}
