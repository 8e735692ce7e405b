/* tmpfs_file.c: tmpfs regular file data (read, write, truncate, fallocate) and symlink
 * targets. */
#include "sentry/fs/tmpfs/tmpfs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/falloc.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"

static struct tmpfs_sb *tsb(struct inode *inode)
{
	return inode->sb->priv;
}

/* Pages held are counted by the page map itself: a write must not walk the whole file. */
static void update_blocks(struct inode *inode)
{
	struct tmpfs_data *data = inode->priv;

	inode->blocks = data->obj->pages.count * (PAGE_SIZE / 512);
}

static int drop_page(void *arg, uint64_t key, uint64_t val)
{
	struct inode *inode = arg;

	memfile_put_keep(val - 1); /* its bytes are gone for good: a rewrite may reuse it */
	tsb(inode)->used_bytes -= PAGE_SIZE;
	return 0;
}

int tmpfs_set_size(struct inode *inode, uint64_t size)
{
	struct tmpfs_data *data = inode->priv;
	struct shm_obj *obj = data->obj;

	if (size > TMPFS_MAX_FILE_SIZE)
		return -EFBIG;
	if (size < inode->size) {
		/* Pages past the new end go back to the host, out of every mapping too
		 * (touching them raises SIGBUS); the tail of the last page is zeroed so a
		 * later extension reads zeros. */
		uint64_t tail = size & (PAGE_SIZE - 1), v;
		obj->size = size;
		pmap_clear(&obj->pages, ALIGN_UP(size, PAGE_SIZE), PMAP_KEY_LIMIT, drop_page, inode);
		mm_shm_truncate(obj, size);
		if (tail && (v = pmap_get(&obj->pages, ALIGN_DOWN(size, PAGE_SIZE))))
			memset((char *)memfile_ptr(v - 1) + tail, 0, PAGE_SIZE - tail);
	}
	inode->size = size;
	obj->size = size;
	update_blocks(inode);
	return 0;
}

static ssize_t tmpfs_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	struct inode *inode = f->inode;
	struct tmpfs_data *data = inode->priv;
	uint64_t off = *pos, n, done = 0;

	if (off >= inode->size || size == 0) {
		file_touch_atime(f);
		return 0;
	}
	n = MIN(size, inode->size - off);
	while (done < n) {
		uint64_t at = off + done, in = at & (PAGE_SIZE - 1);
		uint64_t chunk = MIN(n - done, PAGE_SIZE - in);
		uint64_t v = pmap_get(&data->obj->pages, at - in);
		if (v)
			memcpy((char *)buf + done, (char *)memfile_ptr(v - 1) + in, chunk);
		else
			memset((char *)buf + done, 0, chunk);
		done += chunk;
	}
	*pos = off + n;
	file_touch_atime(f);
	return (ssize_t)n;
}

/* What a write copies from, consumed in order: segments of Sentry memory (a bounce
 * buffer, or the Sentry's view of pinned application pages). */
struct src {
	const struct iovec *iov;
	int cnt, idx;
	size_t off; /* into iov[idx] */
};

/* Move s past size bytes, copying them to dst (the Sentry's view of a file page) unless
 * dst is NULL. memmove: the source may be that very page, mapped by the application. */
static void src_take(struct src *s, char *dst, size_t size)
{
	while (size > 0) {
		const struct iovec *v = &s->iov[s->idx];
		size_t step = MIN(size, v->iov_len - s->off);

		if (dst) {
			memmove(dst, (const char *)v->iov_base + s->off, step);
			dst += step;
		}
		size -= step;
		s->off += step;
		if (s->off == v->iov_len) {
			s->idx++;
			s->off = 0;
		}
	}
}

/* Up to max segments of the next size bytes of s into vec; returns how many, *got the
 * bytes they hold. s does not move. */
static int src_peek(const struct src *s, size_t size, struct iovec *vec, int max, size_t *got)
{
	size_t off = s->off;
	int n = 0;

	*got = 0;
	for (int i = s->idx; n < max && *got < size && i < s->cnt; i++, off = 0) {
		size_t step = MIN(size - *got, s->iov[i].iov_len - off);

		vec[n++] = (struct iovec){(char *)s->iov[i].iov_base + off, step};
		*got += step;
	}
	return n;
}

/*
 * Pages a write just allocated, contiguous in the memory file, are filled with pwritev on
 * the file instead of stores through the Sentry's own view, each of which would fault
 * (allocation, zeroing, a PTE; 61% of a 64 MiB write went to those faults). Their bytes
 * are the next len bytes of the source.
 */
struct fresh_run {
	int64_t at; /* memory-file offset of the run's first byte */
	size_t len;
};

#define FRESH_SEGS 64

