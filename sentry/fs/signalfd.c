/* signalfd.c: signalfd(2): reading dequeues the reader's pending signals that are in the
 * mask (they stay blocked for normal delivery); poll reports them. Every signal queued
 * anywhere wakes one global queue, which is how pollers hear of new signals. */
#include "sentry/fs/anon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>

#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/sched.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs_internal.h"

#define UNBLOCKABLE (sig_bit(SIGKILL) | sig_bit(SIGSTOP))

struct signalfd {
	sigmask_t mask;
	uint64_t ino;
};

static struct waitq g_signalfd_wq = {LIST_HEAD_INIT(g_signalfd_wq.waiters)};

static const struct file_ops g_signalfd_ops;

void signalfd_notify(void)
{
	waitq_wake_all(&g_signalfd_wq);
}

/* Convert a queued siginfo into the record read(2) returns. */
static void to_ssi(const siginfo_t *si, struct signalfd_siginfo *ssi)
{
	memset(ssi, 0, sizeof(*ssi));
	ssi->ssi_signo = (uint32_t)si->si_signo;
	ssi->ssi_errno = si->si_errno;
	ssi->ssi_code = si->si_code;
	if (si->si_code == SI_TIMER) {
		ssi->ssi_tid = (uint32_t)si->si_timerid;
		ssi->ssi_overrun = (uint32_t)si->si_overrun;
		ssi->ssi_int = si->si_value.sival_int;
		ssi->ssi_ptr = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
	} else if (si->si_signo == SIGCHLD && si->si_code > 0) {
		ssi->ssi_pid = (uint32_t)si->si_pid;
		ssi->ssi_uid = si->si_uid;
		ssi->ssi_status = si->si_status;
		ssi->ssi_utime = (uint64_t)si->si_utime;
		ssi->ssi_stime = (uint64_t)si->si_stime;
	} else if (si->si_code > 0 && (si->si_signo == SIGSEGV || si->si_signo == SIGBUS ||
				       si->si_signo == SIGILL || si->si_signo == SIGFPE ||
				       si->si_signo == SIGTRAP)) {
		ssi->ssi_addr = (uint64_t)(uintptr_t)si->si_addr;
	} else {
		ssi->ssi_pid = (uint32_t)si->si_pid;
		ssi->ssi_uid = si->si_uid;
		ssi->ssi_int = si->si_value.sival_int;
		ssi->ssi_ptr = (uint64_t)(uintptr_t)si->si_value.sival_ptr;
	}
}

/* Wait until a signal in set is pending for t. 0, or -ERESTARTSYS for another signal. */
static int sfd_wait(struct task *t, sigmask_t set)
{
	sigmask_t saved = t->sigmask;
	struct waitq q;
	int ret = 0;

	/* Unblocked for the wait only, so that a new one kicks us (as rt_sigtimedwait). */
	t->sigmask &= ~set;
	t->sigwait = set;
	waitq_init(&q);
	while (!((t->pending.set | t->tg->shared_pending.set) & set) && ret == 0)
		ret = task_block(t, &q, NULL);
	t->sigmask = saved;
	t->sigwait = 0;
	if ((t->pending.set | t->tg->shared_pending.set) & set)
		return 0;
	return -ERESTARTSYS;
}

static ssize_t sfd_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	struct signalfd *s = f->priv;
	struct signalfd_siginfo *out = buf;
	size_t n = 0, max = size / sizeof(*out);
	siginfo_t info;

	if (max == 0)
		return -EINVAL;
	if (!t)
		return -EAGAIN;
	while (n < max) {
		if (!signal_dequeue(t, s->mask, &info)) {
			int ret;

			if (n > 0 || (f->flags & O_NONBLOCK))
				break;
			ret = sfd_wait(t, s->mask);
			if (ret)
				return ret;
			continue;
		}
		to_ssi(&info, &out[n++]);
	}
	return n ? (ssize_t)(n * sizeof(*out)) : -EAGAIN;
}

static unsigned sfd_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct signalfd *s = f->priv;

	*wq = &g_signalfd_wq;
	if (t && ((t->pending.set | t->tg->shared_pending.set) & s->mask))
		return POLLIN | POLLRDNORM;
	return 0;
}

static int sfd_stat(struct file *f, struct kstat *st)
{
	anon_fill_stat(st, ((struct signalfd *)f->priv)->ino);
	return 0;
}

static void sfd_release(struct file *f)
{
	free(f->priv);
}

static const struct file_ops g_signalfd_ops = {
	.read = sfd_read,
	.fault_record = sizeof(struct signalfd_siginfo), /* the siginfos before a fault */
	.poll = sfd_poll,
	.stat = sfd_stat,
	.release = sfd_release,
};

int signalfd_new(sigmask_t mask, int flags, struct file **out)
{
	struct signalfd *s;
	struct file *f;

	if (flags & ~(SFD_NONBLOCK | SFD_CLOEXEC))
		return -EINVAL;
	s = xcalloc(1, sizeof(*s));
	s->mask = mask & ~UNBLOCKABLE;
	s->ino = anon_next_ino();
	f = file_alloc(O_RDWR | (flags & SFD_NONBLOCK));
	f->ops = &g_signalfd_ops;
	f->priv = s;
	f->fmode |= FMODE_WHOLE_RECORDS;
	*out = f;
	return 0;
}

int signalfd_set_mask(struct file *f, sigmask_t mask)
{
	if (f->ops != &g_signalfd_ops)
		return -EINVAL;
	((struct signalfd *)f->priv)->mask = mask & ~UNBLOCKABLE;
	waitq_wake_all(&g_signalfd_wq);
	return 0;
}
