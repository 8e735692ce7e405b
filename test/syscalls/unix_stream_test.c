/* AF_UNIX stream socketpairs: data both ways, EOF, EPIPE/SIGPIPE, MSG_NOSIGNAL, partial
 * reads, MSG_PEEK/DONTWAIT/WAITALL, SOCK_NONBLOCK/CLOEXEC, shutdown, poll, FIONREAD. */
#include "harness.h"

#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static void stream_pair_both_ways(void)
{
	char buf[16] = {0};
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(write(sv[0], "ping", 4), 4);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 4);
	CHECK_STR(buf, "ping");
	CHECK_EQ(send(sv[1], "pong", 4, 0), 4);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recv(sv[0], buf, sizeof(buf), 0), 4);
	CHECK_STR(buf, "pong");
	close(sv[0]);
	close(sv[1]);
}

static void stream_partial_reads_and_merging(void)
{
	char buf[16] = {0};
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(write(sv[0], "abc", 3), 3);
	CHECK_EQ(write(sv[0], "def", 3), 3);
	CHECK_EQ(read(sv[1], buf, 2), 2);
	CHECK_MEM(buf, "ab", 2);
	/* A stream has no boundaries: the rest of both writes comes in one read. */
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 4);
	CHECK_MEM(buf, "cdef", 4);
	close(sv[0]);
	close(sv[1]);
}

static void stream_eof_after_close_and_shutdown(void)
{
	char buf[8];
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(write(sv[0], "x", 1), 1);
	CHECK_OK(shutdown(sv[0], SHUT_WR));
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 1);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 0);
	/* The other direction still works. */
	CHECK_EQ(write(sv[1], "y", 1), 1);
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 1);
	close(sv[0]);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 0);
	close(sv[1]);
}

static void stream_epipe_and_nosignal(void)
{
	int sv[2];

	signal(SIGPIPE, SIG_IGN);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	close(sv[1]);
	CHECK_ERR(write(sv[0], "x", 1), EPIPE);
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	close(sv[0]);
	signal(SIGPIPE, SIG_DFL);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(shutdown(sv[0], SHUT_WR));
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE); /* no signal: we are still here */
	close(sv[0]);
	close(sv[1]);
}

static void write_to_closed_peer(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		_exit(3);
	close(sv[1]);
	(void)!write(sv[0], "x", 1);
	_exit(4);
}

static void stream_sigpipe_kills(void)
{
	int status = h_in_child(write_to_closed_peer);

	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGPIPE);
}

static void stream_peek_dontwait_waitall(void)
{
	char buf[16] = {0};
	int sv[2];
	pid_t pid;

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	CHECK_ERR(recv(sv[1], buf, 0, MSG_DONTWAIT), EAGAIN); /* even for zero bytes */
	CHECK_EQ(send(sv[0], "peekaboo", 8, 0), 8);
	CHECK_EQ(recv(sv[1], buf, 0, 0), 0);
	CHECK_EQ(recv(sv[1], buf, 4, MSG_PEEK), 4);
	CHECK_MEM(buf, "peek", 4);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 8);
	CHECK_MEM(buf, "peekaboo", 8);
	/* MSG_WAITALL gathers data written in pieces by another process. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		for (int i = 0; i < 4; i++) {
			usleep(10000);
			if (write(sv[0], "ab", 2) != 2)
				_exit(1);
		}
		_exit(0);
	}
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(recv(sv[1], buf, 8, MSG_WAITALL), 8);
	CHECK_STR(buf, "abababab");
	CHECK_EQ(h_wait(pid), 0);
	close(sv[0]);
	close(sv[1]);
}

static void stream_flags_nonblock_cloexec(void)
{
	char c;
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv));
	CHECK(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	CHECK(fcntl(sv[1], F_GETFD) & FD_CLOEXEC);
	CHECK_ERR(read(sv[0], &c, 1), EAGAIN);
	close(sv[0]);
	close(sv[1]);
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM | 0x40000000, 0, sv), EINVAL);
	CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 7, sv), EPROTONOSUPPORT);
	CHECK_ERR(socketpair(AF_UNIX, 9, 0, sv), ESOCKTNOSUPPORT);
}

static void stream_fill_until_eagain(void)
{
	static char chunk[4096];
	struct pollfd p;
	long total = 0;
	int sv[2], n = 0;

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
	for (int i = 0; i < 10000; i++) {
		ssize_t w = write(sv[0], chunk, sizeof(chunk));

		if (w < 0)
			break;
		total += w;
	}
	CHECK_EQ(errno, EAGAIN);
	CHECK(total > 4096);
	p.fd = sv[0];
	p.events = POLLOUT;
	CHECK_EQ(poll(&p, 1, 0), 0);
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, total);
	/* Draining makes the writer writable again. */
	while (read(sv[1], chunk, sizeof(chunk)) > 0)
		;
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK(p.revents & POLLOUT);
	close(sv[0]);
	close(sv[1]);
}

