/* mremap.c: resizing and moving mappings. Moves carry the pages along (their pmap entries
 * change address; nothing is copied), as Linux moves page tables. */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <string.h>

#include "platform/platform.h"
#include "sentry/kernel/task.h"

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

struct move_state {
	struct mm *mm;
	uint64_t from, to;
};

static int move_page(void *arg, uint64_t addr, uint64_t val)
{
	struct move_state *ms = arg;

	pmap_set(&ms->mm->pages, addr - ms->from + ms->to, val);
	return 0;
}

/* Move [old, old+len) of v to new (a free range): a new VMA of new_len takes the pages.
 * The old range is unmapped, or stays mapped and empty with dontunmap. */
static int64_t move_vma(struct mm *mm, struct vma *v, uint64_t old, uint64_t len,
			uint64_t new_len, uint64_t new, bool dontunmap)
{
	struct vma *nv = vma_dup(v, old, old + new_len);
	struct move_state ms = {.mm = mm, .from = old, .to = new};
	bool is_vdso = !strcmp(v->name, "[vdso]") && old == mm->vdso_base;
	unsigned locked = v->vflags & (VMA_LOCKED | VMA_LOCKONFAULT);
	int err;

	nv->start = new;
	nv->end = new + new_len;
	if (dontunmap)
		nv->vflags &= ~(VMA_LOCKED | VMA_LOCKONFAULT);
	else
		nv->vflags = (nv->vflags & ~(VMA_LOCKED | VMA_LOCKONFAULT)) | locked;
	/* Take the pages out of the old range before it goes (or stays empty). */
	pmap_clear(&mm->pages, old, old + len, move_page, &ms);
	if (mm->as) {
		err = plat_as_unmap(g_platform, mm->as, old, len);
		if (err)
			return err;
	}
	vma_insert(mm, nv);
	if (mm->as) {
		err = mm_for_each_run(mm, nv, new, new + len, mm_run_map);
		if (err)
			return err;
	}
	if (!dontunmap) {
		err = vma_remove_range(mm, old, old + len);
		if (err)
			return err;
	}
	if (is_vdso)
		mm->vdso_base = new;
	if ((nv->vflags & VMA_LOCKED) && !(nv->vflags & VMA_LOCKONFAULT) && new_len > len)
		(void)mm_populate(mm, new + len, new + new_len, false);
	return (int64_t)new;
}

/* Linux's vma_to_resize: the checks on the source VMA. */
static int resize_check(struct mm *mm, struct vma *v, uint64_t addr, uint64_t old_len,
			uint64_t new_len, int flags)
{
	if (!old_len && vma_is_private(v))
		return -EINVAL;
	if ((flags & MREMAP_DONTUNMAP) && (v->vflags & VMA_NOMERGE))
		return -EINVAL;
	if (old_len > v->end - addr)
		return -EFAULT;
	if (new_len <= old_len)
		return 0;
	if (v->vflags & VMA_NOMERGE)
		return -EFAULT; /* special mappings ([vdso], [vvar]) do not grow */
	if ((v->vflags & VMA_LOCKED) && mm_may_lock(mm, new_len - old_len, 0))
		return -EAGAIN;
	return mm_may_expand(mm, 0, new_len - old_len, vma_is_data(v));
}

static int64_t mremap_to(struct mm *mm, uint64_t addr, uint64_t old_len, uint64_t new_len,
			 int flags, uint64_t new_addr)
{
	struct vma *v;
	int err;

	if (flags & MREMAP_FIXED) {
		if (new_addr < MM_MIN_ADDR)
			return -EPERM;
		err = vma_remove_range(mm, new_addr, new_addr + new_len);
		if (err)
			return err;
	}
	if (old_len > new_len) {
		err = vma_remove_range(mm, addr + new_len, addr + old_len);
		if (err)
			return err;
		old_len = new_len;
	}
	v = vma_lookup(mm, addr);
	if (!v)
		return -EFAULT;
	err = resize_check(mm, v, addr, old_len, new_len, flags);
	if (!err && (flags & MREMAP_DONTUNMAP))
		err = mm_may_expand(mm, 0, old_len, vma_is_data(v));
	if (err)
		return err;
	if (!(flags & MREMAP_FIXED)) {
		new_addr = (new_addr && new_addr >= MM_MIN_ADDR &&
			    new_addr + new_len <= MM_TASK_SIZE &&
			    mm_range_free_gap(mm, new_addr, new_addr + new_len))
				   ? new_addr
				   : mm_find_gap(mm, new_len);
		if (!new_addr)
			return -ENOMEM;
	}
	vma_split_range(mm, addr, addr + old_len);
	v = vma_lookup(mm, addr);
	return move_vma(mm, v, addr, old_len, new_len, new_addr, flags & MREMAP_DONTUNMAP);
}

