/* mm_test.c: the memory file and address spaces without a platform: mmap/munmap/mprotect
 * checks, VMA splitting, brk, fork copies, DONTNEED, and the guest-memory copy helpers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include <cmocka.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

#define A 0x10000000ULL

static int setup_memfile(void **state)
{
	static bool done;

	if (!done) {
		assert_int_equal(memfile_init(), 0);
		done = true;
	}
	return 0;
}

static void memfile_pages_are_refcounted_and_reused(void **state)
{
	uint64_t before = memfile_used_bytes();
	int64_t off = memfile_alloc(2);

	assert_true(off > 0);
	assert_int_equal(memfile_used_bytes() - before, 2 * PAGE_SIZE);
	assert_int_equal(memfile_refs((uint64_t)off), 1);
	memset(memfile_ptr((uint64_t)off), 0xab, PAGE_SIZE);
	memfile_get((uint64_t)off);
	memfile_put((uint64_t)off);
	assert_int_equal(memfile_refs((uint64_t)off), 1);
	memfile_put((uint64_t)off);
	memfile_put((uint64_t)off + PAGE_SIZE);
	assert_int_equal(memfile_used_bytes(), before);
	/* A freed page comes back zeroed. */
	int64_t again = memfile_alloc(1);
	assert_true(again > 0);
	assert_int_equal(((uint8_t *)memfile_ptr((uint64_t)again))[0], 0);
	memfile_put((uint64_t)again);
}

/* Frees are punched in batches: a page handed out again must still read as zeros, from
 * the middle of a pending run, across its end, and past the batch limit. */
static void freed_runs_read_as_zeros_when_reused(void **state)
{
	const uint64_t n = 300;
	uint64_t before = memfile_used_bytes();
	int64_t off = memfile_alloc(n);

	(void)state;
	assert_true(off > 0);
	memset(memfile_ptr((uint64_t)off), 0x5a, n * PAGE_SIZE);
	for (uint64_t i = 0; i < n; i++)
		memfile_put((uint64_t)off + i * PAGE_SIZE);
	assert_int_equal(memfile_used_bytes(), before);
	for (int round = 0; round < 3; round++) {
		int64_t a = memfile_alloc(n);
		const uint8_t *p = memfile_ptr((uint64_t)a);

		assert_true(a > 0);
		for (uint64_t b = 0; b < n * PAGE_SIZE; b += 512)
			assert_int_equal(p[b], 0);
		memset(memfile_ptr((uint64_t)a), 0x77, n * PAGE_SIZE);
		/* Free back to front, then in two interleaved halves. */
		for (uint64_t i = n; i-- > 0;)
			if (round != 1 || (i & 1))
				memfile_put((uint64_t)a + i * PAGE_SIZE);
		for (uint64_t i = 0; round == 1 && i < n; i += 2)
			memfile_put((uint64_t)a + i * PAGE_SIZE);
	}
	memfile_flush();
	assert_int_equal(memfile_used_bytes(), before);
}

static void mmap_rejects_bad_arguments(void **state)
{
	struct mm *mm = mm_new();

	assert_int_equal(mm_mmap(mm, 0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, 4096, PROT_READ, MAP_ANONYMOUS, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, A + 1, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
				 NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0, 4096, 0x100, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0), -EINVAL);
	assert_int_equal(mm_mmap(mm, 0x1000, 4096, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), -EPERM);
	assert_int_equal(mm_mmap(mm, 0, 1ULL << 62, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0),
			 -ENOMEM);
	mm_put(mm);
}

