/* sys_mount_api.c: the new mount API (fsopen, fsconfig, fsmount, fspick, move_mount,
 * open_tree, mount_setattr): arguments checked and copied in Linux's order, the work in
 * sentry/vfs (mount_api.c, mount_tree_api.c). */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "sentry/abi/statmount.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/mount.h"

#ifndef FSCONFIG_CMD_CREATE_EXCL
#define FSCONFIG_CMD_CREATE_EXCL 8
#endif
#define FSCONFIG_PARAM_MAX 256 /* Linux's strndup_user limit for keys and strings */
#define FSCONFIG_BINARY_MAX (1024 * 1024)

/* Linux's strndup_user: EFAULT, or EINVAL when longer than max-1 bytes. */
static int copy_string(struct task *t, uaddr_t u, size_t max, char **out)
{
	char *buf = xmalloc(max);
	long n = strncpy_from_user(t, buf, u, max);

	if (n < 0) {
		free(buf);
		return n == -ENAMETOOLONG ? -EINVAL : (int)n;
	}
	*out = buf;
	return 0;
}

/* Install f (the caller's reference passes) at the lowest free fd. */
static long install(struct task *t, struct file *f, bool cloexec)
{
	long ret = fdtable_alloc(t, t->files, f, 0, cloexec);

	file_put(f);
	return ret;
}

long sys_fsopen(struct task *t, const struct sysargs *a)
{
	unsigned flags = arg_uint(a, 1);
	char *name = NULL;
	struct file *f;
	long ret;

	if (!caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if (flags & ~FSOPEN_CLOEXEC)
		return -EINVAL;
	ret = copy_string(t, arg_uaddr(a, 0), PAGE_SIZE, &name);
	if (ret == 0)
		ret = vfs_fsopen(t, name, flags, &f);
	free(name);
	return ret < 0 ? ret : install(t, f, flags & FSOPEN_CLOEXEC);
}

/* fsconfig's argument rules per command (before the fd is looked at). */
static int fsconfig_args(unsigned cmd, const struct sysargs *a)
{
	bool key = !uaddr_is_null(arg_uaddr(a, 2)), value = !uaddr_is_null(arg_uaddr(a, 3));
	int aux = arg_int(a, 4);

	switch (cmd) {
	case FSCONFIG_SET_FLAG:
		return key && !value && !aux ? 0 : -EINVAL;
	case FSCONFIG_SET_STRING:
		return key && value && !aux ? 0 : -EINVAL;
	case FSCONFIG_SET_BINARY:
		return key && value && aux > 0 && aux <= FSCONFIG_BINARY_MAX ? 0 : -EINVAL;
	case FSCONFIG_SET_PATH:
	case FSCONFIG_SET_PATH_EMPTY:
		return key && value && (aux == AT_FDCWD || aux >= 0) ? 0 : -EINVAL;
	case FSCONFIG_SET_FD:
		return key && !value && aux >= 0 ? 0 : -EINVAL;
	case FSCONFIG_CMD_CREATE:
	case FSCONFIG_CMD_RECONFIGURE:
	case FSCONFIG_CMD_CREATE_EXCL:
		return !key && !value && !aux ? 0 : -EINVAL;
	default:
		return -EOPNOTSUPP;
	}
}

/* The value of a parameter: a string is copied; a blob, path or fd is only checked (no
 * filesystem here takes one: the context then says EINVAL). */
static int fsconfig_value(struct task *t, unsigned cmd, const struct sysargs *a, char **out)
{
	uaddr_t u = arg_uaddr(a, 3);
	char *buf;
	int ret = 0;

	switch (cmd) {
	case FSCONFIG_SET_STRING:
		return copy_string(t, u, FSCONFIG_PARAM_MAX, out);
	case FSCONFIG_SET_BINARY:
		buf = xmalloc((size_t)arg_int(a, 4));
		ret = copy_from_user(t, buf, u, (size_t)arg_int(a, 4)) ? -EFAULT : 0;
		free(buf);
		return ret;
	case FSCONFIG_SET_PATH:
	case FSCONFIG_SET_PATH_EMPTY:
		ret = sys_copy_path(t, u, &buf);
		if (ret == 0 && !*buf && cmd == FSCONFIG_SET_PATH)
			ret = -ENOENT;
		if (ret == 0)
			free(buf);
		return ret;
	case FSCONFIG_SET_FD: {
		struct file *f = sys_fd_file(t, arg_int(a, 4));

		if (!f)
			return -EBADF;
		file_put(f);
		return 0;
	}
	default:
		return 0;
	}
}

long sys_fsconfig(struct task *t, const struct sysargs *a)
{
	unsigned cmd = arg_uint(a, 1);
	char *key = NULL, *value = NULL;
	struct file *f;
	long ret;

	if (arg_int(a, 0) < 0)
		return -EINVAL;
	ret = fsconfig_args(cmd, a);
	if (ret < 0)
		return ret;
	f = sys_fd_file(t, arg_int(a, 0));
	if (!f)
		return -EBADF;
	ret = file_is_fs_context(f) ? 0 : -EINVAL;
	if (ret == 0 && !uaddr_is_null(arg_uaddr(a, 2)))
		ret = copy_string(t, arg_uaddr(a, 2), FSCONFIG_PARAM_MAX, &key);
	if (ret == 0)
		ret = fsconfig_value(t, cmd, a, &value);
	if (ret == 0)
		ret = vfs_fsconfig(t, f, cmd, key, value);
	free(key);
	free(value);
	file_put(f);
	return ret;
}

long sys_fsmount(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0)), *m = NULL;
	long ret = vfs_fsmount(t, f, arg_uint(a, 1), arg_uint(a, 2), &m);

	if (f)
		file_put(f);
	return ret < 0 ? ret : install(t, m, arg_uint(a, 1) & FSMOUNT_CLOEXEC);
}

