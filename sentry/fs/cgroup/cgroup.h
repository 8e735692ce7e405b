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

/* A container's limits (linux.resources): the sandbox's are shown at the root of the
 * hierarchy (the host cgroup of the sandbox enforces memory and cpu), a pod container's
 * at its own cgroup; the Sentry enforces pids.max everywhere. -1: "max"; CGROUP_KEEP (and
 * 0 for the unsigned fields): leave the value as it is. */
#define CGROUP_KEEP INT64_MIN
struct cgroup_limits {
	int64_t memory_max, memory_low, swap_max, pids_max, cpu_quota;
	uint64_t cpu_period; /* microseconds */
	uint64_t cpu_weight; /* 1..10000 */
};

/* Set cg's limits (at boot, and by `runsc update`). */
void cgroup_set_limits(struct cgroup *cg, const struct cgroup_limits *l);

/* The root of the hierarchy (the container's cgroup): never freed. */
struct cgroup *cgroup_root(void);
/* Where the sandbox's own processes without a parent (its init, exec'd ones) start: the
 * root, or in a pod the sandbox container's cgroup (cgroup_pod_join). */
struct cgroup *cgroup_sandbox(void);
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

/* Pods: the cgroup of a container named name (a reference for the caller), a child of the
 * root, which becomes the pod's cgroup: the first time, the sandbox's own processes move
 * to a child named sandbox and the root hands every controller down (cgroup v2 keeps
 * processes out of a cgroup with controllers enabled below it). Returns 0 or -errno. */
int cgroup_pod_join(const char *sandbox, const char *name, struct cgroup **out);
/* Remove a pod container's cgroup (rmdir; -EBUSY while processes are in it). The caller's
 * reference stays: requests in flight may still name the container. */
int cgroup_pod_leave(struct cgroup *cg);

/* A cgroup2 filesystem showing the hierarchy (every mount shows the same one). */
struct super_block *cgroupfs_new(void);

#endif
