/* ioprio_set / ioprio_get: classes and levels, EINVAL/ESRCH/EPERM, the RT class's
 * capabilities, the "best" value of a group or user, inheritance across fork and threads,
 * and CLONE_IO sharing. */
#include "harness.h"

#include <linux/capability.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#define CLASS_RT 1
#define CLASS_BE 2
#define CLASS_IDLE 3
#define PRIO(c, d) (((c) << 13) | (d))
#define WHO_PROCESS 1
#define WHO_PGRP 2
#define WHO_USER 3
#define NOBODY 54321 /* a uid no other process uses */

static long io_get(int which, int who)
{
	return syscall(SYS_ioprio_get, which, who);
}

static long io_set(int which, int who, int prio)
{
	return syscall(SYS_ioprio_set, which, who, prio);
}

/* Run fn in a child with its own process group; the child's exit status (0 = pass). */
static int in_child(int (*fn)(void))
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		_exit(fn());
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* The level a task that never set one reports in a group: (nice + 20) / 5. */
static int nice_level(void)
{
	errno = 0;
	return (getpriority(PRIO_PROCESS, 0) + 20) / 5;
}

static int defaults_child(void)
{
	if (io_get(WHO_PROCESS, 0) != 0) /* never set: class NONE */
		return 1;
	if (io_get(WHO_PGRP, 0) != PRIO(CLASS_BE, nice_level()))
		return 2;
	if (setpriority(PRIO_PROCESS, 0, 17) < 0 || io_get(WHO_PGRP, 0) != PRIO(CLASS_BE, 7))
		return 3;
	if (io_get(WHO_PROCESS, 0) != 0)
		return 4;
	if (io_get(WHO_PGRP, getpgrp()) != PRIO(CLASS_BE, 7))
		return 5;
	return 0;
}

static void fresh_process_defaults(void)
{
	CHECK_EQ(in_child(defaults_child), 0);
}

static int round_trip_child(void)
{
	if (io_set(WHO_PROCESS, 0, PRIO(CLASS_BE, 3)) != 0 ||
	    io_get(WHO_PROCESS, 0) != PRIO(CLASS_BE, 3))
		return 1;
	if (io_get(WHO_PGRP, 0) != PRIO(CLASS_BE, 3) || io_get(WHO_PROCESS, getpid()) !=
	    PRIO(CLASS_BE, 3))
		return 2;
	if (io_set(WHO_PROCESS, getpid(), PRIO(CLASS_IDLE, 5)) != 0 ||
	    io_get(WHO_PROCESS, 0) != PRIO(CLASS_IDLE, 5))
		return 3;
	if (io_set(WHO_PROCESS, 0, PRIO(CLASS_RT, 0)) != 0 ||
	    io_get(WHO_PROCESS, 0) != PRIO(CLASS_RT, 0))
		return 4;
	/* Data bits above the level (hints) are kept; bits past 16 are dropped. */
	if (io_set(WHO_PROCESS, 0, PRIO(CLASS_BE, 0x10)) != 0 ||
	    io_get(WHO_PROCESS, 0) != PRIO(CLASS_BE, 0x10))
		return 5;
	if (io_set(WHO_PROCESS, 0, 0x10000 | PRIO(CLASS_BE, 1)) != 0 ||
	    io_get(WHO_PROCESS, 0) != PRIO(CLASS_BE, 1))
		return 6;
	/* Class NONE, level 0: back to "not set". */
	if (io_set(WHO_PROCESS, 0, 0) != 0 || io_get(WHO_PROCESS, 0) != 0 ||
	    io_get(WHO_PGRP, 0) != PRIO(CLASS_BE, nice_level()))
		return 7;
	return 0;
}

static void set_get_round_trip(void)
{
	CHECK_EQ(in_child(round_trip_child), 0);
}

