/* socket.c: the generic socket file (read/write/poll/ioctl/fstat/close dispatched to the
 * family), socket creation by family, the SOL_SOCKET options every family shares, and
 * blocking under SO_RCVTIMEO/SO_SNDTIMEO. */
#include "sentry/socket/socket.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/uio.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define SOCK_DEV 0x08		/* sockfs's anonymous device */
#define SOCK_READ_CHUNK (256 * 1024) /* one read(2) asks the family for at most this */
#define SOCK_SEND_CHUNK (256 * 1024) /* stream data per call into the family */
#define SOCK_DGRAM_MAX (1 << 20) /* above any SO_SNDBUF: EMSGSIZE without allocating */
#define SOCK_DEFAULT_BUF 212992 /* net.core.{w,r}mem_default */
#define SOCK_MAX_BUF 212992	/* net.core.{w,r}mem_max */
#define SOCK_MIN_SNDBUF 4608
#define SOCK_MIN_RCVBUF 2304

static uint64_t g_sock_ino;

void socket_init(struct socket *s, int family, int type, int protocol,
		 const struct sock_ops *ops)
{
	memset(s, 0, sizeof(*s));
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	s->ops = ops;
	s->ino = ++g_sock_ino;
	s->sndbuf = SOCK_DEFAULT_BUF;
	s->rcvbuf = SOCK_DEFAULT_BUF;
	s->rcvlowat = 1;
}

/* A read of size bytes into buf whose application destination faults after fault_at;
 * *filled: the bytes of buf to copy out (see struct sock_msg). */
static ssize_t sock_recv_into(struct task *t, struct file *f, void *buf, size_t size,
			      size_t fault_at, size_t *filled)
{
	struct socket *s = f->priv;
	struct sock_msg m = {.data = buf, .size = size, .faults = true, .fault_at = fault_at};
	ssize_t n = s->ops->recvmsg(t, s, &m, 0, f->flags & O_NONBLOCK);

	/* read(2) has nowhere to put passed fds: they are closed, as in Linux. */
	for (int i = 0; i < m.nfds; i++)
		file_put(m.fds[i]);
	free(m.fds);
	*filled = MAX(n > 0 ? MIN((size_t)n, size) : 0, m.filled);
	return n;
}

ssize_t socket_read_piece(struct task *t, struct file *f, void *buf, size_t size,
			  bool dontwait)
{
	struct socket *s = f->priv;
	struct sock_msg m = {.data = buf, .size = size, .one_piece = true};
	ssize_t n = s->ops->recvmsg(t, s, &m, dontwait ? MSG_DONTWAIT : 0,
				    f->flags & O_NONBLOCK);

	for (int i = 0; i < m.nfds; i++)
		file_put(m.fds[i]);
	free(m.fds);
	return n;
}

static ssize_t sock_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	size_t filled;

	return sock_recv_into(t, f, buf, size, size, &filled);
}

/* read(2) through the application's iovecs: the socket learns where they fault. */
static ssize_t sock_read_uio(struct task *t, struct file *f, struct uio *u)
{
	size_t size = MIN(uio_left(u), (size_t)SOCK_READ_CHUNK), filled;
	char *buf = xmalloc(MAX(size, (size_t)1));
	ssize_t n;

	n = sock_recv_into(t, f, buf, size, uio_writable(t, u, size), &filled);
	if (filled)
		uio_copy_out(t, u, buf, filled);
	free(buf);
	return n;
}

static ssize_t sock_write(struct task *t, struct file *f, const void *buf, size_t size,
			  uint64_t *pos)
{
	struct socket *s = f->priv;
	struct sock_msg m = {.data = (void *)buf, .size = size};

	return s->ops->sendmsg(t, s, &m, 0, f->flags & O_NONBLOCK);
}

