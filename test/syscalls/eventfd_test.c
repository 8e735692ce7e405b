/* eventfd(2): counter semantics, semaphore mode, flags, size and overflow rules, poll,
 * and a reader blocked until another process writes. */
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>

#include "harness.h"

static void eventfd_counter_reads_and_resets(void)
{
	int fd = CHECK_OK(eventfd(5, EFD_NONBLOCK));
	uint64_t v = 3;

	CHECK_EQ(write(fd, &v, 8), 8);
	v = 0;
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, 8);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	close(fd);
}

static void eventfd_semaphore_reads_one(void)
{
	int fd = CHECK_OK(eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK));
	uint64_t v = 0;

	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, 1);
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, 1);
	CHECK_ERR(read(fd, &v, 8), EAGAIN);
	close(fd);
}

static void eventfd_size_and_value_rules(void)
{
	int fd = CHECK_OK(eventfd(0, EFD_NONBLOCK));
	uint64_t v = UINT64_MAX;
	char big[16] = {0};

	CHECK_ERR(read(fd, &v, 4), EINVAL);
	CHECK_ERR(write(fd, &v, 4), EINVAL);
	CHECK_ERR(write(fd, &v, 8), EINVAL); /* 2^64-1 is never a valid addend */
	v = UINT64_MAX - 1;
	CHECK_EQ(write(fd, &v, 8), 8);
	v = 1;
	CHECK_ERR(write(fd, &v, 8), EAGAIN); /* would overflow */
	v = 0;
	CHECK_EQ(write(fd, &v, 8), 8); /* adding 0 always fits */
	CHECK_EQ(read(fd, big, sizeof(big)), 8); /* larger buffers read 8 bytes */
	memcpy(&v, big, 8);
	CHECK_EQ(v, UINT64_MAX - 1);
	close(fd);
}

static void eventfd_flags(void)
{
	int fd = CHECK_OK(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));

	CHECK_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE), O_NONBLOCK | O_RDWR);
	close(fd);
	CHECK_ERR(eventfd(0, 0x4000000), EINVAL);
	CHECK_ERR(syscall(SYS_eventfd2, 0, 0x10), EINVAL);
	fd = CHECK_OK(syscall(SYS_eventfd, 7));
	CHECK_EQ(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
	close(fd);
}

static void eventfd_poll_states(void)
{
	int fd = CHECK_OK(eventfd(0, EFD_NONBLOCK));
	struct pollfd p = {.fd = fd, .events = POLLIN | POLLOUT};
	uint64_t v = UINT64_MAX - 1;

	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLOUT);
	CHECK_EQ(write(fd, &v, 8), 8);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN);
	close(fd);
}

static void eventfd_blocked_reader_wakes(void)
{
	int fd = CHECK_OK(eventfd(0, 0));
	uint64_t v = 0;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		uint64_t one = 42;

		usleep(50000);
		_exit(write(fd, &one, 8) == 8 ? 0 : 1);
	}
	CHECK_EQ(read(fd, &v, 8), 8);
	CHECK_EQ(v, 42);
	CHECK_EQ(h_wait(pid), 0);
	close(fd);
}

static void eventfd_fstat_is_anonymous(void)
{
	int fd = CHECK_OK(eventfd(0, 0));
	struct stat st;

	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_mode & S_IFMT, 0);
	CHECK_EQ(st.st_mode & 0777, 0600);
	close(fd);
}

int main(void)
{
	h_begin();
	RUN(eventfd_counter_reads_and_resets);
	RUN(eventfd_semaphore_reads_one);
	RUN(eventfd_size_and_value_rules);
	RUN(eventfd_flags);
	RUN(eventfd_poll_states);
	RUN(eventfd_blocked_reader_wakes);
	RUN(eventfd_fstat_is_anonymous);
	return h_end();
}
