/* AF_UNIX datagram and seqpacket sockets: message boundaries, MSG_TRUNC, ENOTCONN,
 * sendto a bound path, recvfrom addresses, connect/disconnect, EMSGSIZE, seqpacket EOF. */
#include "harness.h"

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>

static socklen_t path_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path, path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static void dgram_boundaries_and_trunc(void)
{
	char buf[16] = {0};
	struct msghdr mh = {0};
	struct iovec iov = {buf, 3};
	int sv[2], n = 0;

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_EQ(send(sv[0], "one", 3, 0), 3);
	CHECK_EQ(send(sv[0], "three", 5, 0), 5);
	CHECK_EQ(send(sv[0], "", 0, 0), 0);
	CHECK_OK(ioctl(sv[1], FIONREAD, &n));
	CHECK_EQ(n, 3);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	CHECK_MEM(buf, "one", 3);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	CHECK_EQ(recvmsg(sv[1], &mh, 0), 3);
	CHECK(mh.msg_flags & MSG_TRUNC);
	CHECK_MEM(buf, "thr", 3);
	/* The empty datagram is a message too. */
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), 0);
	CHECK_ERR(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	/* MSG_TRUNC in flags returns the real length. */
	CHECK_EQ(send(sv[0], "abcdef", 6, 0), 6);
	CHECK_EQ(recv(sv[1], buf, 2, MSG_PEEK | MSG_TRUNC), 6);
	CHECK_EQ(recv(sv[1], buf, 2, MSG_TRUNC), 6);
	close(sv[0]);
	close(sv[1]);
}

static void dgram_unconnected_errors(void)
{
	int fd = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	struct sockaddr_un sa;

	CHECK_ERR(send(fd, "x", 1, 0), ENOTCONN);
	CHECK_ERR(sendto(fd, "x", 1, 0, (struct sockaddr *)&sa,
			 path_addr(&sa, h_path("missing"))), ENOENT);
	CHECK_ERR(listen(fd, 1), EOPNOTSUPP);
	CHECK_ERR(accept(fd, NULL, NULL), EOPNOTSUPP);
	CHECK_ERR(getpeername(fd, (struct sockaddr *)&sa, &(socklen_t){sizeof(sa)}), ENOTCONN);
	close(fd);
}

static void dgram_sendto_bound_path(void)
{
	struct sockaddr_un sa, from, self;
	socklen_t len = path_addr(&sa, h_path("dg")), flen = sizeof(from);
	int rx = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	int tx = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	struct stat st;
	char buf[8] = {0};

	CHECK_OK(bind(rx, (struct sockaddr *)&sa, len));
	CHECK_OK(stat(h_path("dg"), &st));
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_ERR(bind(tx, (struct sockaddr *)&sa, len), EADDRINUSE);
	CHECK_EQ(sendto(tx, "hey", 3, 0, (struct sockaddr *)&sa, len), 3);
	CHECK_EQ(recvfrom(rx, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 3);
	CHECK_STR(buf, "hey");
	CHECK_EQ(flen, 0); /* an unbound sender has no name */
	/* A bound sender's name comes with the message. */
	path_addr(&self, h_path("dg2"));
	CHECK_OK(bind(tx, (struct sockaddr *)&self, path_addr(&self, h_path("dg2"))));
	CHECK_EQ(sendto(tx, "yo", 2, 0, (struct sockaddr *)&sa, len), 2);
	flen = sizeof(from);
	CHECK_EQ(recvfrom(rx, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 2);
	CHECK_EQ(flen, offsetof(struct sockaddr_un, sun_path) + strlen(h_path("dg2")) + 1);
	CHECK_STR(from.sun_path, h_path("dg2"));
	/* Reply by address, then connect and send without one. */
	CHECK_EQ(sendto(rx, "back", 4, 0, (struct sockaddr *)&from, flen), 4);
	CHECK_EQ(recv(tx, buf, sizeof(buf), 0), 4);
	CHECK_OK(connect(tx, (struct sockaddr *)&sa, len));
	CHECK_EQ(send(tx, "c", 1, 0), 1);
	CHECK_EQ(recv(rx, buf, sizeof(buf), 0), 1);
	/* A socket connected elsewhere refuses strangers. */
	{
		int other = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));

		CHECK_ERR(sendto(other, "z", 1, 0, (struct sockaddr *)&self,
				 path_addr(&self, h_path("dg2"))), EPERM);
		close(other);
	}
	/* AF_UNSPEC disconnects. */
	sa.sun_family = AF_UNSPEC;
	CHECK_OK(connect(tx, (struct sockaddr *)&sa, sizeof(sa_family_t)));
	CHECK_ERR(send(tx, "c", 1, 0), ENOTCONN);
	close(rx);
	close(tx);
	/* The node stays after close; a new bind there is EADDRINUSE, connect refused. */
	tx = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_ERR(sendto(tx, "x", 1, 0, (struct sockaddr *)&sa, path_addr(&sa, h_path("dg"))),
		  ECONNREFUSED);
	close(tx);
}

