/* stat/fstat/lstat/newfstatat/statx: types, sizes, identities and errnos. */
#include "harness.h"

#include <sys/sysmacros.h>

static void stat_regular_file_reports_size_and_type(void)
{
	struct stat st;

	h_make_file("five", "12345");
	CHECK_OK(stat(h_path("five"), &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, 5);
	CHECK_EQ(st.st_nlink, 1);
	CHECK(st.st_blksize > 0);
	CHECK(st.st_ino != 0);
}

static void fstat_matches_stat(void)
{
	struct stat a, b;
	int fd = CHECK_OK(open(h_make_file("same", "abc"), O_RDONLY));

	CHECK_OK(stat(h_path("same"), &a));
	CHECK_OK(fstat(fd, &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
	CHECK_EQ(a.st_size, b.st_size);
	CHECK_EQ(a.st_mode, b.st_mode);
	close(fd);
}

static void stat_tracks_size_after_write(void)
{
	struct stat st;
	int fd = CHECK_OK(open(h_path("grow"), O_CREAT | O_RDWR | O_TRUNC, 0644));

	CHECK_EQ(write(fd, "0123456789", 10), 10);
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_size, 10);
	close(fd);
}

static void stat_directory_reports_dir(void)
{
	struct stat st;

	CHECK_OK(stat(g_tmpdir, &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK(st.st_nlink >= 2);
	CHECK_OK(stat("/", &st));
	CHECK(S_ISDIR(st.st_mode));
}

static void stat_errors(void)
{
	struct stat st;

	CHECK_ERR(stat(h_path("missing"), &st), ENOENT);
	CHECK_ERR(stat("", &st), ENOENT);
	CHECK_ERR(stat(h_path("five/x"), &st), ENOTDIR);
	CHECK_ERR(syscall(SYS_stat, 1L, &st), EFAULT);
	CHECK_ERR(syscall(SYS_stat, h_path("five"), 1L), EFAULT);
	CHECK_ERR(fstat(9999, &st), EBADF);
	CHECK_ERR(syscall(SYS_fstat, 0, 1L), EFAULT);
}

static void lstat_does_not_follow_symlink(void)
{
	struct stat l, s;

	CHECK_OK(symlink("five", h_path("link")));
	CHECK_OK(lstat(h_path("link"), &l));
	CHECK(S_ISLNK(l.st_mode));
	CHECK_EQ(l.st_size, 4);	/* a symlink's size is its target's length */
	CHECK_OK(stat(h_path("link"), &s));
	CHECK(S_ISREG(s.st_mode));
	CHECK_EQ(s.st_size, 5);
}

static void fstatat_flags(void)
{
	struct stat a, b;
	int dfd = CHECK_OK(open(g_tmpdir, O_RDONLY | O_DIRECTORY));
	int fd = CHECK_OK(open(h_path("five"), O_RDONLY));

	CHECK_OK(fstatat(dfd, "five", &a, 0));
	CHECK_EQ(a.st_size, 5);
	CHECK_OK(fstatat(fd, "", &b, AT_EMPTY_PATH));
	CHECK_EQ(b.st_ino, a.st_ino);
	CHECK_OK(fstatat(dfd, "link", &b, AT_SYMLINK_NOFOLLOW));
	CHECK(S_ISLNK(b.st_mode));
	CHECK_ERR(fstatat(fd, "", &b, 0), ENOENT);
	CHECK_ERR(fstatat(dfd, "five", &b, 0x40000), EINVAL);
	CHECK_ERR(fstatat(fd, "x", &b, 0), ENOTDIR);
	close(fd);
	close(dfd);
}

static void statx_reports_basic_fields(void)
{
	struct statx sx;
	struct stat st;

	memset(&sx, 0, sizeof(sx));
	CHECK_OK(statx(AT_FDCWD, h_path("five"), 0, STATX_BASIC_STATS, &sx));
	CHECK_OK(stat(h_path("five"), &st));
	CHECK_EQ(sx.stx_mask & (STATX_TYPE | STATX_SIZE), STATX_TYPE | STATX_SIZE);
	CHECK(S_ISREG(sx.stx_mode));
	CHECK_EQ(sx.stx_size, 5);
	CHECK_EQ(sx.stx_ino, st.st_ino);
	CHECK_ERR(statx(AT_FDCWD, h_path("missing"), 0, STATX_BASIC_STATS, &sx), ENOENT);
	CHECK_ERR(statx(AT_FDCWD, h_path("five"), 0, 0x80000000U, &sx), EINVAL);
}

static void stat_dev_null_is_char_device_1_3(void)
{
	struct stat st;

	CHECK_OK(stat("/dev/null", &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 3);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(stat_regular_file_reports_size_and_type);
	RUN(fstat_matches_stat);
	RUN(stat_tracks_size_after_write);
	RUN(stat_directory_reports_dir);
	RUN(stat_errors);
	RUN(lstat_does_not_follow_symlink);
	RUN(fstatat_flags);
	RUN(statx_reports_basic_fields);
	RUN(stat_dev_null_is_char_device_1_3);
	return h_end();
}
