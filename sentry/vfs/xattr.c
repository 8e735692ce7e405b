/* xattr.c: extended attributes as Linux's fs/xattr.c checks them, before the filesystem's
 * inode_ops (getxattr, listxattr, setxattr, removexattr) store them:
 *  - a name has a namespace: user.*, trusted.*, security.* or system.*; any other is
 *    EOPNOTSUPP and a bare prefix ("user.") EINVAL, after the permission checks;
 *  - trusted.* is CAP_SYS_ADMIN's: others read ENODATA, write EPERM and never list it;
 *  - user.* lives on regular files and directories only (others: ENODATA, EPERM to
 *    write); in a sticky directory only its owner (or CAP_FOWNER) writes them; reads need
 *    read permission and writes write permission, as do unknown namespaces;
 *  - security.* needs CAP_SYS_ADMIN to write (Linux's commoncap without an LSM);
 *    security.capability needs CAP_SETFCAP and a v2/v3 header (stored, but execve grants
 *    no file capabilities);
 *  - system.posix_acl_*: ACLs are not implemented, so they read as absent (ENODATA),
 *    writing them is EOPNOTSUPP and lists leave system.* out; other system.* names are
 *    EOPNOTSUPP;
 *  - writes need a writable mount (EROFS), raise IN_ATTRIB and leave ctime to the
 *    filesystem. A filesystem without the operations stores none: reads ENODATA, empty
 *    lists, writes EOPNOTSUPP.
 */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/xattr.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/fsnotify.h"

#define LIST_FETCH_MAX (1 << 20) /* a filesystem's whole list, trusted.* names included */


enum xattr_ns { NS_USER, NS_TRUSTED, NS_SECURITY, NS_SYSTEM, NS_OTHER };

/* What an xattr call acts on: a path, or an open file without one (a pipe, a socket). */
struct xtarget {
	struct path p;	/* p.dentry NULL: anonymous */
	struct kstat st;
};

static const struct {
	const char *prefix;
	size_t len;
} g_ns[] = {
	[NS_USER] = {"user.", 5},
	[NS_TRUSTED] = {"trusted.", 8},
	[NS_SECURITY] = {"security.", 9},
	[NS_SYSTEM] = {"system.", 7},
};

static enum xattr_ns xattr_ns_of(const char *name)
{
	for (int i = 0; i < NS_OTHER; i++)
		if (!strncmp(name, g_ns[i].prefix, g_ns[i].len))
			return (enum xattr_ns)i;
	return NS_OTHER;
}

static bool is_posix_acl(const char *name)
{
	return !strcmp(name, "system.posix_acl_access") ||
	       !strcmp(name, "system.posix_acl_default");
}

static void xtarget_put(struct xtarget *x)
{
	if (x->p.dentry)
		path_put(&x->p);
}

static int xtarget_fd(struct task *t, int fd, struct xtarget *x)
{
	struct file *f = fdtable_get(t->files, fd);
	int ret = 0;

	if (!f)
		return -EBADF;
	if (f->fmode & FMODE_PATH) {
		ret = -EBADF; /* as Linux: O_PATH descriptors have no attributes to offer */
	} else if (f->path.dentry) {
		x->p = f->path;
		path_get(&x->p);
		ret = vfs_getattr(x->p.dentry, &x->st);
		if (ret < 0)
			path_put(&x->p);
	} else {
		ret = vfs_fstat(f, &x->st);
	}
	file_put(f);
	return ret;
}

static int xtarget_get(struct task *t, int dirfd, const char *path, int at_flags,
		       struct xtarget *x)
{
	unsigned lookup;
	int ret;

