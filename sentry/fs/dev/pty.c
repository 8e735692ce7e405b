/* pty.c: pseudo-terminal pairs: the table of ptys, opening /dev/ptmx, /dev/pts/N and
 * /dev/tty, and the master and slave file operations (blocking reads, EIO after hangup,
 * poll). The line discipline is in tty_ldisc.c, ioctls in tty_ioctl.c. */
#include "sentry/fs/dev/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <time.h>

#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

static struct tty *g_ptys[PTY_MAX];

struct tty *pty_get(int index)
{
	if (index < 0 || index >= PTY_MAX)
		return NULL;
	return g_ptys[index];
}

int tty_session_info(int sid, dev_t *dev, int *fg_pgrp)
{
	for (int i = 0; i < PTY_MAX && sid > 0; i++) {
		if (g_ptys[i] && g_ptys[i]->sid == sid) {
			*dev = makedev(PTY_SLAVE_MAJOR, (unsigned)i);
			*fg_pgrp = g_ptys[i]->fg_pgrp;
			return 0;
		}
	}
	return -ENOTTY;
}

static void pty_maybe_free(struct tty *tty)
{
	if (tty->master_opens > 0 || tty->slave_opens > 0)
		return;
	tty_release_ctty(tty);
	g_ptys[tty->index] = NULL;
	free(tty);
}

static void pty_wake(struct tty *tty)
{
	waitq_wake_all(&tty->in_wq);
	waitq_wake_all(&tty->out_wq);
}

/* Block t on q; returns 0 to retry or -ERESTARTSYS. */
static int pty_wait(struct task *t, struct file *f, struct waitq *q)
{
	if ((f->flags & O_NONBLOCK) || !t)
		return -EAGAIN;
	return task_block(t, q, NULL) == -EINTR ? -ERESTARTSYS : 0;
}

/* ---- master ---- */

static ssize_t master_read(struct task *t, struct file *f, void *buf, size_t size,
			   uint64_t *pos)
{
	struct tty *tty = f->priv;
	int ret;

	for (;;) {
		if (tty->out.len) {
			size_t n = tty_ring_get(&tty->out, buf, size);

			pty_wake(tty);
			return (ssize_t)n;
		}
		if (tty->slave_was_opened && tty->slave_opens == 0)
			return -EIO;
		ret = pty_wait(t, f, &tty->out_wq);
		if (ret < 0)
			return ret;
	}
}

static ssize_t master_write(struct task *t, struct file *f, const void *buf, size_t size,
			    uint64_t *pos)
{
	struct tty *tty = f->priv;

	/* Input beyond the buffer is dropped, as a full N_TTY buffer drops it. */
	ldisc_receive(tty, buf, size);
	return (ssize_t)size;
}

static unsigned master_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct tty *tty = f->priv;
	unsigned ev = POLLOUT | POLLWRNORM;

	*wq = &tty->out_wq;
	if (tty->out.len)
		ev |= POLLIN | POLLRDNORM;
	if (tty->slave_was_opened && tty->slave_opens == 0)
		ev |= POLLHUP;
	return ev;
}

/* TIOCGPTPEER: open the slave as a new fd (flags as open's), without a path walk. */
static long master_open_peer(struct task *t, struct file *f, int flags)
{
	struct tty *tty = f->priv;
	struct file *peer;
	struct path p;
	int ret;

	if (tty->locked)
		return -EIO;
	ret = devpts_peer_path(&f->path, tty->index, &p);
	if (ret < 0)
		return ret;
	flags &= O_ACCMODE | O_APPEND | O_NONBLOCK | O_NOCTTY | O_CLOEXEC | O_PATH;
	ret = vfs_open_path(&p, flags & ~O_CLOEXEC, &peer);
	path_put(&p);
	if (ret < 0)
		return ret;
	peer->flags &= ~O_NOCTTY;
	ret = fdtable_alloc(t, t->files, peer, 0, flags & O_CLOEXEC);
	file_put(peer);
	return ret;
}

