/* sync, syncfs, sync_file_range and fallocate on host files the sandbox reaches through
 * the Gofer (with_host_files.sh): a read-write bind mount ($H_RW_DIR, whose host view is
 * $H_RW_HOST_VIEW) and the overlay's lower layer ($H_LOWER_DIR, copied up when opened for
 * writing). Natively the files are ordinary host files. */
#include "harness.h"

#include <linux/falloc.h>
#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>

#define PG 4096

static const char *g_lower, *g_rw, *g_host;

/* n bytes at off of name as the host has them, NUL-terminated into buf. */
static const char *host_bytes(const char *name, off_t off, size_t n, char *buf)
{
	int fd = open(h_in(g_host, name), O_RDONLY);

	memset(buf, 0, n + 1);
	if (fd >= 0) {
		if (pread(fd, buf, n, off) < 0)
			buf[0] = '\0';
		close(fd);
	}
	return buf;
}

/* Write text at off of name through a shared mapping, flush it with how (0: syncfs,
 * 1: sync, 2: sync_file_range), and see it on the host before the mapping goes. */
static void mapped_write_reaches_host(const char *name, off_t off, const char *text, int how)
{
	int fd = (int)CHECK_OK(open(h_in(g_rw, name), O_RDWR | O_CREAT, 0644));
	size_t n = strlen(text);
	char buf[32];
	char *p;

	CHECK_OK(ftruncate(fd, 2 * PG));
	p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	if (p == MAP_FAILED)
		return;
	memcpy(p + off, text, n);
	if (how == 0)
		CHECK_OK(syncfs(fd));
	else if (how == 1)
		CHECK_EQ(syscall(SYS_sync), 0);
	else
		CHECK_OK(sync_file_range(fd, off, (off_t)n, SYNC_FILE_RANGE_WRITE));
	CHECK_STR(host_bytes(name, off, n, buf), text);
	munmap(p, 2 * PG);
	close(fd);
}

static void syncfs_writes_mapped_pages_back(void)
{
	mapped_write_reaches_host("a", 100, "by-syncfs", 0);
	/* with_host_files.sh checks this file afterwards. */
	mapped_write_reaches_host("munmapped", 0, "via-mapping", 0);
	mapped_write_reaches_host("munmapped", PG, "page-two", 0);
}

static void sync_writes_mapped_pages_back(void)
{
	mapped_write_reaches_host("b", 5000, "by-sync", 1);
}

static void sync_file_range_writes_mapped_pages_back(void)
{
	mapped_write_reaches_host("c", 10, "by-range", 2);
}

/* A 9p mount has no fallocate (Linux's 9p client neither): EOPNOTSUPP; natively the
 * host's filesystem allocates. */
static void rw_fallocate_by_filesystem(void)
{
	int fd = (int)CHECK_OK(open(h_in(g_rw, "d"), O_RDWR));
	struct statfs sf;
	struct stat st;

	CHECK_OK(fstatfs(fd, &sf));
	if (sf.f_type == V9FS_MAGIC) {
		CHECK_ERR(fallocate(fd, 0, 0, 4 * PG), EOPNOTSUPP);
		CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, PG),
			  EOPNOTSUPP);
		CHECK_OK(fstat(fd, &st));
		CHECK_EQ(st.st_size, 8192);
	} else {
		CHECK_OK(fallocate(fd, 0, 0, 4 * PG));
		CHECK_OK(fstat(fd, &st));
		CHECK_EQ(st.st_size, 4 * PG);
	}
	/* The checks before the filesystem's are the same everywhere. */
	CHECK_ERR(fallocate(fd, 0, -1, PG), EINVAL);
	close(fd);
	fd = (int)CHECK_OK(open(h_in(g_rw, "d"), O_RDONLY));
	CHECK_ERR(fallocate(fd, 0, 0, PG), EBADF);
	close(fd);
}

/* A lower-layer file opened for writing is copied up (in the sandbox) and then allocates
 * and punches as tmpfs does, its data kept. */
static void lower_file_allocates_after_copy_up(void)
{
	int fd = (int)CHECK_OK(open(h_in(g_lower, "5"), O_RDWR));
	char buf[2] = {0};
	struct stat st;

	CHECK_OK(fallocate(fd, 0, 0, 8 * PG));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 8 * PG);
	CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, PG, PG));
	CHECK_EQ(pread(fd, buf, 1, 0), 1);
	CHECK_EQ(buf[0], 'a');
	CHECK_EQ(pread(fd, buf, 1, PG + 7), 1);
	CHECK_EQ(buf[0], 0);
	CHECK_EQ(pread(fd, buf, 1, 2 * PG), 1);
	CHECK_EQ(buf[0], 'c');
	CHECK_EQ(pread(fd, buf, 1, 7 * PG), 1);
	CHECK_EQ(buf[0], 0);
	close(fd);
}

int main(void)
{
	h_begin();
	g_lower = getenv("H_LOWER_DIR");
	g_rw = getenv("H_RW_DIR");
	g_host = getenv("H_RW_HOST_VIEW");
	if (!g_lower || !g_rw || !g_host) {
		fprintf(stderr, "sync_host_test: no $H_LOWER_DIR/$H_RW_DIR/$H_RW_HOST_VIEW: "
				"run it through test/syscalls/with_host_files.sh (CTest does)\n");
		return 2;
	}
	RUN(syncfs_writes_mapped_pages_back);
	RUN(sync_writes_mapped_pages_back);
	RUN(sync_file_range_writes_mapped_pages_back);
	RUN(rw_fallocate_by_filesystem);
	RUN(lower_file_allocates_after_copy_up);
	return h_end();
}
