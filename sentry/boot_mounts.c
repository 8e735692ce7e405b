/* boot_mounts.c: the OCI mounts on top of vfs_init's tree: bind mounts (each a Gofer
 * connection), tmpfs anywhere, the built-in /proc, /sys, /dev, /dev/pts, /dev/shm with
 * the spec's flags, then maskedPaths and readonlyPaths, as runc applies them. */
#include "sentry/boot_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/fs/cgroup/cgroup.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* Destinations vfs_init already serves with the Sentry's own filesystems. */
static bool builtin_mount(const char *dest, const char *type)
{
	static const char *const builtin[][2] = {
		{"/proc", "proc"}, {"/sys", "sysfs"}, {"/dev", "tmpfs"}, {"/dev/pts", "devpts"},
		{"/dev/shm", "tmpfs"}, {"/dev/mqueue", "mqueue"}};
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (!strcmp(dest, builtin[i][0]) && !strcmp(type, builtin[i][1]))
			return true;
	return false;
}

/* The root of the tree boot_mounts_apply works on (kernel lock held throughout). */
static struct mount *g_tree_root;

/* Walk path from the root, creating missing directories (mode 0755) when create, and
 * crossing mounts; symlinks are not followed (ENOTDIR). With last_any the final component
 * may be any file. *out gets a referenced path. */
static int walk(const char *path, bool create, bool last_any, struct path *out)
{
	struct mount *m = g_tree_root ? g_tree_root : vfs_root_mount();
	struct path p = {m, m->root};
	char name[VFS_NAME_MAX + 1];

	path_get(&p);
	while (*path) {
		size_t len = strcspn(path, "/");
		struct dentry *d;
		int err;

		if (len == 0 || (len == 1 && path[0] == '.')) {
			path += len + (path[len] == '/');
			continue;
		}
		if (len > VFS_NAME_MAX || (len == 2 && !strncmp(path, "..", 2))) {
			path_put(&p);
			return len > VFS_NAME_MAX ? -ENAMETOOLONG : -EINVAL;
		}
		if (!d_is_dir(p.dentry)) {
			path_put(&p);
			return -ENOTDIR;
		}
		memcpy(name, path, len);
		name[len] = '\0';
		path += len + (path[len] == '/');
		err = d_lookup(p.dentry, name, len, &d);
		if (err == -ENOENT && create)
			err = vfsk_mkdir(p.dentry, name, 0755, NULL, &d);
		if (err < 0) {
			path_put(&p);
			return err;
		}
		dput(p.dentry);
		p.dentry = d;
		path_follow_mounts(&p);
		if (!d_is_dir(p.dentry) && !(last_any && !*path)) {
			path_put(&p);
			return -ENOTDIR;
		}
	}
	*out = p;
	return 0;
}

/* The file mountpoint of a file bind mount: made empty (0644) when missing, as runc does. */
static int walk_file(const char *dest, struct path *out)
{
	const char *slash = strrchr(dest, '/');
	char dir[VFS_PATH_MAX];
	struct dentry *d;
	struct path p;
	int err;

	if (!slash || !slash[1] || (size_t)(slash - dest) >= sizeof(dir))
		return -EINVAL;
	err = walk(dest, false, true, out);
	if (err != -ENOENT)
		return err == 0 && d_is_dir(out->dentry) ? (path_put(out), -EISDIR) : err;
	memcpy(dir, dest, (size_t)(slash - dest));
	dir[slash - dest] = '\0';
	err = walk(dir, true, false, &p);
	if (err)
		return err;
	err = vfsk_create(p.dentry, slash + 1, S_IFREG | 0644, NULL, &d);
	if (err == 0) {
		dput(p.dentry);
		p.dentry = d;
		*out = p;
		return 0;
	}
	path_put(&p);
	return err;
}

/* The value of key=VALUE in a comma-separated data string, or NULL. */
static const char *data_value(const char *data, const char *key, char *buf, size_t size)
{
	size_t klen = strlen(key);

	while (data && *data) {
		size_t len = strcspn(data, ",");
		if (len > klen && data[klen] == '=' && !strncmp(data, key, klen)) {
			snprintf(buf, size, "%.*s", (int)(len - klen - 1), data + klen + 1);
			return buf;
		}
		data += len + (data[len] == ',');
	}
	return NULL;
}

