/* eventfd.c: eventfd(2): a 64-bit counter read and written 8 bytes at a time, with the
 * semaphore mode, blocking on both sides and poll; and the anonymous-inode helpers. */
#include "sentry/fs/anon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>

#include "sentry/kernel/sched.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs_internal.h"

#define EVENTFD_MAX 0xfffffffffffffffeULL /* the largest value the counter may hold */

struct eventfd {
	uint64_t count;
	bool semaphore;
	uint64_t ino;
	struct waitq wq; /* readers and writers */
};

static uint64_t g_anon_ino;

uint64_t anon_next_ino(void)
{
	return ++g_anon_ino;
}

void anon_fill_stat(struct kstat *st, uint64_t ino)
{
	memset(st, 0, sizeof(*st));
	st->dev = 0x0e; /* anon_inodefs's device */
	st->ino = ino;
	st->nlink = 1;
	st->mode = 0600;
	st->blksize = 4096;
}

static ssize_t efd_read(struct task *t, struct file *f, void *buf, size_t size,
			    uint64_t *pos)
{
	struct eventfd *e = f->priv;
	uint64_t v;

	if (size < sizeof(v))
		return -EINVAL;
	while (e->count == 0) {
		if ((f->flags & O_NONBLOCK) || !t)
			return -EAGAIN;
		if (task_block(t, &e->wq, NULL) == -EINTR)
			return -ERESTARTSYS;
	}
	v = e->semaphore ? 1 : e->count;
	e->count -= v;
	memcpy(buf, &v, sizeof(v));
	waitq_wake_all(&e->wq);
	return sizeof(v);
}

static ssize_t efd_write(struct task *t, struct file *f, const void *buf, size_t size,
			     uint64_t *pos)
{
	struct eventfd *e = f->priv;
	uint64_t v;

	if (size < sizeof(v))
		return -EINVAL;
	memcpy(&v, buf, sizeof(v));
	if (v == UINT64_MAX)
		return -EINVAL;
	while (EVENTFD_MAX - e->count < v) {
		if ((f->flags & O_NONBLOCK) || !t)
			return -EAGAIN;
		if (task_block(t, &e->wq, NULL) == -EINTR)
			return -ERESTARTSYS;
	}
	e->count += v;
	if (v)
		waitq_wake_all(&e->wq);
	return sizeof(v);
}

static unsigned efd_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct eventfd *e = f->priv;
	unsigned ev = 0;

	*wq = &e->wq;
	if (e->count > 0)
		ev |= POLLIN | POLLRDNORM;
	if (e->count < EVENTFD_MAX)
		ev |= POLLOUT | POLLWRNORM;
	return ev;
}

static int efd_stat(struct file *f, struct kstat *st)
{
	anon_fill_stat(st, ((struct eventfd *)f->priv)->ino);
	return 0;
}

static void efd_release(struct file *f)
{
	free(f->priv);
}

static const struct file_ops g_eventfd_ops = {
	.read = efd_read,
	.write = efd_write,
	.poll = efd_poll,
	.stat = efd_stat,
	.release = efd_release,
};

bool file_is_eventfd(const struct file *f)
{
	return f->ops == &g_eventfd_ops;
}

void eventfd_signal(struct file *f)
{
	struct eventfd *e = f->priv;

	if (e->count < EVENTFD_MAX)
		e->count++;
	waitq_wake_all(&e->wq);
}

int eventfd_create(unsigned initval, int flags, struct file **out)
{
	struct eventfd *e;
	struct file *f;

	if (flags & ~(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC))
		return -EINVAL;
	e = xcalloc(1, sizeof(*e));
	e->count = initval;
	e->semaphore = flags & EFD_SEMAPHORE;
	e->ino = anon_next_ino();
	waitq_init(&e->wq);
	f = file_alloc(O_RDWR | (flags & EFD_NONBLOCK));
	f->ops = &g_eventfd_ops;
	f->priv = e;
	f->fmode |= FMODE_WHOLE_RECORDS;
	*out = f;
	return 0;
}
