/* task.h: tasks (application threads), thread groups (processes), credentials and signals.
 *
 * One application thread = one struct task = one Sentry host thread running task_run().
 * All fields are protected by the kernel lock (sched.h) unless a comment says otherwise.
 */
#ifndef RUNSC_SENTRY_KERNEL_TASK_H
#define RUNSC_SENTRY_KERNEL_TASK_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "lib/list.h"
#include "platform/platform.h"
#include "sentry/abi/uaddr.h"
#include "sentry/kernel/sched.h"
#include "sentry/mm/mempolicy.h"

struct mm;
struct cgroup;
struct tg_timers;
struct fdtable;
struct fs_context;
struct ipc_ns;
struct pid;
struct pid_ns;
struct io_context;

#define SENTRY_NSIG 64 /* signals 1..64 */
typedef uint64_t sigmask_t; /* bit (sig-1) set = signal sig */

static inline sigmask_t sig_bit(int sig)
{
	return 1ULL << (sig - 1);
}

/* Credentials as Linux keeps them per task. */
struct creds {
	uid_t uid, euid, suid, fsuid;
	gid_t gid, egid, sgid, fsgid;
	int ngroups;
	gid_t groups[256];
	/* Capability sets, bit n = capability n, and SECBIT_* (sentry/kernel/caps.h). */
	uint64_t cap_inheritable, cap_permitted, cap_effective, cap_bset, cap_ambient;
	unsigned securebits;
};

/* The kernel's struct k_sigaction as rt_sigaction passes it. */
struct ksigaction {
	uint64_t handler; /* SIG_DFL = 0, SIG_IGN = 1, or an app address */
	uint64_t flags;	  /* SA_* */
	uint64_t restorer;
	sigmask_t mask;
};

/* A queued signal with its siginfo (the Linux siginfo_t layout, 128 bytes). */
struct sigqueue_entry {
	struct list_head link;
	siginfo_t info;
};

struct sigpending {
	sigmask_t set;		 /* which signals have at least one entry */
	struct list_head queue;	 /* of sigqueue_entry, in arrival order */
};

/* Handlers shared by threads of a group (CLONE_SIGHAND). */
struct sighand {
	int refs;
	struct ksigaction action[SENTRY_NSIG];
};

enum task_state {
	TASK_RUNNING = 0,
	TASK_EXITING, /* exit started: no more signals delivered, waiting to be reaped */
	TASK_DEAD,
};

struct thread_group {
	int tgid;			/* == leader's tid */
	/* Its pid (the leader's), its process group's and session's (pidns.h); tgid,
	 * pgid and sid are their sandbox-wide numbers. References held. */
	struct pid *pid, *pgrp, *session;
	int refs;
	struct task *leader;
	struct list_head tasks;		/* of task.tg_link */
	int nr_live;			/* threads not yet exited */
	struct thread_group *parent;	/* NULL for the container's init */
	struct list_head children;	/* of thread_group.sibling */
	struct list_head sibling;
	struct sighand *sighand;
	struct sigpending shared_pending;
	int pgid, sid;
	struct rlimit rlim[RLIM_NLIMITS];
	bool exiting;			/* exit_group or a fatal signal started */
	int exit_status;		/* wait status (as wait4 reports it) once zombie */
	bool zombie;			/* all threads gone, waiting to be reaped */
	struct waitq child_wq;		/* parent waits here for children's state changes */
	struct waitq thread_exit_wq;	/* execve waits here for the other threads to go */
	/* Job control: a group stop holds every thread until SIGCONT or SIGKILL. */
	bool stopped;
	int stop_sig;
	bool stop_report, cont_report;	/* for wait4 WUNTRACED / WCONTINUED */
	struct waitq stop_wq;
	struct waitq exit_wq;		/* pidfd pollers: woken when the group exits */
	int exit_signal;		/* signal sent to the parent at exit (SIGCHLD) */
	uint64_t start_ns;
	bool subreaper;			/* PR_SET_CHILD_SUBREAPER: orphans below come here */
	int dumpable;			/* PR_SET_DUMPABLE */
	/* CPU time of exited threads and of reaped children (sentry/kernel/cputime.h). */
	uint64_t dead_utime_ns, dead_stime_ns, child_utime_ns, child_stime_ns;
	struct tg_timers *timers;	/* itimers, POSIX timers (sentry/kernel/timer.h) */
	bool membarrier_private;	/* MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED done */
	int cid;			/* container of a pod: 0 = the sandbox's first (inherited) */
	struct cgroup *cgroup;		/* reference held (sentry/fs/cgroup/cgroup.h) */
	/* /proc/PID/oom_score_adj (-1000..1000), inherited at fork, and the floor below
	 * which a write needs CAP_SYS_RESOURCE (set by a write made with it). */
	int oom_score_adj, oom_score_adj_min;
	/* Linux's SysV undo list exists (kcmp KCMP_SYSVSEM): made by the first SEM_UNDO
	 * operation or a CLONE_SYSVSEM clone, dropped at exit and unshare(CLONE_SYSVSEM). */
	bool sem_undo_list;
};

