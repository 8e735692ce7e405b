/* control_api.h: what the control socket (sentry/control) needs of the kernel: processes
 * started from outside (`runsc exec`), their reaping, signals to every process, and a
 * process listing. Every function runs under the kernel lock. */
#ifndef RUNSC_SENTRY_KERNEL_CONTROL_API_H
#define RUNSC_SENTRY_KERNEL_CONTROL_API_H

#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct task;
struct thread_group;
struct fdtable;
struct fs_context;
struct creds;
struct pid_ns;

/* A new thread group with no parent in the sandbox (like init, but not init): the
 * process of a `runsc exec`. It is its own session and process group leader, takes
 * ownership of files and fs, and gets rlim (RLIM_NLIMITS entries, NULL: init's). It has
 * no mm until kernel_execve and no host thread until task_start. An extra reference on
 * its thread group is kept for control_tg_reap. Its pid is in ns (NULL: the sandbox's);
 * the first process of a new namespace is its init (pid 1). Returns NULL when out of
 * pids or when ns's init has exited. */
struct task *control_task_create(struct pid_ns *ns, struct fdtable *files,
				 struct fs_context *fs, const struct creds *creds,
				 const struct rlimit *rlim);

/* Undo control_task_create for a task that never started (its execve failed). */
void control_task_abort(struct task *t);

/* If the parentless thread group tg (from control_task_create) has finished, store its
 * wait status, free it and drop the extra reference: returns 0. -EAGAIN while it runs. */
int control_tg_reap(struct thread_group *tg, int *wait_status);

/* Send sig to every process of container cid (thread_group.cid; -1: of the whole
 * sandbox) (kill --all); init keeps its protection against signals it has no handler
 * for. Returns how many processes were signalled. */
int control_signal_all(int sig, int cid);

/* One process as `runsc ps` shows it. */
struct control_proc {
	int pid, ppid;
	uid_t uid;
	int threads;
	char comm[16];
	uint64_t start_ns;	/* CLOCK_MONOTONIC when it was created */
	char state;		/* 'R' running, 'Z' zombie */
};

/* The processes of container cid (-1: all of the sandbox's: init's tree and every
 * exec'd tree), ascending by pid, into v (at most max). Returns how many exist (may
 * exceed max). */
int control_ps(struct control_proc *v, int max, int cid);

#endif