	memset(x, 0, sizeof(*x));
	if (at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!path || (!path[0] && (at_flags & AT_EMPTY_PATH) && dirfd >= 0))
		return xtarget_fd(t, dirfd, x);
	lookup = ((at_flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
		 ((at_flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
	ret = vfs_lookupat(t, dirfd, path, lookup, &x->p);
	if (ret < 0)
		return ret;
	ret = vfs_getattr(x->p.dentry, &x->st);
	if (ret < 0)
		path_put(&x->p);
	return ret;
}

static bool owner_or_fowner(struct task *t, const struct kstat *st)
{
	const struct creds *c = task_fs_creds(t);

	return !c || c->fsuid == st->uid || caps_capable(t, CAP_FOWNER);
}

/* Linux's xattr_permission: mask is MAY_READ or MAY_WRITE. */
static int xattr_permission(struct task *t, const struct xtarget *x, const char *name, int mask)
{
	bool wr = mask & MAY_WRITE;
	uint32_t mode = x->st.mode;

	switch (xattr_ns_of(name)) {
	case NS_SECURITY:
	case NS_SYSTEM:
		return 0; /* left to the filesystem (and the security checks below) */
	case NS_TRUSTED:
		if (!caps_capable(t, CAP_SYS_ADMIN))
			return wr ? -EPERM : -ENODATA;
		return 0;
	case NS_USER:
		if (!S_ISREG(mode) && !S_ISDIR(mode))
			return wr ? -EPERM : -ENODATA;
		if (wr && S_ISDIR(mode) && (mode & S_ISVTX) && !owner_or_fowner(t, &x->st))
			return -EPERM;
		break;
	case NS_OTHER:
		break;
	}
	if (!x->p.dentry)
		return 0; /* an anonymous file: its owner is its creator */
	return vfs_permission(task_fs_creds(t), x->p.dentry, mask);
}

/* Linux's commoncap rules for writing security.* (no LSM). */
static int security_write_check(struct task *t, const char *name, const void *value,
				size_t size, bool remove)
{
	uint32_t magic;

	if (xattr_ns_of(name) != NS_SECURITY)
		return 0;
	if (strcmp(name, "security.capability"))
		return caps_capable(t, CAP_SYS_ADMIN) ? 0 : -EPERM;
	if (remove)
		return caps_capable(t, CAP_SETFCAP) ? 0 : -EPERM;
	if (size < sizeof(magic))
		return -EINVAL;
	memcpy(&magic, value, sizeof(magic));
	if (!(size == XATTR_CAPS_SZ_2 && (magic & VFS_CAP_REVISION_MASK) == VFS_CAP_REVISION_2) &&
	    !(size == XATTR_CAPS_SZ_3 && (magic & VFS_CAP_REVISION_MASK) == VFS_CAP_REVISION_3))
		return -EINVAL;
	return caps_capable(t, CAP_SETFCAP) ? 0 : -EPERM;
}

/* After the permission checks: the name's namespace must be one a filesystem serves. */
static int name_check(const char *name)
{
	enum xattr_ns ns = xattr_ns_of(name);

	if (strlen(name) > XATTR_NAME_LEN_MAX || !name[0])
		return -ERANGE;
	if (ns == NS_OTHER)
		return -EOPNOTSUPP;
	if (!name[g_ns[ns].len])
		return -EINVAL;
	return 0;
}

static const struct inode_ops *xattr_ops(const struct xtarget *x)
{
	return x->p.dentry ? x->p.dentry->inode->iops : NULL;
}

ssize_t vfs_getxattrat(struct task *t, int dirfd, const char *path, int at_flags,
		       const char *name, void *buf, size_t size)
{
	const struct inode_ops *ops;
	struct xtarget x;
	ssize_t ret;

	if (!name[0] || strlen(name) > XATTR_NAME_LEN_MAX)
		return -ERANGE;
	ret = xtarget_get(t, dirfd, path, at_flags, &x);
	if (ret < 0)
		return ret;
	if (size > XATTR_SIZE_MAX)
		size = XATTR_SIZE_MAX;
	ret = xattr_permission(t, &x, name, MAY_READ);
	if (ret == 0)
		ret = name_check(name);
	ops = xattr_ops(&x);
	if (ret == 0 && xattr_ns_of(name) == NS_SYSTEM)
		ret = is_posix_acl(name) ? -ENODATA : -EOPNOTSUPP;
	else if (ret == 0 && (!ops || !ops->getxattr))
		ret = -ENODATA;
	else if (ret == 0)
		ret = ops->getxattr(x.p.dentry, name, buf, size);
	if (ret == -ERANGE && size >= XATTR_SIZE_MAX)
		ret = -E2BIG;
	xtarget_put(&x);
	return ret;
}

/* Copy the names of list (len bytes) that the task may see into buf. */
static ssize_t list_filter(struct task *t, const char *list, size_t len, char *buf, size_t size)
{
	bool trusted = caps_capable(t, CAP_SYS_ADMIN);
	size_t out = 0;

	for (size_t i = 0; i < len;) {
		size_t n = strnlen(list + i, len - i);

		enum xattr_ns ns = xattr_ns_of(list + i);

		if (n && ns != NS_SYSTEM && (trusted || ns != NS_TRUSTED)) {
			if (size && out + n + 1 > size)
				return -ERANGE;
			if (size)
				memcpy(buf + out, list + i, n + 1);
			out += n + 1;
		}
		i += n + 1;
	}
	return (ssize_t)out;
}

ssize_t vfsk_listxattr_all(struct dentry *d, char **out)
{
	const struct inode_ops *ops = d->inode->iops;
	size_t cap = XATTR_LIST_MAX;
	ssize_t ret = -ERANGE;
	char *all;

	*out = NULL;
	if (!ops->listxattr)
		return 0;
	/* One call when the list fits (a round trip on the gofer); if it does not, or grows
	 * between the calls while the filesystem lets the lock go, ask its length. */
	for (int tries = 0; tries < 3 && ret == -ERANGE; tries++) {
		all = xmalloc(cap);
		ret = ops->listxattr(d, all, cap);
		if (ret > 0) {
			*out = all;
			return ret;
		}
		free(all);
		if (ret != -ERANGE)
			return ret;
		ret = ops->listxattr(d, NULL, 0);
		if (ret <= 0)
			return ret;
		if (ret > LIST_FETCH_MAX)
			return -E2BIG;
		cap = (size_t)ret;
		ret = -ERANGE;
	}
	return ret;
}

static ssize_t list_names(struct task *t, struct dentry *d, char *buf, size_t size)
{
	char *all;
	ssize_t ret = vfsk_listxattr_all(d, &all);

	if (ret > 0)
		ret = list_filter(t, all, (size_t)ret, buf, size);
	free(all);
	return ret;
}

ssize_t vfs_listxattrat(struct task *t, int dirfd, const char *path, int at_flags, char *buf,
			size_t size)
{
	struct xtarget x;
	ssize_t ret;

	ret = xtarget_get(t, dirfd, path, at_flags, &x);
	if (ret < 0)
		return ret;
	if (size > XATTR_LIST_MAX)
		size = XATTR_LIST_MAX;
	ret = 0;
	if (xattr_ops(&x) && xattr_ops(&x)->listxattr)
		ret = list_names(t, x.p.dentry, buf, size);
	if (ret == -ERANGE && size >= XATTR_LIST_MAX)
		ret = -E2BIG;
	xtarget_put(&x);
	return ret;
}

/* The checks shared by set and remove, after the target is resolved. */
static int write_checks(struct task *t, const struct xtarget *x, const char *name,
			const void *value, size_t size, bool remove)
{
	int ret = 0;

	if (x->p.dentry)
		ret = mnt_want_write(x->p.mnt);
	if (ret == 0)
		ret = xattr_permission(t, x, name, MAY_WRITE);
	if (ret == 0)
		ret = security_write_check(t, name, value, size, remove);
	if (ret == 0)
		ret = name_check(name);
	if (ret == 0 && xattr_ns_of(name) == NS_SYSTEM)
		ret = -EOPNOTSUPP; /* no ACLs: permissions are the mode bits alone */
	return ret;
}

int vfs_setxattrat(struct task *t, int dirfd, const char *path, int at_flags, const char *name,
		   const void *value, size_t size, int flags)
{
	const struct inode_ops *ops;
	struct xtarget x;
	int ret;

	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	if (!name[0] || strlen(name) > XATTR_NAME_LEN_MAX)
		return -ERANGE;
	if (size > XATTR_SIZE_MAX)
		return -E2BIG;
	if (!size)
		value = ""; /* an empty value, not a removal */
	ret = xtarget_get(t, dirfd, path, at_flags, &x);
	if (ret < 0)
		return ret;
	ret = write_checks(t, &x, name, value, size, false);
	ops = xattr_ops(&x);
	if (ret == 0 && (!ops || !ops->setxattr))
		ret = -EOPNOTSUPP;
	else if (ret == 0)
		ret = ops->setxattr(x.p.dentry, name, value, size, flags);
	if (ret == 0 && x.p.dentry)
		fsnotify_parent(x.p.dentry, IN_ATTRIB);
	xtarget_put(&x);
	return ret;
}

int vfs_removexattrat(struct task *t, int dirfd, const char *path, int at_flags,
		      const char *name)
{
	const struct inode_ops *ops;
	struct xtarget x;
	int ret;

	if (!name[0] || strlen(name) > XATTR_NAME_LEN_MAX)
		return -ERANGE;
	ret = xtarget_get(t, dirfd, path, at_flags, &x);
	if (ret < 0)
		return ret;
	ret = write_checks(t, &x, name, NULL, 0, true);
	ops = xattr_ops(&x);
	if (ret == 0 && (!ops || !ops->removexattr))
		ret = -EOPNOTSUPP;
	else if (ret == 0)
		ret = ops->removexattr(x.p.dentry, name);
	if (ret == 0 && x.p.dentry)
		fsnotify_parent(x.p.dentry, IN_ATTRIB);
	xtarget_put(&x);
	return ret;
}
