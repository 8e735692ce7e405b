/* setup.c: gofer_run() and the gofer's walls: a private mount namespace whose root is an
 * empty read-only tmpfs, the served tree held only by fd, no stray fds, no_new_privs. */
#include "gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
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

/* A held fd for a bind source: for a directory the tree itself; for a file its directory,
 * with *name pointing at the file's name in source. Returns an fd or -errno. */
static int open_bind(const struct gofer_bind *b, bool walls, const char **name)
{
	char dir[4096];
	const char *slash = strrchr(b->source, '/');
	struct stat st;
	int fd;

	*name = NULL;
	if (lstat(b->source, &st) < 0)
		return -errno;
	if (S_ISDIR(st.st_mode)) {
		snprintf(dir, sizeof(dir), "%s", b->source);
	} else if (S_ISREG(st.st_mode) && slash && slash[1]) {
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - b->source) ?: 1, b->source);
		*name = slash + 1;
	} else {
		return -EINVAL; /* a symlink or special file: runsc resolved it to neither */
	}
	if (!walls) {
		fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
		return fd < 0 ? -errno : fd;
	}
	fd = clone_tree(dir, b->readonly);
	if (fd == -ENOSYS || fd == -EINVAL)
		fd = bind_tree(dir, b->readonly);
	return fd;
}

/* Open every bind source (fds[i], names[i]); -errno (logged) if one cannot be. */
static int open_binds(const struct gofer_opts *o, int *fds, const char **names)
{
	for (int i = 0; i < o->nbinds; i++) {
		fds[i] = open_bind(&o->binds[i], o->walls, &names[i]);
		if (fds[i] < 0) {
			int ret = fds[i];
			log_err("cannot take the bind source `%s`: %d", o->binds[i].source, ret);
			while (i-- > 0)
				close(fds[i]);
			return ret;
		}
	}
	return 0;
}

/* Enter the mount walls. Returns an fd of the served tree or -errno (logged). */
static int walls_mount(const struct gofer_opts *o, int *bind_fds, const char **bind_names)
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
	ret = open_binds(o, bind_fds, bind_names);
	if (!ret)
		ret = empty_root(&how);
	if (ret) {
		log_err("cannot leave the host root: %d", ret);
		close(fd);
		return ret;
	}
	log_debug("walls: mount ns, tree `%s` held by fd (%s), %d bind mounts, root is empty "
		  "tmpfs via %s", o->root, o->readonly ? "read-only" : "read-write", o->nbinds,
		  how);
	return fd;
}

static int cmp_int(const void *a, const void *b)
{
	return *(const int *)a - *(const int *)b;
}

/* Close every fd but stdio, the log fd and the connections. */
static int close_other_fds(const struct gofer_opts *o)
{
	int fds[5 + GOFER_MAX_BINDS] = {0, 1, 2, log_get_fd(), o->sock_fd};
	size_t cnt = 5;
	unsigned int next = 0;

	for (int i = 0; i < o->nbinds; i++)
		fds[cnt++] = o->binds[i].sock_fd;
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

/* Everything after the mounts: no_new_privs, seccomp. */
static int walls_lock(void)
{
	int ret;

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

/* The servers of the root (s[0]) and of each bind mount; their fds are closed. */
static int servers_new(const struct gofer_opts *o, int rootfd, int *bind_fds,
		       const char **bind_names, struct gofer_server **s)
{
	int ret = gofer_server_new(rootfd, o->readonly, &s[0]);

	close(rootfd);
	if (ret)
		log_err("cannot open the root of `%s`: %d", o->root, ret);
	for (int i = 0; i < o->nbinds; i++) {
		const struct gofer_bind *b = &o->binds[i];

		if (!ret) {
			ret = bind_names[i] ? gofer_server_new_file(bind_fds[i], bind_names[i],
								    b->readonly, &s[1 + i])
					    : gofer_server_new(bind_fds[i], b->readonly, &s[1 + i]);
			if (ret)
				log_err("cannot serve the bind source `%s`: %d", b->source, ret);
		}
		close(bind_fds[i]);
	}
	return ret;
}

int gofer_run(const struct gofer_opts *o)
{
	struct gofer_server *s[1 + GOFER_MAX_BINDS] = {NULL};
	int socks[1 + GOFER_MAX_BINDS] = {o->sock_fd}, bind_fds[GOFER_MAX_BINDS];
	const char *bind_names[GOFER_MAX_BINDS];
	struct gofer_loop *loop;
	int rootfd, ret;

	if (o->nbinds < 0 || o->nbinds > GOFER_MAX_BINDS)
		return 1;
	/* Files are made with the modes the Sentry asks for: it applied the application's
	 * umask already, and a FIFO (Tmknod) cannot be chmodded afterwards here. */
	umask(0);
	if (o->walls && (ret = close_other_fds(o))) {
		log_err("cannot close inherited fds: %d", ret);
		return 1;
	}
	if (o->walls) {
		rootfd = walls_mount(o, bind_fds, bind_names);
	} else {
		rootfd = open(o->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
		if (rootfd < 0)
			rootfd = -errno;
		else if ((ret = open_binds(o, bind_fds, bind_names))) {
			close(rootfd);
			rootfd = ret;
		}
	}
	if (rootfd < 0) {
		log_err("cannot serve `%s`: %d", o->root, rootfd);
		return 1;
	}
	ret = servers_new(o, rootfd, bind_fds, bind_names, s);
	/* Workers and the ring start before the filter: it then needs neither clone nor
	 * io_uring_setup, and covers the workers too (TSYNC). */
	loop = ret ? NULL : gofer_loop_new(o->workers, !o->no_uring);
	if (!ret && !loop)
		ret = -ENOMEM;
	if (!ret && o->walls)
		ret = walls_lock();
	if (!ret) {
		for (int i = 0; i < o->nbinds; i++)
			socks[1 + i] = o->binds[i].sock_fd;
		log_info("serving `%s`%s and %d bind mounts (%d workers, %s)", o->root,
			 o->readonly ? " read-only" : "", o->nbinds, gofer_loop_workers(loop),
			 gofer_loop_has_ring(loop) ? "io_uring" : "no io_uring");
		ret = gofer_loop_serve(loop, s, socks, 1 + o->nbinds);
		if (ret)
			log_warn("connection ended with error %d", ret);
	}
	gofer_loop_free(loop);
	for (int i = 0; i <= o->nbinds; i++)
		gofer_server_free(s[i]);
	return ret ? 1 : 0;
}
