/* ppoll: the raw syscall: timeouts (zero, expiring, the time left written back), readiness,
 * negative and invalid fds, the signal mask applied atomically for the wait and restored
 * after, and EINVAL for too many fds, a bad timespec or sigset size; EFAULT. */
#include "harness.h"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/resource.h>

static long rppoll(struct pollfd *fds, unsigned long n, struct timespec *ts,
		   const sigset_t *mask)
{
	return syscall(SYS_ppoll, fds, n, ts, mask, 8);
}

static volatile sig_atomic_t g_hits;

static void on_usr1(int sig)
{
	(void)sig;
	g_hits++;
}

static void timeouts(void)
{
	int p[2];
	struct pollfd pf;
	struct timespec ts = {0, 0}, t0, t1;

	CHECK_OK(pipe(p));
	pf = (struct pollfd){.fd = p[0], .events = POLLIN};
	/* Zero: a poll that does not wait. */
	CHECK_EQ(rppoll(&pf, 1, &ts, NULL), 0);
	CHECK_EQ(pf.revents, 0);
	/* An expiring timeout: it waits, returns 0, and writes back the time left (none). */
	ts = (struct timespec){0, 30 * 1000 * 1000};
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK_EQ(rppoll(&pf, 1, &ts, NULL), 0);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) >= 30000000L);
	CHECK_EQ(ts.tv_sec, 0);
	CHECK_EQ(ts.tv_nsec, 0);
	/* Ready at once: the time left is (nearly) all of it. */
	CHECK_EQ(write(p[1], "x", 1), 1);
	ts = (struct timespec){100, 0};
	CHECK_EQ(rppoll(&pf, 1, &ts, NULL), 1);
	CHECK_EQ(pf.revents, POLLIN);
	CHECK(ts.tv_sec >= 90 && ts.tv_sec <= 100);
	/* NULL: wait forever, here not at all. */
	CHECK_EQ(rppoll(&pf, 1, NULL, NULL), 1);
	/* No fds at all: a sleep. */
	ts = (struct timespec){0, 1000 * 1000};
	CHECK_EQ(rppoll(NULL, 0, &ts, NULL), 0);
	close(p[0]);
	close(p[1]);
}

static void fd_cases(void)
{
	int p[2];
	struct pollfd pf[4];
	struct timespec ts = {0, 0};

	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "x", 1), 1);
	pf[0] = (struct pollfd){.fd = -1, .events = POLLIN, .revents = 7};
	pf[1] = (struct pollfd){.fd = 9999, .events = POLLIN};
	pf[2] = (struct pollfd){.fd = p[0], .events = POLLIN | POLLOUT};
	pf[3] = (struct pollfd){.fd = p[1], .events = POLLOUT};
	/* Negative fds are skipped (revents 0); closed ones report POLLNVAL and count. */
	CHECK_EQ(rppoll(pf, 4, &ts, NULL), 3);
	CHECK_EQ(pf[0].revents, 0);
	CHECK_EQ(pf[1].revents, POLLNVAL);
	CHECK_EQ(pf[2].revents, POLLIN);
	CHECK_EQ(pf[3].revents, POLLOUT);
	/* A closed write end: the reader sees POLLHUP whatever it asked for. */
	close(p[1]);
	pf[2].events = 0;
	CHECK_EQ(rppoll(&pf[2], 1, &ts, NULL), 1);
	CHECK_EQ(pf[2].revents, POLLHUP);
	close(p[0]);
}

static void bad_arguments(void)
{
	struct pollfd pf = {.fd = 0, .events = POLLIN};
	struct timespec ts;
	struct rlimit rl;
	sigset_t m;

	CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
	ts = (struct timespec){0, 0};
	CHECK_ERR(rppoll(&pf, rl.rlim_cur + 1, &ts, NULL), EINVAL);
	ts = (struct timespec){0, 1000000000L};
	CHECK_ERR(rppoll(&pf, 1, &ts, NULL), EINVAL);
	ts = (struct timespec){-1, 0};
	CHECK_ERR(rppoll(&pf, 1, &ts, NULL), EINVAL);
	ts = (struct timespec){0, -1};
	CHECK_ERR(rppoll(&pf, 1, &ts, NULL), EINVAL);
	sigemptyset(&m);
	ts = (struct timespec){0, 0};
	CHECK_ERR(syscall(SYS_ppoll, &pf, 1, &ts, &m, 4), EINVAL);
	CHECK_ERR(syscall(SYS_ppoll, &pf, 1, &ts, &m, 16), EINVAL);
	CHECK_ERR(rppoll((struct pollfd *)8, 1, &ts, NULL), EFAULT);
	CHECK_ERR(rppoll(&pf, 1, (struct timespec *)8, NULL), EFAULT);
	CHECK_ERR(rppoll(&pf, 1, &ts, (sigset_t *)8), EFAULT);
}

