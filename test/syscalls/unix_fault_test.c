/* unix_fault: faults in the application's memory on unix sockets, as Linux answers them.
 * A stream keeps a piece (one send) it could not deliver whole and returns the pieces
 * before it (EFAULT if none); a datagram or seqpacket message that faults is lost unless
 * peeked; either way the bytes before the fault are written though not counted. A send
 * or write whose source faults sends the stream pieces before the fault (nothing for a
 * message). recvfrom reads the name's length only
 * after the receive; a control buffer that faults gets no fds (MSG_CTRUNC), the data
 * still arrives. Values measured on Linux. */
#include "harness.h"
#include "fault_buf.h"

#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>


static char g_src[8192];

static void pair(int type, int s[2])
{
	CHECK_OK(socketpair(AF_UNIX, type | SOCK_NONBLOCK, 0, s));
}

static void stream_keeps_piece_that_faults(void)
{
	char *b = faulting_buf();
	int s[2];

	pair(SOCK_STREAM, s);
	CHECK_EQ(send(s[0], g_src, 100, 0), 100);
	CHECK_EQ(send(s[0], g_src + 100, 100, 0), 100);
	CHECK_ERR(recv(s[1], b + 2 * P - 50, 100, 0), EFAULT);
	CHECK_EQ(avail(s[1]), 200);
	CHECK_ERR(read(s[1], b + 2 * P - 50, 100), EFAULT);
	CHECK_ERR(recv(s[1], b + 2 * P, 100, MSG_PEEK), EFAULT);
	CHECK_EQ(avail(s[1]), 200);
	CHECK_EQ(recv(s[1], b + 2 * P - 150, 300, 0), 100);
	CHECK_MEM(b + 2 * P - 150, g_src, 100);
	/* The next piece's bytes before the fault were written too, though not counted. */
	CHECK_MEM(b + 2 * P - 50, g_src + 100, 50);
	CHECK_EQ(avail(s[1]), 100);
	CHECK_EQ(read(s[1], b, 300), 100);
	CHECK_MEM(b, g_src + 100, 100);
	close(s[0]);
	close(s[1]);
	munmap(b, 3 * P);
}

/* A receive that faults still writes the bytes before the fault, on every type, through
 * recv, read, a peek and recvmsg's iovecs, though it fails with EFAULT. */
static void fault_writes_bytes_before_it(void)
{
	int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	char *b = faulting_buf();

	for (int i = 0; i < 3; i++) {
		struct iovec v[2] = { { b, 30 }, { b + 2 * P - 10, 70 } };
		struct msghdr m = { .msg_iov = v, .msg_iovlen = 2 };
		int s[2];

		pair(types[i], s);
		memset(b, 0, 2 * P);
		CHECK_EQ(send(s[0], g_src, 100, 0), 100);
		CHECK_ERR(recv(s[1], b + 2 * P - 50, 100, MSG_PEEK), EFAULT);
		CHECK_MEM(b + 2 * P - 50, g_src, 50);
		memset(b, 0, 2 * P);
		CHECK_ERR(recv(s[1], b + 2 * P - 50, 100, 0), EFAULT);
		CHECK_MEM(b + 2 * P - 50, g_src, 50);
		CHECK_EQ(avail(s[1]), types[i] == SOCK_STREAM ? 100 : 0);
		memset(b, 0, 2 * P);
		CHECK_EQ(send(s[0], g_src + 100, 100, 0), 100);
		CHECK_ERR(read(s[1], b + 2 * P - 40, 100), EFAULT);
		CHECK_MEM(b + 2 * P - 40, types[i] == SOCK_STREAM ? g_src : g_src + 100, 40);
		memset(b, 0, 2 * P);
		CHECK_EQ(send(s[0], g_src + 200, 100, 0), 100);
		CHECK_ERR(recvmsg(s[1], &m, 0), EFAULT);
		if (types[i] != SOCK_STREAM) {
			CHECK_MEM(b, g_src + 200, 30);
			CHECK_MEM(b + 2 * P - 10, g_src + 230, 10);
		} else {
			CHECK_MEM(b, g_src, 30);
			CHECK_MEM(b + 2 * P - 10, g_src + 30, 10);
		}
		close(s[0]);
		close(s[1]);
	}
	munmap(b, 3 * P);
}

