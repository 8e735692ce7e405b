/* mm_file_shared: MAP_SHARED file mappings coherent with read/write and across fork,
 * SIGBUS past EOF, MAP_PRIVATE copies on write, on a tmpfs-backed file (/dev/shm). */
#include "harness.h"

#include <setjmp.h>
#include <sys/mman.h>

static char g_name[64];

static int shm_file(size_t size)
{
	snprintf(g_name, sizeof(g_name), "/dev/shm/runsc-mm-%d", (int)getpid());
	int fd = open(g_name, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && ftruncate(fd, (off_t)size) != 0) {
		close(fd);
		return -1;
	}
	unlink(g_name);
	return fd;
}

static void shared_mapping_is_coherent_with_read_and_write(void)
{
	int fd = CHECK_OK(shm_file(8192));
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char buf[8];

	CHECK(p != MAP_FAILED);
	memcpy(p + 4096, "mapped", 7);
	CHECK_EQ(pread(fd, buf, 7, 4096), 7);
	CHECK_STR(buf, "mapped");
	CHECK_EQ(pwrite(fd, "written", 8, 100), 8);
	CHECK_STR(p + 100, "written");
	CHECK_OK(msync(p, 8192, MS_SYNC));
	CHECK_OK(munmap(p, 8192));
	close(fd);
}

static void shared_file_mapping_is_shared_across_fork(void)
{
	int fd = CHECK_OK(shm_file(4096));
	volatile int *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	int st, v = 0;

	CHECK(p != MAP_FAILED);
	pid_t pid = fork();
	if (pid == 0) {
		p[10] = 77; /* the page was never touched before the fork */
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(p[10], 77);
	CHECK_EQ(pread(fd, &v, sizeof(v), 40), (ssize_t)sizeof(v));
	CHECK_EQ(v, 77);
	munmap((void *)p, 4096);
	close(fd);
}

static sigjmp_buf g_jb;

static void on_bus(int sig)
{
	siglongjmp(g_jb, sig);
}

static void access_past_eof_raises_sigbus(void)
{
	int fd = CHECK_OK(shm_file(4096));
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct sigaction sa = {.sa_handler = on_bus}, old;
	volatile int got = 0;

	CHECK(p != MAP_FAILED);
	sigaction(SIGBUS, &sa, &old);
	p[10] = 1; /* inside the file */
	if ((got = sigsetjmp(g_jb, 1)) == 0)
		p[2 * 4096] = 1;
	CHECK_EQ(got, SIGBUS);
	/* Growing the file makes the page valid. */
	CHECK_OK(ftruncate(fd, 3 * 4096));
	p[2 * 4096] = 5;
	CHECK_EQ(p[2 * 4096], 5);
	sigaction(SIGBUS, &old, NULL);
	munmap(p, 3 * 4096);
	close(fd);
}

static void private_mapping_copies_on_write(void)
{
	int fd = CHECK_OK(shm_file(4096));
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	char c = 0;

	CHECK(p != MAP_FAILED);
	CHECK_EQ(pwrite(fd, "a", 1, 0), 1);
	CHECK_EQ(p[0], 'a'); /* not yet copied: the file's page shows */
	p[0] = 'b';
	CHECK_EQ(pread(fd, &c, 1, 0), 1);
	CHECK_EQ(c, 'a');
	CHECK_EQ(pwrite(fd, "c", 1, 0), 1);
	CHECK_EQ(p[0], 'b'); /* our private copy stays */
	munmap(p, 4096);
	close(fd);
}

static void shared_writable_needs_a_writable_fd(void)
{
	int fd = CHECK_OK(shm_file(4096));
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	int ro = CHECK_OK(open(path, O_RDONLY));
	CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0) == MAP_FAILED);
	CHECK_EQ(errno, EACCES);
	char *p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, ro, 0);
	CHECK(p != MAP_FAILED);
	CHECK_ERR(mprotect(p, 4096, PROT_READ | PROT_WRITE), EACCES);
	munmap(p, 4096);
	close(ro);
	close(fd);
}

int main(void)
{
	h_begin();
	RUN(shared_mapping_is_coherent_with_read_and_write);
	RUN(shared_file_mapping_is_shared_across_fork);
	RUN(access_past_eof_raises_sigbus);
	RUN(private_mapping_copies_on_write);
	RUN(shared_writable_needs_a_writable_fd);
	return h_end();
}