/* write(2) from the application's iovecs: a stream sends the pieces before a fault. */
static ssize_t sock_write_uio(struct task *t, struct file *f, struct uio *u)
{
	struct sock_msg m = {0};

	return socket_send_uio(t, f->priv, u, &m, 0, f->flags & O_NONBLOCK);
}

/* A stream: chunk after chunk, each cut where the source faults. */
static ssize_t send_stream(struct task *t, struct socket *s, struct uio *u,
			   struct sock_msg *m, int flags, bool nonblock)
{
	size_t total = uio_left(u), done = 0;
	char *kbuf = xmalloc(MAX(MIN(total, (size_t)SOCK_SEND_CHUNK), (size_t)1));
	ssize_t ret = 0;

	do {
		size_t chunk = MIN(total - done, (size_t)SOCK_SEND_CHUNK);
		size_t ok = uio_copy_in(t, u, kbuf, chunk);
		ssize_t n;

		if (ok == 0 && chunk) {
			ret = -EFAULT;
			break;
		}
		m->data = kbuf;
		m->size = ok;
		m->faults = ok < chunk;
		/* SIGPIPE only when nothing at all was sent, as Linux. */
		n = s->ops->sendmsg(t, s, m, done ? flags | MSG_NOSIGNAL : flags, nonblock);
		if (n < 0) {
			ret = n;
			break;
		}
		done += (size_t)n;
		if ((size_t)n < chunk)
			break;
	} while (done < total);
	free(kbuf);
	return done ? (ssize_t)done : ret;
}

ssize_t socket_send_uio(struct task *t, struct socket *s, struct uio *u, struct sock_msg *m,
			int flags, bool nonblock)
{
	size_t total = uio_left(u);
	char *buf;
	ssize_t ret;

	if (s->type == SOCK_STREAM)
		return send_stream(t, s, u, m, flags, nonblock);
	if (total > SOCK_DGRAM_MAX)
		return -EMSGSIZE;
	buf = xmalloc(MAX(total, (size_t)1));
	ret = uio_copy_in(t, u, buf, total) == total ? 0 : -EFAULT;
	m->data = buf;
	m->size = total;
	if (ret == 0)
		ret = s->ops->sendmsg(t, s, m, flags, nonblock);
	free(buf);
	return ret;
}

static unsigned sock_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct socket *s = f->priv;

	return s->ops->poll(s, wq);
}

static long sock_ioctl(struct task *t, struct file *f, unsigned cmd, uint64_t arg)
{
	struct socket *s = f->priv;

	return s->ops->ioctl ? s->ops->ioctl(t, s, cmd, arg) : -ENOTTY;
}

static int sock_stat(struct file *f, struct kstat *st)
{
	struct socket *s = f->priv;

	memset(st, 0, sizeof(*st));
	st->dev = SOCK_DEV;
	st->ino = s->ino;
	st->nlink = 1;
	st->mode = S_IFSOCK | 0777;
	st->blksize = 4096;
	return 0;
}

static void sock_release(struct file *f)
{
	struct socket *s = f->priv;

	s->ops->release(s);
}

static const struct file_ops g_socket_fops = {
	.read = sock_read,
	.write = sock_write,
	.read_uio = sock_read_uio,
	.write_uio = sock_write_uio,
	.ioctl = sock_ioctl,
	.poll = sock_poll,
	.stat = sock_stat,
	.release = sock_release,
};

bool file_is_socket(const struct file *f)
{
	return f->ops == &g_socket_fops;
}

struct socket *socket_from_file(struct file *f)
{
	return file_is_socket(f) ? f->priv : NULL;
}

struct file *socket_file_new(struct socket *s, bool nonblock)
{
	struct file *f = file_alloc(O_RDWR | (nonblock ? O_NONBLOCK : 0));

	f->ops = &g_socket_fops;
	f->priv = s;
	return f;
}

/* Linux's answer for families this Sentry has no implementation of. */
static int family_check(int family)
{
	if (family == AF_UNIX)
		return 0;
	/* AF_INET, AF_INET6, AF_NETLINK, AF_PACKET...: networking is a later issue. */
	return -EAFNOSUPPORT;
}

