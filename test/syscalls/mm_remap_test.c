/* mremap: shrink, grow in place, move (pages travel), MREMAP_FIXED, MREMAP_DONTUNMAP,
 * shared mappings, and Linux's errnos. */
#include "harness.h"

#include <signal.h>
#include <sys/mman.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP 4
#endif

static long g_page;

static char *map(long pages, int flags)
{
	char *p = mmap(NULL, pages * g_page, PROT_READ | PROT_WRITE, flags | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void mremap_shrinks_in_place(void)
{
	char *p = map(4, MAP_PRIVATE);

	CHECK(p != NULL);
	p[0] = 'a';
	CHECK(mremap(p, 4 * g_page, g_page, 0) == p);
	CHECK_EQ(p[0], 'a');
	/* The tail is gone: mapping it again with NOREPLACE succeeds. */
	CHECK(mmap(p + g_page, g_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE,
		   -1, 0) == p + g_page);
	munmap(p, 2 * g_page);
}

static void mremap_grows_in_place_when_free(void)
{
	char *p = map(4, MAP_PRIVATE);

	CHECK(p != NULL);
	CHECK_OK(munmap(p + 2 * g_page, 2 * g_page));
	p[0] = 'g';
	CHECK(mremap(p, 2 * g_page, 4 * g_page, 0) == p);
	CHECK_EQ(p[0], 'g');
	CHECK_EQ(p[3 * g_page], 0);
	p[3 * g_page] = 'h';
	munmap(p, 4 * g_page);
}

static void mremap_moves_pages_when_blocked(void)
{
	char *p = map(3, MAP_PRIVATE), *q;

	CHECK(p != NULL);
	memset(p, 'm', 2 * g_page);
	/* The third page blocks growth: without MAYMOVE that is ENOMEM. */
	CHECK(mremap(p, 2 * g_page, 4 * g_page, 0) == MAP_FAILED);
	CHECK_EQ(errno, ENOMEM);
	q = mremap(p, 2 * g_page, 4 * g_page, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED && q != p);
	if (q == MAP_FAILED)
		return;
	CHECK_EQ(q[0], 'm');
	CHECK_EQ(q[2 * g_page - 1], 'm');
	CHECK_EQ(q[3 * g_page], 0);
	/* The old pages are unmapped (mincore on them fails), the third stays. */
	unsigned char vec[2];
	CHECK_ERR(mincore(p, 2 * g_page, vec), ENOMEM);
	CHECK_OK(mincore(p + 2 * g_page, g_page, vec));
	munmap(q, 4 * g_page);
	munmap(p + 2 * g_page, g_page);
}

static void mremap_fixed_replaces_target(void)
{
	char *p = map(2, MAP_PRIVATE), *t = map(2, MAP_PRIVATE);

	CHECK(p && t);
	memset(p, 'f', 2 * g_page);
	memset(t, 't', 2 * g_page);
	CHECK(mremap(p, 2 * g_page, 2 * g_page, MREMAP_MAYMOVE | MREMAP_FIXED, t) == t);
	CHECK_EQ(t[0], 'f');
	CHECK_EQ(t[2 * g_page - 1], 'f');
	/* Overlapping source and target: EINVAL; FIXED needs MAYMOVE. */
	CHECK(mremap(t, 2 * g_page, 2 * g_page, MREMAP_MAYMOVE | MREMAP_FIXED, t + g_page) ==
	      MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK(mremap(t, g_page, g_page, MREMAP_FIXED, p) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	munmap(t, 2 * g_page);
}

static void mremap_dontunmap_leaves_empty_source(void)
{
	char *p = map(2, MAP_PRIVATE), *q;

	CHECK(p != NULL);
	memset(p, 'd', 2 * g_page);
	/* glibc's wrapper reads new_address only with MREMAP_FIXED: call the kernel. */
	q = (char *)syscall(SYS_mremap, p, 2 * g_page, 2 * g_page,
			    MREMAP_MAYMOVE | MREMAP_DONTUNMAP, 0);
	CHECK(q != MAP_FAILED && q != p);
	if (q == MAP_FAILED)
		return;
	CHECK_EQ(q[g_page], 'd');
	CHECK_EQ(p[0], 0); /* still mapped, private anonymous: reads zero */
	CHECK_ERR(syscall(SYS_mremap, p, 2 * g_page, 4 * g_page, MREMAP_MAYMOVE | MREMAP_DONTUNMAP,
			  0),
		  EINVAL);
	munmap(p, 2 * g_page);
	munmap(q, 2 * g_page);
}

/* A moved shared mapping stays shared; growing it does not grow the object, so pages
 * past its original size raise SIGBUS (shmem's EOF). */
static void mremap_shared_stays_shared_across_fork(void)
{
	char *p = map(1, MAP_SHARED), *q;
	pid_t pid;

	CHECK(p != NULL);
	p[0] = 'o';
	q = mremap(p, g_page, 3 * g_page, MREMAP_MAYMOVE);
	CHECK(q != MAP_FAILED);
	if (q == MAP_FAILED)
		return;
	pid = fork();
	if (pid == 0) {
		q[1] = 's';
		_exit(q[0] == 'o' ? 0 : 1);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(q[1], 's');
	pid = fork();
	if (pid == 0) {
		q[2 * g_page] = 'x';
		_exit(0);
	}
	int st = h_wait(pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGBUS);
	munmap(q, 3 * g_page);
}

static void mremap_errors(void)
{
	char *p = map(3, MAP_PRIVATE);

	CHECK(p != NULL);
	munmap(p + 2 * g_page, g_page); /* a hole after the 2-page VMA */
	CHECK(mremap(p + 1, g_page, g_page, 0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK(mremap(p, g_page, 0, 0) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	CHECK(mremap(p, g_page, g_page, 0x80) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	/* Crossing the end of the VMA, and nothing mapped: EFAULT. */
	CHECK(mremap(p, 3 * g_page, 4 * g_page, MREMAP_MAYMOVE) == MAP_FAILED);
	CHECK_EQ(errno, EFAULT);
	munmap(p, 2 * g_page);
	CHECK(mremap(p, g_page, 2 * g_page, MREMAP_MAYMOVE) == MAP_FAILED);
	CHECK_EQ(errno, EFAULT);
	/* old_size 0 duplicates only shared mappings. */
	p = map(1, MAP_PRIVATE);
	CHECK(mremap(p, 0, g_page, MREMAP_MAYMOVE) == MAP_FAILED);
	CHECK_EQ(errno, EINVAL);
	munmap(p, g_page);
}

int main(void)
{
	h_begin();
	g_page = sysconf(_SC_PAGESIZE);
	RUN(mremap_shrinks_in_place);
	RUN(mremap_grows_in_place_when_free);
	RUN(mremap_moves_pages_when_blocked);
	RUN(mremap_fixed_replaces_target);
	RUN(mremap_dontunmap_leaves_empty_source);
	RUN(mremap_shared_stays_shared_across_fork);
	RUN(mremap_errors);
	return h_end();
}
