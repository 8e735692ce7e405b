/* mseal.c: mseal(2) (Linux 6.10). A sealed mapping can no longer be unmapped, moved,
 * resized, re-protected, mapped over, or (when it is read-only anonymous memory) have its
 * pages discarded by madvise: each of those fails with EPERM and changes nothing. A fork
 * keeps the seal; execve starts a new address space without it. */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <sys/mman.h>

bool mm_range_sealed(struct mm *mm, uint64_t start, uint64_t end)
{
	for (struct vma *v = vma_find(mm, start); v && v->start < end; v = vma_next(mm, v))
		if (v->vflags & VMA_SEALED)
			return true;
	return false;
}

/* Linux's is_ro_anon: private anonymous memory the application cannot write. */
static bool ro_anon(const struct vma *v)
{
	return v->kind == VMA_ANON_PRIVATE && !(v->prot & PROT_WRITE);
}

static bool advice_discards(int advice)
{
	switch (advice) {
	case MADV_DONTNEED: case MADV_DONTNEED_LOCKED: case MADV_FREE: case MADV_REMOVE:
	case MADV_DONTFORK: case MADV_WIPEONFORK:
		return true;
	default:
		return false;
	}
}

bool mm_madvise_sealed(struct mm *mm, uint64_t start, uint64_t end, int advice)
{
	if (!advice_discards(advice))
		return false;
	for (struct vma *v = vma_find(mm, start); v && v->start < end; v = vma_next(mm, v))
		if ((v->vflags & VMA_SEALED) && ro_anon(v))
			return true;
	return false;
}

int mm_mseal(struct mm *mm, uint64_t addr, uint64_t len, unsigned long flags)
{
	uint64_t end, a = addr;

	if (flags)
		return -EINVAL;
	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	end = addr + ALIGN_UP(len, PAGE_SIZE);
	if (end < addr || ALIGN_UP(len, PAGE_SIZE) < len)
		return -EINVAL;
	if (end == addr)
		return 0;
	/* All of the range must be mapped before anything is sealed. */
	for (struct vma *v = vma_find(mm, addr); a < end; v = vma_next(mm, v)) {
		if (!v || v->start > a)
			return -ENOMEM;
		a = v->end;
	}
	vma_split_range(mm, addr, end);
	for (struct vma *v = vma_find(mm, addr); v && v->start < end; v = vma_next(mm, v))
		v->vflags |= VMA_SEALED;
	vma_merge_range(mm, addr, end);
	return 0;
}
