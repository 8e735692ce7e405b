/* signalfd: reading dequeues blocked signals in the mask with their siginfo, poll and
 * epoll see them, mask updates, flags and errors, and a blocked read woken by kill. */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>

#include "harness.h"

static sigset_t block_usr(void)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, SIGUSR1);
	sigaddset(&s, SIGUSR2);
	sigprocmask(SIG_BLOCK, &s, NULL);
	return s;
}

static void unblock_usr(const sigset_t *s)
{
	sigprocmask(SIG_UNBLOCK, s, NULL);
}

static void signalfd_reads_pending_signal(void)
{
	sigset_t s = block_usr();
	int fd = CHECK_OK(signalfd(-1, &s, SFD_NONBLOCK));
	struct signalfd_siginfo si[2];
	sigset_t pend;

	CHECK_ERR(read(fd, si, sizeof(si)), EAGAIN);
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_OK(kill(getpid(), SIGUSR2));
	CHECK_EQ(read(fd, si, sizeof(si)), 2 * sizeof(si[0]));
	CHECK_EQ(si[0].ssi_signo, SIGUSR1);
	CHECK_EQ(si[0].ssi_code, SI_USER);
	CHECK_EQ(si[0].ssi_pid, getpid());
	CHECK_EQ(si[0].ssi_uid, getuid());
	CHECK_EQ(si[1].ssi_signo, SIGUSR2);
	sigpending(&pend);
	CHECK(!sigismember(&pend, SIGUSR1));
	CHECK_ERR(read(fd, si, sizeof(si[0]) - 1), EINVAL);
	close(fd);
	unblock_usr(&s);
}

static void signalfd_sigqueue_value(void)
{
	sigset_t s = block_usr();
	int fd = CHECK_OK(signalfd(-1, &s, SFD_NONBLOCK | SFD_CLOEXEC));
	struct signalfd_siginfo si;
	union sigval v = {.sival_int = 1234};

	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_OK(sigqueue(getpid(), SIGUSR1, v));
	CHECK_EQ(read(fd, &si, sizeof(si)), sizeof(si));
	CHECK_EQ(si.ssi_code, SI_QUEUE);
	CHECK_EQ(si.ssi_int, 1234);
	close(fd);
	unblock_usr(&s);
}

static void signalfd_poll_and_epoll(void)
{
	sigset_t s = block_usr();
	int fd = CHECK_OK(signalfd(-1, &s, SFD_NONBLOCK)), ep = CHECK_OK(epoll_create1(0));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 6};
	struct signalfd_siginfo si;

	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	CHECK_OK(kill(getpid(), SIGUSR2));
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 0), 1);
	CHECK_EQ(read(fd, &si, sizeof(si)), sizeof(si));
	CHECK_EQ(poll(&p, 1, 0), 0);
	close(ep);
	close(fd);
	unblock_usr(&s);
}

static void signalfd_mask_update_and_errors(void)
{
	sigset_t s = block_usr(), only2;
	int fd = CHECK_OK(signalfd(-1, &s, SFD_NONBLOCK)), p[2];
	struct signalfd_siginfo si;

	sigemptyset(&only2);
	sigaddset(&only2, SIGUSR2);
	CHECK_EQ(signalfd(fd, &only2, 0), fd);
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_ERR(read(fd, &si, sizeof(si)), EAGAIN);
	CHECK_EQ(signalfd(fd, &s, 0), fd);
	CHECK_EQ(read(fd, &si, sizeof(si)), sizeof(si));
	CHECK_EQ(si.ssi_signo, SIGUSR1);
	CHECK_OK(pipe(p));
	CHECK_ERR(signalfd(p[0], &s, 0), EINVAL);
	CHECK_ERR(signalfd(999, &s, 0), EBADF);
	CHECK_ERR(signalfd(-1, &s, 0x1), EINVAL);
	CHECK_ERR(syscall(SYS_signalfd4, -1, &s, 4, 0), EINVAL);
	close(p[0]);
	close(p[1]);
	close(fd);
	unblock_usr(&s);
}

static void signalfd_blocked_read_woken_by_kill(void)
{
	sigset_t s = block_usr();
	int fd = CHECK_OK(signalfd(-1, &s, 0));
	struct signalfd_siginfo si;
	pid_t pid, me = getpid();

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		usleep(50000);
		_exit(kill(me, SIGUSR2) == 0 ? 0 : 1);
	}
	CHECK_EQ(read(fd, &si, sizeof(si)), sizeof(si));
	CHECK_EQ(si.ssi_signo, SIGUSR2);
	CHECK_EQ(si.ssi_pid, pid);
	CHECK_EQ(h_wait(pid), 0);
	close(fd);
	unblock_usr(&s);
}

int main(void)
{
	h_begin();
	RUN(signalfd_reads_pending_signal);
	RUN(signalfd_sigqueue_value);
	RUN(signalfd_poll_and_epoll);
	RUN(signalfd_mask_update_and_errors);
	RUN(signalfd_blocked_read_woken_by_kill);
	return h_end();
}
