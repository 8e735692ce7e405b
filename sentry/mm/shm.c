/* shm.c: shared anonymous memory objects: pages that every mapping of the object (across
 * fork) sees, keyed by offset. */
#include "sentry/mm/mm.h"

#include <errno.h>

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
	return o;
}

void shm_obj_get(struct shm_obj *o)
{
	o->refs++;
}

void shm_obj_put(struct shm_obj *o)
{
	if (--o->refs > 0)
		return;
	pmap_destroy(&o->pages, put_page, NULL);
	free(o);
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
	pmap_set(&o->pages, off, (uint64_t)page + 1);
	return page;
}