int socket_create(int family, int type, int protocol, struct file **out)
{
	struct socket *s;
	int ret = family_check(family);

	if (ret == 0)
		ret = unix_socket_new(type, protocol, &s);
	if (ret < 0)
		return ret;
	*out = socket_file_new(s, false);
	return 0;
}

int socket_create_pair(struct task *t, int family, int type, int protocol, struct file **a,
		       struct file **b)
{
	struct socket *sa, *sb;
	int ret = family_check(family);

	if (ret == 0)
		ret = unix_socket_pair(t, type, protocol, &sa, &sb);
	if (ret < 0)
		return ret;
	*a = socket_file_new(sa, false);
	*b = socket_file_new(sb, false);
	return 0;
}

const struct timespec *socket_deadline(struct socket *s, bool rcv, struct timespec *ts)
{
	int64_t ns = rcv ? s->rcvtimeo_ns : s->sndtimeo_ns;

	if (ns <= 0)
		return NULL;
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ns / 1000000000;
	ts->tv_nsec += ns % 1000000000;
	if (ts->tv_nsec >= 1000000000) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000;
	}
	return ts;
}

int socket_wait(struct task *t, struct socket *s, struct waitq *wq, bool rcv,
		const struct timespec *deadline)
{
	int ret = task_block(t, wq, deadline);

	if (ret == -ETIMEDOUT)
		return -EAGAIN;
	if (ret == -EINTR)
		return (rcv ? s->rcvtimeo_ns : s->sndtimeo_ns) ? -EINTR : -ERESTARTSYS;
	return 0;
}

/* Options that are stored and reported but change nothing in a Sentry socket. */
static bool is_bool_opt(int name)
{
	switch (name) {
	case SO_DEBUG:
	case SO_PASSSEC:
	case SO_REUSEADDR:
	case SO_DONTROUTE:
	case SO_BROADCAST:
	case SO_KEEPALIVE:
	case SO_OOBINLINE:
	case SO_REUSEPORT:
		return true;
	default:
		return false;
	}
}

static int set_timeout(int64_t *ns, const void *val, size_t len)
{
	struct timeval tv;

	if (len < sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0)
		*ns = 0; /* Linux: a negative timeout means none... after a warning */
	else
		*ns = tv.tv_sec * 1000000000LL + tv.tv_usec * 1000LL;
	return 0;
}

static int set_linger(struct socket *s, const void *val, size_t len)
{
	struct linger l;

	if (len < sizeof(l))
		return -EINVAL;
	memcpy(&l, val, sizeof(l));
	s->linger_onoff = l.l_onoff != 0;
	s->linger_secs = l.l_linger;
	return 0;
}

static int get_linger(struct socket *s, void *val, size_t *len)
{
	struct linger l = {.l_onoff = s->linger_onoff, .l_linger = s->linger_secs};

	*len = MIN(*len, sizeof(l));
	memcpy(val, &l, *len);
	return 0;
}

/* Linux doubles the request (for bookkeeping overhead) within [min, 2 * max]. */
static int buf_size(int v, int min)
{
	if (v > SOCK_MAX_BUF)
		v = SOCK_MAX_BUF;
	v *= 2;
	return v < min ? min : v;
}