long sys_fspick(struct task *t, const struct sysargs *a)
{
	unsigned flags = arg_uint(a, 2);
	char *path = NULL;
	struct file *f;
	long ret;

	if (!caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	ret = sys_copy_path(t, arg_uaddr(a, 1), &path);
	if (ret == 0)
		ret = vfs_fspick(t, arg_int(a, 0), path, flags, &f);
	free(path);
	return ret < 0 ? ret : install(t, f, flags & FSPICK_CLOEXEC);
}

long sys_move_mount(struct task *t, const struct sysargs *a)
{
	char *from = NULL, *to = NULL;
	long ret;

	if (!caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	ret = sys_copy_path(t, arg_uaddr(a, 1), &from);
	if (ret == 0)
		ret = sys_copy_path(t, arg_uaddr(a, 3), &to);
	if (ret == 0)
		ret = vfs_move_mount(t, arg_int(a, 0), from, arg_int(a, 2), to, arg_uint(a, 4));
	free(from);
	free(to);
	return ret;
}

long sys_open_tree(struct task *t, const struct sysargs *a)
{
	unsigned flags = arg_uint(a, 2);
	char *path = NULL;
	struct file *f;
	long ret = sys_copy_path(t, arg_uaddr(a, 1), &path);

	if (ret == 0)
		ret = vfs_open_tree(t, arg_int(a, 0), path, flags, &f);
	free(path);
	return ret < 0 ? ret : install(t, f, flags & OPEN_TREE_CLOEXEC);
}

/* struct mount_attr as mount_setattr and open_tree_attr take it: Linux's size checks,
 * then CAP_SYS_ADMIN, then the copy. */
static long mount_attr_in(struct task *t, uaddr_t u, uint64_t usize, struct mount_attr *attr)
{
	if (usize > PAGE_SIZE)
		return -E2BIG;
	if (usize < MOUNT_ATTR_SIZE_VER0)
		return -EINVAL;
	if (!caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	return sys_copy_struct(t, attr, sizeof(*attr), u, usize);
}

long sys_mount_setattr(struct task *t, const struct sysargs *a)
{
	unsigned flags = arg_uint(a, 2);
	struct mount_attr attr;
	char *path = NULL;
	long ret;

	if (flags & ~(AT_EMPTY_PATH | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT))
		return -EINVAL;
	ret = mount_attr_in(t, arg_uaddr(a, 3), arg_u64(a, 4), &attr);
	if (ret == 0 && !attr.attr_set && !attr.attr_clr && !attr.propagation)
		return 0; /* a no-op: Linux does not even look the path up */
	if (ret == 0)
		ret = sys_copy_path(t, arg_uaddr(a, 1), &path);
	if (ret == 0)
		ret = vfs_mount_setattr(t, arg_int(a, 0), path, flags, &attr);
	free(path);
	return ret;
}

/* open_tree_attr (Linux 6.15): open_tree, then mount_setattr on what it opened. */
long sys_open_tree_attr(struct task *t, const struct sysargs *a)
{
	unsigned flags = arg_uint(a, 2);
	uaddr_t uattr = arg_uaddr(a, 3);
	struct mount_attr attr;
	char *path = NULL;
	struct file *f;
	long ret;

	if (uaddr_is_null(uattr) && arg_u64(a, 4))
		return -EINVAL;
	ret = sys_copy_path(t, arg_uaddr(a, 1), &path);
	if (ret == 0)
		ret = vfs_open_tree(t, arg_int(a, 0), path, flags, &f);
	free(path);
	if (ret < 0)
		return ret;
	if (!uaddr_is_null(uattr)) {
		ret = mount_attr_in(t, uattr, arg_u64(a, 4), &attr);
		if (ret == 0)
			ret = vfs_file_setattr(t, f, flags & AT_RECURSIVE, &attr);
		if (ret < 0) {
			file_put(f); /* a clone goes with it */
			return ret;
		}
	}
	return install(t, f, flags & OPEN_TREE_CLOEXEC);
}

/* Linux's copy_mnt_id_req: the size first, then the struct; spare must be 0 and mnt_id a
 * unique ID (or LSMT_ROOT). */
static long copy_id_req(struct task *t, uaddr_t u, struct abi_mnt_id_req *req)
{
	uint32_t usize;
	long ret;

	if (copy_from_user(t, &usize, u, sizeof(usize)))
		return -EFAULT;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	if (usize < MNT_ID_REQ_SIZE_VER0)
		return -EINVAL;
	ret = sys_copy_struct(t, req, sizeof(*req), u, usize);
	if (ret < 0)
		return ret;
	if (req->spare)
		return -EINVAL;
	return req->mnt_id <= MNT_UNIQUE_ID_OFFSET ? -EINVAL : 0;
}

#define STATMOUNT_STRINGS (4 * VFS_PATH_MAX + 1024) /* room for every string group */
#define STATMOUNT_STRING_GROUPS                                                                    \
	(STATMOUNT_MNT_ROOT | STATMOUNT_MNT_POINT | STATMOUNT_FS_TYPE | STATMOUNT_MNT_OPTS |       \
	 STATMOUNT_FS_SUBTYPE | STATMOUNT_SB_SOURCE | STATMOUNT_OPT_ARRAY |                        \
	 STATMOUNT_OPT_SEC_ARRAY | STATMOUNT_MNT_UIDMAP | STATMOUNT_MNT_GIDMAP)

long sys_statmount(struct task *t, const struct sysargs *a)
{
	uaddr_t ubuf = arg_uaddr(a, 1);
	size_t bufsize = arg_u64(a, 2), len = 0;
	struct abi_statmount sm;
	struct abi_mnt_id_req req;
	char *str;
	long ret;

	if (arg_uint(a, 3))
		return -EINVAL;
	ret = copy_id_req(t, arg_uaddr(a, 0), &req);
	if (ret < 0)
		return ret;
	if ((req.param & STATMOUNT_STRING_GROUPS) && bufsize == sizeof(sm))
		return -EOVERFLOW;
	str = xmalloc(STATMOUNT_STRINGS);
	ret = vfs_statmount(t, &req, bufsize, &sm, str, STATMOUNT_STRINGS, &len);
	if (ret == 0 && len && copy_to_user(t, uaddr_add(ubuf, sizeof(sm)), str, len))
		ret = -EFAULT;
	if (ret == 0) {
		size_t n = MIN(bufsize, sizeof(sm));

		sm.size = (uint32_t)(n + len);
		ret = copy_to_user(t, ubuf, &sm, n) ? -EFAULT : 0;
	}
	free(str);
	return ret;
}

#define LISTMOUNT_MAX 1000000		/* Linux's limit on one call's IDs */
#define USER_ADDR_END 0x7ffffffff000ULL /* x86-64 Linux's TASK_SIZE_MAX */

long sys_listmount(struct task *t, const struct sysargs *a)
{
	size_t nr = arg_u64(a, 2);
	unsigned flags = arg_uint(a, 3);
	struct abi_mnt_id_req req;
	uint64_t *ids;
	long ret;

	if (flags & ~LISTMOUNT_REVERSE)
		return -EINVAL;
	if (nr > LISTMOUNT_MAX)
		return -EOVERFLOW;
	if (arg_uaddr(a, 1).v + nr * sizeof(*ids) < arg_uaddr(a, 1).v ||
	    arg_uaddr(a, 1).v + nr * sizeof(*ids) > USER_ADDR_END)
		return -EFAULT; /* Linux's access_ok */
	ret = copy_id_req(t, arg_uaddr(a, 0), &req);
	if (ret < 0)
		return ret;
	ids = xcalloc(nr ? nr : 1, sizeof(*ids));
	ret = vfs_listmount(t, &req, ids, nr, flags & LISTMOUNT_REVERSE);
	if (ret > 0 && copy_to_user(t, arg_uaddr(a, 1), ids, (size_t)ret * sizeof(*ids)))
		ret = -EFAULT;
	free(ids);
	return ret;
}
