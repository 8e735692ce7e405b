/* proc_api.h: read-only views of kernel state for /proc (sentry/fs/proc) and the tty
 * code: thread-group lists, per-task snapshots, and referenced handles on a task's mm,
 * fd table and fs context. Every function runs under the kernel lock. */
#ifndef RUNSC_SENTRY_KERNEL_PROC_API_H
#define RUNSC_SENTRY_KERNEL_PROC_API_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct task;
struct mm;
struct fdtable;
struct fs_context;
struct cgroup;
struct pid_ns;

/* A snapshot of one thread (and its thread group) as /proc/PID/stat and status show it. */
struct proc_task_info {
	int tid, tgid, ppid, pgid, sid;	/* sandbox-wide (level 0) numbers */
	/* The same as the task reading /proc sees them (pidns.h; 0: outside its pid
	 * namespace), and the NStgid/NSpid/NSpgid/NSsid columns: the numbers in its
	 * namespace and each one below down to the task's own. */
	int v_tid, v_tgid, v_ppid, v_pgid, v_sid;
	int ns_count;
	int ns_tgid[33], ns_tid[33], ns_pgid[33], ns_sid[33];
	char comm[16];
	char state;		/* 'R', 'S', 'Z' (zombie group), 'X' (dead thread) */
	int nr_threads;
	uid_t uid, euid, suid, fsuid;
	gid_t gid, egid, sgid, fsgid;
	int ngroups;
	gid_t groups[32];
	uint64_t start_ns;	/* CLOCK_MONOTONIC of the group's creation */
	uint64_t sigpnd, shdpnd, sigblk, sigign, sigcgt; /* bit (sig-1) = sig */
	int sigq;		/* queued signals of the thread and its group */
	bool no_new_privs;
	int seccomp_mode, seccomp_filters; /* Seccomp: and Seccomp_filters: */
	int exit_signal;
	int dumpable;
	struct rlimit rlim[RLIM_NLIMITS];
	/* The process's accounted CPU time and its reaped children's (sentry/kernel/cputime.h),
	 * and the thread's nice value and scheduling policy/priority. */
	uint64_t utime_ns, stime_ns, cutime_ns, cstime_ns;
	int nice, policy, rt_prio;
	uint64_t cap_inh, cap_prm, cap_eff, cap_bnd, cap_amb;	/* capability sets */
};

/* The live (not reaped) thread groups' ids, ascending, into ids (at most max). Returns
 * how many exist (may exceed max). */
int proc_tgid_list(int *ids, int max);
/* The thread ids of thread group tgid that have not finished, ascending. Returns the
 * count (may exceed max) or -ESRCH. */
int proc_tid_list(int tgid, int *ids, int max);
/* Whether thread group tgid exists (zombies too). */
bool proc_tg_exists(int tgid);
/* Whether tid is a thread of tgid that has not finished. */
bool proc_thread_exists(int tgid, int tid);
/* Fill info for thread tid of tgid (tid 0: the group's leader or first live thread).
 * Returns 0 or -ESRCH. */
int proc_task_info(int tgid, int tid, struct proc_task_info *info);
/* The same with the v_* and ns_* numbers as /proc of pid namespace ns shows them. */
int proc_task_info_ns(struct pid_ns *ns, int tgid, int tid, struct proc_task_info *info);
/* The tgid and tid of t (for /proc/self and thread-self); 0 for a NULL task. */
int proc_task_tgid(const struct task *t);
int proc_task_tid(const struct task *t);

/* A /proc shows the pid namespace of whoever mounted it (Linux): proc_mount_pidns is
 * that of a new procfs (a reference: the one proc_set_mount_pidns set while the Sentry
 * builds a container's mounts, else the current task's). A sandbox-wide pid number as
 * numbered in ns (0: outside it), and back (-1: it names nothing in ns). */
struct pid_ns *proc_mount_pidns(void);
void proc_set_mount_pidns(struct pid_ns *ns);
int proc_pid_view(struct pid_ns *ns, int nr);
int proc_pid_unview(struct pid_ns *ns, int nr);
/* The inode number of thread group tgid's pid namespace (ns/pid), or of thread tid's
 * (0: the leader's) namespace for children (ns/pid_for_children); 0 if there is no such
 * group. */
uint64_t proc_pidns_ino(int tgid, int tid, bool for_children);

/* Referenced resources of a live thread of tgid, or NULL (zombie, no such group). Drop
 * them with mm_put, fdtable_put, fs_context_put. */
struct mm *proc_get_mm(int tgid);
struct fdtable *proc_get_files(int tgid);
struct fs_context *proc_get_fs(int tgid);
/* Any live task of tgid (for path names relative to its root), not referenced: use it
 * only while the kernel lock stays held. */
struct task *proc_any_task(int tgid);

/* Set the comm of thread tid of tgid (write to /proc/PID/comm): truncated to 15 bytes. */
int proc_set_comm(int tgid, int tid, const char *name, size_t len);
/* /proc/PID/oom_score_adj of thread group tgid: 0 with *adj, or -ESRCH. */
int proc_get_oom_score_adj(int tgid, int *adj);
/* A write of adj (-1000..1000, checked by the caller) by writer, as Linux's
 * __set_oom_adj: below the group's floor (legacy oom_adj: below its current value)
 * needs CAP_SYS_RESOURCE (-EACCES); a non-legacy write with it also sets the floor.
 * Returns 0, -ESRCH or -EACCES. */
int proc_set_oom_score_adj(struct task *writer, int tgid, int adj, bool legacy);
/* The thread groups of process group pgid, for terminal signals: calls fn for each. */
void proc_for_each_in_pgrp(int pgid, void (*fn)(void *arg, int tgid), void *arg);
/* Whether process group pgid is orphaned (POSIX: no member has a parent in another group
 * of its session), so terminal job-control stops cannot apply to it. */
bool proc_pgrp_orphaned(int pgid);
/* Whether a process group pgid exists in session sid. */
bool proc_pgrp_in_session(int pgid, int sid);
/* Number of live threads and of thread groups in the sandbox (loadavg, stat). */
void proc_counts(int *threads, int *groups, int *running);
/* The last pid handed out (loadavg), approximated by the highest live one. */
int proc_last_pid(void);

/* cgroup membership for sentry/fs/cgroup. fn(arg, tgid, live threads, the group's cgroup)
 * for every thread group not yet reaped (zombies with 0 live threads). */
void proc_for_each_tg_cgroup(void (*fn)(void *arg, int tgid, int nr_live, struct cgroup *cg),
			     void *arg);
/* The cgroup of thread group tgid (zombies too), not referenced; NULL if there is none. */
struct cgroup *proc_tg_cgroup(int tgid);
/* The process of live thread tid: its tgid and cgroup (not referenced), or -ESRCH. */
int proc_thread_cgroup(int tid, int *tgid, struct cgroup **cg);
/* Move live thread group tgid into cg (the group takes a reference): 0 or -ESRCH. */
int proc_tg_set_cgroup(int tgid, struct cgroup *cg);

#endif