int socket_setsockopt(struct task *t, struct socket *s, int level, int name, const void *val,
		      size_t len)
{
	int v = 0;

	if (level != SOL_SOCKET)
		return s->ops->setsockopt ? s->ops->setsockopt(t, s, level, name, val, len)
					  : -EOPNOTSUPP;
	if (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD)
		return set_timeout(name == SO_RCVTIMEO_OLD ? &s->rcvtimeo_ns : &s->sndtimeo_ns,
				   val, len);
	if (name == SO_LINGER)
		return set_linger(s, val, len);
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(&v, val, sizeof(v));
	if (is_bool_opt(name)) {
		if (v)
			s->bool_opts |= 1ULL << name;
		else
			s->bool_opts &= ~(1ULL << name);
		return 0;
	}
	switch (name) {
	case SO_SNDBUF:
		s->sndbuf = buf_size(v, SOCK_MIN_SNDBUF);
		return 0;
	case SO_RCVBUF:
		s->rcvbuf = buf_size(v, SOCK_MIN_RCVBUF);
		return 0;
	case SO_SNDBUFFORCE:
	case SO_RCVBUFFORCE:
		if (t && !caps_capable(t, CAP_NET_ADMIN))
			return -EPERM;
		v = MIN(MAX(v, 0), INT32_MAX / 2) * 2;
		if (name == SO_SNDBUFFORCE)
			s->sndbuf = MAX(v, SOCK_MIN_SNDBUF);
		else
			s->rcvbuf = MAX(v, SOCK_MIN_RCVBUF);
		return 0;
	case SO_PASSCRED:
		s->passcred = v != 0;
		return 0;
	case SO_PRIORITY:
		if ((v < 0 || v > 6) && t && !caps_capable(t, CAP_NET_ADMIN))
			return -EPERM;
		s->priority = v;
		return 0;
	case SO_RCVLOWAT:
		s->rcvlowat = v < 0 ? INT32_MAX : v;
		return 0;
	case SO_SNDLOWAT:
	case SO_TYPE:
	case SO_DOMAIN:
	case SO_PROTOCOL:
	case SO_ERROR:
	case SO_PEERCRED:
	case SO_ACCEPTCONN:
		return -ENOPROTOOPT;
	}
	return s->ops->setsockopt ? s->ops->setsockopt(t, s, level, name, val, len)
				  : -ENOPROTOOPT;
}

static int get_timeout(int64_t ns, void *val, size_t *len)
{
	struct timeval tv = {.tv_sec = ns / 1000000000, .tv_usec = ns % 1000000000 / 1000};

	if (*len < sizeof(tv))
		return -EINVAL;
	memcpy(val, &tv, sizeof(tv));
	*len = sizeof(tv);
	return 0;
}

int socket_getsockopt(struct task *t, struct socket *s, int level, int name, void *val,
		      size_t *len)
{
	int v;

	if (level != SOL_SOCKET)
		return s->ops->getsockopt ? s->ops->getsockopt(t, s, level, name, val, len)
					  : -EOPNOTSUPP;
	if (name == SO_RCVTIMEO_OLD || name == SO_SNDTIMEO_OLD)
		return get_timeout(name == SO_RCVTIMEO_OLD ? s->rcvtimeo_ns : s->sndtimeo_ns, val,
				   len);
	if (is_bool_opt(name)) {
		v = (s->bool_opts >> name) & 1;
	} else {
		switch (name) {
		case SO_TYPE: v = s->type; break;
		case SO_DOMAIN: v = s->family; break;
		case SO_PROTOCOL: v = s->protocol; break;
		case SO_SNDBUF: v = s->sndbuf; break;
		case SO_RCVBUF: v = s->rcvbuf; break;
		case SO_PASSCRED: v = s->passcred; break;
		case SO_PRIORITY: v = s->priority; break;
		case SO_RCVLOWAT: v = s->rcvlowat; break;
		case SO_SNDLOWAT: v = 1; break;
		case SO_LINGER: return get_linger(s, val, len);
		case SO_ERROR:
			v = s->err;
			s->err = 0;
			break;
		default:
			return s->ops->getsockopt ? s->ops->getsockopt(t, s, level, name, val, len)
						  : -ENOPROTOOPT;
		}
	}
	/* Linux copies at most an int, and fewer bytes if the caller asked for fewer. */
	if (*len > sizeof(v))
		*len = sizeof(v);
	memcpy(val, &v, *len);
	return 0;
}
