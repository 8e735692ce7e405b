/* fcntl: F_GETFD/F_SETFD, F_GETFL/F_SETFL, F_DUPFD(_CLOEXEC) and errnos. */
#include "harness.h"

#include <sys/resource.h>

static void fcntl_fd_flags_roundtrip(void)
{
	int fd = CHECK_OK(open("/dev/null", O_RDONLY));

	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_OK(fcntl(fd, F_SETFD, 0));
	CHECK_EQ(fcntl(fd, F_GETFD), 0);
	close(fd);
}

static void fcntl_getfl_reports_open_flags(void)
{
	int fd = CHECK_OK(open(h_path("fl"), O_CREAT | O_RDWR | O_APPEND, 0644));
	int fl = CHECK_OK(fcntl(fd, F_GETFL));

	CHECK_EQ(fl & O_ACCMODE, O_RDWR);
	CHECK(fl & O_APPEND);
	CHECK(!(fl & O_NONBLOCK));
	/* Creation flags are not kept. */
	CHECK(!(fl & (O_CREAT | O_TRUNC | O_EXCL)));
	close(fd);
}

static void fcntl_setfl_changes_status_flags_only(void)
{
	int fd = CHECK_OK(open(h_path("fl2"), O_CREAT | O_WRONLY, 0644));
	int fl;

	CHECK_OK(fcntl(fd, F_SETFL, O_APPEND | O_NONBLOCK | O_RDWR));
	fl = CHECK_OK(fcntl(fd, F_GETFL));
	CHECK(fl & O_APPEND);
	CHECK(fl & O_NONBLOCK);
	/* The access mode cannot be changed through F_SETFL. */
	CHECK_EQ(fl & O_ACCMODE, O_WRONLY);
	CHECK_OK(fcntl(fd, F_SETFL, 0));
	fl = CHECK_OK(fcntl(fd, F_GETFL));
	CHECK(!(fl & (O_APPEND | O_NONBLOCK)));
	close(fd);
}

static void fcntl_status_flags_shared_by_duplicates(void)
{
	int fd = CHECK_OK(open("/dev/null", O_RDONLY));
	int d = CHECK_OK(dup(fd));

	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK(fcntl(d, F_GETFL) & O_NONBLOCK);
	/* ...but descriptor flags are per number. */
	CHECK_OK(fcntl(fd, F_SETFD, FD_CLOEXEC));
	CHECK_EQ(fcntl(d, F_GETFD), 0);
	close(fd);
	close(d);
}

static void fcntl_dupfd_returns_lowest_at_or_above(void)
{
	int fd = CHECK_OK(open("/dev/null", O_RDONLY | O_CLOEXEC));
	int d = CHECK_OK(fcntl(fd, F_DUPFD, 50));
	int d2 = CHECK_OK(fcntl(fd, F_DUPFD, 50));
	int c = CHECK_OK(fcntl(fd, F_DUPFD_CLOEXEC, 60));

	CHECK_EQ(d, 50);
	CHECK_EQ(d2, 51);
	CHECK_EQ(fcntl(d, F_GETFD), 0);
	CHECK_EQ(c, 60);
	CHECK_EQ(fcntl(c, F_GETFD), FD_CLOEXEC);
	close(d);
	close(d2);
	close(c);
	close(fd);
}

static void fcntl_dupfd_bad_arg_returns_einval(void)
{
	struct rlimit rl;
	int fd = CHECK_OK(open("/dev/null", O_RDONLY));

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	CHECK_ERR(fcntl(fd, F_DUPFD, -1), EINVAL);
	CHECK_ERR(fcntl(fd, F_DUPFD, (int)rl.rlim_cur), EINVAL);
	close(fd);
}

static void fcntl_errors(void)
{
	int fd = CHECK_OK(open("/dev/null", O_RDONLY));

	CHECK_ERR(fcntl(9999, F_GETFD), EBADF);
	CHECK_ERR(fcntl(-1, F_GETFL), EBADF);
	CHECK_ERR(fcntl(fd, 0x7fff), EINVAL);
	close(fd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(fcntl_fd_flags_roundtrip);
	RUN(fcntl_getfl_reports_open_flags);
	RUN(fcntl_setfl_changes_status_flags_only);
	RUN(fcntl_status_flags_shared_by_duplicates);
	RUN(fcntl_dupfd_returns_lowest_at_or_above);
	RUN(fcntl_dupfd_bad_arg_returns_einval);
	RUN(fcntl_errors);
	return h_end();
}
