/* sys_socket.h: helpers shared by the socket syscall handlers (sys_socket.c,
 * sys_socket_msg.c): fd-to-socket lookup and address copies. */
#ifndef RUNSC_SENTRY_SYSCALLS_SYS_SOCKET_H
#define RUNSC_SENTRY_SYSCALLS_SYS_SOCKET_H

#include <stddef.h>

#include "sentry/abi/uaddr.h"

struct task;
struct file;
struct socket;

/* The socket open at fd: *fp referenced (file_put it), *sp its socket. -EBADF, -ENOTSOCK. */
int sys_sock_get(struct task *t, int fd, struct file **fp, struct socket **sp);
/* Copy an address of len bytes in (buf holds SOCK_ADDR_MAX). -EINVAL beyond that. */
int sys_sockaddr_in(struct task *t, uaddr_t uaddr, int len, void *buf);
/* Copy an address of len bytes out as Linux: at most *ulen bytes, then *ulen = len. Either
 * pointer NULL: nothing is written. */
int sys_sockaddr_out(struct task *t, const void *addr, size_t len, uaddr_t uaddr,
		     uaddr_t ulen);

#endif
