/* sandbox.c: fork and exec the Gofer and the Sentry with exactly the fds they need, in
 * their own namespaces, and turn the Sentry's end into an exit status. */
#include "runsc/sandbox/sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runsc/runsc.h"

#define CHILD_MAX_ARGS 32

static pid_t g_sentry_pid = -1;

/* Place fds[i] at exactly 3+i (no CLOEXEC) in a forked child. Each is first moved above
 * the targets so that no placement overwrites a source still to be placed. */
static int child_fds(const int *fds, int n)
{
	int tmp[4];

	for (int i = 0; i < n; i++) {
		tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 16);
		if (tmp[i] < 0)
			return -1;
	}
	for (int i = 0; i < n; i++)
		if (dup2(tmp[i], 3 + i) < 0)
			return -1;
	return 0;
}

static _Noreturn void child_exec(const char **args)
{
	/* Nothing but 0-2 and the fds placed at 3 and 4 crosses the exec. */
	syscall(SYS_close_range, 5, ~0U, 0);
	execv("/proc/self/exe", (char *const *)args);
	fprintf(stderr, "runsc: cannot re-execute itself: %s\n", strerror(errno));
	_exit(125);
}

static pid_t start_gofer(const struct sandbox_opts *o, int sock)
{
	const char *args[CHILD_MAX_ARGS];
	char rootarg[4200];
	int n = 0;
	/* The gofer makes its own mount namespace; it needs no network, IPC or peers. */
	pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS |
						  CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0);

	if (pid != 0)
		return pid;
	args[n++] = "runsc";
	n += runsc_global_args(args + n);
	args[n++] = "gofer";
	snprintf(rootarg, sizeof(rootarg), "--root=%s", o->root);
	args[n++] = rootarg;
	args[n++] = "--io-fd=3";
	if (o->readonly)
		args[n++] = "--readonly";
	args[n] = NULL;
	if (child_fds(&sock, 1) < 0)
		_exit(125);
	child_exec(args);
}

static pid_t start_sentry(const struct sandbox_opts *o, int sock)
{
	const char *args[CHILD_MAX_ARGS];
	int n = 0;
	pid_t pid;

	/* New pid, mount, ipc, uts and net namespaces: the Sentry is pid 1 of its own. */
	pid = (pid_t)syscall(SYS_clone, CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC |
				       CLONE_NEWUTS | CLONE_NEWNET | SIGCHLD, NULL, NULL, NULL, 0);
	if (pid != 0)
		return pid;
	args[n++] = "runsc";
	n += runsc_global_args(args + n);
	args[n++] = "boot";
	args[n++] = "--gofer-fd=3";
	args[n++] = "--spec-fd=4";
	args[n] = NULL;
	int fds[2] = {sock, o->spec_fd};
	if (child_fds(fds, 2) < 0)
		_exit(125);
	child_exec(args);
}

static void forward_signal(int sig)
{
	if (g_sentry_pid > 0)
		kill(g_sentry_pid, sig);
}

static int sentry_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	int sig = WTERMSIG(st);
	if (sig == SIGSYS)
		fprintf(stderr, "runsc: the Sentry was killed by SIGSYS: it made a host syscall "
				"outside its seccomp allowlist\n");
	else
		fprintf(stderr, "runsc: the Sentry was killed by signal %d (%s)\n", sig,
			strsignal(sig));
	return 128 + sig;
}

int sandbox_run(const struct sandbox_opts *o)
{
	int sv[2], st = 0;
	pid_t gofer;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
		fprintf(stderr, "runsc: socketpair: %s\n", strerror(errno));
		return 125;
	}
	gofer = start_gofer(o, sv[0]);
	if (gofer < 0) {
		fprintf(stderr, "runsc: cannot start the gofer: %s\n", strerror(errno));
		return 125;
	}
	g_sentry_pid = start_sentry(o, sv[1]);
	close(sv[0]);
	close(sv[1]);
	if (g_sentry_pid < 0) {
		fprintf(stderr, "runsc: cannot start the sandbox: %s\n", strerror(errno));
		kill(gofer, SIGKILL);
		waitpid(gofer, NULL, 0);
		return 125;
	}
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	while (waitpid(g_sentry_pid, &st, 0) < 0 && errno == EINTR)
		;
	/* The gofer ends when its connection closes; make sure of it. */
	kill(gofer, SIGKILL);
	waitpid(gofer, NULL, 0);
	return sentry_status(st);
}
