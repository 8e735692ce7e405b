/* gofer_file.c: reading gofer files: through the donated host fd when there is one, else
 * with 9P Tread on the inode's read fid; and their page caches for mmap. */
#include "sentry/fs/gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sentry/mm/mm.h"

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

/* Read up to size bytes at off from the file: the donated host fd, else 9P Tread. */
static ssize_t gofer_pread(struct inode *inode, void *buf, size_t size, uint64_t off)
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

ssize_t gofer_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	ssize_t n = gofer_pread(f->inode, buf, size, *pos);

	if (n > 0)
		*pos += (uint64_t)n;
	return n;
}

/* shm_obj fill: one page of the file, zeros past its end. */
static int cache_fill(void *arg, uint64_t off, void *dst)
{
	struct inode *inode = arg;
	ssize_t n = gofer_pread(inode, dst, PAGE_SIZE, off);

	if (n < 0)
		return (int)n;
	memset((char *)dst + n, 0, PAGE_SIZE - (size_t)n);
	return 0;
}

/* One page cache per file, so every mapping of it (shared or private, in any process)
 * uses the same memory-file pages: libraries cost their memory once per sandbox. */
static struct shm_obj *gofer_page_cache(struct file *f)
{
	struct inode *inode = f->inode;
	struct gofer_inode *gi = inode->priv;

	if (!S_ISREG(inode->mode) || gi->open_fid == P9_NOFID)
		return NULL;
	if (!gi->cache) {
		gi->cache = shm_obj_new(inode->size);
		gi->cache->fill = cache_fill;
		gi->cache->fill_arg = inode;
	}
	return gi->cache;
}

static struct shm_obj *gofer_take_page_cache(struct file *f)
{
	struct gofer_inode *gi = f->inode->priv;
	struct shm_obj *obj = gi->cache;

	if (!obj || obj->refs <= 1)
		return NULL; /* no mapping: a plain copy will do */
	for (uint64_t off = 0; off < obj->size; off += PAGE_SIZE)
		if (shm_obj_page(obj, off) < 0)
			return NULL;
	obj->fill = NULL;
	obj->fill_arg = NULL;
	gi->cache = NULL;
	return obj;
}

void gofer_cache_release(struct gofer_inode *gi)
{
	if (!gi->cache)
		return;
	gi->cache->fill = NULL;
	shm_obj_put(gi->cache);
	gi->cache = NULL;
}

const struct file_ops g_gofer_reg_fops = {
	.read = gofer_read,
	.page_cache = gofer_page_cache,
	.take_page_cache = gofer_take_page_cache,
};
