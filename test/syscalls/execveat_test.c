/* execveat: relative to a directory fd, AT_EMPTY_PATH on an fd of the program,
 * AT_SYMLINK_NOFOLLOW on a symlink (ELOOP), bad flags (EINVAL), and a path that is not
 * executable (EACCES). */
#include "harness.h"

static int run_execveat(int dirfd, const char *path, int flags, const char *arg)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		char *argv[] = {"sh", "-c", (char *)arg, NULL};
		char *envp[] = {NULL};
		syscall(SYS_execveat, dirfd, path, argv, envp, flags);
		_exit(100 + errno);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void execveat_relative_to_a_directory(void)
{
	int dir = CHECK_OK(open("/bin", O_RDONLY | O_DIRECTORY));

	CHECK_EQ(run_execveat(dir, "sh", 0, "exit 7"), 7);
	CHECK_EQ(run_execveat(dir, "no-such-program", 0, "exit 0"), 100 + ENOENT);
	close(dir);
}

static void execveat_empty_path_runs_the_fd(void)
{
	int fd = CHECK_OK(open("/bin/sh", O_RDONLY));
	int pfd = CHECK_OK(open("/bin/sh", O_PATH));

	CHECK_EQ(run_execveat(fd, "", AT_EMPTY_PATH, "exit 3"), 3);
	CHECK_EQ(run_execveat(pfd, "", AT_EMPTY_PATH, "exit 4"), 4);
	CHECK_EQ(run_execveat(fd, "", 0, "exit 0"), 100 + ENOENT);
	close(fd);
	close(pfd);
}

static void execveat_errors(void)
{
	const char *link = h_path("sh-link");

	CHECK_OK(symlink("/bin/sh", link));
	CHECK_EQ(run_execveat(AT_FDCWD, link, AT_SYMLINK_NOFOLLOW, "exit 0"), 100 + ELOOP);
	CHECK_EQ(run_execveat(AT_FDCWD, link, 0, "exit 9"), 9);
	CHECK_EQ(run_execveat(AT_FDCWD, "/bin/sh", 0x1, "exit 0"), 100 + EINVAL);
	CHECK_EQ(run_execveat(AT_FDCWD, h_make_file("plain", "data"), 0, "exit 0"), 100 + EACCES);
	CHECK_EQ(run_execveat(999, "sh", 0, "exit 0"), 100 + EBADF);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(execveat_relative_to_a_directory);
	RUN(execveat_empty_path_runs_the_fd);
	RUN(execveat_errors);
	return h_end();
}
