/* AF_UNIX connections: bind/listen/accept/connect on paths and abstract names, errnos
 * (ENOENT, ECONNREFUSED, EPROTOTYPE, EISCONN, EINVAL), the backlog, getsockname and
 * getpeername lengths, autobind, SO_PEERCRED, ECONNRESET and accept4 flags. */
#include "harness.h"

#include <poll.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

#define NAME_OFF offsetof(struct sockaddr_un, sun_path)

static socklen_t path_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	strcpy(sa->sun_path, path);
	return (socklen_t)(NAME_OFF + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *sa, const char *name)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	memcpy(sa->sun_path + 1, name, strlen(name));
	return (socklen_t)(NAME_OFF + 1 + strlen(name));
}

static int listener(struct sockaddr_un *sa, socklen_t len, int backlog)
{
	int fd = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));

	CHECK_OK(bind(fd, (struct sockaddr *)sa, len));
	CHECK_OK(listen(fd, backlog));
	return fd;
}

static void connect_path_accept_talk(void)
{
	struct sockaddr_un sa, got;
	socklen_t len = path_addr(&sa, h_path("srv")), glen = sizeof(got);
	int l = listener(&sa, len, 4), c, a, v = 0;
	char buf[8] = {0};

	c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c, (struct sockaddr *)&sa, len));
	/* The client may write before the server accepts. */
	CHECK_EQ(write(c, "early", 5), 5);
	a = CHECK_OK(accept(l, (struct sockaddr *)&got, &glen));
	CHECK_EQ(glen, NAME_OFF); /* the client is unbound: just the family */
	CHECK_EQ(read(a, buf, sizeof(buf)), 5);
	CHECK_STR(buf, "early");
	glen = sizeof(got);
	CHECK_OK(getsockname(a, (struct sockaddr *)&got, &glen));
	CHECK_EQ(glen, len);
	CHECK_STR(got.sun_path, h_path("srv"));
	glen = sizeof(got);
	CHECK_OK(getpeername(c, (struct sockaddr *)&got, &glen));
	CHECK_EQ(glen, len);
	glen = sizeof(got);
	CHECK_OK(getsockname(c, (struct sockaddr *)&got, &glen));
	CHECK_EQ(glen, NAME_OFF);
	glen = sizeof(int);
	CHECK_OK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &glen));
	CHECK_EQ(v, 1);
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, len), EISCONN);
	CHECK_ERR(listen(c, 1), EINVAL);
	close(a);
	close(c);
	close(l);
}

static void connect_errors(void)
{
	struct sockaddr_un sa;
	int c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0)), d, l;

	CHECK_ERR(connect(c, (struct sockaddr *)&sa, path_addr(&sa, h_path("none"))), ENOENT);
	h_make_file("plain", "x");
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, path_addr(&sa, h_path("plain"))),
		  ECONNREFUSED);
	/* Bound but not listening. */
	d = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(bind(d, (struct sockaddr *)&sa, path_addr(&sa, h_path("idle"))));
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, path_addr(&sa, h_path("idle"))),
		  ECONNREFUSED);
	CHECK_ERR(bind(d, (struct sockaddr *)&sa, path_addr(&sa, h_path("again"))), EINVAL);
	CHECK_ERR(accept(d, NULL, NULL), EINVAL);
	close(d);
	/* A datagram socket there: wrong type. */
	d = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_OK(bind(d, (struct sockaddr *)&sa, path_addr(&sa, h_path("dg"))));
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, path_addr(&sa, h_path("dg"))), EPROTOTYPE);
	close(d);
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, abstract_addr(&sa, "runsc-nobody")),
		  ECONNREFUSED);
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, 1), EINVAL);
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, sizeof(sa) + 100), EINVAL);
	sa.sun_family = AF_INET;
	CHECK_ERR(bind(c, (struct sockaddr *)&sa, sizeof(sa)), EINVAL);
	/* Listening without a name is EINVAL. */
	CHECK_ERR(listen(c, 1), EINVAL);
	close(c);
	/* Unlinking the node makes the name unreachable. */
	l = listener(&sa, path_addr(&sa, h_path("gone")), 1);
	CHECK_OK(unlink(h_path("gone")));
	c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, path_addr(&sa, h_path("gone"))), ENOENT);
	close(c);
	close(l);
}

