/* A static guest that dies of SIGSEGV by writing through NULL (exit status 139 expected). */
#include <stdio.h>

int main(void)
{
	volatile int *p = NULL;

	fflush(stdout);
	*p = 1;
	puts("still alive");	/* unreachable on Linux */
	return 0;
}