struct task {
	int tid;		   /* the sandbox-wide (level 0) number of pid */
	struct pid *pid;	   /* reference held (sentry/kernel/pidns.h) */
	struct pid_ns *pidns_children; /* unshare(CLONE_NEWPID): children's; NULL: pid's */
	char comm[16];
	struct thread_group *tg;
	struct list_head tg_link;
	struct list_head all_link; /* g_tasks */
	enum task_state state;

	/* Resources, reference counted by their own modules. */
	struct mm *mm;
	struct fdtable *files;
	struct fs_context *fs;
	struct ipc_ns *ipc_ns;	   /* NULL: the sandbox's first IPC namespace (sentry/ipc/) */
	struct creds creds;

	/* Execution. Only the task's own host thread touches regs/ctx. */
	plat_regs_t regs;
	struct plat_ctx *ctx;
	pthread_t thread;
	bool in_app;	    /* inside platform switch_to (kernel lock dropped) */

	/* Blocking (see sched.h). */
	pthread_cond_t cond;
	bool blocked;
	bool woken;
	_Atomic unsigned wake_refs; /* wake-ups being signalled outside the lock (sched.c) */
	unsigned spin_pause_waits;  /* waits left that spin without yielding (sched.c) */

	/* Signals. */
	sigmask_t sigmask;	      /* blocked signals */
	sigmask_t saved_sigmask;      /* restored after rt_sigsuspend / ppoll-style calls */
	sigmask_t forced;	      /* synchronous faults queued: fatal even to init */
	sigmask_t sigwait;	      /* awaited by rt_sigtimedwait: blocked for send checks */
	bool restore_sigmask;
	struct sigpending pending;    /* thread-directed signals */
	uint64_t altstack_sp, altstack_size;
	int altstack_flags;

	uaddr_t clear_child_tid;
	uaddr_t robust_list;
	uint64_t robust_list_len;

	/* Set by exit/exit_group/execve to stop the task loop. */
	bool exit_now;
	int exit_code;		 /* status for exit(): the low 8 bits go to wait */

	/* Set by a syscall that restarts (ERESTART*), consumed by the signal code. */
	long restart_rax;
	/* -ERESTART_RESTARTBLOCK: what restart_syscall(2) continues (a sleep's deadline). */
	struct {
		long (*fn)(struct task *t);
		int64_t deadline_ns;
		uaddr_t urem;
	} restart;
	bool no_restart;	 /* rt_sigreturn: the restored rax is not a restart code */
	/* The syscall being served, unique in the sandbox (0 between syscalls): what a
	 * filesystem fetched from the host during it is current for the rest of it, so a
	 * stat need not ask again for what its path walk just got (gofer_write.c). */
	uint64_t syscall_id;

	/* Faults found already mapped (races between threads), at fault_addr. */
	uint64_t fault_addr;
	int fault_retries;

	/* prctl state. */
	int pdeathsig;
	bool no_new_privs;
	/* seccomp (sentry/kernel/seccomp.h): 0, SECCOMP_MODE_STRICT or _FILTER, and the
	 * newest filter of the chain (reference held). */
	int seccomp_mode;
	struct seccomp_filter *seccomp;

	/* CPU accounting (sentry/kernel/cputime.h). */
	uint64_t utime_ns, stime_ns;
	uint64_t app_since_ns;	 /* CLOCK_MONOTONIC when the current switch_to began */
	uint64_t sys_mark_ns;	 /* CLOCK_MONOTONIC when app code last stopped (cputime.c) */
	uint64_t sys_cpu_mark_ns; /* host thread CPU clock at the stretch's first lock drop */

