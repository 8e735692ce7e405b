/* truncate_reuse: a file's bytes are gone once it is truncated, whatever later writes
 * reuse (the Sentry hands a truncated tmpfs file's pages to writes that overwrite whole
 * pages): a rewrite after O_TRUNC reads back exactly what it wrote; holes, partial pages
 * and the ends of shortened writes of other files read as zeros, never as old bytes. */
#include "harness.h"

#include <sys/mman.h>
#include <sys/uio.h>

#define PG 4096
#define BIG (1 << 20)

static char g_old[BIG], g_new[BIG], g_got[BIG];

/* A file of BIG bytes of old, truncated to 0 (its pages freed), still open. */
static int fill_and_truncate(const char *name)
{
	int fd = CHECK_OK(open(h_path(name), O_RDWR | O_CREAT | O_TRUNC, 0600));

	CHECK_EQ(write(fd, g_old, BIG), BIG);
	CHECK_OK(fsync(fd));
	CHECK_OK(ftruncate(fd, 0));
	return fd;
}

static bool all_zero(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void rewrite_after_o_trunc_reads_back_exactly(void)
{
	int fd = CHECK_OK(open(h_path("a"), O_WRONLY | O_CREAT | O_TRUNC, 0600));
	struct stat st;

	CHECK_EQ(write(fd, g_old, BIG), BIG);
	close(fd);
	for (int round = 0; round < 3; round++) {
		fd = CHECK_OK(open(h_path("a"), O_RDWR | O_TRUNC));
		CHECK_EQ(pread(fd, g_got, BIG, 0), 0);
		CHECK_EQ(write(fd, g_new, BIG - 100), BIG - 100); /* the last page partial */
		CHECK_EQ(pread(fd, g_got, BIG, 0), BIG - 100);
		CHECK_MEM(g_got, g_new, BIG - 100);
		CHECK_OK(fstat(fd, &st));
		CHECK_EQ(st.st_size, BIG - 100);
		/* Extending it shows zeros past the old end, not the truncated bytes. */
		CHECK_OK(ftruncate(fd, BIG));
		CHECK_EQ(pread(fd, g_got, BIG, 0), BIG);
		CHECK(all_zero(g_got + BIG - 100, 100));
		close(fd);
	}
}

static void holes_and_partial_pages_of_another_file_read_zeros(void)
{
	int old = fill_and_truncate("old");
	int fd = CHECK_OK(open(h_path("b"), O_RDWR | O_CREAT | O_TRUNC, 0600));

	/* Part of page 1; a whole page 4 (pages 2 and 3 holes); part of page 6. */
	CHECK_EQ(pwrite(fd, g_new, 100, PG + 50), 100);
	CHECK_EQ(pwrite(fd, g_new, PG, 4 * PG), PG);
	CHECK_EQ(pwrite(fd, g_new, 10, 6 * PG + 4000), 10);
	CHECK_EQ(pread(fd, g_got, BIG, 0), 6 * PG + 4010);
	CHECK(all_zero(g_got, PG + 50));
	CHECK_MEM(g_got + PG + 50, g_new, 100);
	CHECK(all_zero(g_got + PG + 150, 3 * PG - 150));
	CHECK_MEM(g_got + 4 * PG, g_new, PG);
	CHECK(all_zero(g_got + 5 * PG, PG + 4000));
	CHECK_MEM(g_got + 6 * PG + 4000, g_new, 10);
	/* The truncated file itself reads as zeros when extended again. */
	CHECK_OK(ftruncate(old, BIG));
	CHECK_EQ(pread(old, g_got, BIG, 0), BIG);
	CHECK(all_zero(g_got, BIG));
	close(fd);
	close(old);
}

static void a_write_cut_by_a_fault_leaves_no_old_bytes(void)
{
	int old = fill_and_truncate("old2");
	int fd = CHECK_OK(open(h_path("c"), O_RDWR | O_CREAT | O_TRUNC, 0600));
	char *p = mmap(NULL, 3 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct stat st;
	ssize_t n;

	CHECK(p != MAP_FAILED);
	memset(p, 'w', 3 * PG);
	CHECK_OK(munmap(p + PG, PG)); /* the source faults at its second page */
	/* At offset 100: the file's first page is written from 100 on, its second up to 100. */
	n = pwrite(fd, p, 3 * PG, 100);
	CHECK(n > 0 && n <= PG); /* Linux: the bytes before the fault */
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 100 + n);
	CHECK_EQ(pread(fd, g_got, BIG, 0), 100 + n);
	CHECK(all_zero(g_got, 100));
	for (ssize_t i = 0; i < n; i++)
		if (g_got[100 + i] != 'w') {
			CHECK_EQ(g_got[100 + i], 'w');
			break;
		}
	/* Past the end, up to the end of the second page: zeros once extended. */
	CHECK_OK(ftruncate(fd, 2 * PG));
	CHECK_EQ(pread(fd, g_got, 2 * PG, 0), 2 * PG);
	CHECK(all_zero(g_got + 100 + n, (size_t)(2 * PG - 100 - n)));
	munmap(p, PG);
	munmap(p + 2 * PG, PG);
	close(fd);
	close(old);
}

static void memfd_and_mapping_see_the_new_bytes(void)
{
	int old = fill_and_truncate("old3");
	int fd = CHECK_OK(memfd_create("reuse", 0));
	struct iovec iov[2] = {{g_new, PG}, {g_new + PG, PG}};
	char *m;

	CHECK_EQ(pwritev(fd, iov, 2, 0), 2 * PG);
	m = mmap(NULL, 4 * PG, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(m != MAP_FAILED);
	CHECK_MEM(m, g_new, 2 * PG);
	CHECK_OK(ftruncate(fd, 4 * PG));
	CHECK(all_zero(m + 2 * PG, 2 * PG));
	munmap(m, 4 * PG);
	close(fd);
	close(old);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	memset(g_old, 0xAA, sizeof(g_old));
	for (size_t i = 0; i < sizeof(g_new); i++)
		g_new[i] = (char)(i * 7 + 1) ? (char)(i * 7 + 1) : 1;
	RUN(rewrite_after_o_trunc_reads_back_exactly);
	RUN(holes_and_partial_pages_of_another_file_read_zeros);
	RUN(a_write_cut_by_a_fault_leaves_no_old_bytes);
	RUN(memfd_and_mapping_see_the_new_bytes);
	return h_end();
}