/* Datagrams and seqpacket messages: a fault loses the message, a peek keeps it. */
static void check_message_lost(int type)
{
	char *b = faulting_buf();
	int s[2];

	pair(type, s);
	CHECK_EQ(send(s[0], g_src, 100, 0), 100);
	CHECK_EQ(send(s[0], g_src + 100, 100, 0), 100);
	CHECK_EQ(send(s[0], g_src + 200, 100, 0), 100);
	CHECK_ERR(recv(s[1], b + 2 * P, 100, MSG_PEEK), EFAULT);
	CHECK_ERR(recv(s[1], b + 2 * P - 50, 100, 0), EFAULT);
	CHECK_ERR(read(s[1], b + 2 * P - 50, 100), EFAULT);
	CHECK_EQ(recv(s[1], b, 300, 0), 100);
	CHECK_MEM(b, g_src + 200, 100);
	CHECK_ERR(recv(s[1], b, 300, 0), EAGAIN);
	/* MSG_TRUNC does not spare a message that faults. */
	CHECK_EQ(send(s[0], g_src, 100, 0), 100);
	CHECK_ERR(recv(s[1], b + 2 * P - 50, 100, MSG_TRUNC), EFAULT);
	CHECK_ERR(recv(s[1], b, 300, 0), EAGAIN);
	close(s[0]);
	close(s[1]);
	munmap(b, 3 * P);
}

static void dgram_message_lost_on_fault(void)
{
	check_message_lost(SOCK_DGRAM);
}

static void seqpacket_message_lost_on_fault(void)
{
	check_message_lost(SOCK_SEQPACKET);
}

/* A faulting source sends nothing, on every type. */
static void send_from_faulting_source(void)
{
	int types[] = { SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET };
	char *b = faulting_buf();

	for (int i = 0; i < 3; i++) {
		int s[2];

		pair(types[i], s);
		CHECK_ERR(send(s[0], b + 2 * P - 50, 100, 0), EFAULT);
		CHECK_ERR(send(s[0], b + P - 100, 5000, 0), EFAULT);
		CHECK_EQ(avail(s[1]), 0);
		CHECK_EQ(send(s[0], b + 2 * P - 50, 50, 0), 50);
		CHECK_EQ(avail(s[1]), 50);
		close(s[0]);
		close(s[1]);
	}
	munmap(b, 3 * P);
}

/* A large stream send goes in pieces of 36544 bytes (Linux's skb size for the default
 * buffer): the pieces before the one holding the fault are sent. */
