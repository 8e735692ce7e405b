/* sys_file_xattr.c: the extended-attribute calls. Here the name and value are copied in
 * (and the result out) in Linux's order: flags (EINVAL), then the name (ERANGE when empty
 * or longer than 255 bytes), then the value (E2BIG over 64 KiB), then the path; the
 * namespace, permission and file-type rules and the filesystems' storage are the VFS's
 * (sentry/vfs/xattr.c). The f* calls act on the open file (EBADF for O_PATH). */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"

/* Where a call points: a path (relative to the cwd) or an fd. */
struct xat {
	int dirfd;
	char *path; /* NULL: the file dirfd */
	int at_flags;
};

static long xattr_name(struct task *t, uaddr_t uname, char name[XATTR_NAME_LEN_MAX + 2])
{
	long len = strncpy_from_user(t, name, uname, XATTR_NAME_LEN_MAX + 2);

	if (len == -ENAMETOOLONG || len > XATTR_NAME_LEN_MAX || len == 0)
		return -ERANGE;
	return len < 0 ? len : 0;
}

/* The target of a call: arg 0 is a path, or (byfd) an fd. */
static long xat_get(struct task *t, const struct sysargs *a, bool byfd, bool nofollow,
		    struct xat *x)
{
	x->path = NULL;
	x->at_flags = nofollow ? AT_SYMLINK_NOFOLLOW : 0;
	if (byfd) {
		x->dirfd = arg_int(a, 0); /* with no path, AT_FDCWD too is EBADF */
		return 0;
	}
	x->dirfd = AT_FDCWD;
	return sys_copy_path(t, arg_uaddr(a, 0), &x->path);
}

/* Read attribute name (NULL: the list) of x into the user buffer ubuf of size bytes
 * (clamped to Linux's limits; 0: the length only). Frees x->path. */
static long xattr_read(struct task *t, struct xat *x, const char *name, uaddr_t ubuf,
		       size_t size)
{
	void *buf = NULL;
	long ret;

	size = MIN(size, name ? (size_t)XATTR_SIZE_MAX : (size_t)XATTR_LIST_MAX);
	if (size)
		buf = xmalloc(size);
	ret = name ? vfs_getxattrat(t, x->dirfd, x->path, x->at_flags, name, buf, size)
		   : vfs_listxattrat(t, x->dirfd, x->path, x->at_flags, buf, size);
	if (ret > 0 && size && copy_to_user(t, ubuf, buf, (size_t)ret))
		ret = -EFAULT;
	free(buf);
	free(x->path);
	return ret;
}

static long do_getxattr(struct task *t, const struct sysargs *a, bool byfd, bool nofollow)
{
	char name[XATTR_NAME_LEN_MAX + 2];
	struct xat x;
	long ret;

	ret = xattr_name(t, arg_uaddr(a, 1), name);
	if (ret == 0)
		ret = xat_get(t, a, byfd, nofollow, &x);
	if (ret < 0)
		return ret;
	return xattr_read(t, &x, name, arg_uaddr(a, 2), arg_u64(a, 3));
}

static long do_listxattr(struct task *t, const struct sysargs *a, bool byfd, bool nofollow)
{
	struct xat x;
	long ret = xat_get(t, a, byfd, nofollow, &x);

	if (ret < 0)
		return ret;
	return xattr_read(t, &x, NULL, arg_uaddr(a, 1), arg_u64(a, 2));
}

static long do_setxattr(struct task *t, const struct sysargs *a, bool byfd, bool nofollow)
{
	char name[XATTR_NAME_LEN_MAX + 2];
	size_t size = arg_u64(a, 3);
	int flags = arg_int(a, 4);
	void *value = NULL;
	struct xat x = {.path = NULL};
	long ret;

	if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
		return -EINVAL;
	ret = xattr_name(t, arg_uaddr(a, 1), name);
	if (ret < 0)
		return ret;
	if (size > XATTR_SIZE_MAX)
		return -E2BIG;
	if (size) {
		value = xmalloc(size);
		ret = copy_from_user(t, value, arg_uaddr(a, 2), size);
	}
	if (ret == 0)
		ret = xat_get(t, a, byfd, nofollow, &x);
	if (ret == 0)
		ret = vfs_setxattrat(t, x.dirfd, x.path, x.at_flags, name, value, size, flags);
	free(value);
	free(x.path);
	return ret;
}

static long do_removexattr(struct task *t, const struct sysargs *a, bool byfd, bool nofollow)
{
	char name[XATTR_NAME_LEN_MAX + 2];
	struct xat x;
	long ret;

	ret = xattr_name(t, arg_uaddr(a, 1), name);
	if (ret == 0)
		ret = xat_get(t, a, byfd, nofollow, &x);
	if (ret < 0)
		return ret;
	ret = vfs_removexattrat(t, x.dirfd, x.path, x.at_flags, name);
	free(x.path);
	return ret;
}

long sys_getxattr(struct task *t, const struct sysargs *a)
{
	return do_getxattr(t, a, false, false);
}

long sys_lgetxattr(struct task *t, const struct sysargs *a)
{
	return do_getxattr(t, a, false, true);
}

