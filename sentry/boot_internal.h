/* boot_internal.h: shared by sentry/boot.c and sentry/boot_mounts.c. */
#ifndef RUNSC_SENTRY_BOOT_INTERNAL_H
#define RUNSC_SENTRY_BOOT_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sentry/control/control_internal.h"
#include "sentry/fs/cgroup/cgroup.h"

struct cgroup;
struct mount;
struct task;

/* The boot spec runsc writes (runsc/container/bootspec.c), parsed. */
struct boot_spec {
	char **argv, **envp;
	char cwd[4096];
	char hostname[65];
	uid_t uid;
	gid_t gid;
	int ngids;
	gid_t gids[32];
	int umask;	/* -1: the default 0022 */
	bool overlay, readonly;
	bool tmpfs_tmp;	/* a fresh tmpfs at /tmp instead of the root's /tmp */
	json_t *rlimits; /* [{"type","soft","hard"}] (reference held) */
	json_t *mounts;	 /* OCI mounts the Sentry serves itself */
	json_t *masked;	 /* OCI maskedPaths */
	json_t *ro_paths; /* OCI readonlyPaths */
	bool has_caps;	 /* process.capabilities given: the sets below replace root's */
	uint64_t cap_bset, cap_eff, cap_inh, cap_prm, cap_amb;
	bool no_new_privs; /* process.noNewPrivileges */
	json_t *seccomp;   /* OCI linux.seccomp compiled: [code, jt, jf, k, ...] or NULL */
	bool seccomp_log;
	bool terminal;	   /* process.terminal: stdio is a host pty slave (the console) */
	int oom_score_adj; /* process.oomScoreAdj (runsc do: the caller's), else 0 */
	json_t *sysctl;	   /* linux.sysctl's Sentry keys: [{"key", "value"}] (the sandbox's) */
	json_t *proc;	   /* the spec itself: its "sched" and "ioprio" (reference held) */
};


/* What boot_mounts_apply mounts: the boot spec's arrays (references borrowed) and the
 * Gofer connections of its bind mounts, in the order the bind entries appear. */
struct boot_mounts {
	json_t *mounts;	  /* [{destination, type, data, readonly, nosuid, nodev, noexec,
			   *   bind, dir}] */
	json_t *masked;	  /* OCI maskedPaths */
	json_t *readonly; /* OCI readonlyPaths */
	const int *fds;	  /* taken: each is closed or owned by its mount */
	int nfds;
	struct mount *root; /* the tree to mount in (a pod container's); NULL: the sandbox's */
};

/* Mount the boot spec's extra filesystems (bind mounts through their Gofer connections,
 * tmpfs, proc and sysfs anywhere; the spec's flags on the built-in /proc, /sys, /dev,
 * /dev/pts, /dev/shm), then hide the masked paths (an empty read-only tmpfs over a
 * directory, the null device over a file) and make the read-only paths read-only. Kernel
 * lock held, after vfs_init. Failures are logged; returns 0 or the first -errno of a
 * mount (masking and read-only paths that do not exist are skipped, as runc does). */
int boot_mounts_apply(const struct boot_mounts *bm);

/* linux.resources as a container's cgroup shows them ("resources" in the boot spec and in
 * an update request): absent keys are CGROUP_KEEP (at boot: "max"). */
void boot_cgroup_limits(json_t *r, struct cgroup_limits *out);

/* Parse a boot spec object (references taken where kept). Returns 0 or -EINVAL (no
 * program). boot_spec_free releases what it holds. */
int boot_spec_parse(json_t *root, struct boot_spec *s);
void boot_spec_free(struct boot_spec *s);
/* The spec's rlimits, capability sets, no_new_privs and oom_score_adj on t (a container's first task,
 * before its execve). Kernel lock held. */
void boot_task_setup(struct task *t, const struct boot_spec *s);
/* A process's "sched" {policy, nice, priority, reset_on_fork} and "ioprio" (the boot
 * spec's or an exec request's, checked by runsc) on t, as runc's sched_setattr and
 * ioprio_set before the program starts. Invalid values are ignored. */
void boot_process_sched(struct task *t, json_t *proc);

/* A container of a pod, made inside the running sandbox (boot_container.c). */
struct boot_container {
	int cid;			/* in: its thread_group.cid (> 0) */
	const char *id, *sandbox;	/* in: its id and its sandbox's (cgroup names) */
	struct mount *root;		/* its mount tree */
	struct task *init;		/* its first process: created, not started */
	struct control_target target;	/* what exec into it needs */
};

/* Build the container from its boot spec and fds (0-2 stdio, 3 the Gofer connection of
 * its root, 4.. one per bind mount; all taken). Kernel lock held. Returns 0, or -errno
 * with msg set (nothing runs then). */
int boot_container_create(json_t *spec, int *fds, int nfds, struct boot_container *c,
			  char *msg, size_t msize);

#endif
