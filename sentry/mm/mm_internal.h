/* mm_internal.h: VMA list helpers shared by the files of sentry/mm/. Kernel lock held. */
#ifndef RUNSC_SENTRY_MM_INTERNAL_H
#define RUNSC_SENTRY_MM_INTERNAL_H

#include <stdbool.h>
#include <sys/mman.h>

#include "platform/platform.h"
#include "sentry/mm/mm.h"

#define MM_MIN_ADDR 0x10000ULL		   /* vm.mmap_min_addr */
#define MM_TASK_SIZE PLAT_APP_MAX_ADDR	   /* the platforms' stub pages sit above it */

/* First VMA with end > addr (it may start above addr), or NULL. */
struct vma *vma_find(struct mm *mm, uint64_t addr);
/* The VMA containing addr, or NULL. */
struct vma *vma_lookup(struct mm *mm, uint64_t addr);
/* The VMA after v, or NULL. */
static inline struct vma *vma_next(struct mm *mm, struct vma *v)
{
	return v->link.next == &mm->vmas ? NULL : list_entry(v->link.next, struct vma, link);
}
struct vma *vma_new(uint64_t start, uint64_t end, int prot, int flags, enum vma_kind kind);
void vma_insert(struct mm *mm, struct vma *v);
void vma_free(struct vma *v);
struct vma *vma_split(struct vma *v, uint64_t addr);
void vma_split_range(struct mm *mm, uint64_t start, uint64_t end);
/* Merge compatible neighbouring VMAs touching [start, end] (as Linux's vma_merge). */
void vma_merge_range(struct mm *mm, uint64_t start, uint64_t end);
/* mseal.c: does [start, end) hold a sealed VMA (one that a discarding advice may not
 * touch)? */
bool mm_range_sealed(struct mm *mm, uint64_t start, uint64_t end);
bool mm_madvise_sealed(struct mm *mm, uint64_t start, uint64_t end, int advice);
/* Unmap [start, end): drop VMAs and pages, and the platform mapping. */
int vma_remove_range(struct mm *mm, uint64_t start, uint64_t end);
bool mm_range_free(struct mm *mm, uint64_t start, uint64_t end);
/* Highest free gap of len below mm->mmap_base, 0 if none. */
uint64_t mm_find_gap(struct mm *mm, uint64_t len);
/* Highest free [a, a+len) within [lo, hi) clear of stack guard gaps, 0 if none. */
uint64_t mm_find_gap_in(struct mm *mm, uint64_t len, uint64_t lo, uint64_t hi);
/* Is [start, end) free of VMAs and of stack guard gaps (for an address hint)? */
bool mm_range_free_gap(struct mm *mm, uint64_t start, uint64_t end);

/* Release present pages of [start, end) (no VMA or platform changes). */
void mm_drop_pages(struct mm *mm, uint64_t start, uint64_t end);
int mm_put_page_cb(void *arg, uint64_t key, uint64_t val);

/* Make the page at addr (in v) present; optionally map it into the platform.
 * Returns 0 or -errno (-EIO: beyond the end of the mapped file). */
int mm_page_in(struct mm *mm, struct vma *v, uint64_t addr, bool map);

/* A pmap value is the memory-file offset + 1, with flag bits in the rest of the low 12. */
#define PTE_PRESENT 1ULL
#define PTE_COW 2ULL /* private page shared with another mm: mapped without write */

static inline uint64_t pte_off(uint64_t val)
{
	return val & ~(PAGE_SIZE - 1);
}

static inline bool vma_is_private(const struct vma *v)
{
	return v->kind == VMA_ANON_PRIVATE || v->kind == VMA_FILE_PRIVATE;
}

/* The protection a present page (pmap value val) of v has in the platform: the VMA's,
 * without write while the page is copy-on-write. */
static inline int mm_page_prot(const struct vma *v, uint64_t val)
{
	return (val & PTE_COW) ? v->prot & ~PROT_WRITE : v->prot;
}

typedef int (*mm_run_fn)(struct mm *mm, uint64_t addr, uint64_t size, uint64_t off, int prot);
/* Call fn for each run of present pages of v within [start, end) that is contiguous in
 * address and memory file and has one page protection. Stops at the first error. */
int mm_for_each_run(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, mm_run_fn fn);
/* mm_run_fn that maps the run into the platform, and one that changes its protection. */
int mm_run_map(struct mm *mm, uint64_t addr, uint64_t size, uint64_t off, int prot);
int mm_run_protect(struct mm *mm, uint64_t addr, uint64_t size, uint64_t off, int prot);
/* Give the copy-on-write page at addr of v (and its copy-on-write neighbours) its own
 * copy (or take sole ownership when no one else holds it) and map it writable. */
int mm_cow_break(struct mm *mm, struct vma *v, uint64_t addr);
/* Give every copy-on-write page of [lo, hi) (within v) its own page, copied as one run,
 * and map the range: for pages all about to be written. */
int mm_cow_break_range(struct mm *mm, struct vma *v, uint64_t lo, uint64_t hi);
/* A copy of v's attributes and references over [start, end) (pgoff adjusted). */
struct vma *vma_dup(const struct vma *v, uint64_t start, uint64_t end);
/* The soft limit r of the task running this mm (RLIM_INFINITY when none, as in tests). */
uint64_t mm_rlimit(struct mm *mm, int r);

/* Linux's stack_guard_gap: no mapping is placed, and no stack grows, this close below a
 * MAP_GROWSDOWN VMA (or above another mapping). */
#define MM_STACK_GUARD_GAP (256 * PAGE_SIZE)

/* A private writable mapping other than a stack: what RLIMIT_DATA counts. */
bool vma_is_data(const struct vma *v);
struct mm_counts {
	uint64_t total, data, locked; /* bytes */
};
/* Sizes of the VMAs within [start, end). */
void mm_count(struct mm *mm, uint64_t start, uint64_t end, struct mm_counts *c);
/* May a mapping of len bytes at start (replacing what is there) be added under RLIMIT_AS
 * (and RLIMIT_DATA when data)? 0 or -ENOMEM. */
int mm_may_expand(struct mm *mm, uint64_t start, uint64_t len, bool data);
/* May add more bytes be locked (already of them are locked now)? 0, -EPERM (limit 0)
 * or -ENOMEM. */
int mm_may_lock(struct mm *mm, uint64_t add, uint64_t already);
bool mm_capable_ipc_lock(void);
/* Fault in [start, end) of the VMAs there as mlock/MAP_POPULATE do (write access when
 * write, so COW is broken). Stops at the first error: -EFAULT inaccessible, -EIO past EOF,
 * -ENOMEM unmapped or out of memory. */
int mm_populate(struct mm *mm, uint64_t start, uint64_t end, bool write);
/* The VMA containing addr, growing a MAP_GROWSDOWN VMA down to it as Linux's stack
 * expansion does (RLIMIT_STACK, RLIMIT_AS and the guard gap permitting). NULL if none. */
struct vma *mm_find_vma_grow(struct mm *mm, uint64_t addr);

static inline bool prot_readable(int prot)
{
	return prot & 7; /* on x86 write and exec imply read */
}

#endif
