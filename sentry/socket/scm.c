/* scm.c: socket control messages in Sentry buffers: parsing what sendmsg passes
 * (SCM_RIGHTS, SCM_CREDENTIALS with Linux's permission checks) and building what recvmsg
 * returns (installing passed fds, MSG_CTRUNC when the buffer is short). */
#include "sentry/socket/scm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/capability.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define HDR_SIZE sizeof(struct cmsghdr)
#define ALIGN8(x) (((x) + 7) & ~(size_t)7)

static int take_rights(struct task *t, const void *data, size_t size, struct sock_msg *m)
{
	int n = (int)(size / sizeof(int));

	if (n <= 0)
		return 0;
	if (m->nfds + n > SCM_MAX_FD)
		return -EINVAL;
	m->fds = xrealloc(m->fds, (size_t)(m->nfds + n) * sizeof(*m->fds));
	for (int i = 0; i < n; i++) {
		int fd;
		struct file *f;

		memcpy(&fd, (const char *)data + (size_t)i * sizeof(int), sizeof(fd));
		f = fdtable_get(t->files, fd);
		if (!f)
			return -EBADF;
		m->fds[m->nfds++] = f;
	}
	return 0;
}

static bool id_ok(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
	return id == a || id == b || id == c;
}

static int take_cred(struct task *t, const void *data, size_t size, struct sock_msg *m)
{
	struct sock_cred c;
	const struct creds *cr = &t->creds;

	if (size != sizeof(c))
		return -EINVAL;
	memcpy(&c, data, sizeof(c));
	if ((c.pid != tg_vnr(t, t->tg) && !caps_capable(t, CAP_SYS_ADMIN)) ||
	    (!id_ok(c.uid, cr->uid, cr->euid, cr->suid) && !caps_capable(t, CAP_SETUID)) ||
	    (!id_ok(c.gid, cr->gid, cr->egid, cr->sgid) && !caps_capable(t, CAP_SETGID)))
		return -EPERM;
	c.pid = pid_from_vnr(t, c.pid); /* kept sandbox-wide, shown as the receiver sees it */
	if (c.pid < 0)
		return -ESRCH;
	m->cred = c;
	m->has_cred = true;
	return 0;
}

int scm_parse(struct task *t, const void *ctl, size_t size, struct sock_msg *m)
{
	size_t off = 0;
	int ret = 0;

	while (ret == 0 && size - off >= HDR_SIZE) {
		struct cmsghdr h;
		const char *data = (const char *)ctl + off + HDR_SIZE;

		memcpy(&h, (const char *)ctl + off, HDR_SIZE);
		if (h.cmsg_len < HDR_SIZE || h.cmsg_len > size - off)
			return -EINVAL;
		if (h.cmsg_level == SOL_SOCKET) {
			if (h.cmsg_type == SCM_RIGHTS)
				ret = take_rights(t, data, h.cmsg_len - HDR_SIZE, m);
			else if (h.cmsg_type == SCM_CREDENTIALS)
				ret = take_cred(t, data, h.cmsg_len - HDR_SIZE, m);
			else
				ret = -EINVAL;
		}
		off += ALIGN8(h.cmsg_len);
		if (off > size)
			break;
	}
	return ret;
}

void scm_drop(struct sock_msg *m)
{
	for (int i = 0; i < m->nfds; i++)
		file_put(m->fds[i]);
	free(m->fds);
	m->fds = NULL;
	m->nfds = 0;
}

/* Append one message of size data bytes; truncated (MSG_CTRUNC) if it does not fit. */
static void put_cmsg(struct scm_out *o, int type, const void *data, size_t size,
		     struct sock_msg *m)
{
	struct cmsghdr h = {.cmsg_level = SOL_SOCKET, .cmsg_type = type};
	size_t room = o->cap - o->used, len = HDR_SIZE + size;

	if (room < HDR_SIZE) {
		m->out_flags |= MSG_CTRUNC;
		return;
	}
	if (room < len) {
		m->out_flags |= MSG_CTRUNC;
		len = room;
	}
	if (o->used + len > o->fault_at)
		return; /* Linux's put_cmsg fails with EFAULT, which recvmsg ignores */
	h.cmsg_len = len;
	memcpy(o->buf + o->used, &h, HDR_SIZE);
	memcpy(o->buf + o->used + HDR_SIZE, data, len - HDR_SIZE);
	o->used += MIN(ALIGN8(len), room);
}

void scm_put(struct task *t, struct sock_msg *m, struct scm_out *o, bool cloexec)
{
	int installed = 0;

	if (m->has_cred) {
		struct sock_cred c = m->cred;

		c.pid = pid_vnr(t, c.pid);
		put_cmsg(o, SCM_CREDENTIALS, &c, sizeof(c), m);
	}
	if (m->nfds > 0) {
		size_t room = o->cap - o->used;
		size_t ok = MIN(room, o->fault_at > o->used ? o->fault_at - o->used : 0);
		int max = ok < HDR_SIZE ? 0 : (int)((ok - HDR_SIZE) / sizeof(int));
		int *fds = xcalloc((size_t)m->nfds, sizeof(int));

		for (; installed < m->nfds && installed < max; installed++) {
			int fd = fdtable_alloc(t, t->files, m->fds[installed], 0, cloexec);

			if (fd < 0)
				break;
			fds[installed] = fd;
		}
		if (installed > 0)
			put_cmsg(o, SCM_RIGHTS, fds, (size_t)installed * sizeof(int), m);
		if (installed < m->nfds)
			m->out_flags |= MSG_CTRUNC;
		free(fds);
	}
	scm_drop(m); /* the fd table holds its own references */
}