static void stream_send_keeps_pieces_before_fault(void)
{
	char *b = mmap(NULL, 64 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static char sink[1 << 20];
	int s[2];

	CHECK(b != MAP_FAILED);
	CHECK_OK(mprotect(b + 40 * P, P, PROT_NONE));
	pair(SOCK_STREAM, s);
	CHECK_EQ(send(s[0], b, 50 * P, 0), 4 * 36544);
	CHECK_EQ(avail(s[1]), 4 * 36544);
	while (recv(s[1], sink, sizeof(sink), 0) > 0)
		;
	CHECK_EQ(send(s[0], b + 20 * P, 30 * P, 0), 2 * 36544);
	CHECK_EQ(recv(s[1], sink, sizeof(sink), 0), 2 * 36544);
	CHECK_ERR(send(s[0], b + 40 * P - 100, 200, 0), EFAULT);
	close(s[0]);
	close(s[1]);
	munmap(b, 64 * P);
}

/* write(2) and writev(2) cut a stream the same way as send. */
static void stream_write_keeps_pieces_before_fault(void)
{
	char *b = mmap(NULL, 64 * P, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iovec small[3] = { { b, 1000 }, { b + 10 * P, 1000 }, { b + 40 * P - 10, 100 } };
	struct iovec big[3] = { { b, 30000 }, { b + 10 * P, 30000 }, { b + 40 * P - 10, 100 } };
	struct iovec late[2] = { { b, 30000 }, { b + 40 * P, 100 } };
	static char sink[1 << 20];
	int s[2];

	CHECK(b != MAP_FAILED);
	CHECK_OK(mprotect(b + 40 * P, P, PROT_NONE));
	pair(SOCK_STREAM, s);
	CHECK_EQ(write(s[0], b, 50 * P), 4 * 36544);
	CHECK_EQ(recv(s[1], sink, sizeof(sink), 0), 4 * 36544);
	CHECK_EQ(write(s[0], b + 20 * P, 30 * P), 2 * 36544);
	CHECK_EQ(recv(s[1], sink, sizeof(sink), 0), 2 * 36544);
	CHECK_ERR(write(s[0], b + 40 * P - 100, 200), EFAULT);
	CHECK_ERR(writev(s[0], small, 3), EFAULT);
	CHECK_ERR(writev(s[0], late, 2), EFAULT);
	CHECK_EQ(avail(s[1]), 0);
	CHECK_EQ(writev(s[0], big, 3), 36544);
	CHECK_EQ(recv(s[1], sink, sizeof(sink), 0), 36544);
	CHECK_MEM(sink, b, 30000);
	close(s[0]);
	close(s[1]);
	munmap(b, 64 * P);
}

/* Datagrams and seqpacket messages from a source that faults are not sent. */
static void message_write_from_faulting_source(void)
{
	int types[] = { SOCK_DGRAM, SOCK_SEQPACKET };
	char *b = faulting_buf();
	struct iovec v[2] = { { g_src, 30 }, { b + 2 * P - 10, 70 } };

	for (int i = 0; i < 2; i++) {
		int s[2];

		pair(types[i], s);
		CHECK_ERR(write(s[0], b + 2 * P - 10, 20), EFAULT);
		CHECK_ERR(writev(s[0], v, 2), EFAULT);
		CHECK_EQ(avail(s[1]), 0);
		CHECK_EQ(writev(s[0], v, 1), 30);
		CHECK_EQ(avail(s[1]), 30);
		close(s[0]);
		close(s[1]);
	}
	munmap(b, 3 * P);
}

/* recvfrom: a bad length pointer fails after the data was taken; recvmsg: a bad msghdr
 * or iovec array fails first, a read-only msghdr after. */
static void bad_name_and_msghdr(void)
{
	char *b = faulting_buf();
	struct iovec v = { b, 100 };
	struct msghdr *ro = (struct msghdr *)(b + 2 * P - sizeof(struct msghdr));
	struct msghdr badiov = { .msg_iov = (struct iovec *)(b + 2 * P), .msg_iovlen = 1 };
	int s[2];

	pair(SOCK_STREAM, s);
	CHECK_EQ(send(s[0], g_src, 10, 0), 10);
	CHECK_ERR(recvfrom(s[1], b, 100, 0, (struct sockaddr *)b, (socklen_t *)(b + 2 * P)),
		  EFAULT);
	CHECK_EQ(avail(s[1]), 0);
	CHECK_EQ(send(s[0], g_src, 10, 0), 10);
	CHECK_ERR(recvfrom(s[1], b, 100, 0, (struct sockaddr *)b, NULL), EFAULT);
	CHECK_EQ(avail(s[1]), 0);
	CHECK_EQ(send(s[0], g_src, 10, 0), 10);
	CHECK_ERR(recvmsg(s[1], (struct msghdr *)(b + 2 * P), 0), EFAULT);
	CHECK_ERR(recvmsg(s[1], &badiov, 0), EFAULT);
	CHECK_EQ(avail(s[1]), 10);
	memset(ro, 0, sizeof(*ro));
	ro->msg_iov = &v;
	ro->msg_iovlen = 1;
	CHECK_OK(mprotect(b + P, P, PROT_READ));
	CHECK_ERR(recvmsg(s[1], ro, 0), EFAULT);
	CHECK_EQ(avail(s[1]), 0);
	CHECK_OK(mprotect(b + P, P, PROT_READ | PROT_WRITE));
	close(s[0]);
	close(s[1]);
	munmap(b, 3 * P);
}

/* The control buffer faults before the fd's slot: the data arrives, no fd is installed,
 * MSG_CTRUNC. A faulting control buffer on send is EFAULT. */
static void rights_into_faulting_control(void)
{
	char *b = faulting_buf(), cb[CMSG_SPACE(sizeof(int))];
	struct iovec v = { g_src, 10 }, rv = { b, 100 };
	struct msghdr m = { .msg_iov = &v, .msg_iovlen = 1, .msg_control = cb,
			    .msg_controllen = sizeof(cb) };
	struct msghdr rm = { .msg_iov = &rv, .msg_iovlen = 1, .msg_control = b + 2 * P - 8,
			     .msg_controllen = sizeof(cb) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&m);
	int s[2], fd = CHECK_OK(dup(0)), next;

	pair(SOCK_STREAM, s);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(fd));
	CHECK_EQ(sendmsg(s[0], &m, 0), 10);
	m.msg_control = b + 2 * P;
	CHECK_ERR(sendmsg(s[0], &m, 0), EFAULT);
	close(fd);
	next = CHECK_OK(dup(0));
	close(next);
	CHECK_EQ(recvmsg(s[1], &rm, 0), 10);
	CHECK_EQ(rm.msg_controllen, 0);
	CHECK_EQ(rm.msg_flags, MSG_CTRUNC);
	CHECK_EQ(avail(s[1]), 0);
	CHECK_EQ(dup(0), next); /* nothing was installed */
	close(next);
	/* Two fds, room before the fault for the header and one: that one is installed. */
	{
		int two[2] = { 0, 0 };
		char cb2[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr *h = (struct cmsghdr *)(b + 2 * P - 20);

		m.msg_control = cb2;
		m.msg_controllen = sizeof(cb2);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(2 * sizeof(int));
		memcpy(CMSG_DATA(c), two, sizeof(two));
		CHECK_EQ(sendmsg(s[0], &m, 0), 10);
		rm.msg_control = h;
		rm.msg_controllen = sizeof(cb2);
		CHECK_EQ(recvmsg(s[1], &rm, 0), 10);
		CHECK_EQ(rm.msg_flags, MSG_CTRUNC);
		CHECK_EQ(rm.msg_controllen, CMSG_SPACE(sizeof(int)));
		CHECK_EQ(h->cmsg_len, CMSG_LEN(sizeof(int)));
		CHECK_EQ(h->cmsg_type, SCM_RIGHTS);
		CHECK_EQ(*(int *)CMSG_DATA(h), next);
		CHECK_EQ(fcntl(next, F_GETFD), 0);
		close(next);
		CHECK_EQ(dup(0), next); /* only one was installed */
		close(next);
	}
	close(s[0]);
	close(s[1]);
	munmap(b, 3 * P);
}

int main(void)
{
	h_begin();
	for (size_t i = 0; i < sizeof(g_src); i++)
		g_src[i] = (char)(i * 13 + 1);
	RUN(stream_keeps_piece_that_faults);
	RUN(fault_writes_bytes_before_it);
	RUN(dgram_message_lost_on_fault);
	RUN(seqpacket_message_lost_on_fault);
	RUN(send_from_faulting_source);
	RUN(stream_send_keeps_pieces_before_fault);
	RUN(stream_write_keeps_pieces_before_fault);
	RUN(message_write_from_faulting_source);
	RUN(bad_name_and_msghdr);
	RUN(rights_into_faulting_control);
	return h_end();
}
