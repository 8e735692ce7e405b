/* unix.c: AF_UNIX sockets: creation, socketpair, shutdown, poll, ioctl, SO_PEERCRED and
 * close. Names are in unix_name.c, data transfer in unix_stream.c and unix_dgram.c. */
#include "sentry/socket/unix_internal.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/sockios.h>

#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

static const struct sock_ops g_unix_stream_ops, g_unix_seqpacket_ops, g_unix_dgram_ops;

struct unix_sock *unix_sock_alloc(int type)
{
	struct unix_sock *u = xcalloc(1, sizeof(*u));
	const struct sock_ops *ops = type == SOCK_STREAM	? &g_unix_stream_ops
				     : type == SOCK_SEQPACKET ? &g_unix_seqpacket_ops
							      : &g_unix_dgram_ops;

	socket_init(&u->sock, AF_UNIX, type, 0, ops);
	u->refs = 1;
	list_init(&u->rxq);
	list_init(&u->acceptq);
	list_init(&u->bound_link);
	list_init(&u->accept_link);
	list_init(&u->wakers);
	list_init(&u->wake_link);
	list_init(&u->gc_link);
	waitq_init(&u->wq);
	return u;
}

void unix_sock_get(struct unix_sock *u)
{
	u->refs++;
}

void unix_sock_put(struct unix_sock *u)
{
	if (--u->refs > 0)
		return;
	unix_purge(u);
	if (u->addr)
		unix_addr_put(u->addr);
	free(u);
}

void unix_addr_put(struct unix_addr *a)
{
	if (--a->refs == 0)
		free(a);
}

void unix_task_cred(struct task *t, struct sock_cred *c)
{
	c->pid = t->tg->tgid;
	c->uid = t->creds.euid;
	c->gid = t->creds.egid;
}

int unix_epipe(struct task *t, int flags)
{
	if (!(flags & MSG_NOSIGNAL) && t)
		task_send_signal(t, SIGPIPE, NULL);
	return -EPIPE;
}

static int unix_shutdown(struct socket *s, int how)
{
	struct unix_sock *u = unix_sk(s), *peer = u->peer;
	unsigned mode, peer_mode = 0;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	mode = (unsigned)how + 1; /* SHUT_RD -> RCV, SHUT_WR -> SEND, SHUT_RDWR -> both */
	u->shutdown |= mode;
	waitq_wake_all(&u->wq);
	if (peer && s->type != SOCK_DGRAM) {
		if (mode & UNIX_RCV_SHUT)
			peer_mode |= UNIX_SEND_SHUT;
		if (mode & UNIX_SEND_SHUT)
			peer_mode |= UNIX_RCV_SHUT;
		peer->shutdown |= peer_mode;
		waitq_wake_all(&peer->wq);
	}
	return 0;
}

static unsigned unix_poll(struct socket *s, struct waitq **wq)
{
	struct unix_sock *u = unix_sk(s);
	unsigned ev = 0;

	*wq = &u->wq;
	if (s->err)
		ev |= POLLERR;
	if (u->shutdown == (UNIX_RCV_SHUT | UNIX_SEND_SHUT))
		ev |= POLLHUP;
	if (u->shutdown & UNIX_RCV_SHUT)
		ev |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (!list_empty(&u->rxq) || u->nacceptq > 0)
		ev |= POLLIN | POLLRDNORM;
	if (s->type != SOCK_DGRAM && u->state == UNIX_UNCONNECTED)
		ev |= POLLHUP;
	/* Writable while at most a quarter of the send buffer is in flight, as Linux, and (for
	 * datagrams) while the peer's queue takes us: else its draining wakes us. */
	if (u->state == UNIX_LISTENING || (u->wmem << 2) > (size_t)s->sndbuf)
		return ev;
	if (s->type != SOCK_STREAM && u->peer && unix_dgram_peer_full(u, u->peer))
		unix_wake_register(u, u->peer);
	else
		ev |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return ev;
}

static long unix_ioctl(struct task *t, struct socket *s, unsigned cmd, uint64_t arg)
{
	struct unix_sock *u = unix_sk(s);
	int n;

	switch (cmd) {
	case SIOCINQ:
		if (u->state == UNIX_LISTENING)
			return -EINVAL;
		if (s->type == SOCK_STREAM)
			n = (int)u->rx_bytes;
		else
			n = list_empty(&u->rxq) ? 0
			    : (int)list_first_entry(&u->rxq, struct unix_skb, link)->len;
		break;
	case SIOCOUTQ:
		n = (int)u->wmem;
		break;
	default:
		return -ENOTTY;
	}
	return copy_to_user(t, uaddr(arg), &n, sizeof(n));
}

