/* pipe/pipe2: data flow, EOF, EPIPE/SIGPIPE, flags, capacity and errnos. */
#include "harness.h"

#include <signal.h>

static void pipe_write_then_read(void)
{
	char buf[16] = { 0 };
	int p[2];

	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "through", 7), 7);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 7);
	CHECK_STR(buf, "through");
	close(p[0]);
	close(p[1]);
}

static void pipe_ends_have_access_modes(void)
{
	struct stat st;
	int p[2];

	CHECK_OK(pipe(p));
	CHECK_EQ(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK_EQ(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	CHECK_ERR(write(p[0], "x", 1), EBADF);
	CHECK_OK(fstat(p[0], &st));
	CHECK(S_ISFIFO(st.st_mode));
	close(p[0]);
	close(p[1]);
}

static void pipe_read_after_writer_closed_returns_eof(void)
{
	char buf[8];
	int p[2];

	CHECK_OK(pipe(p));
	CHECK_EQ(write(p[1], "ab", 2), 2);
	close(p[1]);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 2);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
}

static void pipe_write_after_reader_closed_returns_epipe(void)
{
	int p[2];

	signal(SIGPIPE, SIG_IGN);
	CHECK_OK(pipe(p));
	close(p[0]);
	CHECK_ERR(write(p[1], "x", 1), EPIPE);
	close(p[1]);
	signal(SIGPIPE, SIG_DFL);
}

static void write_to_broken_pipe(void)
{
	int p[2];

	if (pipe(p) < 0)
		_exit(3);
	close(p[0]);
	(void)!write(p[1], "x", 1);
	_exit(4);
}

static void pipe_write_after_reader_closed_raises_sigpipe(void)
{
	int status = h_in_child(write_to_broken_pipe);

	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGPIPE);
}

static void pipe2_flags(void)
{
	char c;
	int p[2];

	CHECK_OK(pipe2(p, O_CLOEXEC | O_NONBLOCK));
	CHECK_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	CHECK_ERR(read(p[0], &c, 1), EAGAIN);
	close(p[0]);
	close(p[1]);
	CHECK_ERR(pipe2(p, O_RDWR | 0x4000000), EINVAL);
	CHECK_ERR(syscall(SYS_pipe2, 1L, 0), EFAULT);
}

static void pipe_nonblocking_capacity_is_64k(void)
{
	static char chunk[4096];
	long total = 0;
	ssize_t n;
	int p[2];

	CHECK_OK(pipe2(p, O_NONBLOCK));
	while ((n = write(p[1], chunk, sizeof(chunk))) > 0)
		total += n;
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(total, 65536);
	close(p[0]);
	close(p[1]);
}

static void pipe_carries_data_between_processes(void)
{
	char buf[32] = { 0 };
	int p[2];
	pid_t pid;

	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		_exit(write(p[1], "from child", 10) == 10 ? 0 : 1);
	}
	close(p[1]);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 10);
	CHECK_STR(buf, "from child");
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	CHECK_EQ(h_wait(pid), 0);
	close(p[0]);
}

static void pipe_reader_blocks_until_data_arrives(void)
{
	char c = 0;
	int p[2];
	pid_t pid;

	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		_exit(write(p[1], "!", 1) == 1 ? 0 : 1);
	}
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(c, '!');
	CHECK_EQ(h_wait(pid), 0);
	close(p[0]);
	close(p[1]);
}

static void pipe_large_transfer_keeps_order(void)
{
	enum { TOTAL = 1 << 20 };
	static unsigned char buf[8192];
	long got = 0, bad = 0;
	ssize_t n;
	int p[2];
	pid_t pid;

	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		static unsigned char out[TOTAL];

		close(p[0]);
		for (long i = 0; i < TOTAL; i++)
			out[i] = (unsigned char)(i * 7);
		/* One big write: blocks and completes as the reader drains. */
		_exit(write(p[1], out, TOTAL) == TOTAL ? 0 : 1);
	}
	close(p[1]);
	while ((n = read(p[0], buf, sizeof(buf))) > 0) {
		for (ssize_t i = 0; i < n; i++)
			bad += buf[i] != (unsigned char)((got + i) * 7);
		got += n;
	}
	CHECK_EQ(n, 0);
	CHECK_EQ(got, TOTAL);
	CHECK_EQ(bad, 0);
	CHECK_EQ(h_wait(pid), 0);
	close(p[0]);
}

int main(void)
{
	h_begin();
	RUN(pipe_write_then_read);
	RUN(pipe_ends_have_access_modes);
	RUN(pipe_read_after_writer_closed_returns_eof);
	RUN(pipe_write_after_reader_closed_returns_epipe);
	RUN(pipe_write_after_reader_closed_raises_sigpipe);
	RUN(pipe2_flags);
	RUN(pipe_nonblocking_capacity_is_64k);
	RUN(pipe_carries_data_between_processes);
	RUN(pipe_reader_blocks_until_data_arrives);
	RUN(pipe_large_transfer_keeps_order);
	return h_end();
}
