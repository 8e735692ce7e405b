/* sys_identity.c: credentials, process groups and sessions. */
#include <errno.h>
#include <linux/capability.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

long sys_getuid(struct task *t, const struct sysargs *a)
{
	return t->creds.uid;
}

long sys_geteuid(struct task *t, const struct sysargs *a)
{
	return t->creds.euid;
}

long sys_getgid(struct task *t, const struct sysargs *a)
{
	return t->creds.gid;
}

long sys_getegid(struct task *t, const struct sysargs *a)
{
	return t->creds.egid;
}

static long put_three(struct task *t, const struct sysargs *a, unsigned r, unsigned e, unsigned s)
{
	if (copy_to_user(t, arg_uaddr(a, 0), &r, 4) || copy_to_user(t, arg_uaddr(a, 1), &e, 4) ||
	    copy_to_user(t, arg_uaddr(a, 2), &s, 4))
		return -EFAULT;
	return 0;
}

long sys_getresuid(struct task *t, const struct sysargs *a)
{
	return put_three(t, a, t->creds.uid, t->creds.euid, t->creds.suid);
}

long sys_getresgid(struct task *t, const struct sysargs *a)
{
	return put_three(t, a, t->creds.gid, t->creds.egid, t->creds.sgid);
}

long sys_getgroups(struct task *t, const struct sysargs *a)
{
	int size = arg_int(a, 0);

	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return t->creds.ngroups;
	if (size < t->creds.ngroups)
		return -EINVAL;
	if (copy_to_user(t, arg_uaddr(a, 1), t->creds.groups,
			 sizeof(gid_t) * (size_t)t->creds.ngroups))
		return -EFAULT;
	return t->creds.ngroups;
}

long sys_getpgid(struct task *t, const struct sysargs *a)
{
	int pid = arg_int(a, 0);
	struct thread_group *tg = pid ? tg_find_with_zombies(pid_from_vnr(t, pid)) : t->tg;

	if (pid < 0 || !tg)
		return -ESRCH;
	return pid_vnr(t, tg->pgid); /* 0: a group outside the caller's pid namespace */
}

long sys_getpgrp(struct task *t, const struct sysargs *a)
{
	return pid_vnr(t, t->tg->pgid);
}

long sys_getsid(struct task *t, const struct sysargs *a)
{
	int pid = arg_int(a, 0);
	struct thread_group *tg = pid ? tg_find_with_zombies(pid_from_vnr(t, pid)) : t->tg;

	if (pid < 0 || !tg)
		return -ESRCH;
	return pid_vnr(t, tg->sid);
}

/* Is there a process group pgid in session sid? */
static bool pgrp_in_session(int pgid, int sid)
{
	struct thread_group *tg = tg_find(pgid);

	return tg && tg->pgid == pgid && tg->sid == sid;
}

long sys_setpgid(struct task *t, const struct sysargs *a)
{
	int pid = arg_int(a, 0), pgid = arg_int(a, 1);
	struct thread_group *tg;

	if (pgid < 0)
		return -EINVAL;
	tg = pid ? tg_find(pid_from_vnr(t, pid)) : t->tg;
	if (!tg || (tg != t->tg && tg->parent != t->tg))
		return -ESRCH;
	if (pgid) {
		pgid = pid_from_vnr(t, pgid);
		if (pgid < 0)
			return -EPERM; /* no such group in the caller's namespace */
	}
	if (tg->sid != t->tg->sid)
		return -EPERM;
	if (tg->tgid == tg->sid)
		return -EPERM; /* a session leader cannot move */
	if (pgid == 0)
		pgid = tg->tgid;
	if (pgid != tg->tgid && !pgrp_in_session(pgid, t->tg->sid))
		return -EPERM;
	tg_set_pgid(tg, pgid);
	return 0;
}

long sys_setsid(struct task *t, const struct sysargs *a)
{
	struct thread_group *tg = t->tg;

	/* EPERM when a process group with our pid exists (we lead it, or did). */
	if (tg->pgid == tg->tgid)
		return -EPERM;
	tg_set_sid(tg, tg->tgid);
	tg_set_pgid(tg, tg->tgid);
	return tg_vnr(t, tg);
}

/* Privilege for identity changes: CAP_SETUID for the uid family (r points into the
 * uids), CAP_SETGID for the gid family and setgroups. */
static bool can_setid(const struct task *t, const unsigned *r)
{
	return caps_capable(t, r == &t->creds.uid ? CAP_SETUID : CAP_SETGID);
}

#define ID_KEEP ((unsigned)-1)

static bool id_is_one_of(unsigned id, unsigned a, unsigned b, unsigned c)
{
	return id == a || id == b || id == c;
}

/* setresuid/setresgid: each new id (or -1 = keep) must be one of the old three unless
 * privileged. The filesystem id follows the effective one. */
static long set_res(struct task *t, unsigned *r, unsigned *e, unsigned *s, unsigned *fs,
		    unsigned nr, unsigned ne, unsigned ns)
{
	if (!can_setid(t, r)) {
		if ((nr != ID_KEEP && !id_is_one_of(nr, *r, *e, *s)) ||
		    (ne != ID_KEEP && !id_is_one_of(ne, *r, *e, *s)) ||
		    (ns != ID_KEEP && !id_is_one_of(ns, *r, *e, *s)))
			return -EPERM;
	}
	if (nr != ID_KEEP)
		*r = nr;
	if (ne != ID_KEEP)
		*e = ne;
	if (ns != ID_KEEP)
		*s = ns;
	*fs = *e;
	return 0;
}

