/* madvise (DONTNEED, FREE, REMOVE, DONTFORK, WIPEONFORK, POPULATE), mincore, msync, the
 * mlock family with RLIMIT_MEMLOCK, MAP_POPULATE and their errnos. */
#include "harness.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif

static long g_page;

static char *map(long pages, int prot, int flags)
{
	char *p = mmap(NULL, pages * g_page, prot, flags | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static int resident(char *p, long pages)
{
	unsigned char vec[64];
	int n = 0;

	if (mincore(p, pages * g_page, vec) != 0)
		return -1;
	for (long i = 0; i < pages; i++)
		n += vec[i] & 1;
	return n;
}

static void dontneed_zeroes_private_keeps_shared(void)
{
	char *p = map(2, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *s = map(2, PROT_READ | PROT_WRITE, MAP_SHARED);

	CHECK(p && s);
	p[0] = s[0] = 'x';
	CHECK_OK(madvise(p, 2 * g_page, MADV_DONTNEED));
	CHECK_OK(madvise(s, 2 * g_page, MADV_DONTNEED));
	CHECK_EQ(p[0], 0);
	CHECK_EQ(s[0], 'x');
	/* FREE is for private anonymous memory only. */
	CHECK_OK(madvise(p, g_page, MADV_FREE));
	CHECK_ERR(madvise(s, g_page, MADV_FREE), EINVAL);
	munmap(p, 2 * g_page);
	munmap(s, 2 * g_page);
}

static void remove_zeroes_shared_for_everyone(void)
{
	char *s = map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	char *p = map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	pid_t pid;

	CHECK(s && p);
	s[0] = 'r';
	pid = fork();
	if (pid == 0)
		_exit(madvise(s, g_page, MADV_REMOVE) == 0 ? 0 : 1);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(s[0], 0);
	CHECK_ERR(madvise(p, g_page, MADV_REMOVE), EINVAL);
	munmap(s, g_page);
	munmap(p, g_page);
}

static void dontfork_and_wipeonfork(void)
{
	char *d = map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *w = map(1, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *s = map(1, PROT_READ | PROT_WRITE, MAP_SHARED);
	pid_t pid;

	CHECK(d && w && s);
	d[0] = w[0] = 'k';
	CHECK_OK(madvise(d, g_page, MADV_DONTFORK));
	CHECK_OK(madvise(w, g_page, MADV_WIPEONFORK));
	CHECK_ERR(madvise(s, g_page, MADV_WIPEONFORK), EINVAL);
	pid = fork();
	if (pid == 0) {
		unsigned char vec;
		/* The DONTFORK range is absent from the child; the WIPEONFORK one is zero. */
		int absent = mincore(d, g_page, &vec) == -1 && errno == ENOMEM;
		_exit(absent && w[0] == 0 ? 0 : 1);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(d[0], 'k');
	CHECK_EQ(w[0], 'k');
	/* DOFORK undoes it. */
	CHECK_OK(madvise(d, g_page, MADV_DOFORK));
	pid = fork();
	if (pid == 0)
		_exit(d[0] == 'k' ? 0 : 1);
	CHECK_EQ(h_wait(pid), 0);
	munmap(d, g_page);
	munmap(w, g_page);
	munmap(s, g_page);
}

static void madvise_errors(void)
{
	char *p = map(2, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	CHECK(p != NULL);
	CHECK_ERR(madvise(p + 1, g_page, MADV_NORMAL), EINVAL);
	CHECK_ERR(madvise(p, g_page, 12345), EINVAL);
	CHECK_OK(madvise(p, 0, MADV_DONTNEED));
	munmap(p + g_page, g_page);
	/* A range with a hole: the mapped part is advised, the call says ENOMEM. */
	CHECK_ERR(madvise(p, 2 * g_page, MADV_WILLNEED), ENOMEM);
	CHECK_ERR(madvise(p, 2 * g_page, MADV_DONTNEED), ENOMEM);
	munmap(p, g_page);
}

static void populate_and_mincore(void)
{
	char *p = map(8, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	char *q = map(8, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_POPULATE);
	char *n = map(1, PROT_NONE, MAP_PRIVATE);
	unsigned char vec[8];

	CHECK(p && q && n);
	CHECK_EQ(resident(p, 8), 0);
	CHECK_EQ(resident(q, 8), 8);
	CHECK_OK(madvise(p, 8 * g_page, MADV_POPULATE_WRITE));
	CHECK_EQ(resident(p, 8), 8);
	CHECK_ERR(madvise(n, g_page, MADV_POPULATE_READ), EINVAL);
	CHECK_ERR(mincore(p + 1, g_page, vec), EINVAL);
	CHECK_ERR(mincore(p, g_page, (unsigned char *)1), EFAULT);
	munmap(p, 8 * g_page);
	CHECK_ERR(mincore(p, g_page, vec), ENOMEM);
	munmap(q, 8 * g_page);
	munmap(n, g_page);
}

static void msync_checks(void)
{
	char *p = map(2, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	CHECK(p != NULL);
	CHECK_OK(msync(p, 2 * g_page, MS_SYNC));
	CHECK_OK(msync(p, g_page, MS_ASYNC | MS_INVALIDATE));
	CHECK_ERR(msync(p + 1, g_page, MS_SYNC), EINVAL);
	CHECK_ERR(msync(p, g_page, MS_SYNC | MS_ASYNC), EINVAL);
	CHECK_ERR(msync(p, g_page, 0x100), EINVAL);
	munmap(p + g_page, g_page);
	CHECK_ERR(msync(p, 2 * g_page, MS_SYNC), ENOMEM);
	munmap(p, g_page);
}

static void mlock_family(void)
{
	char *p = map(4, PROT_READ | PROT_WRITE, MAP_PRIVATE);

	CHECK(p != NULL);
	CHECK_OK(mlock(p + 10, g_page)); /* rounds out to two pages */
	CHECK_EQ(resident(p, 4) >= 2, 1);
	/* DONTNEED refuses locked memory. */
	CHECK_ERR(madvise(p, g_page, MADV_DONTNEED), EINVAL);
	CHECK_OK(munlock(p, 4 * g_page));
	CHECK_OK(madvise(p, g_page, MADV_DONTNEED));
	CHECK_ERR(mlock2(p, g_page, 0x10), EINVAL);
	CHECK_OK(mlock2(p, g_page, MLOCK_ONFAULT));
	CHECK_OK(munlock(p, g_page));
	CHECK_ERR(mlockall(0), EINVAL);
	CHECK_ERR(mlockall(MCL_ONFAULT), EINVAL);
	CHECK_OK(mlockall(MCL_FUTURE | MCL_ONFAULT));
	CHECK_OK(munlockall());
	munmap(p + 3 * g_page, g_page);
	CHECK_ERR(mlock(p, 4 * g_page), ENOMEM);
	munmap(p, 3 * g_page);
}

/* An unprivileged process is held to RLIMIT_MEMLOCK (root is not). */
static void mlock_limit_for_unprivileged(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit rl = {2 * g_page, 2 * g_page};
		char *p = map(4, PROT_READ | PROT_WRITE, MAP_PRIVATE);
		if (!p || setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(2);
		if (getuid() == 0 && setuid(65534) != 0)
			_exit(9); /* cannot drop root: nothing to check */
		if (mlock(p, g_page) != 0)
			_exit(3);
		if (mlock(p, 4 * g_page) == 0 || errno != ENOMEM)
			_exit(4);
		if (mmap(NULL, 4 * g_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1,
			 0) != MAP_FAILED || errno != EAGAIN)
			_exit(5);
		rl.rlim_cur = rl.rlim_max = 0;
		if (setrlimit(RLIMIT_MEMLOCK, &rl) || munlock(p, g_page))
			_exit(6);
		if (mlock(p, g_page) == 0 || errno != EPERM)
			_exit(7);
		_exit(0);
	}
	int st = h_wait(pid);
	if (WIFEXITED(st) && WEXITSTATUS(st) == 9) {
		printf("  skipped: setuid(65534) failed, the limit binds only the unprivileged\n");
		return;
	}
	CHECK_EQ(st, 0);
}

int main(void)
{
	h_begin();
	g_page = sysconf(_SC_PAGESIZE);
	RUN(dontneed_zeroes_private_keeps_shared);
	RUN(remove_zeroes_shared_for_everyone);
	RUN(dontfork_and_wipeonfork);
	RUN(madvise_errors);
	RUN(populate_and_mincore);
	RUN(msync_checks);
	RUN(mlock_family);
	RUN(mlock_limit_for_unprivileged);
	return h_end();
}
