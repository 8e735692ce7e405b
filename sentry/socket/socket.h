/* socket.h: sockets as open files. A struct socket is the family-independent part (type,
 * timeouts, the operations of its family); the syscall layer (sentry/syscalls/sys_socket.c)
 * copies addresses, data and control messages between the application and Sentry buffers
 * and calls these operations. Everything runs under the kernel lock.
 */
#ifndef RUNSC_SENTRY_SOCKET_SOCKET_H
#define RUNSC_SENTRY_SOCKET_SOCKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

struct task;
struct file;
struct waitq;
struct socket;
struct uio;

#define SOCK_ADDR_MAX 128	/* sizeof(struct sockaddr_storage) */
#define SCM_MAX_FD 253		/* Linux's limit of fds in one SCM_RIGHTS message */

/* Credentials as SCM_CREDENTIALS and SO_PEERCRED carry them (struct ucred). */
struct sock_cred {
	int32_t pid;
	uint32_t uid, gid;
};

/* One message between the syscall layer and a family. On send: data/size to send, the
 * destination (addr_len 0: none), fds to pass (references owned by the message) and
 * explicit credentials. On receive: data is a buffer of size bytes; the family fills the
 * source address, the fds (references handed to the caller), credentials when the socket
 * wants them, and out_flags (MSG_TRUNC, MSG_CTRUNC). */
struct sock_msg {
	void *data;
	size_t size;
	uint8_t addr[SOCK_ADDR_MAX];
	size_t addr_len;
	struct file **fds;
	int nfds;
	bool has_cred;
	struct sock_cred cred;
	int out_flags;
	/* A receive: the destination faults after fault_at bytes (when faults is set). As in
	 * Linux, a stream keeps a piece it could not deliver whole and a datagram that does
	 * not fit before the fault is lost (unless peeked); either way nothing delivered
	 * means -EFAULT. A stream send: the source faults right after its size bytes, so
	 * only the whole pieces before the fault are sent. */
	bool faults;
	size_t fault_at;
	/* A receive that met the fault: bytes of data the family filled (up to fault_at),
	 * which the caller copies out even beyond the count returned or with -EFAULT, as
	 * Linux's copy writes the bytes before the faulting one. 0: just the count. */
	size_t filled;
	/* A stream receive for splice: stop after one piece (one send), which becomes a pipe
	 * buffer of its own as Linux's skb_splice_bits makes it. */
	bool one_piece;
};

struct sock_ops {
	int (*bind)(struct task *t, struct socket *s, const void *addr, size_t len);
	int (*connect)(struct task *t, struct socket *s, const void *addr, size_t len,
		       bool nonblock);
	int (*listen)(struct task *t, struct socket *s, int backlog);
	/* *out: a new socket with one reference, for a new file. */
	int (*accept)(struct task *t, struct socket *s, bool nonblock, struct socket **out);
	/* Own (peer false) or peer address into addr (SOCK_ADDR_MAX bytes); *len its size. */
	int (*getname)(struct socket *s, bool peer, void *addr, size_t *len);
	/* Returns bytes sent or -errno. flags: MSG_*; nonblock also covers O_NONBLOCK. */
	ssize_t (*sendmsg)(struct task *t, struct socket *s, struct sock_msg *m, int flags,
			   bool nonblock);
	/* Returns bytes received (or the full message size with MSG_TRUNC) or -errno. */
	ssize_t (*recvmsg)(struct task *t, struct socket *s, struct sock_msg *m, int flags,
			   bool nonblock);
	int (*shutdown)(struct socket *s, int how);
	/* Options other than the generic SOL_SOCKET ones socket.c handles. */
	int (*setsockopt)(struct task *t, struct socket *s, int level, int name,
			  const void *val, size_t len);
	int (*getsockopt)(struct task *t, struct socket *s, int level, int name, void *val,
			  size_t *len);
	unsigned (*poll)(struct socket *s, struct waitq **wq);
	long (*ioctl)(struct task *t, struct socket *s, unsigned cmd, uint64_t arg);
	/* The file closed: drop the file's reference. */
	void (*release)(struct socket *s);
};

struct socket {
	int family, type, protocol;
	const struct sock_ops *ops;
	uint64_t ino;
	int64_t rcvtimeo_ns, sndtimeo_ns;	/* SO_RCVTIMEO/SO_SNDTIMEO, 0 = none */
	uint64_t bool_opts;			/* bit n: boolean option n is on (SO_REUSEADDR...) */
	int sndbuf, rcvbuf;			/* SO_SNDBUF/SO_RCVBUF as getsockopt reports */
	int err;				/* SO_ERROR: pending error, cleared when read */
	bool passcred;				/* SO_PASSCRED */
	int priority;				/* SO_PRIORITY (stored) */
	int rcvlowat;				/* SO_RCVLOWAT: a stream read waits for this much */
	int linger_onoff, linger_secs;		/* SO_LINGER (stored: no lingering data here) */
};

/* Initialise the generic part of a family's socket. */
void socket_init(struct socket *s, int family, int type, int protocol,
		 const struct sock_ops *ops);
/* socket(2): a new socket file (type without SOCK_NONBLOCK/SOCK_CLOEXEC). */
int socket_create(int family, int type, int protocol, struct file **out);
/* socketpair(2): two connected socket files. */
int socket_create_pair(struct task *t, int family, int type, int protocol, struct file **a,
		       struct file **b);
/* Wrap s (its reference taken over) in a new file; nonblock: O_NONBLOCK. */
struct file *socket_file_new(struct socket *s, bool nonblock);
/* The socket of f, or NULL if f is not a socket (the caller returns ENOTSOCK). */
struct socket *socket_from_file(struct file *f);
bool file_is_socket(const struct file *f);
/* Generic SOL_SOCKET options, then the family's. */
int socket_setsockopt(struct task *t, struct socket *s, int level, int name, const void *val,
		      size_t len);
int socket_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
		      size_t *len);
/* Block t on wq under s's receive or send timeout (deadline computed by the caller with
 * socket_deadline). Returns 0 when woken, -EAGAIN on timeout, -ERESTARTSYS or -EINTR (a
 * timeout is set) on a signal. */
int socket_wait(struct task *t, struct socket *s, struct waitq *wq, bool rcv,
		const struct timespec *deadline);
/* The absolute deadline of s's receive (rcv) or send timeout into *ts, or NULL if none. */
const struct timespec *socket_deadline(struct socket *s, bool rcv, struct timespec *ts);

/* Send the application's bytes at u on s (m: the name and control data, taken over). A
 * stream goes in chunks, each cut at the first byte that faults, so the whole pieces
 * before a fault are sent (Linux's skbs); other types send one message or -EFAULT. */
ssize_t socket_send_uio(struct task *t, struct socket *s, struct uio *u, struct sock_msg *m,
			int flags, bool nonblock);

/* splice from the stream socket of f: up to size bytes of its next piece into buf, as
 * a read (MSG_DONTWAIT when dontwait). Bytes, 0 at the end, or -errno. */
ssize_t socket_read_piece(struct task *t, struct file *f, void *buf, size_t size,
			  bool dontwait);

/* AF_UNIX (unix.c). */
int unix_socket_new(int type, int protocol, struct socket **out);
int unix_socket_pair(struct task *t, int type, int protocol, struct socket **a,
		     struct socket **b);

#endif
