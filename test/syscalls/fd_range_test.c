/* fd_range: close_range(2): closing a range, CLOSE_RANGE_CLOEXEC (mark, don't close),
 * CLOSE_RANGE_UNSHARE (a table shared with CLONE_FILES is copied first), ranges past the
 * table, and EINVAL for first > last or unknown flags. */
#include "harness.h"

#include <linux/close_range.h>
#include <sched.h>

static int cr(unsigned first, unsigned last, unsigned flags)
{
	return (int)syscall(SYS_close_range, first, last, flags);
}

static bool is_open(int fd)
{
	return fcntl(fd, F_GETFD) >= 0;
}

static bool is_cloexec(int fd)
{
	return fcntl(fd, F_GETFD) == FD_CLOEXEC;
}

/* Open /dev/null at exactly fd. */
static void open_at(int fd)
{
	int n = open("/dev/null", O_RDONLY);

	if (n != fd) {
		CHECK(dup2(n, fd) == fd);
		close(n);
	}
}

static void closes_the_range_only(void)
{
	for (int fd = 10; fd <= 20; fd++)
		open_at(fd);
	CHECK_OK(cr(12, 15, 0));
	CHECK(is_open(10));
	CHECK(is_open(11));
	for (int fd = 12; fd <= 15; fd++)
		CHECK(!is_open(fd));
	CHECK(is_open(16));
	CHECK(is_open(20));
	/* A range over closed slots and past the table's end is fine. */
	CHECK_OK(cr(12, 15, 0));
	CHECK_OK(cr(16, ~0U, 0));
	CHECK(!is_open(16));
	CHECK(!is_open(20));
	CHECK(is_open(11));
	CHECK_OK(cr(100000, ~0U, 0));
	CHECK_OK(cr(11, 11, 0));
	CHECK(!is_open(11));
	CHECK(is_open(10));
	CHECK_OK(cr(10, 10, 0));
	CHECK(is_open(0) && is_open(1) && is_open(2));
}

static void bad_arguments(void)
{
	open_at(30);
	CHECK_ERR(cr(31, 30, 0), EINVAL);
	CHECK_ERR(cr(~0U, 0, 0), EINVAL);
	CHECK_ERR(cr(30, 30, 1u << 5), EINVAL);
	CHECK_ERR(cr(30, 30, ~0U), EINVAL);
	CHECK_ERR(cr(31, 30, CLOSE_RANGE_CLOEXEC), EINVAL);
	/* Nothing was closed by a refused call. */
	CHECK(is_open(30));
	CHECK(!is_cloexec(30));
	close(30);
}

static void cloexec_marks_without_closing(void)
{
	for (int fd = 40; fd <= 44; fd++)
		open_at(fd);
	CHECK_OK(cr(41, 43, CLOSE_RANGE_CLOEXEC));
	CHECK(is_open(40) && !is_cloexec(40));
	for (int fd = 41; fd <= 43; fd++) {
		CHECK(is_open(fd));
		CHECK(is_cloexec(fd));
	}
	CHECK(is_open(44) && !is_cloexec(44));
	/* Closed slots in the range stay closed; a later open there is not close-on-exec. */
	CHECK_OK(cr(45, 60, CLOSE_RANGE_CLOEXEC));
	open_at(50);
	CHECK(!is_cloexec(50));
	/* Idempotent, and 0..2 can be marked too. */
	CHECK_OK(cr(41, 43, CLOSE_RANGE_CLOEXEC));
	CHECK(is_cloexec(42));
	CHECK_OK(cr(40, 50, 0));
	for (int fd = 40; fd <= 50; fd++)
		CHECK(!is_open(fd));
}

/* Child of clone(CLONE_FILES): closes (or marks) 60..69 in the shared table, or in its
 * own copy. */
static int g_child_flags;

static void shared_table_case(unsigned flags, bool parent_keeps)
{
	pid_t pid;
	int st;

	for (int fd = 60; fd <= 69; fd++)
		open_at(fd);
	g_child_flags = (int)flags;
	fflush(stdout);
	pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		bool mark = g_child_flags & CLOSE_RANGE_CLOEXEC;
		int ok = cr(60, 69, (unsigned)g_child_flags) == 0;

		for (int fd = 60; fd <= 69; fd++)
			ok = ok && (mark ? is_cloexec(fd) : !is_open(fd));
		_exit(ok ? 0 : 1);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	for (int fd = 60; fd <= 69; fd++) {
		CHECK_EQ(is_open(fd), parent_keeps);
		if (parent_keeps)
			CHECK(!is_cloexec(fd));
	}
	cr(60, 69, 0);
}

static void unshare_copies_a_shared_table(void)
{
	/* Without UNSHARE the child closes the parent's descriptors too. */
	shared_table_case(0, false);
	shared_table_case(CLOSE_RANGE_UNSHARE, true);
	shared_table_case(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC, true);
}

static void unshare_cloexec_in_child(void)
{
	pid_t pid;
	int st;

	open_at(70);
	fflush(stdout);
	pid = (pid_t)syscall(SYS_clone, CLONE_FILES | SIGCHLD, 0, 0, 0, 0);
	if (pid == 0) {
		int ok = cr(70, 70, CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) == 0 &&
			 is_cloexec(70);

		_exit(ok ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* The mark went on the child's copy, not the parent's descriptor. */
	CHECK(is_open(70));
	CHECK(!is_cloexec(70));
	/* Unsharing an unshared table just closes. */
	CHECK_OK(cr(70, 70, CLOSE_RANGE_UNSHARE));
	CHECK(!is_open(70));
}

int main(void)
{
	h_begin();
	RUN(closes_the_range_only);
	RUN(bad_arguments);
	RUN(cloexec_marks_without_closing);
	RUN(unshare_copies_a_shared_table);
	RUN(unshare_cloexec_in_child);
	return h_end();
}
