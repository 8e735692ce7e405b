/* mm.c: address spaces: creation, mmap, munmap, mprotect and brk with Linux's checks.
 *
 * Invariant: a page is present in mm->pages exactly when it is mapped in the platform
 * address space (if that exists yet) with the VMA's protection. */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/fs/aio.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

#define MMAP_BASE 0x7f0000000000ULL
#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

static struct list_head g_mms = LIST_HEAD_INIT(g_mms);

struct mm *mm_new(void)
{
	struct mm *mm = xcalloc(1, sizeof(*mm));

	mm->refs = 1;
	list_add(&mm->all, &g_mms);
	list_init(&mm->vmas);
	list_init(&mm->aio);
	pmap_init(&mm->pages);
	mm->mmap_base = MMAP_BASE;
	return mm;
}

void mm_get(struct mm *mm)
{
	mm->refs++;
}

void mm_put(struct mm *mm)
{
	struct list_head *pos, *n;

	if (--mm->refs > 0)
		return;
	aio_mm_release(mm);
	pmap_destroy(&mm->pages, mm_put_page_cb, NULL);
	memfile_flush();
	list_for_each_safe(pos, n, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		list_del(&v->link);
		vma_free(v);
	}
	if (mm->as)
		g_platform->ops->as_release(mm->as);
	list_del(&mm->all);
	free(mm);
}

/* A present page of VMA arg becomes writable: its page of the file may be written. */
static int mark_dirty_cb(void *arg, uint64_t addr, uint64_t val)
{
	struct vma *v = arg;

	shm_obj_mark_dirty(v->shm, v->pgoff + (addr - v->start));
	return 0;
}

void mm_shm_truncate(struct shm_obj *o, uint64_t size)
{
	uint64_t keep = ALIGN_UP(size, PAGE_SIZE);
	struct list_head *pos, *vpos;

	list_for_each(pos, &g_mms) {
		struct mm *mm = list_entry(pos, struct mm, all);
		list_for_each(vpos, &mm->vmas) {
			struct vma *v = list_entry(vpos, struct vma, link);
			uint64_t vsize = v->end - v->start, start;

			if (v->shm != o || v->pgoff + vsize <= keep)
				continue;
			start = v->pgoff >= keep ? v->start : v->start + (keep - v->pgoff);
			mm_drop_pages(mm, start, v->end);
			if (mm->as)
				(void)plat_as_unmap(g_platform, mm->as, start, v->end - start);
		}
	}
	shm_obj_drop_from(o, keep);
}

/* The present pages of a private mapping in a punched range that are still o's own (not
 * copied on write): they leave the mapping, the private copies stay. */
struct punch_scan {
	struct shm_obj *o;
	struct vma *v;
	uint64_t *addrs;
	size_t n, cap;
};

static int punch_scan_cb(void *arg, uint64_t addr, uint64_t val)
{
	struct punch_scan *ps = arg;
	uint64_t ov = pmap_get(&ps->o->pages, ps->v->pgoff + (addr - ps->v->start));

	if (!ov || pte_off(val) != ov - 1)
		return 0;
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? ps->cap * 2 : 64;
		ps->addrs = xrealloc(ps->addrs, ps->cap * sizeof(*ps->addrs));
	}
	ps->addrs[ps->n++] = addr;
	return 0;
}

static void punch_unmap(struct mm *mm, uint64_t s, uint64_t e)
{
	mm_drop_pages(mm, s, e);
	if (mm->as)
		(void)plat_as_unmap(g_platform, mm->as, s, e - s);
}

