/* syscall_stress.c: random system calls with hostile arguments, each in a fresh child with
 * an alarm, run INSIDE the sandbox (never natively: random calls as root would damage the
 * host). The Sentry must answer every one with a result or an errno, or kill just that
 * child: the test passes when the whole run finishes and the parent sees every child end.
 *
 * usage: syscall_stress [ITERATIONS] [SEED] */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define NR_MAX 460
#define CALLS_PER_CHILD 16

static uint64_t g_rng;

static uint64_t rnd(void)
{
	/* xorshift64*: reproducible from the seed. */
	g_rng ^= g_rng >> 12;
	g_rng ^= g_rng << 25;
	g_rng ^= g_rng >> 27;
	return g_rng * 0x2545F4914F6CDD1DULL;
}

/* Calls that would end or multiply the stress child itself rather than test the Sentry. */
static int skipped(long nr)
{
	switch (nr) {
	case SYS_exit: case SYS_exit_group: case SYS_fork: case SYS_vfork: case SYS_clone:
	case SYS_clone3: case SYS_execve: case SYS_execveat: case SYS_kill: case SYS_tkill:
	case SYS_tgkill: case SYS_rt_sigreturn: case SYS_pause: case SYS_rt_sigsuspend:
	case SYS_reboot: case SYS_vhangup:
		return 1;
	default:
		return 0;
	}
}

static char *g_scratch; /* a valid buffer, so some pointers point somewhere real */

static uint64_t hostile_arg(void)
{
	switch (rnd() % 8) {
	case 0: return 0;
	case 1: return (uint64_t)-1;
	case 2: return rnd() % 4096;
	case 3: return (uint64_t)(uintptr_t)g_scratch + rnd() % 8192;
	case 4: return 0x7ffffffff000ULL + rnd() % 0x2000; /* around the top of user memory */
	case 5: return 1ULL << (rnd() % 64);
	case 6: return (uint64_t)(int64_t)(int32_t)rnd();
	default: return rnd();
	}
}

static void child(void)
{
	alarm(2); /* a call that blocks forever ends the child, not the test */
	for (int i = 0; i < CALLS_PER_CHILD; i++) {
		long nr = (long)(rnd() % NR_MAX);
		if (skipped(nr))
			continue;
		syscall(nr, hostile_arg(), hostile_arg(), hostile_arg(), hostile_arg(),
			hostile_arg(), hostile_arg());
	}
	_exit(0);
}

int main(int argc, char **argv)
{
	long iters = argc > 1 ? atol(argv[1]) : 300;
	g_rng = argc > 2 ? strtoull(argv[2], NULL, 0) : 0x9e3779b97f4a7c15ULL;
	int exited = 0, signaled = 0, by_sig[65] = {0};

	g_scratch = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (g_scratch == MAP_FAILED)
		return 2;
	for (long i = 0; i < iters; i++) {
		/* Each child gets its own stream of calls, derived from the seed and i. */
		uint64_t seed = g_rng + (uint64_t)i * 0x9e3779b97f4a7c15ULL;
		pid_t pid = fork();
		if (pid < 0) {
			perror("fork");
			return 1;
		}
		if (pid == 0) {
			g_rng = seed | 1;
			child();
		}
		int st;
		if (waitpid(pid, &st, 0) != pid) {
			perror("waitpid");
			return 1;
		}
		if (WIFEXITED(st)) {
			exited++;
		} else {
			signaled++;
			by_sig[WTERMSIG(st) & 63]++;
			if (getenv("STRESS_VERBOSE"))
				printf("child %d: signal %d\n", (int)pid, WTERMSIG(st));
		}
		rnd();
	}
	printf("syscall_stress: %ld children (%d exited, %d ended by a signal", iters, exited,
	       signaled);
	for (int s = 1; s < 65; s++)
		if (by_sig[s])
			printf(", %dx signal %d", by_sig[s], s);
	printf("), sandbox alive\n");
	return 0;
}