static long master_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	if (cmd == TIOCGPTPEER)
		return master_open_peer(t, f, (int)arg);
	return tty_ioctl(t, f->priv, true, cmd, arg);
}

static void master_release(struct file *f)
{
	struct tty *tty = f->priv;

	tty->master_opens--;
	if (tty->master_opens == 0) {
		/* Hang up: the session's processes lose the terminal. */
		if (tty->sid) {
			tty_signal_fg(tty, SIGHUP);
			tty_signal_fg(tty, SIGCONT);
		}
		tty_release_ctty(tty);
	}
	pty_wake(tty);
	pty_maybe_free(tty);
}

static const struct file_ops g_master_fops = {
	.read = master_read,
	.write = master_write,
	.ioctl = master_ioctl,
	.poll = master_poll,
	.release = master_release,
};

int ptmx_open(struct task *t, struct file *f)
{
	struct tty *tty;
	int i;

	for (i = 0; i < PTY_MAX && g_ptys[i]; i++)
		;
	if (i == PTY_MAX)
		return -ENOSPC;
	tty = xcalloc(1, sizeof(*tty));
	tty->index = i;
	tty->locked = true;
	tty->master_opens = 1;
	tty->uid = t ? t->creds.fsuid : 0;
	tty->gid = t ? t->creds.fsgid : 0;
	ldisc_init_termios(&tty->termios);
	waitq_init(&tty->in_wq);
	waitq_init(&tty->out_wq);
	g_ptys[i] = tty;
	f->ops = &g_master_fops;
	f->priv = tty;
	f->inode = f->path.dentry->inode;
	inode_get(f->inode);
	return 0;
}

/* ---- slave ---- */

/* Now plus VTIME tenths of a second, on CLOCK_MONOTONIC as task_block wants. */
static struct timespec *vtime_deadline(const struct tty *tty, struct timespec *ts)
{
	uint64_t ns = tty->termios.c_cc[VTIME] * 100000000ULL;

	clock_gettime(CLOCK_MONOTONIC, ts);
	ns += (uint64_t)ts->tv_nsec;
	ts->tv_sec += (time_t)(ns / 1000000000ULL);
	ts->tv_nsec = (long)(ns % 1000000000ULL);
	return ts;
}

/* Bytes a non-canonical read waits for: VMIN (at most the buffer), or one with VMIN 0. */
static size_t raw_wanted(const struct tty *tty, size_t size)
{
	size_t vmin = tty->termios.c_cc[VMIN];

	return vmin ? MIN(vmin, size) : 1;
}

/* Non-canonical read as Linux's N_TTY: a blocking read returns once it has VMIN bytes;
 * VTIME alone is a timeout for the first byte, and with VMIN an inter-byte timer that
 * the first byte starts; VMIN and VTIME 0 is a poll. O_NONBLOCK takes what is there. */
static ssize_t slave_read_raw(struct task *t, struct file *f, struct tty *tty, char *buf,
			      size_t size)
{
	bool vmin = tty->termios.c_cc[VMIN], vtime = tty->termios.c_cc[VTIME];
	struct timespec ts, *deadline = (!vmin && vtime) ? vtime_deadline(tty, &ts) : NULL;
	size_t got = 0;
	int ret;

	for (;;) {
		if (tty->in.len) {
			got += tty_ring_get(&tty->in, buf + got, size - got);
			pty_wake(tty);
			if (got >= raw_wanted(tty, size))
				return (ssize_t)got;
			if (vtime)
				deadline = vtime_deadline(tty, &ts);
		}
		if (tty->master_opens == 0 || (!vmin && !vtime))
			return (ssize_t)got;
		if ((f->flags & O_NONBLOCK) || !t)
			return got ? (ssize_t)got : -EAGAIN;
		ret = task_block(t, &tty->in_wq, deadline);
		if (ret == -ETIMEDOUT)
			return (ssize_t)got;
		if (ret == -EINTR)
			return got ? (ssize_t)got : -ERESTARTSYS;
	}
}

