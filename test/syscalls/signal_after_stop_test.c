/* Signals that arrive while a process is stopped are delivered as soon as SIGCONT resumes
 * it, before it runs any more of its own code: bash sends SIGTERM then SIGCONT to the
 * stopped jobs it leaves behind, and they must die rather than carry on. */
#include "harness.h"

#include <signal.h>

static volatile sig_atomic_t g_got_usr1;

static void on_usr1(int sig)
{
	g_got_usr1 = 1;
}

/* Stop ourselves with a bare tgkill (no libc mask juggling around it), then exit with
 * what we saw right after resuming. */
static void stop_then_exit(void)
{
	syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), SIGSTOP);
	_exit(g_got_usr1 ? 10 : 3);
}

static pid_t stopped_child(bool usr1_handler)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		if (usr1_handler)
			signal(SIGUSR1, on_usr1);
		stop_then_exit();
	}
	if (waitpid(pid, &st, WUNTRACED) != pid || !WIFSTOPPED(st))
		return -1;
	return pid;
}

static void sigterm_sent_while_stopped_kills_on_sigcont(void)
{
	pid_t pid = CHECK_OK(stopped_child(false));
	int st;

	CHECK_OK(kill(pid, SIGTERM));
	CHECK_OK(kill(pid, SIGCONT));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGTERM);
}

static void handler_runs_before_the_resumed_code(void)
{
	pid_t pid = CHECK_OK(stopped_child(true));
	int st;

	CHECK_OK(kill(pid, SIGUSR1));
	CHECK_OK(kill(pid, SIGCONT));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 10);
}

int main(void)
{
	h_begin();
	RUN(sigterm_sent_while_stopped_kills_on_sigcont);
	RUN(handler_runs_before_the_resumed_code);
	return h_end();
}
