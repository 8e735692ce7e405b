/* sys_mount.c: mount, umount2 and pivot_root: the strings copied in as Linux copies them,
 * the work in sentry/vfs (mount_ops.c, umount.c). */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <stdlib.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/mount.h"

/* Linux's copy_mount_string: NULL stays NULL, a string is at most PATH_MAX with its NUL
 * (EINVAL beyond, EFAULT on a fault). */
static int copy_mount_string(struct task *t, uaddr_t u, char **out)
{
	char *buf;
	long n;

	*out = NULL;
	if (uaddr_is_null(u))
		return 0;
	buf = xmalloc(VFS_PATH_MAX);
	n = strncpy_from_user(t, buf, u, VFS_PATH_MAX);
	if (n < 0) {
		free(buf);
		return n == -ENAMETOOLONG ? -EINVAL : (int)n;
	}
	*out = buf;
	return 0;
}

/* Linux's copy_mount_options: up to a page, less if the rest would fault (EFAULT only
 * when nothing can be read). */
static int copy_mount_data(struct task *t, uaddr_t u, char **out)
{
	char *buf;
	size_t n;

	*out = NULL;
	if (uaddr_is_null(u))
		return 0;
	buf = xcalloc(1, PAGE_SIZE + 1);
	n = copy_from_user_upto_fault(t, buf, u, PAGE_SIZE);
	if (n == 0) {
		free(buf);
		return -EFAULT;
	}
	buf[PAGE_SIZE - 1] = '\0';
	*out = buf;
	return 0;
}

long sys_mount(struct task *t, const struct sysargs *a)
{
	char *source = NULL, *target = NULL, *type = NULL, *data = NULL;
	long ret = copy_mount_string(t, arg_uaddr(a, 2), &type);

	if (ret == 0)
		ret = copy_mount_string(t, arg_uaddr(a, 0), &source);
	if (ret == 0)
		ret = sys_copy_path(t, arg_uaddr(a, 1), &target);
	if (ret == 0)
		ret = copy_mount_data(t, arg_uaddr(a, 4), &data);
	if (ret == 0)
		ret = vfs_do_mount(t, source, target, type, arg_u64(a, 3), data);
	free(source);
	free(target);
	free(type);
	free(data);
	return ret;
}

long sys_umount2(struct task *t, const struct sysargs *a)
{
	char *target = NULL;
	long ret = sys_copy_path(t, arg_uaddr(a, 0), &target);

	if (ret == 0)
		ret = vfs_umount(t, target, arg_int(a, 1));
	free(target);
	return ret;
}

long sys_pivot_root(struct task *t, const struct sysargs *a)
{
	char *new_root = NULL, *put_old = NULL;
	long ret = sys_copy_path(t, arg_uaddr(a, 0), &new_root);

	if (ret == 0)
		ret = sys_copy_path(t, arg_uaddr(a, 1), &put_old);
	if (ret == 0)
		ret = vfs_pivot_root(t, new_root, put_old);
	free(new_root);
	free(put_old);
	return ret;
}
