/* brk: querying, growing (zeroed, writable), shrinking and refused requests. */
#include "harness.h"

static long g_page;

static unsigned long raw_brk(unsigned long addr)
{
	return (unsigned long)syscall(SYS_brk, addr);
}

static void brk_zero_returns_current_break(void)
{
	unsigned long a = raw_brk(0);
	unsigned long b = raw_brk(0);

	CHECK(a != 0);
	CHECK_EQ(a, b);
}

static void brk_grow_gives_zeroed_writable_memory(void)
{
	unsigned long start = raw_brk(0);
	unsigned long end = raw_brk(start + 4 * g_page);
	volatile char *p = (volatile char *)start;
	int nonzero = 0;

	CHECK_EQ(end, start + 4 * g_page);
	CHECK_EQ(raw_brk(0), end);
	if (end != start + 4 * g_page)
		return;
	for (long i = 0; i < 4 * g_page; i++)
		nonzero |= p[i];
	CHECK_EQ(nonzero, 0);
	p[0] = 1;
	p[4 * g_page - 1] = 2;
	CHECK_EQ(p[4 * g_page - 1], 2);
	CHECK_EQ(raw_brk(start), start);
}

static void brk_unaligned_request_is_honoured_exactly(void)
{
	unsigned long start = raw_brk(0);

	CHECK_EQ(raw_brk(start + 100), start + 100);
	CHECK_EQ(raw_brk(0), start + 100);
	CHECK_EQ(raw_brk(start), start);
}

static void brk_shrink_then_grow_rezeroes(void)
{
	unsigned long start = raw_brk(0);
	volatile char *p = (volatile char *)start;

	CHECK_EQ(raw_brk(start + 2 * g_page), start + 2 * g_page);
	p[g_page] = 9;
	CHECK_EQ(raw_brk(start), start);
	CHECK_EQ(raw_brk(start + 2 * g_page), start + 2 * g_page);
	CHECK_EQ(p[g_page], 0);
	CHECK_EQ(raw_brk(start), start);
}

static void brk_below_start_is_refused(void)
{
	unsigned long cur = raw_brk(0);

	/* A refused request returns the unchanged break, never an errno. */
	CHECK_EQ(raw_brk(4096), cur);
	CHECK_EQ(raw_brk(0), cur);
}

static void brk_huge_request_is_refused(void)
{
	unsigned long cur = raw_brk(0);

	CHECK_EQ(raw_brk(cur + (1UL << 46)), cur);
	CHECK_EQ(raw_brk(0), cur);
}

static void sbrk_and_malloc_work(void)
{
	void *before = sbrk(0);
	char *big = malloc(64 * 1024);

	CHECK(before != (void *)-1);
	CHECK(big != NULL);
	if (big) {
		memset(big, 1, 64 * 1024);
		CHECK_EQ(big[64 * 1024 - 1], 1);
	}
	free(big);
}

int main(void)
{
	h_begin();
	g_page = sysconf(_SC_PAGESIZE);
	RUN(brk_zero_returns_current_break);
	RUN(brk_grow_gives_zeroed_writable_memory);
	RUN(brk_unaligned_request_is_honoured_exactly);
	RUN(brk_shrink_then_grow_rezeroes);
	RUN(brk_below_start_is_refused);
	RUN(brk_huge_request_is_refused);
	RUN(sbrk_and_malloc_work);
	return h_end();
}
