/* file.c: open file descriptions: reference counts, read/write/seek through the file's
 * operations with Linux's access checks, and kernel-side reads for the loader and mm. */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>

#include "sentry/fs/anon.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/dir.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/fown.h"
#include "sentry/vfs/fsnotify.h"
#include "sentry/vfs/lease.h"
#include "sentry/vfs/lock.h"
#include "sentry/vfs/mount.h"

struct file *file_alloc(int flags)
{
	struct file *f = xcalloc(1, sizeof(*f));

	f->refs = 1;
	f->flags = flags;
	if (t_current)
		f->cred_sig = caps_creds_sig(&t_current->creds);
	switch (flags & O_ACCMODE) {
	case O_RDONLY:
		f->fmode = FMODE_READ;
		break;
	case O_WRONLY:
		f->fmode = FMODE_WRITE;
		break;
	case O_RDWR:
		f->fmode = FMODE_READ | FMODE_WRITE;
		break;
	}
	return f;
}

void file_get(struct file *f)
{
	f->refs++;
}

void file_put(struct file *f)
{
	if (!f || --f->refs > 0)
		return;
	fsnotify_close(f);
	lock_release_file(f); /* flock and OFD locks belong to the description */
	lease_release_file(f); /* so does a lease */
	fown_async_release(f); /* off its poll queue before the object goes */
	eventpoll_file_release(f); /* off every epoll interest list */
	if (f->ops && f->ops->release)
		f->ops->release(f);
	dirsnap_free(f->dir);
	inode_put(f->inode);
	if (f->fmode & FMODE_MNT_WRITE)
		f->path.mnt->writers--;
	if (f->fmode & FMODE_NEED_UNMOUNT)
		mnt_dissolve(f->path.mnt);
	mnt_release(f->path.mnt);
	path_put(&f->path);
	free(f);
}

int file_flags(const struct file *f)
{
	return f->flags;
}

struct shm_obj *file_page_cache(struct file *f)
{
	return f->ops && f->ops->page_cache ? f->ops->page_cache(f) : NULL;
}

struct shm_obj *file_page_cache_now(struct file *f)
{
	if (f->ops && f->ops->page_cache_now)
		return f->ops->page_cache_now(f);
	return file_page_cache(f);
}

enum file_mmap file_mmap_as(const struct file *f)
{
	return f->ops ? (enum file_mmap)f->ops->mmap_as : FILE_MMAP_CONTENTS;
}

bool file_can_read(const struct file *f)
{
	return f->fmode & FMODE_READ;
}

bool file_can_write(const struct file *f)
{
	return f->fmode & FMODE_WRITE;
}

int vfs_open_path(const struct path *p, int flags, struct file **out)
{
	struct inode *inode = p->dentry->inode;
	struct file *f;
	int ret = 0;

	if (inode->iops && inode->iops->reopen && !(flags & O_PATH))
		return inode->iops->reopen(p->dentry, flags, out);
	f = file_alloc(flags);
	f->path = *p;
	path_get(p);
	mnt_hold(p->mnt);
	if (flags & O_PATH) {
		f->fmode = FMODE_PATH;
		f->flags = flags & (O_PATH | O_CLOEXEC | O_NOFOLLOW | O_DIRECTORY);
		f->inode = inode;
		inode_get(inode);
		*out = f;
		return 0;
	}
	if ((f->fmode & FMODE_WRITE) && p->mnt) {
		p->mnt->writers++;
		f->fmode |= FMODE_MNT_WRITE;
	}
	if (S_ISREG(inode->mode) || S_ISDIR(inode->mode) || S_ISBLK(inode->mode))
		f->fmode |= FMODE_LSEEK | FMODE_PREAD;
	if (inode->iops->open) {
		ret = inode->iops->open(p->dentry, f);
	} else {
		f->inode = inode;
		inode_get(inode);
		f->ops = inode->fops;
	}
	if (ret < 0) {
		file_put(f);
		return ret;
	}
	lease_count_open(f);
	fsnotify_open(f);
	*out = f;
	return 0;
}

int64_t generic_llseek(struct file *f, int64_t off, int whence)
{
	int64_t size = f->inode ? (int64_t)f->inode->size : 0, pos;

	switch (whence) {
	case SEEK_SET:
		pos = off;
		break;
	case SEEK_CUR:
		if (__builtin_add_overflow((int64_t)f->pos, off, &pos))
			return -EOVERFLOW;
		break;
	case SEEK_END:
		if (__builtin_add_overflow(size, off, &pos))
			return -EOVERFLOW;
		break;
	case SEEK_DATA:
		if (off < 0 || off >= size)
			return -ENXIO;
		pos = off;
		break;
	case SEEK_HOLE:
		if (off < 0 || off >= size)
			return -ENXIO;
		pos = size;
		break;
	default:
		return -EINVAL;
	}
	if (pos < 0)
		return -EINVAL;
	f->pos = (uint64_t)pos;
	return pos;
}

static int check_read(struct file *f)
{
	if (!(f->fmode & FMODE_READ))
		return -EBADF;
	if (f->inode && S_ISDIR(f->inode->mode))
		return -EISDIR;
	if (!f->ops || !f->ops->read)
		return -EINVAL;
	return 0;
}

static int check_write(struct file *f)
{
	if (!(f->fmode & FMODE_WRITE))
		return -EBADF;
	if (!f->ops || !f->ops->write)
		return -EINVAL;
	return 0;
}

/* inotify's IN_ACCESS/IN_MODIFY after a transfer that moved data. */
static ssize_t notify_rw(struct file *f, ssize_t ret, uint32_t mask)
{
	if (ret > 0 && f->path.dentry && fsnotify_active())
		fsnotify_parent(f->path.dentry, mask);
	return ret;
}

