/* unix_dgram.c: AF_UNIX message queues (the messages every type sends, with their passed
 * fds and credentials) and the datagram/seqpacket send and receive paths: boundaries,
 * MSG_TRUNC, MSG_PEEK, sendto a bound name, connect/disconnect of datagram sockets. */
#include "sentry/socket/unix_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"


struct unix_skb *unix_skb_new(struct unix_sock *from, const void *data, size_t len)
{
	struct unix_skb *skb = xmalloc(sizeof(*skb) + len);

	memset(skb, 0, sizeof(*skb));
	list_init(&skb->link);
	memcpy(skb->data, data, len);
	skb->len = len;
	skb->truesize = len + UNIX_SKB_OVERHEAD;
	skb->from = from;
	unix_sock_get(from);
	from->wmem += skb->truesize;
	skb->addr = from->addr;
	if (skb->addr)
		skb->addr->refs++;
	return skb;
}

/* Files whose last in-flight reference is going, waiting for the outermost put. */
static struct file **g_deferred;
static size_t g_ndeferred, g_deferred_cap;
static bool g_draining;

/* Drop references to passed files. Closing a socket closes the sockets queued inside it,
 * which close theirs...: only the outermost call puts files, in a loop, so a deep chain
 * cannot exhaust the Sentry's stack (Linux has no nesting limit either). */
static void put_files(struct file **fds, int n)
{
	if (g_ndeferred + (size_t)n > g_deferred_cap) {
		g_deferred_cap = MAX(g_deferred_cap * 2, g_ndeferred + (size_t)n + 16);
		g_deferred = xrealloc(g_deferred, g_deferred_cap * sizeof(*g_deferred));
	}
	memcpy(g_deferred + g_ndeferred, fds, (size_t)n * sizeof(*fds));
	g_ndeferred += (size_t)n;
	if (g_draining)
		return;
	g_draining = true;
	while (g_ndeferred > 0)
		file_put(g_deferred[--g_ndeferred]);
	g_draining = false;
}

void unix_skb_free(struct unix_skb *skb)
{
	struct unix_sock *from = skb->from;

	from->wmem -= skb->truesize;
	waitq_wake_all(&from->wq);
	for (int i = 0; i < skb->nfds; i++)
		unix_inflight_del(skb->fds[i]);
	if (skb->nfds)
		put_files(skb->fds, skb->nfds);
	free(skb->fds);
	if (skb->addr)
		unix_addr_put(skb->addr);
	free(skb);
	unix_sock_put(from);
}

void unix_skb_take_control(struct unix_skb *skb, struct task *t, struct sock_msg *m)
{
	skb->fds = m->fds;
	skb->nfds = m->nfds;
	m->fds = NULL;
	m->nfds = 0;
	for (int i = 0; i < skb->nfds; i++)
		unix_inflight_add(skb->fds[i]);
	if (m->has_cred) {
		skb->cred = m->cred;
	} else {
		/* SCM_CREDENTIALS carries the real ids (SO_PEERCRED the effective ones). */
		skb->cred.pid = t->tg->tgid;
		skb->cred.uid = t->creds.uid;
		skb->cred.gid = t->creds.gid;
	}
}

void unix_queue(struct unix_sock *to, struct unix_skb *skb)
{
	if (skb->nfds)
		unix_gc_queued(to, skb);
	list_add_tail(&skb->link, &to->rxq);
	to->rx_bytes += skb->len - skb->off;
	to->rx_count++;
	waitq_wake_all(&to->wq);
}

void unix_skb_give_control(struct unix_sock *u, struct unix_skb *skb, struct sock_msg *m,
			   bool peek)
{
	if (u->sock.passcred) {
		m->has_cred = true;
		m->cred = skb->cred;
	}
	if (skb->nfds == 0 || m->nfds > 0)
		return;
	if (peek) {
		m->fds = xcalloc((size_t)skb->nfds, sizeof(*m->fds));
		for (int i = 0; i < skb->nfds; i++) {
			m->fds[i] = skb->fds[i];
			file_get(m->fds[i]);
		}
		m->nfds = skb->nfds;
		return;
	}
	for (int i = 0; i < skb->nfds; i++)
		unix_inflight_del(skb->fds[i]);
	m->fds = skb->fds;
	m->nfds = skb->nfds;
	skb->fds = NULL;
	skb->nfds = 0;
}