static void abstract_names_and_autobind(void)
{
	struct sockaddr_un sa, got;
	socklen_t len = abstract_addr(&sa, "runsc-abs-test"), glen = sizeof(got);
	int l = listener(&sa, len, 1), c, a, d;

	c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c, (struct sockaddr *)&sa, len));
	a = CHECK_OK(accept(l, NULL, NULL));
	CHECK_OK(getpeername(c, (struct sockaddr *)&got, &glen));
	CHECK_EQ(glen, len);
	CHECK_MEM(got.sun_path, "\0runsc-abs-test", 15);
	d = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(bind(d, (struct sockaddr *)&sa, len), EADDRINUSE);
	/* Binding just the family picks "\0" and five hex digits. */
	CHECK_OK(bind(d, (struct sockaddr *)&sa, sizeof(sa_family_t)));
	glen = sizeof(got);
	CHECK_OK(getsockname(d, (struct sockaddr *)&got, &glen));
	CHECK_EQ(glen, NAME_OFF + 6);
	CHECK_EQ(got.sun_path[0], 0);
	close(d);
	close(a);
	close(c);
	close(l);
	/* The name is free again once its socket is closed. */
	l = listener(&sa, len, 1);
	close(l);
}

static void passcred_autobinds_dgram_connect(void)
{
	struct sockaddr_un sa, got;
	socklen_t len = abstract_addr(&sa, "runsc-dg-autobind"), glen = sizeof(got);
	int rx = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	int tx = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0)), one = 1;

	CHECK_OK(bind(rx, (struct sockaddr *)&sa, len));
	CHECK_OK(connect(tx, (struct sockaddr *)&sa, len));
	CHECK_OK(getsockname(tx, (struct sockaddr *)&got, &glen));
	CHECK_EQ(glen, NAME_OFF); /* no SO_PASSCRED: no autobind */
	close(tx);
	tx = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_OK(setsockopt(tx, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)));
	CHECK_OK(connect(tx, (struct sockaddr *)&sa, len));
	glen = sizeof(got);
	CHECK_OK(getsockname(tx, (struct sockaddr *)&got, &glen));
	CHECK_EQ(glen, NAME_OFF + 6);
	close(tx);
	close(rx);
}

static void backlog_limits_pending(void)
{
	struct sockaddr_un sa;
	socklen_t len = abstract_addr(&sa, "runsc-backlog");
	int l = listener(&sa, len, 1), c[4], n = 0;

	for (int i = 0; i < 4; i++) {
		c[i] = CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
		if (connect(c[i], (struct sockaddr *)&sa, len) == 0)
			n++;
		else
			CHECK_EQ(errno, EAGAIN);
	}
	CHECK_EQ(n, 2); /* Linux admits backlog + 1 */
	for (int i = 0; i < 4; i++)
		close(c[i]);
	close(l);
}

