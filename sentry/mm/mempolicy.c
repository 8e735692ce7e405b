/* mempolicy.c: per-VMA memory policies (mbind, set_mempolicy_home_node, get_mempolicy
 * MPOL_F_ADDR) and the page queries of move_pages. One node: nothing ever moves. */
#include "sentry/mm/mempolicy.h"

#include <errno.h>

#include "sentry/mm/mm_internal.h"

#define MPOL_BIND 2
#define MPOL_PREFERRED_MANY 5

/* Does [start, end) hold no VMA at all (whole), or a gap between VMAs (any)? */
static int range_holes(struct mm *mm, uint64_t start, uint64_t end, bool *whole)
{
	uint64_t at = start;
	int holes = 0;

	*whole = true;
	for (struct vma *v = vma_find(mm, start); v && v->start < end;
	     v = vma_next(mm, v)) {
		if (v->start > at)
			holes++;
		*whole = false;
		at = v->end;
	}
	return holes + (at < end);
}

static int count_present(void *arg, uint64_t key, uint64_t val)
{
	(void)key;
	(void)val;
	++*(int *)arg;
	return 1; /* one is enough */
}

int mm_mbind(struct mm *mm, uint64_t start, uint64_t end, const struct mempolicy *p,
	     bool discontig_ok, bool strict)
{
	struct vma *v;
	bool whole;
	int present = 0;

	if (range_holes(mm, start, end, &whole) && (whole || !discontig_ok))
		return -EFAULT;
	if (strict)
		pmap_for_each(&mm->pages, start, end, count_present, &present);
	if (present)
		return -EIO;
	vma_split_range(mm, start, end);
	for (v = vma_find(mm, start); v && v->start < end;
	     v = vma_next(mm, v))
		v->pol = *p;
	vma_merge_range(mm, start, end);
	return 0;
}

int mm_vma_policy(struct mm *mm, uint64_t addr, struct mempolicy *out)
{
	struct vma *v = vma_lookup(mm, addr);

	if (!v)
		return -EFAULT;
	*out = v->pol;
	return 0;
}

int mm_addr_node(struct mm *mm, uint64_t addr)
{
	struct vma *v = vma_lookup(mm, addr);

	return v && prot_readable(v->prot) ? 0 : -EFAULT;
}

int mm_set_home_node(struct mm *mm, uint64_t start, uint64_t end, int node)
{
	int err = -ENOENT;
	struct vma *v;

	for (v = vma_find(mm, start); v && v->start < end;
	     v = vma_next(mm, v)) {
		struct mempolicy p = v->pol;

		if (!p.mode)
			continue;
		if (p.mode != MPOL_BIND && p.mode != MPOL_PREFERRED_MANY) {
			err = -EOPNOTSUPP;
			break;
		}
		p.home = node + 1;
		err = mm_mbind(mm, v->start > start ? v->start : start,
			       v->end < end ? v->end : end, &p, true, false);
		if (err)
			break;
		v = vma_lookup(mm, (v->end < end ? v->end : end) - 1);
	}
	return err;
}

int mm_page_node(struct mm *mm, uint64_t addr)
{
	if (!vma_lookup(mm, addr))
		return -EFAULT;
	return pmap_get(&mm->pages, addr & ~(PAGE_SIZE - 1)) ? 0 : -ENOENT;
}