void unix_unqueue(struct unix_sock *u, struct unix_skb *skb)
{
	list_del(&skb->link);
	u->rx_bytes -= skb->len - skb->off;
	u->rx_count--;
}

void unix_purge(struct unix_sock *u)
{
	struct list_head q = LIST_HEAD_INIT(q);

	/* Detach first: closing a passed fd may release other sockets (never u itself, whose
	 * last reference is going). */
	while (!list_empty(&u->rxq)) {
		struct unix_skb *skb = list_first_entry(&u->rxq, struct unix_skb, link);

		unix_unqueue(u, skb);
		list_add_tail(&skb->link, &q);
	}
	while (!list_empty(&q)) {
		struct unix_skb *skb = list_first_entry(&q, struct unix_skb, link);

		list_del(&skb->link);
		unix_skb_free(skb);
	}
}

bool unix_dgram_peer_full(struct unix_sock *u, struct unix_sock *other)
{
	/* A receiver not connected back to us takes net.unix.max_dgram_qlen + 1. */
	return other != u && other->peer != u && other->rx_count > UNIX_MAX_DGRAM_QLEN;
}

void unix_wake_register(struct unix_sock *u, struct unix_sock *other)
{
	if (u->wake_target == other)
		return;
	unix_wake_unregister(u);
	list_add_tail(&u->wake_link, &other->wakers);
	u->wake_target = other;
}

void unix_wake_unregister(struct unix_sock *u)
{
	if (!u->wake_target)
		return;
	list_del(&u->wake_link);
	u->wake_target = NULL;
}

void unix_wake_pollers(struct unix_sock *u)
{
	while (!list_empty(&u->wakers)) {
		struct unix_sock *w = list_first_entry(&u->wakers, struct unix_sock, wake_link);

		unix_wake_unregister(w);
		waitq_wake_all(&w->wq);
	}
}

/* Whether other accepts messages from u: it is unconnected or connected to u. */
static bool may_send(struct unix_sock *u, struct unix_sock *other)
{
	return !other->peer || other->peer == u || other->sock.type != SOCK_DGRAM;
}

/* The destination of a send: the named socket or the peer (referenced). */
static int dgram_dest(struct task *t, struct unix_sock *u, struct sock_msg *m,
		      struct unix_sock **out)
{
	int ret;

	if (m->addr_len == 0 || u->sock.type == SOCK_SEQPACKET) {
		if (!u->peer)
			return -ENOTCONN;
		unix_sock_get(u->peer);
		*out = u->peer;
		return 0;
	}
	ret = unix_find(t, u->sock.type, m->addr, m->addr_len, out);
	if (ret == 0 && (*out)->sock.type != u->sock.type) {
		unix_sock_put(*out);
		ret = -EPROTOTYPE;
	}
	return ret;
}

/* Queue the message to other once u's send buffer has room. */
static ssize_t dgram_deliver(struct task *t, struct unix_sock *u, struct unix_sock *other,
			     struct sock_msg *m, int flags, bool nonblock)
{
	struct timespec ts;
	const struct timespec *deadline = socket_deadline(&u->sock, false, &ts);
	struct unix_skb *skb;
	bool full;
	int ret;

	for (;;) {
		if (other->dead) {
			if (u->sock.type == SOCK_SEQPACKET)
				return unix_epipe(t, flags);
			if (u->peer == other) {
				u->peer = NULL;
				u->state = UNIX_UNCONNECTED;
				unix_sock_put(other);
			}
			return -ECONNREFUSED;
		}
		if (!may_send(u, other))
			return -EPERM;
		if (other->shutdown & UNIX_RCV_SHUT)
			return unix_epipe(t, flags);
		/* A receiver not connected back to us takes net.unix.max_dgram_qlen + 1. */
		full = unix_dgram_peer_full(u, other);
		if (!full && u->wmem < (size_t)u->sock.sndbuf)
			break;
		if (nonblock || (flags & MSG_DONTWAIT) || !t)
			return -EAGAIN;
		ret = socket_wait(t, &u->sock, full ? &other->wq : &u->wq, false, deadline);
		if (ret < 0)
			return ret;
	}
	skb = unix_skb_new(u, m->data, m->size);
	unix_skb_take_control(skb, t, m);
	unix_queue(other, skb);
	return (ssize_t)m->size;
}