static void fresh_flush(struct fresh_run *r, struct src *s)
{
	while (r->len > 0) {
		struct iovec vec[FRESH_SEGS];
		size_t size, ok;
		int n = src_peek(s, r->len, vec, FRESH_SEGS, &size);
		ssize_t w;

		if (size == 0) { /* the source is shorter than the run: never, as callers count */
			memset(memfile_ptr((uint64_t)r->at), 0, r->len); /* no old bytes shown */
			break;
		}
		w = pwritev(memfile_fd(), vec, n, r->at);

		/* Refused or short (never expected): the rest through the view. */
		ok = w > 0 ? (size_t)w : 0;
		src_take(s, NULL, ok);
		src_take(s, (char *)memfile_ptr((uint64_t)r->at) + ok, size - ok);
		r->at += (int64_t)size;
		r->len -= size;
	}
}

/* Copy size bytes from s into the file's pages at off, allocating them. Returns bytes
 * copied (fewer when memory runs out) or -ENOSPC. */
static ssize_t data_write(struct inode *inode, struct src *s, size_t size, uint64_t off)
{
	struct tmpfs_data *data = inode->priv;
	struct fresh_run run = {0};
	size_t done = 0;

	while (done < size) {
		uint64_t at = off + done, in = at & (PAGE_SIZE - 1);
		uint64_t chunk = MIN(size - done, PAGE_SIZE - in);
		bool fresh = !pmap_get(&data->obj->pages, at - in);
		int64_t page;
		if (fresh && tsb(inode)->max_bytes &&
		    tsb(inode)->used_bytes + PAGE_SIZE > tsb(inode)->max_bytes)
			break;
		/* A page written whole (here, before the lock goes) need not start zeroed. */
		if (chunk == PAGE_SIZE)
			page = shm_obj_page_overwrite(data->obj, at);
		else
			page = shm_obj_page(data->obj, at - in);
		if (page < 0)
			break;
		done += chunk;
		if (!fresh) {
			/* The pending run's bytes come first in the source. */
			fresh_flush(&run, s);
			src_take(s, (char *)memfile_ptr((uint64_t)page) + in, chunk);
			continue;
		}
		tsb(inode)->used_bytes += PAGE_SIZE;
		if (run.len && run.at + (int64_t)run.len == page + (int64_t)in) {
			run.len += chunk;
			continue;
		}
		fresh_flush(&run, s);
		run = (struct fresh_run){page + (int64_t)in, chunk};
	}
	fresh_flush(&run, s);
	return done ? (ssize_t)done : -ENOSPC;
}

static ssize_t tmpfs_write_src(struct task *t, struct file *f, struct src *s, size_t size,
			       uint64_t *pos)
{
	struct inode *inode = f->inode;
	struct tmpfs_data *data;
	uint64_t off = *pos, end;
	ssize_t ret;

	if (size == 0)
		return 0;
	if (__builtin_add_overflow(off, size, &end) || end > TMPFS_MAX_FILE_SIZE) {
		if (off >= TMPFS_MAX_FILE_SIZE)
			return -EFBIG;
		end = TMPFS_MAX_FILE_SIZE;
		size = end - off;
	}
	ret = data_write(inode, s, size, off);
	if (ret < 0)
		return ret;
	size = (size_t)ret;
	end = off + size;
	data = inode->priv;
	if (end > inode->size) {
		inode->size = end;
		data->obj->size = end;
	}
	update_blocks(inode);
	inode_touch(inode, VA_MTIME | VA_CTIME);
	/* A write without CAP_FSETID drops set-user-ID (and set-group-ID with group exec). */
	if ((inode->mode & (S_ISUID | S_ISGID)) && t && !caps_capable(t, CAP_FSETID)) {
		inode->mode &= ~S_ISUID;
		if (inode->mode & S_IXGRP)
			inode->mode &= ~S_ISGID;
	}
	*pos = end;
	return (ssize_t)size;
}

static ssize_t tmpfs_write(struct task *t, struct file *f, const void *buf, size_t size,
			   uint64_t *pos)
{
	struct iovec v = {(void *)buf, size};
	struct src s = {&v, 1, 0, 0};

	return tmpfs_write_src(t, f, &s, size, pos);
}

static ssize_t tmpfs_write_iov(struct task *t, struct file *f, const struct iovec *iov, int cnt,
			       size_t size, uint64_t *pos)
{
	struct src s = {iov, cnt, 0, 0};

	return tmpfs_write_src(t, f, &s, size, pos);
}

struct shm_obj *tmpfs_page_cache(struct inode *inode)
{
	return S_ISREG(inode->mode) && inode->priv ? ((struct tmpfs_data *)inode->priv)->obj
						  : NULL;
}

static struct shm_obj *tmpfs_file_page_cache(struct file *f)
{
	return tmpfs_page_cache(f->inode);
}

/* The file's data becomes obj's pages (an overlay copy-up of a mapped lower file). */
static int tmpfs_adopt_page_cache(struct file *f, struct shm_obj *obj)
{
	struct inode *inode = f->inode;
	struct tmpfs_data *data = inode->priv;

	if (!S_ISREG(inode->mode) || !data || obj->size > TMPFS_MAX_FILE_SIZE)
		return -EINVAL;
	tsb(inode)->used_bytes += (obj->pages.count - data->obj->pages.count) * PAGE_SIZE;
	shm_obj_put(data->obj);
	data->obj = obj;
	inode->size = obj->size;
	update_blocks(inode);
	return 0;
}

