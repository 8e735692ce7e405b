/* mseal(2) (Linux 6.10): a sealed mapping refuses munmap, mprotect, mremap, mmap over it
 * and page-discarding madvise of read-only anonymous memory, with EPERM and no change;
 * the seal survives fork and shows as "sl" in smaps. */
#include "harness.h"

#include <sys/mman.h>

#define NR_mseal 462
#define PG 4096UL

static long do_mseal(void *addr, size_t len, unsigned long flags)
{
	return syscall(NR_mseal, addr, len, flags);
}

static char *map(size_t pages, int prot)
{
	char *p = mmap(NULL, pages * PG, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

static void argument_errors(void)
{
	char *p = map(3, PROT_READ | PROT_WRITE);

	CHECK(p != NULL);
	CHECK_ERR(do_mseal(p, PG, 1), EINVAL);
	CHECK_ERR(do_mseal(p + 1, PG, 0), EINVAL);
	CHECK_EQ(do_mseal(p, 0, 0), 0);
	CHECK_EQ(munmap(p + PG, PG), 0);
	CHECK_ERR(do_mseal(p, 3 * PG, 0), ENOMEM); /* a hole: nothing sealed */
	CHECK_EQ(munmap(p, PG), 0);
	CHECK_EQ(munmap(p + 2 * PG, PG), 0);
}

static void sealed_rw_mapping(void)
{
	char *p = map(2, PROT_READ | PROT_WRITE), *q = map(1, PROT_READ);

	CHECK(p != NULL && q != NULL);
	p[0] = 'a';
	CHECK_EQ(do_mseal(p, 2 * PG, 0), 0);
	CHECK_ERR(munmap(p, PG), EPERM);
	CHECK_ERR(mprotect(p, PG, PROT_READ), EPERM);
	CHECK_ERR(mprotect(p, 2 * PG, PROT_READ | PROT_WRITE), EPERM); /* even unchanged */
	CHECK(mremap(p, 2 * PG, PG, 0) == MAP_FAILED && errno == EPERM);
	CHECK(mremap(p, 2 * PG, 4 * PG, MREMAP_MAYMOVE) == MAP_FAILED && errno == EPERM);
	CHECK(mremap(q, PG, PG, MREMAP_MAYMOVE | MREMAP_FIXED, p) == MAP_FAILED &&
	      errno == EPERM);
	CHECK(mmap(p, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) ==
		      MAP_FAILED &&
	      errno == EPERM);
	/* Writable anonymous memory may still be discarded. */
	CHECK_EQ(madvise(p, PG, MADV_DONTNEED), 0);
	CHECK_EQ(p[0], 0);
	p[PG] = 'b'; /* still mapped and writable */
	CHECK_EQ(p[PG], 'b');
	CHECK_EQ(munmap(q, PG), 0); /* q was never sealed */
}

static void sealed_ro_anon_keeps_pages(void)
{
	char *p = map(1, PROT_READ | PROT_WRITE);

	CHECK(p != NULL);
	p[0] = 'k';
	CHECK_EQ(mprotect(p, PG, PROT_READ), 0);
	CHECK_EQ(do_mseal(p, PG, 0), 0);
	CHECK_ERR(madvise(p, PG, MADV_DONTNEED), EPERM);
	CHECK_ERR(madvise(p, PG, MADV_FREE), EPERM);
	CHECK_EQ(madvise(p, PG, MADV_WILLNEED), 0);
	CHECK_EQ(p[0], 'k');
}

static bool smaps_flags_have(void *addr, const char *flag)
{
	char line[512], start[32];
	bool in = false, found = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return false;
	snprintf(start, sizeof(start), "%lx-", (unsigned long)addr);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') > strchr(line, '-') &&
		    strncmp(line, "VmFlags", 7))
			in = !strncmp(line, start, strlen(start));
		if (in && !strncmp(line, "VmFlags:", 8))
			found = strstr(line, flag) != NULL;
	}
	fclose(f);
	return found;
}

static void part_of_a_mapping(void)
{
	char *p = map(3, PROT_READ | PROT_WRITE);

	CHECK(p != NULL);
	CHECK_EQ(do_mseal(p + PG, PG, 0), 0);
	CHECK_ERR(munmap(p, 3 * PG), EPERM);
	p[0] = 'x'; /* nothing was unmapped */
	CHECK(smaps_flags_have(p + PG, " sl"));
	CHECK(!smaps_flags_have(p, " sl"));
	CHECK_EQ(munmap(p, PG), 0);
	CHECK_EQ(munmap(p + 2 * PG, PG), 0);
	CHECK_ERR(munmap(p + PG, PG), EPERM);
}

static void fork_keeps_the_seal(void)
{
	char *p = map(1, PROT_READ | PROT_WRITE);
	int st;

	CHECK(p != NULL);
	CHECK_EQ(do_mseal(p, PG, 0), 0);
	pid_t pid = fork();
	if (pid == 0)
		_exit(munmap(p, PG) == -1 && errno == EPERM ? 0 : 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

int main(void)
{
	h_begin();
	RUN(argument_errors);
	RUN(sealed_rw_mapping);
	RUN(sealed_ro_anon_keeps_pages);
	RUN(part_of_a_mapping);
	RUN(fork_keeps_the_seal);
	return h_end();
}
