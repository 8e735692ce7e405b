/* sysfs.h: sysfs (/sys): the public entry points. The instance itself is created by
 * sysfs_new() (declared with the other filesystems in sentry/vfs/vfs_internal.h). */
#ifndef RUNSC_SENTRY_FS_SYS_SYSFS_H
#define RUNSC_SENTRY_FS_SYS_SYSFS_H

/* Snapshot the host's topology, caches, NUMA nodes and vulnerability reports of the
 * sandbox's CPUs while host files can still be opened: call once at boot, after
 * procfs_boot_init and before the walls. Without it /sys shows one core per CPU, one
 * socket, one node and no caches. Never fails. */
void sysfs_boot_init(void);

#endif
