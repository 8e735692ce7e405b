/* shm.c: shared memory objects: pages that every mapping of the object (across fork) sees,
 * keyed by offset. They hold shared anonymous memory, tmpfs file data and the page caches
 * of gofer files. */
#include "sentry/mm/mm.h"

#include <errno.h>
#include <string.h>

static int put_page(void *arg, uint64_t key, uint64_t val)
{
	memfile_put(val - 1);
	return 0;
}

struct shm_obj *shm_obj_new(uint64_t size)
{
	struct shm_obj *o = xcalloc(1, sizeof(*o));

	o->refs = 1;
	o->size = size;
	pmap_init(&o->pages);
	pmap_init(&o->dirty);
	return o;
}

void shm_obj_get(struct shm_obj *o)
{
	o->refs++;
}

void shm_obj_put(struct shm_obj *o)
{
	if (--o->refs > 0) {
		/* The last mapping of a cache went away: write it back and give its pages
		 * back to the host (pages that private mappings still use keep their own
		 * references). A failed write-back is lost, as Linux loses it after close. */
		if (o->refs == 1 && o->backing) {
			(void)shm_obj_writeback(o);
			shm_obj_drop_from(o, 0);
		}
		return;
	}
	pmap_destroy(&o->pages, put_page, NULL);
	pmap_destroy(&o->dirty, NULL, NULL);
	free(o);
}

void shm_obj_drop_from(struct shm_obj *o, uint64_t off)
{
	pmap_clear(&o->pages, off, PMAP_KEY_LIMIT, put_page, NULL);
	pmap_clear(&o->dirty, off, PMAP_KEY_LIMIT, NULL, NULL);
}

void shm_obj_mark_dirty(struct shm_obj *o, uint64_t off)
{
	if (o->backing && o->backing->writeback && pmap_get(&o->pages, off))
		pmap_set(&o->dirty, off, 1);
}

int shm_obj_writeback(struct shm_obj *o)
{
	if (!o->backing || !o->backing->writeback)
		return 0;
	return o->backing->writeback(o->backing_arg, o);
}

void shm_obj_resize(struct shm_obj *o, uint64_t size)
{
	uint64_t tail = size & (PAGE_SIZE - 1), v;

	if (size < o->size) {
		o->size = size;
		mm_shm_truncate(o, size);
		if (tail && (v = pmap_get(&o->pages, size - tail)))
			memset((char *)memfile_ptr(v - 1) + tail, 0, PAGE_SIZE - tail);
	}
	o->size = size;
}

int64_t shm_obj_page(struct shm_obj *o, uint64_t off)
{
	uint64_t v = pmap_get(&o->pages, off);
	int64_t page;

	if (v)
		return (int64_t)(v - 1);
	if (off >= PMAP_KEY_LIMIT)
		return -ENOMEM;
	page = memfile_alloc(1);
	if (page < 0)
		return page;
	if (o->backing) {
		int err = o->backing->fill(o->backing_arg, off, memfile_ptr((uint64_t)page));
		if (err < 0) {
			memfile_put((uint64_t)page);
			return err;
		}
	}
	pmap_set(&o->pages, off, (uint64_t)page + 1);
	return page;
}
