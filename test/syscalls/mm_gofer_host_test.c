/* mm_gofer_lower: mappings of a host file that the sandbox reaches through the Gofer (the
 * overlay's lower layer; see with_lower_file.sh, which makes $H_LOWER_FILE): contents and
 * SIGBUS past EOF, one page cache shared by every mapping, and mappings that stay coherent
 * when the file is opened for writing (copied up) and written, mapped writable, msync'd
 * and truncated. Natively the files are ordinary host files: the same results. */
#include "harness.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#define PG 4096
#define FILE_SIZE 16284 /* 4 pages, the last 100 bytes short; page N holds 'a' + N */

static const char *g_dir, *g_rw, *g_host;
static char g_file[PATH_MAX];

/* Each case uses a file of its own, still as the host has it (in the sandbox: not yet
 * copied up). */
static void next_file(void)
{
	static int n;

	snprintf(g_file, sizeof(g_file), "%s/%d", g_dir, n++);
}

static char *map(int fd, size_t size, int prot, int flags)
{
	char *p = mmap(NULL, size, prot, flags, fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

static sigjmp_buf g_jb;

static void on_bus(int sig)
{
	siglongjmp(g_jb, sig);
}

/* The signal that touching *p raises (0 if none). */
static int touch(volatile char *p)
{
	struct sigaction sa = {.sa_handler = on_bus}, old_bus, old_segv;
	volatile int got;

	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	if ((got = sigsetjmp(g_jb, 1)) == 0)
		(void)*p;
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return got;
}

static void mappings_show_the_file(void)
{
	next_file();
	int fd = CHECK_OK(open(g_file, O_RDONLY));
	char *s = map(fd, 4 * PG, PROT_READ, MAP_SHARED);
	char *p = map(fd, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	CHECK(s && p);
	if (!s || !p)
		return;
	for (int i = 0; i < 4; i++) {
		CHECK_EQ(s[i * PG], 'a' + i);
		CHECK_EQ(p[i * PG + 7], 'a' + i);
	}
	CHECK_EQ(s[FILE_SIZE - 1], 'd');
	CHECK_EQ(s[FILE_SIZE], 0); /* the rest of the last page reads as zeros */
	p[5] = 'P';		   /* a private copy */
	CHECK_EQ(s[5], 'a');
	/* A read-only fd gives no writable shared mapping. */
	CHECK(map(fd, PG, PROT_READ | PROT_WRITE, MAP_SHARED) == NULL);
	CHECK_EQ(errno, EACCES);
	munmap(s, 4 * PG);
	munmap(p, 4 * PG);
	close(fd);
}

static void access_past_eof_raises_sigbus(void)
{
	next_file();
	int fd = CHECK_OK(open(g_file, O_RDONLY));
	char *s = map(fd, 6 * PG, PROT_READ, MAP_SHARED);
	char *p = map(fd, 6 * PG, PROT_READ, MAP_PRIVATE);

	CHECK(s && p);
	if (!s || !p)
		return;
	CHECK_EQ(touch(s + FILE_SIZE + 50), 0);
	CHECK_EQ(touch(s + 4 * PG), SIGBUS);
	CHECK_EQ(touch(p + 5 * PG + 1), SIGBUS);
	munmap(s, 6 * PG);
	munmap(p, 6 * PG);
	close(fd);
}

static void mappings_follow_writes_after_copy_up(void)
{
	next_file();
	int ro = CHECK_OK(open(g_file, O_RDONLY));
	char *s = map(ro, 4 * PG, PROT_READ, MAP_SHARED);
	char *p = map(ro, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char buf[8] = {0};

	CHECK(s && p);
	if (!s || !p)
		return;
	CHECK_EQ(s[2 * PG], 'c'); /* pages present before the copy-up... */
	CHECK_EQ(p[0], 'a');
	p[PG] = 'P';
	/* Opening for writing copies the file up into the sandbox. */
	int rw = CHECK_OK(open(g_file, O_RDWR));
	CHECK_EQ(pwrite(rw, "XYZ", 3, 2 * PG), 3);
	CHECK_MEM(s + 2 * PG, "XYZ", 3); /* ...see the write */
	CHECK_EQ(pwrite(rw, "N", 1, 0), 1);
	CHECK_EQ(p[0], 'N'); /* a private page not yet written still shows the file */
	CHECK_EQ(pwrite(rw, "M", 1, PG), 1);
	CHECK_EQ(p[PG], 'P'); /* the private copy stays */
	CHECK_EQ(s[PG], 'M');

	/* A writable shared mapping of the written file, seen by read and the old mapping. */
	char *w = map(rw, 4 * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
	CHECK(w != NULL);
	if (w) {
		memcpy(w + 3 * PG + 10, "mapped", 6);
		CHECK_MEM(s + 3 * PG + 10, "mapped", 6);
		CHECK_EQ(pread(rw, buf, 6, 3 * PG + 10), 6);
		CHECK_MEM(buf, "mapped", 6);
		CHECK_OK(msync(w, 4 * PG, MS_SYNC));
		CHECK_OK(fsync(rw));
		munmap(w, 4 * PG);
	}
	/* The file is still whole: other pages keep their data. */
	CHECK_EQ(s[3 * PG], 'd');
	CHECK_EQ(pread(rw, buf, 1, 3 * PG + 9), 1);
	CHECK_EQ(buf[0], 'd');
	munmap(s, 4 * PG);
	munmap(p, 4 * PG);
	close(rw);
	close(ro);
}

static void other_processes_see_writes_after_copy_up(void)
{
	next_file();
	int ro = CHECK_OK(open(g_file, O_RDONLY));
	char *s = map(ro, 4 * PG, PROT_READ, MAP_SHARED);
	int go[2], ready[2], st;
	char c;

	CHECK(s != NULL);
	if (!s)
		return;
	CHECK_OK(pipe(go));
	CHECK_OK(pipe(ready));
	CHECK_EQ(s[PG + 1], 'b');
	pid_t pid = fork();
	if (pid == 0) {
		/* Our own mapping, made before the parent writes. */
		char *m = map(ro, 4 * PG, PROT_READ, MAP_SHARED);
		close(go[1]);
		if (!m || m[PG + 1] != 'b' || write(ready[1], "r", 1) != 1 ||
		    read(go[0], &c, 1) != 1)
			_exit(1);
		_exit(m[PG + 1] == 'W' && s[PG + 1] == 'W' ? 0 : 2);
	}
	close(go[0]);
	close(ready[1]);
	CHECK_EQ(read(ready[0], &c, 1), 1);
	int rw = CHECK_OK(open(g_file, O_RDWR));
	CHECK_EQ(pwrite(rw, "W", 1, PG + 1), 1);
	CHECK_EQ(write(go[1], "x", 1), 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(st, 0);
	close(go[1]);
	close(ready[0]);
	close(rw);
	munmap(s, 4 * PG);
	close(ro);
}

static void truncation_unmaps_pages_past_eof(void)
{
	next_file();
	int ro = CHECK_OK(open(g_file, O_RDONLY));
	char *s = map(ro, 4 * PG, PROT_READ, MAP_SHARED);
	char *p = map(ro, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	CHECK(s && p);
	if (!s || !p)
		return;
	CHECK_EQ(s[3 * PG], 'd');
	p[2 * PG] = 'P'; /* a private copy past the coming EOF */
	CHECK_EQ(p[3 * PG], 'd');
	int rw = CHECK_OK(open(g_file, O_RDWR));
	CHECK_OK(ftruncate(rw, PG + 10));
	CHECK_EQ(touch(s + 3 * PG), SIGBUS);
	CHECK_EQ(touch(s + 2 * PG), SIGBUS);
	CHECK_EQ(touch(p + 2 * PG), SIGBUS); /* private copies go too, as in Linux */
	CHECK_EQ(touch(p + 3 * PG), SIGBUS);
	CHECK_EQ(s[PG + 9], 'b');
	CHECK_EQ(s[PG + 10], 0); /* zeros past the new size in the last page */
	/* Growing the file again brings zero pages. */
	CHECK_OK(ftruncate(rw, 4 * PG));
	CHECK_EQ(touch(s + 3 * PG), 0);
	CHECK_EQ(s[3 * PG], 0);
	munmap(s, 4 * PG);
	munmap(p, 4 * PG);
	close(rw);
	close(ro);
}

/* name in the read-write mount, and the same file as the host has it. */
static const char *rw_path(const char *name, bool host)
{
	static char bufs[2][PATH_MAX];
	char *b = bufs[host];

	snprintf(b, PATH_MAX, "%s/%s", host ? g_host : g_rw, name);
	return b;
}

/* n bytes at off of name as the host has them, NUL-terminated into buf. */
static const char *host_bytes(const char *name, off_t off, size_t n, char *buf)
{
	int fd = open(rw_path(name, true), O_RDONLY);

	memset(buf, 0, n + 1);
	if (fd >= 0) {
		if (pread(fd, buf, n, off) < 0)
			buf[0] = '\0';
		close(fd);
	}
	return buf;
}

static void rw_shared_mapping_is_coherent_and_msync_writes_back(void)
{
	int fd = CHECK_OK(open(rw_path("a", false), O_RDWR));
	char *p = map(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
	char *q = map(fd, 2 * PG, PROT_READ, MAP_SHARED);
	char buf[16];

	CHECK(p && q);
	if (!p || !q)
		return;
	CHECK_EQ(p[0], 'r');
	memcpy(p + 10, "mapped", 6);
	CHECK_MEM(q + 10, "mapped", 6);
	CHECK_EQ(pread(fd, buf, 6, 10), 6);
	CHECK_MEM(buf, "mapped", 6);
	CHECK_EQ(pwrite(fd, "written", 7, PG + 4), 7);
	CHECK_MEM(p + PG + 4, "written", 7);
	CHECK_OK(msync(p, 2 * PG, MS_SYNC));
	CHECK_STR(host_bytes("a", 10, 6, buf), "mapped");
	CHECK_STR(host_bytes("a", PG + 4, 7, buf), "written");
	/* Written again after the msync: the next one sends it too. */
	p[PG + 4] = 'W';
	CHECK_OK(msync(p + PG, PG, MS_ASYNC));
	CHECK_STR(host_bytes("a", PG + 4, 7, buf), "Written");
	munmap(p, 2 * PG);
	munmap(q, 2 * PG);
	close(fd);
}

static void rw_fsync_writes_mapped_pages_back(void)
{
	int fd = CHECK_OK(open(rw_path("b", false), O_RDWR));
	char *p = map(fd, 2 * PG, PROT_READ, MAP_SHARED);
	char buf[16];

	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ(p[5000], 'r'); /* present while read-only... */
	CHECK_OK(mprotect(p, 2 * PG, PROT_READ | PROT_WRITE));
	memcpy(p + 5000, "fsynced", 7); /* ...then written without a new fault */
	CHECK_OK(fsync(fd));
	CHECK_STR(host_bytes("b", 5000, 7, buf), "fsynced");
	munmap(p, 2 * PG);
	close(fd);
}

static void rw_munmap_writes_back_a_new_file(void)
{
	int fd = CHECK_OK(open(rw_path("munmapped", false), O_RDWR | O_CREAT | O_TRUNC, 0644));
	char buf[16];

	CHECK_OK(ftruncate(fd, 2 * PG));
	char *p = map(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ(p[PG + 1], 0);
	memcpy(p, "via-mapping", 11);
	memcpy(p + PG, "page-two", 8);
	CHECK_OK(munmap(p, 2 * PG)); /* no msync: the last unmap writes it back */
	close(fd);
	CHECK_STR(host_bytes("munmapped", 0, 11, buf), "via-mapping");
	CHECK_STR(host_bytes("munmapped", PG, 8, buf), "page-two");
}

static void rw_truncation_raises_sigbus_in_mappings(void)
{
	int fd = CHECK_OK(open(rw_path("c", false), O_RDWR));
	char *p = map(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
	struct stat st;

	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ(p[PG], 'r');
	p[50] = 'x';
	CHECK_OK(ftruncate(fd, 100));
	CHECK_EQ(touch(p + PG), SIGBUS);
	CHECK_EQ(p[50], 'x');
	CHECK_EQ(p[99], 'r');
	CHECK_EQ(p[100], 0);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 100);
	CHECK_OK(ftruncate(fd, 2 * PG)); /* grown again: zeros */
	CHECK_EQ(p[PG + 7], 0);
	CHECK_EQ(p[50], 'x');
	munmap(p, 2 * PG);
	close(fd);
}

static void rw_private_mapping_follows_the_file_until_written(void)
{
	int fd = CHECK_OK(open(rw_path("d", false), O_RDWR));
	char *p = map(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char c = 0;

	CHECK(p != NULL);
	if (!p)
		return;
	CHECK_EQ(p[0], 'r');
	CHECK_EQ(pwrite(fd, "X", 1, 0), 1);
	CHECK_EQ(p[0], 'X');
	p[PG] = 'P';
	CHECK_EQ(pread(fd, &c, 1, PG), 1);
	CHECK_EQ(c, 'r');
	munmap(p, 2 * PG);
	close(fd);
}

static void rw_writes_are_shared_across_fork(void)
{
	int fd = CHECK_OK(open(rw_path("a", false), O_RDWR));
	volatile char *p = map(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
	int st;

	CHECK(p != NULL);
	if (!p)
		return;
	pid_t pid = fork();
	if (pid == 0) {
		char *m = map(fd, 2 * PG, PROT_READ | PROT_WRITE, MAP_SHARED);
		if (!m)
			_exit(1);
		m[PG + 100] = 'C';
		p[PG + 101] = 'D';
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(st, 0);
	CHECK_EQ(p[PG + 100], 'C');
	CHECK_EQ(p[PG + 101], 'D');
	munmap((void *)p, 2 * PG);
	close(fd);
}

int main(void)
{
	h_begin();
	g_dir = getenv("H_LOWER_DIR");
	g_rw = getenv("H_RW_DIR");
	g_host = getenv("H_RW_HOST_VIEW");
	if (!g_dir || !g_rw || !g_host) {
		fprintf(stderr, "mm_gofer_host_test: no $H_LOWER_DIR/$H_RW_DIR/$H_RW_HOST_VIEW: "
				"run it through test/syscalls/with_host_files.sh (CTest does)\n");
		return 2;
	}
	RUN(mappings_show_the_file);
	RUN(access_past_eof_raises_sigbus);
	RUN(mappings_follow_writes_after_copy_up);
	RUN(other_processes_see_writes_after_copy_up);
	RUN(truncation_unmaps_pages_past_eof);
	RUN(rw_shared_mapping_is_coherent_and_msync_writes_back);
	RUN(rw_fsync_writes_mapped_pages_back);
	RUN(rw_munmap_writes_back_a_new_file);
	RUN(rw_truncation_raises_sigbus_in_mappings);
	RUN(rw_private_mapping_follows_the_file_until_written);
	RUN(rw_writes_are_shared_across_fork);
	return h_end();
}