ssize_t vfs_read(struct task *t, struct file *f, void *buf, size_t size)
{
	int ret = check_read(f);

	if (ret < 0)
		return ret;
	return notify_rw(f, f->ops->read(t, f, buf, size, &f->pos), IN_ACCESS);
}

ssize_t vfs_read_uio(struct task *t, struct file *f, struct uio *u)
{
	int ret = check_read(f);

	if (ret < 0)
		return ret;
	return notify_rw(f, f->ops->read_uio(t, f, u), IN_ACCESS);
}

ssize_t vfs_write_uio(struct task *t, struct file *f, struct uio *u)
{
	int ret = check_write(f);

	if (ret < 0)
		return ret;
	return notify_rw(f, f->ops->write_uio(t, f, u), IN_MODIFY);
}

ssize_t vfs_write(struct task *t, struct file *f, const void *buf, size_t size)
{
	int ret = check_write(f);

	if (ret < 0)
		return ret;
	if ((f->flags & O_APPEND) && f->inode && S_ISREG(f->inode->mode))
		f->pos = f->inode->size;
	return notify_rw(f, f->ops->write(t, f, buf, size, &f->pos), IN_MODIFY);
}

ssize_t vfs_pread(struct task *t, struct file *f, void *buf, size_t size, uint64_t off)
{
	int ret = check_read(f);

	if (ret < 0)
		return ret;
	if (!(f->fmode & FMODE_PREAD))
		return -ESPIPE;
	return notify_rw(f, f->ops->read(t, f, buf, size, &off), IN_ACCESS);
}

ssize_t vfs_pwrite(struct task *t, struct file *f, const void *buf, size_t size, uint64_t off)
{
	int ret = check_write(f);

	if (ret < 0)
		return ret;
	if (!(f->fmode & FMODE_PREAD))
		return -ESPIPE;
	/* Linux appends even for pwrite on an O_APPEND file. */
	if ((f->flags & O_APPEND) && f->inode && S_ISREG(f->inode->mode))
		off = f->inode->size;
	return notify_rw(f, f->ops->write(t, f, buf, size, &off), IN_MODIFY);
}

ssize_t vfs_write_iov(struct task *t, struct file *f, const struct iovec *iov, int cnt,
		      size_t size, const uint64_t *off)
{
	bool append = (f->flags & O_APPEND) && f->inode && S_ISREG(f->inode->mode);
	int ret = check_write(f);
	uint64_t at;

	if (ret < 0)
		return ret;
	if (!off) {
		if (append)
			f->pos = f->inode->size;
		return notify_rw(f, f->ops->write_iov(t, f, iov, cnt, size, &f->pos), IN_MODIFY);
	}
	if (!(f->fmode & FMODE_PREAD))
		return -ESPIPE;
	at = append ? f->inode->size : *off; /* as vfs_pwrite */
	return notify_rw(f, f->ops->write_iov(t, f, iov, cnt, size, &at), IN_MODIFY);
}

int64_t vfs_lseek(struct file *f, int64_t off, int whence)
{
	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (!(f->fmode & FMODE_LSEEK))
		return -ESPIPE;
	if (f->ops && f->ops->llseek)
		return f->ops->llseek(f, off, whence);
	return generic_llseek(f, off, whence);
}

int vfs_fstat(struct file *f, struct kstat *st)
{
	if (f->path.dentry)
		return vfs_getattr(f->path.dentry, st);
	if (f->ops && f->ops->stat)
		return f->ops->stat(f, st);
	return -EBADF;
}

unsigned vfs_poll(struct task *t, struct file *f, struct waitq **wq)
{
	*wq = NULL;
	if (f->fmode & FMODE_PATH)
		return POLLNVAL;
	if (f->ops && f->ops->poll)
		return f->ops->poll(t, f, wq);
	return POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;
}

int file_set_status_flags(struct file *f, int flags)
{
	const int settable = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

	if (f->fmode & FMODE_PATH)
		return -EBADF;
	f->flags = (f->flags & ~settable) | (flags & settable);
	return 0;
}

long file_generic_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	int avail;

	if (cmd != FIONREAD || !f->inode || !S_ISREG(f->inode->mode))
		return -ENOTTY;
	avail = f->pos >= f->inode->size ? 0 : (int)MIN(f->inode->size - f->pos, INT32_MAX);
	return copy_to_user(t, uaddr(arg), &avail, sizeof(avail));
}

long vfs_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (f->ops && f->ops->ioctl)
		return f->ops->ioctl(t, f, cmd, arg);
	return file_generic_ioctl(t, f, cmd, arg);
}

int vfs_fsync(struct file *f)
{
	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (f->ops && f->ops->fsync)
		return f->ops->fsync(f);
	return 0; /* in-memory files: nothing to flush */
}

ssize_t file_pread_kernel(struct file *f, void *buf, size_t size, uint64_t off)
{
	size_t done = 0;

	if (!f->ops || !f->ops->read || (f->fmode & FMODE_PATH))
		return -EBADF;
	while (done < size) {
		uint64_t pos = off + done;
		ssize_t n = f->ops->read(NULL, f, (char *)buf + done, size - done, &pos);

		if (n < 0)
			return done ? (ssize_t)done : n;
		if (n == 0)
			break;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

int file_stat_size(struct file *f, uint64_t *size, bool *is_regular)
{
	struct kstat st;
	int ret = vfs_fstat(f, &st);

	if (ret < 0)
		return ret;
	*size = st.size;
	*is_regular = S_ISREG(st.mode);
	return 0;
}
