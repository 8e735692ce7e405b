/* sys_socket_msg.c: socket data transfer: sendto, recvfrom, sendmsg, recvmsg, sendmmsg,
 * recvmmsg. Data moves through a Sentry buffer: streams in chunks, datagrams whole;
 * control messages are parsed and built by sentry/socket/scm.c. */
#include "sentry/syscalls/sys_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/uio.h"
#include "sentry/socket/scm.h"
#include "sentry/socket/socket.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define MSG_CHUNK (256 * 1024)	/* stream data per call into the family */
#define DGRAM_MAX (1 << 20)	/* above any SO_SNDBUF: EMSGSIZE without allocating */
#define CTL_MAX 65536		/* control data (Linux: net.core.optmem_max) */
#define UIO_MAXIOV 1024

/* The x86-64 struct msghdr and struct mmsghdr as the application lays them out. */
struct user_msghdr {
	uint64_t name;
	int32_t namelen, pad0;
	uint64_t iov, iovlen, control, controllen;
	int32_t flags, pad1;
};

struct user_mmsghdr {
	struct user_msghdr hdr;
	uint32_t len, pad;
};

/* One message being sent or received, with its iovecs copied in. */
struct kmsg {
	struct user_msghdr h;
	struct user_iov *iov;
	struct user_iov one;
	size_t total;
	bool is_recvfrom;	/* the name's length is read at ulen after the receive */
	uaddr_t ulen;
};

