/* sys_socket.c: socket syscalls that set sockets up: socket, socketpair, bind, listen,
 * accept, accept4, connect, getsockname, getpeername, shutdown, setsockopt, getsockopt.
 * Addresses are copied through Sentry buffers of sockaddr_storage size. Data transfer is
 * in sys_socket_msg.c. */
#include "sentry/syscalls/sys_socket.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/socket/socket.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define SOCKOPT_MAX 256 /* the largest option value copied in or out */

int sys_sock_get(struct task *t, int fd, struct file **fp, struct socket **sp)
{
	struct file *f = sys_fd_file(t, fd);

	if (!f)
		return -EBADF;
	*sp = socket_from_file(f);
	if (!*sp) {
		file_put(f);
		return -ENOTSOCK;
	}
	*fp = f;
	return 0;
}

int sys_sockaddr_in(struct task *t, uaddr_t uaddr, int len, void *buf)
{
	if (len < 0 || len > SOCK_ADDR_MAX)
		return -EINVAL;
	if (len == 0)
		return 0;
	return copy_from_user(t, buf, uaddr, (size_t)len) ? -EFAULT : 0;
}

int sys_sockaddr_out(struct task *t, const void *addr, size_t len, uaddr_t uaddr,
		     uaddr_t ulen)
{
	int ulen_v;

	if (uaddr_is_null(uaddr) || uaddr_is_null(ulen))
		return 0;
	if (copy_from_user(t, &ulen_v, ulen, sizeof(ulen_v)))
		return -EFAULT;
	if (ulen_v < 0)
		return -EINVAL;
	if (len > 0 && copy_to_user(t, uaddr, addr, MIN(len, (size_t)ulen_v)))
		return -EFAULT;
	ulen_v = (int)len;
	return copy_to_user(t, ulen, &ulen_v, sizeof(ulen_v)) ? -EFAULT : 0;
}

/* Split socket(2)'s type into the type and SOCK_NONBLOCK/SOCK_CLOEXEC. */
static int split_type(int *type, int *flags)
{
	*flags = *type & ~0xf;
	*type &= 0xf;
	return (*flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)) ? -EINVAL : 0;
}

static int install(struct task *t, struct file *f, int flags)
{
	if (flags & SOCK_NONBLOCK)
		f->flags |= O_NONBLOCK;
	return fdtable_alloc(t, t->files, f, 0, flags & SOCK_CLOEXEC);
}

long sys_socket(struct task *t, const struct sysargs *a)
{
	int type = arg_int(a, 1), flags;
	struct file *f;
	long ret = split_type(&type, &flags);

	if (ret == 0)
		ret = socket_create(arg_int(a, 0), type, arg_int(a, 2), &f);
	if (ret < 0)
		return ret;
	ret = install(t, f, flags);
	file_put(f);
	return ret;
}

long sys_socketpair(struct task *t, const struct sysargs *a)
{
	int type = arg_int(a, 1), flags, fds[2] = {-1, -1};
	struct file *fa, *fb;
	long ret = split_type(&type, &flags);

	if (ret == 0)
		ret = socket_create_pair(t, arg_int(a, 0), type, arg_int(a, 2), &fa, &fb);
	if (ret < 0)
		return ret;
	fds[0] = install(t, fa, flags);
	fds[1] = fds[0] < 0 ? -1 : install(t, fb, flags);
	if (fds[0] < 0 || fds[1] < 0)
		ret = fds[0] < 0 ? fds[0] : fds[1];
	else if (copy_to_user(t, arg_uaddr(a, 3), fds, sizeof(fds)))
		ret = -EFAULT;
	if (ret < 0) {
		if (fds[0] >= 0)
			fdtable_close(t->files, fds[0]);
		if (fds[1] >= 0)
			fdtable_close(t->files, fds[1]);
	}
	file_put(fa);
	file_put(fb);
	return ret;
}

/* bind and connect: an address in, one operation. */
static long addr_call(struct task *t, const struct sysargs *a, bool connect)
{
	char addr[SOCK_ADDR_MAX];
	struct socket *s;
	struct file *f;
	long ret = sys_sock_get(t, arg_int(a, 0), &f, &s);

	if (ret < 0)
		return ret;
	ret = sys_sockaddr_in(t, arg_uaddr(a, 1), arg_int(a, 2), addr);
	if (ret == 0 && connect)
		ret = s->ops->connect(t, s, addr, (size_t)arg_int(a, 2), f->flags & O_NONBLOCK);
	else if (ret == 0)
		ret = s->ops->bind(t, s, addr, (size_t)arg_int(a, 2));
	file_put(f);
	return ret;
}

long sys_bind(struct task *t, const struct sysargs *a)
{
	return addr_call(t, a, false);
}

