/* sys_file_xattr.c: the extended-attribute calls. No in-Sentry filesystem stores extended
 * attributes yet: lookups resolve the file (so ENOENT, EBADF... are exact), reads find no
 * attribute (ENODATA), lists are empty, and setting one is EOPNOTSUPP. trusted.* follows
 * Linux's permission rule first: without CAP_SYS_ADMIN writes are EPERM. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define XATTR_NAME_MAX 255

/* Resolve the target: a path (following symlinks unless nofollow) or an fd. */
static long xattr_target(struct task *t, uaddr_t upath, int fd, bool nofollow)
{
	struct kstat st;
	char *path = NULL;
	long ret;

	if (fd >= 0) {
		struct file *f = sys_fd_file(t, fd);

		if (!f)
			return -EBADF;
		file_put(f);
		return 0;
	}
	ret = sys_copy_path(t, upath, &path);
	if (ret < 0)
		return ret;
	ret = vfs_statat(t, AT_FDCWD, path, nofollow ? AT_SYMLINK_NOFOLLOW : 0, &st);
	free(path);
	return ret;
}

/* Linux's name checks: a known namespace prefix, 1..255 bytes. Returns 1 for trusted.*,
 * which only CAP_SYS_ADMIN sees (others read ENODATA and write EPERM), else 0. */
static long xattr_name(struct task *t, uaddr_t uname)
{
	char name[XATTR_NAME_MAX + 2];
	long len = strncpy_from_user(t, name, uname, sizeof(name));

	if (len == -ENAMETOOLONG || len > XATTR_NAME_MAX || len == 0)
		return -ERANGE;
	if (len < 0)
		return len;
	if (strncmp(name, "user.", 5) && strncmp(name, "system.", 7) &&
	    strncmp(name, "security.", 9) && strncmp(name, "trusted.", 8))
		return -EOPNOTSUPP;
	return strncmp(name, "trusted.", 8) == 0;
}

static long do_getxattr(struct task *t, const struct sysargs *a, int fd, bool nofollow)
{
	long ret = xattr_target(t, arg_uaddr(a, 0), fd, nofollow);

	if (ret == 0)
		ret = xattr_name(t, arg_uaddr(a, 1));
	return ret < 0 ? ret : -ENODATA;
}

static long do_listxattr(struct task *t, const struct sysargs *a, int fd, bool nofollow)
{
	long ret = xattr_target(t, arg_uaddr(a, 0), fd, nofollow);

	return ret < 0 ? ret : 0; /* an empty list */
}

static long do_setxattr(struct task *t, const struct sysargs *a, int fd, bool nofollow,
			bool remove)
{
	long ret = xattr_target(t, arg_uaddr(a, 0), fd, nofollow);

	if (ret == 0)
		ret = xattr_name(t, arg_uaddr(a, 1));
	if (ret < 0)
		return ret;
	if (ret == 1 && !caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	return remove ? -ENODATA : -EOPNOTSUPP;
}

long sys_getxattr(struct task *t, const struct sysargs *a)
{
	return do_getxattr(t, a, -1, false);
}

long sys_lgetxattr(struct task *t, const struct sysargs *a)
{
	return do_getxattr(t, a, -1, true);
}

long sys_fgetxattr(struct task *t, const struct sysargs *a)
{
	return arg_int(a, 0) < 0 ? -EBADF : do_getxattr(t, a, arg_int(a, 0), false);
}

long sys_listxattr(struct task *t, const struct sysargs *a)
{
	return do_listxattr(t, a, -1, false);
}

long sys_llistxattr(struct task *t, const struct sysargs *a)
{
	return do_listxattr(t, a, -1, true);
}

long sys_flistxattr(struct task *t, const struct sysargs *a)
{
	return arg_int(a, 0) < 0 ? -EBADF : do_listxattr(t, a, arg_int(a, 0), false);
}

long sys_setxattr(struct task *t, const struct sysargs *a)
{
	return do_setxattr(t, a, -1, false, false);
}

long sys_lsetxattr(struct task *t, const struct sysargs *a)
{
	return do_setxattr(t, a, -1, true, false);
}

long sys_fsetxattr(struct task *t, const struct sysargs *a)
{
	return arg_int(a, 0) < 0 ? -EBADF : do_setxattr(t, a, arg_int(a, 0), false, false);
}

long sys_removexattr(struct task *t, const struct sysargs *a)
{
	return do_setxattr(t, a, -1, false, true);
}

long sys_lremovexattr(struct task *t, const struct sysargs *a)
{
	return do_setxattr(t, a, -1, true, true);
}

long sys_fremovexattr(struct task *t, const struct sysargs *a)
{
	return arg_int(a, 0) < 0 ? -EBADF : do_setxattr(t, a, arg_int(a, 0), false, true);
}