/* Grow v (ending at addr + old_len) in place when the space after it is free. */
static bool grow_in_place(struct mm *mm, struct vma *v, uint64_t addr, uint64_t old_len,
			  uint64_t new_len)
{
	uint64_t end = addr + new_len;

	if (v->end != addr + old_len || end > MM_TASK_SIZE || end < addr ||
	    !mm_range_free_gap(mm, v->end, end))
		return false;
	uint64_t old_end = v->end;
	v->end = end;
	if ((v->vflags & VMA_LOCKED) && !(v->vflags & VMA_LOCKONFAULT))
		(void)mm_populate(mm, old_end, end, false);
	return true;
}

int64_t mm_mremap(struct mm *mm, uint64_t addr, uint64_t old_len, uint64_t new_len, int flags,
		  uint64_t new_addr)
{
	struct vma *v;
	int err;

	if (flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP))
		return -EINVAL;
	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	old_len = ALIGN_UP(old_len, PAGE_SIZE);
	new_len = ALIGN_UP(new_len, PAGE_SIZE);
	if (!new_len)
		return -EINVAL;
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		if (new_len > MM_TASK_SIZE || new_addr > MM_TASK_SIZE - new_len)
			return -EINVAL;
		if (new_addr & (PAGE_SIZE - 1))
			return -EINVAL;
		if (!(flags & MREMAP_MAYMOVE))
			return -EINVAL;
		if ((flags & MREMAP_DONTUNMAP) && old_len != new_len)
			return -EINVAL;
		if ((flags & MREMAP_FIXED) && new_addr < addr + old_len && addr < new_addr + new_len)
			return -EINVAL;
	}
	v = vma_lookup(mm, addr);
	if (!v)
		return -EFAULT;
	/* mseal: the old range may not move or change size, nor a sealed target go. */
	if (mm_range_sealed(mm, addr, addr + MAX(old_len, (uint64_t)PAGE_SIZE)) ||
	    ((flags & MREMAP_FIXED) && mm_range_sealed(mm, new_addr, new_addr + new_len)))
		return -EPERM;
	err = resize_check(mm, v, addr, old_len, new_len, flags);
	if (err)
		return err;
	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP))
		return mremap_to(mm, addr, old_len, new_len, flags, new_addr);
	if (old_len >= new_len) {
		if (old_len > new_len) {
			err = vma_remove_range(mm, addr + new_len, addr + old_len);
			if (err)
				return err;
		}
		return (int64_t)addr;
	}
	if (grow_in_place(mm, v, addr, old_len, new_len))
		return (int64_t)addr;
	if (!(flags & MREMAP_MAYMOVE))
		return -ENOMEM;
	if (!old_len) {
		/* Duplicate a shared mapping: a new VMA over the same object, no pages yet. */
		uint64_t to = mm_find_gap(mm, new_len);
		struct vma *nv;
		if (!to)
			return -ENOMEM;
		nv = vma_dup(v, addr, addr + new_len);
		nv->start = to;
		nv->end = to + new_len;
		vma_insert(mm, nv);
		return (int64_t)to;
	}
	uint64_t to = mm_find_gap(mm, new_len);
	if (!to)
		return -ENOMEM;
	vma_split_range(mm, addr, addr + old_len);
	v = vma_lookup(mm, addr);
	return move_vma(mm, v, addr, old_len, new_len, to, false);
}