void mm_shm_punch(struct shm_obj *o, uint64_t start, uint64_t end, pmap_fn put, void *arg)
{
	struct list_head *pos, *vpos;
	struct punch_scan ps = {.o = o};

	list_for_each(pos, &g_mms) {
		struct mm *mm = list_entry(pos, struct mm, all);
		list_for_each(vpos, &mm->vmas) {
			struct vma *v = list_entry(vpos, struct vma, link);
			uint64_t vend = v->pgoff + (v->end - v->start), s, e;

			if (v->shm != o || vend <= start || v->pgoff >= end)
				continue;
			s = v->start + (MAX(start, v->pgoff) - v->pgoff);
			e = v->start + (MIN(end, vend) - v->pgoff);
			if (!vma_is_private(v)) {
				punch_unmap(mm, s, e);
				continue;
			}
			ps.v = v;
			ps.n = 0;
			pmap_for_each(&mm->pages, s, e, punch_scan_cb, &ps);
			for (size_t i = 0; i < ps.n; i++)
				punch_unmap(mm, ps.addrs[i], ps.addrs[i] + PAGE_SIZE);
		}
	}
	free(ps.addrs);
	pmap_clear(&o->pages, start, end, put, arg);
	pmap_clear(&o->dirty, start, end, NULL, NULL);
}

int mm_writeback_shared(bool (*pick)(void *arg, struct file *f), void *arg)
{
	struct list_head *pos, *vpos;
	int ret = 0;

	list_for_each(pos, &g_mms) {
		struct mm *mm = list_entry(pos, struct mm, all);
		list_for_each(vpos, &mm->vmas) {
			struct vma *v = list_entry(vpos, struct vma, link);
			int err;

			if (v->kind != VMA_FILE_SHARED || !v->shm || !v->shm->backing ||
			    (pick && !pick(arg, v->file)))
				continue;
			err = shm_obj_writeback(v->shm);
			if (err < 0 && ret == 0)
				ret = err;
		}
	}
	return ret;
}

/* Map every present page of mm into its (empty) platform address space. */
static int map_all(struct mm *mm)
{
	struct list_head *pos;

	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		int err = mm_for_each_run(mm, v, v->start, v->end, mm_run_map);
		if (err)
			return err;
	}
	return 0;
}

int mm_platform_as(struct mm *mm, struct plat_as **out)
{
	int err;

	if (!mm->as) {
		err = g_platform->ops->as_create(g_platform, &mm->as);
		if (err)
			return err;
		err = map_all(mm);
		if (err)
			return err;
	}
	*out = mm->as;
	return 0;
}

void mm_exec_take_as(struct mm *mm, struct mm *old)
{
	if (old->refs != 1 || !old->as || mm->as || !g_platform->ops->as_reset ||
	    g_platform->ops->as_reset(old->as) != 0)
		return;
	mm->as = old->as;
	old->as = NULL;
	if (map_all(mm) != 0) {
		g_platform->ops->as_release(mm->as);
		mm->as = NULL;
	}
}

int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	if ((addr & (PAGE_SIZE - 1)) || len == 0)
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (addr + len > MM_TASK_SIZE || addr + len < addr)
		return -EINVAL;
	if (mm_range_sealed(mm, addr, addr + len))
		return -EPERM;
	return vma_remove_range(mm, addr, addr + len);
}

/* Is [start, end) fully covered by VMAs? */
static bool range_mapped(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(mm, start);
	uint64_t a = start;

	while (a < end) {
		if (!v || v->start > a)
			return false;
		a = v->end;
		v = v->link.next == &mm->vmas ? NULL : list_entry(v->link.next, struct vma, link);
	}
	return true;
}

int mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot)
{
	struct list_head *pos;
	uint64_t end;
	int err = 0;

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	if ((prot & PROT_GROWSDOWN) && (prot & PROT_GROWSUP))
		return -EINVAL;
	if (len == 0)
		return 0;
	end = addr + ALIGN_UP(len, PAGE_SIZE);
	if (end < addr || end > MM_TASK_SIZE)
		return -ENOMEM;
	if (prot & (PROT_GROWSDOWN | PROT_GROWSUP)) {
		/* The change reaches down to the start of the stack VMA. */
		struct vma *gv = vma_lookup(mm, addr);
		if (!gv)
			return -ENOMEM;
		if ((prot & PROT_GROWSUP) || !(gv->flags & MAP_GROWSDOWN))
			return -EINVAL;
		addr = gv->start;
	}
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
	if (!range_mapped(mm, addr, end))
		return -ENOMEM;
	if (mm_range_sealed(mm, addr, end))
		return -EPERM;
	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		if (v->start >= end || v->end <= addr || !(prot & PROT_WRITE))
			continue;
		if (v->vflags & VMA_NOWRITE)
			return -EACCES;
		if (v->kind == VMA_FILE_SHARED && (file_flags(v->file) & O_ACCMODE) != O_RDWR)
			return -EACCES;
		if (v->kind == VMA_FILE_SHARED && !v->shm)
			return -ENODEV; /* no page cache to write into */
	}
	vma_split_range(mm, addr, end);
	/* One platform batch for every run of every VMA (one stub round trip on systrap). */
	if (mm->as)
		plat_as_batch_begin(g_platform, mm->as);
	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		if (v->start >= end)
			break;
		if (v->end <= addr)
			continue;
		v->prot = prot;
		if (v->kind == VMA_FILE_SHARED && (prot & PROT_WRITE) && v->shm->backing)
			pmap_for_each(&mm->pages, v->start, v->end, mark_dirty_cb, v);
		if (mm->as) {
			err = mm_for_each_run(mm, v, v->start, v->end, mm_run_protect);
			if (err)
				break;
		}
	}
	if (mm->as) {
		int err2 = plat_as_batch_end(g_platform, mm->as);

		err = err ? err : err2;
	}
	if (err)
		return err;
	vma_merge_range(mm, addr, end);
	return 0;
}

/* Pages of a brk growth brought in with it: the first write there would fault them in
 * (a trap and a mapping round trip) right after. */
#define BRK_PREFAULT_PAGES 16

int64_t mm_brk(struct mm *mm, uint64_t addr)
{
	uint64_t old_end = ALIGN_UP(mm->brk, PAGE_SIZE), new_end = ALIGN_UP(addr, PAGE_SIZE);

	if (addr < mm->brk_start || addr > MM_TASK_SIZE)
		return (int64_t)mm->brk;
	if (new_end < old_end) {
		if (mm_range_sealed(mm, new_end, old_end) || vma_remove_range(mm, new_end, old_end))
			return (int64_t)mm->brk;
	} else if (new_end > old_end) {
		/* RLIMIT_DATA counts the heap and the data segment, as Linux's brk does. */
		if ((addr - mm->brk_start) + (mm->end_data - mm->start_data) >
		    mm_rlimit(mm, RLIMIT_DATA))
			return (int64_t)mm->brk;
		if (!mm_range_free_gap(mm, old_end, new_end + PAGE_SIZE) ||
		    !memfile_may_commit(new_end - old_end) ||
		    mm_may_expand(mm, old_end, new_end - old_end, false))
			return (int64_t)mm->brk;
		struct vma *v = vma_new(old_end, new_end, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, VMA_ANON_PRIVATE);
		strcpy(v->name, "[heap]");
		v->vflags = mm->def_vflags;
		vma_insert(mm, v);
		vma_merge_range(mm, old_end, new_end); /* v may be merged away */
		if ((mm->def_vflags & VMA_LOCKED) && !(mm->def_vflags & VMA_LOCKONFAULT))
			(void)mm_populate(mm, old_end, new_end, true);
		else	/* malloc and a static libc's TLS set-up write there at once */
			(void)mm_populate(mm, old_end,
					  MIN(new_end, old_end + BRK_PREFAULT_PAGES * PAGE_SIZE),
					  true);
	}
	mm->brk = addr;
	return (int64_t)addr;
}

void mm_set_name(struct mm *mm, uint64_t addr, const char *name)
{
	struct vma *v = vma_lookup(mm, addr);

	if (v)
		snprintf(v->name, sizeof(v->name), "%s", name);
}
