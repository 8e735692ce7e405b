/* Growing stacks (the main stack and MAP_GROWSDOWN mappings) within RLIMIT_STACK and the
 * guard gap, and RLIMIT_AS/RLIMIT_DATA on mmap and brk. */
#include "harness.h"

#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>

static long g_page;

/* Use about kib KiB of stack, touching every page. */
static int __attribute__((noinline)) burn(int kib)
{
	volatile char buf[1024];

	buf[0] = (char)kib;
	if (kib <= 1)
		return buf[0];
	return burn(kib - 1) + buf[0];
}

static void main_stack_grows_to_the_limit(void)
{
	CHECK_EQ(burn(4096) != 0, 1); /* 4 MiB under the default 8 MiB limit */
}

static void stack_overflow_is_sigsegv(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit rl = {1 << 20, RLIM_INFINITY};
		setrlimit(RLIMIT_STACK, &rl);
		burn(6144); /* past what the parent already grew */
		_exit(0);
	}
	int st = h_wait(pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGSEGV);
}

static void growsdown_mapping_grows_but_keeps_guard_gap(void)
{
	/* [below: readable 1 page][free 4 MiB][growsdown: 1 page] */
	char *area = mmap(NULL, 6 << 20, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *below, *top;
	pid_t pid;

	CHECK(area != MAP_FAILED);
	if (area == MAP_FAILED)
		return;
	munmap(area, 6 << 20);
	below = mmap(area, g_page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	top = mmap(area + g_page + (4 << 20), g_page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, -1, 0);
	CHECK(below == area && top != MAP_FAILED);
	top[-100 * g_page] = 'g'; /* 400 KiB down: grows */
	CHECK_EQ(top[-100 * g_page], 'g');
	unsigned char vec;
	CHECK_OK(mincore(top - 100 * g_page, g_page, &vec));
	pid = fork();
	if (pid == 0) {
		/* Within 1 MiB (the guard gap) of the readable mapping below: no growth. */
		below[g_page + 4096] = 'x';
		_exit(0);
	}
	int st = h_wait(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	munmap(area, 6 << 20);
}

static void rlimit_as_and_data(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit as = {1ULL << 30, RLIM_INFINITY}, data = {16 << 20, RLIM_INFINITY};
		if (setrlimit(RLIMIT_AS, &as) || setrlimit(RLIMIT_DATA, &data))
			_exit(2);
		if (mmap(NULL, 2ULL << 30, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) !=
			    MAP_FAILED || errno != ENOMEM)
			_exit(3);
		if (mmap(NULL, 32 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0) != MAP_FAILED || errno != ENOMEM)
			_exit(4);
		/* Not data: read-only private, and shared writable. */
		if (mmap(NULL, 32 << 20, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
			_exit(5);
		if (mmap(NULL, 32 << 20, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0) ==
		    MAP_FAILED)
			_exit(6);
		if (sbrk(32 << 20) != (void *)-1)
			_exit(7);
		if (sbrk(1 << 20) == (void *)-1)
			_exit(8);
		_exit(0);
	}
	CHECK_EQ(h_wait(pid), 0);
}

int main(void)
{
	h_begin();
	g_page = sysconf(_SC_PAGESIZE);
	RUN(main_stack_grows_to_the_limit);
	RUN(stack_overflow_is_sigsegv);
	RUN(growsdown_mapping_grows_but_keeps_guard_gap);
	RUN(rlimit_as_and_data);
	return h_end();
}
