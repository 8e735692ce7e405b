/* unix_internal.h: AF_UNIX sockets shared by unix.c (life cycle, names, options, poll),
 * unix_stream.c (stream and seqpacket connections) and unix_dgram.c (datagrams and the
 * message queue).
 *
 * Lifetime: a unix_sock is referenced by its file (or by a listener's accept queue before
 * accept), by a peer that is connected to it, by every queued message it sent (which is
 * also how its in-flight bytes are counted against SO_SNDBUF) and briefly by a blocked
 * sender. Everything waits on the socket's own queue: readers for data, writers for their
 * in-flight bytes to drain, accept for connections, connect for backlog space.
 */
#ifndef RUNSC_SENTRY_SOCKET_UNIX_INTERNAL_H
#define RUNSC_SENTRY_SOCKET_UNIX_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/list.h"
#include "sentry/kernel/sched.h"
#include "sentry/socket/socket.h"
#include "sentry/vfs/vfs_internal.h"

struct task;

#define UNIX_PATH_OFF 2		/* offsetof(struct sockaddr_un, sun_path) */
#define UNIX_ADDR_MAX 110	/* sizeof(struct sockaddr_un) */
#define UNIX_RCV_SHUT 1		/* RCV_SHUTDOWN */
#define UNIX_SEND_SHUT 2	/* SEND_SHUTDOWN */
/* Bookkeeping charged per message on top of its data, as Linux charges an skb's truesize:
 * empty messages (and the fds they carry) still fill the send buffer. */
#define UNIX_SKB_OVERHEAD 512
#define UNIX_MAX_DGRAM_QLEN 10	/* net.unix.max_dgram_qlen */

enum unix_state { UNIX_UNCONNECTED, UNIX_LISTENING, UNIX_CONNECTED };

/* A bound name: sockaddr_un bytes as getsockname reports them, shared by accepted sockets
 * and queued messages. */
struct unix_addr {
	int refs;
	size_t len;
	uint8_t bytes[UNIX_ADDR_MAX + 1];
};

/* A queued message (datagram or a piece of a stream). */
struct unix_skb {
	struct list_head link;
	struct unix_sock *from;		/* reference held: in-flight bytes are its */
	struct unix_addr *addr;		/* sender's name or NULL (reference held) */
	struct sock_cred cred;
	struct file **fds;		/* references held */
	int nfds;
	size_t len, off;		/* off: bytes already read (streams) */
	size_t truesize;		/* charged to the sender's SO_SNDBUF */
	char data[];
};

struct unix_sock {
	struct socket sock;		/* first: struct socket * converts to this */
	int refs;
	enum unix_state state;
	bool dead;			/* its file was closed */
	unsigned shutdown;		/* UNIX_RCV_SHUT | UNIX_SEND_SHUT */
	struct unix_sock *peer;		/* reference held */
	struct unix_addr *addr;		/* bound name, NULL if none */
	struct path path;		/* for names bound in the filesystem */
	struct list_head bound_link;	/* g_unix_bound, while bound */
	bool has_peercred;
	struct sock_cred peercred;	/* SO_PEERCRED */
	struct list_head rxq;		/* of unix_skb */
	size_t rx_bytes;
	int rx_count;
	size_t wmem;			/* truesize of what this socket sent, still queued */
	struct list_head acceptq;	/* of unix_sock.accept_link (listeners) */
	struct list_head accept_link;
	int backlog, nacceptq;
	struct waitq wq;
	/* Datagram pollers waiting for this socket's full queue to drain (Linux's peer_wake):
	 * of unix_sock.wake_link; a poller is on at most one list, wake_target's. */
	struct list_head wakers;
	struct list_head wake_link;
	struct unix_sock *wake_target;
	/* SCM_RIGHTS garbage collection (unix_gc.c): how many queued messages hold this
	 * socket's file, that file, and the collector's scratch state. */
	int inflight;
	struct file *gc_file;
	struct list_head gc_link;	/* g_inflight while inflight > 0 */
	int gc_refs, gc_state;
};

static inline struct unix_sock *unix_sk(struct socket *s)
{
	return (struct unix_sock *)s;
}