static void bad_values_and_targets(void)
{
	CHECK_ERR(io_set(WHO_PROCESS, 0, PRIO(0, 1)), EINVAL);
	CHECK_ERR(io_set(WHO_PROCESS, 0, PRIO(4, 0)), EINVAL);
	CHECK_ERR(io_set(WHO_PROCESS, 0, PRIO(7, 0)), EINVAL);
	CHECK_ERR(io_set(WHO_PROCESS, 0, -1), EINVAL);
	CHECK_ERR(io_set(4, 0, PRIO(CLASS_BE, 0)), EINVAL);
	CHECK_ERR(io_set(0, 0, PRIO(CLASS_BE, 0)), EINVAL);
	CHECK_ERR(io_get(0, 0), EINVAL);
	CHECK_ERR(io_get(4, 0), EINVAL);
	CHECK_ERR(io_get(WHO_PROCESS, -1), ESRCH);
	CHECK_ERR(io_get(WHO_PGRP, -1), ESRCH);
	CHECK_ERR(io_get(WHO_USER, -1), ESRCH);
	CHECK_ERR(io_get(WHO_PROCESS, 999999), ESRCH);
	CHECK_ERR(io_get(WHO_PGRP, 999999), ESRCH);
	CHECK_ERR(io_get(WHO_USER, NOBODY + 1), ESRCH);
	CHECK_ERR(io_set(WHO_PGRP, 999999, PRIO(CLASS_BE, 0)), ESRCH);
	CHECK_ERR(io_set(WHO_USER, NOBODY + 1, PRIO(CLASS_BE, 0)), ESRCH);
}

static int unprivileged_child(void)
{
	pid_t parent = getppid();

	if (setresuid(NOBODY, NOBODY, NOBODY) < 0)
		return 10;
	if (io_set(WHO_PROCESS, 0, PRIO(CLASS_RT, 0)) != -1 || errno != EPERM)
		return 1;
	if (io_set(WHO_PROCESS, 0, PRIO(CLASS_BE, 7)) != 0 ||
	    io_get(WHO_PROCESS, 0) != PRIO(CLASS_BE, 7))
		return 2;
	/* The value is checked before the target: EPERM, not EINVAL/ESRCH. */
	if (io_set(9, 999999, PRIO(CLASS_RT, 0)) != -1 || errno != EPERM)
		return 3;
	/* Another user's task: EPERM; reading it is allowed. */
	if (io_set(WHO_PROCESS, parent, PRIO(CLASS_BE, 7)) != -1 || errno != EPERM)
		return 4;
	if (io_get(WHO_PROCESS, parent) < 0)
		return 5;
	/* WHO_USER: only this process has the uid; get's 0 means the caller's uid. */
	if (io_get(WHO_USER, NOBODY) != PRIO(CLASS_BE, 7) || io_get(WHO_USER, 0) !=
	    PRIO(CLASS_BE, 7))
		return 6;
	if (io_set(WHO_USER, NOBODY, PRIO(CLASS_IDLE, 0)) != 0 ||
	    io_get(WHO_PROCESS, 0) != PRIO(CLASS_IDLE, 0))
		return 7;
	/* set's 0 is uid 0, as Linux: root's tasks, which this user may not change. */
	if (io_set(WHO_USER, 0, PRIO(CLASS_BE, 0)) != -1 || errno != EPERM)
		return 8;
	return 0;
}

static void unprivileged_rules(void)
{
	CHECK_EQ(in_child(unprivileged_child), 0);
}

static int cap_set_only(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{0}};

	d[cap / 32].effective = d[cap / 32].permitted = 1U << (cap % 32);
	return (int)syscall(SYS_capset, &h, d);
}

static int one_cap_child(int cap)
{
	if (prctl(PR_SET_KEEPCAPS, 1) < 0 || setresuid(NOBODY, NOBODY, NOBODY) < 0 ||
	    cap_set_only(cap) < 0)
		return 10;
	if (io_set(WHO_PROCESS, 0, PRIO(CLASS_RT, 2)) != 0 ||
	    io_get(WHO_PROCESS, 0) != PRIO(CLASS_RT, 2))
		return 1;
	/* CAP_SYS_NICE also allows other users' tasks. */
	if (cap == CAP_SYS_NICE && io_set(WHO_PROCESS, getppid(), 0) != 0)
		return 2;
	if (cap == CAP_SYS_ADMIN && (io_set(WHO_PROCESS, getppid(), 0) != -1 || errno != EPERM))
		return 3;
	return 0;
}

static int nice_child(void)
{
	return one_cap_child(CAP_SYS_NICE);
}

