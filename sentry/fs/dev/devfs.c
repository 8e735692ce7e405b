/* devfs.c: /dev: a small tmpfs holding the memory devices, /dev/tty, /dev/ptmx, and the
 * stdio and fd symlinks into /proc/self/fd. */
#include "sentry/fs/dev/dev.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "lib/log.h"
#include "sentry/vfs/vfs_internal.h"

static const struct {
	const char *name;
	unsigned major, minor;
} g_devices[] = {
	{"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7},
	{"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}, {"ptmx", 5, 2},
};

static const struct {
	const char *name, *target;
} g_links[] = {
	{"stdin", "/proc/self/fd/0"},
	{"stdout", "/proc/self/fd/1"},
	{"stderr", "/proc/self/fd/2"},
	{"fd", "/proc/self/fd"},
};

int devfs_populate(struct dentry *root)
{
	int ret;

	for (size_t i = 0; i < ARRAY_SIZE(g_devices); i++) {
		ret = vfsk_mknod(root, g_devices[i].name, S_IFCHR | 0666,
				 makedev(g_devices[i].major, g_devices[i].minor), NULL, NULL);
		if (ret < 0)
			return ret;
	}
	for (size_t i = 0; i < ARRAY_SIZE(g_links); i++) {
		ret = vfsk_symlink(root, g_links[i].name, g_links[i].target, NULL, NULL);
		if (ret < 0)
			return ret;
	}
	return 0;
}

struct super_block *devfs_new(void)
{
	struct super_block *sb = tmpfs_new(0755, 0, 0);
	int ret = devfs_populate(sb->root);

	if (ret < 0)
		log_fatal("vfs: cannot populate /dev: %s", strerror(-ret));
	return sb;
}
