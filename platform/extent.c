/* extent.c: the sorted set of ranges a stub-process platform has mapped, so protect can
 * skip holes (host mprotect fails with ENOMEM on them). Shared by ptrace and systrap. */
#include "platform/extent.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

void plat_ext_free(struct plat_extents *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/* Index of the first extent ending after addr (s->n if none). */
static size_t first_after(const struct plat_extents *s, uint64_t addr)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (s->v[mid].end <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void insert_at(struct plat_extents *s, size_t i, struct plat_extent e)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
	}
	memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*s->v));
	s->v[i] = e;
	s->n++;
}

static void delete_range(struct plat_extents *s, size_t i, size_t j)
{
	if (i == j)
		return; /* also keeps a NULL v away from memmove */
	memmove(&s->v[i], &s->v[j], (s->n - j) * sizeof(*s->v));
	s->n -= j - i;
}

/* Split extent i at addr (inside it): i keeps [start, addr), i+1 gets the rest. */
static void split_at(struct plat_extents *s, size_t i, uint64_t addr)
{
	struct plat_extent right = s->v[i];

	right.off += addr - right.start;
	right.start = addr;
	s->v[i].end = addr;
	insert_at(s, i + 1, right);
}

void plat_ext_remove(struct plat_extents *s, uint64_t start, uint64_t end)
{
	size_t i = first_after(s, start), j;

	if (i < s->n && s->v[i].start < start) {
		if (s->v[i].end > end)
			split_at(s, i, end);
		s->v[i].end = start;
		i++;
	}
	for (j = i; j < s->n && s->v[j].end <= end; j++)
		;
	if (j < s->n && s->v[j].start < end) {
		s->v[j].off += end - s->v[j].start;
		s->v[j].start = end;
	}
	delete_range(s, i, j);
}

/* a then b are adjacent in address, file offset and protection. */
static bool mergeable(const struct plat_extent *a, const struct plat_extent *b)
{
	return a->end == b->start && a->prot == b->prot &&
	       a->off + (a->end - a->start) == b->off;
}

void plat_ext_insert(struct plat_extents *s, uint64_t start, uint64_t end, uint64_t off,
		       int prot)
{
	struct plat_extent e = { .start = start, .end = end, .off = off, .prot = prot };
	size_t i = first_after(s, start);

	if (i > 0 && mergeable(&s->v[i - 1], &e)) {
		s->v[i - 1].end = end;
		if (i < s->n && mergeable(&s->v[i - 1], &s->v[i])) {
			s->v[i - 1].end = s->v[i].end;
			delete_range(s, i, i + 1);
		}
		return;
	}
	if (i < s->n && mergeable(&e, &s->v[i])) {
		s->v[i].start = start;
		s->v[i].off = off;
		return;
	}
	insert_at(s, i, e);
}

int plat_ext_protect(struct plat_extents *s, uint64_t start, uint64_t end, int prot,
		       int (*emit)(void *arg, uint64_t start, uint64_t end), void *arg)
{
	size_t i = first_after(s, start);
	uint64_t run_start = 0, run_end = 0;
	int ret;

	if (i < s->n && s->v[i].start < start) {
		split_at(s, i, start);
		i++;
	}
	for (; i < s->n && s->v[i].start < end; i++) {
		if (s->v[i].end > end)
			split_at(s, i, end);
		s->v[i].prot = prot;
		if (run_end != s->v[i].start) {
			if (run_end != run_start && (ret = emit(arg, run_start, run_end)))
				return ret;
			run_start = s->v[i].start;
		}
		run_end = s->v[i].end;
	}
	if (run_end != run_start)
		return emit(arg, run_start, run_end);
	return 0;
}
