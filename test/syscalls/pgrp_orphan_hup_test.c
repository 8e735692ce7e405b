/* A process group that becomes orphaned while one of its members is stopped gets SIGHUP
 * and SIGCONT (POSIX; Linux's kill_orphaned_pgrp), whether the tie to the session was cut
 * by a parent's exit (the member is reparented) or by the exit of a member of the group
 * itself. Without it, the stopped process waits forever for a SIGCONT nobody can send. */
#include "harness.h"

#include <signal.h>
#include <sys/prctl.h>

/* Stop ourselves; with no SIGHUP we would exit 3. */
static void stop_then_exit(void)
{
	raise(SIGSTOP);
	_exit(3);
}

/* How the reparented grandchild ended: the signal that killed it, or 100 + its exit code;
 * -1 if it never came. */
static int reaped_grandchild(pid_t child)
{
	int st, ret = -1;
	pid_t r;

	while ((r = waitpid(-1, &st, 0)) > 0) {
		if (r == child)
			continue;
		ret = WIFSIGNALED(st) ? WTERMSIG(st) : 100 + WEXITSTATUS(st);
	}
	return ret;
}

/* A new session; its child C is in a group of its own and stopped; our exit leaves C's
 * group with no parent in the session. */
static void parent_exit_orphans_stopped_group(void)
{
	pid_t a = fork();

	if (a == 0) {
		pid_t c;
		int st;

		setsid();
		c = fork();
		if (c == 0) {
			setpgid(0, 0);
			stop_then_exit();
		}
		setpgid(c, c);
		waitpid(c, &st, WUNTRACED);
		_exit(WIFSTOPPED(st) ? 0 : 1);
	}
	CHECK_EQ(reaped_grandchild(a), SIGHUP);
}

/* A new session; C is in a group of its own, its child D stopped in that group; C's exit
 * cuts the group's tie to the session. */
static void member_exit_orphans_its_stopped_group(void)
{
	pid_t a = fork();

	if (a == 0) {
		pid_t c;
		int st;

		setsid();
		c = fork();
		if (c == 0) {
			pid_t d;

			setpgid(0, 0);
			d = fork();
			if (d == 0)
				stop_then_exit();
			waitpid(d, &st, WUNTRACED);
			_exit(WIFSTOPPED(st) ? 0 : 1);
		}
		setpgid(c, c);
		waitpid(c, &st, 0);
		usleep(100000); /* stay around: the session keeps its leader */
		_exit(WIFEXITED(st) ? WEXITSTATUS(st) : 1);
	}
	CHECK_EQ(reaped_grandchild(a), SIGHUP);
}

/* Not orphaned (the parent stays in the session): no SIGHUP, the member stays stopped. */
static void stopped_group_with_a_tie_stays_stopped(void)
{
	pid_t c = fork();
	int st;

	if (c == 0) {
		setpgid(0, 0);
		stop_then_exit();
	}
	setpgid(c, c);
	CHECK_EQ(waitpid(c, &st, WUNTRACED), c);
	CHECK(WIFSTOPPED(st));
	CHECK_EQ(waitpid(c, &st, WNOHANG | WUNTRACED | WCONTINUED), 0);
	CHECK_OK(kill(c, SIGCONT));
	CHECK_EQ(waitpid(c, &st, 0), c);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 3);
}

int main(void)
{
	h_begin();
	/* Orphans come to us, natively as in the sandbox (where we are init). */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	RUN(parent_exit_orphans_stopped_group);
	RUN(member_exit_orphans_its_stopped_group);
	RUN(stopped_group_with_a_tie_stays_stopped);
	return h_end();
}
