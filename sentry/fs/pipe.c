/* pipe.c: pipe(2)/pipe2(2): a 64 KiB ring buffer, blocking reads and writes on wait queues
 * (interruptible: -ERESTARTSYS), EOF after the last writer, EPIPE and SIGPIPE after the last
 * reader, atomic writes up to PIPE_BUF, poll, FIONREAD and F_{GET,SET}PIPE_SZ. */
#include "sentry/fs/pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

static uint64_t g_pipe_ino;

struct pipe *pipe_new(size_t cap)
{
	struct pipe *p = xcalloc(1, sizeof(*p));

	p->buf = xmalloc(cap);
	p->cap = cap;
	p->ino = ++g_pipe_ino;
	waitq_init(&p->rq);
	waitq_init(&p->wq);
	return p;
}

void pipe_free(struct pipe *p)
{
	free(p->buf);
	free(p);
}

size_t pipe_buf_write(struct pipe *p, const void *src, size_t size)
{
	size_t n = MIN(size, p->cap - p->len), tail = (p->head + p->len) % p->cap;
	size_t first = MIN(n, p->cap - tail);

	memcpy(p->buf + tail, src, first);
	memcpy(p->buf, (const char *)src + first, n - first);
	p->len += n;
	return n;
}

size_t pipe_buf_read(struct pipe *p, void *dst, size_t size)
{
	size_t n = pipe_buf_peek(p, dst, size);

	pipe_buf_consume(p, n);
	return n;
}

size_t pipe_buf_peek(const struct pipe *p, void *dst, size_t size)
{
	size_t n = MIN(size, p->len), first = MIN(n, p->cap - p->head);

	memcpy(dst, p->buf + p->head, first);
	memcpy((char *)dst + first, p->buf, n - first);
	return n;
}

void pipe_buf_consume(struct pipe *p, size_t n)
{
	n = MIN(n, p->len);
	p->head = (p->head + n) % p->cap;
	p->len -= n;
	if (p->len == 0)
		p->head = 0;
}

long pipe_buf_resize(struct pipe *p, unsigned long size)
{
	size_t cap = 4096;
	char *buf;

	if (size > PIPE_MAX_SIZE)
		return -EPERM;
	while (cap < size)
		cap *= 2;
	if (cap < p->len)
		return -EBUSY;
	buf = xmalloc(cap);
	p->len = pipe_buf_read(p, buf, p->len);
	free(p->buf);
	p->buf = buf;
	p->cap = cap;
	p->head = 0;
	return (long)cap;
}

static ssize_t pipe_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	struct pipe *p = f->priv;
	int ret;

	if (size == 0)
		return 0;
	for (;;) {
		if (p->len > 0) {
			size_t n = pipe_buf_read(p, buf, size);

			waitq_wake_all(&p->wq);
			return (ssize_t)n;
		}
		if (p->writers == 0)
			return 0;
		if ((f->flags & O_NONBLOCK) || !t)
			return -EAGAIN;
		ret = task_block(t, &p->rq, NULL);
		if (ret == -EINTR)
			return -ERESTARTSYS;
	}
}

static ssize_t broken_pipe(struct task *t, size_t done)
{
	if (done)
		return (ssize_t)done;
	if (t)
		task_send_signal(t, SIGPIPE, NULL);
	return -EPIPE;
}

static ssize_t pipe_write(struct task *t, struct file *f, const void *buf, size_t size,
			  uint64_t *pos)
{
	struct pipe *p = f->priv;
	size_t done = 0;
	int ret;

	if (size == 0)
		return p->readers ? 0 : broken_pipe(t, 0);
	for (;;) {
		size_t space = p->cap - p->len;

		if (p->readers == 0)
			return broken_pipe(t, done);
		/* Small writes go in whole or wait; large ones fill whatever space there is. */
		if (space > 0 && (size > PIPE_ATOMIC || space >= size)) {
			done += pipe_buf_write(p, (const char *)buf + done, size - done);
			waitq_wake_all(&p->rq);
			if (done == size)
				return (ssize_t)done;
		}
		if ((f->flags & O_NONBLOCK) || !t)
			return done ? (ssize_t)done : -EAGAIN;
		ret = task_block(t, &p->wq, NULL);
		if (ret == -EINTR)
			return done ? (ssize_t)done : -ERESTARTSYS;
	}
}

static unsigned pipe_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct pipe *p = f->priv;
	unsigned ev = 0;

	if (f->fmode & FMODE_READ) {
		*wq = &p->rq;
		if (p->len > 0)
			ev |= POLLIN | POLLRDNORM;
		if (p->writers == 0)
			ev |= POLLHUP;
	} else {
		*wq = &p->wq;
		if (p->cap - p->len >= PIPE_ATOMIC || p->len == 0)
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
	if (p->readers == 0 && p->writers == 0)
		pipe_free(p);
}

static const struct file_ops g_pipe_fops = {
	.read = pipe_read,
	.write = pipe_write,
	.ioctl = pipe_ioctl,
	.poll = pipe_poll,
	.stat = pipe_stat,
	.release = pipe_release,
};

struct pipe *pipe_of(struct file *f)
{
	return f->ops == &g_pipe_fops ? f->priv : NULL;
}

int pipe_wait_data(struct task *t, struct pipe *p, bool nonblock)
{
	while (p->len == 0) {
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
		if (p->len < p->cap)
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

long pipe_set_size(struct file *f, unsigned long size)
{
	if (!file_is_pipe(f))
		return -EBADF;
	return pipe_buf_resize(f->priv, size);
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
