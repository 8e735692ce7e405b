/* kernel_internal.h: helpers shared by the files of sentry/kernel/. Kernel lock held. */
#ifndef RUNSC_SENTRY_KERNEL_INTERNAL_H
#define RUNSC_SENTRY_KERNEL_INTERNAL_H

#include "sentry/kernel/task.h"

struct pid_ns;
/* A new task with a pid in ns (and its ancestors): 0, -ENOMEM (ns's init has exited)
 * or -EAGAIN (no free pid). */
int task_alloc(struct pid_ns *ns, struct task **out);
void task_free(struct task *t);
struct thread_group *tg_alloc(struct task *leader, struct thread_group *parent);
void tg_put(struct thread_group *tg);
/* Set tg's process group / session (and the pid references) to sandbox-wide number nr,
 * which must name an existing pid. */
void tg_set_pgid(struct thread_group *tg, int pgid);
void tg_set_sid(struct thread_group *tg, int sid);
/* Live tasks whose real uid is uid (RLIMIT_NPROC). */
int task_count_user(uid_t uid);
/* Live tasks running in mm on a context of their own (a vfork child borrows its
 * parent's). */
int task_count_mm(const struct mm *mm);
/* Call fn for every live task (getpriority/setpriority by group or user). */
void task_for_each(void (*fn)(struct task *t, void *arg), void *arg);
/* The same, also visiting each unreaped zombie's leader (kill(2) counts zombies). */
void task_for_each_with_zombies(void (*fn)(struct task *t, void *arg), void *arg);
/* POSIX: a process group that has just become orphaned (an exit or a reparent cut its
 * last tie to a parent in another group of its session) and has stopped members gets
 * SIGHUP then SIGCONT, so nothing stays stopped with nobody left to resume it. */
void pgrp_hup_if_orphaned_stopped(int pgid);
/* Is t the first live thread of its group? (Visit each process once with task_for_each,
 * even when its leader has exited.) */
bool task_is_group_rep(const struct task *t);

void sigpending_flush(struct sigpending *p);
/* Take the lowest pending signal in set (thread-directed first) into *info; 0 if none. */
int signal_dequeue(struct task *t, sigmask_t set, siginfo_t *info);
/* Reset handlers for execve: caught signals go back to SIG_DFL. */
void signal_reset_for_exec(struct task *t);
/* Fill info for a kernel-generated signal. */
void siginfo_kernel(siginfo_t *info, int sig, int code);

/* Run one execve on kernel strings (boot and sys_execve). On success the task's mm,
 * registers and FPU are replaced. */
int kernel_execve(struct task *t, const char *path, char *const argv[], char *const envp[]);
/* execveat: path relative to dirfd, with AT_EMPTY_PATH / AT_SYMLINK_NOFOLLOW. */
int kernel_execveat(struct task *t, int dirfd, const char *path, int at_flags,
		    char *const argv[], char *const envp[]);

/* Run a CLONE_VM|CLONE_VFORK child on its parent's host thread until it execs (then it
 * moves to a thread of its own) or exits. */
void task_run_vfork_child(struct task *parent, struct task *child, struct vfork_completion *vc);

/* End every thread of tg with the given wait status (exit_group, fatal signals). */
void tg_exit_group(struct thread_group *tg, int wait_status);

/* The whole thread group of t is finishing: wake everyone blocked in it. */
void tg_kill_all_threads(struct thread_group *tg);

/* Notify the parent that a child thread group changed state (exit). */
void tg_notify_parent(struct thread_group *tg);

/* SIGKILL every thread group but `keep` (init's exit). */
void tasks_kill_all_except(struct thread_group *keep);
/* SIGKILL every thread group with a pid in ns but `keep` (a namespace's init exits). */
void tasks_kill_in_ns(struct pid_ns *ns, struct thread_group *keep);
/* Free a reaped zombie thread group. */
void tg_release_zombie(struct thread_group *tg);

/* Visit every thread group of the sandbox, zombies included: init's tree and the trees
 * of `runsc exec` processes (control_api.c). Kernel lock held. */
typedef void (*tg_visit_fn)(void *arg, struct thread_group *tg);
void kernel_for_each_tg(tg_visit_fn fn, void *arg);

#endif
