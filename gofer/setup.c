/* setup.c: gofer_run() and the gofer's walls: a private mount namespace whose root is an
 * empty read-only tmpfs, the served tree held only by fd, no stray fds, no_new_privs. */
#include "gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "gofer/filter.h"
#include "gofer/gofer_internal.h"
#include "gofer/server.h"
#include "lib/log.h"
#include "lib/util.h"

/* A detached copy of root's mount tree (nothing of it shows in any namespace), flagged
 * nosuid, nodev and, when asked, read-only throughout. Returns an O_PATH fd or -errno. */
static int clone_tree(const char *root, bool readonly)
{
	struct mount_attr attr = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
	int fd = open_tree(AT_FDCWD, root, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);

	if (fd < 0)
		return -errno;
	if (readonly)
		attr.attr_set |= MOUNT_ATTR_RDONLY;
	if (mount_setattr(fd, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof(attr)) < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Older kernels without open_tree: bind root onto itself in our namespace (read-only at
 * its top mount only) and hold it by fd; it outlives the detach of the old root. */
static int bind_tree(const char *root, bool readonly)
{
	int fd;

	if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
		return -errno;
	if (readonly && mount(NULL, root, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID |
					      MS_NODEV, NULL) < 0)
		return -errno;
	fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

/* Make an empty read-only tmpfs our root, dropping the rest of the filesystem view. */
static int empty_root(const char **how)
{
	static const char *const dirs[] = {"/tmp", "/mnt", "/run"};
	const char *dir = NULL;

	for (size_t i = 0; i < ARRAY_SIZE(dirs) && !dir; i++) {
		if (mount("none", dirs[i], "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
			  "size=4k,mode=0555") == 0)
			dir = dirs[i];
	}
	if (!dir || chdir(dir) < 0)
		return -errno;
	/* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves
	 * only the tmpfs. An initramfs root cannot be pivoted: chroot there instead. */
	if (syscall(SYS_pivot_root, ".", ".") == 0) {
		if (umount2(".", MNT_DETACH) < 0)
			return -errno;
		*how = "pivot_root";
	} else {
		if (chroot(".") < 0)
			return -errno;
		*how = "chroot";
	}
	return chdir("/") < 0 ? -errno : 0;
}

/* Enter the mount walls. Returns an fd of the served tree or -errno (logged). */
static int walls_mount(const struct gofer_opts *o)
{
	const char *how = NULL;
	int fd, ret;

	if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
		ret = -errno;
		log_err("cannot make a private mount namespace: %d", ret);
		return ret;
	}
	fd = clone_tree(o->root, o->readonly);
	if (fd == -ENOSYS || fd == -EINVAL)
		fd = bind_tree(o->root, o->readonly);
	if (fd < 0) {
		log_err("cannot take the tree `%s`: %d", o->root, fd);
		return fd;
	}
	ret = empty_root(&how);
	if (ret) {
		log_err("cannot leave the host root: %d", ret);
		close(fd);
		return ret;
	}
	log_debug("walls: mount ns, tree `%s` held by fd (%s), root is empty tmpfs via %s",
		  o->root, o->readonly ? "read-only" : "read-write", how);
	return fd;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Close every fd but stdio, the log fd and those in keep[n]. */
static int close_other_fds(const int *keep, size_t n)
{
	int fds[8] = {0, 1, 2, log_get_fd()};
	size_t cnt = 4;
	unsigned int next = 0;

	for (size_t i = 0; i < n && cnt < ARRAY_SIZE(fds); i++)
		fds[cnt++] = keep[i];
	qsort(fds, cnt, sizeof(fds[0]), cmp_int);
	for (size_t i = 0; i < cnt; i++) {
		if (fds[i] < 0 || (unsigned int)fds[i] < next)
			continue;
		if ((unsigned int)fds[i] > next && close_range(next, (unsigned int)fds[i] - 1, 0) < 0)
			return -errno;
		next = (unsigned int)fds[i] + 1;
	}
	return close_range(next, ~0u, 0) < 0 ? -errno : 0;
}

/* Everything after the mounts: fds, no_new_privs, seccomp. */
static int walls_lock(struct gofer_server *s, int sock)
{
	int keep[] = {sock, s->root->fd}, ret;

	ret = close_other_fds(keep, ARRAY_SIZE(keep));
	if (ret) {
		log_err("cannot close inherited fds: %d", ret);
		return ret;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) {
		ret = -errno;
		log_err("cannot set no_new_privs: %d", ret);
		return ret;
	}
	ret = gofer_filter_install();
	if (ret) {
		log_err("cannot install the seccomp filter: %d", ret);
		return ret;
	}
	log_debug("walls: other fds closed, no_new_privs set, seccomp filter installed");
	return 0;
}

int gofer_run(const struct gofer_opts *o)
{
	struct gofer_server *s = NULL;
	int rootfd, ret;

	if (o->walls) {
		rootfd = walls_mount(o);
	} else {
		rootfd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			rootfd = -errno;
	}
	if (rootfd < 0) {
		log_err("cannot serve `%s`: %d", o->root, rootfd);
		return 1;
	}
	ret = gofer_server_new(rootfd, o->readonly, &s);
	close(rootfd);
	if (ret) {
		log_err("cannot open the root of `%s`: %d", o->root, ret);
		return 1;
	}
	if (o->walls && walls_lock(s, o->sock_fd)) {
		gofer_server_free(s);
		return 1;
	}
	log_info("serving `%s`%s", o->root, o->readonly ? " read-only" : "");
	ret = gofer_serve(s, o->sock_fd);
	gofer_server_free(s);
	if (ret) {
		log_warn("connection ended with error %d", ret);
		return 1;
	}
	return 0;
}