ssize_t unix_dgram_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags,
			   bool nonblock)
{
	struct unix_sock *u = unix_sk(s), *other;
	ssize_t ret;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->type == SOCK_SEQPACKET) {
		if (s->err) {
			ret = -s->err;
			s->err = 0;
			return ret;
		}
		if (u->state != UNIX_CONNECTED)
			return -ENOTCONN;
	}
	if (u->shutdown & UNIX_SEND_SHUT)
		return unix_epipe(t, flags);
	if (m->size + 32 > (size_t)s->sndbuf)
		return -EMSGSIZE;
	if (s->passcred && !u->addr) {
		ret = unix_autobind(u);
		if (ret < 0)
			return ret;
	}
	ret = dgram_dest(t, u, m, &other);
	if (ret < 0)
		return ret;
	/* A blocked sender holds the destination so it cannot vanish under it. */
	ret = dgram_deliver(t, u, other, m, flags, nonblock);
	unix_sock_put(other);
	return ret;
}

/* Take skb off u's queue and free it. */
static void dgram_drop(struct unix_sock *u, struct unix_skb *skb)
{
	unix_unqueue(u, skb);
	unix_skb_free(skb);
	waitq_wake_all(&u->wq); /* senders waiting for queue length */
	unix_wake_pollers(u);
}

static ssize_t dgram_take(struct unix_sock *u, struct unix_skb *skb, struct sock_msg *m,
			  int flags)
{
	size_t n = MIN(m->size, skb->len), full = skb->len;

	if (m->faults && n > m->fault_at) {
		/* The bytes before the fault are written; the message is lost, with the fds
		 * it carried, unless peeked (Linux frees the skb). */
		memcpy(m->data, skb->data, m->fault_at);
		m->filled = m->fault_at;
		if (!(flags & MSG_PEEK))
			dgram_drop(u, skb);
		return -EFAULT;
	}
	memcpy(m->data, skb->data, n);
	if (full > m->size)
		m->out_flags |= MSG_TRUNC;
	if (skb->addr) {
		memcpy(m->addr, skb->addr->bytes, skb->addr->len);
		m->addr_len = skb->addr->len;
	}
	unix_skb_give_control(u, skb, m, flags & MSG_PEEK);
	if (!(flags & MSG_PEEK))
		dgram_drop(u, skb);
	return (ssize_t)((flags & MSG_TRUNC) ? full : n);
}

ssize_t unix_dgram_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags,
			   bool nonblock)
{
	struct unix_sock *u = unix_sk(s);
	struct timespec ts;
	const struct timespec *deadline = socket_deadline(s, true, &ts);
	int ret;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (s->type == SOCK_SEQPACKET && u->state != UNIX_CONNECTED)
		return -ENOTCONN;
	for (;;) {
		if (!list_empty(&u->rxq))
			return dgram_take(u, list_first_entry(&u->rxq, struct unix_skb, link), m,
					  flags);
		if (s->err) {
			ret = -s->err;
			s->err = 0;
			return ret;
		}
		if (u->shutdown & UNIX_RCV_SHUT)
			return 0;
		if (nonblock || (flags & MSG_DONTWAIT) || !t)
			return -EAGAIN;
		ret = socket_wait(t, s, &u->wq, true, deadline);
		if (ret < 0)
			return ret;
	}
}

int unix_dgram_connect(struct task *t, struct socket *s, const void *addr, size_t len,
		       bool nonblock)
{
	struct unix_sock *u = unix_sk(s), *other;
	uint16_t family;
	int ret;

	if (len >= sizeof(family)) {
		memcpy(&family, addr, sizeof(family));
		if (family == AF_UNSPEC) {
			if (u->peer)
				unix_sock_put(u->peer);
			u->peer = NULL;
			u->state = UNIX_UNCONNECTED;
			return 0;
		}
	}
	if (s->passcred && !u->addr) {
		ret = unix_autobind(u);
		if (ret < 0)
			return ret;
	}
	ret = unix_find(t, s->type, addr, len, &other);
	if (ret < 0)
		return ret;
	if (other->sock.type != s->type)
		ret = -EPROTOTYPE;
	else if (!may_send(u, other))
		ret = -EPERM;
	if (ret < 0) {
		unix_sock_put(other);
		return ret;
	}
	if (u->peer)
		unix_sock_put(u->peer);
	u->peer = other;
	u->state = UNIX_CONNECTED;
	return 0;
}
