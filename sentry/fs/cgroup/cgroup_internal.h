/* cgroup_internal.h: the hierarchy's objects (cgroup.c), its control files
 * (cgroup_files.c) and the filesystem (cgroupfs.c). Kernel lock held throughout. */
#ifndef RUNSC_SENTRY_FS_CGROUP_CGROUP_INTERNAL_H
#define RUNSC_SENTRY_FS_CGROUP_CGROUP_INTERNAL_H

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "lib/list.h"
#include "sentry/fs/cgroup/cgroup.h"
#include "sentry/fs/proc/proc_internal.h"

#define CGROUP2_SUPER_MAGIC 0x63677270

/* Controllers, in the order Linux lists them. */
enum { CG_CPU, CG_MEMORY, CG_PIDS, CG_NR };
#define CG_ALL ((1u << CG_NR) - 1)

struct cgroup {
	int refs;		   /* thread groups, inodes, children (on their parent) */
	char *name;		   /* "" for the root */
	struct cgroup *parent;	   /* reference held; NULL for the root */
	struct list_head children; /* live children, of sibling, in creation order */
	struct list_head sibling;
	bool dead;		   /* removed by rmdir: files give ENODEV */
	int depth;		   /* 0 for the root */
	int nr_descendants;	   /* live cgroups below it */
	uint64_t id;		   /* numbers its inodes */
	unsigned subtree_control;  /* 1 << CG_* */
	int max_depth, max_descendants; /* INT32_MAX: "max" */
	struct timespec ctime;
	/* Limits; -1 is "max". Enforced by the Sentry: pids_max. The root's are the host
	 * cgroup's; below the root memory and cpu limits are kept and shown, not enforced. */
	int64_t pids_max, memory_max, memory_high, memory_low, memory_min, swap_max;
	int64_t cpu_quota;
	uint64_t cpu_period, cpu_weight;
	uint64_t pids_events_max; /* forks refused for pids.max here */
};

/* Controllers available in cg (its parent's subtree_control; the root: all). */
unsigned cg_controllers(const struct cgroup *cg);
/* Live threads and processes in cg (below: with its descendants). */
void cg_count(const struct cgroup *cg, bool below, int *threads, int *procs);
int cg_nr_descendants(const struct cgroup *cg);
/* The live child named name, or NULL. */
struct cgroup *cg_child(const struct cgroup *cg, const char *name);
/* mkdir: a new child of parent (referenced for the caller); -EEXIST, -EAGAIN (max.depth,
 * max.descendants), -ENODEV (parent removed). */
int cg_mkdir(struct cgroup *parent, const char *name, struct cgroup **out);
/* rmdir: -EBUSY while processes or live children are below it. */
int cg_rmdir(struct cgroup *cg);
/* Move the process of thread tid (0: the caller's) into cg, with Linux's checks. */
int cg_attach(struct cgroup *cg, int tid);
/* Enable (+) and disable (-) controllers in cg's subtree_control. */
int cg_set_subtree(struct cgroup *cg, unsigned enable, unsigned disable);
/* Whether a lies in the subtree of b (or is b). */
bool cg_is_below(const struct cgroup *a, const struct cgroup *b);
/* Call fn for each live process in cg (below: and its descendants). */
void cg_for_each_proc(const struct cgroup *cg, bool below,
		      void (*fn)(void *arg, int tgid), void *arg);

/* One control file. Files of a controller (ctrl >= 0) exist where it is available. */
struct cg_file {
	const char *name;
	uint32_t mode;
	int ctrl; /* CG_* or -1 for the core files */
	int (*show)(struct cgroup *cg, struct proc_buf *b);
	/* One write (trailing whitespace already removed): 0 or -errno. */
	int (*write)(struct cgroup *cg, char *buf);
};

extern const struct cg_file g_cg_files[]; /* ends with a NULL name */
extern const char *const g_cg_ctrl_names[CG_NR];
bool cg_file_visible(const struct cgroup *cg, const struct cg_file *f);

#endif
