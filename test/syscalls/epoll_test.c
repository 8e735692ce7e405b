/* epoll: create flags, ctl errors, level and edge triggering, ONESHOT, nesting and loops,
 * timeouts, removal on close, and a waiter woken by another process. */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "harness.h"

static int add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = {.events = events, .data.u64 = data};

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static void epoll_create_flags(void)
{
	int ep = CHECK_OK(epoll_create1(EPOLL_CLOEXEC));

	CHECK_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
	close(ep);
	CHECK_ERR(epoll_create1(1), EINVAL);
	CHECK_ERR(epoll_create(0), EINVAL);
	ep = CHECK_OK(epoll_create(1));
	CHECK_EQ(fcntl(ep, F_GETFD), 0);
	close(ep);
}

static void epoll_ctl_errors(void)
{
	int ep = CHECK_OK(epoll_create1(0)), p[2];
	const char *path = h_make_file("reg", "x");
	int reg = CHECK_OK(open(path, O_RDONLY));
	struct epoll_event ev = {.events = EPOLLIN};

	CHECK_OK(pipe(p));
	CHECK_OK(add(ep, p[0], EPOLLIN, 1));
	CHECK_ERR(add(ep, p[0], EPOLLIN, 1), EEXIST);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), ENOENT);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL), ENOENT);
	CHECK_ERR(add(ep, reg, EPOLLIN, 1), EPERM);
	CHECK_ERR(add(ep, ep, EPOLLIN, 1), EINVAL);
	CHECK_ERR(add(p[0], p[1], EPOLLIN, 1), EINVAL); /* not an epoll fd */
	CHECK_ERR(add(ep, 999, EPOLLIN, 1), EBADF);
	CHECK_ERR(add(999, p[1], EPOLLIN, 1), EBADF);
	CHECK_ERR(epoll_ctl(ep, 42, p[1], &ev), EINVAL);
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], (void *)8), EFAULT);
	CHECK_OK(add(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE, 2));
	ev.events = EPOLLOUT;
	CHECK_ERR(epoll_ctl(ep, EPOLL_CTL_MOD, p[1], &ev), EINVAL);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_DEL, p[0], NULL));
	CHECK_ERR(add(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT, 1), EINVAL);
	close(reg);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void epoll_level_triggered_repeats(void)
{
	int ep = CHECK_OK(epoll_create1(0)), p[2];
	struct epoll_event ev[4];

	CHECK_OK(pipe(p));
	CHECK_OK(add(ep, p[0], EPOLLIN, 77));
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);
	CHECK_EQ(write(p[1], "ab", 2), 2);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(ev[0].events, EPOLLIN);
	CHECK_EQ(ev[0].data.u64, 77);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1); /* still readable */
	close(p[1]);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(ev[0].events, EPOLLIN | EPOLLHUP);
	close(p[0]);
	close(ep);
}

static void epoll_edge_triggered_reports_once_per_change(void)
{
	int ep = CHECK_OK(epoll_create1(0)), p[2];
	struct epoll_event ev[4];

	CHECK_OK(pipe(p));
	CHECK_OK(add(ep, p[0], EPOLLIN | EPOLLET, 5));
	CHECK_EQ(write(p[1], "a", 1), 1);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0); /* no new edge */
	CHECK_EQ(write(p[1], "b", 1), 1);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 1);
	CHECK_EQ(ev[0].data.u64, 5);
	CHECK_EQ(epoll_wait(ep, ev, 4, 0), 0);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void epoll_oneshot_until_rearmed(void)
{
	int ep = CHECK_OK(epoll_create1(0)), efd = CHECK_OK(eventfd(1, 0));
	struct epoll_event ev[2], mod = {.events = EPOLLIN | EPOLLONESHOT, .data.u64 = 9};

	CHECK_OK(add(ep, efd, EPOLLIN | EPOLLONESHOT, 8));
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 1);
	CHECK_EQ(ev[0].data.u64, 8);
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 0);
	CHECK_ERR(add(ep, efd, EPOLLIN, 8), EEXIST); /* still registered */
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &mod));
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 1);
	CHECK_EQ(ev[0].data.u64, 9);
	close(efd);
	close(ep);
}

