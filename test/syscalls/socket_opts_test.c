/* Socket options and generic socket behaviour on AF_UNIX: SO_TYPE/DOMAIN/PROTOCOL/ERROR,
 * SO_SNDBUF/SO_RCVBUF doubling, SO_RCVTIMEO, option errnos, fstat, families and types,
 * sendmmsg/recvmmsg, readv/writev on sockets. */
#include "harness.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>

static int get_int(int fd, int name)
{
	int v = -12345;
	socklen_t len = sizeof(v);

	if (getsockopt(fd, SOL_SOCKET, name, &v, &len) < 0 || len != sizeof(v))
		return -12345;
	return v;
}

static void identity_options(void)
{
	int fd = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	int sq = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));

	CHECK_EQ(get_int(fd, SO_TYPE), SOCK_DGRAM);
	CHECK_EQ(get_int(sq, SO_TYPE), SOCK_SEQPACKET);
	CHECK_EQ(get_int(fd, SO_DOMAIN), AF_UNIX);
	CHECK_EQ(get_int(fd, SO_PROTOCOL), 0);
	CHECK_EQ(get_int(fd, SO_ERROR), 0);
	CHECK_EQ(get_int(fd, SO_ACCEPTCONN), 0);
	CHECK_EQ(get_int(fd, SO_PASSCRED), 0);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_TYPE, &(int){1}, sizeof(int)), ENOPROTOOPT);
	close(sq);
	close(fd);
}

static void buffer_sizes_are_doubled(void)
{
	int fd = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0)), v = 8192;

	CHECK(get_int(fd, SO_SNDBUF) > 0);
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	CHECK_EQ(get_int(fd, SO_SNDBUF), 16384);
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	CHECK_EQ(get_int(fd, SO_RCVBUF), 16384);
	v = 1;
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	CHECK_EQ(get_int(fd, SO_SNDBUF), 4608); /* the minimum */
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	CHECK_EQ(get_int(fd, SO_RCVBUF), 2304);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, 2), EINVAL);
	close(fd);
}

static void option_errors(void)
{
	int fd = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0)), v = 1;
	socklen_t len = sizeof(v);
	char small = 0x55;

	CHECK_ERR(getsockopt(fd, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
	CHECK_ERR(setsockopt(fd, SOL_SOCKET, 9999, &v, sizeof(v)), ENOPROTOOPT);
	CHECK_ERR(getsockopt(fd, 6 /* SOL_TCP */, 1, &v, &len), EOPNOTSUPP);
	CHECK_ERR(setsockopt(fd, 6 /* SOL_TCP */, 1, &v, sizeof(v)), EOPNOTSUPP);
	len = (socklen_t)-1;
	CHECK_ERR(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len), EINVAL);
	/* A short buffer gets the first bytes. */
	len = 1;
	CHECK_OK(getsockopt(fd, SOL_SOCKET, SO_TYPE, &small, &len));
	CHECK_EQ(len, 1);
	CHECK_EQ(small, SOCK_STREAM);
	/* Stored booleans read back. */
	CHECK_OK(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	CHECK_EQ(get_int(fd, SO_REUSEADDR), 1);
	CHECK_ERR(getsockopt(0x7fff, SOL_SOCKET, SO_TYPE, &v, &len), EBADF);
	close(fd);
}

static void receive_timeout(void)
{
	struct timeval tv = {0, 100000}, got; /* whole jiffies for any HZ */
	socklen_t len = sizeof(got);
	struct timespec a, b;
	int sv[2];
	char c;

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &len));
	CHECK_EQ(got.tv_usec, 100000);
	clock_gettime(CLOCK_MONOTONIC, &a);
	CHECK_ERR(read(sv[0], &c, 1), EAGAIN);
	clock_gettime(CLOCK_MONOTONIC, &b);
	CHECK((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) >= 90000000L);
	close(sv[0]);
	close(sv[1]);
}

