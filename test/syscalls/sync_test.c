/* sync, syncfs, sync_file_range and readahead: what they accept and refuse, in Linux's
 * order of checks, and that synced data reads back. */
#include "harness.h"

#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>

static void sync_and_syncfs(void)
{
	int fd = (int)CHECK_OK(open(h_path("f"), O_RDWR | O_CREAT, 0600));
	int path = (int)CHECK_OK(open(h_path("f"), O_PATH));
	int p[2];
	char buf[6] = {0};

	CHECK_EQ(write(fd, "synced", 6), 6);
	CHECK_EQ(syscall(SYS_sync), 0);
	CHECK_OK(syncfs(fd));
	CHECK_ERR(syncfs(-1), EBADF);
	CHECK_ERR(syncfs(path), EBADF);
	CHECK_OK(pipe(p));
	CHECK_OK(syncfs(p[0]));
	CHECK_EQ(pread(fd, buf, 6, 0), 6);
	CHECK_MEM(buf, "synced", 6);
	close(fd), close(path), close(p[0]), close(p[1]);
}

static void sync_file_range_checks(void)
{
	int fd = (int)CHECK_OK(open(h_path("r"), O_RDWR | O_CREAT, 0600));
	int rd = (int)CHECK_OK(open(h_path("r"), O_RDONLY));
	int path = (int)CHECK_OK(open(h_path("r"), O_PATH));
	int dir = (int)CHECK_OK(open(h_path("."), O_RDONLY | O_DIRECTORY));
	unsigned all = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
		       SYNC_FILE_RANGE_WAIT_AFTER;
	int p[2], sv[2];

	CHECK_EQ(write(fd, "0123456789", 10), 10);
	CHECK_OK(sync_file_range(fd, 0, 0, all));
	CHECK_OK(sync_file_range(fd, 2, 4, SYNC_FILE_RANGE_WRITE));
	CHECK_OK(sync_file_range(fd, 100, 4, 0));
	/* A read-only descriptor and a directory may be synced too. */
	CHECK_OK(sync_file_range(rd, 0, 0, all));
	CHECK_OK(sync_file_range(dir, 0, 0, all));
	CHECK_ERR(sync_file_range(fd, 0, 0, 8), EINVAL);
	CHECK_ERR(sync_file_range(fd, -1, 0, 0), EINVAL);
	CHECK_ERR(sync_file_range(fd, 0, -1, 0), EINVAL);
	CHECK_ERR(sync_file_range(fd, INT64_MAX, 10, 0), EINVAL);
	/* The descriptor is checked before the arguments (Linux 6.x). */
	CHECK_ERR(sync_file_range(-1, 0, 0, 8), EBADF);
	CHECK_ERR(sync_file_range(path, -1, 0, 0), EBADF);
	CHECK_ERR(sync_file_range(-1, 0, 0, 0), EBADF);
	CHECK_ERR(sync_file_range(path, 0, 0, 0), EBADF);
	CHECK_OK(pipe(p));
	CHECK_ERR(sync_file_range(p[1], 0, 0, SYNC_FILE_RANGE_WRITE), ESPIPE);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_ERR(sync_file_range(sv[0], 0, 0, 0), ESPIPE);
	close(fd), close(rd), close(path), close(dir), close(p[0]), close(p[1]);
	close(sv[0]), close(sv[1]);
}

static void readahead_checks(void)
{
	int fd = (int)CHECK_OK(open(h_path("a"), O_RDWR | O_CREAT, 0600));
	int wr = (int)CHECK_OK(open(h_path("a"), O_WRONLY));
	int path = (int)CHECK_OK(open(h_path("a"), O_PATH));
	int dir = (int)CHECK_OK(open(h_path("."), O_RDONLY | O_DIRECTORY));
	int null = (int)CHECK_OK(open("/dev/null", O_RDONLY));
	int p[2];

	CHECK_EQ(write(fd, "ahead", 5), 5);
	CHECK_OK(readahead(fd, 0, 4096));
	CHECK_OK(readahead(fd, 1 << 20, 4096));
	CHECK_OK(readahead(fd, 0, 0));
	CHECK_ERR(readahead(-1, 0, 4096), EBADF);
	CHECK_ERR(readahead(wr, 0, 4096), EBADF);
	CHECK_ERR(readahead(path, 0, 4096), EBADF);
	CHECK_OK(pipe(p));
	CHECK_ERR(readahead(p[0], 0, 4096), EINVAL);
	CHECK_ERR(readahead(dir, 0, 4096), EINVAL);
	CHECK_ERR(readahead(null, 0, 4096), EINVAL);
	close(fd), close(wr), close(path), close(dir), close(null), close(p[0]), close(p[1]);
}

/* A shared mapping's writes reach the file by syncfs (and read back through read). */
static void synced_mapping_reads_back(void)
{
	int fd = (int)CHECK_OK(open(h_path("m"), O_RDWR | O_CREAT | O_TRUNC, 0600));
	char *map, buf[8] = {0};

	CHECK_OK(ftruncate(fd, 4096));
	map = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(map != MAP_FAILED);
	memcpy(map, "mapping", 7);
	CHECK_OK(syncfs(fd));
	CHECK_EQ(syscall(SYS_sync), 0);
	CHECK_OK(sync_file_range(fd, 0, 4096, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER));
	CHECK_EQ(pread(fd, buf, 7, 0), 7);
	CHECK_MEM(buf, "mapping", 7);
	munmap(map, 4096);
	close(fd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(sync_and_syncfs);
	RUN(sync_file_range_checks);
	RUN(readahead_checks);
	RUN(synced_mapping_reads_back);
	return h_end();
}