static int count_page(void *arg, uint64_t key, uint64_t val)
{
	(*(uint64_t *)arg)++;
	return 0;
}

/* Give every page of [off, end) memory (zeroed). ENOSPC before any is allocated when the
 * range would pass the mount's size= or what the host could ever commit; pages allocated
 * before a later failure of the memory file stay (zeros, counted in st_blocks). */
static int tmpfs_allocate(struct inode *inode, uint64_t off, uint64_t end)
{
	struct tmpfs_data *data = inode->priv;
	uint64_t first = ALIGN_DOWN(off, PAGE_SIZE), last = ALIGN_UP(end, PAGE_SIZE);
	uint64_t have = 0, need;

	pmap_for_each(&data->obj->pages, first, last, count_page, &have);
	need = (last - first) - have * PAGE_SIZE;
	if (tsb(inode)->max_bytes && tsb(inode)->used_bytes + need > tsb(inode)->max_bytes)
		return -ENOSPC;
	if (!memfile_may_commit(need))
		return -ENOSPC;
	for (uint64_t at = first; at < last; at += PAGE_SIZE) {
		if (pmap_get(&data->obj->pages, at))
			continue;
		if (shm_obj_page(data->obj, at) < 0)
			return -ENOSPC;
		tsb(inode)->used_bytes += PAGE_SIZE;
	}
	return 0;
}

/* Zero [off, end) of the page at page_off if it has memory. */
static void zero_part(struct inode *inode, uint64_t page_off, uint64_t off, uint64_t end)
{
	struct tmpfs_data *data = inode->priv;
	uint64_t v = pmap_get(&data->obj->pages, page_off);

	if (v && end > off)
		memset((char *)memfile_ptr(v - 1) + (off - page_off), 0, end - off);
}

/* A hole over [off, end): whole pages go back to the host and out of every mapping;
 * the partial pages at the edges are zeroed in place. */
static void tmpfs_punch(struct inode *inode, uint64_t off, uint64_t end)
{
	struct tmpfs_data *data = inode->priv;
	uint64_t first = ALIGN_UP(off, PAGE_SIZE), last = ALIGN_DOWN(end, PAGE_SIZE);

	if (first > last) { /* inside one page */
		zero_part(inode, last, off, end);
		return;
	}
	zero_part(inode, ALIGN_DOWN(off, PAGE_SIZE), off, first);
	zero_part(inode, last, last, end);
	if (first < last)
		mm_shm_punch(data->obj, first, last, drop_page, inode);
}

/* Linux's shmem_fallocate: allocation (KEEP_SIZE or growing) and PUNCH_HOLE; every other
 * mode (ZERO_RANGE, COLLAPSE_RANGE, INSERT_RANGE, UNSHARE_RANGE) is EOPNOTSUPP. */
static int tmpfs_fallocate(struct task *t, struct file *f, int mode, uint64_t off,
			   uint64_t len)
{
	struct inode *inode = f->inode;
	struct tmpfs_data *data = inode->priv;
	uint64_t end = off + len;
	int ret;

	if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))
		return -EOPNOTSUPP;
	if (mode & FALLOC_FL_PUNCH_HOLE) {
		tmpfs_punch(inode, off, end);
		update_blocks(inode);
		inode_touch(inode, VA_MTIME | VA_CTIME);
		return 0;
	}
	/* RLIMIT_FSIZE counts even with KEEP_SIZE, as shmem's inode_newsize_ok. */
	ret = vfs_fsize_check(t, inode->size, end);
	if (ret == 0 && end > TMPFS_MAX_FILE_SIZE)
		ret = -EFBIG;
	if (ret == 0)
		ret = tmpfs_allocate(inode, off, end);
	update_blocks(inode);
	if (ret < 0)
		return ret;
	if (!(mode & FALLOC_FL_KEEP_SIZE) && end > inode->size) {
		inode->size = end;
		data->obj->size = end;
	}
	inode_touch(inode, VA_CTIME);
	return 0;
}

const struct file_ops g_tmpfs_reg_fops = {
	.read = tmpfs_read,
	.write = tmpfs_write,
	.write_iov = tmpfs_write_iov,
	.page_cache = tmpfs_file_page_cache,
	.adopt_page_cache = tmpfs_adopt_page_cache,
	.fallocate = tmpfs_fallocate,
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

		tsb(inode)->used_bytes -= data->obj->pages.count * PAGE_SIZE;
		/* Mappings may still hold the object; its pages go with the last of them. */
		shm_obj_put(data->obj);
	}
	free(inode->priv);
	tmpfs_xattrs_free(inode);
	tsb(inode)->inodes--;
}