static void families_and_fstat(void)
{
	struct stat st;
	int fd, sv[2];

	CHECK_ERR(socket(255, SOCK_STREAM, 0), EAFNOSUPPORT);
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 2), EPROTONOSUPPORT);
	CHECK_ERR(socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL);
	CHECK_ERR(socketpair(255, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
	fd = CHECK_OK(socket(AF_UNIX, SOCK_RAW, 0));
	CHECK_EQ(get_int(fd, SO_TYPE), SOCK_DGRAM); /* raw unix sockets are datagram ones */
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	CHECK_ERR(lseek(fd, 0, SEEK_SET), ESPIPE);
	close(fd);
}

static void mmsg_batches(void)
{
	char a[] = "aa", b[] = "bbb", ra[8], rb[8];
	struct iovec iov[2] = {{a, 2}, {b, 3}}, riov[2] = {{ra, sizeof(ra)}, {rb, sizeof(rb)}};
	struct mmsghdr m[2] = {0}, r[2] = {0};
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	for (int i = 0; i < 2; i++) {
		m[i].msg_hdr.msg_iov = &iov[i];
		m[i].msg_hdr.msg_iovlen = 1;
		r[i].msg_hdr.msg_iov = &riov[i];
		r[i].msg_hdr.msg_iovlen = 1;
	}
	CHECK_EQ(sendmmsg(sv[0], m, 2, 0), 2);
	CHECK_EQ(m[0].msg_len, 2);
	CHECK_EQ(m[1].msg_len, 3);
	CHECK_EQ(recvmmsg(sv[1], r, 2, 0, NULL), 2);
	CHECK_EQ(r[0].msg_len, 2);
	CHECK_EQ(r[1].msg_len, 3);
	CHECK_MEM(rb, "bbb", 3);
	/* MSG_WAITFORONE: one waiting message is enough. */
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	CHECK_EQ(recvmmsg(sv[1], r, 2, MSG_WAITFORONE, NULL), 1);
	close(sv[0]);
	close(sv[1]);
}

static void vectored_io(void)
{
	char x[] = "hel", y[] = "lo!", out[8] = {0}, o2[8] = {0};
	struct iovec w[2] = {{x, 3}, {y, 3}}, r[2] = {{out, 2}, {o2, 8}};
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(writev(sv[0], w, 2), 6);
	CHECK_EQ(readv(sv[1], r, 2), 6);
	CHECK_MEM(out, "he", 2);
	CHECK_STR(o2, "llo!");
	close(sv[0]);
	close(sv[1]);
}

static void shutdown_modes(void)
{
	int sv[2];
	char c;

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(shutdown(sv[1], SHUT_RD));
	/* SHUT_RD on one end is SHUT_WR for the other. */
	CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	CHECK_EQ(recv(sv[1], &c, 1, MSG_DONTWAIT), 0);
	CHECK_OK(shutdown(sv[0], SHUT_RDWR));
	CHECK_EQ(recv(sv[0], &c, 1, 0), 0);
	CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
	close(sv[0]);
	close(sv[1]);
}

static void bad_pointers_and_sizes(void)
{
	char buf[4];
	struct iovec iov = {buf, 1}, badiov = {(void *)8, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	socklen_t len = 16;
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_ERR(sendmsg(sv[0], (void *)8, 0), EFAULT);
	CHECK_ERR(recvmsg(sv[0], (void *)8, 0), EFAULT);
	CHECK_ERR(getsockname(sv[0], (void *)8, &len), EFAULT);
	CHECK_ERR(getsockname(sv[0], (void *)buf, (void *)8), EFAULT);
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, (void *)8, 4), EFAULT);
	CHECK_ERR(bind(sv[0], (void *)8, 16), EFAULT);
	CHECK_ERR(bind(sv[0], (void *)buf, 4096), EINVAL);
	mh.msg_iovlen = 5000;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), EMSGSIZE);
	mh.msg_iovlen = 1;
	mh.msg_control = buf;
	mh.msg_controllen = 1UL << 40;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), ENOBUFS);
	mh.msg_control = NULL;
	mh.msg_controllen = 0;
	mh.msg_iov = &badiov;
	CHECK_ERR(sendmsg(sv[0], &mh, 0), EFAULT);
	CHECK_EQ(send(sv[0], "x", 1, 0), 1);
	CHECK_ERR(recv(sv[1], (void *)8, 1, 0), EFAULT);
	close(sv[0]);
	close(sv[1]);
}

static void stored_options_and_rcvlowat(void)
{
	struct linger l = {1, 5}, got = {0};
	socklen_t len = sizeof(got);
	char buf[8] = {0};
	int sv[2], v = 4;
	pid_t pid;

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &l, sizeof(l)));
	CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_LINGER, &got, &len));
	CHECK_EQ(len, sizeof(got));
	CHECK_EQ(got.l_onoff, 1);
	CHECK_EQ(got.l_linger, 5);
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_LINGER, &l, 4), EINVAL);
	CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_PRIORITY, &(int){3}, sizeof(int)));
	CHECK_EQ(get_int(sv[0], SO_PRIORITY), 3);
	CHECK_EQ(get_int(sv[0], SO_RCVLOWAT), 1);
	CHECK_EQ(get_int(sv[0], SO_SNDLOWAT), 1);
	CHECK_ERR(setsockopt(sv[0], SOL_SOCKET, SO_SNDLOWAT, &v, sizeof(v)), ENOPROTOOPT);
	/* SO_RCVLOWAT: a stream read waits until that much has arrived. */
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)));
	CHECK_EQ(get_int(sv[1], SO_RCVLOWAT), 4);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (write(sv[0], "ab", 2) != 2)
			_exit(1);
		usleep(30000);
		_exit(write(sv[0], "cd", 2) == 2 ? 0 : 1);
	}
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 4);
	CHECK_STR(buf, "abcd");
	CHECK_EQ(h_wait(pid), 0);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	h_begin();
	RUN(identity_options);
	RUN(buffer_sizes_are_doubled);
	RUN(option_errors);
	RUN(receive_timeout);
	RUN(families_and_fstat);
	RUN(mmsg_batches);
	RUN(vectored_io);
	RUN(shutdown_modes);
	RUN(bad_pointers_and_sizes);
	RUN(stored_options_and_rcvlowat);
	return h_end();
}
