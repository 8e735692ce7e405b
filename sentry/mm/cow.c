/* cow.c: copy-on-write: fork shares private pages read-only between parent and child, and
 * the first write to such a page (an application fault or a Sentry copy) gives the writer
 * its own copy, or sole ownership when the other side has let go.
 *
 * A private page shared this way carries PTE_COW in its pmap value and is mapped in the
 * platform without PROT_WRITE; the platform mapping invariant of mm.h holds with that
 * protection (mm_page_prot). */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

/* Pages made private around a written copy-on-write page: one trap and one platform
 * mapping instead of sixteen (a ptrace trap costs far more than copying 60 KiB). */
#define COW_AROUND_PAGES 16

/* Coalesces present pages into runs contiguous in address and memory file, of one prot. */
struct run_state {
	struct mm *mm;
	const struct vma *v;
	mm_run_fn fn;
	int prot;
	uint64_t addr, off, size;
};

static int run_flush(struct run_state *rs)
{
	int err = rs->size ? rs->fn(rs->mm, rs->addr, rs->size, rs->off, rs->prot) : 0;

	rs->size = 0;
	return err;
}

static int run_add(void *arg, uint64_t addr, uint64_t val)
{
	struct run_state *rs = arg;
	int prot = mm_page_prot(rs->v, val);

	if (rs->size && rs->addr + rs->size == addr && rs->off + rs->size == pte_off(val) &&
	    rs->prot == prot) {
		rs->size += PAGE_SIZE;
		return 0;
	}
	int err = run_flush(rs);
	rs->addr = addr;
	rs->off = pte_off(val);
	rs->prot = prot;
	rs->size = PAGE_SIZE;
	return err;
}

int mm_for_each_run(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, mm_run_fn fn)
{
	struct run_state rs = {.mm = mm, .v = v, .fn = fn};
	int err = pmap_for_each(&mm->pages, MAX(start, v->start), MIN(end, v->end), run_add, &rs);

	return err ? err : run_flush(&rs);
}

int mm_run_map(struct mm *mm, uint64_t addr, uint64_t size, uint64_t off, int prot)
{
	return plat_as_map(g_platform, mm->as, addr, size, off, prot);
}

int mm_run_protect(struct mm *mm, uint64_t addr, uint64_t size, uint64_t off, int prot)
{
	return plat_as_protect(g_platform, mm->as, addr, size, prot);
}

/* ---- fork ---- */

struct fork_state {
	struct mm *child;
	struct mm *parent;
	bool cow;
};

/* Share one page with the child: a reference, and for private memory the COW mark on
 * both sides. */
static int fork_page(void *arg, uint64_t addr, uint64_t val)
{
	struct fork_state *fs = arg;

	memfile_get(pte_off(val));
	if (fs->cow && !(val & PTE_COW)) {
		val |= PTE_COW;
		pmap_set(&fs->parent->pages, addr, val);
	}
	pmap_set(&fs->child->pages, addr, val);
	return 0;
}

static void mm_copy_fields(struct mm *mm, const struct mm *parent)
{
	mm->brk_start = parent->brk_start;
	mm->brk = parent->brk;
	mm->start_data = parent->start_data;
	mm->end_data = parent->end_data;
	mm->mmap_base = parent->mmap_base;
	mm->stack_top = parent->stack_top;
	mm->arg_start = parent->arg_start;
	mm->arg_end = parent->arg_end;
	mm->env_start = parent->env_start;
	mm->env_end = parent->env_end;
	memcpy(mm->auxv, parent->auxv, sizeof(mm->auxv));
	mm->auxv_len = parent->auxv_len;
	memcpy(mm->exe_path, parent->exe_path, sizeof(mm->exe_path));
	mm->vdso_base = parent->vdso_base;
	/* mlockall(MCL_FUTURE) and mlock are not inherited across fork. */
}

static int fork_vma(struct mm *parent, struct mm *child, struct vma *pv)
{
	struct fork_state fs = {.child = child, .parent = parent, .cow = vma_is_private(pv)};
	struct vma *v;
	int err;

	if (pv->vflags & VMA_DONTFORK)
		return 0;
	v = vma_dup(pv, pv->start, pv->end);
	v->vflags &= ~(VMA_LOCKED | VMA_LOCKONFAULT);
	list_add_tail(&v->link, &child->vmas);
	if ((pv->vflags & VMA_WIPEONFORK) && fs.cow)
		return 0;
	err = pmap_for_each(&parent->pages, pv->start, pv->end, fork_page, &fs);
	if (err)
		return err;
	/* The parent keeps running on its pages: take write away until it copies. */
	if (fs.cow && (pv->prot & PROT_WRITE) && parent->as)
		err = plat_as_protect(g_platform, parent->as, pv->start, pv->end - pv->start,
				      pv->prot & ~PROT_WRITE);
	return err;
}

static int cow_copy(struct mm *mm, uint64_t lo, uint64_t hi);

/* The chunk of COW_AROUND_PAGES around addr (as a write fault would copy it): the child
 * gets its copy now, and the parent, then the only holder, keeps its pages writable.
 * Best effort: on any failure the pages just stay copy-on-write. Inside the parent's
 * platform batch, so the write access comes back in the same round trip. */
