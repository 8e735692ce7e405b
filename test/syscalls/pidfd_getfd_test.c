/* pidfd_getfd: a close-on-exec duplicate of another process's open file; EINVAL flags,
 * EBADF for a bad pidfd or target fd, ESRCH once the process has exited, EPERM without
 * ptrace access, EMFILE at RLIMIT_NOFILE. */
#include "harness.h"

#include <sys/resource.h>

#define TARGET_FD 40

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static long getfd(int pidfd, int fd, unsigned flags)
{
	return syscall(SYS_pidfd_getfd, pidfd, fd, flags);
}

/* A child holding the write end of a pipe at TARGET_FD, waiting on go. It writes "r"
 * through TARGET_FD once it is there, so *rd reads "r" first. */
static pid_t holder(int *rd, int go[2])
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p) < 0 || pipe(go) < 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (dup2(p[1], TARGET_FD) < 0)
			_exit(9);
		close(p[0]);
		close(p[1]);
		close(go[1]);
		if (write(TARGET_FD, "r", 1) != 1)
			_exit(8);
		_exit(read(go[0], &c, 1) == 1 ? 0 : 1);
	}
	close(p[1]);
	close(go[0]);
	*rd = p[0];
	return pid;
}

static void duplicates_the_open_file(void)
{
	int rd = -1, go[2] = {-1, -1}, pidfd, fd = -1, status;
	char buf[4] = {0};
	pid_t pid = holder(&rd, go);

	CHECK(pid > 0);
	pidfd = pidfd_open(pid);
	CHECK(pidfd >= 0);
	/* Once "r" arrived the child's TARGET_FD is installed (no race with its dup2). */
	CHECK_EQ(read(rd, buf, 1), 1);
	CHECK_EQ(buf[0], 'r');
	buf[0] = 0;
	fd = (int)getfd(pidfd, TARGET_FD, 0);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(syscall(SYS_kcmp, getpid(), pid, 0, fd, TARGET_FD), 0);
	CHECK_EQ(write(fd, "abc", 3), 3); /* into the child's pipe */
	CHECK_EQ(read(rd, buf, 3), 3);
	CHECK_STR(buf, "abc");
	CHECK_ERR(getfd(pidfd, TARGET_FD, 1), EINVAL);
	CHECK_ERR(getfd(pidfd, TARGET_FD + 1, 0), EBADF);
	CHECK_ERR(getfd(pidfd, -1, 0), EBADF);
	CHECK_ERR(getfd(rd, TARGET_FD, 0), EBADF); /* not a pidfd */
	CHECK_ERR(getfd(999, TARGET_FD, 0), EBADF);
	CHECK_EQ(write(go[1], "g", 1), 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK_ERR(getfd(pidfd, TARGET_FD, 0), ESRCH);
	close(fd);
	close(rd);
	close(go[1]);
	close(pidfd);
}

static void exited_process_is_esrch(void)
{
	siginfo_t si;
	int pidfd, zombie;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(0);
	pidfd = pidfd_open(pid);
	CHECK(pidfd >= 0);
	/* Exited, not yet reaped. */
	CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	CHECK_ERR(getfd(pidfd, 0, 0), ESRCH);
	/* A zombie still has its pid: pidfd_open works until it is reaped. */
	zombie = pidfd_open(pid);
	CHECK(zombie >= 0);
	CHECK_ERR(getfd(zombie, 0, 0), ESRCH);
	close(zombie);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	CHECK_ERR(pidfd_open(pid), ESRCH);
	CHECK_ERR(getfd(pidfd, 0, 0), ESRCH);
	close(pidfd);
}

static void own_process(void)
{
	int pidfd = pidfd_open(getpid()), fd;

	CHECK(pidfd >= 0);
	fd = (int)getfd(pidfd, 1, 0);
	CHECK(fd >= 0);
	CHECK_EQ(syscall(SYS_kcmp, getpid(), getpid(), 0, fd, 1), 0);
	close(fd);
	close(pidfd);
}

static void permission_and_fd_limit(void)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int pidfd = pidfd_open(getppid()), self = pidfd_open(getpid());
		struct rlimit rl = {0, 0};

		if (pidfd < 0 || self < 0 || setresuid(54321, 54321, 54321) < 0)
			_exit(9);
		if (getfd(pidfd, 1, 0) != -1 || errno != EPERM)
			_exit(1);
		rl.rlim_cur = rl.rlim_max = (rlim_t)self + 1; /* no free slot */
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			_exit(8);
		if (getfd(self, 1, 0) != -1 || errno != EMFILE)
			_exit(2);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
}

int main(void)
{
	h_begin();
	RUN(duplicates_the_open_file);
	RUN(exited_process_is_esrch);
	RUN(own_process);
	RUN(permission_and_fd_limit);
	return h_end();
}