static void accept_blocks_and_flags(void)
{
	struct sockaddr_un sa;
	socklen_t len = abstract_addr(&sa, "runsc-accept4");
	int l = listener(&sa, len, 1), a;
	struct pollfd p = {.fd = l, .events = POLLIN};
	pid_t pid;

	CHECK_ERR(accept4(l, NULL, NULL, 0x1234), EINVAL);
	CHECK_EQ(poll(&p, 1, 0), 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int c = socket(AF_UNIX, SOCK_STREAM, 0);

		usleep(20000);
		if (connect(c, (struct sockaddr *)&sa, len) < 0 || write(c, "k", 1) != 1)
			_exit(1);
		_exit(0);
	}
	a = CHECK_OK(accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
	CHECK(fcntl(a, F_GETFL) & O_NONBLOCK);
	CHECK(fcntl(a, F_GETFD) & FD_CLOEXEC);
	CHECK_EQ(h_wait(pid), 0);
	close(a);
	fcntl(l, F_SETFL, O_NONBLOCK);
	CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
	close(l);
}

static void peercred_is_connect_time_creds(void)
{
	struct sockaddr_un sa;
	socklen_t len = abstract_addr(&sa, "runsc-peercred");
	int l = listener(&sa, len, 1), c, a, sv[2];
	struct ucred cr;
	socklen_t clen = sizeof(cr);

	c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &clen));
	CHECK_EQ(cr.pid, 0);
	CHECK_EQ(cr.uid, (uid_t)-1);
	CHECK_OK(connect(c, (struct sockaddr *)&sa, len));
	a = CHECK_OK(accept(l, NULL, NULL));
	clen = sizeof(cr);
	CHECK_OK(getsockopt(a, SOL_SOCKET, SO_PEERCRED, &cr, &clen));
	CHECK_EQ(clen, sizeof(cr));
	CHECK_EQ(cr.pid, getpid());
	CHECK_EQ(cr.uid, geteuid());
	CHECK_EQ(cr.gid, getegid());
	CHECK_OK(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &clen));
	CHECK_EQ(cr.pid, getpid());
	close(a);
	close(c);
	close(l);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_OK(getsockopt(sv[1], SOL_SOCKET, SO_PEERCRED, &cr, &clen));
	CHECK_EQ(cr.pid, getpid());
	close(sv[0]);
	close(sv[1]);
}

static void reset_when_closed_with_unread_data(void)
{
	char buf[4];
	int sv[2];

	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_EQ(write(sv[1], "unread", 6), 6);
	CHECK_EQ(write(sv[0], "z", 1), 1);
	close(sv[0]);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 1); /* queued data first */
	CHECK_ERR(read(sv[1], buf, sizeof(buf)), ECONNRESET);
	CHECK_EQ(read(sv[1], buf, sizeof(buf)), 0);
	close(sv[1]);
}

static void listener_closed_with_pending_client(void)
{
	struct sockaddr_un sa;
	socklen_t len = abstract_addr(&sa, "runsc-pending");
	int l = listener(&sa, len, 1), c;
	char b;

	c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_OK(connect(c, (struct sockaddr *)&sa, len));
	close(l);
	CHECK_ERR(read(c, &b, 1), ECONNRESET);
	CHECK_EQ(read(c, &b, 1), 0);
	close(c);
}

static void seqpacket_listen_accept(void)
{
	struct sockaddr_un sa;
	socklen_t len = abstract_addr(&sa, "runsc-seqpacket");
	int l = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0)), c, a;
	char buf[8] = {0};

	CHECK_OK(bind(l, (struct sockaddr *)&sa, len));
	CHECK_OK(listen(l, 2));
	c = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
	CHECK_OK(connect(c, (struct sockaddr *)&sa, len));
	a = CHECK_OK(accept(l, NULL, NULL));
	CHECK_EQ(send(c, "one", 3, 0), 3);
	CHECK_EQ(send(c, "two", 3, 0), 3);
	CHECK_EQ(recv(a, buf, sizeof(buf), 0), 3);
	CHECK_EQ(recv(a, buf, sizeof(buf), 0), 3);
	CHECK_STR(buf, "two");
	close(c);
	CHECK_EQ(recv(a, buf, sizeof(buf), 0), 0);
	close(a);
	/* Abstract names are per type: a stream client finds nobody, and a datagram socket
	 * may take the same name. */
	c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
	CHECK_ERR(connect(c, (struct sockaddr *)&sa, len), ECONNREFUSED);
	close(c);
	c = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
	CHECK_OK(bind(c, (struct sockaddr *)&sa, len));
	close(c);
	close(l);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(connect_path_accept_talk);
	RUN(connect_errors);
	RUN(abstract_names_and_autobind);
	RUN(passcred_autobinds_dgram_connect);
	RUN(backlog_limits_pending);
	RUN(accept_blocks_and_flags);
	RUN(peercred_is_connect_time_creds);
	RUN(reset_when_closed_with_unread_data);
	RUN(listener_closed_with_pending_client);
	RUN(seqpacket_listen_accept);
	return h_end();
}
