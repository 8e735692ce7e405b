/* Copy-on-write across fork: each side's writes (by the CPU or by the kernel through
 * read()) stay private, shared mappings stay shared, and protections survive. */
#include "harness.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

#define NPAGES 64

static long g_page;

static char *map_filled(int c, int prot, int flags)
{
	char *p = mmap(NULL, NPAGES * g_page, PROT_READ | PROT_WRITE,
		       flags | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, c, NPAGES * g_page);
	if (prot != (PROT_READ | PROT_WRITE))
		mprotect(p, NPAGES * g_page, prot);
	return p;
}

/* Count pages whose first byte is c. */
static int pages_with(const char *p, int c)
{
	int n = 0;

	for (int i = 0; i < NPAGES; i++)
		n += p[i * g_page] == c;
	return n;
}

static void child_writes_stay_in_child(void)
{
	char *p = map_filled('a', PROT_READ | PROT_WRITE, MAP_PRIVATE);
	pid_t pid;

	CHECK(p != NULL);
	if (!p)
		return;
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < NPAGES; i += 3)
			p[i * g_page] = 'c';
		_exit(pages_with(p, 'c') == (NPAGES + 2) / 3 ? 0 : 1);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(pages_with(p, 'a'), NPAGES);
	munmap(p, NPAGES * g_page);
}

static void parent_writes_stay_in_parent(void)
{
	char *p = map_filled('a', PROT_READ | PROT_WRITE, MAP_PRIVATE);
	int go[2], done[2];
	pid_t pid;
	char b = 0;

	CHECK(p != NULL);
	CHECK_OK(pipe(go));
	CHECK_OK(pipe(done));
	if (!p)
		return;
	pid = fork();
	if (pid == 0) {
		/* Wait until the parent has written, then check the child still sees 'a'. */
		if (read(go[0], &b, 1) != 1)
			_exit(2);
		_exit(pages_with(p, 'a') == NPAGES ? 0 : 1);
	}
	memset(p, 'p', NPAGES * g_page);
	CHECK_EQ(write(go[1], "x", 1), 1);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(pages_with(p, 'p'), NPAGES);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
	munmap(p, NPAGES * g_page);
}

/* The program's own data and bss (which fork may copy at once) stay private both ways. */
static volatile long g_data_word = 1;
static volatile long g_bss_word;

static void program_data_stays_private(void)
{
	int go[2];
	pid_t pid;
	char b = 0;

	CHECK_OK(pipe(go));
	g_data_word = 1;
	g_bss_word = 0;
	pid = fork();
	if (pid == 0) {
		g_data_word = 2;
		g_bss_word = 2;
		if (read(go[0], &b, 1) != 1)
			_exit(2);
		_exit(g_data_word == 2 && g_bss_word == 2 ? 0 : 1);
	}
	CHECK_EQ(g_data_word, 1);
	g_data_word = 3;
	g_bss_word = 3;
	CHECK_EQ(write(go[1], "x", 1), 1);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(g_data_word, 3);
	CHECK_EQ(g_bss_word, 3);
	close(go[0]);
	close(go[1]);
}

/* The kernel writing into a shared page (read() into it) must copy it too. */
static void read_into_cow_page_copies(void)
{
	char *p = map_filled('a', PROT_READ | PROT_WRITE, MAP_PRIVATE);
	int fds[2];
	pid_t pid;

	CHECK(p != NULL);
	CHECK_OK(pipe(fds));
	if (!p)
		return;
	CHECK_EQ(write(fds[1], "zzzz", 4), 4);
	pid = fork();
	if (pid == 0) {
		if (read(fds[0], p + 5 * g_page, 4) != 4)
			_exit(2);
		_exit(p[5 * g_page] == 'z' ? 0 : 1);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(p[5 * g_page], 'a');
	CHECK_EQ(pages_with(p, 'a'), NPAGES);
	close(fds[0]);
	close(fds[1]);
	munmap(p, NPAGES * g_page);
}

static void shared_mapping_stays_shared(void)
{
	volatile char *p = map_filled('a', PROT_READ | PROT_WRITE, MAP_SHARED);
	pid_t pid;

	CHECK(p != NULL);
	if (!p)
		return;
	pid = fork();
	if (pid == 0) {
		p[7 * g_page] = 's';
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(p[7 * g_page], 's');
	munmap((void *)p, NPAGES * g_page);
}

static sigjmp_buf g_jmp;

static void on_segv(int sig)
{
	siglongjmp(g_jmp, 1);
}

/* A read-only private page shared by fork still faults on write (SEGV, not a copy), and
 * becomes privately writable after mprotect. */
static void read_only_cow_page_faults_then_mprotect_copies(void)
{
	char *p = map_filled('r', PROT_READ, MAP_PRIVATE);
	pid_t pid;

	CHECK(p != NULL);
	if (!p)
		return;
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = {.sa_handler = on_segv};
		sigaction(SIGSEGV, &sa, NULL);
		if (sigsetjmp(g_jmp, 1) == 0) {
			*(volatile char *)p = 'x';
			_exit(3); /* the write must fault */
		}
		if (mprotect(p, NPAGES * g_page, PROT_READ | PROT_WRITE) != 0)
			_exit(4);
		p[0] = 'w';
		_exit(p[0] == 'w' && p[g_page] == 'r' ? 0 : 1);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(pages_with(p, 'r'), NPAGES);
	munmap(p, NPAGES * g_page);
}

/* Three generations share pages; each write lands only in its writer. */
static void grandchild_chain(void)
{
	char *p = map_filled('0', PROT_READ | PROT_WRITE, MAP_PRIVATE);
	pid_t pid;

	CHECK(p != NULL);
	if (!p)
		return;
	pid = fork();
	if (pid == 0) {
		p[0] = '1';
		pid_t gc = fork();
		if (gc == 0) {
			int ok = p[0] == '1' && p[g_page] == '0';
			p[g_page] = '2';
			_exit(ok ? 0 : 1);
		}
		int st = h_wait(gc);
		_exit(st == 0 && p[0] == '1' && p[g_page] == '0' ? 0 : 1);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(p[0], '0');
	CHECK_EQ(p[g_page], '0');
	munmap(p, NPAGES * g_page);
}

/* After the child exits the parent writes its pages as usual (sole owner again). */
static void parent_writes_after_child_exit(void)
{
	char *p = map_filled('a', PROT_READ | PROT_WRITE, MAP_PRIVATE);
	pid_t pid;

	CHECK(p != NULL);
	if (!p)
		return;
	pid = fork();
	if (pid == 0)
		_exit(0);
	CHECK_EQ(h_wait(pid), 0);
	memset(p, 'b', NPAGES * g_page);
	CHECK_EQ(pages_with(p, 'b'), NPAGES);
	munmap(p, NPAGES * g_page);
}

int main(void)
{
	h_begin();
	g_page = sysconf(_SC_PAGESIZE);
	RUN(child_writes_stay_in_child);
	RUN(parent_writes_stay_in_parent);
	RUN(program_data_stays_private);
	RUN(read_into_cow_page_copies);
	RUN(shared_mapping_stays_shared);
	RUN(read_only_cow_page_faults_then_mprotect_copies);
	RUN(grandchild_chain);
	RUN(parent_writes_after_child_exit);
	return h_end();
}
