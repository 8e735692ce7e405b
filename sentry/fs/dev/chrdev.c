/* chrdev.c: character devices by number: the memory devices /dev/null, zero, full, random
 * and urandom, and the terminals (/dev/tty, /dev/ptmx, /dev/pts/N in tty.h). */
#include "sentry/fs/dev/dev.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysmacros.h>

#include "sentry/fs/dev/tty.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs_internal.h"

static ssize_t null_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	return 0;
}

static ssize_t null_write(struct task *t, struct file *f, const void *buf, size_t size,
			  uint64_t *pos)
{
	return (ssize_t)size;
}

static ssize_t zero_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	memset(buf, 0, size);
	return (ssize_t)size;
}

static ssize_t full_write(struct task *t, struct file *f, const void *buf, size_t size,
			  uint64_t *pos)
{
	return -ENOSPC;
}

static ssize_t random_read(struct task *t, struct file *f, void *buf, size_t size,
			   uint64_t *pos)
{
	size_t done = 0;

	while (done < size) {
		ssize_t n = getrandom((char *)buf + done, size - done, 0);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return done ? (ssize_t)done : -errno;
		}
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Seeking a memory device always succeeds and leaves the position at 0, as Linux. */
static int64_t null_llseek(struct file *f, int64_t off, int whence)
{
	f->pos = 0;
	return 0;
}

static const struct file_ops g_null_fops = {
	.read = null_read, .write = null_write, .llseek = null_llseek,
};
static const struct file_ops g_zero_fops = {
	.read = zero_read, .write = null_write, .llseek = null_llseek, .mmap_as = FILE_MMAP_ANON,
};
static const struct file_ops g_full_fops = {
	.read = zero_read, .write = full_write, .llseek = null_llseek,
};
static const struct file_ops g_random_fops = {
	.read = random_read, .write = null_write, .llseek = null_llseek,
};

int chrdev_open(dev_t rdev, struct file *f)
{
	const struct file_ops *ops = NULL;
	bool noctty = f->flags & O_NOCTTY;

	f->flags &= ~O_NOCTTY;
	if (major(rdev) == 5 && minor(rdev) == 0)
		return tty_open_ctty(t_current, f);
	if (major(rdev) == 5 && minor(rdev) == 2)
		return ptmx_open(t_current, f);
	if (major(rdev) >= PTY_SLAVE_MAJOR && major(rdev) < PTY_SLAVE_MAJOR + 8)
		return pty_slave_open(t_current, (int)((major(rdev) - PTY_SLAVE_MAJOR) * 256 +
						      minor(rdev)), f, noctty);

	if (major(rdev) == 1) {
		switch (minor(rdev)) {
		case 3:
			ops = &g_null_fops;
			break;
		case 5:
			ops = &g_zero_fops;
			break;
		case 7:
			ops = &g_full_fops;
			break;
		case 8:
		case 9:
			ops = &g_random_fops;
			break;
		}
	}
	if (!ops)
		return -ENXIO;
	f->ops = ops;
	/* A read of /dev/zero or /dev/urandom returns all it asked for (dd bs=1M counts). */
	f->fmode |= FMODE_LSEEK | FMODE_PREAD | FMODE_FULL_READ;
	f->inode = f->path.dentry->inode;
	inode_get(f->inode);
	return 0;
}
