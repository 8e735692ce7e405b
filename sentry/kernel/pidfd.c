/* pidfd.c: process file descriptors: pidfd_open, pidfd_send_signal, pidfd_getfd,
 * CLONE_PIDFD and waitid(P_PIDFD). A pidfd is an anonymous file holding a reference on a thread group;
 * it polls readable once the process has exited. */
#include "sentry/kernel/pidfd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define PIDFD_NONBLOCK O_NONBLOCK
/* pidfd_send_signal scopes (Linux 6.9+): at most one. */
#define PIDFD_SIGNAL_THREAD 1U
#define PIDFD_SIGNAL_THREAD_GROUP 2U
#define PIDFD_SIGNAL_PROCESS_GROUP 4U

static unsigned pidfd_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct thread_group *tg = f->priv;

	*wq = &tg->exit_wq;
	return tg->zombie || tg->nr_live == 0 ? POLLIN | POLLRDNORM : 0;
}

static int pidfd_stat(struct file *f, struct kstat *st)
{
	memset(st, 0, sizeof(*st));
	st->mode = S_IFREG | 0600;
	st->nlink = 1;
	st->blksize = 4096;
	return 0;
}

static void pidfd_release(struct file *f)
{
	tg_put(f->priv);
}

static const struct file_ops g_pidfd_ops = {
	.poll = pidfd_poll,
	.stat = pidfd_stat,
	.release = pidfd_release,
};

int pidfd_create(struct task *t, struct thread_group *tg, int flags)
{
	struct file *f = file_alloc(O_RDWR | (flags & O_NONBLOCK));
	int fd;

	f->ops = &g_pidfd_ops;
	f->priv = tg;
	tg->refs++;
	fd = fdtable_alloc(t, t->files, f, 0, true);
	file_put(f);
	return fd;
}

/* The thread group behind a pidfd, or NULL (with -EBADF) if fd is not one. */
static struct thread_group *pidfd_get(struct task *t, int fd, struct file **fp)
{
	struct file *f = fdtable_get(t->files, fd);

	if (!f)
		return NULL;
	if (f->ops != &g_pidfd_ops) {
		file_put(f);
		return NULL;
	}
	*fp = f;
	return f->priv;
}

int pidfd_to_pid(struct task *t, int fd)
{
	struct file *f;
	struct thread_group *tg = pidfd_get(t, fd, &f);
	int pid;

	if (!tg)
		return -EBADF;
	pid = tg_vnr(t, tg); /* 0: outside the caller's pid namespace */
	file_put(f);
	return pid;
}

int pidfd_mm_task(struct task *t, int fd, struct task **out)
{
	struct file *f;
	struct thread_group *tg = pidfd_get(t, fd, &f);
	struct list_head *pos;

	if (!tg)
		return -EBADF;
	*out = NULL;
	list_for_each(pos, &tg->tasks) {
		struct task *c = list_entry(pos, struct task, tg_link);

		if (!tg->zombie && c->state != TASK_DEAD && c->mm) {
			*out = c;
			break;
		}
	}
	file_put(f);
	return *out ? 0 : -ESRCH;
}

long sys_pidfd_open(struct task *t, const struct sysargs *a)
{
	int pid = arg_int(a, 0);
	unsigned flags = arg_uint(a, 1);
	struct thread_group *tg;

	if (flags & ~(unsigned)PIDFD_NONBLOCK)
		return -EINVAL;
	if (pid <= 0)
		return -EINVAL;
	pid = pid_from_vnr(t, pid);
	tg = tg_find_with_zombies(pid); /* a zombie keeps its pid until it is reaped */
	if (!tg) {
		struct task *th = task_find(pid);
		return th ? -ENOENT : -ESRCH; /* a thread that is not a leader */
	}
	return pidfd_create(t, tg, (int)flags);
}

/* Send to the scope the flags name: the thread (our pidfds name a leader), the thread
 * group (the default), or its whole process group. */
static long pidfd_deliver(struct task *t, struct thread_group *tg, unsigned scope, int sig,
			  const siginfo_t *info)
{
	if (scope == PIDFD_SIGNAL_THREAD) {
		struct task *leader = task_find(tg->tgid);
		return leader ? task_send_signal(leader, sig, info) : -ESRCH;
	}
	if (scope == PIDFD_SIGNAL_PROCESS_GROUP) {
		int pgid = pid_vnr(t, tg->pgid);
		struct sysargs ka = {.arg = {(uint64_t)(int64_t)-pgid, (uint64_t)sig}};
		return pgid > 0 ? sys_kill(t, &ka) : -ESRCH;
	}
	return tg_send_signal(tg, sig, info);
}

long sys_pidfd_send_signal(struct task *t, const struct sysargs *a)
{
	int sig = arg_int(a, 1);
	uaddr_t uinfo = arg_uaddr(a, 2);
	struct thread_group *tg;
	struct file *f;
	siginfo_t info;
	long r;

	unsigned scope = arg_uint(a, 3);

	if (scope & ~(PIDFD_SIGNAL_THREAD | PIDFD_SIGNAL_THREAD_GROUP | PIDFD_SIGNAL_PROCESS_GROUP))
		return -EINVAL;
	if (scope & (scope - 1))
		return -EINVAL;
	if (sig < 0 || sig > SENTRY_NSIG)
		return -EINVAL;
	tg = pidfd_get(t, arg_int(a, 0), &f);
	if (!tg)
		return -EBADF;
	if (tg->zombie || tg->nr_live == 0) {
		r = -ESRCH;
		goto out;
	}
	if (!uaddr_is_null(uinfo)) {
		r = -EFAULT;
		if (copy_from_user(t, &info, uinfo, sizeof(info)))
			goto out;
		r = -EINVAL;
		if (info.si_signo != sig)
			goto out;
		r = -EPERM;
		if ((info.si_code >= 0 || info.si_code == SI_TKILL) && tg != t->tg)
			goto out;
	} else {
		siginfo_kernel(&info, sig, SI_USER);
		info.si_pid = t->tg->tgid;
		info.si_uid = t->creds.uid;
	}
	r = pidfd_deliver(t, tg, scope, sig, &info);
out:
	file_put(f);
	return r;
}

/* pidfd_getfd: a close-on-exec duplicate of another process's descriptor, for a caller
 * that may ptrace-attach to it. */
long sys_pidfd_getfd(struct task *t, const struct sysargs *a)
{
	struct thread_group *tg;
	struct task *target;
	struct file *pf, *f;
	long r;

	if (arg_uint(a, 2))
		return -EINVAL;
	tg = pidfd_get(t, arg_int(a, 0), &pf);
	if (!tg)
		return -EBADF;
	target = task_find(tg->tgid);
	r = -ESRCH;
	if (!target || tg->zombie || tg->nr_live == 0 || !target->files)
		goto out;
	r = -EPERM;
	if (!caps_ptrace_may_access(t, target))
		goto out;
	r = -EBADF;
	f = fdtable_get(target->files, arg_int(a, 1));
	if (!f)
		goto out;
	r = fdtable_alloc(t, t->files, f, 0, true);
	file_put(f);
out:
	file_put(pf);
	return r;
}
