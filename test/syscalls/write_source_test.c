/* write/pwrite/writev: the bytes come from application memory as it is at the call (partial
 * transfers at a fault, untouched and file-backed sources, the file's own mapping), land in
 * holes and existing pages alike and are seen by mappings of the file. Each case runs on a
 * file in the scratch directory and on a memfd (tmpfs natively too). */
#include "harness.h"

#include <sys/mman.h>
#include <sys/uio.h>

#define PG 4096L

static int open_file(int which, const char *name)
{
	if (which == 0)
		return open(h_path(name), O_RDWR | O_CREAT | O_TRUNC, 0644);
	return memfd_create(name, 0);
}

static bool all_bytes(const char *p, long size, char c)
{
	for (long i = 0; i < size; i++)
		if (p[i] != c)
			return false;
	return true;
}

/* Anonymous pages filled with c, the page at index bad (if >= 0) inaccessible. */
static char *pages_with_hole(long npages, char c, long bad)
{
	char *p = mmap(NULL, npages * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, c, npages * PG);
	if (bad >= 0)
		mprotect(p + bad * PG, PG, PROT_NONE);
	return p;
}

static void write_stops_at_fault_after_the_bytes_before_it(void)
{
	char *buf = pages_with_hole(600, 'a', 2), *in = malloc(600 * PG);

	CHECK(buf != NULL);
	mprotect(buf + 599 * PG, PG, PROT_NONE);
	for (int which = 0; which < 2; which++) {
		int fd = CHECK_OK(open_file(which, "fault"));

		CHECK_EQ(write(fd, buf, 3 * PG), 2 * PG);
		CHECK_EQ(write(fd, buf + 100, 3 * PG), 2 * PG - 100);
		CHECK_EQ(lseek(fd, 0, SEEK_CUR), 4 * PG - 100);
		/* More than one internal chunk before the fault (2.3 MiB). */
		CHECK_EQ(pwrite(fd, buf + 3 * PG, 597 * PG, 5), 596 * PG);
		CHECK_EQ(lseek(fd, 0, SEEK_END), 596 * PG + 5);
		CHECK_ERR(write(fd, buf + 2 * PG, 10), EFAULT);
		CHECK_ERR(pwrite(fd, buf + 2 * PG, PG, 0), EFAULT);
		CHECK_EQ(lseek(fd, 0, SEEK_END), 596 * PG + 5);
		CHECK_EQ(pread(fd, in, 596 * PG + 5, 0), 596 * PG + 5);
		CHECK(all_bytes(in, 596 * PG + 5, 'a'));
		close(fd);
	}
	munmap(buf, 600 * PG);
	free(in);
}

static void writev_stops_at_the_first_faulting_iovec(void)
{
	char *buf = pages_with_hole(3, 'v', 2), in[32] = {0};

	CHECK(buf != NULL);
	for (int which = 0; which < 2; which++) {
		int fd = CHECK_OK(open_file(which, "writev"));
		struct iovec part[3] = {{buf, 10}, {buf + 2 * PG, 10}, {buf, 5}};
		/* An empty iovec is never touched, whatever its base. */
		struct iovec empty[3] = {{buf, 4}, {(void *)1, 0}, {buf + PG - 3, 3}};
		struct iovec first_bad[2] = {{buf + 2 * PG, 1}, {buf, 1}};

		CHECK_EQ(writev(fd, part, 3), 10);
		CHECK_EQ(writev(fd, empty, 3), 7);
		CHECK_ERR(writev(fd, first_bad, 2), EFAULT);
		CHECK_EQ(pread(fd, in, sizeof(in), 0), 17);
		CHECK(all_bytes(in, 17, 'v'));
		close(fd);
	}
	munmap(buf, 3 * PG);
}

static void write_fills_holes_and_existing_pages(void)
{
	char *out = malloc(5 * PG), *in = malloc(6 * PG);
	struct stat st;

	memset(out, 'B', 5 * PG);
	for (int which = 0; which < 2; which++) {
		int fd = CHECK_OK(open_file(which, "holes"));

		CHECK_EQ(pwrite(fd, "AAAA", 4, 0), 4);
		CHECK_EQ(pwrite(fd, "CCCC", 4, 3 * PG + 100), 4);
		/* From the middle of page 0 (present) over holes and page 3 (present) to 5 pages. */
		CHECK_EQ(pwrite(fd, out, 5 * PG - PG / 2, PG / 2), 5 * PG - PG / 2);
		CHECK_EQ(pread(fd, in, 6 * PG, 0), 5 * PG);
		CHECK_MEM(in, "AAAA", 4);
		CHECK(all_bytes(in + 4, PG / 2 - 4, 0));
		CHECK(all_bytes(in + PG / 2, 5 * PG - PG / 2, 'B'));
		CHECK_OK(fstat(fd, &st));
		CHECK_EQ(st.st_blocks, 5 * PG / 512);
		CHECK_OK(ftruncate(fd, 2 * PG));
		CHECK_OK(fstat(fd, &st));
		CHECK_EQ(st.st_blocks, 2 * PG / 512);
		close(fd);
	}
	free(out);
	free(in);
}

