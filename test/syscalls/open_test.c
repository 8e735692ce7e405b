/* open/openat/close: creation flags, path errors, descriptor numbering and limits. */
#include "harness.h"

#include <sys/resource.h>

static void open_missing_file_returns_enoent(void)
{
	CHECK_ERR(open(h_path("missing"), O_RDONLY), ENOENT);
	CHECK_ERR(open(h_path("nodir/file"), O_RDONLY | O_CREAT, 0644), ENOENT);
}

static void open_creat_makes_regular_file(void)
{
	struct stat st;
	int fd = CHECK_OK(open(h_path("created"), O_CREAT | O_WRONLY, 0640));

	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 0);
	/* The umask may only clear bits: nothing beyond 0640, owner rw kept. */
	CHECK_EQ(st.st_mode & 0777 & ~0640, 0);
	CHECK_EQ(st.st_mode & 0600, 0600);
	CHECK_EQ(st.st_uid, geteuid());
	close(fd);
}

static void open_excl_on_existing_returns_eexist(void)
{
	h_make_file("excl", "x");
	CHECK_ERR(open(h_path("excl"), O_CREAT | O_EXCL | O_RDWR, 0644), EEXIST);
	CHECK_ERR(open(g_tmpdir, O_CREAT | O_EXCL | O_RDONLY, 0644), EEXIST);
}

static void open_directory_for_write_returns_eisdir(void)
{
	CHECK_ERR(open(g_tmpdir, O_WRONLY), EISDIR);
	CHECK_ERR(open(g_tmpdir, O_RDWR), EISDIR);
}

static void open_through_file_component_returns_enotdir(void)
{
	h_make_file("plain", "x");
	CHECK_ERR(open(h_path("plain/child"), O_RDONLY), ENOTDIR);
	CHECK_ERR(open(h_path("plain"), O_RDONLY | O_DIRECTORY), ENOTDIR);
}

static void open_trunc_empties_file(void)
{
	struct stat st;
	int fd;

	h_make_file("trunc", "some content");
	fd = CHECK_OK(open(h_path("trunc"), O_WRONLY | O_TRUNC));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 0);
	close(fd);
}

static void open_bad_paths_fail(void)
{
	char longname[300];

	CHECK_ERR(open("", O_RDONLY), ENOENT);
	CHECK_ERR(syscall(SYS_open, 1L, O_RDONLY), EFAULT);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_ERR(open(h_path(longname), O_RDONLY), ENAMETOOLONG);
}

static void openat_resolves_relative_to_dirfd(void)
{
	char buf[8] = { 0 };
	int dfd = CHECK_OK(open(g_tmpdir, O_RDONLY | O_DIRECTORY));
	int fd;

	h_make_file("rel", "relative");
	fd = CHECK_OK(openat(dfd, "rel", O_RDONLY));
	CHECK_EQ(read(fd, buf, 7), 7);
	CHECK_STR(buf, "relativ");
	close(fd);
	/* Absolute paths ignore dirfd, even a bad one. */
	fd = CHECK_OK(openat(9999, h_path("rel"), O_RDONLY));
	close(fd);
	close(dfd);
}

static void openat_bad_dirfd_fails(void)
{
	int ffd;

	CHECK_ERR(openat(9999, "rel", O_RDONLY), EBADF);
	ffd = CHECK_OK(open(h_make_file("notdir", "x"), O_RDONLY));
	CHECK_ERR(openat(ffd, "child", O_RDONLY), ENOTDIR);
	close(ffd);
}

static void open_returns_lowest_free_fd(void)
{
	int a = CHECK_OK(open("/dev/null", O_RDONLY));
	int b = CHECK_OK(open("/dev/null", O_RDONLY));
	int c;

	CHECK_EQ(b, a + 1);
	CHECK_OK(close(a));
	c = CHECK_OK(open("/dev/null", O_RDONLY));
	CHECK_EQ(c, a);
	close(b);
	close(c);
}

static void close_twice_returns_ebadf(void)
{
	int fd = CHECK_OK(open("/dev/null", O_RDONLY));

	CHECK_EQ(close(fd), 0);
	CHECK_ERR(close(fd), EBADF);
	CHECK_ERR(close(-1), EBADF);
}

static void open_cloexec_sets_fd_flag(void)
{
	int fd = CHECK_OK(open("/dev/null", O_RDONLY | O_CLOEXEC));
	int fd2 = CHECK_OK(open("/dev/null", O_RDONLY));

	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd2, F_GETFD), 0);
	close(fd);
	close(fd2);
}

static void open_beyond_nofile_limit_returns_emfile(void)
{
	struct rlimit old, low;
	int fds[64], n = 0, fd;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &old));
	low = old;
	low.rlim_cur = 16;
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &low));
	while (n < 64 && (fd = open("/dev/null", O_RDONLY)) >= 0)
		fds[n++] = fd;
	CHECK_EQ(errno, EMFILE);
	CHECK(n > 0 && fds[n - 1] == 15);
	CHECK_ERR(dup(0), EMFILE);
	while (n > 0)
		close(fds[--n]);
	CHECK_OK(setrlimit(RLIMIT_NOFILE, &old));
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(open_missing_file_returns_enoent);
	RUN(open_creat_makes_regular_file);
	RUN(open_excl_on_existing_returns_eexist);
	RUN(open_directory_for_write_returns_eisdir);
	RUN(open_through_file_component_returns_enotdir);
	RUN(open_trunc_empties_file);
	RUN(open_bad_paths_fail);
	RUN(openat_resolves_relative_to_dirfd);
	RUN(openat_bad_dirfd_fails);
	RUN(open_returns_lowest_free_fd);
	RUN(close_twice_returns_ebadf);
	RUN(open_cloexec_sets_fd_flag);
	RUN(open_beyond_nofile_limit_returns_emfile);
	return h_end();
}
