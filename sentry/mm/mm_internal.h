/* mm_internal.h: VMA list helpers shared by the files of sentry/mm/. Kernel lock held. */
#ifndef RUNSC_SENTRY_MM_INTERNAL_H
#define RUNSC_SENTRY_MM_INTERNAL_H

#include <stdbool.h>

#include "sentry/mm/mm.h"

#define MM_MIN_ADDR 0x10000ULL		   /* vm.mmap_min_addr */
#define MM_TASK_SIZE 0x00007ffffff00000ULL /* == PLAT_APP_MAX_ADDR */

/* First VMA with end > addr (it may start above addr), or NULL. */
struct vma *vma_find(struct mm *mm, uint64_t addr);
/* The VMA containing addr, or NULL. */
struct vma *vma_lookup(struct mm *mm, uint64_t addr);
struct vma *vma_new(uint64_t start, uint64_t end, int prot, int flags, enum vma_kind kind);
void vma_insert(struct mm *mm, struct vma *v);
void vma_free(struct vma *v);
struct vma *vma_split(struct vma *v, uint64_t addr);
void vma_split_range(struct mm *mm, uint64_t start, uint64_t end);
/* Unmap [start, end): drop VMAs and pages, and the platform mapping. */
int vma_remove_range(struct mm *mm, uint64_t start, uint64_t end);
bool mm_range_free(struct mm *mm, uint64_t start, uint64_t end);
/* Highest free gap of len below mm->mmap_base, 0 if none. */
uint64_t mm_find_gap(struct mm *mm, uint64_t len);

/* Release present pages of [start, end) (no VMA or platform changes). */
void mm_drop_pages(struct mm *mm, uint64_t start, uint64_t end);
int mm_put_page_cb(void *arg, uint64_t key, uint64_t val);

/* Make the page at addr (in v) present; optionally map it into the platform.
 * Returns 0 or -errno (-EIO: beyond the end of the mapped file). */
int mm_page_in(struct mm *mm, struct vma *v, uint64_t addr, bool map);

static inline bool prot_readable(int prot)
{
	return prot & 7; /* on x86 write and exec imply read */
}

#endif