static void dgram_peer_closed(void)
{
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	close(sv[1]);
	CHECK_ERR(send(sv[0], "x", 1, 0), ECONNREFUSED);
	CHECK_ERR(send(sv[0], "x", 1, 0), ENOTCONN);
	close(sv[0]);
}

static void dgram_emsgsize(void)
{
	static char big[300000];
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_ERR(send(sv[0], big, sizeof(big), 0), EMSGSIZE);
	close(sv[0]);
	close(sv[1]);
}

static void seqpacket_boundaries_and_eof(void)
{
	char buf[16] = {0};
	struct msghdr mh = {0};
	struct iovec iov = {buf, 2};
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	CHECK_EQ(send(sv[0], "first", 5, 0), 5);
	CHECK_EQ(send(sv[0], "second", 6, 0), 6);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 5);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	CHECK_EQ(recvmsg(sv[1], &mh, 0), 2);
	CHECK(mh.msg_flags & MSG_TRUNC);
	close(sv[0]);
	CHECK_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	close(sv[1]);
	sv[0] = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	CHECK_ERR(send(sv[0], "x", 1, 0), ENOTCONN);
	CHECK_ERR(recv(sv[0], buf, 1, 0), ENOTCONN);
	close(sv[0]);
}

static void dgram_poll(void)
{
	struct pollfd p = {.events = POLLIN | POLLOUT};
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	p.fd = sv[1];
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLOUT);
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	CHECK_EQ(poll(&p, 1, 0), 1);
	CHECK_EQ(p.revents, POLLIN | POLLOUT);
	close(sv[0]);
	close(sv[1]);
}

static void dgram_empty_messages_fill_buffer(void)
{
	int sv[2], i;

	/* Even empty datagrams are charged to the send buffer: the queue is bounded. */
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv));
	for (i = 0; i < 100000; i++)
		if (send(sv[0], "", 0, 0) < 0)
			break;
	CHECK_EQ(errno, EAGAIN);
	CHECK(i > 10 && i < 100000);
	close(sv[0]);
	close(sv[1]);
}

static void dgram_receiver_queue_length(void)
{
	struct sockaddr_un sa;
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 14);
	int rx = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0)), tx, i;
	char b;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, "\0runsc-dgqlen", 14);
	CHECK_OK(bind(rx, (struct sockaddr *)&sa, len));
	tx = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	/* A stranger may queue net.unix.max_dgram_qlen (10) + 1 messages. */
	for (i = 0; i < 100; i++)
		if (sendto(tx, "q", 1, 0, (struct sockaddr *)&sa, len) < 0)
			break;
	CHECK_EQ(errno, EAGAIN);
	CHECK_EQ(i, 11);
	CHECK_EQ(recv(rx, &b, 1, 0), 1);
	CHECK_EQ(sendto(tx, "q", 1, 0, (struct sockaddr *)&sa, len), 1);
	close(tx);
	close(rx);
}

static void dgram_poll_waits_for_full_receiver(void)
{
	struct sockaddr_un sa;
	socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 15);
	int rx = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0)), tx, i;
	struct pollfd p = {.events = POLLOUT};
	pid_t pid;

	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, "\0runsc-dgpollw", 15);
	CHECK_OK(bind(rx, (struct sockaddr *)&sa, len));
	tx = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	CHECK_OK(connect(tx, (struct sockaddr *)&sa, len));
	for (i = 0; i < 100; i++)
		if (send(tx, "q", 1, 0) < 0)
			break;
	CHECK_EQ(i, 11);
	p.fd = tx;
	CHECK_EQ(poll(&p, 1, 0), 0);
	/* The receiver draining one message wakes the sender's poll. */
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char b;

		usleep(30000);
		_exit(recv(rx, &b, 1, 0) == 1 ? 0 : 1);
	}
	CHECK_EQ(poll(&p, 1, 5000), 1);
	CHECK(p.revents & POLLOUT);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(send(tx, "q", 1, 0), 1);
	close(tx);
	close(rx);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(dgram_boundaries_and_trunc);
	RUN(dgram_unconnected_errors);
	RUN(dgram_sendto_bound_path);
	RUN(dgram_peer_closed);
	RUN(dgram_emsgsize);
	RUN(seqpacket_boundaries_and_eof);
	RUN(dgram_poll);
	RUN(dgram_empty_messages_fill_buffer);
	RUN(dgram_receiver_queue_length);
	RUN(dgram_poll_waits_for_full_receiver);
	return h_end();
}
