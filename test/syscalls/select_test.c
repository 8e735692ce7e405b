/* select and pselect6: readiness of pipes and eventfds, EBADF, timeouts and the time
 * left written back, many fds, and a waiter woken by another process. */
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/select.h>

#include "harness.h"

static void select_reports_ready_sets(void)
{
	int p[2];
	fd_set r, w;
	struct timeval tv = {0, 0};

	CHECK_OK(pipe(p));
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	CHECK_EQ(select(p[1] + 1, &r, &w, NULL, &tv), 1);
	CHECK(!FD_ISSET(p[0], &r));
	CHECK(FD_ISSET(p[1], &w));
	CHECK_EQ(write(p[1], "x", 1), 1);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	CHECK_EQ(select(p[1] + 1, &r, &w, NULL, &tv), 2);
	CHECK(FD_ISSET(p[0], &r));
	close(p[0]);
	close(p[1]);
}

static void select_errors(void)
{
	fd_set r;
	struct timeval tv = {0, 0}, bad = {-1, 0};

	/* A descriptor that is surely closed: whoever started us may have left fd 100 open. */
	int closed = CHECK_OK(fcntl(0, F_DUPFD, 200));

	CHECK_OK(close(closed));
	FD_ZERO(&r);
	FD_SET(closed, &r);
	CHECK_ERR(select(closed + 1, &r, NULL, NULL, &tv), EBADF);
	CHECK_ERR(select(-1, NULL, NULL, NULL, &tv), EINVAL);
	CHECK_ERR(select(1, NULL, NULL, NULL, &bad), EINVAL);
	CHECK_ERR(select(1, (fd_set *)8, NULL, NULL, &tv), EFAULT);
}

static void select_timeout_writes_back_time_left(void)
{
	int p[2];
	fd_set r;
	struct timeval tv = {0, 30000};
	struct timespec ts = {0, 20000000};

	CHECK_OK(pipe(p));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_EQ(select(p[0] + 1, &r, NULL, NULL, &tv), 0);
	CHECK_EQ(tv.tv_sec, 0);
	CHECK_EQ(tv.tv_usec, 0);
	CHECK(!FD_ISSET(p[0], &r));
	FD_SET(p[0], &r);
	CHECK_EQ(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, &ts, NULL), 0);
	CHECK_EQ(ts.tv_nsec, 0);
	close(p[0]);
	close(p[1]);
}

static void select_many_fds_one_ready_later(void)
{
	int fds[30], maxfd = 0;
	fd_set r;
	pid_t pid;

	for (int i = 0; i < 30; i++) {
		fds[i] = CHECK_OK(eventfd(0, 0));
		maxfd = fds[i] > maxfd ? fds[i] : maxfd;
	}
	FD_ZERO(&r);
	for (int i = 0; i < 30; i++)
		FD_SET(fds[i], &r);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		uint64_t one = 1;

		usleep(50000);
		_exit(write(fds[21], &one, 8) == 8 ? 0 : 1);
	}
	CHECK_EQ(select(maxfd + 1, &r, NULL, NULL, NULL), 1);
	CHECK(FD_ISSET(fds[21], &r));
	CHECK(!FD_ISSET(fds[20], &r));
	CHECK_EQ(h_wait(pid), 0);
	for (int i = 0; i < 30; i++)
		close(fds[i]);
}

static void on_usr1(int sig)
{
	(void)sig;
}

static void pselect_mask_lets_signal_in(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	sigset_t block, none;
	struct {
		const sigset_t *ss;
		size_t len;
	} arg = {&none, 8};
	int p[2];
	fd_set r;

	CHECK_OK(pipe(p));
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigemptyset(&none);
	kill(getpid(), SIGUSR1); /* pending, blocked */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	CHECK_ERR(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, NULL, &arg), EINTR);
	arg.len = 4;
	CHECK_ERR(syscall(SYS_pselect6, p[0] + 1, &r, NULL, NULL, NULL, &arg), EINVAL);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	signal(SIGUSR1, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	h_begin();
	RUN(select_reports_ready_sets);
	RUN(select_errors);
	RUN(select_timeout_writes_back_time_left);
	RUN(select_many_fds_one_ready_later);
	RUN(pselect_mask_lets_signal_in);
	return h_end();
}