/* setreuid/setregid: Linux's rules for the saved id. */
static long set_re(struct task *t, unsigned *r, unsigned *e, unsigned *s, unsigned *fs,
		   unsigned nr, unsigned ne)
{
	unsigned old_r = *r;

	if (!can_setid(t, r)) {
		if (nr != ID_KEEP && nr != *r && nr != *e)
			return -EPERM;
		if (ne != ID_KEEP && !id_is_one_of(ne, *r, *e, *s))
			return -EPERM;
	}
	if (nr != ID_KEEP)
		*r = nr;
	if (ne != ID_KEEP)
		*e = ne;
	if (nr != ID_KEEP || (ne != ID_KEEP && ne != old_r))
		*s = *e;
	*fs = *e;
	return 0;
}

/* setuid/setgid: privileged sets all three; otherwise only the effective id, to the
 * real or saved one. */
static long set_one(struct task *t, unsigned *r, unsigned *e, unsigned *s, unsigned *fs,
		    unsigned id)
{
	if (id == ID_KEEP)
		return -EINVAL;
	if (can_setid(t, r)) {
		*r = *e = *s = *fs = id;
		return 0;
	}
	if (id != *r && id != *s)
		return -EPERM;
	*e = *fs = id;
	return 0;
}

/* setfsuid/setfsgid: return the old value; change only when allowed. */
static long set_fs(struct task *t, unsigned *r, unsigned *e, unsigned *s, unsigned *fs,
		   unsigned id)
{
	unsigned old = *fs;

	if (can_setid(t, r) || id_is_one_of(id, *r, *e, *s) || id == *fs)
		*fs = id;
	return old;
}

/* After a credential change: as Linux's commit_creds, a process whose effective or
 * filesystem ids changed is no longer dumpable (suid_dumpable, 0 by default). */
static long commit(struct task *t, const struct creds *old, long ret)
{
	const struct creds *c = &t->creds;

	if (c->euid != old->euid || c->egid != old->egid || c->fsuid != old->fsuid ||
	    c->fsgid != old->fsgid)
		t->tg->dumpable = 0;
	return ret;
}

#define UIDS(t) &(t)->creds.uid, &(t)->creds.euid, &(t)->creds.suid, &(t)->creds.fsuid
#define GIDS(t) &(t)->creds.gid, &(t)->creds.egid, &(t)->creds.sgid, &(t)->creds.fsgid

long sys_setuid(struct task *t, const struct sysargs *a)
{
	struct creds old = t->creds;
	long ret = set_one(t, UIDS(t), arg_uint(a, 0));

	caps_fix_setuid(&t->creds, &old);
	return commit(t, &old, ret);
}

long sys_setgid(struct task *t, const struct sysargs *a)
{
	struct creds old = t->creds;

	return commit(t, &old, set_one(t, GIDS(t), arg_uint(a, 0)));
}

long sys_setreuid(struct task *t, const struct sysargs *a)
{
	struct creds old = t->creds;
	long ret = set_re(t, UIDS(t), arg_uint(a, 0), arg_uint(a, 1));

	caps_fix_setuid(&t->creds, &old);
	return commit(t, &old, ret);
}

long sys_setregid(struct task *t, const struct sysargs *a)
{
	struct creds old = t->creds;

	return commit(t, &old, set_re(t, GIDS(t), arg_uint(a, 0), arg_uint(a, 1)));
}

long sys_setresuid(struct task *t, const struct sysargs *a)
{
	struct creds old = t->creds;
	long ret = set_res(t, UIDS(t), arg_uint(a, 0), arg_uint(a, 1), arg_uint(a, 2));

	caps_fix_setuid(&t->creds, &old);
	return commit(t, &old, ret);
}

long sys_setresgid(struct task *t, const struct sysargs *a)
{
	struct creds old = t->creds;

	return commit(t, &old, set_res(t, GIDS(t), arg_uint(a, 0), arg_uint(a, 1), arg_uint(a, 2)));
}

long sys_setfsuid(struct task *t, const struct sysargs *a)
{
	struct creds old = t->creds;
	long ret = set_fs(t, UIDS(t), arg_uint(a, 0));

	caps_fix_setuid(&t->creds, &old);
	return commit(t, &old, ret);
}

long sys_setfsgid(struct task *t, const struct sysargs *a)
{
	struct creds old = t->creds;

	return commit(t, &old, set_fs(t, GIDS(t), arg_uint(a, 0)));
}

long sys_setgroups(struct task *t, const struct sysargs *a)
{
	int size = arg_int(a, 0);

	if (size < 0 || size > 65536)
		return -EINVAL;
	if (!caps_capable(t, CAP_SETGID))
		return -EPERM;
	if (size > (int)ARRAY_SIZE(t->creds.groups))
		return -ENOMEM; /* more supplementary groups than the Sentry keeps */
	if (size && copy_from_user(t, t->creds.groups, arg_uaddr(a, 1), sizeof(gid_t) * (size_t)size))
		return -EFAULT;
	t->creds.ngroups = size;
	return 0;
}
