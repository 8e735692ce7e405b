/* getpid_loop.c: N getpid calls (argv[1]), the workload whose VM exits the ring-0 proof
 * counts (ring0_proof.sh): in ring-0 mode they cost none. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000, pid = syscall(SYS_getpid);

	for (long i = 0; i < n; i++)
		if (syscall(SYS_getpid) != pid) {
			printf("getpid_loop: getpid changed at call %ld\n", i);
			return 1;
		}
	printf("getpid_loop: %ld calls\n", n);
	return 0;
}