static ssize_t slave_read(struct task *t, struct file *f, void *buf, size_t size,
			  uint64_t *pos)
{
	struct tty *tty = f->priv;
	int ret;

	ret = tty_check_job(t, tty, SIGTTIN);
	if (ret < 0)
		return ret;
	if (size == 0)
		return 0;
	if (!(tty->termios.c_lflag & ICANON))
		return slave_read_raw(t, f, tty, buf, size);
	for (;;) {
		if (ldisc_readable(tty)) {
			size_t n = ldisc_read(tty, buf, size);

			pty_wake(tty);
			return (ssize_t)n;
		}
		if (tty->master_opens == 0)
			return 0;
		ret = pty_wait(t, f, &tty->in_wq);
		if (ret < 0)
			return ret;
	}
}

static ssize_t slave_write(struct task *t, struct file *f, const void *buf, size_t size,
			   uint64_t *pos)
{
	struct tty *tty = f->priv;
	size_t done = 0;
	int ret;

	if (tty->termios.c_lflag & TOSTOP) {
		ret = tty_check_job(t, tty, SIGTTOU);
		if (ret < 0)
			return ret;
	}
	while (done < size) {
		if (tty->master_opens == 0)
			return done ? (ssize_t)done : -EIO;
		done += ldisc_output(tty, (const char *)buf + done, size - done);
		if (done == size)
			break;
		ret = pty_wait(t, f, &tty->out_wq);
		if (ret < 0)
			return done ? (ssize_t)done : ret;
	}
	return (ssize_t)done;
}

static unsigned slave_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct tty *tty = f->priv;
	unsigned ev = 0;

	*wq = &tty->in_wq;
	if (ldisc_readable(tty))
		ev |= POLLIN | POLLRDNORM;
	if (tty->out.len < TTY_BUF_SIZE - 2)
		ev |= POLLOUT | POLLWRNORM;
	if (tty->master_opens == 0)
		ev |= POLLHUP | POLLIN;
	return ev;
}

static long slave_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	return tty_ioctl(t, f->priv, false, cmd, arg);
}

static void slave_release(struct file *f)
{
	struct tty *tty = f->priv;

	tty->slave_opens--;
	pty_wake(tty);
	pty_maybe_free(tty);
}

static const struct file_ops g_slave_fops = {
	.read = slave_read,
	.write = slave_write,
	.ioctl = slave_ioctl,
	.poll = slave_poll,
	.release = slave_release,
};

static int slave_attach(struct task *t, struct tty *tty, struct file *f, bool noctty)
{
	tty->slave_opens++;
	tty->slave_was_opened = true;
	f->ops = &g_slave_fops;
	f->priv = tty;
	if (f->path.dentry) {
		f->inode = f->path.dentry->inode;
		inode_get(f->inode);
	}
	/* A session leader without a terminal acquires the first one it opens. */
	if (!noctty && t && t->tg && t->tg->sid == t->tg->tgid && tty->sid == 0) {
		dev_t dev;
		int fg;

		if (tty_session_info(t->tg->sid, &dev, &fg) < 0) {
			tty->sid = t->tg->sid;
			tty->fg_pgrp = t->tg->pgid;
		}
	}
	return 0;
}

int pty_slave_open(struct task *t, int index, struct file *f, bool noctty)
{
	struct tty *tty = pty_get(index);

	if (!tty || tty->master_opens == 0)
		return -EIO;
	if (tty->locked)
		return -EIO;
	return slave_attach(t, tty, f, noctty);
}

int tty_open_ctty(struct task *t, struct file *f)
{
	for (int i = 0; t && t->tg && i < PTY_MAX; i++) {
		struct tty *tty = g_ptys[i];

		if (tty && tty->sid == t->tg->sid && tty->master_opens > 0)
			return slave_attach(t, tty, f, true);
	}
	return -ENXIO;
}

void tty_release_ctty(struct tty *tty)
{
	tty->sid = 0;
	tty->fg_pgrp = 0;
}