/* A numeric option (base 0 when oct is false, else octal); def when absent. EINVAL for
 * junk, as Linux refuses such a mount. */
static int data_num(const char *data, const char *key, bool oct, unsigned long max,
		    unsigned long def, unsigned long *out)
{
	char buf[64], *end;
	const char *v = data_value(data, key, buf, sizeof(buf));

	*out = def;
	if (!v)
		return 0;
	*out = strtoul(v, &end, oct ? 8 : 10);
	return (end == v || *end || *out > max) ? -EINVAL : 0;
}

/* size=N[kKmMgG] or size=N% (of the host's memory, as Linux's tmpfs); 0 when absent. */
static int data_size(const char *data, uint64_t *out)
{
	char buf[64], *end;
	const char *v = data_value(data, "size", buf, sizeof(buf));
	unsigned long long n;
	int shift = 0;

	*out = 0;
	if (!v)
		return 0;
	n = strtoull(v, &end, 10);
	if (end == v)
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	case '%': n = n * (unsigned long long)sysconf(_SC_PHYS_PAGES) / 100 * 4096; break;
	case '\0': break;
	default: return -EINVAL;
	}
	if (*end && end[1])
		return -EINVAL;
	if (n > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = ALIGN_UP((uint64_t)n << shift, 4096);
	return 0;
}

static int mount_flags(json_t *m)
{
	return (json_is_true(json_object_get(m, "readonly")) ? MNT_READONLY : 0) |
	       (json_is_true(json_object_get(m, "nosuid")) ? MNT_NOSUID : 0) |
	       (json_is_true(json_object_get(m, "nodev")) ? MNT_NODEV : 0) |
	       (json_is_true(json_object_get(m, "noexec")) ? MNT_NOEXEC : 0);
}

static int mount_tmpfs(const char *dest, const char *data, int flags)
{
	unsigned long mode, uid, gid;
	struct super_block *sb;
	uint64_t size;
	struct path p;
	int err = data_num(data, "mode", true, 07777, 01777, &mode);

	if (!err)
		err = data_num(data, "uid", false, UINT32_MAX - 1, 0, &uid);
	if (!err)
		err = data_num(data, "gid", false, UINT32_MAX - 1, 0, &gid);
	if (!err)
		err = data_size(data, &size);
	if (!err)
		err = walk(dest, true, false, &p);
	if (err)
		return err;
	sb = tmpfs_new((uint32_t)mode, (uid_t)uid, (gid_t)gid);
	tmpfs_set_max_bytes(sb, size);
	vfs_mount(&p, sb, flags);
	path_put(&p);
	return 0;
}

static int mount_bind(const char *dest, bool dir, int fd, int flags)
{
	struct super_block *sb;
	struct path p;
	int err = dir ? walk(dest, true, false, &p) : walk_file(dest, &p);

	if (err) {
		close(fd);
		return err;
	}
	err = gofer_fs_new_mount(fd, !(flags & MNT_READONLY), dir, &sb);
	if (!err)
		vfs_mount(&p, sb, flags);
	path_put(&p);
	return err;
}

/* proc, sysfs... where vfs_init put one: the spec's flags are added to that mount. */
static int flag_builtin(const char *dest, int flags)
{
	struct path p;
	int err = walk(dest, false, false, &p);

	if (err)
		return err;
	if (p.dentry == p.mnt->root)
		p.mnt->flags |= flags;
	path_put(&p);
	return 0;
}

/* cgroup (podman and containerd mount it at /sys/fs/cgroup) or cgroup2: the Sentry's
 * cgroup v2 hierarchy either way, as runc gives a cgroup v2 host's containers. */
static int mount_cgroup(const char *dest, int flags)
{
	struct path p;
	int err = walk(dest, true, false, &p);

	if (err)
		return err;
	vfs_mount(&p, cgroupfs_new(), flags);
	path_put(&p);
	return 0;
}

