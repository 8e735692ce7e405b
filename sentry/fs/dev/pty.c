/* pty.c: pseudo-terminal pairs: the table of ptys, opening /dev/ptmx, /dev/pts/N and
 * /dev/tty, and the master and slave file operations (blocking reads, EIO after hangup,
 * poll). The line discipline is in tty_ldisc.c, ioctls in tty_ioctl.c. */
#include "sentry/fs/dev/tty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <termios.h>

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

static long master_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
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

static ssize_t slave_read(struct task *t, struct file *f, void *buf, size_t size,
			  uint64_t *pos)
{
	struct tty *tty = f->priv;
	int ret;

	if (size == 0)
		return 0;
	for (;;) {
		if (ldisc_readable(tty)) {
			size_t n = ldisc_read(tty, buf, size);

			pty_wake(tty);
			return (ssize_t)n;
		}
		if (tty->master_opens == 0)
			return 0;
		if (!(tty->termios.c_lflag & ICANON) && tty->termios.c_cc[VMIN] == 0)
			return 0; /* VMIN 0: a poll, whatever VTIME says (no timer yet) */
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
