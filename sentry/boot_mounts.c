/* boot_mounts.c: the OCI mounts the Sentry provides itself (tmpfs anywhere; the built-in
 * /proc, /sys, /dev, /dev/pts, /dev/shm) and maskedPaths, on top of vfs_init's tree. */
#include "sentry/boot_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* Destinations vfs_init already serves with the Sentry's own filesystems. */
static bool builtin_mount(const char *dest, const char *type)
{
	static const char *const builtin[][2] = {
		{"/proc", "proc"}, {"/sys", "sysfs"}, {"/dev", "tmpfs"}, {"/dev/pts", "devpts"},
		{"/dev/shm", "tmpfs"}, {"/dev/mqueue", "mqueue"}, {"/sys/fs/cgroup", "cgroup"},
		{"/sys/fs/cgroup", "cgroup2"}};
	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (!strcmp(dest, builtin[i][0]) && !strcmp(type, builtin[i][1]))
			return true;
	return false;
}

/* Walk path from the root, creating missing directories (mode 0755) and crossing
 * mounts; symlinks are not followed (ENOTDIR). *out gets a referenced path. */
static int walk_mkdir(const char *path, bool create, struct path *out)
{
	struct mount *m = vfs_root_mount();
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
		memcpy(name, path, len);
		name[len] = '\0';
		err = d_lookup(p.dentry, name, len, &d);
		if (err == -ENOENT && create)
			err = vfsk_mkdir(p.dentry, name, 0755, NULL, &d);
		if (err < 0) {
			path_put(&p);
			return err;
		}
		if (!d_is_dir(d)) {
			dput(d);
			path_put(&p);
			return -ENOTDIR;
		}
		dput(p.dentry);
		p.dentry = d;
		path_follow_mounts(&p);
		path += len + (path[len] == '/');
	}
	*out = p;
	return 0;
}

/* "mode=1777" from the options, else def. */
static uint32_t opt_mode(json_t *opts, uint32_t def)
{
	for (size_t i = 0; i < json_array_size(opts); i++) {
		const char *o = json_string_value(json_array_get(opts, i));
		if (o && !strncmp(o, "mode=", 5))
			return (uint32_t)strtoul(o + 5, NULL, 8) & 07777;
	}
	return def;
}

static int mount_tmpfs(const char *dest, json_t *opts, bool readonly)
{
	struct path p;
	int err = walk_mkdir(dest, true, &p);

	if (err)
		return err;
	vfs_mount(&p, tmpfs_new(opt_mode(opts, 01777), 0, 0), readonly ? MNT_READONLY : 0);
	path_put(&p);
	return 0;
}

static int mask_path(const char *dest)
{
	struct path p;
	int err = walk_mkdir(dest, false, &p);

	if (err == -ENOENT)
		return 0; /* nothing to hide */
	if (err == -ENOTDIR) {
		/* A file: our procfs and sysfs expose no host data through these. */
		log_debug("maskedPaths: `%s` is not a directory, left as is", dest);
		return 0;
	}
	if (err)
		return err;
	vfs_mount(&p, tmpfs_new(0555, 0, 0), MNT_READONLY);
	path_put(&p);
	return 0;
}

int boot_mounts_apply(json_t *mounts, json_t *masked)
{
	int first = 0;

	for (size_t i = 0; i < json_array_size(mounts); i++) {
		json_t *m = json_array_get(mounts, i);
		const char *dest = json_string_value(json_object_get(m, "destination"));
		const char *type = json_string_value(json_object_get(m, "type")) ?: "";
		bool ro = json_is_true(json_object_get(m, "readonly"));
		int err = 0;

		if (!dest || builtin_mount(dest, type))
			continue;
		if (!strcmp(type, "tmpfs"))
			err = mount_tmpfs(dest, json_object_get(m, "options"), ro);
		else
			log_warn("mount of type `%s` at `%s` is not supported, skipped", type, dest);
		if (err) {
			log_warn("cannot mount %s at `%s`: %s", type, dest, strerror(-err));
			if (!first)
				first = err;
		}
	}
	for (size_t i = 0; i < json_array_size(masked); i++) {
		const char *dest = json_string_value(json_array_get(masked, i));
		int err = dest ? mask_path(dest) : 0;
		if (err)
			log_warn("cannot mask `%s`: %s", dest, strerror(-err));
	}
	return first;
}
