/* mm_hammer.c: many threads remap, unmap and re-protect pages of one shared region while
 * the others read and write them, and every access is checked against what the last
 * change made of that page. A platform that keeps a stale translation anywhere (a TLB, a
 * shadow page table, a page-table copy) is caught: a read returns the value of a page that
 * was replaced, or an access to an unmapped or protected page does not fault.
 *
 * Each page of the region has a lock, a state and the value its last writer stored; an
 * operation holds the page's lock, so the expected outcome of every access is exact while
 * the other threads keep changing the neighbouring pages (and so the page tables the
 * accessing vCPU is running on).
 *
 * usage: mm_hammer [THREADS [SECONDS]]   (default 200 threads, 60 s) */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PG 4096UL
#define NPAGES 256

enum state { S_RW, S_RO, S_NONE, S_UNMAPPED };

struct page {
	pthread_mutex_t lock;
	enum state state;
	uint64_t value; /* what the page holds at offset (8 * slot) */
};

static struct page pages[NPAGES];
static uint8_t *region;
static struct timespec deadline;
static _Atomic uint64_t n_ops, n_remaps, n_faults, n_reads, errors;

static __thread sigjmp_buf fault_jmp;
static __thread volatile int fault_armed;
static __thread volatile uintptr_t fault_addr;
static __thread volatile int fault_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (!fault_armed) {
		static const char msg[] = "mm_hammer: FAIL: unexpected SIGSEGV\n";

		write(2, msg, sizeof(msg) - 1);
		signal(sig, SIG_DFL);
		return; /* the fault repeats and kills the process */
	}
	fault_armed = 0;
	fault_addr = (uintptr_t)si->si_addr;
	fault_code = si->si_code;
	siglongjmp(fault_jmp, 1);
}

static void fail(const char *what, unsigned i, uint64_t want, uint64_t got)
{
	atomic_fetch_add(&errors, 1);
	fprintf(stderr, "mm_hammer: FAIL: page %u: %s (want %#llx, got %#llx)\n", i, what,
		(unsigned long long)want, (unsigned long long)got);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

/* Access page i (write when `store`); 0, or the si_code of the SIGSEGV it raised. */
static int access_page(unsigned i, bool store, uint64_t val, uint64_t *out)
{
	volatile uint64_t *p = (volatile uint64_t *)(region + i * PG + (i % 512) * 8);

	if (sigsetjmp(fault_jmp, 1)) {
		if (fault_addr != (uintptr_t)p)
			fail("fault at the wrong address", i, (uintptr_t)p, fault_addr);
		atomic_fetch_add(&n_faults, 1);
		return fault_code;
	}
	fault_armed = 1;
	if (store)
		*p = val;
	else
		*out = *p;
	fault_armed = 0;
	return 0;
}

/* What an access must do in state st: 0 (succeed) or the si_code of its fault. */
static int expected_code(enum state st, bool store)
{
	switch (st) {
	case S_RW: return 0;
	case S_RO: return store ? SEGV_ACCERR : 0;
	case S_NONE: return SEGV_ACCERR;
	default: return SEGV_MAPERR;
	}
}

static void check_access(unsigned i, bool store, uint64_t val)
{
	struct page *pg = &pages[i];
	uint64_t got = 0;
	int want = expected_code(pg->state, store), code = access_page(i, store, val, &got);

	if (code != want) {
		fail(want ? "access did not fault as it must" : "access faulted", i,
		     (uint64_t)want, (uint64_t)code);
		return;
	}
	if (code)
		return;
	if (store) {
		pg->value = val;
	} else {
		atomic_fetch_add(&n_reads, 1);
		if (got != pg->value)
			fail("stale value", i, pg->value, got);
	}
}

static void remap(unsigned i, uint64_t val)
{
	void *a = region + i * PG;

	if (mmap(a, PG, PROT_READ | PROT_WRITE, MAP_FIXED | MAP_PRIVATE | MAP_ANONYMOUS, -1,
		 0) != a) {
		fail("mmap failed", i, 0, (uint64_t)errno);
		return;
	}
	atomic_fetch_add(&n_remaps, 1);
	pages[i].state = S_RW;
	pages[i].value = 0; /* a fresh anonymous page reads as zero */
	check_access(i, false, 0);
	check_access(i, true, val);
}

static void reprotect(unsigned i, enum state st)
{
	static const int prot[] = { PROT_READ | PROT_WRITE, PROT_READ, PROT_NONE };

	if (pages[i].state == S_UNMAPPED)
		return;
	if (mprotect(region + i * PG, PG, prot[st])) {
		fail("mprotect failed", i, 0, (uint64_t)errno);
		return;
	}
	pages[i].state = st;
}

static void one_op(uint64_t *seed, uint64_t val)
{
	unsigned i = (unsigned)(rnd(seed) % NPAGES), op = (unsigned)(rnd(seed) % 12);
	struct page *pg = &pages[i];

	pthread_mutex_lock(&pg->lock);
	switch (op) {
	case 0: case 1: remap(i, val); break;
	case 2:
		if (munmap(region + i * PG, PG))
			fail("munmap failed", i, 0, (uint64_t)errno);
		pg->state = S_UNMAPPED;
		break;
	case 3: reprotect(i, S_RO); break;
	case 4: reprotect(i, S_NONE); break;
	case 5: reprotect(i, S_RW); break;
	case 6: case 7: check_access(i, true, val); break;
	default: check_access(i, false, 0); break;
	}
	/* Read it again after the change, as another vCPU would. */
	check_access(i, false, 0);
	pthread_mutex_unlock(&pg->lock);
	atomic_fetch_add(&n_ops, 1);
}

static bool past_deadline(void)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline.tv_sec ||
	       (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec);
}

