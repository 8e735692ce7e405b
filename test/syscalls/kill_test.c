/* kill/tgkill: existence probes, delivery to children, ESRCH/EINVAL. */
#include "harness.h"

#include <signal.h>

static volatile sig_atomic_t g_hits;

static void count_handler(int sig)
{
	g_hits++;
}

static void kill_signal_zero_probes_existence(void)
{
	pid_t pid;

	CHECK_EQ(kill(getpid(), 0), 0);
	pid = fork();
	if (pid == 0)
		_exit(0);
	CHECK_EQ(h_wait(pid), 0);
	/* A reaped child no longer exists. */
	CHECK_ERR(kill(pid, 0), ESRCH);
	CHECK_ERR(kill(pid, SIGTERM), ESRCH);
}

/* A zombie still exists until it is reaped: kill answers 0 (and delivers nothing), for
 * its pid and for its process group; only the reaped pid is gone. */
static void kill_zombie_succeeds_until_reaped(void)
{
	siginfo_t si;
	pid_t pid;

	pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		_exit(7);
	}
	memset(&si, 0, sizeof(si));
	CHECK_OK(waitid(P_PID, pid, &si, WEXITED | WNOWAIT));
	CHECK_EQ(si.si_pid, pid);
	CHECK_EQ(kill(pid, 0), 0);
	CHECK_EQ(kill(pid, SIGTERM), 0);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(kill(-pid, 0), 0);
	CHECK_EQ(getpgid(pid), pid);
	CHECK_EQ(getsid(pid), getsid(0));
	/* Nothing was delivered: it still exited with its own status. */
	int status = h_wait(pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 7);
	CHECK_ERR(kill(pid, 0), ESRCH);
	CHECK_ERR(kill(-pid, 0), ESRCH);
}

static void kill_invalid_signal_returns_einval(void)
{
	CHECK_ERR(kill(getpid(), 1000), EINVAL);
	CHECK_ERR(kill(getpid(), -1), EINVAL);
	CHECK_ERR(kill(getpid(), 65), EINVAL);
}

static void kill_sigkill_terminates_child(void)
{
	int p[2], status;
	char c;
	pid_t pid;

	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		(void)!read(p[0], &c, 1);	/* blocks until killed */
		_exit(0);
	}
	CHECK_OK(kill(pid, SIGKILL));
	status = h_wait(pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGKILL);
	close(p[0]);
	close(p[1]);
}

static void kill_delivers_to_child_handler(void)
{
	int ready[2], status;
	char c;
	pid_t pid;

	CHECK_OK(pipe(ready));
	pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 10 * 1000 * 1000 };

		signal(SIGUSR1, count_handler);
		close(ready[0]);
		(void)!write(ready[1], "r", 1);
		for (int i = 0; i < 1000 && !g_hits; i++)
			nanosleep(&ts, NULL);
		_exit(g_hits ? 33 : 34);
	}
	close(ready[1]);
	CHECK_EQ(read(ready[0], &c, 1), 1);
	CHECK_OK(kill(pid, SIGUSR1));
	status = h_wait(pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 33);
	close(ready[0]);
}

static void tgkill_checks_ids(void)
{
	g_hits = 0;
	signal(SIGUSR1, count_handler);
	CHECK_OK(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1));
	CHECK_EQ(g_hits, 1);
	CHECK_OK(syscall(SYS_tgkill, getpid(), gettid(), 0));
	CHECK_ERR(syscall(SYS_tgkill, 0, gettid(), SIGUSR1), EINVAL);
	CHECK_ERR(syscall(SYS_tgkill, getpid(), 0, SIGUSR1), EINVAL);
	CHECK_ERR(syscall(SYS_tgkill, getpid(), gettid(), 1000), EINVAL);
	CHECK_ERR(syscall(SYS_tgkill, getpid() + 100000, gettid(), SIGUSR1), ESRCH);
	signal(SIGUSR1, SIG_DFL);
}

static void kill_self_with_handler_runs_before_return(void)
{
	g_hits = 0;
	signal(SIGUSR2, count_handler);
	CHECK_OK(kill(getpid(), SIGUSR2));
	/* An unblocked signal sent to oneself is delivered before kill returns. */
	CHECK_EQ(g_hits, 1);
	signal(SIGUSR2, SIG_DFL);
}

/* kill(-pgid) reaches every member of the group and nobody else; a group with no
 * members is ESRCH; kill(0) from inside a group stays inside it. */
static void kill_process_group_reaches_all_members(void)
{
	int ready[2], st;
	char c;
	pid_t a, b, outsider;

	CHECK_OK(pipe(ready));
	a = fork();
	if (a == 0) {
		setpgid(0, 0);
		if (write(ready[1], "a", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	CHECK_EQ(read(ready[0], &c, 1), 1);
	b = fork();
	if (b == 0) {
		setpgid(0, a);
		if (write(ready[1], "b", 1) != 1)
			_exit(3);
		for (;;)
			pause();
	}
	CHECK_EQ(read(ready[0], &c, 1), 1);
	outsider = fork();
	if (outsider == 0) {
		for (;;)
			pause();
	}
	CHECK_OK(kill(-a, SIGTERM));
	CHECK_EQ(waitpid(a, &st, 0), a);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	CHECK_EQ(waitpid(b, &st, 0), b);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGTERM);
	/* The outsider is untouched, and the emptied group is gone. */
	CHECK_EQ(waitpid(outsider, &st, WNOHANG), 0);
	CHECK_ERR(kill(-a, SIGTERM), ESRCH);
	kill(outsider, SIGKILL);
	CHECK_EQ(waitpid(outsider, &st, 0), outsider);

	/* kill(0) from a child in its own group signals only that group. */
	pid_t c1 = fork();
	if (c1 == 0) {
		setpgid(0, 0);
		signal(SIGUSR1, SIG_IGN);
		_exit(kill(0, SIGUSR1) == 0 ? 0 : 1);
	}
	CHECK_EQ(waitpid(c1, &st, 0), c1);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	close(ready[0]);
	close(ready[1]);
}

int main(void)
{
	h_begin();
	RUN(kill_signal_zero_probes_existence);
	RUN(kill_zombie_succeeds_until_reaped);
	RUN(kill_invalid_signal_returns_einval);
	RUN(kill_sigkill_terminates_child);
	RUN(kill_delivers_to_child_handler);
	RUN(tgkill_checks_ids);
	RUN(kill_self_with_handler_runs_before_return);
	RUN(kill_process_group_reaches_all_members);
	return h_end();
}
