/* shm.c: shared memory objects: pages that every mapping of the object (across fork) sees,
 * keyed by offset. They hold shared anonymous memory, tmpfs file data, the page caches
 * of gofer files and System V segments (attached and detached here). */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <stdio.h>
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

int64_t shm_obj_page_overwrite(struct shm_obj *o, uint64_t off)
{
	uint64_t v = pmap_get(&o->pages, off);
	int64_t page;

	if (v)
		return (int64_t)(v - 1);
	if (off >= PMAP_KEY_LIMIT || o->backing)
		return o->backing ? shm_obj_page(o, off) : -ENOMEM;
	page = memfile_alloc_overwrite();
	if (page >= 0)
		pmap_set(&o->pages, off, (uint64_t)page + 1);
	return page;
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
		memfile_drop_view((uint64_t)page, PAGE_SIZE);
	}
	pmap_set(&o->pages, off, (uint64_t)page + 1);
	return page;
}

int64_t mm_shm_attach(struct mm *mm, uint64_t addr, int prot, struct shm_obj *obj,
		      const char *name, bool remap)
{
	uint64_t len = ALIGN_UP(obj->size, PAGE_SIZE);
	struct vma *v;
	int err;

	if (!addr) {
		addr = mm_find_gap(mm, len);
		if (!addr)
			return -ENOMEM;
	} else if (addr + len > MM_TASK_SIZE || addr + len < addr) {
		return -EINVAL;
	} else if (!remap && !mm_range_free(mm, addr, addr + len)) {
		return -EINVAL;
	} else if (addr < MM_MIN_ADDR) {
		return -EPERM;
	}
	err = mm_may_expand(mm, addr, len, false);
	if (err)
		return err;
	if (!mm_range_free(mm, addr, addr + len)) {
		err = vma_remove_range(mm, addr, addr + len);
		if (err)
			return err;
	}
	v = vma_new(addr, addr + len, prot, MAP_SHARED, VMA_ANON_SHARED);
	v->vflags = mm->def_vflags | ((prot & PROT_WRITE) ? 0 : VMA_NOWRITE);
	shm_obj_get(obj);
	v->shm = obj;
	snprintf(v->name, sizeof(v->name), "%s", name);
	vma_insert(mm, v);
	obj->ops->open(obj);
	return (int64_t)addr;
}

static bool is_attach_of(const struct vma *v, const struct shm_obj *obj, uint64_t addr)
{
	return v->shm == obj && v->start - v->pgoff == addr;
}

int mm_shm_detach(struct mm *mm, uint64_t addr)
{
	struct vma *v = vma_find(mm, addr);
	struct shm_obj *obj;
	uint64_t end;
	int err = 0;

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (!v || v->start != addr || !v->shm || !v->shm->ops || v->pgoff != 0)
		return -EINVAL;
	obj = v->shm;
	end = addr + ALIGN_UP(obj->size, PAGE_SIZE);
	/* The attachment may have been split (mprotect, partial munmap): take every piece.
	 * obj may be freed by the last removal: it is only compared from then on. */
	for (uint64_t cur = addr; !err;) {
		v = vma_find(mm, cur);
		if (!v || v->start >= end)
			break;
		cur = v->end;
		if (is_attach_of(v, obj, addr))
			err = vma_remove_range(mm, v->start, v->end);
	}
	return err;
}

int64_t mm_map_ring(struct mm *mm, struct shm_obj *obj, const char *name)
{
	uint64_t len = ALIGN_UP(obj->size, PAGE_SIZE), addr = mm_find_gap(mm, len);
	struct vma *v;
	int err;

	if (!addr)
		return -ENOMEM;
	err = mm_may_expand(mm, addr, len, false);
	if (err)
		return err;
	v = vma_new(addr, addr + len, PROT_READ | PROT_WRITE, MAP_SHARED, VMA_ANON_SHARED);
	v->vflags = VMA_NOMERGE;
	shm_obj_get(obj);
	v->shm = obj;
	snprintf(v->name, sizeof(v->name), "%s", name);
	vma_insert(mm, v);
	return (int64_t)addr;
}

bool mm_maps_obj_at(struct mm *mm, uint64_t addr, const struct shm_obj *obj)
{
	struct vma *v = vma_lookup(mm, addr);

	return v && v->shm == obj && v->start - v->pgoff == addr;
}
