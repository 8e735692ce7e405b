/* SCM_RIGHTS garbage collection: unix sockets that only in-flight messages keep alive
 * through a cycle (a socket queued on itself, two socketpairs queued on each other, a
 * datagram socket) are freed once unreachable. Each cycle also carries one end of a
 * witness socketpair; the other end, kept by the test, sees EOF when the cycle is freed.
 * Linux collects when a unix socket is released (asynchronously since 6.10), so the test
 * closes fresh socketpairs to trigger it and waits up to 5 s. Sockets still reachable
 * (queued on a socket we hold) must survive a collection. */
#include "harness.h"

#include <poll.h>
#include <sys/socket.h>

static int send_fd(int sock, int fd)
{
	char byte = 'F';
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	return (int)sendmsg(sock, &msg, 0);
}

static int recv_fd(int sock)
{
	char byte;
	struct iovec iov = {&byte, 1};
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(int))];
	} u;
	struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
			     .msg_controllen = sizeof(u.buf)};
	struct cmsghdr *c;
	int fd;

	if (recvmsg(sock, &msg, 0) != 1)
		return -1;
	c = CMSG_FIRSTHDR(&msg);
	if (!c || c->cmsg_type != SCM_RIGHTS)
		return -1;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	return fd;
}

/* Closing a unix socket lets the kernel run its collector. */
static void trigger_gc(void)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
		close(sv[0]);
		close(sv[1]);
	}
}

/* Whether the witness's peer was freed: EOF on w within tries * 50 ms. */
static bool freed_within(int w, int tries)
{
	for (int i = 0; i < tries; i++) {
		struct pollfd p = {w, POLLIN, 0};
		char c;

		trigger_gc();
		if (poll(&p, 1, 50) == 1)
			return read(w, &c, 1) == 0;
	}
	return false;
}

static bool freed(int w)
{
	return freed_within(w, 100);
}

/* A witness pair: *keep is ours, the returned fd goes into the cycle. */
static int witness(int *keep)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return -1;
	*keep = sv[0];
	return sv[1];
}

static void socket_queued_on_itself(void)
{
	int sv[2], keep, w = witness(&keep);

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	/* sv[1] travels over sv[0]: it lands in its own receive queue, with the witness. */
	CHECK_EQ(send_fd(sv[0], w), 1);
	CHECK_EQ(send_fd(sv[0], sv[1]), 1);
	close(w);
	close(sv[0]);
	close(sv[1]);
	CHECK(freed(keep));
	close(keep);
}

static void two_pairs_queued_on_each_other(void)
{
	int a[2], b[2], keep, w = witness(&keep);

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, a));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, b));
	CHECK_EQ(send_fd(a[0], b[1]), 1); /* b[1] waits in a[1]'s queue */
	CHECK_EQ(send_fd(b[0], a[1]), 1); /* a[1] waits in b[1]'s queue */
	CHECK_EQ(send_fd(b[0], w), 1);
	close(w);
	close(a[0]);
	close(b[0]);
	close(a[1]);
	close(b[1]);
	CHECK(freed(keep));
	close(keep);
}

static void datagram_socket_queued_on_itself(void)
{
	int sv[2], keep, w = witness(&keep);

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_EQ(send_fd(sv[0], w), 1);
	CHECK_EQ(send_fd(sv[0], sv[1]), 1);
	close(w);
	close(sv[1]);
	close(sv[0]);
	CHECK(freed(keep));
	close(keep);
}

/* A cycle we can still reach (through a socket we hold) is not collected: the sockets
 * come back out and work. */
static void reachable_cycle_survives(void)
{
	int hold[2], a[2], keep, w = witness(&keep), got, got_w;
	char c;

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, hold));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, a));
	CHECK_EQ(send_fd(a[0], a[1]), 1); /* a[1] in its own queue */
	CHECK_EQ(send_fd(a[0], w), 1);
	CHECK_EQ(send_fd(hold[0], a[1]), 1); /* and reachable from hold[1], which we keep */
	close(w);
	close(a[0]);
	close(a[1]);
	CHECK(!freed_within(keep, 10));
	/* Take a[1] back out: its queue still holds itself and the witness. */
	got = recv_fd(hold[1]);
	CHECK(got >= 0);
	int self = recv_fd(got); /* itself */
	CHECK(self >= 0);
	close(self);
	got_w = recv_fd(got);
	CHECK(got_w >= 0);
	CHECK_EQ(write(got_w, "!", 1), 1);
	CHECK_EQ(read(keep, &c, 1), 1);
	CHECK_EQ(c, '!');
	close(got_w);
	close(got);
	close(hold[0]);
	close(hold[1]);
	CHECK(freed(keep));
	close(keep);
}

int main(void)
{
	h_begin();
	RUN(socket_queued_on_itself);
	RUN(two_pairs_queued_on_each_other);
	RUN(datagram_socket_queued_on_itself);
	RUN(reachable_cycle_survives);
	return h_end();
}
