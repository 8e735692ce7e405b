/* fown.c: the owner of an open file description (F_SETOWN, F_SETOWN_EX) and the signal it
 * is sent (F_SETSIG) when a directory it watches changes (F_NOTIFY), its lease is being
 * broken, or (O_ASYNC, set by F_SETFL or FIOASYNC on a pipe or socket) it becomes
 * readable, or writable for a write-only file. With no F_SETSIG the owner gets a plain
 * SIGIO; with one, that signal carries si_fd, si_code and si_band as Linux's send_sigio.
 * An O_ASYNC file is signalled at every wake-up of its queue while it is ready, which can
 * be more often than Linux (never less). */
#include "sentry/vfs/fown.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>

#include "sentry/kernel/pidns.h"
#include "sentry/kernel/proc_api.h"
#include "sentry/fs/pipe.h"
#include "sentry/kernel/sched.h"
#include "sentry/kernel/task.h"
#include "sentry/socket/socket.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs_internal.h"

static void count_tg(void *arg, int tgid)
{
	(*(int *)arg)++;
}

static bool owner_exists(int type, int id)
{
	int n = 0;

	if (id == 0)
		return true;
	if (type == F_OWNER_TID)
		return task_find(id) != NULL;
	if (type == F_OWNER_PID)
		return tg_find(id) != NULL;
	proc_for_each_in_pgrp(id, count_tg, &n);
	return n > 0;
}

static int fown_set(struct file *f, int type, int id)
{
	id = pid_from_vnr(t_current, id); /* kept sandbox-wide */
	if (id < 0 || !owner_exists(type, id))
		return -ESRCH;
	f->owner_type = type;
	f->owner_id = id;
	return 0;
}

void fown_set_current(struct task *t, struct file *f)
{
	f->owner_type = F_OWNER_PID;
	f->owner_id = t->tg->tgid;
}

static long fown_setown(struct file *f, int who)
{
	if (who == INT32_MIN)
		return -EINVAL;
	return who < 0 ? fown_set(f, F_OWNER_PGRP, -who) : fown_set(f, F_OWNER_PID, who);
}

static long fown_setown_ex(struct task *t, struct file *f, uaddr_t u)
{
	struct f_owner_ex ex;

	if (copy_from_user(t, &ex, u, sizeof(ex)))
		return -EFAULT;
	if (ex.type != F_OWNER_TID && ex.type != F_OWNER_PID && ex.type != F_OWNER_PGRP)
		return -EINVAL;
	if (ex.pid < 0)
		return -EINVAL;
	return fown_set(f, ex.type, ex.pid);
}

static long fown_getown_ex(struct task *t, struct file *f, uaddr_t u)
{
	struct f_owner_ex ex = {.type = f->owner_id ? f->owner_type : F_OWNER_TID,
				.pid = pid_vnr(t, f->owner_id)};

	return copy_to_user(t, u, &ex, sizeof(ex)) ? -EFAULT : 0;
}

long fown_fcntl(struct task *t, struct file *f, int cmd, uint64_t arg)
{
	switch (cmd) {
	case F_SETOWN:
		return fown_setown(f, (int)arg);
	case F_GETOWN:
		return f->owner_type == F_OWNER_PGRP ? -pid_vnr(t, f->owner_id)
						     : pid_vnr(t, f->owner_id);
	case F_SETOWN_EX:
		return fown_setown_ex(t, f, uaddr(arg));
	case F_GETOWN_EX:
		return fown_getown_ex(t, f, uaddr(arg));
	case F_SETSIG:
		if (arg > SENTRY_NSIG)
			return -EINVAL;
		f->sig = (int)arg;
		return 0;
	case F_GETSIG:
		return f->sig;
	default:
		return -EINVAL;
	}
}

struct sigio {
	int sig;
	const siginfo_t *info;
};

static void send_tg(void *arg, int tgid)
{
	struct sigio *s = arg;
	struct thread_group *tg = tg_find(tgid);

	if (tg)
		tg_send_signal(tg, s->sig, s->info);
}

void fown_send(struct file *f, int fd, int code, long band)
{
	siginfo_t info;
	struct sigio s = {.sig = f->sig ? f->sig : SIGIO, .info = NULL};
	struct task *target;

	if (f->owner_id == 0)
		return;
	if (f->sig) {
		memset(&info, 0, sizeof(info));
		info.si_signo = f->sig;
		info.si_code = code;
		info.si_fd = fd;
		info.si_band = band;
		s.info = &info;
	}
	switch (f->owner_type) {
	case F_OWNER_TID:
		target = task_find(f->owner_id);
		if (target)
			task_send_signal(target, s.sig, s.info);
		break;
	case F_OWNER_PID:
		send_tg(&s, f->owner_id);
		break;
	default:
		proc_for_each_in_pgrp(f->owner_id, send_tg, &s);
	}
}

struct fasync {
	struct waitq_hook hook; /* on the file's poll queue */
	struct file *f;		/* not referenced: fown_async_release runs before it goes */
	int fd;			/* si_fd: the fd O_ASYNC was set through */
	bool busy;		/* a signal it sends must not re-enter it */
};

static void async_wake(struct waitq_hook *h)
{
	struct fasync *fa = (struct fasync *)h;
	struct waitq *wq;
	unsigned ev;

	if (fa->busy)
		return;
	fa->busy = true;
	ev = vfs_poll(NULL, fa->f, &wq);
	if (ev & (POLLIN | POLLHUP | POLLRDHUP | POLLERR))
		fown_send(fa->f, fa->fd, POLL_IN, POLLIN | POLLRDNORM);
	else if ((ev & POLLOUT) && !(fa->f->fmode & FMODE_READ))
		fown_send(fa->f, fa->fd, POLL_OUT, POLLOUT | POLLWRNORM | POLLWRBAND);
	fa->busy = false;
}

void fown_async_release(struct file *f)
{
	if (!f->fasync)
		return;
	waitq_hook_del(&f->fasync->hook);
	free(f->fasync);
	f->fasync = NULL;
}

void fown_async_update(struct file *f, int fd)
{
	struct waitq *wq = NULL;

	if (!(f->flags & O_ASYNC)) {
		fown_async_release(f);
		return;
	}
	if (f->fasync) {
		f->fasync->fd = fd;
		return;
	}
	if (!pipe_of(f) && !socket_from_file(f))
		return; /* Linux signals pipes, sockets and terminals; others stay silent */
	vfs_poll(NULL, f, &wq);
	if (!wq)
		return;
	f->fasync = xcalloc(1, sizeof(*f->fasync));
	f->fasync->hook.fn = async_wake;
	f->fasync->f = f;
	f->fasync->fd = fd;
	waitq_hook_add(wq, &f->fasync->hook);
}
