/* unix_name.c: AF_UNIX names: filesystem paths bound as S_IFSOCK nodes (found again
 * through the inode on connect), abstract names (per socket type, as Linux hashes them),
 * autobind, and getsockname/getpeername. */
#include "sentry/socket/unix_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"

/* Every bound socket (path and abstract names): few enough in a sandbox for a list. */
static struct list_head g_unix_bound = LIST_HEAD_INIT(g_unix_bound);
static unsigned g_autobind_next;

static struct unix_addr *addr_new(const void *bytes, size_t len)
{
	struct unix_addr *a = xcalloc(1, sizeof(*a));

	a->refs = 1;
	a->len = len;
	memcpy(a->bytes, bytes, len);
	return a;
}

/* Linux hashes abstract names with the socket type: each type has its own namespace. */
static struct unix_sock *find_abstract(const void *bytes, size_t len, int type)
{
	struct list_head *pos;

	list_for_each(pos, &g_unix_bound) {
		struct unix_sock *u = list_entry(pos, struct unix_sock, bound_link);

		if (!u->path.dentry && u->sock.type == type && u->addr->len == len &&
		    !memcmp(u->addr->bytes, bytes, len))
			return u;
	}
	return NULL;
}

static void bind_name(struct unix_sock *u, struct unix_addr *a)
{
	u->addr = a;
	list_add_tail(&u->bound_link, &g_unix_bound);
}

int unix_autobind(struct unix_sock *u)
{
	uint8_t b[8] = {AF_UNIX, 0, 0};

	if (u->addr)
		return 0;
	for (unsigned tries = 0; tries < 0x100000; tries++) {
		char hex[8];

		snprintf(hex, sizeof(hex), "%05x", g_autobind_next++ & 0xfffff);
		memcpy(b + 3, hex, 5);
		if (!find_abstract(b, sizeof(b), u->sock.type)) {
			bind_name(u, addr_new(b, sizeof(b)));
			return 0;
		}
	}
	return -ENOSPC;
}

/* The NUL-terminated path of a filesystem address into buf (UNIX_ADDR_MAX bytes). */
static int addr_path(const void *addr, size_t len, char *buf)
{
	size_t n = len - UNIX_PATH_OFF;

	memcpy(buf, (const char *)addr + UNIX_PATH_OFF, n);
	buf[n] = '\0';
	return buf[0] ? 0 : -ENOENT;
}

/* Checks shared by bind and connect: family, length. */
static int addr_check(const void *addr, size_t len)
{
	uint16_t family;

	if (len < UNIX_PATH_OFF || len > UNIX_ADDR_MAX)
		return -EINVAL;
	memcpy(&family, addr, sizeof(family));
	return family == AF_UNIX ? 0 : -EINVAL;
}

static int bind_path(struct task *t, struct unix_sock *u, const char *path)
{
	struct lookup_parent lp;
	struct dentry *d;
	struct path p;
	int ret = vfs_lookup_parent(t, AT_FDCWD, path, &lp);
	uint8_t b[UNIX_ADDR_MAX + 1] = {AF_UNIX, 0};
	size_t plen = strlen(path);

	if (ret < 0)
		return ret;
	if (lp.type != LAST_NORM) {
		ret = -EADDRINUSE;
		goto out;
	}
	ret = vfs_lookup_last(t, &lp, &p);
	if (ret == 0) {
		path_put(&p);
		ret = -EADDRINUSE;
		goto out;
	}
	if (ret != -ENOENT)
		goto out;
	ret = mnt_want_write(lp.dir.mnt);
	if (ret == 0)
		ret = vfs_permission(task_fs_creds(t), lp.dir.dentry, MAY_WRITE | MAY_EXEC);
	if (ret == 0)
		ret = vfsk_mknod(lp.dir.dentry, lp.last, S_IFSOCK | (0777 & ~t->fs->umask), 0,
				 task_fs_creds(t), &d);
	if (ret == 0) {
		u->path.mnt = lp.dir.mnt;
		u->path.dentry = d;
		memcpy(b + UNIX_PATH_OFF, path, plen + 1);
		bind_name(u, addr_new(b, UNIX_PATH_OFF + plen + 1));
	}
out:
	path_put(&lp.dir);
	return ret;
}

int unix_bind(struct task *t, struct socket *s, const void *addr, size_t len)
{
	struct unix_sock *u = unix_sk(s);
	char path[UNIX_ADDR_MAX + 1];
	int ret = addr_check(addr, len);

	if (ret < 0)
		return ret;
	if (len == UNIX_PATH_OFF)
		return u->addr ? -EINVAL : unix_autobind(u);
	if (u->addr)
		return -EINVAL;
	if (((const char *)addr)[UNIX_PATH_OFF] == '\0') {
		if (find_abstract(addr, len, s->type))
			return -EADDRINUSE;
		bind_name(u, addr_new(addr, len));
		return 0;
	}
	addr_path(addr, len, path);
	return bind_path(t, u, path);
}

int unix_find(struct task *t, int type, const void *addr, size_t len, struct unix_sock **out)
{
	char path[UNIX_ADDR_MAX + 1];
	struct unix_sock *u;
	struct path p;
	int ret = addr_check(addr, len);

	if (ret < 0)
		return ret;
	if (len == UNIX_PATH_OFF)
		return -EINVAL;
	if (((const char *)addr)[UNIX_PATH_OFF] == '\0') {
		u = find_abstract(addr, len, type);
		if (!u)
			return -ECONNREFUSED;
		unix_sock_get(u);
		*out = u;
		return 0;
	}
	addr_path(addr, len, path);
	ret = vfs_lookupat(t, AT_FDCWD, path, LOOKUP_FOLLOW, &p);
	if (ret < 0)
		return ret;
	if (!S_ISSOCK(p.dentry->inode->mode))
		ret = -ECONNREFUSED;
	else
		ret = vfs_permission(task_fs_creds(t), p.dentry, MAY_WRITE);
	if (ret == 0) {
		struct list_head *pos;

		ret = -ECONNREFUSED;
		list_for_each(pos, &g_unix_bound) {
			u = list_entry(pos, struct unix_sock, bound_link);
			if (u->path.dentry && u->path.dentry->inode == p.dentry->inode) {
				unix_sock_get(u);
				*out = u;
				ret = 0;
				break;
			}
		}
	}
	path_put(&p);
	return ret;
}

int unix_getname(struct socket *s, bool peer, void *addr, size_t *len)
{
	struct unix_sock *u = unix_sk(s);
	struct unix_addr *a;

	if (peer) {
		if (!u->peer || u->state != UNIX_CONNECTED)
			return -ENOTCONN;
		a = u->peer->addr;
	} else {
		a = u->addr;
	}
	if (!a) {
		uint16_t family = AF_UNIX;

		memcpy(addr, &family, sizeof(family));
		*len = sizeof(family);
		return 0;
	}
	memcpy(addr, a->bytes, a->len);
	*len = a->len;
	return 0;
}

void unix_unbind(struct unix_sock *u)
{
	if (list_empty(&u->bound_link))
		return;
	list_del(&u->bound_link);
	if (u->path.dentry)
		path_put(&u->path);
	u->path.dentry = NULL;
}
