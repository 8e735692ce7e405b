/* Syscall numbers that no x86-64 kernel implements must fail with ENOSYS, not crash. */
#include "harness.h"

static void unassigned_numbers_return_enosys(void)
{
	/*
	 * 337..423 is a hole in the x86-64 table (335/336 became uretprobe and
	 * uprobe, which raise SIGILL); 1000 and 100000 are past its end; -1 is
	 * what ptrace tracers use to skip a call, and must still be ENOSYS.
	 */
	CHECK_ERR(syscall(400), ENOSYS);
	CHECK_ERR(syscall(423), ENOSYS);
	CHECK_ERR(syscall(-1L), ENOSYS);
	CHECK_ERR(syscall(1000), ENOSYS);
	CHECK_ERR(syscall(100000), ENOSYS);
}

static void enosys_leaves_process_usable(void)
{
	char c = 0;
	int p[2];

	CHECK_ERR(syscall(1000, 1L, 2L, 3L, 4L, 5L, 6L), ENOSYS);
	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "k", 1), 1);
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(c, 'k');
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	h_begin();
	RUN(unassigned_numbers_return_enosys);
	RUN(enosys_leaves_process_usable);
	return h_end();
}
