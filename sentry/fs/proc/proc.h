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

/* Write value to the /proc/sys file of a dotted key ("kernel.msgmax") as a write(2) of
 * it by t_current would (NULL at boot: the sandbox's first namespaces): the same code,
 * parsing and ranges. Used for config.json's linux.sysctl. Returns 0, -ENOENT (no such
 * file), -EACCES (read-only) or the write's -errno; a value not consumed whole (empty,
 * or more values than the file holds) is -EINVAL. */
int proc_sysctl_write(const char *key, const char *value);

#endif
