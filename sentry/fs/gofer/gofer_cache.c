/* gofer_cache.c: the page cache of gofer files, in the memory file. Every mapping of a file
 * (shared or private, in any process) uses its pages, so libraries cost their memory once
 * per sandbox and shared mappings see each other. read(2) and write(2) through the Sentry
 * stay coherent with it; pages written through writable shared mappings (dirty) go to the
 * host on msync, fsync and the last unmap, after which the pages are dropped. Changes the
 * host makes to a cached page are not seen until then (the overlay's lower layer never
 * changes; a read-write bind mount shares this with Linux's 9p in cache=loose mode). */
#include "sentry/fs/gofer/gofer.h"

#include <errno.h>
#include <string.h>

#include "sentry/mm/mm.h"

/* shm_backing.fill: one page of the file, zeros past its end. */
static int cache_fill(void *arg, uint64_t off, void *dst)
{
	struct inode *inode = arg;
	ssize_t n = gofer_pread(inode, dst, PAGE_SIZE, off);

	if (n < 0)
		return (int)n;
	memset((char *)dst + n, 0, PAGE_SIZE - (size_t)n);
	return 0;
}

struct wb_state {
	struct inode *inode;
	struct shm_obj *obj;
	int err;
};

static int write_page(void *arg, uint64_t key, uint64_t one)
{
	struct wb_state *s = arg;
	struct gofer_inode *gi = s->inode->priv;
	uint64_t val = pmap_get(&s->obj->pages, key), done = 0, len;

	if (!val || key >= s->obj->size)
		return 0;
	len = MIN(PAGE_SIZE, s->obj->size - key);
	while (done < len) {
		ssize_t n = p9c_write(gofer_fs(s->inode->sb)->c, gi->write_fid, key + done,
				      (char *)memfile_ptr(val - 1) + done, (uint32_t)(len - done));
		if (n <= 0) {
			s->err = n < 0 ? (int)n : -EIO;
			return 0; /* the others may still go */
		}
		done += (uint64_t)n;
	}
	return 0;
}

/* shm_backing.writeback. Dirty pages stay marked: they are still mapped writable and may
 * be written again without a fault, so each sync writes them all. */
static int cache_writeback(void *arg, struct shm_obj *o)
{
	struct wb_state s = {arg, o, 0};
	int ret;

	if (!o->dirty.root)
		return 0;
	ret = gofer_open_write_fid(s.inode);
	if (ret < 0)
		return ret;
	pmap_for_each(&o->dirty, 0, PMAP_KEY_LIMIT, write_page, &s);
	return s.err;
}

static const struct shm_backing g_gofer_backing = {
	.fill = cache_fill,
	.writeback = cache_writeback,
};

struct shm_obj *gofer_page_cache(struct file *f)
{
	struct inode *inode = f->inode;
	struct gofer_inode *gi = inode->priv;

	if (!S_ISREG(inode->mode) || gi->open_fid == P9_NOFID)
		return NULL;
	if (!gi->cache) {
		gi->cache = shm_obj_new(inode->size);
		gi->cache->backing = &g_gofer_backing;
		gi->cache->backing_arg = inode;
	}
	return gi->cache;
}

struct shm_obj *gofer_page_cache_now(struct file *f)
{
	struct gofer_inode *gi = f->inode->priv;

	return S_ISREG(f->inode->mode) ? gi->cache : NULL;
}

struct shm_obj *gofer_take_page_cache(struct file *f)
{
	struct gofer_inode *gi = f->inode->priv;
	struct shm_obj *obj = gi->cache;

	if (!obj || obj->refs <= 1)
		return NULL; /* no mapping: a plain copy will do */
	for (uint64_t off = 0; off < obj->size; off += PAGE_SIZE)
		if (shm_obj_page(obj, off) < 0)
			return NULL;
	obj->backing = NULL;
	obj->backing_arg = NULL;
	gi->cache = NULL;
	return obj;
}

ssize_t gofer_cache_read(struct inode *inode, void *buf, size_t size, uint64_t off)
{
	struct shm_obj *o = ((struct gofer_inode *)inode->priv)->cache;
	size_t done = 0;

	while (done < size) {
		uint64_t at = off + done, in = at & (PAGE_SIZE - 1);
		uint64_t v = pmap_get(&o->pages, at - in);
		size_t chunk;
		ssize_t n;

		if (!v) {
			/* Host reads up to the next cached page. */
			chunk = PAGE_SIZE - in;
			while (done + chunk < size && chunk < (1u << 20) &&
			       !pmap_get(&o->pages, at + chunk))
				chunk += PAGE_SIZE;
			chunk = MIN(chunk, size - done);
			n = gofer_pread(inode, (char *)buf + done, chunk, at);
			if (n < 0)
				return done ? (ssize_t)done : n;
			done += (size_t)n;
			if ((size_t)n < chunk)
				break;
			continue;
		}
		if (at >= o->size)
			break;
		chunk = MIN(MIN(size - done, PAGE_SIZE - in), o->size - at);
		memcpy((char *)buf + done, (char *)memfile_ptr(v - 1) + in, chunk);
		done += chunk;
	}
	return (ssize_t)done;
}

void gofer_cache_wrote(struct inode *inode, const void *buf, size_t size, uint64_t off)
{
	struct shm_obj *o = ((struct gofer_inode *)inode->priv)->cache;
	size_t done = 0;

	if (!o)
		return;
	if (off + size > o->size)
		o->size = off + size;
	while (done < size) {
		uint64_t at = off + done, in = at & (PAGE_SIZE - 1);
		size_t chunk = MIN(size - done, PAGE_SIZE - in);
		uint64_t v = pmap_get(&o->pages, at - in);

		if (v)
			memcpy((char *)memfile_ptr(v - 1) + in, (const char *)buf + done, chunk);
		done += chunk;
	}
}

int gofer_cache_sync(struct inode *inode)
{
	struct shm_obj *o = ((struct gofer_inode *)inode->priv)->cache;

	return o ? shm_obj_writeback(o) : 0;
}

void gofer_cache_resized(struct inode *inode)
{
	struct shm_obj *o = ((struct gofer_inode *)inode->priv)->cache;

	if (o && o->size != inode->size)
		shm_obj_resize(o, inode->size);
}

void gofer_cache_release(struct inode *inode)
{
	struct gofer_inode *gi = inode->priv;

	if (!gi->cache)
		return;
	(void)shm_obj_writeback(gi->cache);
	gi->cache->backing = NULL;
	gi->cache->backing_arg = NULL;
	shm_obj_put(gi->cache);
	gi->cache = NULL;
}
