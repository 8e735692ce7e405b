/* utime, utimes and futimesat: timestamps in seconds or microseconds, NULL for now, the
 * futimesat(fd, NULL, ...) form, and the errnos (EINVAL, EPERM, EACCES, ENOENT, EFAULT). */
#include "harness.h"

#include <sys/time.h>
#include <utime.h>

static void utime_sets_seconds(void)
{
	const char *p = h_make_file("u", "x");
	struct utimbuf ub = {.actime = 1000, .modtime = 2000};
	struct timespec before;
	struct stat st;

	CHECK_OK(utime(p, &ub));
	CHECK_OK(stat(p, &st));
	CHECK_EQ(st.st_atim.tv_sec, 1000);
	CHECK_EQ(st.st_atim.tv_nsec, 0);
	CHECK_EQ(st.st_mtim.tv_sec, 2000);
	CHECK_EQ(st.st_mtim.tv_nsec, 0);
	clock_gettime(CLOCK_REALTIME, &before);
	CHECK_OK(utime(p, NULL));
	CHECK_OK(stat(p, &st));
	CHECK(st.st_mtim.tv_sec >= before.tv_sec - 1);
	CHECK(st.st_atim.tv_sec >= before.tv_sec - 1);
	CHECK_ERR(utime(h_path("missing"), &ub), ENOENT);
	CHECK_ERR(syscall(SYS_utime, p, (void *)8), EFAULT);
	CHECK_ERR(syscall(SYS_utime, NULL, &ub), EFAULT);
}

static void utimes_sets_microseconds(void)
{
	const char *p = h_make_file("us", "x");
	struct timeval tv[2] = {{3, 500000}, {4, 999999}};
	struct stat st;

	CHECK_OK(utimes(p, tv));
	CHECK_OK(stat(p, &st));
	CHECK_EQ(st.st_atim.tv_sec, 3);
	CHECK_EQ(st.st_atim.tv_nsec, 500000000);
	CHECK_EQ(st.st_mtim.tv_sec, 4);
	CHECK_EQ(st.st_mtim.tv_nsec, 999999000);
	tv[1].tv_usec = 1000000;
	CHECK_ERR(syscall(SYS_utimes, p, tv), EINVAL);
	tv[1].tv_usec = -1;
	CHECK_ERR(syscall(SYS_utimes, p, tv), EINVAL);
	CHECK_OK(syscall(SYS_utimes, p, NULL));
	CHECK_OK(stat(p, &st));
	CHECK(st.st_mtim.tv_sec > 4);
}

static void futimesat_relative_and_fd_forms(void)
{
	const char *p = h_make_file("fu", "x");
	struct timeval tv[2] = {{10, 1}, {20, 2}};
	int dfd = CHECK_OK(open(g_tmpdir, O_RDONLY | O_DIRECTORY));
	int fd = CHECK_OK(open(p, O_RDONLY));
	struct stat st;

	CHECK_OK(syscall(SYS_futimesat, dfd, "fu", tv));
	CHECK_OK(stat(p, &st));
	CHECK_EQ(st.st_atim.tv_sec, 10);
	CHECK_EQ(st.st_atim.tv_nsec, 1000);
	CHECK_EQ(st.st_mtim.tv_sec, 20);
	CHECK_EQ(st.st_mtim.tv_nsec, 2000);
	tv[1].tv_sec = 30;
	CHECK_OK(syscall(SYS_futimesat, fd, NULL, tv)); /* the old futimes */
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mtim.tv_sec, 30);
	CHECK_ERR(syscall(SYS_futimesat, AT_FDCWD, NULL, tv), EFAULT);
	CHECK_ERR(syscall(SYS_futimesat, 9999, NULL, tv), EBADF);
	CHECK_ERR(syscall(SYS_futimesat, 9999, "fu", tv), EBADF);
	CHECK_ERR(syscall(SYS_futimesat, fd, "fu", tv), ENOTDIR);
	CHECK_ERR(syscall(SYS_futimesat, dfd, "missing", tv), ENOENT);
	close(fd);
	close(dfd);
}

/* Explicit times need ownership (EPERM); "now" needs write permission (EACCES). */
static void other_user_child(void)
{
	struct timeval tv[2] = {{1, 0}, {2, 0}};
	struct utimbuf ub = {1, 2};

	if (setgid(65534) < 0 || setuid(65534) < 0)
		_exit(3);
	CHECK_ERR(utimes(h_path("ro"), tv), EPERM);
	CHECK_ERR(utime(h_path("ro"), &ub), EPERM);
	CHECK_ERR(utime(h_path("ro"), NULL), EACCES);
	CHECK_ERR(utimes(h_path("ro"), NULL), EACCES);
	CHECK_OK(utimes(h_path("rw"), NULL));
	CHECK_ERR(utimes(h_path("rw"), tv), EPERM);
	_exit(g_case_fails ? 1 : 0);
}

static void permissions(void)
{
	int st;

	h_make_file("ro", "x");
	h_make_file("rw", "x");
	CHECK_OK(chmod(h_path("ro"), 0644));
	CHECK_OK(chmod(h_path("rw"), 0666));
	CHECK_OK(chmod(g_tmpdir, 0755));
	st = h_in_child(other_user_child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK_OK(chmod(g_tmpdir, 0700));
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(utime_sets_seconds);
	RUN(utimes_sets_microseconds);
	RUN(futimesat_relative_and_fd_forms);
	RUN(permissions);
	return h_end();
}