static void epoll_nested_and_loops(void)
{
	int outer = CHECK_OK(epoll_create1(0)), inner = CHECK_OK(epoll_create1(0));
	int efd = CHECK_OK(eventfd(0, EFD_NONBLOCK));
	struct epoll_event ev[2];
	struct pollfd pfd = {.fd = inner, .events = POLLIN};
	uint64_t one = 1;

	CHECK_OK(add(inner, efd, EPOLLIN, 1));
	CHECK_OK(add(outer, inner, EPOLLIN, 2));
	CHECK_ERR(add(inner, outer, EPOLLIN, 3), ELOOP);
	CHECK_EQ(epoll_wait(outer, ev, 2, 0), 0);
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	CHECK_EQ(write(efd, &one, 8), 8);
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents, POLLIN);
	CHECK_EQ(epoll_wait(outer, ev, 2, 100), 1);
	CHECK_EQ(ev[0].data.u64, 2);
	CHECK_EQ(epoll_wait(inner, ev, 2, 0), 1);
	CHECK_EQ(ev[0].data.u64, 1);
	close(efd);
	close(inner);
	close(outer);
}

static void epoll_close_removes_item(void)
{
	int ep = CHECK_OK(epoll_create1(0)), efd = CHECK_OK(eventfd(1, 0));
	int dupfd = CHECK_OK(dup(efd));
	struct epoll_event ev[2];

	CHECK_OK(add(ep, efd, EPOLLIN, 1));
	close(efd); /* the description lives on in dupfd: the item stays */
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 1);
	close(dupfd); /* last reference: gone */
	CHECK_EQ(epoll_wait(ep, ev, 2, 0), 0);
	close(ep);
}

static void epoll_wait_args_and_timeout(void)
{
	int ep = CHECK_OK(epoll_create1(0)), p[2];
	struct epoll_event ev[2];
	struct timespec a, b, ts = {0, 20000000};
	long ms;

	CHECK_OK(pipe(p));
	CHECK_ERR(epoll_wait(ep, ev, 0, 0), EINVAL);
	CHECK_ERR(epoll_wait(p[0], ev, 1, 0), EINVAL);
	CHECK_ERR(epoll_wait(999, ev, 1, 0), EBADF);
	CHECK_OK(add(ep, p[0], EPOLLIN, 1));
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_EQ(epoll_wait(ep, ev, 2, 50), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	ms = (b.tv_sec - a.tv_sec) * 1000 + (b.tv_nsec - a.tv_nsec) / 1000000;
	CHECK(ms >= 45 && ms < 2000);
	CHECK_EQ(syscall(SYS_epoll_pwait2, ep, ev, 2, &ts, NULL, 8), 0);
	CHECK_ERR(syscall(SYS_epoll_pwait, ep, ev, 2, 0, &ts, 4), EINVAL);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void epoll_waiter_woken_by_other_process(void)
{
	int ep = CHECK_OK(epoll_create1(0)), p[2];
	struct epoll_event ev[2];
	pid_t pid;

	CHECK_OK(pipe(p));
	CHECK_OK(add(ep, p[0], EPOLLIN, 3));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		usleep(50000);
		_exit(write(p[1], "x", 1) == 1 ? 0 : 1);
	}
	CHECK_EQ(epoll_wait(ep, ev, 2, 5000), 1);
	CHECK_EQ(ev[0].data.u64, 3);
	CHECK_EQ(h_wait(pid), 0);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void epoll_wait_interrupted_gives_eintr(void)
{
	int ep = CHECK_OK(epoll_create1(0)), p[2];
	struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
	struct epoll_event ev[1];

	CHECK_OK(pipe(p));
	CHECK_OK(add(ep, p[0], EPOLLIN, 1));
	sigaction(SIGALRM, &sa, NULL);
	ualarm(50000, 0);
	CHECK_ERR(epoll_wait(ep, ev, 1, 5000), EINTR); /* never restarted */
	signal(SIGALRM, SIG_DFL);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void epoll_many_files(void)
{
	int ep = CHECK_OK(epoll_create1(0)), fds[40];
	struct epoll_event ev[64];
	uint64_t one = 1;

	for (int i = 0; i < 40; i++) {
		fds[i] = CHECK_OK(eventfd(0, 0));
		CHECK_OK(add(ep, fds[i], EPOLLIN, (uint64_t)i));
	}
	CHECK_EQ(epoll_wait(ep, ev, 64, 0), 0);
	CHECK_EQ(write(fds[37], &one, 8), 8);
	CHECK_EQ(epoll_wait(ep, ev, 64, 1000), 1);
	CHECK_EQ(ev[0].data.u64, 37);
	for (int i = 0; i < 40; i++)
		close(fds[i]);
	close(ep);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(epoll_create_flags);
	RUN(epoll_ctl_errors);
	RUN(epoll_level_triggered_repeats);
	RUN(epoll_edge_triggered_reports_once_per_change);
	RUN(epoll_oneshot_until_rearmed);
	RUN(epoll_nested_and_loops);
	RUN(epoll_close_removes_item);
	RUN(epoll_wait_args_and_timeout);
	RUN(epoll_waiter_woken_by_other_process);
	RUN(epoll_wait_interrupted_gives_eintr);
	RUN(epoll_many_files);
	return h_end();
}