long sys_connect(struct task *t, const struct sysargs *a)
{
	return addr_call(t, a, true);
}

long sys_listen(struct task *t, const struct sysargs *a)
{
	struct socket *s;
	struct file *f;
	long ret = sys_sock_get(t, arg_int(a, 0), &f, &s);

	if (ret < 0)
		return ret;
	ret = s->ops->listen(t, s, arg_int(a, 1));
	file_put(f);
	return ret;
}

static long do_accept(struct task *t, const struct sysargs *a, int flags)
{
	char addr[SOCK_ADDR_MAX];
	size_t len = 0;
	struct socket *s, *ns;
	struct file *f, *nf;
	long ret;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	ret = sys_sock_get(t, arg_int(a, 0), &f, &s);
	if (ret < 0)
		return ret;
	ret = s->ops->accept(t, s, f->flags & O_NONBLOCK, &ns);
	file_put(f);
	if (ret < 0)
		return ret;
	nf = socket_file_new(ns, false);
	if (!uaddr_is_null(arg_uaddr(a, 1))) {
		ret = ns->ops->getname(ns, true, addr, &len);
		if (ret == -ENOTCONN) { /* the client is gone already: no address */
			len = sizeof(uint16_t);
			addr[0] = AF_UNIX;
			addr[1] = 0;
			ret = 0;
		}
		if (ret == 0)
			ret = sys_sockaddr_out(t, addr, len, arg_uaddr(a, 1), arg_uaddr(a, 2));
	}
	if (ret == 0)
		ret = install(t, nf, flags);
	file_put(nf);
	return ret;
}

long sys_accept(struct task *t, const struct sysargs *a)
{
	return do_accept(t, a, 0);
}

long sys_accept4(struct task *t, const struct sysargs *a)
{
	return do_accept(t, a, arg_int(a, 3));
}

static long name_call(struct task *t, const struct sysargs *a, bool peer)
{
	char addr[SOCK_ADDR_MAX];
	size_t len = 0;
	struct socket *s;
	struct file *f;
	long ret = sys_sock_get(t, arg_int(a, 0), &f, &s);

	if (ret < 0)
		return ret;
	ret = s->ops->getname(s, peer, addr, &len);
	if (ret == 0)
		ret = sys_sockaddr_out(t, addr, len, arg_uaddr(a, 1), arg_uaddr(a, 2));
	file_put(f);
	return ret;
}

long sys_getsockname(struct task *t, const struct sysargs *a)
{
	return name_call(t, a, false);
}

long sys_getpeername(struct task *t, const struct sysargs *a)
{
	return name_call(t, a, true);
}

long sys_shutdown(struct task *t, const struct sysargs *a)
{
	struct socket *s;
	struct file *f;
	long ret = sys_sock_get(t, arg_int(a, 0), &f, &s);

	if (ret < 0)
		return ret;
	ret = s->ops->shutdown(s, arg_int(a, 1));
	file_put(f);
	return ret;
}

long sys_setsockopt(struct task *t, const struct sysargs *a)
{
	char val[SOCKOPT_MAX] = {0};
	int len = arg_int(a, 4);
	struct socket *s;
	struct file *f;
	long ret = sys_sock_get(t, arg_int(a, 0), &f, &s);

	if (ret < 0)
		return ret;
	if (len < 0)
		ret = -EINVAL;
	else if (len > 0 && copy_from_user(t, val, arg_uaddr(a, 3), MIN((size_t)len, sizeof(val))))
		ret = -EFAULT;
	if (ret == 0)
		ret = socket_setsockopt(t, s, arg_int(a, 1), arg_int(a, 2), val,
					MIN((size_t)len, sizeof(val)));
	file_put(f);
	return ret;
}

long sys_getsockopt(struct task *t, const struct sysargs *a)
{
	char val[SOCKOPT_MAX] = {0};
	int ulen;
	size_t len;
	struct socket *s;
	struct file *f;
	long ret = sys_sock_get(t, arg_int(a, 0), &f, &s);

	if (ret < 0)
		return ret;
	if (copy_from_user(t, &ulen, arg_uaddr(a, 4), sizeof(ulen)))
		ret = -EFAULT;
	else if (ulen < 0)
		ret = -EINVAL;
	len = MIN((size_t)(ulen < 0 ? 0 : ulen), sizeof(val));
	if (ret == 0)
		ret = socket_getsockopt(t, s, arg_int(a, 1), arg_int(a, 2), val, &len);
	if (ret == 0 && len > 0 && copy_to_user(t, arg_uaddr(a, 3), val, len))
		ret = -EFAULT;
	ulen = (int)len;
	if (ret == 0 && copy_to_user(t, arg_uaddr(a, 4), &ulen, sizeof(ulen)))
		ret = -EFAULT;
	file_put(f);
	return ret;
}