	/* Scheduling attributes as sched_* report them (sys_sched.c); copied at fork. */
	int sched_policy, sched_prio, nice;
	uint64_t affinity;	 /* CPUs 0..63 */
	unsigned personality;
	uint64_t timer_slack_ns; /* PR_SET_TIMERSLACK; 0 = the default 50 us */
	struct io_context *io;	 /* ioprio_set's (sentry/kernel/ioprio.h); NULL: none */
	struct mempolicy mempolicy; /* set_mempolicy's; copied at fork */

	/* FPU state to load into a fresh context before first running (fork, exec). */
	struct plat_fpu *pending_fpu;

	/* vfork: shared with the parent, which sleeps until the child execs or exits. */
	struct vfork_completion *vfork;
};

struct vfork_completion {
	int refs;
	bool done;
	struct waitq wq;
};

/* The vfork child releases its parent (exec or exit). Kernel lock held. */
void vfork_release(struct task *child);

/* The container's init thread group (pid 1), for reparenting and the sandbox exit code. */
extern struct thread_group *g_init_tg;

/* Thread-local: the task this host thread runs. */
extern __thread struct task *t_current;

/* The platform chosen at boot. */
extern struct platform *g_platform;

/* Create the first task (pid 1) with the given mm/files/fs, not yet started. */
struct task *task_create_init(struct mm *mm, struct fdtable *files, struct fs_context *fs,
			      const struct creds *creds);

/* Start the task's host thread running task_run(). Kernel lock held. */
int task_start(struct task *t);

/* The task loop: switch to app code, dispatch traps, deliver signals, until exit. */
void task_run(struct task *t);

/* Look up a live task / thread group by id in the sandbox pid namespace. */
struct task *task_find(int tid);
struct thread_group *tg_find(int tgid);
/* The same, counting a zombie not yet reaped: it still exists for kill(2), which answers
 * 0 and delivers nothing, as Linux. */
struct thread_group *tg_find_with_zombies(int tgid);

/* Signals. Send sig to a thread group (kill) or one thread (tgkill). info may be NULL
 * (SI_KERNEL). Kernel lock held. Returns 0 or -errno. */
int tg_send_signal(struct thread_group *tg, int sig, const siginfo_t *info);
int task_send_signal(struct task *t, int sig, const siginfo_t *info);
/* True if t has a signal pending that it does not block (blocking calls must return). */
bool task_signal_pending(const struct task *t);
/* Deliver pending signals before returning to app code (builds frames or acts). */
void signal_deliver(struct task *t);
/* Force a synchronous fault signal (from a trap); unblocks/resets it if needed, as Linux. */
void signal_force_fault(struct task *t, int sig, int code, uint64_t addr);
/* The same with a full siginfo (seccomp's SIGSYS). */
void signal_force_info(struct task *t, const siginfo_t *info);
/* Install the temporary mask of a wait (ppoll, pselect6, epoll_pwait, io_pgetevents):
 * the sigset of size bytes at umask (none when NULL), restored by signal_end_wait_mask.
 * 0, -EINVAL (size is not 8) or -EFAULT. */
long signal_begin_wait_mask(struct task *t, uaddr_t umask, size_t size);
/* End a wait made under a temporary mask (ppoll, pselect6, epoll_pwait): unless a signal cut
 * it short (ret -EINTR or -ERESTARTNOHAND), the old mask is back at once, so a signal it
 * blocks stays pending rather than being delivered on the way out (as Linux's
 * restore_saved_sigmask_unless). */
void signal_end_wait_mask(struct task *t, long ret);

/* Exit paths. task_exit ends this thread; tg_exit starts exit_group with a wait status. */
void task_do_exit(struct task *t, int code);
void tg_do_exit_group(struct task *t, int wait_status);

/* Wait for the whole sandbox to finish; returns init's wait status. Main thread only. */
int kernel_wait_init(void);

/* Monotonic nanoseconds (for uptime and timeouts). */
uint64_t kernel_now_ns(void);
/* The syscall_id last given out: every syscall with an id up to it had begun by now. */
uint64_t task_syscall_id_latest(void);
/* pid_max: Linux's boot-time default for a machine of ncpus possible CPUs,
 * max(32768, 1024 * ncpus) up to 4194304; 32768 until set. Pids wrap below it. */
void task_pid_max_init(int ncpus);
int task_pid_max(void);

#endif
