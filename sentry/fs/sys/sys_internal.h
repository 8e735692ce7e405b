/* sys_internal.h: sysfs internals. sysfs reuses procfs's generated-file nodes
 * (proc_internal.h); sys_cpu.c builds devices/system/{cpu,node}. */
#ifndef RUNSC_SENTRY_FS_SYS_SYS_INTERNAL_H
#define RUNSC_SENTRY_FS_SYS_SYS_INTERNAL_H

#include "sentry/fs/proc/proc_internal.h"
#include "sentry/fs/sys/sysfs.h"

extern const struct proc_ent g_sys_system_ents[]; /* devices/system: cpu, node */

#endif
