/* AF_UNIX control messages: SCM_RIGHTS (passing, MSG_CTRUNC, MSG_CMSG_CLOEXEC, peeking,
 * closing fds still in flight, bad fds) and SCM_CREDENTIALS with SO_PASSCRED. */
#include "harness.h"

#include <sys/socket.h>
#include <sys/uio.h>

/* Send one byte with fds (n of them) in SCM_RIGHTS. */
static ssize_t send_fds(int sock, const int *fds, int n)
{
	char ctl[CMSG_SPACE(sizeof(int) * 8)] = {0};
	struct iovec iov = {"F", 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	return sendmsg(sock, &mh, 0);
}

/* Receive one byte and up to max fds into out; returns the count of fds, sets *flags. */
static int recv_fds(int sock, int *out, int max, size_t ctl_size, int rflags, int *flags)
{
	char ctl[512] = {0}, b;
	struct iovec iov = {&b, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl_size ? ctl : NULL,
			    .msg_controllen = ctl_size};
	struct cmsghdr *c;
	int n = 0;

	if (recvmsg(sock, &mh, rflags) != 1)
		return -1;
	*flags = mh.msg_flags;
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN(0)) / sizeof(int) && n < max; i++)
			memcpy(&out[n++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}
	return n;
}

static void rights_pass_a_pipe(void)
{
	int sv[2], p[2], got[4], flags = 0;
	char buf[8] = {0};

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(pipe(p));
	CHECK_EQ(send_fds(sv[0], &p[1], 1), 1);
	close(p[1]); /* in flight: the message keeps the write end open */
	CHECK_EQ(recv_fds(sv[1], got, 4, 512, 0, &flags), 1);
	CHECK_EQ(flags & MSG_CTRUNC, 0);
	CHECK(got[0] != p[1] || fcntl(got[0], F_GETFD) >= 0);
	CHECK_EQ(write(got[0], "via", 3), 3);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);
	CHECK_STR(buf, "via");
	CHECK_EQ(fcntl(got[0], F_GETFD) & FD_CLOEXEC, 0);
	close(got[0]);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0); /* the last write end is gone */
	close(p[0]);
	close(sv[0]);
	close(sv[1]);
}

static void rights_ctrunc_and_cloexec(void)
{
	int sv[2], fds[3], got[4], flags = 0, n;

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	for (int i = 0; i < 3; i++)
		fds[i] = CHECK_OK(open("/dev/null", O_RDONLY));
	CHECK_EQ(send_fds(sv[0], fds, 3), 1);
	/* Room for one fd only: one installed, MSG_CTRUNC, the rest closed. */
	n = recv_fds(sv[1], got, 4, CMSG_LEN(sizeof(int)), MSG_CMSG_CLOEXEC, &flags);
	CHECK_EQ(n, 1);
	CHECK(flags & MSG_CTRUNC);
	CHECK(fcntl(got[0], F_GETFD) & FD_CLOEXEC);
	close(got[0]);
	/* No control buffer at all. */
	CHECK_EQ(send_fds(sv[0], fds, 2), 1);
	CHECK_EQ(recv_fds(sv[1], got, 4, 0, 0, &flags), 0);
	CHECK(flags & MSG_CTRUNC);
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	close(sv[0]);
	close(sv[1]);
}

static void rights_peek_duplicates(void)
{
	int sv[2], fd, got[2], flags = 0;

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	fd = CHECK_OK(open("/dev/null", O_RDONLY));
	CHECK_EQ(send_fds(sv[0], &fd, 1), 1);
	CHECK_EQ(recv_fds(sv[1], got, 2, 512, MSG_PEEK, &flags), 1);
	CHECK_EQ(recv_fds(sv[1], &got[1], 1, 512, 0, &flags), 1);
	CHECK(got[0] != got[1]);
	CHECK_OK(fcntl(got[0], F_GETFD));
	CHECK_OK(fcntl(got[1], F_GETFD));
	close(got[0]);
	close(got[1]);
	close(fd);
	close(sv[0]);
	close(sv[1]);
}

static void rights_closed_in_flight(void)
{
	int sv[2], inner[2], p[2];
	char b;

	/* A socket carrying a socket carrying a pipe end: closing everything unread frees
	 * them all (the pipe's reader sees EOF). */
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, inner));
	CHECK_OK(pipe(p));
	CHECK_EQ(send_fds(inner[0], &p[1], 1), 1);
	close(p[1]);
	CHECK_EQ(send_fds(sv[0], &inner[1], 1), 1);
	close(inner[0]);
	close(inner[1]);
	close(sv[0]);
	close(sv[1]);
	CHECK_EQ(read(p[0], &b, 1), 0);
	close(p[0]);
}