static void write_is_seen_by_a_shared_mapping(void)
{
	char *out = malloc(4 * PG);

	memset(out, 'm', 4 * PG);
	for (int which = 0; which < 2; which++) {
		int fd = CHECK_OK(open_file(which, "mapped"));
		char *map;

		CHECK_OK(ftruncate(fd, 4 * PG));
		map = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		CHECK(map != MAP_FAILED);
		CHECK_EQ(map[PG], 0); /* page 1 mapped before the write, the others not yet */
		CHECK_EQ(pwrite(fd, out, 4 * PG - 10, 5), 4 * PG - 10);
		CHECK_EQ(map[4], 0);
		CHECK(all_bytes(map + 5, 4 * PG - 10, 'm'));
		CHECK_EQ(map[4 * PG - 5], 0);
		munmap(map, 4 * PG);
		close(fd);
	}
	free(out);
}

static void write_from_the_files_own_mapping(void)
{
	char in[2 * PG];

	for (int which = 0; which < 2; which++) {
		int fd = CHECK_OK(open_file(which, "self"));
		char *map;

		for (long i = 0; i < 2 * PG; i++)
			in[i] = (char)(i % 251);
		CHECK_EQ(write(fd, in, 2 * PG), 2 * PG);
		map = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, fd, 0);
		CHECK(map != MAP_FAILED);
		/* Page 0 onto page 1, then page 0 shifted down onto itself. */
		CHECK_EQ(pwrite(fd, map, PG, PG), PG);
		CHECK_EQ(pwrite(fd, map + 10, 100, 0), 100);
		CHECK_EQ(pread(fd, in, 2 * PG, 0), 2 * PG);
		for (long i = 0; i < 100; i++)
			CHECK_EQ((unsigned char)in[i], (i + 10) % 251);
		for (long i = 100; i < PG; i++)
			CHECK_EQ((unsigned char)in[i], i % 251);
		for (long i = 0; i < PG; i++)
			CHECK_EQ((unsigned char)in[PG + i], i % 251);
		munmap(map, 2 * PG);
		close(fd);
	}
}

static void write_from_a_mapping_past_eof_stops_there(void)
{
	for (int which = 0; which < 2; which++) {
		int src = CHECK_OK(open_file(which, "short-src"));
		int dst = CHECK_OK(open_file(which, "short-dst"));
		char *map;
		struct stat st;

		CHECK_OK(ftruncate(src, PG));
		map = mmap(NULL, 2 * PG, PROT_READ, MAP_SHARED, src, 0);
		CHECK(map != MAP_FAILED);
		CHECK_EQ(write(dst, map, 2 * PG), PG);
		CHECK_OK(fstat(dst, &st));
		CHECK_EQ(st.st_size, PG);
		munmap(map, 2 * PG);
		close(src);
		close(dst);
	}
}

static void write_from_untouched_memory_writes_zeros(void)
{
	char *buf = mmap(NULL, 3 * PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *in = malloc(3 * PG);

	CHECK(buf != MAP_FAILED);
	for (int which = 0; which < 2; which++) {
		int fd = CHECK_OK(open_file(which, "zeros"));

		memset(in, 'x', 3 * PG);
		CHECK_EQ(pwrite(fd, in, 3 * PG, 0), 3 * PG);
		CHECK_EQ(pwrite(fd, buf, 3 * PG, 0), 3 * PG);
		CHECK_EQ(pread(fd, in, 3 * PG, 0), 3 * PG);
		CHECK(all_bytes(in, 3 * PG, 0));
		close(fd);
	}
	munmap(buf, 3 * PG);
	free(in);
}

static void write_at_a_huge_offset_is_sparse(void)
{
	const off_t far = 1LL << 36;
	char in[8] = {0};
	struct stat st;

	for (int which = 0; which < 2; which++) {
		int fd = CHECK_OK(open_file(which, "sparse"));

		CHECK_EQ(pwrite(fd, "xyz", 3, far), 3);
		CHECK_OK(fstat(fd, &st));
		CHECK_EQ(st.st_size, far + 3);
		CHECK_EQ(st.st_blocks, PG / 512);
		CHECK_EQ(pread(fd, in, 8, far - 2), 5);
		CHECK_MEM(in, "\0\0xyz", 5);
		CHECK_EQ(pread(fd, in, 4, far / 2), 4);
		CHECK_MEM(in, "\0\0\0\0", 4);
		close(fd);
	}
}

static void pwrite_on_an_append_file_appends(void)
{
	char in[8] = {0};

	for (int which = 0; which < 2; which++) {
		int fd = CHECK_OK(open_file(which, "append"));
		int afd;
		char self[64];

		CHECK_EQ(write(fd, "1234", 4), 4);
		snprintf(self, sizeof(self), "/proc/self/fd/%d", fd);
		afd = CHECK_OK(open(self, O_WRONLY | O_APPEND));
		CHECK_EQ(pwrite(afd, "56", 2, 0), 2);
		CHECK_EQ(lseek(afd, 0, SEEK_CUR), 0);
		CHECK_EQ(pread(fd, in, 8, 0), 6);
		CHECK_MEM(in, "123456", 6);
		close(afd);
		close(fd);
	}
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(write_stops_at_fault_after_the_bytes_before_it);
	RUN(writev_stops_at_the_first_faulting_iovec);
	RUN(write_fills_holes_and_existing_pages);
	RUN(write_is_seen_by_a_shared_mapping);
	RUN(write_from_the_files_own_mapping);
	RUN(write_from_a_mapping_past_eof_stops_there);
	RUN(write_from_untouched_memory_writes_zeros);
	RUN(write_at_a_huge_offset_is_sparse);
	RUN(pwrite_on_an_append_file_appends);
	return h_end();
}
