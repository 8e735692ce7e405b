/* sys_identity.c: credentials, process groups and sessions. */
#include <errno.h>

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
	struct thread_group *tg = pid ? tg_find(pid) : t->tg;

	if (pid < 0 || !tg)
		return -ESRCH;
	return tg->pgid;
}

long sys_getpgrp(struct task *t, const struct sysargs *a)
{
	return t->tg->pgid;
}

long sys_getsid(struct task *t, const struct sysargs *a)
{
	int pid = arg_int(a, 0);
	struct thread_group *tg = pid ? tg_find(pid) : t->tg;

	if (pid < 0 || !tg)
		return -ESRCH;
	return tg->sid;
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
	tg = pid ? tg_find(pid) : t->tg;
	if (!tg || (tg != t->tg && tg->parent != t->tg))
		return -ESRCH;
	if (tg->sid != t->tg->sid)
		return -EPERM;
	if (tg->tgid == tg->sid)
		return -EPERM; /* a session leader cannot move */
	if (pgid == 0)
		pgid = tg->tgid;
	if (pgid != tg->tgid && !pgrp_in_session(pgid, t->tg->sid))
		return -EPERM;
	tg->pgid = pgid;
	return 0;
}

long sys_setsid(struct task *t, const struct sysargs *a)
{
	struct thread_group *tg = t->tg;

	/* EPERM when a process group with our pid exists (we lead it, or did). */
	if (tg->pgid == tg->tgid)
		return -EPERM;
	tg->sid = tg->pgid = tg->tgid;
	return tg->sid;
}
