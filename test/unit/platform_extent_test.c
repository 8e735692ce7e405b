/* platform_extent_test.c: the ptrace platform's mapped-range set (split, merge, protect runs). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "platform/ptrace/ptrace_internal.h"

#define PG 4096ULL

static void check(const struct plat_extents *s, size_t i, uint64_t start, uint64_t end,
		  uint64_t off, int prot)
{
	assert_true(i < s->n);
	assert_int_equal(s->v[i].start, start);
	assert_int_equal(s->v[i].end, end);
	assert_int_equal(s->v[i].off, off);
	assert_int_equal(s->v[i].prot, prot);
}

static void insert_merges_contiguous(void **state)
{
	struct plat_extents s = { 0 };

	plat_ext_insert(&s, 0x1000, 0x2000, 0x10000, PROT_READ);
	plat_ext_insert(&s, 0x3000, 0x4000, 0x12000, PROT_READ);
	assert_int_equal(s.n, 2);
	/* Fills the gap with the matching offset: all three become one. */
	plat_ext_insert(&s, 0x2000, 0x3000, 0x11000, PROT_READ);
	assert_int_equal(s.n, 1);
	check(&s, 0, 0x1000, 0x4000, 0x10000, PROT_READ);
	/* Different offset or prot: no merge. */
	plat_ext_insert(&s, 0x4000, 0x5000, 0x99000, PROT_READ);
	plat_ext_insert(&s, 0x5000, 0x6000, 0x9a000, PROT_WRITE);
	assert_int_equal(s.n, 3);
	plat_ext_free(&s);
}

static void remove_splits_at_edges(void **state)
{
	struct plat_extents s = { 0 };

	plat_ext_insert(&s, 0x10000, 0x20000, 0x0, PROT_READ);
	plat_ext_remove(&s, 0x14000, 0x16000); /* a hole in the middle */
	assert_int_equal(s.n, 2);
	check(&s, 0, 0x10000, 0x14000, 0x0, PROT_READ);
	check(&s, 1, 0x16000, 0x20000, 0x6000, PROT_READ);
	plat_ext_remove(&s, 0x12000, 0x18000); /* overlaps both */
	check(&s, 0, 0x10000, 0x12000, 0x0, PROT_READ);
	check(&s, 1, 0x18000, 0x20000, 0x8000, PROT_READ);
	plat_ext_remove(&s, 0x0, 0x100000);
	assert_int_equal(s.n, 0);
	plat_ext_remove(&s, 0x0, 0x1000); /* empty set */
	plat_ext_free(&s);
}

struct runs {
	uint64_t start[8], end[8];
	int n;
};

static int record(void *arg, uint64_t start, uint64_t end)
{
	struct runs *r = arg;

	r->start[r->n] = start;
	r->end[r->n] = end;
	r->n++;
	return 0;
}

static void protect_emits_mapped_runs(void **state)
{
	struct plat_extents s = { 0 };
	struct runs r = { 0 };

	/* Three pages with unrelated offsets (one run) and one after a hole. */
	plat_ext_insert(&s, 0x1000, 0x2000, 0x50000, PROT_READ | PROT_WRITE);
	plat_ext_insert(&s, 0x2000, 0x3000, 0x20000, PROT_READ | PROT_WRITE);
	plat_ext_insert(&s, 0x3000, 0x4000, 0x80000, PROT_READ);
	plat_ext_insert(&s, 0x6000, 0x8000, 0x90000, PROT_READ | PROT_WRITE);
	assert_int_equal(plat_ext_protect(&s, 0x0, 0x7000, PROT_READ, record, &r), 0);
	assert_int_equal(r.n, 2);
	assert_int_equal(r.start[0], 0x1000);
	assert_int_equal(r.end[0], 0x4000);
	assert_int_equal(r.start[1], 0x6000);
	assert_int_equal(r.end[1], 0x7000);
	/* The last extent was split at the end of the range. */
	check(&s, s.n - 2, 0x6000, 0x7000, 0x90000, PROT_READ);
	check(&s, s.n - 1, 0x7000, 0x8000, 0x91000, PROT_READ | PROT_WRITE);
	/* Nothing mapped: nothing emitted. */
	r.n = 0;
	assert_int_equal(plat_ext_protect(&s, 0x10000, 0x20000, PROT_NONE, record, &r), 0);
	assert_int_equal(r.n, 0);
	/* A range starting inside an extent. */
	assert_int_equal(plat_ext_protect(&s, 0x7000 + 0, 0x7000 + PG, PROT_NONE, record, &r), 0);
	assert_int_equal(r.n, 1);
	plat_ext_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(insert_merges_contiguous),
		cmocka_unit_test(remove_splits_at_edges),
		cmocka_unit_test(protect_emits_mapped_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
