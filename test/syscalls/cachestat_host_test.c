/* cachestat of a host file reached through the Gofer ($H_RW_DIR/c, 8192 bytes, from
 * with_host_files.sh; natively an ordinary host file): while a shared writable mapping
 * has touched both pages they are in the page cache (the Sentry's mmap cache in the
 * sandbox, the host's natively), dirty at most as many. What is cached before the first
 * mapping and after the last differs by design: the Sentry keeps a gofer file's pages
 * only while it is mapped, the host keeps them until reclaim. */
#include "harness.h"

#include <stdint.h>
#include <sys/mman.h>

#define NR_cachestat 451
#define PG 4096

struct cs_range {
	uint64_t off, len;
};

struct cs {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

static char g_file[PATH_MAX];

static void mapped_gofer_file(void)
{
	struct cs_range all = {0, 0}, second = {PG, PG};
	struct cs c;
	int fd = open(g_file, O_RDWR);
	char *p;

	CHECK(fd >= 0);
	p = mmap(NULL, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	p[0] = 'x';
	p[PG] = 'y';
	CHECK_OK(syscall(NR_cachestat, fd, &all, &c, 0));
	CHECK_EQ(c.nr_cache, 2);
	CHECK(c.nr_dirty <= 2);
	CHECK_EQ(c.nr_evicted, 0);
	CHECK_OK(syscall(NR_cachestat, fd, &second, &c, 0));
	CHECK_EQ(c.nr_cache, 1);
	CHECK_OK(msync(p, 2 * PG, MS_SYNC));
	CHECK_OK(syscall(NR_cachestat, fd, &all, &c, 0));
	CHECK_EQ(c.nr_cache, 2);
	munmap(p, 2 * PG);
	CHECK_ERR(syscall(NR_cachestat, fd, &all, &c, 2), EINVAL);
	close(fd);
}

int main(void)
{
	const char *rw = getenv("H_RW_DIR");

	h_begin();
	if (!rw) {
		printf("FAIL setup: H_RW_DIR unset (run through with_host_files.sh)\n");
		return 1;
	}
	snprintf(g_file, sizeof(g_file), "%s/c", rw);
	RUN(mapped_gofer_file);
	return h_end();
}
