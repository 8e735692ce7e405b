/* unix_stream.c: AF_UNIX connections: listen, connect (a new socket queued for accept),
 * accept with a backlog, and the byte-stream send and receive paths (EPIPE/SIGPIPE,
 * ECONNRESET, MSG_PEEK, MSG_WAITALL, passed fds ending a read). */
#include "sentry/socket/unix_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sentry/kernel/task.h"

#define SOMAXCONN_DEFAULT 4096	/* net.core.somaxconn */
/* A send is cut into pieces of at most this (Linux: SKB_MAX_HEAD(0) + UNIX_SKB_FRAGS_SZ,
 * 3776 + 32768 bytes on x86-64), and of at most half the send buffer less 64. */
#define STREAM_SKB_MAX (3776 + 32768)

void unix_pair(struct unix_sock *a, struct unix_sock *b)
{
	unix_sock_get(a);
	unix_sock_get(b);
	a->peer = b;
	b->peer = a;
	a->state = b->state = UNIX_CONNECTED;
}

int unix_listen(struct task *t, struct socket *s, int backlog)
{
	struct unix_sock *u = unix_sk(s);

	if (!u->addr || u->state == UNIX_CONNECTED)
		return -EINVAL;
	if ((unsigned)backlog > SOMAXCONN_DEFAULT)
		backlog = SOMAXCONN_DEFAULT;
	u->backlog = backlog;
	u->state = UNIX_LISTENING;
	unix_task_cred(t, &u->peercred);
	u->has_peercred = true;
	waitq_wake_all(&u->wq);
	return 0;
}

int unix_accept(struct task *t, struct socket *s, bool nonblock, struct socket **out)
{
	struct unix_sock *u = unix_sk(s), *n;
	struct timespec ts;
	const struct timespec *deadline = socket_deadline(s, true, &ts);
	int ret;

	for (;;) {
		if (u->state != UNIX_LISTENING)
			return -EINVAL;
		if (u->nacceptq > 0)
			break;
		if (nonblock || !t)
			return -EAGAIN;
		ret = socket_wait(t, s, &u->wq, true, deadline);
		if (ret < 0)
			return ret;
	}
	n = list_first_entry(&u->acceptq, struct unix_sock, accept_link);
	list_del(&n->accept_link);
	u->nacceptq--;
	waitq_wake_all(&u->wq); /* connectors waiting for backlog space */
	*out = &n->sock;	/* the queue's reference goes to the new file */
	return 0;
}

/* Wait until the listener has backlog space (Linux lets backlog + 1 wait). */
static int wait_backlog(struct task *t, struct unix_sock *u, struct unix_sock *other,
			bool nonblock)
{
	struct timespec ts;
	const struct timespec *deadline = socket_deadline(&u->sock, false, &ts);
	int ret;

	for (;;) {
		if (other->dead || other->state != UNIX_LISTENING)
			return -ECONNREFUSED;
		if (u->state != UNIX_UNCONNECTED)
			return -EISCONN;
		if (other->nacceptq <= other->backlog)
			return 0;
		if (nonblock || !t)
			return -EAGAIN;
		ret = socket_wait(t, &u->sock, &other->wq, false, deadline);
		if (ret < 0)
			return ret;
	}
}

int unix_stream_connect(struct task *t, struct socket *s, const void *addr, size_t len,
			bool nonblock)
{
	struct unix_sock *u = unix_sk(s), *other, *n;
	int ret;

	if (u->state == UNIX_CONNECTED)
		return -EISCONN;
	if (u->state == UNIX_LISTENING)
		return -EINVAL;
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
	else
		ret = wait_backlog(t, u, other, nonblock);
	if (ret < 0)
		goto out_put;
	/* The server's end exists at once, so the client may write before accept. */
	n = unix_sock_alloc(s->type);
	n->addr = other->addr;
	n->addr->refs++;
	n->sock.passcred = other->sock.passcred;
	unix_task_cred(t, &n->peercred);
	n->has_peercred = true;
	u->peercred = other->peercred;
	u->has_peercred = true;
	unix_pair(u, n);
	list_add_tail(&n->accept_link, &other->acceptq);
	other->nacceptq++;
	waitq_wake_all(&other->wq);
out_put:
	unix_sock_put(other);
	return ret;
}