/* unix.c */
struct unix_sock *unix_sock_alloc(int type);
void unix_sock_get(struct unix_sock *u);
void unix_sock_put(struct unix_sock *u);
void unix_addr_put(struct unix_addr *a);
/* The caller's credentials as SO_PEERCRED reports them (pid = tgid, effective ids). */
void unix_task_cred(struct task *t, struct sock_cred *c);
/* Send SIGPIPE unless MSG_NOSIGNAL; returns -EPIPE. */
int unix_epipe(struct task *t, int flags);

/* unix_name.c */
int unix_bind(struct task *t, struct socket *s, const void *addr, size_t len);
int unix_getname(struct socket *s, bool peer, void *addr, size_t *len);
/* Forget u's name (close): the name may be bound again, the path node stays. */
void unix_unbind(struct unix_sock *u);
/* Give u an abstract autobind name ("\0" and five hex digits). */
int unix_autobind(struct unix_sock *u);
/* Find the socket an address names (a path through the VFS, or an abstract name of the
 * given type). Returns a referenced socket or -errno (ENOENT, ECONNREFUSED, EACCES...). */
int unix_find(struct task *t, int type, const void *addr, size_t len, struct unix_sock **out);

/* unix_dgram.c: message queues. */
/* Whether u may not send to other now: other's queue is full for strangers. */
bool unix_dgram_peer_full(struct unix_sock *u, struct unix_sock *other);
/* Ask other to wake u's queue when its queue drains (poll of a datagram sender). */
void unix_wake_register(struct unix_sock *u, struct unix_sock *other);
/* Leave the list u is on (close, or before joining another). */
void unix_wake_unregister(struct unix_sock *u);
/* Wake and drop every poller on u's list (u's queue drained, or u is closing). */
void unix_wake_pollers(struct unix_sock *u);
struct unix_skb *unix_skb_new(struct unix_sock *from, const void *data, size_t len);
void unix_skb_free(struct unix_skb *skb);
/* Move the message's fds and credentials into skb (first piece of a send). */
void unix_skb_take_control(struct unix_skb *skb, struct task *t, struct sock_msg *m);
void unix_queue(struct unix_sock *to, struct unix_skb *skb);
/* Hand skb's fds (new references) and credentials to a receive into m. */
void unix_skb_give_control(struct unix_sock *u, struct unix_skb *skb, struct sock_msg *m,
			   bool peek);
/* Free every queued message (close, a listener's embryos). */
void unix_purge(struct unix_sock *u);
ssize_t unix_dgram_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags,
			   bool nonblock);
ssize_t unix_dgram_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags,
			   bool nonblock);
int unix_dgram_connect(struct task *t, struct socket *s, const void *addr, size_t len,
		       bool nonblock);

/* unix_gc.c: files of unix sockets in flight, and the collector of cycles of them. */
/* A queued message took (add) or gave up (del) a reference to f. */
void unix_inflight_add(struct file *f);
void unix_inflight_del(struct file *f);
/* skb is being queued on to: note whether that may close a cycle of in-flight sockets. */
void unix_gc_queued(struct unix_sock *to, const struct unix_skb *skb);
/* Free the sockets only in-flight references keep, through each other's queues (a
 * socket sent over itself, two sockets sent over each other): what Linux's unix_gc does.
 * Runs when a unix socket is released; never nests. */
void unix_gc(void);
/* Unlink skb from u's queue (the counts follow). */
void unix_unqueue(struct unix_sock *u, struct unix_skb *skb);

/* unix_stream.c: connections (stream and seqpacket). */
int unix_stream_connect(struct task *t, struct socket *s, const void *addr, size_t len,
			bool nonblock);
int unix_listen(struct task *t, struct socket *s, int backlog);
int unix_accept(struct task *t, struct socket *s, bool nonblock, struct socket **out);
ssize_t unix_stream_sendmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags,
			    bool nonblock);
ssize_t unix_stream_recvmsg(struct task *t, struct socket *s, struct sock_msg *m, int flags,
			    bool nonblock);
/* Connect a and b to each other (socketpair, connect/accept). */
void unix_pair(struct unix_sock *a, struct unix_sock *b);

#endif