static void stream_poll_events(void)
{
	struct pollfd p = {.events = POLLIN | POLLOUT | POLLRDHUP};
	int sv[2], fd;

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	p.fd = sv[1];
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLOUT);
	CHECK_EQ(write(sv[0], "x", 1), 1);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT);
	CHECK_OK(shutdown(sv[0], SHUT_WR));
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT | POLLRDHUP);
	close(sv[0]);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
	close(sv[1]);
	/* An unconnected stream socket reports POLLOUT | POLLHUP. */
	fd = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	p.fd = fd;
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLOUT | POLLHUP);
	close(fd);
}

static void stream_blocking_reader_woken(void)
{
	char buf[8] = {0};
	int sv[2];
	pid_t pid;

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		usleep(20000);
		_exit(write(sv[1], "late", 4) == 4 ? 0 : 1);
	}
	CHECK_EQ(read(sv[0], buf, sizeof(buf)), 4);
	CHECK_STR(buf, "late");
	CHECK_EQ(h_wait(pid), 0);
	close(sv[0]);
	close(sv[1]);
}

static void stream_unconnected_errors(void)
{
	char c;
	int fd = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));

	CHECK_ERR(send(fd, "x", 1, 0), ENOTCONN);
	CHECK_ERR(recv(fd, &c, 1, 0), EINVAL);
	CHECK_ERR(shutdown(fd, 7), EINVAL);
	CHECK_ERR(send(0x7fff, "x", 1, 0), EBADF);
	CHECK_ERR(send(STDIN_FILENO == fd ? 1 : open("/dev/null", O_RDONLY), "x", 1, 0), ENOTSOCK);
	close(fd);
}

static void stream_large_transfer(void)
{
	static char out[1 << 20], in[1 << 20];
	int sv[2];
	pid_t pid;

	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 7);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(sv[1]);
		_exit(write(sv[0], out, sizeof(out)) == (ssize_t)sizeof(out) ? 0 : 1);
	}
	close(sv[0]);
	CHECK_EQ(recv(sv[1], in, sizeof(in), MSG_WAITALL), sizeof(in));
	CHECK_MEM(in, out, sizeof(in));
	CHECK_EQ(h_wait(pid), 0);
	close(sv[1]);
}

static void stream_epoll_wakes_on_data(void)
{
	struct epoll_event ev = {.events = EPOLLIN}, out;
	int sv[2], ep = CHECK_OK(epoll_create1(0));
	pid_t pid;

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ev.data.fd = sv[0];
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, sv[0], &ev));
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		usleep(20000);
		_exit(write(sv[1], "e", 1) == 1 ? 0 : 1);
	}
	CHECK_EQ(epoll_wait(ep, &out, 1, 5000), 1);
	CHECK_EQ(out.data.fd, sv[0]);
	CHECK(out.events & EPOLLIN);
	CHECK_EQ(h_wait(pid), 0);
	close(ep);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	h_begin();
	RUN(stream_pair_both_ways);
	RUN(stream_partial_reads_and_merging);
	RUN(stream_eof_after_close_and_shutdown);
	RUN(stream_epipe_and_nosignal);
	RUN(stream_sigpipe_kills);
	RUN(stream_peek_dontwait_waitall);
	RUN(stream_flags_nonblock_cloexec);
	RUN(stream_fill_until_eagain);
	RUN(stream_poll_events);
	RUN(stream_blocking_reader_woken);
	RUN(stream_unconnected_errors);
	RUN(stream_large_transfer);
	RUN(stream_epoll_wakes_on_data);
	return h_end();
}