static void mmap_fixed_noreplace_and_hint(void **state)
{
	struct mm *mm = mm_new();

	assert_int_equal(mm_mmap(mm, A, 8192, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)A);
	assert_int_equal(mm_mmap(mm, A + 4096, 4096, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, NULL, 0),
			 -EEXIST);
	/* A hint that is taken elsewhere lands somewhere free instead. */
	int64_t r = mm_mmap(mm, A, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
	assert_true(r > 0 && (uint64_t)r != A);
	/* A free hint is honoured. */
	assert_int_equal(mm_mmap(mm, A + 0x100000, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
				 NULL, 0), (int64_t)(A + 0x100000));
	mm_put(mm);
}

static void copies_cross_pages_and_respect_protection(void **state)
{
	struct mm *mm = mm_new();
	char buf[6000], out[6000];

	assert_int_equal(mm_mmap(mm, A, 3 * 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)A);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (char)i;
	assert_int_equal(mm_copy_out(mm, A + 1000, buf, sizeof(buf)), 0);
	assert_int_equal(mm_copy_in(mm, out, A + 1000, sizeof(out)), 0);
	assert_memory_equal(buf, out, sizeof(buf));
	/* Fresh pages read as zero. */
	assert_int_equal(mm_copy_in(mm, out, A, 8), 0);
	assert_int_equal(out[0], 0);
	/* Read-only: reads work, writes fault. */
	assert_int_equal(mm_mprotect(mm, A, 4096, PROT_READ), 0);
	assert_int_equal(mm_copy_out(mm, A, buf, 1), -EFAULT);
	assert_int_equal(mm_copy_in(mm, out, A, 1), 0);
	/* PROT_NONE: nothing works. */
	assert_int_equal(mm_mprotect(mm, A, 4096, PROT_NONE), 0);
	assert_int_equal(mm_copy_in(mm, out, A, 1), -EFAULT);
	/* Beyond the mapping, and overflowing ranges. */
	assert_int_equal(mm_copy_in(mm, out, A + 3 * 4096, 1), -EFAULT);
	assert_int_equal(mm_copy_in(mm, out, UINT64_MAX - 2, 8), -EFAULT);
	mm_put(mm);
}

static void munmap_splits_vmas(void **state)
{
	struct mm *mm = mm_new();
	char c = 'x';

	assert_int_equal(mm_mmap(mm, A, 3 * 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)A);
	assert_int_equal(mm_copy_out(mm, A + 2 * 4096, &c, 1), 0);
	assert_int_equal(mm_munmap(mm, A + 4096, 4096), 0);
	assert_int_equal(mm_copy_out(mm, A + 4096, &c, 1), -EFAULT);
	assert_int_equal(mm_copy_out(mm, A, &c, 1), 0);
	c = 0;
	assert_int_equal(mm_copy_in(mm, &c, A + 2 * 4096, 1), 0);
	assert_int_equal(c, 'x');
	/* mprotect over the hole fails with ENOMEM; munmap of nothing is fine. */
	assert_int_equal(mm_mprotect(mm, A, 3 * 4096, PROT_READ), -ENOMEM);
	assert_int_equal(mm_munmap(mm, A + 4096, 4096), 0);
	assert_int_equal(mm_munmap(mm, A + 1, 4096), -EINVAL);
	assert_int_equal(mm_munmap(mm, A, 0), -EINVAL);
	mm_put(mm);
}

static void brk_grows_and_shrinks(void **state)
{
	struct mm *mm = mm_new();
	char c = 'b';

	mm->brk_start = mm->brk = A;
	assert_int_equal(mm_brk(mm, 0), (int64_t)A);
	assert_int_equal(mm_brk(mm, A + 10000), (int64_t)(A + 10000));
	assert_int_equal(mm_copy_out(mm, A + 9999, &c, 1), 0);
	assert_int_equal(mm_brk(mm, A + 100), (int64_t)(A + 100));
	assert_int_equal(mm_copy_out(mm, A + 9999, &c, 1), -EFAULT);
	/* Below the start: unchanged. */
	assert_int_equal(mm_brk(mm, A - 4096), (int64_t)(A + 100));
	mm_put(mm);
}

static void fork_copies_private_and_shares_shared(void **state)
{
	struct mm *mm = mm_new(), *child;
	int v = 1, r = 0;

	assert_int_equal(mm_mmap(mm, A, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)A);
	assert_int_equal(mm_mmap(mm, A + 4096, 4096, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)(A + 4096));
	assert_int_equal(mm_copy_out(mm, A, &v, sizeof(v)), 0);
	assert_int_equal(mm_copy_out(mm, A + 4096, &v, sizeof(v)), 0);
	assert_int_equal(mm_fork(mm, &child), 0);
	v = 2;
	assert_int_equal(mm_copy_out(child, A, &v, sizeof(v)), 0);
	assert_int_equal(mm_copy_out(child, A + 4096, &v, sizeof(v)), 0);
	assert_int_equal(mm_copy_in(mm, &r, A, sizeof(r)), 0);
	assert_int_equal(r, 1);
	assert_int_equal(mm_copy_in(mm, &r, A + 4096, sizeof(r)), 0);
	assert_int_equal(r, 2);
	mm_put(child);
	mm_put(mm);
}

/* Fork shares private pages (no copy) until one side writes; each write copies once. */
static void fork_is_copy_on_write(void **state)
{
	struct mm *mm = mm_new(), *child;
	uint64_t used;
	int v = 1, r = 0;

	assert_int_equal(mm_mmap(mm, A, 64 * 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)A);
	for (int i = 0; i < 64; i++)
		assert_int_equal(mm_copy_out(mm, A + (uint64_t)i * 4096, &v, sizeof(v)), 0);
	used = memfile_used_bytes();
	assert_int_equal(mm_fork(mm, &child), 0);
	assert_int_equal(memfile_used_bytes(), used);
	/* The child's write copies (its fault-around window at most), the parent keeps 1. */
	v = 2;
	assert_int_equal(mm_copy_out(child, A, &v, sizeof(v)), 0);
	assert_true(memfile_used_bytes() > used);
	assert_true(memfile_used_bytes() <= used + 16 * 4096);
	assert_int_equal(mm_copy_in(mm, &r, A, sizeof(r)), 0);
	assert_int_equal(r, 1);
	assert_int_equal(mm_copy_in(child, &r, A, sizeof(r)), 0);
	assert_int_equal(r, 2);
	/* A page neither side wrote still reads the same in both. */
	assert_int_equal(mm_copy_in(child, &r, A + 40 * 4096, sizeof(r)), 0);
	assert_int_equal(r, 1);
	/* Once the child is gone the parent owns its pages again: writes copy nothing. */
	mm_put(child);
	used = memfile_used_bytes();
	v = 3;
	for (int i = 0; i < 64; i++)
		assert_int_equal(mm_copy_out(mm, A + (uint64_t)i * 4096, &v, sizeof(v)), 0);
	assert_int_equal(memfile_used_bytes(), used);
	assert_int_equal(mm_copy_in(mm, &r, A + 63 * 4096, sizeof(r)), 0);
	assert_int_equal(r, 3);
	mm_put(mm);
}

/* Faults walking private anonymous memory in order bring runs that double up to 2 MiB;
 * any other fault brings the 16-page chunk only. Memory taken ahead stays below what
 * was touched in order. */
static void sequential_faults_grow_the_run(void **state)
{
	struct mm *mm = mm_new();
	uint64_t base, addr = A, want = 16;
	int code = SEGV_MAPERR;

	assert_int_equal(mm_mmap(mm, A, 8 << 20, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)A);
	base = memfile_used_bytes();
	for (int i = 0; i < 7; i++) {
		uint64_t before = memfile_used_bytes();

		assert_int_equal(mm_handle_fault(mm, addr, PLAT_ACCESS_WRITE, &code), 0);
		assert_int_equal(memfile_used_bytes() - before, want * 4096);
		addr += want * 4096;
		want = want * 2 > 512 ? 512 : want * 2;
	}
	/* 16+32+64+128+256+512+512 pages, each run taken when the one before was touched. */
	assert_int_equal(memfile_used_bytes() - base, (addr - A));
	assert_int_equal(addr - A, 1520 * 4096);
	/* A fault elsewhere (page 1557): the chunk around it only, [1552, 1568). */
	base = memfile_used_bytes();
	assert_int_equal(mm_handle_fault(mm, A + 1557 * 4096, PLAT_ACCESS_WRITE, &code), 0);
	assert_int_equal(memfile_used_bytes() - base, 16 * 4096);
	/* Back where the walk was: no longer in order, 16 pages again. */
	base = memfile_used_bytes();
	assert_int_equal(mm_handle_fault(mm, addr, PLAT_ACCESS_WRITE, &code), 0);
	assert_int_equal(memfile_used_bytes() - base, 16 * 4096);
	/* In order again (page 1536): the run would reach 1568 but stops at 1552, present. */
	base = memfile_used_bytes();
	assert_int_equal(mm_handle_fault(mm, addr + 16 * 4096, PLAT_ACCESS_WRITE, &code), 0);
	assert_int_equal(memfile_used_bytes() - base, 16 * 4096);
	mm_put(mm);
}

/* A read-only private page shared by fork becomes private when made writable. */
/* mm_fork_hot copies the chunk around a hot address for the child at fork: later writes
 * on either side copy nothing more and stay private; the rest stays copy-on-write. */
static void fork_hot_copies_the_chunk_at_once(void **state)
{
	struct mm *mm = mm_new(), *child;
	uint64_t used, hot = A + 5 * 4096;
	int v = 1, r = 0;

	(void)state;
	assert_int_equal(mm_mmap(mm, A, 64 * 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)A);
	for (int i = 0; i < 64; i++)
		assert_int_equal(mm_copy_out(mm, A + (uint64_t)i * 4096, &v, sizeof(v)), 0);
	used = memfile_used_bytes();
	assert_int_equal(mm_fork_hot(mm, &child, &hot, 1), 0);
	assert_int_equal(memfile_used_bytes(), used + 16 * 4096);
	v = 2;
	assert_int_equal(mm_copy_out(mm, hot, &v, sizeof(v)), 0);
	v = 3;
	assert_int_equal(mm_copy_out(child, hot + 4096, &v, sizeof(v)), 0);
	assert_int_equal(memfile_used_bytes(), used + 16 * 4096);
	assert_int_equal(mm_copy_in(child, &r, hot, sizeof(r)), 0);
	assert_int_equal(r, 1);
	assert_int_equal(mm_copy_in(mm, &r, hot + 4096, sizeof(r)), 0);
	assert_int_equal(r, 1);
	/* Outside the chunk: still shared until written. */
	assert_int_equal(mm_copy_out(child, A + 40 * 4096, &v, sizeof(v)), 0);
	assert_true(memfile_used_bytes() > used + 16 * 4096);
	assert_int_equal(mm_copy_in(mm, &r, A + 40 * 4096, sizeof(r)), 0);
	assert_int_equal(r, 1);
	mm_put(child);
	mm_put(mm);
}

static void fork_cow_survives_mprotect(void **state)
{
	struct mm *mm = mm_new(), *child;
	int v = 5, r = 0;

	assert_int_equal(mm_mmap(mm, A, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)A);
	assert_int_equal(mm_copy_out(mm, A, &v, sizeof(v)), 0);
	assert_int_equal(mm_mprotect(mm, A, 4096, PROT_READ), 0);
	assert_int_equal(mm_fork(mm, &child), 0);
	assert_int_equal(mm_mprotect(child, A, 4096, PROT_READ | PROT_WRITE), 0);
	v = 6;
	assert_int_equal(mm_copy_out(child, A, &v, sizeof(v)), 0);
	assert_int_equal(mm_copy_in(mm, &r, A, sizeof(r)), 0);
	assert_int_equal(r, 5);
	mm_put(child);
	mm_put(mm);
}

/* mremap moves pages without copying them (the memory-file use stays the same). */
static void mremap_moves_pages(void **state)
{
	struct mm *mm = mm_new();
	uint64_t used;
	int v = 9, r = 0;

	assert_int_equal(mm_mmap(mm, A, 2 * 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)A);
	assert_int_equal(mm_mmap(mm, A + 2 * 4096, 4096, PROT_READ,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)(A + 8192));
	assert_int_equal(mm_copy_out(mm, A + 4096, &v, sizeof(v)), 0);
	used = memfile_used_bytes();
	int64_t to = mm_mremap(mm, A, 2 * 4096, 4 * 4096, MREMAP_MAYMOVE, 0);
	assert_true(to > 0 && (uint64_t)to != A);
	assert_int_equal(memfile_used_bytes(), used);
	assert_int_equal(mm_copy_in(mm, &r, (uint64_t)to + 4096, sizeof(r)), 0);
	assert_int_equal(r, 9);
	assert_int_equal(mm_copy_in(mm, &r, A, sizeof(r)), -EFAULT);
	/* Errors: bad flags, unaligned, across a VMA end, nothing there. */
	assert_int_equal(mm_mremap(mm, (uint64_t)to, 4096, 4096, 0x80, 0), -EINVAL);
	assert_int_equal(mm_mremap(mm, (uint64_t)to + 1, 4096, 4096, 0, 0), -EINVAL);
	assert_int_equal(mm_mremap(mm, (uint64_t)to, 8 * 4096, 9 * 4096, MREMAP_MAYMOVE, 0),
			 -EFAULT);
	assert_int_equal(mm_mremap(mm, A, 4096, 4096, 0, 0), -EFAULT);
	mm_put(mm);
}

/* DONTFORK leaves the VMA out of the child, WIPEONFORK leaves it empty. */
static void madvise_fork_flags(void **state)
{
	struct mm *mm = mm_new(), *child;
	int v = 4, r = -1;

	assert_int_equal(mm_mmap(mm, A, 2 * 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)A);
	assert_int_equal(mm_copy_out(mm, A, &v, sizeof(v)), 0);
	assert_int_equal(mm_copy_out(mm, A + 4096, &v, sizeof(v)), 0);
	assert_int_equal(mm_madvise(mm, A, 4096, MADV_DONTFORK), 0);
	assert_int_equal(mm_madvise(mm, A + 4096, 4096, MADV_WIPEONFORK), 0);
	assert_int_equal(mm_fork(mm, &child), 0);
	assert_int_equal(mm_copy_in(child, &r, A, sizeof(r)), -EFAULT);
	assert_int_equal(mm_copy_in(child, &r, A + 4096, sizeof(r)), 0);
	assert_int_equal(r, 0);
	assert_int_equal(mm_copy_in(mm, &r, A + 4096, sizeof(r)), 0);
	assert_int_equal(r, 4);
	/* Clearing both flags lets the two VMAs merge back into one. */
	assert_int_equal(mm_madvise(mm, A, 4096, MADV_DOFORK), 0);
	assert_int_equal(mm_madvise(mm, A + 4096, 4096, MADV_KEEPONFORK), 0);
	assert_true(list_first_entry(&mm->vmas, struct vma, link)->end == A + 2 * 4096);
	mm_put(child);
	mm_put(mm);
}

static void dontneed_zeroes_private_pages(void **state)
{
	struct mm *mm = mm_new();
	int v = 7, r = -1;

	assert_int_equal(mm_mmap(mm, A, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)A);
	assert_int_equal(mm_copy_out(mm, A, &v, sizeof(v)), 0);
	assert_int_equal(mm_madvise_dontneed(mm, A, 4096), 0);
	assert_int_equal(mm_copy_in(mm, &r, A, sizeof(r)), 0);
	assert_int_equal(r, 0);
	mm_put(mm);
}

static void strncpy_from_user_stops_and_faults(void **state)
{
	struct mm *mm = mm_new();
	struct task t;
	char s[16];

	memset(&t, 0, sizeof(t));
	t.mm = mm;
	assert_int_equal(mm_mmap(mm, A, 4096, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0), (int64_t)A);
	assert_int_equal(mm_copy_out(mm, A, "hello", 6), 0);
	assert_int_equal(strncpy_from_user(&t, s, uaddr(A), sizeof(s)), 5);
	assert_string_equal(s, "hello");
	assert_int_equal(strncpy_from_user(&t, s, uaddr(A), 3), -ENAMETOOLONG);
	/* A string running off the end of the mapping faults. */
	char fill[4096];
	memset(fill, 'z', sizeof(fill));
	assert_int_equal(mm_copy_out(mm, A, fill, sizeof(fill)), 0);
	char big[8192];
	assert_int_equal(strncpy_from_user(&t, big, uaddr(A), sizeof(big)), -EFAULT);
	assert_int_equal(strncpy_from_user(&t, s, uaddr(0), sizeof(s)), -EFAULT);
	mm_put(mm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(memfile_pages_are_refcounted_and_reused),
		cmocka_unit_test(freed_runs_read_as_zeros_when_reused),
		cmocka_unit_test(mmap_rejects_bad_arguments),
		cmocka_unit_test(mmap_fixed_noreplace_and_hint),
		cmocka_unit_test(copies_cross_pages_and_respect_protection),
		cmocka_unit_test(munmap_splits_vmas),
		cmocka_unit_test(brk_grows_and_shrinks),
		cmocka_unit_test(fork_copies_private_and_shares_shared),
		cmocka_unit_test(fork_is_copy_on_write),
		cmocka_unit_test(fork_hot_copies_the_chunk_at_once),
		cmocka_unit_test(fork_cow_survives_mprotect),
		cmocka_unit_test(mremap_moves_pages),
		cmocka_unit_test(madvise_fork_flags),
		cmocka_unit_test(dontneed_zeroes_private_pages),
		cmocka_unit_test(sequential_faults_grow_the_run),
		cmocka_unit_test(strncpy_from_user_stops_and_faults),
	};
	return cmocka_run_group_tests(tests, setup_memfile, NULL);
}
