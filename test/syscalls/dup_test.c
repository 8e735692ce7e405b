/* dup/dup2/dup3: numbering, shared offsets, close-on-exec and errnos. */
#include "harness.h"

static void dup_returns_lowest_fd_sharing_offset(void)
{
	char c;
	int fd = CHECK_OK(open(h_make_file("dup", "abcdef"), O_RDONLY));
	int gap = CHECK_OK(open("/dev/null", O_RDONLY));
	int d;

	close(gap);
	d = CHECK_OK(dup(fd));
	CHECK_EQ(d, gap);
	CHECK_EQ(read(fd, &c, 1), 1);
	/* Both numbers name one open file description: one offset. */
	CHECK_EQ(lseek(d, 0, SEEK_CUR), 1);
	CHECK_EQ(read(d, &c, 1), 1);
	CHECK_EQ(c, 'b');
	close(fd);
	/* The duplicate outlives the original. */
	CHECK_EQ(read(d, &c, 1), 1);
	CHECK_EQ(c, 'c');
	close(d);
}

static void dup_clears_cloexec(void)
{
	int fd = CHECK_OK(open("/dev/null", O_RDONLY | O_CLOEXEC));
	int d = CHECK_OK(dup(fd));

	CHECK_EQ(fcntl(d, F_GETFD), 0);
	close(fd);
	close(d);
}

static void dup_bad_fd_returns_ebadf(void)
{
	CHECK_ERR(dup(9999), EBADF);
	CHECK_ERR(dup(-1), EBADF);
}

static void dup2_targets_given_number(void)
{
	int fd = CHECK_OK(open("/dev/null", O_RDONLY));

	CHECK_EQ(dup2(fd, 100), 100);
	CHECK_EQ(fcntl(100, F_GETFL) & O_ACCMODE, O_RDONLY);
	close(100);
	close(fd);
}

static void dup2_replaces_open_target_silently(void)
{
	char c;
	int a = CHECK_OK(open(h_make_file("A", "A"), O_RDONLY));
	int b = CHECK_OK(open(h_make_file("B", "B"), O_RDONLY));

	CHECK_EQ(dup2(a, b), b);
	CHECK_EQ(read(b, &c, 1), 1);
	CHECK_EQ(c, 'A');
	close(a);
	close(b);
}

static void dup2_same_fd_returns_it(void)
{
	int fd = CHECK_OK(open("/dev/null", O_RDONLY | O_CLOEXEC));

	CHECK_EQ(dup2(fd, fd), fd);
	/* dup2 onto itself changes nothing, not even close-on-exec. */
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	close(fd);
	CHECK_ERR(dup2(fd, fd), EBADF);
}

static void dup2_errors(void)
{
	int fd = CHECK_OK(open("/dev/null", O_RDONLY));

	CHECK_ERR(dup2(9999, 10), EBADF);
	CHECK_ERR(dup2(fd, -1), EBADF);
	CHECK_ERR(dup2(fd, 1 << 30), EBADF);
	close(fd);
}

static void dup3_flags(void)
{
	int fd = CHECK_OK(open("/dev/null", O_RDONLY));

	CHECK_EQ(dup3(fd, 101, O_CLOEXEC), 101);
	CHECK_EQ(fcntl(101, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(dup3(fd, 102, 0), 102);
	CHECK_EQ(fcntl(102, F_GETFD), 0);
	CHECK_ERR(dup3(fd, fd, 0), EINVAL);
	CHECK_ERR(dup3(fd, 103, O_NONBLOCK), EINVAL);
	close(101);
	close(102);
	close(fd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(dup_returns_lowest_fd_sharing_offset);
	RUN(dup_clears_cloexec);
	RUN(dup_bad_fd_returns_ebadf);
	RUN(dup2_targets_given_number);
	RUN(dup2_replaces_open_target_silently);
	RUN(dup2_same_fd_returns_it);
	RUN(dup2_errors);
	RUN(dup3_flags);
	return h_end();
}