long sys_fgetxattr(struct task *t, const struct sysargs *a)
{
	return do_getxattr(t, a, true, false);
}

long sys_listxattr(struct task *t, const struct sysargs *a)
{
	return do_listxattr(t, a, false, false);
}

long sys_llistxattr(struct task *t, const struct sysargs *a)
{
	return do_listxattr(t, a, false, true);
}

long sys_flistxattr(struct task *t, const struct sysargs *a)
{
	return do_listxattr(t, a, true, false);
}

long sys_setxattr(struct task *t, const struct sysargs *a)
{
	return do_setxattr(t, a, false, false);
}

long sys_lsetxattr(struct task *t, const struct sysargs *a)
{
	return do_setxattr(t, a, false, true);
}

long sys_fsetxattr(struct task *t, const struct sysargs *a)
{
	return do_setxattr(t, a, true, false);
}

long sys_removexattr(struct task *t, const struct sysargs *a)
{
	return do_removexattr(t, a, false, false);
}

long sys_lremovexattr(struct task *t, const struct sysargs *a)
{
	return do_removexattr(t, a, false, true);
}

long sys_fremovexattr(struct task *t, const struct sysargs *a)
{
	return do_removexattr(t, a, true, false);
}

/* The *xattrat calls (Linux 6.13): a dirfd, a path (NULL or "" with AT_EMPTY_PATH: the
 * file dirfd) and at_flags; set/get take value, size and flags in a struct xattr_args
 * whose size the caller passes (at least 16 bytes, at most a page, any tail zero). */
struct xattr_args_k {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

#define XATTR_ARGS_SIZE_VER0 16

static long xattr_args_get(struct task *t, uaddr_t uargs, size_t usize, struct xattr_args_k *k)
{
	if (usize < XATTR_ARGS_SIZE_VER0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return sys_copy_struct(t, k, sizeof(*k), uargs, usize);
}

/* The target of an *at call: arg 0 the dirfd, arg 1 the path, arg 2 at_flags. */
static long xat_get_at(struct task *t, const struct sysargs *a, struct xat *x)
{
	uaddr_t upath = arg_uaddr(a, 1);

	x->dirfd = arg_int(a, 0);
	x->at_flags = arg_int(a, 2);
	x->path = NULL;
	if (x->at_flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((x->at_flags & AT_EMPTY_PATH) && uaddr_is_null(upath))
		return 0; /* the file dirfd */
	return sys_copy_path(t, upath, &x->path);
}

long sys_getxattrat(struct task *t, const struct sysargs *a)
{
	char name[XATTR_NAME_LEN_MAX + 2];
	struct xattr_args_k k;
	struct xat x;
	long ret;

	if (arg_int(a, 2) & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	ret = xattr_args_get(t, arg_uaddr(a, 4), arg_u64(a, 5), &k);
	if (ret == 0 && k.flags)
		ret = -EINVAL;
	if (ret == 0)
		ret = xattr_name(t, arg_uaddr(a, 3), name);
	if (ret == 0)
		ret = xat_get_at(t, a, &x);
	if (ret < 0)
		return ret;
	return xattr_read(t, &x, name, uaddr(k.value), k.size);
}

long sys_setxattrat(struct task *t, const struct sysargs *a)
{
	char name[XATTR_NAME_LEN_MAX + 2];
	struct xattr_args_k k;
	struct xat x = {.path = NULL};
	void *value = NULL;
	long ret;

	if (arg_int(a, 2) & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	ret = xattr_args_get(t, arg_uaddr(a, 4), arg_u64(a, 5), &k);
	if (ret == 0 && (k.flags & ~(XATTR_CREATE | XATTR_REPLACE)))
		ret = -EINVAL;
	if (ret == 0)
		ret = xattr_name(t, arg_uaddr(a, 3), name);
	if (ret == 0 && k.size > XATTR_SIZE_MAX)
		ret = -E2BIG;
	if (ret == 0 && k.size) {
		value = xmalloc(k.size);
		ret = copy_from_user(t, value, uaddr(k.value), k.size);
	}
	if (ret == 0)
		ret = xat_get_at(t, a, &x);
	if (ret == 0)
		ret = vfs_setxattrat(t, x.dirfd, x.path, x.at_flags, name, value, k.size,
				     (int)k.flags);
	free(value);
	free(x.path);
	return ret;
}

long sys_listxattrat(struct task *t, const struct sysargs *a)
{
	struct xat x;
	long ret = xat_get_at(t, a, &x);

	if (ret < 0)
		return ret;
	return xattr_read(t, &x, NULL, arg_uaddr(a, 3), arg_u64(a, 4));
}

long sys_removexattrat(struct task *t, const struct sysargs *a)
{
	char name[XATTR_NAME_LEN_MAX + 2];
	struct xat x = {.path = NULL};
	long ret;

	if (arg_int(a, 2) & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	ret = xattr_name(t, arg_uaddr(a, 3), name);
	if (ret == 0)
		ret = xat_get_at(t, a, &x);
	if (ret == 0)
		ret = vfs_removexattrat(t, x.dirfd, x.path, x.at_flags, name);
	free(x.path);
	return ret;
}
