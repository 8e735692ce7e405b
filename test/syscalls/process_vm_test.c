/* process_vm: process_vm_readv/writev into a forked child (same addresses after fork):
 * reads, writes, scattered iovecs, a partial transfer on a bad remote address, EFAULT,
 * ESRCH, EINVAL, and EPERM for an unprivileged caller against another user's process. */
#include "harness.h"

#include <sys/uio.h>

static char g_buf[8192] = "remote-data";

static void read_and_write_a_child(void)
{
	int go[2], done[2], st;
	char local[16] = {0}, c;

	CHECK_OK(pipe(go));
	CHECK_OK(pipe(done));
	pid_t pid = fork();
	if (pid == 0) {
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(strcmp(g_buf, "written!") == 0 ? 0 : 1);
	}
	struct iovec l = {local, 11}, r = {g_buf, 11};
	CHECK_EQ(process_vm_readv(pid, &l, 1, &r, 1, 0), 11);
	CHECK_STR(local, "remote-data");
	/* Scattered: two local pieces into one remote range. */
	struct iovec l2[2] = {{"writ", 4}, {"ten!", 5}}, r2 = {g_buf, 9};
	CHECK_EQ(process_vm_writev(pid, l2, 2, &r2, 1, 0), 9);
	CHECK_EQ(write(go[1], "g", 1), 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}

static void errors_and_partial_transfers(void)
{
	char local[32];
	struct iovec l = {local, sizeof(local)};
	struct iovec bad = {(void *)8, 16};
	struct iovec two[2] = {{g_buf, 8}, {(void *)8, 8}};
	pid_t me = getpid();

	CHECK_ERR(process_vm_readv(me, &l, 1, &bad, 1, 0), EFAULT);
	CHECK_EQ(process_vm_readv(me, &l, 1, two, 2, 0), 8); /* stops at the bad piece */
	CHECK_ERR(process_vm_readv(me, &l, 1, two, 1, 1), EINVAL);
	CHECK_ERR(process_vm_readv(4000000, &l, 1, two, 1, 0), ESRCH);
	CHECK_EQ(process_vm_readv(me, &l, 1, two, 0, 0), 0);
}

static void unprivileged_caller_gets_eperm(void)
{
	pid_t parent = getpid(), pid = fork();
	int st;

	if (pid == 0) {
		char local[8];
		struct iovec l = {local, 8}, r = {g_buf, 8};
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(3);
		ssize_t n = process_vm_readv(parent, &l, 1, &r, 1, 0);
		_exit(n == -1 && errno == EPERM ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

int main(void)
{
	h_begin();
	RUN(read_and_write_a_child);
	RUN(errors_and_partial_transfers);
	if (geteuid() == 0)
		RUN(unprivileged_caller_gets_eperm);
	return h_end();
}
