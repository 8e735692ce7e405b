/* mm_file_shared: MAP_SHARED file mappings coherent with read/write and across fork,
 * SIGBUS past EOF (also after truncation), MAP_PRIVATE copies on write, MADV_REMOVE, on a
 * tmpfs-backed file (/dev/shm); mappings of /dev/zero are anonymous memory, and files
 * without mmap (/dev/null, procfs) refuse with ENODEV. */
#include "harness.h"

#include <setjmp.h>
#include <sys/mman.h>
#include <sys/stat.h>

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

static void truncation_unmaps_pages_past_eof(void)
{
	int fd = CHECK_OK(shm_file(3 * 4096));
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *q = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	struct sigaction sa = {.sa_handler = on_bus}, old;
	volatile int got = 0;

	CHECK(p != MAP_FAILED && q != MAP_FAILED);
	p[2 * 4096] = 'x';
	q[2 * 4096 + 1] = 'y'; /* a private copy of a page past the coming EOF */
	CHECK_OK(ftruncate(fd, 4096 + 10));
	sigaction(SIGBUS, &sa, &old);
	if ((got = sigsetjmp(g_jb, 1)) == 0)
		(void)*(volatile char *)(p + 2 * 4096);
	CHECK_EQ(got, SIGBUS);
	if ((got = sigsetjmp(g_jb, 1)) == 0)
		(void)*(volatile char *)(q + 2 * 4096 + 1);
	CHECK_EQ(got, SIGBUS); /* Linux unmaps private copies too */
	sigaction(SIGBUS, &old, NULL);
	CHECK_OK(ftruncate(fd, 3 * 4096));
	CHECK_EQ(p[2 * 4096], 0); /* the data past the old EOF is gone */
	munmap(p, 3 * 4096);
	munmap(q, 3 * 4096);
	close(fd);
}

static void madv_remove_punches_the_file(void)
{
	int fd = CHECK_OK(shm_file(3 * 4096));
	char *p = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char buf[4] = {1, 1, 1, 1};

	CHECK(p != MAP_FAILED);
	memset(p, 'a', 3 * 4096);
	CHECK_OK(madvise(p + 4096, 4096, MADV_REMOVE));
	CHECK_EQ(p[4096], 0);
	CHECK_EQ(p[2 * 4096 - 1], 0);
	CHECK_EQ(p[4095], 'a');
	CHECK_EQ(p[2 * 4096], 'a');
	CHECK_EQ(pread(fd, buf, 4, 4096), 4);
	CHECK_EQ(buf[0] | buf[1] | buf[2] | buf[3], 0);
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 3 * 4096); /* a hole, not a truncation */
	munmap(p, 3 * 4096);
	close(fd);
}

static void dev_zero_maps_anonymous_memory(void)
{
	int fd = CHECK_OK(open("/dev/zero", O_RDWR));
	volatile char *s = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	volatile char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	int st;

	CHECK(s != MAP_FAILED && p != MAP_FAILED);
	if (s == MAP_FAILED || p == MAP_FAILED)
		return;
	CHECK_EQ(s[100], 0);
	CHECK_EQ(p[5000], 0);
	pid_t pid = fork();
	if (pid == 0) {
		s[1] = 's'; /* shared with the parent */
		p[1] = 'p'; /* the child's own copy */
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(s[1], 's');
	CHECK_EQ(p[1], 0);
	munmap((void *)s, 8192);
	munmap((void *)p, 8192);
	close(fd);
}

static void files_without_mmap_refuse_it(void)
{
	int null = CHECK_OK(open("/dev/null", O_RDWR));
	int proc = CHECK_OK(open("/proc/self/status", O_RDONLY));

	CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, null, 0) == MAP_FAILED);
	CHECK_EQ(errno, ENODEV);
	CHECK(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, proc, 0) == MAP_FAILED);
	CHECK_EQ(errno, ENODEV);
	close(null);
	close(proc);
}

int main(void)
{
	h_begin();
	RUN(shared_mapping_is_coherent_with_read_and_write);
	RUN(shared_file_mapping_is_shared_across_fork);
	RUN(access_past_eof_raises_sigbus);
	RUN(private_mapping_copies_on_write);
	RUN(shared_writable_needs_a_writable_fd);
	RUN(truncation_unmaps_pages_past_eof);
	RUN(madv_remove_punches_the_file);
	RUN(dev_zero_maps_anonymous_memory);
	RUN(files_without_mmap_refuse_it);
	return h_end();
}