static void fork_precopy(struct mm *parent, struct mm *child, uint64_t addr)
{
	struct vma *pv = vma_lookup(parent, addr), *cv;
	uint64_t page, lo, hi;

	/* Read-only right before a writable VMA (a static binary's start_data lies in
	 * its RELRO part, .data follows): the writable one's first pages are the hot ones. */
	if (pv && !(pv->prot & PROT_WRITE) && pv->link.next != &parent->vmas) {
		struct vma *next = list_entry(pv->link.next, struct vma, link);

		if (next->start == pv->end && (next->prot & PROT_WRITE)) {
			pv = next;
			addr = next->start;
		}
	}
	cv = vma_lookup(child, addr);
	page = ALIGN_DOWN(addr, PAGE_SIZE);
	if (!pv || !cv || !vma_is_private(pv) || !(pv->prot & PROT_WRITE) ||
	    (pv->vflags & (VMA_DONTFORK | VMA_WIPEONFORK)))
		return;
	lo = MAX(pv->start, ALIGN_DOWN(page, COW_AROUND_PAGES * PAGE_SIZE));
	hi = MIN(pv->end, ALIGN_DOWN(page, COW_AROUND_PAGES * PAGE_SIZE) +
				  COW_AROUND_PAGES * PAGE_SIZE);
	if (cow_copy(child, lo, hi) || cow_copy(parent, lo, hi) || !parent->as)
		return;
	(void)mm_for_each_run(parent, pv, lo, hi, mm_run_protect);
}

int mm_fork(struct mm *parent, struct mm **out)
{
	return mm_fork_hot(parent, out, NULL, 0);
}

int mm_fork_hot(struct mm *parent, struct mm **out, const uint64_t *hot, int nhot)
{
	struct mm *mm = mm_new();
	struct list_head *pos;
	int err = 0, err2;

	mm_copy_fields(mm, parent);
	/* The parent's write-protections go to the platform as one batch. */
	if (parent->as)
		plat_as_batch_begin(g_platform, parent->as);
	list_for_each(pos, &parent->vmas) {
		err = fork_vma(parent, mm, list_entry(pos, struct vma, link));
		if (err)
			break;
	}
	for (int i = 0; i < nhot && !err; i++)
		fork_precopy(parent, mm, hot[i]);
	err2 = parent->as ? plat_as_batch_end(g_platform, parent->as) : 0;
	err = err ? err : err2;
	if (err) {
		mm_put(mm);
		return err;
	}
	*out = mm;
	return 0;
}

/* ---- breaking copy-on-write ---- */

/* Copies of pages, gathered into runs contiguous on both sides: one memfile_copy each. */
struct copy_run {
	uint64_t dst, src, size;
};

static void copy_run_flush(struct copy_run *c)
{
	if (c->size)
		memfile_copy(c->dst, c->src, c->size);
	c->size = 0;
}

static void copy_run_add(struct copy_run *c, uint64_t dst, uint64_t src)
{
	if (c->size && c->dst + c->size == dst && c->src + c->size == src) {
		c->size += PAGE_SIZE;
		return;
	}
	copy_run_flush(c);
	*c = (struct copy_run){ dst, src, PAGE_SIZE };
}

/* Give every COW page of [lo, hi) its own page (copied into one fresh contiguous run) or,
 * when this mm is the last holder, just drop the mark. */
static int cow_copy(struct mm *mm, uint64_t lo, uint64_t hi)
{
	struct copy_run cr = { 0 };
	uint64_t n = 0, a, val;
	int64_t run;

	for (a = lo; a < hi; a += PAGE_SIZE) {
		val = pmap_get(&mm->pages, a);
		if ((val & PTE_COW) && memfile_refs(pte_off(val)) > 1)
			n++;
	}
	run = n ? memfile_alloc(n) : 0;
	if (run < 0)
		return (int)run;
	for (a = lo; a < hi; a += PAGE_SIZE) {
		val = pmap_get(&mm->pages, a);
		if (!(val & PTE_COW))
			continue;
		if (memfile_refs(pte_off(val)) > 1) {
			/* The other holders keep the page alive until the copy (kernel lock). */
			copy_run_add(&cr, (uint64_t)run, pte_off(val));
			memfile_put(pte_off(val));
			val = (uint64_t)run + PTE_PRESENT;
			run += (int64_t)PAGE_SIZE;
		}
		pmap_set(&mm->pages, a, val & ~PTE_COW);
	}
	copy_run_flush(&cr);
	return 0;
}

int mm_cow_break(struct mm *mm, struct vma *v, uint64_t addr)
{
	uint64_t page = ALIGN_DOWN(addr, PAGE_SIZE);
	uint64_t lo = MAX(v->start, ALIGN_DOWN(page, COW_AROUND_PAGES * PAGE_SIZE));
	uint64_t hi = MIN(v->end, lo + COW_AROUND_PAGES * PAGE_SIZE);
	int err;

	/* Pages of an object (a file's page cache) must keep showing the file until each is
	 * written itself: copy only this one. */
	if (v->shm) {
		lo = page;
		hi = page + PAGE_SIZE;
	}
	err = cow_copy(mm, lo, hi);
	if (err == -ENOMEM && hi - lo > PAGE_SIZE) {
		lo = page;
		hi = page + PAGE_SIZE;
		err = cow_copy(mm, lo, hi);
	}
	if (err || !mm->as)
		return err;
	return mm_for_each_run(mm, v, lo, hi, mm_run_map);
}

int mm_cow_break_range(struct mm *mm, struct vma *v, uint64_t lo, uint64_t hi)
{
	int err;

	lo = MAX(lo, v->start);
	hi = MIN(hi, v->end);
	err = cow_copy(mm, lo, hi);
	if (err || !mm->as)
		return err;
	return mm_for_each_run(mm, v, lo, hi, mm_run_map);
}
