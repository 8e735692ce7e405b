/* fifo.c: named pipes (mkfifo, mknod S_IFIFO). Every open of a FIFO inode shares one pipe
 * attached to that inode (inode->pipe) while anyone has it open (tmpfs and gofer call
 * fifo_open from their open; the overlay opens the FIFO on its real layer's inode); the
 * data goes when the last opener closes, as Linux's. The pipe always lives in the Sentry:
 * a FIFO that the host made on a gofer mount is served here too, so no host FIFO is ever
 * opened and the sandbox cannot talk through one to a host process.
 *
 * Opening follows Linux's fifo_open: O_RDONLY waits for a writer (O_NONBLOCK: at once),
 * O_WRONLY waits for a reader (O_NONBLOCK with no reader: ENXIO), O_RDWR never waits. A
 * wait ends when the other side's open counter moves (even if that opener has gone
 * again), and a signal ends it with -ERESTARTSYS. */
#include "sentry/fs/fifo.h"

#include <errno.h>
#include <fcntl.h>

#include "sentry/fs/pipe.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs_internal.h"

/* Wake the openers waiting for a partner (and anyone polling). */
static void wake_partner(struct pipe *p)
{
	waitq_wake_all(&p->rq);
	waitq_wake_all(&p->wq);
}

/* Wait on q until *counter moves. 0, or -ERESTARTSYS on a signal. */
static int wait_for_partner(struct task *t, struct waitq *q, const uint64_t *counter)
{
	uint64_t seen = *counter;

	while (*counter == seen) {
		if (task_block(t, q, NULL) == -EINTR)
			return -ERESTARTSYS;
	}
	return 0;
}

static int open_reader(struct task *t, struct pipe *p, struct file *f)
{
	int ret = 0;

	p->r_counter++;
	if (p->readers++ == 0)
		wake_partner(p);
	if (p->writers == 0) {
		if ((f->flags & O_NONBLOCK) || !t)
			f->pipe_wseen = p->w_counter; /* no POLLHUP before a writer came */
		else
			ret = wait_for_partner(t, &p->rq, &p->w_counter);
	}
	if (ret < 0 && --p->readers == 0)
		waitq_wake_all(&p->wq);
	return ret;
}

static int open_writer(struct task *t, struct pipe *p, struct file *f)
{
	int ret = 0;

	if ((f->flags & O_NONBLOCK) && p->readers == 0)
		return -ENXIO;
	p->w_counter++;
	if (p->writers++ == 0)
		wake_partner(p);
	if (p->readers == 0) {
		if (!t)
			ret = -ENXIO;
		else
			ret = wait_for_partner(t, &p->wq, &p->r_counter);
	}
	if (ret < 0 && --p->writers == 0)
		waitq_wake_all(&p->rq);
	return ret;
}

int fifo_open(struct inode *inode, struct file *f)
{
	struct task *t = t_current;
	struct pipe *p = inode->pipe;
	int acc = f->flags & O_ACCMODE, ret;

	if (acc == 3)
		return -EINVAL;
	if (!p) {
		p = pipe_new(PIPE_DEFAULT_SIZE);
		p->owner = &inode->pipe;
		inode->pipe = p;
	}
	if (acc == O_RDONLY) {
		ret = open_reader(t, p, f);
	} else if (acc == O_WRONLY) {
		ret = open_writer(t, p, f);
	} else {
		p->readers++;
		p->writers++;
		p->r_counter++;
		p->w_counter++;
		wake_partner(p);
		ret = 0;
	}
	if (ret < 0) {
		/* The pipe may have lost its last opener while this one waited. */
		if (inode->pipe == p && p->readers == 0 && p->writers == 0) {
			inode->pipe = NULL;
			pipe_free(p);
		}
		return ret;
	}
	pipe_file_init(f, p);
	f->inode = inode;
	inode_get(inode);
	return 0;
}
