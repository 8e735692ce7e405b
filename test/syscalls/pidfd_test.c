/* pidfd: pidfd_open, poll readiness on exit, pidfd_send_signal, waitid(P_PIDFD), and
 * clone3 with CLONE_PIDFD. */
#include "harness.h"

#include <linux/sched.h>
#include <poll.h>
#include <stdint.h>

#ifndef P_PIDFD
#define P_PIDFD 3
#endif

static int pidfd_open(pid_t pid, unsigned flags)
{
	return (int)syscall(SYS_pidfd_open, pid, flags);
}

static int pidfd_send_signal(int fd, int sig, siginfo_t *info, unsigned flags)
{
	return (int)syscall(SYS_pidfd_send_signal, fd, sig, info, flags);
}

static pid_t spawn_pauser(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void pidfd_polls_readable_when_the_process_exits(void)
{
	pid_t pid = spawn_pauser();
	int fd = CHECK_OK(pidfd_open(pid, 0));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	siginfo_t info;

	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_OK(pidfd_send_signal(fd, SIGKILL, NULL, 0));
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK(p.revents & POLLIN);
	memset(&info, 0, sizeof(info));
	CHECK_OK(waitid(P_PIDFD, (id_t)fd, &info, WEXITED));
	CHECK_EQ(info.si_pid, pid);
	CHECK_EQ(info.si_code, CLD_KILLED);
	CHECK_EQ(info.si_status, SIGKILL);
	/* The process is gone: signalling through the pidfd is ESRCH. */
	CHECK_ERR(pidfd_send_signal(fd, SIGKILL, NULL, 0), ESRCH);
	close(fd);
}

static void pidfd_errors(void)
{
	int fd;

	CHECK_ERR(pidfd_open(0, 0), EINVAL);
	CHECK_ERR(pidfd_open(-1, 0), EINVAL);
	CHECK_ERR(pidfd_open(getpid(), 1), EINVAL);
	CHECK_ERR(pidfd_open(4000000, 0), ESRCH);
	fd = CHECK_OK(pidfd_open(getpid(), 0));
	CHECK_ERR(pidfd_send_signal(fd, 0, NULL, 8), EINVAL);
	CHECK_ERR(pidfd_send_signal(fd, 0, NULL, 3), EINVAL);
	CHECK_OK(pidfd_send_signal(fd, 0, NULL, 0));
	CHECK_ERR(pidfd_send_signal(0, 0, NULL, 0), EBADF);
	CHECK_ERR(waitid(P_PIDFD, 0, &(siginfo_t){0}, WEXITED), EBADF);
	close(fd);
}

static void clone3_returns_a_pidfd(void)
{
	struct clone_args ca;
	int pidfd = -1, st;
	long pid;

	memset(&ca, 0, sizeof(ca));
	ca.flags = CLONE_PIDFD;
	ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
	ca.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		_exit(4);
	CHECK(pid > 0);
	CHECK(pidfd >= 0);
	struct pollfd p = {.fd = pidfd, .events = POLLIN};
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK_EQ(waitpid((pid_t)pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 4);
	close(pidfd);
}

int main(void)
{
	h_begin();
	RUN(pidfd_polls_readable_when_the_process_exits);
	RUN(pidfd_errors);
	RUN(clone3_returns_a_pidfd);
	return h_end();
}
