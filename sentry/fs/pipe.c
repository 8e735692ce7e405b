/* pipe.c: pipe(2)/pipe2(2): a ring of 16 page buffers (pipe_ring.c), blocking reads and
 * writes on wait queues (interruptible: -ERESTARTSYS), EOF after the last writer, EPIPE
 * and SIGPIPE after the last reader, atomic writes up to PIPE_BUF, poll, FIONREAD and
 * F_{GET,SET}PIPE_SZ. read(2)/write(2) copy straight between the buffers and the
 * application's memory (read_uio/write_uio), so a fault costs what it costs in Linux.
 * Named pipes (fifo.c) use the same files. */
#include "sentry/fs/pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/uio.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

static ssize_t broken_pipe(struct task *t, size_t done)
{
	if (done)
		return (ssize_t)done;
	if (t)
		task_send_signal(t, SIGPIPE, NULL);
	return -EPIPE;
}

/* A read: what the buffers hold, up to size, once there is data or no writer left. */
static ssize_t pipe_read_io(struct task *t, struct file *f, struct pipe_io *io, size_t size)
{
	struct pipe *p = f->priv;
	long n;

	if (size == 0)
		return 0;
	for (;;) {
		if (p->used > 0) {
			n = pipe_ring_drain(p, io, size, true);
			if (n > 0) {
				waitq_wake_all(&p->wq);
				file_touch_atime(f); /* a FIFO's inode (anonymous: none) */
			}
			return n;
		}
		if (p->writers == 0)
			return 0;
		if ((f->flags & O_NONBLOCK) || !t)
			return -EAGAIN;
		if (task_block(t, &p->rq, NULL) == -EINTR)
			return -ERESTARTSYS;
	}
}

/* A write, as Linux places it: the sub-page part goes onto the newest buffer if it fits
 * there, the rest fills new pages, waiting for free ones. A write of at most PIPE_BUF
 * thus goes in whole (merged or one new page) or waits. A fault in the source ends it
 * after the pages before the one it falls in (EFAULT if there are none). */
static ssize_t pipe_write_io(struct task *t, struct file *f, struct pipe_io *io, size_t size)
{
	struct pipe *p = f->priv;
	size_t done;
	long n;

	if (size == 0)
		return 0; /* even with no reader left, as in Linux */
	if (p->readers == 0)
		return broken_pipe(t, 0);
	n = pipe_ring_merge(p, io, size);
	if (n < 0)
		return n;
	for (done = (size_t)n; done < size && !io->fault;) {
		if (p->readers == 0)
			return broken_pipe(t, done);
		n = pipe_ring_fill(p, io, size - done);
		if (n < 0)
			break;
		done += (size_t)n;
		if (done == size || io->fault)
			break;
		if (done)
			waitq_wake_all(&p->rq);
		if ((f->flags & O_NONBLOCK) || !t)
			break;
		if (task_block(t, &p->wq, NULL) == -EINTR)
			return done ? (ssize_t)done : -ERESTARTSYS;
	}
	if (done)
		waitq_wake_all(&p->rq);
	if (done == 0)
		return io->fault ? -EFAULT : -EAGAIN;
	if (f->inode)
		inode_touch(f->inode, VA_MTIME | VA_CTIME); /* a FIFO's, as Linux */
	return (ssize_t)done;
}

static ssize_t pipe_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	struct pipe_io io = {.t = t, .dst = buf};

	return pipe_read_io(t, f, &io, size);
}

static ssize_t pipe_write(struct task *t, struct file *f, const void *buf, size_t size,
			  uint64_t *pos)
{
	struct pipe_io io = {.t = t, .src = buf};

	return pipe_write_io(t, f, &io, size);
}

static ssize_t pipe_read_uio(struct task *t, struct file *f, struct uio *u)
{
	struct pipe_io io = {.t = t, .u = u};

	return pipe_read_io(t, f, &io, uio_left(u));
}

static ssize_t pipe_write_uio(struct task *t, struct file *f, struct uio *u)
{
	struct pipe_io io = {.t = t, .u = u};

	return pipe_write_io(t, f, &io, uio_left(u));
}

static unsigned pipe_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct pipe *p = f->priv;
	unsigned ev = 0;

	if (f->fmode & FMODE_READ) {
		*wq = &p->rq;
		if (p->len > 0)
			ev |= POLLIN | POLLRDNORM;
		/* A FIFO reader opened with O_NONBLOCK sees no hang-up before a writer came. */
		if (p->writers == 0 && f->pipe_wseen != p->w_counter)
			ev |= POLLHUP;
	} else {
		*wq = &p->wq;
		if (p->used < p->nslots)
			ev |= POLLOUT | POLLWRNORM;
		if (p->readers == 0)
			ev |= POLLERR;
	}
	return ev;
}

