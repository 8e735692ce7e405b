/* cachestat: the page-cache state of a range of a tmpfs file (/dev/shm, tmpfs on both
 * sides) and a memfd: written pages are cached, holes are not, tmpfs pages are never
 * dirty; the range arithmetic (len 0 to the end, partial pages, overflow); files without
 * pages (pipes, sockets, eventfds, directories) read as all zeros; EBADF, EFAULT, EINVAL
 * and the EPERM of a read-only fd of someone else's file. */
#include "harness.h"

#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>

#define NR_cachestat 451
#define PG 4096ULL

struct cs_range {
	uint64_t off, len;
};

struct cs {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

static char g_shm[64];

static long cachestat(int fd, struct cs_range *r, struct cs *c, unsigned flags)
{
	return syscall(NR_cachestat, fd, r, c, flags);
}

/* nr_cache of [off, off + len), with every other count checked to be 0; -1 on error. */
static long cached(int fd, uint64_t off, uint64_t len)
{
	struct cs_range r = {off, len};
	struct cs c;

	memset(&c, 0x5a, sizeof(c));
	if (cachestat(fd, &r, &c, 0))
		return -1;
	CHECK_EQ(c.nr_dirty, 0);
	CHECK_EQ(c.nr_writeback, 0);
	CHECK_EQ(c.nr_evicted, 0);
	CHECK_EQ(c.nr_recently_evicted, 0);
	return (long)c.nr_cache;
}

/* Pages 0-3 and 8 written, 4-7 a hole. */
static void fill(int fd)
{
	char buf[PG];

	memset(buf, 1, sizeof(buf));
	for (int i = 0; i < 4; i++)
		CHECK_EQ(pwrite(fd, buf, PG, i * PG), PG);
	CHECK_EQ(pwrite(fd, buf, PG, 8 * PG), PG);
}

static void check_ranges(int fd)
{
	fill(fd);
	CHECK_EQ(cached(fd, 0, 0), 5);
	CHECK_EQ(cached(fd, 0, 9 * PG), 5);
	CHECK_EQ(cached(fd, PG + 1, PG), 2);	    /* straddles pages 1 and 2 */
	CHECK_EQ(cached(fd, PG, 1), 1);
	CHECK_EQ(cached(fd, 3 * PG, 6 * PG), 2);    /* 3 and 8 around the hole */
	CHECK_EQ(cached(fd, 4 * PG, 4 * PG), 0);    /* the hole */
	CHECK_EQ(cached(fd, 5 * PG, 0), 1);	    /* to the end */
	CHECK_EQ(cached(fd, 100 * PG, 0), 0);	    /* past the end */
	CHECK_EQ(cached(fd, PG, UINT64_MAX), 0);   /* off + len wraps: last < first */
	CHECK_EQ(cached(fd, UINT64_MAX - 10, 100), 0);
	CHECK_EQ(cached(fd, UINT64_MAX - PG, 0), 0);
	CHECK_OK(ftruncate(fd, PG));
	CHECK_EQ(cached(fd, 0, 0), 1);
	CHECK_OK(fsync(fd));
	CHECK_EQ(cached(fd, 0, 0), 1);
}

static void tmpfs_file_pages(void)
{
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/f", g_shm);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	CHECK(fd >= 0);
	check_ranges(fd);
	close(fd);
	/* A read-only fd of one's own file is allowed. */
	fd = open(path, O_RDONLY);
	CHECK_EQ(cached(fd, 0, 0), 1);
	close(fd);
	unlink(path);
}

static void memfd_pages(void)
{
	int fd = memfd_create("cachestat", 0);

	CHECK(fd >= 0);
	check_ranges(fd);
	close(fd);
}

/* Pages written through a shared mapping are cached; a size alone caches nothing, and
 * a fault allocates only the page it touches: its neighbours in the mapping stay holes. */
static void mapped_memfd_pages(void)
{
	int fd = memfd_create("cachestat", 0);
	char *p;

	CHECK_OK(ftruncate(fd, 4 * PG));
	CHECK_EQ(cached(fd, 0, 0), 0);
	p = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(p != MAP_FAILED);
	p[0] = 1;
	p[3 * PG + 7] = 1;
	CHECK_EQ(cached(fd, 0, 0), 2);
	CHECK_EQ(cached(fd, PG, 2 * PG), 0);
	/* A read of a hole through the mapping reads zeros and allocates that page. */
	CHECK_EQ(p[PG + 5], 0);
	CHECK_EQ(cached(fd, 0, 0), 3);
	CHECK_EQ(cached(fd, 2 * PG, PG), 0);
	munmap(p, 4 * PG);
	CHECK_EQ(cached(fd, 0, 0), 3);
	close(fd);
}

static void files_without_pages(void)
{
	int p[2], s, e, d;

	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "abc", 3), 3);
	CHECK_EQ(cached(p[0], 0, 0), 0);
	CHECK_EQ(cached(p[1], 0, 0), 0);
	s = socket(AF_UNIX, SOCK_STREAM, 0);
	CHECK_EQ(cached(s, 0, 0), 0);
	e = eventfd(0, 0);
	CHECK_EQ(cached(e, 0, 0), 0);
	d = open(g_shm, O_RDONLY | O_DIRECTORY);
	CHECK_EQ(cached(d, 0, 0), 0);
	close(p[0]);
	close(p[1]);
	close(s);
	close(e);
	close(d);
}

