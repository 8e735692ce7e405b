/* boot_internal.h: shared by sentry/boot.c and sentry/boot_mounts.c. */
#ifndef RUNSC_SENTRY_BOOT_INTERNAL_H
#define RUNSC_SENTRY_BOOT_INTERNAL_H

#include <jansson.h>

/* What boot_mounts_apply mounts: the boot spec's arrays (references borrowed) and the
 * Gofer connections of its bind mounts, in the order the bind entries appear. */
struct boot_mounts {
	json_t *mounts;	  /* [{destination, type, data, readonly, nosuid, nodev, noexec,
			   *   bind, dir}] */
	json_t *masked;	  /* OCI maskedPaths */
	json_t *readonly; /* OCI readonlyPaths */
	const int *fds;	  /* taken: each is closed or owned by its mount */
	int nfds;
};

/* Mount the boot spec's extra filesystems (bind mounts through their Gofer connections,
 * tmpfs, proc and sysfs anywhere; the spec's flags on the built-in /proc, /sys, /dev,
 * /dev/pts, /dev/shm), then hide the masked paths (an empty read-only tmpfs over a
 * directory, the null device over a file) and make the read-only paths read-only. Kernel
 * lock held, after vfs_init. Failures are logged; returns 0 or the first -errno of a
 * mount (masking and read-only paths that do not exist are skipped, as runc does). */
int boot_mounts_apply(const struct boot_mounts *bm);

#endif