static void rights_errors(void)
{
	int sv[2], bad = 0x7fff, many[8];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_ERR(send_fds(sv[0], &bad, 1), EBADF);
	for (int i = 0; i < 8; i++)
		many[i] = 0;
	CHECK_EQ(send_fds(sv[0], many, 8), 1);
	{
		/* A bogus cmsg_len is EINVAL. */
		char ctl[CMSG_SPACE(sizeof(int))] = {0};
		struct iovec iov = {"x", 1};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
				    .msg_controllen = sizeof(ctl)};
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = sizeof(ctl) + 64;
		CHECK_ERR(sendmsg(sv[0], &mh, 0), EINVAL);
	}
	close(sv[0]);
	close(sv[1]);
}

static void credentials_with_passcred(void)
{
	int sv[2], one = 1;
	char ctl[CMSG_SPACE(sizeof(struct ucred))], b;
	struct iovec iov = {&b, 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;
	struct ucred cr;

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)));
	CHECK_EQ(send(sv[0], "c", 1, 0), 1);
	CHECK_EQ(recvmsg(sv[1], &mh, 0), 1);
	c = CMSG_FIRSTHDR(&mh);
	CHECK(c != NULL);
	if (c) {
		CHECK_EQ(c->cmsg_type, SCM_CREDENTIALS);
		CHECK_EQ(c->cmsg_len, CMSG_LEN(sizeof(cr)));
		memcpy(&cr, CMSG_DATA(c), sizeof(cr));
		CHECK_EQ(cr.pid, getpid());
		CHECK_EQ(cr.uid, getuid());
		CHECK_EQ(cr.gid, getgid());
	}
	/* Explicit credentials: our own pass; root may claim others, others get EPERM. */
	mh.msg_controllen = sizeof(ctl);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(cr));
	cr.pid = getpid();
	cr.uid = getuid();
	cr.gid = getgid();
	memcpy(CMSG_DATA(c), &cr, sizeof(cr));
	b = 'e';
	CHECK_EQ(sendmsg(sv[0], &mh, 0), 1);
	CHECK_EQ(recv(sv[1], &b, 1, 0), 1);
	close(sv[0]);
	close(sv[1]);
}

static void rights_deep_chain_released(void)
{
	int prev[2], cur[2], p[2];
	char b;

	/* Twenty thousand sockets, each queued inside the next, the innermost holding a pipe's
	 * write end: closing the outermost frees them all without exhausting any stack. */
	CHECK_OK(pipe(p));
	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, prev));
	CHECK_EQ(send_fds(prev[0], &p[1], 1), 1);
	close(p[1]);
	close(prev[0]);
	for (int i = 0; i < 20000; i++) {
		if (socketpair(AF_UNIX, SOCK_DGRAM, 0, cur) < 0 || send_fds(cur[0], &prev[1], 1) != 1) {
			CHECK(!"building the chain");
			break;
		}
		close(prev[1]);
		close(cur[0]);
		prev[1] = cur[1];
	}
	close(prev[1]);
	CHECK_EQ(read(p[0], &b, 1), 0);
	close(p[0]);
}

/* Send explicit credentials; returns sendmsg's result. */
static ssize_t send_cred(int sock, pid_t pid, uid_t uid, gid_t gid)
{
	char ctl[CMSG_SPACE(sizeof(struct ucred))] = {0};
	struct iovec iov = {"C", 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	struct ucred cr = {.pid = pid, .uid = uid, .gid = gid};

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(cr));
	memcpy(CMSG_DATA(c), &cr, sizeof(cr));
	return sendmsg(sock, &mh, MSG_DONTWAIT);
}

static int g_cred_sock;

static void unprivileged_cred_claims(void)
{
	if (setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
		_exit(10);
	if (send_cred(g_cred_sock, getpid(), 65534, 65534) != 1)
		_exit(11);
	errno = 0;
	if (send_cred(g_cred_sock, getpid(), 0, 65534) != -1 || errno != EPERM)
		_exit(12);
	if (send_cred(g_cred_sock, 1, 65534, 65534) != -1 || errno != EPERM)
		_exit(13);
	_exit(0);
}

static void credentials_checked_without_privilege(void)
{
	int sv[2], status;

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	g_cred_sock = sv[0];
	status = h_in_child(unprivileged_cred_claims);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	/* Root may claim any credentials. */
	CHECK_EQ(send_cred(sv[0], 1, 123, 456), 1);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	h_begin();
	RUN(rights_pass_a_pipe);
	RUN(rights_ctrunc_and_cloexec);
	RUN(rights_peek_duplicates);
	RUN(rights_closed_in_flight);
	RUN(rights_errors);
	RUN(credentials_with_passcred);
	RUN(rights_deep_chain_released);
	if (geteuid() == 0)
		RUN(credentials_checked_without_privilege);
	return h_end();
}
