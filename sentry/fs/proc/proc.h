/* proc.h: procfs (/proc): the public entry points. The instance itself is created by
 * procfs_new() (declared with the other filesystems in sentry/vfs/vfs_internal.h). */
#ifndef RUNSC_SENTRY_FS_PROC_PROC_H
#define RUNSC_SENTRY_FS_PROC_PROC_H

/* Read what /proc shows of the host (cpuinfo, meminfo totals, version, boot time) while
 * the Sentry can still open host files: call once at boot before the seccomp filter and
 * the chroot (boot_walls). Without it /proc generates those files from uname(),
 * sysinfo() and sched_getaffinity() alone. Also sets pid_max from the CPU count, as
 * Linux does at boot. Never fails. */
void procfs_boot_init(void);

#endif