static int mount_one(json_t *m, const struct boot_mounts *bm, int *next_fd)
{
	const char *dest = json_string_value(json_object_get(m, "destination"));
	const char *type = json_string_value(json_object_get(m, "type")) ?: "";
	const char *data = json_string_value(json_object_get(m, "data")) ?: "";
	int flags = mount_flags(m);

	if (!dest)
		return -EINVAL;
	if (json_is_true(json_object_get(m, "bind"))) {
		if (*next_fd >= bm->nfds)
			return -EBADF; /* runsc passes one connection per bind mount */
		return mount_bind(dest, json_is_true(json_object_get(m, "dir")),
				  bm->fds[(*next_fd)++], flags);
	}
	if (builtin_mount(dest, type))
		return flag_builtin(dest, flags);
	if (!strcmp(type, "tmpfs"))
		return mount_tmpfs(dest, data, flags);
	if (!strcmp(type, "proc") || !strcmp(type, "sysfs")) {
		struct path p;
		int err = walk(dest, true, false, &p);
		if (err)
			return err;
		vfs_mount(&p, type[0] == 'p' ? procfs_new() : sysfs_new(),
			  flags | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC |
				  (type[0] == 's' ? MNT_READONLY : 0));
		path_put(&p);
		return 0;
	}
	if (!strcmp(type, "cgroup") || !strcmp(type, "cgroup2"))
		return mount_cgroup(dest, flags);
	/* mqueue or devpts elsewhere: the Sentry has no such filesystem to mount. */
	log_warn("mount of type `%s` at `%s` is not supported, skipped", type, dest);
	return 0;
}

/* A masked directory: an empty read-only tmpfs. A masked file: the null device, as
 * runc binds /dev/null over it (reads see nothing, writes vanish). */
static int mask_path(const char *dest)
{
	struct super_block *sb;
	struct mount *m;
	struct dentry *null;
	struct path p;
	int err = walk(dest, false, true, &p);

	if (err == -ENOENT)
		return 0; /* nothing to hide */
	if (err)
		return err;
	sb = tmpfs_new(0555, 0, 0);
	if (d_is_dir(p.dentry)) {
		vfs_mount(&p, sb, MNT_READONLY);
		path_put(&p);
		return 0;
	}
	err = vfsk_mknod(sb->root, "null", S_IFCHR | 0666, makedev(1, 3), NULL, &null);
	if (err == 0) {
		m = vfs_mount(&p, sb, MNT_READONLY | MNT_NOEXEC);
		/* The mount shows the device node, not the tmpfs directory holding it. */
		dput(m->root);
		m->root = null;
	}
	path_put(&p);
	return err;
}

/* A read-only path: the same tree again (its own mount), read-only. */
static int readonly_path(const char *dest)
{
	struct path p;
	struct mount *m;
	int err = walk(dest, false, true, &p);

	if (err == -ENOENT)
		return 0;
	if (err)
		return err;
	if (p.dentry == p.mnt->root) {
		p.mnt->flags |= MNT_READONLY;
	} else {
		m = vfs_mount(&p, p.mnt->sb, p.mnt->flags | MNT_READONLY);
		dput(m->root);
		dget(p.dentry);
		m->root = p.dentry;
	}
	path_put(&p);
	return 0;
}

int boot_mounts_apply(const struct boot_mounts *bm)
{
	int first = 0, next_fd = 0;

	g_tree_root = bm->root;
	for (size_t i = 0; i < json_array_size(bm->mounts); i++) {
		json_t *m = json_array_get(bm->mounts, i);
		int err = mount_one(m, bm, &next_fd);

		if (err) {
			log_warn("cannot mount `%s` at `%s`: %s",
				 json_string_value(json_object_get(m, "type")) ?: "?",
				 json_string_value(json_object_get(m, "destination")) ?: "?",
				 strerror(-err));
			if (!first)
				first = err;
		}
	}
	for (size_t i = 0; i < json_array_size(bm->masked); i++) {
		const char *dest = json_string_value(json_array_get(bm->masked, i));
		int err = dest ? mask_path(dest) : 0;
		if (err)
			log_warn("cannot mask `%s`: %s", dest, strerror(-err));
	}
	for (size_t i = 0; i < json_array_size(bm->readonly); i++) {
		const char *dest = json_string_value(json_array_get(bm->readonly, i));
		int err = dest ? readonly_path(dest) : 0;
		if (err)
			log_warn("cannot make `%s` read-only: %s", dest, strerror(-err));
	}
	for (int i = next_fd; i < bm->nfds; i++)
		close(bm->fds[i]); /* more connections than bind mounts: never leak */
	g_tree_root = NULL;
	return first;
}
