/* timerfd: create flags and clocks, one-shot and periodic expirations counted by read,
 * gettime, absolute times, disarming, and waking poll, select and epoll on expiry. */
#include <poll.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/timerfd.h>

#include "harness.h"

static long ms_since(const struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1000 + (b.tv_nsec - a->tv_nsec) / 1000000;
}

static void arm(int fd, long first_ms, long every_ms)
{
	struct itimerspec its = {
		.it_value = {first_ms / 1000, (first_ms % 1000) * 1000000L},
		.it_interval = {every_ms / 1000, (every_ms % 1000) * 1000000L},
	};

	timerfd_settime(fd, 0, &its, NULL);
}

static void timerfd_create_args(void)
{
	int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
	struct itimerspec its = {0};

	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	close(fd);
	CHECK_ERR(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
	CHECK_ERR(timerfd_create(CLOCK_MONOTONIC, 0x1), EINVAL);
	fd = CHECK_OK(timerfd_create(CLOCK_REALTIME, 0));
	its.it_value.tv_nsec = 1000000000L;
	CHECK_ERR(timerfd_settime(fd, 0, &its, NULL), EINVAL);
	its.it_value.tv_nsec = 0;
	CHECK_ERR(timerfd_settime(fd, 0x10, &its, NULL), EINVAL);
	CHECK_ERR(timerfd_settime(0, 0, &its, NULL), EINVAL); /* not a timerfd */
	CHECK_ERR(timerfd_gettime(999, &its), EBADF);
	close(fd);
}

static void timerfd_one_shot_read_blocks_then_counts_one(void)
{
	int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, 0));
	struct timespec start;
	uint64_t n = 0;
	long ms;

	clock_gettime(CLOCK_MONOTONIC, &start);
	arm(fd, 50, 0);
	CHECK_EQ(read(fd, &n, 8), 8);
	ms = ms_since(&start);
	CHECK_EQ(n, 1);
	CHECK(ms >= 45 && ms < 2000);
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(fd, &n, 8), EAGAIN);
	CHECK_ERR(read(fd, &n, 4), EINVAL);
	close(fd);
}

/* A periodic timer counts every period that passed, however late its reader runs: the
 * count lies between the periods surely elapsed (from just after arming to just before
 * the read) and those possibly elapsed (from just before arming to just after it). */
static void timerfd_periodic_counts_expirations(void)
{
	int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	struct timespec t0, t1;
	struct itimerspec cur;
	uint64_t n = 0;
	long least, most;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	arm(fd, 10, 10);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	usleep(55000);
	least = (ms_since(&t1) - 1) / 10; /* ms_since truncates: 1 ms of slack */
	CHECK_EQ(read(fd, &n, 8), 8);
	most = (ms_since(&t0) + 1) / 10;
	CHECK(least >= 5);
	CHECK((long)n >= least && (long)n <= most);
	if ((long)n < least || (long)n > most)
		printf("  %llu expirations, expected %ld..%ld\n", (unsigned long long)n, least,
		       most);

	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK_EQ(cur.it_interval.tv_nsec, 10000000);
	CHECK(cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec > 0 &&
	      cur.it_value.tv_nsec <= 10000000);
	arm(fd, 0, 0); /* disarm */
	CHECK_OK(timerfd_gettime(fd, &cur));
	CHECK_EQ(cur.it_value.tv_sec, 0);
	CHECK_EQ(cur.it_value.tv_nsec, 0);
	usleep(20000);
	CHECK_ERR(read(fd, &n, 8), EAGAIN);
	close(fd);
}

static void timerfd_absolute_and_old_value(void)
{
	int fd = CHECK_OK(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK));
	struct itimerspec its = {0}, old;
	struct timespec set;
	uint64_t n = 0;
	long left;

	clock_gettime(CLOCK_REALTIME, &its.it_value);
	its.it_value.tv_sec -= 1; /* already past: expires at once */
	CHECK_OK(timerfd_settime(fd, TFD_TIMER_ABSTIME, &its, NULL));
	CHECK_EQ(read(fd, &n, 8), 8);
	CHECK_EQ(n, 1);
	clock_gettime(CLOCK_MONOTONIC, &set);
	arm(fd, 5000, 0);
	its.it_value.tv_sec = 10;
	its.it_value.tv_nsec = 0;
	CHECK_OK(timerfd_settime(fd, 0, &its, &old));
	/* What was left of the 5 s: 5 s less the time since arming, to the millisecond. */
	left = old.it_value.tv_sec * 1000 + old.it_value.tv_nsec / 1000000;
	CHECK(left <= 5000 && left >= 5000 - ms_since(&set) - 1);
	CHECK_EQ(old.it_interval.tv_sec + old.it_interval.tv_nsec, 0);
	close(fd);
}

static void timerfd_wakes_poll_select_epoll(void)
{
	int fd = CHECK_OK(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	int ep = CHECK_OK(epoll_create1(0));
	struct pollfd p = {.fd = fd, .events = POLLIN};
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.u64 = 4};
	struct timespec start;
	fd_set r;
	uint64_t n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	arm(fd, 30, 0);
	/* Not readable before it expires (a loaded host may delay this poll past that). */
	if (poll(&p, 1, 0) != 0)
		CHECK(ms_since(&start) >= 30);
	clock_gettime(CLOCK_MONOTONIC, &start);
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK(ms_since(&start) < 2000);
	CHECK_EQ(read(fd, &n, 8), 8);
	arm(fd, 30, 0);
	FD_ZERO(&r);
	FD_SET(fd, &r);
	CHECK_EQ(select(fd + 1, &r, NULL, NULL, NULL), 1);
	CHECK_EQ(read(fd, &n, 8), 8);
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	arm(fd, 30, 30);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 5000), 1);
	CHECK_EQ(ev.data.u64, 4);
	/* More expiries while unread are no new edge; after a read the next one is. */
	CHECK_EQ(epoll_wait(ep, &ev, 1, 100), 0);
	CHECK_EQ(read(fd, &n, 8), 8);
	CHECK(n >= 2);
	CHECK_EQ(epoll_wait(ep, &ev, 1, 5000), 1);
	CHECK_EQ(read(fd, &n, 8), 8);
	CHECK(n >= 1);
	close(ep);
	close(fd);
}

int main(void)
{
	h_begin();
	RUN(timerfd_create_args);
	RUN(timerfd_one_shot_read_blocks_then_counts_one);
	RUN(timerfd_periodic_counts_expirations);
	RUN(timerfd_absolute_and_old_value);
	RUN(timerfd_wakes_poll_select_epoll);
	return h_end();
}