static long pipe_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	struct pipe *p = f->priv;
	int n = (int)p->len;

	if (cmd != FIONREAD)
		return -ENOTTY;
	return copy_to_user(t, uaddr(arg), &n, sizeof(n));
}

static int pipe_stat(struct file *f, struct kstat *st)
{
	struct pipe *p = f->priv;

	memset(st, 0, sizeof(*st));
	st->dev = 0x0c; /* pipefs's anonymous device */
	st->ino = p->ino;
	st->nlink = 1;
	st->mode = S_IFIFO | 0600;
	st->blksize = 4096;
	return 0;
}

static void pipe_release(struct file *f)
{
	struct pipe *p = f->priv;

	if (f->fmode & FMODE_READ)
		p->readers--;
	if (f->fmode & FMODE_WRITE)
		p->writers--;
	waitq_wake_all(&p->rq);
	waitq_wake_all(&p->wq);
	if (p->readers == 0 && p->writers == 0) {
		if (p->owner)
			*p->owner = NULL;
		pipe_free(p);
	}
}

static const struct file_ops g_pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.read_uio = pipe_read_uio,
	.write_uio = pipe_write_uio,
	.ioctl = pipe_ioctl,
	.poll = pipe_poll,
	.stat = pipe_stat,
	.release = pipe_release,
};

void pipe_file_init(struct file *f, struct pipe *p)
{
	f->ops = &g_pipe_fops;
	f->priv = p;
}

struct pipe *pipe_of(struct file *f)
{
	return f->ops == &g_pipe_fops ? f->priv : NULL;
}

int pipe_wait_data(struct task *t, struct pipe *p, bool nonblock)
{
	while (p->used == 0) {
		if (p->writers == 0)
			return 0;
		if (nonblock || !t)
			return -EAGAIN;
		if (task_block(t, &p->rq, NULL) == -EINTR)
			return -ERESTARTSYS;
	}
	return 1;
}

int pipe_wait_space(struct task *t, struct pipe *p, bool nonblock)
{
	for (;;) {
		if (p->readers == 0)
			return (int)broken_pipe(t, 0);
		if (p->used < p->nslots)
			return 0;
		if (nonblock || !t)
			return -EAGAIN;
		if (task_block(t, &p->wq, NULL) == -EINTR)
			return -ERESTARTSYS;
	}
}

void pipe_wake_readers(struct pipe *p)
{
	waitq_wake_all(&p->rq);
}

void pipe_wake_writers(struct pipe *p)
{
	waitq_wake_all(&p->wq);
}

bool file_is_pipe(const struct file *f)
{
	return f->ops == &g_pipe_fops;
}

long pipe_get_size(struct file *f)
{
	if (!file_is_pipe(f))
		return -EBADF;
	return (long)((struct pipe *)f->priv)->cap;
}

long pipe_set_size(struct file *f, unsigned long size, bool privileged)
{
	if (!file_is_pipe(f))
		return -EBADF;
	return pipe_buf_resize(f->priv, size, privileged);
}

int pipe_create(int flags, struct file **rd, struct file **wr)
{
	struct pipe *p;
	struct file *r, *w;

	if (flags & ~(O_NONBLOCK | O_CLOEXEC | O_DIRECT))
		return -EINVAL;
	if (flags & O_DIRECT)
		return -EINVAL; /* packet-mode pipes: not supported yet */
	p = pipe_new(PIPE_DEFAULT_SIZE);
	r = file_alloc(O_RDONLY | (flags & O_NONBLOCK));
	w = file_alloc(O_WRONLY | (flags & O_NONBLOCK));
	r->ops = w->ops = &g_pipe_fops;
	r->priv = w->priv = p;
	p->readers = p->writers = 1;
	p->r_counter = p->w_counter = 1;
	*rd = r;
	*wr = w;
	return 0;
}

int pipe_reopen(struct file *f, int flags, struct file **out)
{
	struct pipe *p = f->priv;
	struct file *nf;

	if (!file_is_pipe(f))
		return -EINVAL;
	nf = file_alloc(flags & (O_ACCMODE | O_NONBLOCK));
	nf->ops = &g_pipe_fops;
	nf->priv = p;
	if (nf->fmode & FMODE_READ)
		p->readers++;
	if (nf->fmode & FMODE_WRITE)
		p->writers++;
	waitq_wake_all(&p->rq);
	waitq_wake_all(&p->wq);
	*out = nf;
	return 0;
}
