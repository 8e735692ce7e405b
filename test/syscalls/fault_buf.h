/* fault_buf.h: buffers that fault at a known place, for the *_fault_test programs. */
#ifndef RUNSC_TEST_FAULT_BUF_H
#define RUNSC_TEST_FAULT_BUF_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#define P 4096L

/* Three pages: the first two writable, the third PROT_NONE. */
static __attribute__((unused)) char *faulting_buf(void)
{
	char *b = mmap(NULL, 3 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (b == MAP_FAILED || mprotect(b + 2 * P, P, PROT_NONE) < 0) {
		perror("faulting_buf");
		exit(2);
	}
	return b;
}

/* What fd has to read (FIONREAD), -1 if it cannot say. */
static __attribute__((unused)) int avail(int fd)
{
	int n = -1;

	ioctl(fd, FIONREAD, &n);
	return n;
}

#endif