static void sigmask_is_atomic(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	sigset_t block, wait_mask, now;
	struct timespec ts = {0, 0};
	int p[2];
	struct pollfd pf;

	CHECK_OK(pipe(p));
	pf = (struct pollfd){.fd = p[0], .events = POLLIN};
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
	CHECK_OK(kill(getpid(), SIGUSR1));
	g_hits = 0;
	/* A mask that keeps SIGUSR1 blocked: the pending signal does not interrupt. */
	CHECK_EQ(rppoll(&pf, 1, &ts, &block), 0);
	CHECK_EQ(g_hits, 0);
	/* A mask that unblocks it: the wait (forever) is interrupted at once, the handler runs
	 * during the call, and the old mask is back afterwards. */
	sigemptyset(&wait_mask);
	CHECK_ERR(rppoll(&pf, 1, NULL, &wait_mask), EINTR);
	CHECK_EQ(g_hits, 1);
	CHECK_OK(sigprocmask(SIG_SETMASK, NULL, &now));
	CHECK(sigismember(&now, SIGUSR1));
	/* A ready fd and a signal the temporary mask lets through: Linux reports the fd and
	 * puts the old mask back before returning, so the signal stays pending... */
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_EQ(write(p[1], "x", 1), 1);
	ts = (struct timespec){0, 0};
	CHECK_EQ(rppoll(&pf, 1, &ts, &wait_mask), 1);
	CHECK_EQ(g_hits, 1);
	CHECK_OK(sigpending(&now));
	CHECK(sigismember(&now, SIGUSR1));
	/* ...until the application itself unblocks it. */
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &block, NULL));
	CHECK_EQ(g_hits, 2);
	signal(SIGUSR1, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

/* pselect6 and epoll_pwait follow the same rule: a successful wait leaves the signal the
 * temporary mask admitted pending. */
static void other_waits_restore_the_mask(void)
{
	struct sigaction sa = {.sa_handler = on_usr1};
	struct epoll_event ev = {.events = EPOLLIN}, out;
	struct timespec ts = {0, 0};
	sigset_t block, open_mask, pend;
	fd_set rd;
	int p[2], ep;

	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "x", 1), 1);
	ep = (int)CHECK_OK(epoll_create1(0));
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&open_mask);
	CHECK_OK(sigprocmask(SIG_BLOCK, &block, NULL));
	CHECK_OK(kill(getpid(), SIGUSR1));
	g_hits = 0;
	FD_ZERO(&rd);
	FD_SET(p[0], &rd);
	CHECK_EQ(pselect(p[0] + 1, &rd, NULL, NULL, &ts, &open_mask), 1);
	CHECK_EQ(g_hits, 0);
	CHECK_EQ(epoll_pwait(ep, &out, 1, 0, &open_mask), 1);
	CHECK_EQ(g_hits, 0);
	CHECK_OK(sigpending(&pend));
	CHECK(sigismember(&pend, SIGUSR1));
	/* With nothing ready the admitted signal interrupts the wait and is delivered. */
	CHECK_EQ(read(p[0], &out, 1), 1);
	CHECK_ERR(epoll_pwait(ep, &out, 1, -1, &open_mask), EINTR);
	CHECK_EQ(g_hits, 1);
	CHECK_OK(sigprocmask(SIG_UNBLOCK, &block, NULL));
	signal(SIGUSR1, SIG_DFL);
	close(ep);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	h_begin();
	RUN(timeouts);
	RUN(fd_cases);
	RUN(bad_arguments);
	RUN(sigmask_is_atomic);
	RUN(other_waits_restore_the_mask);
	return h_end();
}