static void *worker(void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL * ((uintptr_t)arg + 1), n = 0;
	uint64_t own[64]; /* this thread's stack, touched between operations */

	memset(own, 0, sizeof(own));
	while (!past_deadline() && !atomic_load(&errors)) {
		uint64_t val = ((uint64_t)(uintptr_t)arg << 40) | ++n;

		one_op(&seed, val);
		own[n % 64] = val;
		if (own[n % 64] != val)
			fail("own stack", 0, val, own[n % 64]);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	int nthreads = argc > 1 ? atoi(argv[1]) : 200;
	int seconds = argc > 2 ? atoi(argv[2]) : 60;
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER };
	pthread_t *th = calloc((size_t)nthreads, sizeof(*th));
	pthread_attr_t attr;

	if (nthreads < 1 || seconds < 1 || !th) {
		fprintf(stderr, "usage: mm_hammer [THREADS [SECONDS]]\n");
		return 2;
	}
	region = mmap(NULL, NPAGES * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (region == MAP_FAILED) {
		perror("mmap");
		return 1;
	}
	for (unsigned i = 0; i < NPAGES; i++) {
		pthread_mutex_init(&pages[i].lock, NULL);
		pages[i].state = S_RW;
	}
	sigaction(SIGSEGV, &sa, NULL);
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += seconds;
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 128 * 1024);
	for (int t = 0; t < nthreads; t++)
		if (pthread_create(&th[t], &attr, worker, (void *)(uintptr_t)t)) {
			fprintf(stderr, "mm_hammer: FAIL: pthread_create %d\n", t);
			return 1;
		}
	for (int t = 0; t < nthreads; t++)
		pthread_join(th[t], NULL);
	printf("mm_hammer: %d threads, %d s: %llu operations, %llu remaps, %llu checked reads, "
	       "%llu faults as expected, %llu errors\n",
	       nthreads, seconds, (unsigned long long)n_ops, (unsigned long long)n_remaps,
	       (unsigned long long)n_reads, (unsigned long long)n_faults,
	       (unsigned long long)errors);
	if (errors || n_remaps == 0 || n_reads == 0) {
		printf("mm_hammer: FAIL\n");
		return 1;
	}
	printf("mm_hammer: PASS\n");
	return 0;
}
