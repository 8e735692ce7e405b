/* tmpfs_file.c: tmpfs regular file data (read, write, truncate) and symlink targets. */
#include "sentry/fs/tmpfs/tmpfs.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sentry/kernel/task.h"

static struct tmpfs_sb *tsb(struct inode *inode)
{
	return inode->sb->priv;
}

static void update_blocks(struct inode *inode)
{
	struct tmpfs_data *data = inode->priv;
	uint64_t stored = MIN((uint64_t)data->cap, inode->size);

	inode->blocks = ALIGN_UP(stored, 4096ULL) / 512;
}

/* Make cap at least need bytes; new bytes are zero. */
static int data_reserve(struct inode *inode, uint64_t need)
{
	struct tmpfs_data *data = inode->priv;
	uint64_t cap = data->cap;
	char *buf;

	if (need <= cap)
		return 0;
	cap = MAX(need, MIN(cap * 2, need + (64ULL << 20)));
	cap = ALIGN_UP(cap, 4096ULL);
	buf = realloc(data->buf, cap);
	if (!buf)
		return -ENOSPC;
	memset(buf + data->cap, 0, cap - data->cap);
	tsb(inode)->used_bytes += cap - data->cap;
	data->buf = buf;
	data->cap = cap;
	return 0;
}

int tmpfs_set_size(struct inode *inode, uint64_t size)
{
	struct tmpfs_data *data = inode->priv;

	if (size > TMPFS_MAX_FILE_SIZE)
		return -EFBIG;
	if (size < data->cap) {
		/* Keep the invariant that stored bytes past the size are zero; give back
		 * memory when shrinking a lot. */
		if (size + (1 << 20) < data->cap) {
			size_t cap = ALIGN_UP(size, 4096ULL);
			char *buf = cap ? realloc(data->buf, cap) : NULL;

			if (cap && !buf)
				return -ENOSPC;
			if (!cap)
				free(data->buf);
			tsb(inode)->used_bytes -= data->cap - cap;
			data->buf = buf;
			data->cap = cap;
		}
		if (size < data->cap)
			memset(data->buf + size, 0, data->cap - size);
	}
	inode->size = size;
	update_blocks(inode);
	return 0;
}

static void touch_atime(struct file *f)
{
	struct inode *inode = f->inode;
	struct timespec now;

	if (f->flags & O_NOATIME)
		return;
	/* relatime: only when atime is older than mtime/ctime or a day old. */
	vfs_now(&now);
	if (inode->atime.tv_sec <= inode->mtime.tv_sec ||
	    inode->atime.tv_sec <= inode->ctime.tv_sec || now.tv_sec - inode->atime.tv_sec > 86400)
		inode->atime = now;
}

static ssize_t tmpfs_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	struct inode *inode = f->inode;
	struct tmpfs_data *data = inode->priv;
	uint64_t off = *pos, n, stored;

	if (off >= inode->size || size == 0) {
		touch_atime(f);
		return 0;
	}
	n = MIN(size, inode->size - off);
	stored = off < data->cap ? MIN(n, data->cap - off) : 0;
	if (stored)
		memcpy(buf, data->buf + off, stored);
	memset((char *)buf + stored, 0, n - stored);
	*pos = off + n;
	touch_atime(f);
	return (ssize_t)n;
}

static ssize_t tmpfs_write(struct task *t, struct file *f, const void *buf, size_t size,
			   uint64_t *pos)
{
	struct inode *inode = f->inode;
	struct tmpfs_data *data;
	uint64_t off = *pos, end;
	int ret;

	if (size == 0)
		return 0;
	if (__builtin_add_overflow(off, size, &end) || end > TMPFS_MAX_FILE_SIZE) {
		if (off >= TMPFS_MAX_FILE_SIZE)
			return -EFBIG;
		end = TMPFS_MAX_FILE_SIZE;
		size = end - off;
	}
	ret = data_reserve(inode, end);
	if (ret < 0)
		return ret;
	data = inode->priv;
	memcpy(data->buf + off, buf, size);
	if (end > inode->size)
		inode->size = end;
	update_blocks(inode);
	inode_touch(inode, VA_MTIME | VA_CTIME);
	/* A write without CAP_FSETID drops set-user-ID (and set-group-ID with group exec). */
	if ((inode->mode & (S_ISUID | S_ISGID)) && t && t->creds.fsuid != 0) {
		inode->mode &= ~S_ISUID;
		if (inode->mode & S_IXGRP)
			inode->mode &= ~S_ISGID;
	}
	*pos = end;
	return (ssize_t)size;
}

const struct file_ops g_tmpfs_reg_fops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
};

ssize_t tmpfs_readlink(struct dentry *d, char *buf, size_t size)
{
	const char *target = d->inode->priv;
	size_t len = strlen(target);

	if (len > size)
		len = size;
	memcpy(buf, target, len);
	return (ssize_t)len;
}

void tmpfs_evict(struct inode *inode)
{
	if (S_ISREG(inode->mode) && inode->priv) {
		struct tmpfs_data *data = inode->priv;

		tsb(inode)->used_bytes -= data->cap;
		free(data->buf);
	}
	free(inode->priv);
	tsb(inode)->inodes--;
}
