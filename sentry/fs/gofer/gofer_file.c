/* gofer_file.c: reading gofer files: through the donated host fd when there is one, else
 * with 9P Tread on the inode's read fid (the page cache first, when mapped). */
#include "sentry/fs/gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "sentry/kernel/sched.h"

#define GOFER_READ_CHUNK (64 * 1024)

int gofer_inode_open(struct inode *inode)
{
	struct gofer_fs *fs = gofer_fs(inode->sb);
	struct gofer_inode *gi = inode->priv;
	uint32_t fid;
	int ret;

	if (gi->open_fid != P9_NOFID)
		return 0;
	fid = p9c_fid_alloc(fs->c);
	ret = p9c_walk(fs->c, gi->fid, fid, 0, NULL, NULL, NULL);
	if (ret < 0) {
		p9c_clunk(fs->c, fid); /* frees the number; the server's error is expected */
		return ret;
	}
	ret = p9c_lopen(fs->c, fid, O_RDONLY, NULL, &gi->iounit, &gi->hostfd);
	if (ret < 0) {
		p9c_clunk(fs->c, fid);
		return ret;
	}
	gi->open_fid = fid;
	return 0;
}

ssize_t gofer_pread(struct inode *inode, void *buf, size_t size, uint64_t off)
{
	struct gofer_inode *gi = inode->priv;
	struct gofer_fs *fs = gofer_fs(inode->sb);
	size_t done = 0;
	ssize_t n;

	while (done < size) {
		size_t chunk = MIN(size - done, GOFER_READ_CHUNK);

		if (gi->hostfd >= 0) {
			n = pread(gi->hostfd, (char *)buf + done, chunk, (off_t)(off + done));
			if (n < 0)
				n = -errno;
		} else {
			if (gi->iounit)
				chunk = MIN(chunk, gi->iounit);
			n = p9c_read(fs->c, gi->open_fid, off + done, (char *)buf + done,
				     (uint32_t)chunk);
		}
		if (n < 0) {
			if (done)
				break;
			return n;
		}
		if (n == 0)
			break;
		done += (size_t)n;
		if ((size_t)n < chunk)
			break; /* end of file */
	}
	return (ssize_t)done;
}

bool gofer_unlock(void)
{
	if (!kernel_lock_held())
		return false;
	kernel_unlock();
	return true;
}

void gofer_relock(bool dropped)
{
	if (dropped)
		kernel_lock();
}

ssize_t gofer_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	struct gofer_inode *gi = f->inode->priv;
	bool dropped = false;
	ssize_t n;

	if (gi->cache) {
		n = gofer_cache_read(f->inode, buf, size, *pos);
	} else {
		/* A pread's offset is its own and buf is the syscall's: nothing shared is touched
		 * (the open file holds the inode, its fids and host fd). read(2) keeps the lock,
		 * so the file position moves atomically as Linux's f_pos_lock makes it. */
		if (t && pos != &f->pos)
			dropped = gofer_unlock();
		n = gofer_pread(f->inode, buf, size, *pos);
		gofer_relock(dropped);
	}

	if (n > 0)
		*pos += (uint64_t)n;
	return n;
}

const struct file_ops g_gofer_reg_fops = {
	.read = gofer_read,
	.page_cache = gofer_page_cache,
	.page_cache_now = gofer_page_cache_now,
	.take_page_cache = gofer_take_page_cache,
};