static void errors(void)
{
	int fd = memfd_create("cachestat", 0), opath;
	struct cs_range r = {0, 0};
	struct cs c;

	CHECK_ERR(cachestat(fd, &r, &c, 1), EINVAL);
	CHECK_ERR(cachestat(fd, &r, &c, 0x80000000), EINVAL);
	CHECK_ERR(cachestat(-1, &r, &c, 0), EBADF);
	CHECK_ERR(cachestat(999, &r, &c, 1), EBADF); /* the fd first */
	CHECK_ERR(cachestat(fd, NULL, &c, 0), EFAULT);
	CHECK_ERR(cachestat(fd, NULL, &c, 1), EFAULT); /* the range before the flags */
	CHECK_ERR(cachestat(fd, &r, NULL, 0), EFAULT);
	CHECK_ERR(cachestat(fd, &r, (void *)8, 0), EFAULT);
	opath = open(g_shm, O_PATH);
	CHECK_ERR(cachestat(opath, &r, &c, 0), EBADF);
	close(opath);
	close(fd);
}

/* fork; the child runs as nobody (exit 2 if it cannot). */
static pid_t fork_as_nobody(void)
{
	pid_t pid = fork();

	if (pid == 0 && (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534)))
		_exit(2);
	return pid;
}

/* Without a writable fd, ownership or write permission: EPERM (Linux 6.14+). */
static void read_only_fd_of_another_users_file(void)
{
	struct cs_range r = {0, 0};
	struct cs c;
	char path[128];
	int fd, status;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/ro", g_shm);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	CHECK_EQ(write(fd, "x", 1), 1);
	close(fd);
	pid = fork_as_nobody();
	if (pid == 0) {
		fd = open(path, O_RDONLY);
		if (fd < 0)
			_exit(3);
		if (cachestat(fd, &r, &c, 0) != -1 || errno != EPERM)
			_exit(4);
		/* The EPERM check comes before the flags'. */
		_exit(cachestat(fd, &r, &c, 1) == -1 && errno == EPERM ? 0 : 5);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	/* Write permission for others is enough. */
	CHECK_OK(chmod(path, 0646));
	pid = fork_as_nobody();
	if (pid == 0) {
		fd = open(path, O_RDONLY);
		_exit(fd >= 0 && cachestat(fd, &r, &c, 0) == 0 && c.nr_cache == 1 ? 0 : 3);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	unlink(path);
}

int main(void)
{
	h_begin();
	strcpy(g_shm, "/dev/shm/runsc-cachestat-XXXXXX");
	if (!mkdtemp(g_shm)) {
		perror("mkdtemp /dev/shm");
		return 1;
	}
	chmod(g_shm, 0755);
	RUN(tmpfs_file_pages);
	RUN(memfd_pages);
	RUN(mapped_memfd_pages);
	RUN(files_without_pages);
	RUN(errors);
	if (geteuid() == 0)
		RUN(read_only_fd_of_another_users_file);
	else
		printf("NOT RUN read_only_fd_of_another_users_file: needs root (setresuid)\n");
	rmdir(g_shm);
	return h_end();
}
