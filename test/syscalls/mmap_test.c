/* mmap/munmap/mprotect: anonymous and private file mappings, protections, errnos. */
#include "harness.h"

#include <signal.h>
#include <sys/mman.h>

static long g_page;
static volatile char *g_target;

static void mmap_anonymous_is_zeroed_and_writable(void)
{
	char *p = mmap(NULL, 3 * g_page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int nonzero = 0;

	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	CHECK_EQ((unsigned long)p % g_page, 0);
	for (long i = 0; i < 3 * g_page; i++)
		nonzero |= p[i];
	CHECK_EQ(nonzero, 0);
	memset(p, 0x5a, 3 * g_page);
	CHECK_EQ(p[3 * g_page - 1], 0x5a);
	CHECK_OK(munmap(p, 3 * g_page));
}

static void mmap_invalid_arguments_return_einval(void)
{
	CHECK(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK(mmap(NULL, g_page, PROT_READ, MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK(mmap((void *)(g_page * 1000 + 1), g_page, PROT_READ,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
}

static void mmap_file_errors(void)
{
	int wfd = CHECK_OK(open(h_make_file("wo", "data"), O_WRONLY));

	CHECK(mmap(NULL, g_page, PROT_READ, MAP_PRIVATE, 9999, 0) == MAP_FAILED);
	CHECK_EQ(errno, EBADF);
	CHECK(mmap(NULL, g_page, PROT_READ, MAP_PRIVATE, wfd, 0) == MAP_FAILED);
	CHECK_EQ(errno, EACCES);
	close(wfd);
}

static void mmap_private_file_maps_contents(void)
{
	char buf[8] = { 0 };
	int fd = CHECK_OK(open(h_make_file("map", "file contents"), O_RDWR));
	char *p = mmap(NULL, g_page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);

	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	CHECK_MEM(p, "file contents", 13);
	/* Beyond EOF, the rest of the last page reads as zero. */
	CHECK_EQ(p[13], 0);
	CHECK_EQ(p[g_page - 1], 0);
	/* Private writes never reach the file. */
	memcpy(p, "FILE", 4);
	CHECK_EQ(pread(fd, buf, 4, 0), 4);
	CHECK_MEM(buf, "file", 4);
	CHECK_MEM(p, "FILE contents", 13);
	munmap(p, g_page);
	close(fd);
}

static void mmap_file_at_page_offset(void)
{
	int fd = CHECK_OK(open(h_path("off"), O_CREAT | O_RDWR | O_TRUNC, 0644));
	char *p;

	CHECK_EQ(pwrite(fd, "second", 6, g_page), 6);
	p = mmap(NULL, g_page, PROT_READ, MAP_PRIVATE, fd, g_page);
	CHECK(p != MAP_FAILED);
	if (p != MAP_FAILED) {
		CHECK_MEM(p, "second", 6);
		munmap(p, g_page);
	}
	CHECK(mmap(NULL, g_page, PROT_READ, MAP_PRIVATE, fd, 1) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	close(fd);
}

static void touch_target(void)
{
	*g_target = 1;
}

static void read_target(void)
{
	(void)*g_target;
}

static void munmap_then_access_raises_sigsegv(void)
{
	char *p = mmap(NULL, g_page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int status;

	CHECK(p != MAP_FAILED);
	CHECK_OK(munmap(p, g_page));
	g_target = p;
	status = h_in_child(touch_target);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGSEGV);
}

static void mprotect_read_only_then_write_raises_sigsegv(void)
{
	char *p = mmap(NULL, g_page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int status;

	CHECK(p != MAP_FAILED);
	p[0] = 7;
	CHECK_OK(mprotect(p, g_page, PROT_READ));
	CHECK_EQ(p[0], 7);
	g_target = p;
	status = h_in_child(touch_target);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGSEGV);
	/* Restoring write access works again. */
	CHECK_OK(mprotect(p, g_page, PROT_READ | PROT_WRITE));
	p[0] = 8;
	CHECK_EQ(p[0], 8);
	munmap(p, g_page);
}

static void prot_none_read_raises_sigsegv(void)
{
	char *p = mmap(NULL, g_page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int status;

	CHECK(p != MAP_FAILED);
	g_target = p;
	status = h_in_child(read_target);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGSEGV);
	munmap(p, g_page);
}

static void munmap_mprotect_bad_ranges_return_einval(void)
{
	char *p = mmap(NULL, g_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	CHECK_ERR(munmap(p + 1, g_page), EINVAL);
	CHECK_ERR(munmap(p, 0), EINVAL);
	CHECK_ERR(mprotect(p + 1, g_page, PROT_READ), EINVAL);
	CHECK_ERR(mprotect(p, g_page, 0x1000), EINVAL);
	munmap(p, g_page);
	/* mprotect of an unmapped range fails with ENOMEM. */
	CHECK_ERR(mprotect(p, g_page, PROT_READ), ENOMEM);
	/* munmap of an unmapped range is not an error. */
	CHECK_EQ(munmap(p, g_page), 0);
}

static void mmap_fixed_replaces_existing_pages(void)
{
	char *p = mmap(NULL, 2 * g_page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *q;

	CHECK(p != MAP_FAILED);
	memset(p, 1, 2 * g_page);
	q = mmap(p + g_page, g_page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	CHECK(q == p + g_page);
	CHECK_EQ(p[0], 1);
	CHECK_EQ(p[g_page], 0);
	munmap(p, 2 * g_page);
}

static void munmap_middle_leaves_both_sides(void)
{
	char *p = mmap(NULL, 3 * g_page, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int status;

	CHECK(p != MAP_FAILED);
	memset(p, 3, 3 * g_page);
	CHECK_OK(munmap(p + g_page, g_page));
	CHECK_EQ(p[0], 3);
	CHECK_EQ(p[2 * g_page], 3);
	g_target = p + g_page;
	status = h_in_child(read_target);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV);
	munmap(p, 3 * g_page);
}

static void mmap_shared_anonymous_is_seen_across_fork(void)
{
	volatile int *p = mmap(NULL, g_page, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	pid = fork();
	if (pid == 0) {
		*p = 1234;
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(*p, 1234);
	munmap((void *)p, g_page);
}

static void mmap_private_anonymous_is_copied_on_fork(void)
{
	volatile int *p = mmap(NULL, g_page, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	CHECK(p != MAP_FAILED);
	*p = 1;
	pid = fork();
	if (pid == 0) {
		*p = 2;
		_exit(*p == 2 ? 0 : 1);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(*p, 1);
	munmap((void *)p, g_page);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	g_page = sysconf(_SC_PAGESIZE);
	RUN(mmap_anonymous_is_zeroed_and_writable);
	RUN(mmap_invalid_arguments_return_einval);
	RUN(mmap_file_errors);
	RUN(mmap_private_file_maps_contents);
	RUN(mmap_file_at_page_offset);
	RUN(munmap_then_access_raises_sigsegv);
	RUN(mprotect_read_only_then_write_raises_sigsegv);
	RUN(prot_none_read_raises_sigsegv);
	RUN(munmap_mprotect_bad_ranges_return_einval);
	RUN(mmap_fixed_replaces_existing_pages);
	RUN(munmap_middle_leaves_both_sides);
	RUN(mmap_shared_anonymous_is_seen_across_fork);
	RUN(mmap_private_anonymous_is_copied_on_fork);
	return h_end();
}