ssize_t unix_stream_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags,
			    bool nonblock)
{
	struct unix_sock *u = unix_sk(s);
	struct timespec ts;
	const struct timespec *deadline = socket_deadline(s, false, &ts);
	size_t sent = 0, max = MIN((size_t)s->sndbuf / 2 - 64, (size_t)STREAM_SKB_MAX);
	int ret;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (m->addr_len)
		return u->state == UNIX_CONNECTED ? -EISCONN : -EOPNOTSUPP;
	if (u->state != UNIX_CONNECTED || !u->peer)
		return -ENOTCONN;
	while (sent < m->size) {
		struct unix_sock *other = u->peer;
		struct unix_skb *skb;
		size_t n;

		if ((u->shutdown & UNIX_SEND_SHUT) || other->dead ||
		    (other->shutdown & UNIX_RCV_SHUT))
			return sent ? (ssize_t)sent : unix_epipe(t, flags);
		if (u->wmem >= (size_t)s->sndbuf) {
			if (nonblock || (flags & MSG_DONTWAIT) || !t)
				return sent ? (ssize_t)sent : -EAGAIN;
			ret = socket_wait(t, s, &u->wq, false, deadline);
			if (ret < 0)
				return sent ? (ssize_t)sent : ret;
			continue;
		}
		/* A source that faults after m->size bytes: Linux's copy of the piece holding
		 * the fault fails; the pieces before it are sent. */
		if (m->faults && sent + max > m->size)
			return sent ? (ssize_t)sent : -EFAULT;
		n = MIN(m->size - sent, max);
		skb = unix_skb_new(u, (char *)m->data + sent, n);
		unix_skb_take_control(skb, t, m); /* the fds ride on the first piece */
		unix_queue(other, skb);
		sent += n;
	}
	if (m->size == 0 && ((u->shutdown & UNIX_SEND_SHUT) || u->peer->dead ||
			     (u->peer->shutdown & UNIX_RCV_SHUT)))
		return unix_epipe(t, flags);
	return (ssize_t)sent;
}

/* Whether two pieces may be read in one call (SO_PASSCRED: same credentials). */
static bool same_cred(const struct sock_cred *a, const struct sock_cred *b)
{
	return a->pid == b->pid && a->uid == b->uid && a->gid == b->gid;
}

/* Copy from skb (at its read offset) into m at copied; consume unless peeking. */
static size_t stream_take(struct unix_sock *u, struct unix_skb *skb, struct sock_msg *m,
			  size_t copied, int flags)
{
	size_t n = MIN(skb->len - skb->off, m->size - copied);

	memcpy((char *)m->data + copied, skb->data + skb->off, n);
	if (copied == 0 && skb->addr) {
		memcpy(m->addr, skb->addr->bytes, skb->addr->len);
		m->addr_len = skb->addr->len;
	}
	if (copied == 0 || skb->nfds)
		unix_skb_give_control(u, skb, m, flags & MSG_PEEK);
	if (flags & MSG_PEEK)
		return n;
	skb->off += n;
	u->rx_bytes -= n;
	if (skb->off == skb->len) {
		list_del(&skb->link);
		u->rx_count--;
		unix_skb_free(skb);
	}
	return n;
}

/* Data is readable now: the next piece, after what a peek already covered. */
static struct unix_skb *next_skb(struct unix_sock *u, struct list_head *after)
{
	struct list_head *pos = after ? after->next : u->rxq.next;

	return pos == &u->rxq ? NULL : list_entry(pos, struct unix_skb, link);
}

ssize_t unix_stream_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags,
			    bool nonblock)
{
	struct unix_sock *u = unix_sk(s);
	struct timespec ts;
	const struct timespec *deadline = socket_deadline(s, true, &ts);
	size_t copied = 0, target = MIN((size_t)MAX(s->rcvlowat, 1), m->size);
	struct list_head *peeked = NULL;
	struct sock_cred first = {0};
	int ret;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	if (u->state != UNIX_CONNECTED)
		return -EINVAL;
	if (flags & MSG_WAITALL)
		target = m->size;
	/* Even a zero-byte read waits for data, as Linux (its low-water mark is at least 1). */
	target = MAX(target, (size_t)1);
	for (;;) {
		struct unix_skb *skb = next_skb(u, peeked);
		bool had_fds;

		if (!skb) {
			if (copied >= target)
				break;
			if (s->err) {
				ret = -s->err;
				s->err = 0;
				return copied ? (ssize_t)copied : ret;
			}
			if ((u->shutdown & UNIX_RCV_SHUT) || (flags & MSG_PEEK && copied))
				break;
			if (nonblock || (flags & MSG_DONTWAIT) || !t)
				return copied ? (ssize_t)copied : -EAGAIN;
			ret = socket_wait(t, s, &u->wq, true, deadline);
			if (ret < 0)
				return copied ? (ssize_t)copied : ret;
			continue;
		}
		if (copied == 0)
			first = skb->cred;
		else if (s->passcred && !same_cred(&first, &skb->cred))
			break;
		if (m->faults &&
		    copied + MIN(skb->len - skb->off, m->size - copied) > m->fault_at) {
			/* The bytes before the fault are written, but not counted. */
			memcpy((char *)m->data + copied, skb->data + skb->off,
			       m->fault_at - copied);
			m->filled = m->fault_at;
			return copied ? (ssize_t)copied : -EFAULT;
		}
		had_fds = skb->nfds > 0;
		if (flags & MSG_PEEK)
			peeked = &skb->link;
		copied += stream_take(u, skb, m, copied, flags);
		if (had_fds || m->one_piece)
			break; /* a read ends after the piece that carried fds */
		if (copied >= m->size)
			break;
	}
	return (ssize_t)copied;
}
