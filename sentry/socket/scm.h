/* scm.h: control messages (SCM_RIGHTS, SCM_CREDENTIALS) between struct sock_msg and the
 * cmsghdr layout, in Sentry buffers the syscall layer copies to and from the application. */
#ifndef RUNSC_SENTRY_SOCKET_SCM_H
#define RUNSC_SENTRY_SOCKET_SCM_H

#include <stdbool.h>
#include <stddef.h>

#include "sentry/socket/socket.h"

struct task;

/* Where received control messages go: cap bytes at buf, used so far; the application's
 * buffer faults after fault_at bytes. As in Linux, a message whose bytes would fault is
 * not written (SCM_RIGHTS: fds whose slot faults are not installed, MSG_CTRUNC). */
struct scm_out {
	char *buf;
	size_t cap, used, fault_at;
};

/* Parse sendmsg's control data (size bytes) into m: fds referenced from t's table,
 * checked credentials. Returns 0 or -EINVAL/-EBADF/-EPERM (the caller drops m's fds). */
int scm_parse(struct task *t, const void *ctl, size_t size, struct sock_msg *m);
/* Drop the fds a message holds. */
void scm_drop(struct sock_msg *m);
/* Build recvmsg's control data from m: credentials, then the fds installed in t's table
 * (cloexec: MSG_CMSG_CLOEXEC) as far as o has room; sets MSG_CTRUNC in m->out_flags when
 * something did not fit. m's fds are released. */
void scm_put(struct task *t, struct sock_msg *m, struct scm_out *o, bool cloexec);

#endif
