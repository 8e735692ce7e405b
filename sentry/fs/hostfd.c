/* hostfd.c: files backed by a host fd (the sandbox's stdio). Reads and writes that may
 * block drop the kernel lock and wait in short slices so signals still interrupt them;
 * only terminal ioctls pass through. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/kernel/sched.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define HOSTFD_SLICE_MS 50	/* how often a blocked host read checks for signals */
#define KERNEL_TERMIOS_SIZE 36	/* struct termios as the kernel's TCGETS copies it */

struct hostfd {
	int fd;
	uint32_t type; /* S_IFMT of the host file */
};

/* Wait until the host fd has events (or a signal is pending for t). Drops the lock. */
static int hostfd_wait(struct task *t, struct file *f, short events)
{
	struct hostfd *h = f->priv;
	struct pollfd pfd = {.fd = h->fd, .events = events};
	int n;

	for (;;) {
		bool nonblock = (f->flags & O_NONBLOCK) || !t;

		if (!nonblock)
			kernel_unlock();
		n = poll(&pfd, 1, nonblock ? 0 : HOSTFD_SLICE_MS);
		if (!nonblock)
			kernel_lock();
		if (n > 0)
			return 0;
		if (n < 0 && errno != EINTR)
			return -errno;
		if (nonblock)
			return -EAGAIN;
		if (task_signal_pending(t))
			return -ERESTARTSYS;
	}
}

static ssize_t hostfd_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	struct hostfd *h = f->priv;
	ssize_t n;
	int ret;

	if (size == 0)
		return 0;
	if (S_ISREG(h->type)) {
		/* read(2) uses the host offset, shared with the host's other fds of the same
		 * open file (2>&1); pread(2) its own. */
		n = pos == &f->pos ? read(h->fd, buf, size) : pread(h->fd, buf, size, (off_t)*pos);
		return n < 0 ? -errno : n;
	}
	for (;;) {
		ret = hostfd_wait(t, f, POLLIN);
		if (ret < 0)
			return ret;
		n = read(h->fd, buf, size);
		if (n >= 0)
			return n;
		if (errno != EAGAIN && errno != EINTR)
			return -errno;
	}
}

static ssize_t hostfd_write(struct task *t, struct file *f, const void *buf, size_t size,
			    uint64_t *pos)
{
	struct hostfd *h = f->priv;
	ssize_t n;
	int ret;

	if (S_ISREG(h->type)) {
		n = pos == &f->pos ? write(h->fd, buf, size) : pwrite(h->fd, buf, size, (off_t)*pos);
		return n < 0 ? -errno : n;
	}
	for (;;) {
		ret = hostfd_wait(t, f, POLLOUT);
		if (ret < 0)
			return ret;
		kernel_unlock();
		n = write(h->fd, buf, size);
		ret = errno;
		kernel_lock();
		if (n >= 0)
			return n;
		if (ret == EPIPE && t)
			task_send_signal(t, SIGPIPE, NULL);
		if (ret != EAGAIN && ret != EINTR)
			return -ret;
	}
}

/* The host keeps the offset (shared with other host fds of the same open file). */
static int64_t hostfd_llseek(struct file *f, int64_t off, int whence)
{
	struct hostfd *h = f->priv;
	off_t pos = lseek(h->fd, off, whence);

	return pos < 0 ? -errno : pos;
}

/* Terminal ioctls: copy the argument in, run it on the host fd, copy it out. */
static long hostfd_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	struct hostfd *h = f->priv;
	char buf[64];
	size_t size;
	bool in, out;

	switch (cmd) {
	case TCGETS:
		size = KERNEL_TERMIOS_SIZE, in = false, out = true;
		break;
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		size = KERNEL_TERMIOS_SIZE, in = true, out = false;
		break;
	case TIOCGWINSZ:
		size = sizeof(struct winsize), in = false, out = true;
		break;
	case TIOCSWINSZ:
		size = sizeof(struct winsize), in = true, out = false;
		break;
	case FIONREAD: {
		int n = 0;

		if (ioctl(h->fd, FIONREAD, &n) < 0)
			return -errno;
		return copy_to_user(t, uaddr(arg), &n, sizeof(n));
	}
	default:
		return -ENOTTY;
	}
	memset(buf, 0, sizeof(buf));
	if (in && copy_from_user(t, buf, uaddr(arg), size) < 0)
		return -EFAULT;
	if (ioctl(h->fd, cmd, buf) < 0)
		return -errno;
	if (out && copy_to_user(t, uaddr(arg), buf, size) < 0)
		return -EFAULT;
	return 0;
}

static unsigned hostfd_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct hostfd *h = f->priv;
	struct pollfd pfd = {.fd = h->fd, .events = POLLIN | POLLOUT | POLLPRI};

	*wq = NULL;
	if (S_ISREG(h->type))
		return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
	if (poll(&pfd, 1, 0) < 0)
		return POLLERR;
	if (pfd.revents & POLLIN)
		pfd.revents |= POLLRDNORM;
	if (pfd.revents & POLLOUT)
		pfd.revents |= POLLWRNORM;
	return (unsigned)pfd.revents;
}

static int hostfd_stat(struct file *f, struct kstat *st)
{
	struct hostfd *h = f->priv;
	struct stat hs;

	if (fstat(h->fd, &hs) < 0)
		return -errno;
	memset(st, 0, sizeof(*st));
	st->dev = hs.st_dev;
	st->ino = hs.st_ino;
	st->nlink = hs.st_nlink;
	st->mode = hs.st_mode;
	st->uid = hs.st_uid;
	st->gid = hs.st_gid;
	st->rdev = hs.st_rdev;
	st->size = (uint64_t)hs.st_size;
	st->blocks = (uint64_t)hs.st_blocks;
	st->blksize = (uint32_t)hs.st_blksize;
	st->atime = hs.st_atim;
	st->mtime = hs.st_mtim;
	st->ctime = hs.st_ctim;
	return 0;
}

static int hostfd_fsync(struct file *f)
{
	struct hostfd *h = f->priv;

	if (S_ISREG(h->type) && fsync(h->fd) < 0)
		return -errno;
	return 0;
}

static void hostfd_release(struct file *f)
{
	struct hostfd *h = f->priv;

	close(h->fd);
	free(h);
}

static const struct file_ops g_hostfd_fops = {
	.read = hostfd_read,
	.write = hostfd_write,
	.llseek = hostfd_llseek,
	.ioctl = hostfd_ioctl,
	.poll = hostfd_poll,
	.fsync = hostfd_fsync,
	.stat = hostfd_stat,
	.release = hostfd_release,
};

struct file *hostfd_file_new(int hostfd)
{
	struct hostfd *h;
	struct stat st;
	struct file *f;
	int fl = fcntl(hostfd, F_GETFL);

	if (fl < 0 || fstat(hostfd, &st) < 0) {
		log_warn("hostfd %d: %s", hostfd, strerror(errno));
		close(hostfd);
		return NULL;
	}
	h = xcalloc(1, sizeof(*h));
	h->fd = hostfd;
	h->type = st.st_mode & S_IFMT;
	f = file_alloc(fl & O_ACCMODE);
	f->ops = &g_hostfd_fops;
	f->priv = h;
	if (S_ISREG(st.st_mode))
		f->fmode |= FMODE_LSEEK | FMODE_PREAD;
	else if (S_ISCHR(st.st_mode) && !isatty(hostfd))
		f->fmode |= FMODE_LSEEK;
	if (S_ISREG(st.st_mode) && (fl & O_APPEND))
		f->flags |= O_APPEND;
	return f;
}
