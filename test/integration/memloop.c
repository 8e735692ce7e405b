/* memloop: maps and frees MIB MiB (default 1024) over and over for SECONDS. Each round
 * maps a quarter of it in each of four ways: private anonymous memory touched then
 * unmapped; the same with MADV_DONTNEED and a second touch first; shared anonymous memory;
 * and a fork whose child breaks copy-on-write of an eighth of it. After each round it says
 * `freed N` and holds still until a byte arrives on stdin (or for 100 ms when stdin gives
 * none), so mem_flat_test.py can sample the sandbox's host memory with nothing mapped.
 *
 * usage: memloop SECONDS [MIB]   (two rounds at least, however long they take)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PG 4096UL

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void touch(char *p, size_t size, size_t step, char v)
{
	for (size_t off = 0; off < size; off += step)
		p[off] = v;
}

/* Map, use and unmap size bytes in way k. 0, or 1 after a message. */
static int round_of(int k, size_t size)
{
	int flags = k == 2 ? MAP_SHARED | MAP_ANONYMOUS : MAP_PRIVATE | MAP_ANONYMOUS;
	char *p = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
	int st;

	if (p == MAP_FAILED) {
		perror("memloop: mmap");
		return 1;
	}
	touch(p, size, PG, 1);
	if (k == 1) {
		if (madvise(p, size, MADV_DONTNEED) != 0 || p[PG] != 0) {
			fprintf(stderr, "memloop: MADV_DONTNEED did not zero\n");
			return 1;
		}
		touch(p, size, 2 * PG, 2);
	}
	if (k == 3) {
		pid_t pid = fork();
		if (pid == 0) {
			touch(p, size / 8, PG, 3);
			_exit(p[0] == 3 ? 0 : 1);
		}
		if (pid < 0 || waitpid(pid, &st, 0) != pid || st != 0 || p[0] != 1) {
			fprintf(stderr, "memloop: the fork round failed\n");
			return 1;
		}
	}
	if (munmap(p, size) != 0) {
		perror("memloop: munmap");
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	double seconds, end;
	size_t size;
	int n = 0;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: memloop SECONDS [MIB]\n");
		return 2;
	}
	seconds = atof(argv[1]);
	size = (size_t)(argc == 3 ? atol(argv[2]) : 1024) << 20;
	setvbuf(stdout, NULL, _IOLBF, 0);
	end = now() + seconds;
	do {
		for (int k = 0; k < 4; k++)
			if (round_of(k, size / 4))
				return 1;
		printf("freed %d\n", ++n);
		/* Hold still until the harness has sampled (a byte on stdin), or 100 ms. */
		char go;
		if (read(0, &go, 1) != 1)
			usleep(100000);
	} while (now() < end || n < 2); /* two rounds at least: one to compare with */
	printf("done %d rounds\n", n);
	return 0;
}