static int admin_child(void)
{
	return one_cap_child(CAP_SYS_ADMIN);
}

static void rt_needs_sys_admin_or_sys_nice(void)
{
	CHECK_EQ(in_child(nice_child), 0);
	CHECK_EQ(in_child(admin_child), 0);
}

static long g_thread_prio;

static void *thread_fn(void *arg)
{
	g_thread_prio = io_get(WHO_PROCESS, 0);
	io_set(WHO_PROCESS, 0, PRIO(CLASS_IDLE, 1));
	return arg;
}

static int inherit_child(void)
{
	pthread_t th;
	pid_t pid;
	int status;

	if (io_set(WHO_PROCESS, 0, PRIO(CLASS_BE, 3)) != 0)
		return 10;
	pid = fork();
	if (pid == 0)
		_exit(io_get(WHO_PROCESS, 0) == PRIO(CLASS_BE, 3) ? 0 : 1);
	if (waitpid(pid, &status, 0) != pid || status != 0)
		return 1;
	/* A thread starts with a copy: its change stays its own. */
	if (pthread_create(&th, NULL, thread_fn, NULL) || pthread_join(th, NULL))
		return 11;
	if (g_thread_prio != PRIO(CLASS_BE, 3) || io_get(WHO_PROCESS, 0) != PRIO(CLASS_BE, 3))
		return 2;
	/* "Not set" is not inherited as a value either. */
	if (io_set(WHO_PROCESS, 0, 0) != 0)
		return 12;
	pid = fork();
	if (pid == 0)
		_exit(io_get(WHO_PROCESS, 0) == 0 ? 0 : 1);
	if (waitpid(pid, &status, 0) != pid || status != 0)
		return 3;
	return 0;
}

static void inherited_across_fork_and_threads(void)
{
	CHECK_EQ(in_child(inherit_child), 0);
}

static int clone_io_child(void)
{
	long pid;
	int status;

	if (io_set(WHO_PROCESS, 0, PRIO(CLASS_BE, 6)) != 0)
		return 10;
	fflush(stdout);
	pid = syscall(SYS_clone, CLONE_IO | SIGCHLD, 0, NULL, NULL, 0);
	if (pid == 0) {
		io_set(WHO_PROCESS, 0, PRIO(CLASS_IDLE, 2));
		syscall(SYS_exit, 0);
	}
	if (pid < 0 || waitpid((pid_t)pid, &status, 0) != pid)
		return 11;
	/* The child changed the context it shares with us. */
	return io_get(WHO_PROCESS, 0) == PRIO(CLASS_IDLE, 2) ? 0 : 1;
}

static void clone_io_shares_the_context(void)
{
	CHECK_EQ(in_child(clone_io_child), 0);
}

static int pgrp_child(void)
{
	int p[2];
	char c = 0;
	pid_t kid;
	int status;

	if (pipe(p) < 0)
		return 10;
	kid = fork();
	if (kid == 0) {
		/* Wait until the group's priority is set, then report our own. */
		if (read(p[0], &c, 1) != 1)
			_exit(9);
		_exit(io_get(WHO_PROCESS, 0) == PRIO(CLASS_BE, 2) ? 0 : 1);
	}
	if (io_set(WHO_PGRP, 0, PRIO(CLASS_BE, 2)) != 0 || write(p[1], "x", 1) != 1)
		return 11;
	if (waitpid(kid, &status, 0) != kid || status != 0)
		return 1;
	/* The best (lowest value) over the group. */
	if (io_set(WHO_PROCESS, 0, PRIO(CLASS_IDLE, 0)) != 0 ||
	    io_get(WHO_PGRP, getpgrp()) != PRIO(CLASS_IDLE, 0))
		return 2;
	return 0;
}

static void process_group_targets(void)
{
	CHECK_EQ(in_child(pgrp_child), 0);
}

int main(void)
{
	h_begin();
	RUN(fresh_process_defaults);
	RUN(set_get_round_trip);
	RUN(bad_values_and_targets);
	RUN(unprivileged_rules);
	RUN(rt_needs_sys_admin_or_sys_nice);
	RUN(inherited_across_fork_and_threads);
	RUN(clone_io_shares_the_context);
	RUN(process_group_targets);
	return h_end();
}
