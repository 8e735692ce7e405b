/* cgroup.h: the sandbox's cgroup v2 hierarchy (sentry/fs/cgroup): the cgroups every thread
 * group belongs to, the limits the OCI spec put on the container, pids.max enforced at
 * fork, and the cgroup2 filesystem that shows it all. Everything runs under the kernel
 * lock. */
#ifndef RUNSC_SENTRY_FS_CGROUP_CGROUP_H
#define RUNSC_SENTRY_FS_CGROUP_CGROUP_H

#include <stddef.h>
#include <stdint.h>

struct cgroup;
struct super_block;

/* The container's limits (linux.resources), shown at the root of the hierarchy. The host
 * cgroup of the sandbox enforces memory and cpu; the Sentry enforces pids. -1: "max". */
struct cgroup_limits {
	int64_t memory_max, memory_low, swap_max, pids_max, cpu_quota;
	uint64_t cpu_period; /* microseconds; 0: the default 100000 */
	uint64_t cpu_weight; /* 1..10000; 0: the default 100 */
};

/* Set the root's limits (boot, before the first task). */
void cgroup_set_root_limits(const struct cgroup_limits *l);

/* The root of the hierarchy (the container's cgroup): never freed. */
struct cgroup *cgroup_root(void);
/* Reference counting: a thread group holds one on its cgroup; a removed cgroup lives on
 * until its zombies are reaped and its open files closed. */
struct cgroup *cgroup_get(struct cgroup *cg);
void cgroup_put(struct cgroup *cg);

/* May a task be created in cg? -EAGAIN when it would exceed pids.max of cg or of an
 * ancestor (Linux's pids controller), counted over the live threads below each. */
int cgroup_can_fork(struct cgroup *cg);

/* cg's path from the root ("/", "/a/b"), NUL-terminated, " (deleted)" appended once
 * removed. Returns the length or -ERANGE. */
int cgroup_path(const struct cgroup *cg, char *buf, size_t size);

/* A cgroup2 filesystem showing the hierarchy (every mount shows the same one). */
struct super_block *cgroupfs_new(void);

#endif