static int unix_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
			   size_t *len)
{
	struct unix_sock *u = unix_sk(s);
	struct sock_cred c = {.pid = 0, .uid = (uint32_t)-1, .gid = (uint32_t)-1};
	int v;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	switch (name) {
	case SO_PEERCRED:
		if (u->has_peercred)
			c = u->peercred;
		c.pid = pid_vnr(t, c.pid);
		if (*len > sizeof(c))
			*len = sizeof(c);
		memcpy(val, &c, *len);
		return 0;
	case SO_ACCEPTCONN:
		v = u->state == UNIX_LISTENING;
		if (*len > sizeof(v))
			*len = sizeof(v);
		memcpy(val, &v, *len);
		return 0;
	default:
		return -ENOPROTOOPT;
	}
}

/* Close u: unbind, drop embryos and the peer, free queued messages. */
static void unix_release_sock(struct unix_sock *u, bool embryo)
{
	struct unix_sock *peer = u->peer;
	struct list_head *pos, *next;

	u->dead = true;
	u->shutdown = UNIX_RCV_SHUT | UNIX_SEND_SHUT;
	unix_unbind(u);
	unix_wake_unregister(u);
	unix_wake_pollers(u);
	list_for_each_safe(pos, next, &u->acceptq) {
		struct unix_sock *e = list_entry(pos, struct unix_sock, accept_link);

		list_del(&e->accept_link);
		u->nacceptq--;
		unix_release_sock(e, true);
	}
	if (peer) {
		if (u->sock.type != SOCK_DGRAM) {
			peer->shutdown = UNIX_RCV_SHUT | UNIX_SEND_SHUT;
			if (!list_empty(&u->rxq) || embryo)
				peer->sock.err = ECONNRESET;
		}
		waitq_wake_all(&peer->wq);
		u->peer = NULL;
		unix_sock_put(peer);
	}
	unix_purge(u);
	waitq_wake_all(&u->wq);
	unix_sock_put(u);
}

static void unix_release(struct socket *s)
{
	unix_release_sock(unix_sk(s), false);
	unix_gc(); /* a close may leave a cycle only in-flight references hold */
}

static int unix_check_type(int type, int protocol)
{
	if (protocol && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	switch (type) {
	case SOCK_STREAM:
	case SOCK_DGRAM:
	case SOCK_SEQPACKET:
		return type;
	case SOCK_RAW:
		return SOCK_DGRAM; /* Linux treats raw unix sockets as datagram sockets */
	default:
		return -ESOCKTNOSUPPORT;
	}
}

int unix_socket_new(int type, int protocol, struct socket **out)
{
	int ret = unix_check_type(type, protocol);

	if (ret < 0)
		return ret;
	*out = &unix_sock_alloc(ret)->sock;
	return 0;
}

int unix_socket_pair(struct task *t, int type, int protocol, struct socket **a,
		     struct socket **b)
{
	struct unix_sock *ua, *ub;
	int ret = unix_check_type(type, protocol);

	if (ret < 0)
		return ret;
	ua = unix_sock_alloc(ret);
	ub = unix_sock_alloc(ret);
	unix_pair(ua, ub);
	unix_task_cred(t, &ua->peercred);
	ub->peercred = ua->peercred;
	ua->has_peercred = ub->has_peercred = true;
	*a = &ua->sock;
	*b = &ub->sock;
	return 0;
}

static int no_listen(struct task *t, struct socket *s, int backlog)
{
	return -EOPNOTSUPP;
}

static int no_accept(struct task *t, struct socket *s, bool nonblock, struct socket **out)
{
	return -EOPNOTSUPP;
}

static const struct sock_ops g_unix_stream_ops = {
	.bind = unix_bind,
	.connect = unix_stream_connect,
	.listen = unix_listen,
	.accept = unix_accept,
	.getname = unix_getname,
	.sendmsg = unix_stream_sendmsg,
	.recvmsg = unix_stream_recvmsg,
	.shutdown = unix_shutdown,
	.getsockopt = unix_getsockopt,
	.poll = unix_poll,
	.ioctl = unix_ioctl,
	.release = unix_release,
};

static const struct sock_ops g_unix_seqpacket_ops = {
	.bind = unix_bind,
	.connect = unix_stream_connect,
	.listen = unix_listen,
	.accept = unix_accept,
	.getname = unix_getname,
	.sendmsg = unix_dgram_sendmsg,
	.recvmsg = unix_dgram_recvmsg,
	.shutdown = unix_shutdown,
	.getsockopt = unix_getsockopt,
	.poll = unix_poll,
	.ioctl = unix_ioctl,
	.release = unix_release,
};

static const struct sock_ops g_unix_dgram_ops = {
	.bind = unix_bind,
	.connect = unix_dgram_connect,
	.listen = no_listen,
	.accept = no_accept,
	.getname = unix_getname,
	.sendmsg = unix_dgram_sendmsg,
	.recvmsg = unix_dgram_recvmsg,
	.shutdown = unix_shutdown,
	.getsockopt = unix_getsockopt,
	.poll = unix_poll,
	.ioctl = unix_ioctl,
	.release = unix_release,
};