static int kmsg_iov(struct task *t, struct kmsg *k)
{
	uint64_t total = 0;

	if (k->h.iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	k->iov = xcalloc(k->h.iovlen + 1, sizeof(*k->iov));
	if (copy_from_user(t, k->iov, uaddr(k->h.iov), k->h.iovlen * sizeof(*k->iov)))
		return -EFAULT;
	for (uint64_t i = 0; i < k->h.iovlen; i++) {
		if ((int64_t)k->iov[i].len < 0 || total + k->iov[i].len > SSIZE_MAX)
			return -EINVAL;
		total += k->iov[i].len;
	}
	k->total = (size_t)MIN(total, (uint64_t)MAX_RW_COUNT);
	return 0;
}

/* A message of one buffer (sendto/recvfrom). */
static void kmsg_single(struct kmsg *k, uint64_t buf, uint64_t len)
{
	memset(k, 0, sizeof(*k));
	k->one.base = buf;
	k->one.len = MIN(len, (uint64_t)MAX_RW_COUNT);
	k->iov = &k->one;
	k->h.iovlen = 1;
	k->total = k->one.len;
}

static void kmsg_free(struct kmsg *k)
{
	if (k->iov != &k->one)
		free(k->iov);
}

/* The message's iovecs as a uio positioned at byte off. */
static struct uio kmsg_at(struct kmsg *k, size_t off)
{
	struct uio u = {.iov = k->iov, .cnt = (int)k->h.iovlen, .total = k->total};

	uio_skip(&u, off);
	return u;
}

/* How many of n bytes from byte off of the message lie in writable memory. */
static size_t kmsg_writable(struct task *t, struct kmsg *k, size_t off, size_t n)
{
	struct uio u = kmsg_at(k, off);

	return uio_writable(t, &u, n);
}

static long do_send(struct task *t, struct file *f, struct socket *s, struct kmsg *k,
		    int flags)
{
	struct sock_msg m = {0};
	bool nonblock = f->flags & O_NONBLOCK;
	struct uio u;
	long ret = 0;

	if (k->h.name) {
		ret = sys_sockaddr_in(t, uaddr(k->h.name), k->h.namelen, m.addr);
		m.addr_len = (size_t)k->h.namelen;
	}
	if (ret < 0)
		return ret;
	if (k->h.controllen > INT_MAX || k->h.controllen > CTL_MAX)
		return -ENOBUFS;
	if (k->h.controllen) {
		char *buf = xmalloc(k->h.controllen);

		ret = copy_from_user(t, buf, uaddr(k->h.control), k->h.controllen) ? -EFAULT : 0;
		if (ret == 0)
			ret = scm_parse(t, buf, k->h.controllen, &m);
		free(buf);
	}
	if (ret < 0)
		goto out;
	u = kmsg_at(k, 0);
	ret = socket_send_uio(t, s, &u, &m, flags, nonblock);
out:
	scm_drop(&m);
	return ret;
}

/* Copy what the family received (n, or its result when negative) to byte off of the
 * message, with the bytes it filled before a fault; -EFAULT if the count received does
 * not reach the application. */
static int recv_copy_out(struct task *t, struct kmsg *k, size_t off, const struct sock_msg *m,
			 ssize_t n, size_t cap)
{
	size_t want = n > 0 ? MIN((size_t)n, cap) : 0;
	struct uio u = kmsg_at(k, off);

	return uio_copy_out(t, &u, m->data, MAX(want, m->filled)) < want ? -EFAULT : 0;
}

/* Receive into k; fills the name, control data and flags of k->h for the caller. */
static long do_recv(struct task *t, struct file *f, struct socket *s, struct kmsg *k,
		    int flags)
{
	size_t cap = MIN(k->total, s->type == SOCK_STREAM ? (size_t)MSG_CHUNK : (size_t)DGRAM_MAX);
	struct sock_msg m = {.size = cap};
	struct scm_out o = {0};
	size_t done = 0;
	long ret;

	m.data = xmalloc(MAX(cap, (size_t)1));
	m.faults = true;
	for (;;) {
		ssize_t n;

		m.fault_at = kmsg_writable(t, k, done, cap);
		m.filled = 0;
		n = s->ops->recvmsg(t, s, &m, flags, f->flags & O_NONBLOCK);
		if (recv_copy_out(t, k, done, &m, n, cap)) {
			ret = -EFAULT;
			break;
		}
		if (n < 0) {
			ret = done ? (long)done : n;
			break;
		}
		done += (size_t)n;
		ret = (long)done;
		/* MSG_WAITALL beyond one chunk: go on while whole chunks arrive. */
		if (s->type != SOCK_STREAM || !(flags & MSG_WAITALL) || (flags & MSG_PEEK) ||
		    (size_t)n < cap || done >= k->total)
			break;
		m.size = cap = MIN(k->total - done, (size_t)MSG_CHUNK);
	}
	free(m.data);
	/* recvfrom reads the length only now, as Linux: a bad pointer fails the received call. */
	if (ret >= 0 && k->h.name && k->is_recvfrom &&
	    (uaddr_is_null(k->ulen) ||
	     copy_from_user(t, &k->h.namelen, k->ulen, sizeof(k->h.namelen))))
		ret = -EFAULT;
	else if (ret >= 0 && k->h.name && MIN(k->h.namelen, (int32_t)m.addr_len) < 0)
		ret = -EINVAL;
	if (ret >= 0 && k->h.name) {
		size_t n = MIN(m.addr_len, (size_t)MAX(k->h.namelen, 0));

		if (n && copy_to_user(t, uaddr(k->h.name), m.addr, n))
			ret = -EFAULT;
		k->h.namelen = (int32_t)m.addr_len;
	}
	if (k->h.control && k->h.controllen) {
		o.cap = MIN(k->h.controllen, (uint64_t)CTL_MAX);
		o.buf = xcalloc(1, o.cap);
		o.fault_at = mm_user_writable(t->mm, k->h.control, o.cap);
	}
	scm_put(t, &m, &o, flags & MSG_CMSG_CLOEXEC);
	/* Every message fits before o.fault_at; only the padding after the last may not,
	 * which Linux does not write either. */
	if (o.used)
		copy_to_user_upto_fault(t, uaddr(k->h.control), o.buf, o.used);
	free(o.buf);
	k->h.controllen = o.used;
	k->h.flags = m.out_flags;
	return ret;
}

long sys_sendto(struct task *t, const struct sysargs *a)
{
	struct kmsg k;
	struct socket *s;
	struct file *f;
	long ret = sys_sock_get(t, arg_int(a, 0), &f, &s);

	if (ret < 0)
		return ret;
	kmsg_single(&k, arg_u64(a, 1), arg_u64(a, 2));
	k.h.name = arg_u64(a, 4);
	k.h.namelen = k.h.name ? arg_int(a, 5) : 0;
	ret = do_send(t, f, s, &k, arg_int(a, 3));
	file_put(f);
	return ret;
}

long sys_recvfrom(struct task *t, const struct sysargs *a)
{
	uaddr_t ulen = arg_uaddr(a, 5);
	struct kmsg k;
	struct socket *s;
	struct file *f;
	long ret = sys_sock_get(t, arg_int(a, 0), &f, &s);

	if (ret < 0)
		return ret;
	kmsg_single(&k, arg_u64(a, 1), arg_u64(a, 2));
	/* A name buffer with no length pointer fails after the receive (EFAULT), as Linux. */
	k.h.name = arg_u64(a, 4);
	k.is_recvfrom = true;
	k.ulen = ulen;
	ret = do_recv(t, f, s, &k, arg_int(a, 3));
	if (ret >= 0 && k.h.name && copy_to_user(t, ulen, &k.h.namelen, sizeof(k.h.namelen)))
		ret = -EFAULT;
	file_put(f);
	return ret;
}

/* What recvmsg writes back: the name length (when there is a name), the control length
 * and the flags; the rest of the application's msghdr is left alone. */
static int recvmsg_report(struct task *t, uaddr_t umsg, const struct user_msghdr *h)
{
	if (h->name && copy_to_user(t, uaddr_add(umsg, offsetof(struct user_msghdr, namelen)),
				    &h->namelen, sizeof(h->namelen)))
		return -EFAULT;
	if (copy_to_user(t, uaddr_add(umsg, offsetof(struct user_msghdr, controllen)),
			 &h->controllen, sizeof(h->controllen)) ||
	    copy_to_user(t, uaddr_add(umsg, offsetof(struct user_msghdr, flags)), &h->flags,
			 sizeof(h->flags)))
		return -EFAULT;
	return 0;
}

/* sendmsg/recvmsg on one application msghdr at umsg. */
static long msg_call(struct task *t, struct file *f, struct socket *s, uaddr_t umsg,
		     int flags, bool send)
{
	struct kmsg k = {0};
	long ret;

	if (copy_from_user(t, &k.h, umsg, sizeof(k.h)))
		return -EFAULT;
	/* As Linux: no name means no length; a long one is cut to sockaddr_storage. */
	if (!k.h.name)
		k.h.namelen = 0;
	if (k.h.namelen < 0)
		return -EINVAL;
	k.h.namelen = MIN(k.h.namelen, SOCK_ADDR_MAX);
	ret = kmsg_iov(t, &k);
	if (ret == 0 && send)
		ret = do_send(t, f, s, &k, flags);
	else if (ret == 0)
		ret = do_recv(t, f, s, &k, flags);
	if (ret >= 0 && !send && recvmsg_report(t, umsg, &k.h))
		ret = -EFAULT;
	kmsg_free(&k);
	return ret;
}

static long msg_syscall(struct task *t, const struct sysargs *a, bool send)
{
	struct socket *s;
	struct file *f;
	long ret = sys_sock_get(t, arg_int(a, 0), &f, &s);

	if (ret < 0)
		return ret;
	ret = msg_call(t, f, s, arg_uaddr(a, 1), arg_int(a, 2), send);
	file_put(f);
	return ret;
}

long sys_sendmsg(struct task *t, const struct sysargs *a)
{
	return msg_syscall(t, a, true);
}

long sys_recvmsg(struct task *t, const struct sysargs *a)
{
	return msg_syscall(t, a, false);
}

static bool past(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > deadline->tv_sec ||
	       (now.tv_sec == deadline->tv_sec && now.tv_nsec >= deadline->tv_nsec);
}

/* sendmmsg/recvmmsg: one message after another; a later error ends the batch. */
static long mmsg_call(struct task *t, const struct sysargs *a, bool send,
		      const struct timespec *deadline)
{
	uint64_t vec = arg_u64(a, 1);
	unsigned vlen = MIN(arg_uint(a, 2), (unsigned)UIO_MAXIOV);
	int flags = arg_int(a, 3);
	unsigned i;
	struct socket *s;
	struct file *f;
	long ret = sys_sock_get(t, arg_int(a, 0), &f, &s);

	if (ret < 0)
		return ret;
	for (i = 0; i < vlen; i++) {
		uint64_t at = vec + i * sizeof(struct user_mmsghdr);
		uint32_t len;

		ret = msg_call(t, f, s, uaddr(at), flags & ~MSG_WAITFORONE, send);
		if (ret < 0)
			break;
		len = (uint32_t)ret;
		if (copy_to_user(t, uaddr(at + offsetof(struct user_mmsghdr, len)), &len,
				 sizeof(len))) {
			ret = -EFAULT;
			break;
		}
		if (flags & MSG_WAITFORONE)
			flags |= MSG_DONTWAIT;
		if (deadline && past(deadline)) {
			i++;
			break;
		}
	}
	file_put(f);
	return i > 0 ? (long)i : ret;
}

long sys_sendmmsg(struct task *t, const struct sysargs *a)
{
	return mmsg_call(t, a, true, NULL);
}

long sys_recvmmsg(struct task *t, const struct sysargs *a)
{
	struct timespec ts, deadline, *dl = NULL;

	if (!uaddr_is_null(arg_uaddr(a, 4))) {
		if (copy_from_user(t, &ts, arg_uaddr(a, 4), sizeof(ts)))
			return -EFAULT;
		if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
			return -EINVAL;
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += ts.tv_sec;
		deadline.tv_nsec += ts.tv_nsec;
		if (deadline.tv_nsec >= 1000000000) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000;
		}
		dl = &deadline;
	}
	return mmsg_call(t, a, false, dl);
}
