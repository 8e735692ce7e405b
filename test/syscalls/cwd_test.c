/* getcwd/chdir/fchdir: the working directory as seen by relative paths, and errnos. */
#include "harness.h"

static char g_start[PATH_MAX];

static void getcwd_returns_absolute_path(void)
{
	char buf[PATH_MAX];
	struct stat a, b;

	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_EQ(buf[0], '/');
	CHECK_OK(stat(buf, &a));
	CHECK_OK(stat(".", &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	CHECK_EQ(a.st_dev, b.st_dev);
}

static void chdir_changes_relative_resolution(void)
{
	char buf[PATH_MAX];
	struct stat st;

	h_make_file("here", "x");
	CHECK_OK(chdir(g_tmpdir));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_STR(buf, g_tmpdir);
	CHECK_OK(stat("here", &st));
	CHECK_EQ(st.st_size, 1);
	CHECK_OK(mkdir("sub", 0755));
	CHECK_OK(chdir("sub"));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_STR(buf, h_path("sub"));
	CHECK_OK(chdir(".."));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_STR(buf, g_tmpdir);
	CHECK_OK(chdir("/"));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_STR(buf, "/");
	CHECK_OK(chdir(g_start));
}

static void fchdir_uses_directory_fd(void)
{
	char buf[PATH_MAX];
	int fd = CHECK_OK(open(g_tmpdir, O_RDONLY | O_DIRECTORY));
	int ffd = CHECK_OK(open(h_path("here"), O_RDONLY));

	CHECK_OK(fchdir(fd));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_STR(buf, g_tmpdir);
	CHECK_ERR(fchdir(ffd), ENOTDIR);
	CHECK_ERR(fchdir(9999), EBADF);
	CHECK_OK(chdir(g_start));
	close(fd);
	close(ffd);
}

static void chdir_errors(void)
{
	CHECK_ERR(chdir(h_path("missing")), ENOENT);
	CHECK_ERR(chdir(h_path("here")), ENOTDIR);
	CHECK_ERR(chdir(""), ENOENT);
	CHECK_ERR(syscall(SYS_chdir, 1L), EFAULT);
}

static void getcwd_small_buffer_returns_erange(void)
{
	char buf[PATH_MAX];
	long len;

	CHECK_OK(chdir(g_tmpdir));
	/* The raw syscall returns the length including the NUL. */
	len = CHECK_OK(syscall(SYS_getcwd, buf, sizeof(buf)));
	CHECK_EQ(len, (long)strlen(g_tmpdir) + 1);
	CHECK_ERR(syscall(SYS_getcwd, buf, 2L), ERANGE);
	CHECK_ERR(syscall(SYS_getcwd, buf, (long)strlen(g_tmpdir)), ERANGE);
	CHECK_ERR(syscall(SYS_getcwd, 1L, sizeof(buf)), EFAULT);
	CHECK_OK(chdir(g_start));
}

static void cwd_is_inherited_by_children(void)
{
	pid_t pid;

	CHECK_OK(chdir(g_tmpdir));
	pid = fork();
	if (pid == 0) {
		struct stat st;

		_exit(stat("here", &st) == 0 ? 0 : 1);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(chdir(g_start));
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	if (!getcwd(g_start, sizeof(g_start)))
		strcpy(g_start, "/");
	RUN(getcwd_returns_absolute_path);
	RUN(chdir_changes_relative_resolution);
	RUN(fchdir_uses_directory_fd);
	RUN(chdir_errors);
	RUN(getcwd_small_buffer_returns_erange);
	RUN(cwd_is_inherited_by_children);
	return h_end();
}
