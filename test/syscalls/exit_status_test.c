/* exit/exit_group and wait statuses: codes are truncated to 8 bits, signals are reported. */
#include "harness.h"

#include <signal.h>

static int status_of_exit(int code, bool raw_group)
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (raw_group)
			syscall(SYS_exit_group, code);
		syscall(SYS_exit, code);
		_exit(99);
	}
	return h_wait(pid);
}

static void exit_codes_round_trip(void)
{
	static const int codes[] = { 0, 1, 42, 127, 255 };

	for (size_t i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		int st = status_of_exit(codes[i], false);

		CHECK(WIFEXITED(st));
		CHECK_EQ(WEXITSTATUS(st), codes[i]);
	}
}

static void exit_code_keeps_low_eight_bits(void)
{
	CHECK_EQ(WEXITSTATUS(status_of_exit(256, true)), 0);
	CHECK_EQ(WEXITSTATUS(status_of_exit(257, true)), 1);
	CHECK_EQ(WEXITSTATUS(status_of_exit(-1, true)), 255);
}

static void exit_group_ends_process(void)
{
	int st = status_of_exit(3, true);

	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 3);
}

static void libc_exit_flushes_stdio(void)
{
	int p[2];
	char buf[16] = { 0 };
	pid_t pid;

	CHECK_OK(pipe(p));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		FILE *f = fdopen(p[1], "w");

		fputs("buffered", f);
		exit(4);	/* exit(), not _exit(): stdio is flushed */
	}
	close(p[1]);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 8);
	CHECK_STR(buf, "buffered");
	CHECK_EQ(h_wait(pid), 4 << 8);
	close(p[0]);
}

static void null_deref(void)
{
	*(volatile int *)0 = 1;
}

static void do_abort(void)
{
	abort();
}

static void crash_statuses_name_the_signal(void)
{
	int st = h_in_child(null_deref);

	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGSEGV);
	st = h_in_child(do_abort);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGABRT);
}

int main(void)
{
	h_begin();
	RUN(exit_codes_round_trip);
	RUN(exit_code_keeps_low_eight_bits);
	RUN(exit_group_ends_process);
	RUN(libc_exit_flushes_stdio);
	RUN(crash_statuses_name_the_signal);
	return h_end();
}
