/* extent.h: mapped-range bookkeeping for the stub-process platforms (ptrace, systrap). */
#ifndef RUNSC_PLATFORM_EXTENT_H
#define RUNSC_PLATFORM_EXTENT_H

#include <stddef.h>
#include <stdint.h>

/* Mapped ranges of one stub, sorted by start, non-overlapping. */
struct plat_extent {
	uint64_t start, end;	/* page aligned, [start, end) */
	uint64_t off;		/* memory-file offset of start */
	int prot;
};
struct plat_extents {
	struct plat_extent *v;
	size_t n, cap;
};

void plat_ext_free(struct plat_extents *s);
/* Forget [start, end), splitting extents at the edges. */
void plat_ext_remove(struct plat_extents *s, uint64_t start, uint64_t end);
/* Record [start, end) -> off with prot; the range must be free (call remove first). */
void plat_ext_insert(struct plat_extents *s, uint64_t start, uint64_t end, uint64_t off,
		     int prot);
/* Set prot on the mapped parts of [start, end) and call emit once per maximal run of
 * contiguous mapped addresses. Stops at and returns the first emit error. */
int plat_ext_protect(struct plat_extents *s, uint64_t start, uint64_t end, int prot,
		     int (*emit)(void *arg, uint64_t start, uint64_t end), void *arg);

#endif
