/* vma.c: the VMA list of an address space: lookup, split, insert, remove, gap search. */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

struct vma *vma_find(struct mm *mm, uint64_t addr)
{
	struct list_head *pos;

	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		if (addr < v->end)
			return v;
	}
	return NULL;
}

struct vma *vma_lookup(struct mm *mm, uint64_t addr)
{
	struct vma *v = vma_find(mm, addr);

	return (v && addr >= v->start) ? v : NULL;
}

struct vma *vma_new(uint64_t start, uint64_t end, int prot, int flags, enum vma_kind kind)
{
	struct vma *v = xcalloc(1, sizeof(*v));

	v->start = start;
	v->end = end;
	v->prot = prot;
	v->flags = flags;
	v->kind = kind;
	list_init(&v->link);
	return v;
}

void vma_insert(struct mm *mm, struct vma *nv)
{
	struct list_head *pos;

	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		if (v->start >= nv->end) {
			list__insert(&nv->link, pos->prev, pos);
			return;
		}
	}
	list_add_tail(&nv->link, &mm->vmas);
}

int mm_put_page_cb(void *arg, uint64_t key, uint64_t val)
{
	memfile_put(pte_off(val));
	return 0;
}

void mm_drop_pages(struct mm *mm, uint64_t start, uint64_t end)
{
	pmap_clear(&mm->pages, start, end, mm_put_page_cb, NULL);
}

void vma_free(struct vma *v)
{
	/* The object first: the last mapping of a page cache writes it back through the
	 * file, which must still be there. */
	if (v->shm && v->shm->ops)
		v->shm->ops->close(v->shm);
	if (v->shm)
		shm_obj_put(v->shm);
	if (v->file)
		file_put(v->file);
	free(v);
}

struct vma *vma_dup(const struct vma *v, uint64_t start, uint64_t end)
{
	struct vma *n = vma_new(start, end, v->prot, v->flags, v->kind);

	n->file = v->file;
	if (n->file)
		file_get(n->file);
	n->shm = v->shm;
	if (n->shm)
		shm_obj_get(n->shm);
	if (n->shm && n->shm->ops)
		n->shm->ops->open(n->shm);
	n->pgoff = v->pgoff + (start - v->start);
	n->vflags = v->vflags;
	memcpy(n->name, v->name, sizeof(n->name));
	n->pol = v->pol;
	return n;
}

/* Split v at addr (start < addr < end): v keeps [start, addr), the new VMA gets the rest. */
struct vma *vma_split(struct vma *v, uint64_t addr)
{
	struct vma *n = vma_dup(v, addr, v->end);

	v->end = addr;
	list__insert(&n->link, &v->link, v->link.next);
	return n;
}

/* Make VMA boundaries fall on start and end. */
void vma_split_range(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(mm, start);

	if (v && v->start < start && start < v->end)
		vma_split(v, start);
	v = vma_find(mm, end);
	if (v && v->start < end && end < v->end)
		vma_split(v, end);
}

/* Linux merges neighbours that only differ in address: keep /proc/PID/maps alike. */
#define VMA_MERGE_FLAGS (MAP_TYPE | MAP_GROWSDOWN | MAP_NORESERVE)

static bool vma_can_merge(const struct vma *a, const struct vma *b)
{
	if (a->end != b->start || a->prot != b->prot || a->kind != b->kind ||
	    a->vflags != b->vflags || a->file != b->file || a->shm != b->shm ||
	    ((a->flags ^ b->flags) & VMA_MERGE_FLAGS) || strcmp(a->name, b->name) != 0 ||
	    (a->vflags & VMA_NOMERGE) || (a->shm && a->shm->ops) ||
	    !mempolicy_equal(&a->pol, &b->pol))
		return false; /* System V attachments count their VMAs: never merged */
	return !(a->file || a->shm) || a->pgoff + (a->end - a->start) == b->pgoff;
}

void vma_merge_range(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(mm, start > PAGE_SIZE ? start - PAGE_SIZE : 0);

	while (v && v->start <= end && v->link.next != &mm->vmas) {
		struct vma *n = list_entry(v->link.next, struct vma, link);
		if (!vma_can_merge(v, n)) {
			v = n;
			continue;
		}
		v->end = n->end;
		list_del(&n->link);
		vma_free(n);
	}
}

int vma_remove_range(struct mm *mm, uint64_t start, uint64_t end)
{
	struct list_head *pos, *n;

	vma_split_range(mm, start, end);
	mm_drop_pages(mm, start, end);
	list_for_each_safe(pos, n, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		if (v->start >= end)
			break;
		if (v->end <= start)
			continue;
		list_del(&v->link);
		vma_free(v);
	}
	if (mm->as)
		return plat_as_unmap(g_platform, mm->as, start, end - start);
	return 0;
}

bool mm_range_free(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(mm, start);

	return !v || v->start >= end;
}

/* Lowest address a mapping below v may reach: a stack keeps its guard gap free. */
static uint64_t vma_start_gap(const struct vma *v)
{
	if (!(v->flags & MAP_GROWSDOWN))
		return v->start;
	return v->start > MM_STACK_GUARD_GAP ? v->start - MM_STACK_GUARD_GAP : 0;
}

bool mm_range_free_gap(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(mm, start);

	return !v || (v->start >= end && vma_start_gap(v) >= end);
}

uint64_t mm_find_gap_in(struct mm *mm, uint64_t len, uint64_t lo, uint64_t hi)
{
	uint64_t top = hi;
	struct list_head *pos;

	/* Top-down: walk VMAs from the highest, looking for a hole below `top`. */
	for (pos = mm->vmas.prev; pos != &mm->vmas; pos = pos->prev) {
		struct vma *v = list_entry(pos, struct vma, link);
		if (top < lo + len)
			return 0;
		if (v->end <= top && top - v->end >= len)
			return top - len;
		top = MIN(top, vma_start_gap(v));
	}
	return top >= lo + len ? top - len : 0;
}

uint64_t mm_find_gap(struct mm *mm, uint64_t len)
{
	return mm_find_gap_in(mm, len, MM_MIN_ADDR, mm->mmap_base);
}

uint64_t mm_rlimit(struct mm *mm, int r)
{
	struct task *t = t_current;

	/* Limits belong to the process that runs the mm (Linux's `current`). */
	if (!t || t->mm != mm || !t->tg)
		return RLIM_INFINITY;
	return t->tg->rlim[r].rlim_cur;
}
