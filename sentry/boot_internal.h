/* boot_internal.h: shared by sentry/boot.c and sentry/boot_mounts.c. */
#ifndef RUNSC_SENTRY_BOOT_INTERNAL_H
#define RUNSC_SENTRY_BOOT_INTERNAL_H

#include <jansson.h>

/* Mount the boot spec's extra filesystems (OCI mounts the Sentry serves itself: tmpfs at
 * any destination; proc, sysfs, devpts, mqueue and /dev are built in) and hide the
 * masked paths (an empty read-only tmpfs over each directory). Kernel lock held, after
 * vfs_init. Failures are logged; returns 0 or the first -errno of a mount. */
int boot_mounts_apply(json_t *mounts, json_t *masked);

#endif
