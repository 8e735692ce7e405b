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

#define CHILD_MAX_ARGS (40 + SANDBOX_MAX_BINDS)
#define CHILD_MAX_FDS (4 + SANDBOX_MAX_BINDS)

static pid_t g_sentry_pid = -1;

/* Place fds[i] at exactly 3+i (no CLOEXEC) in a forked child. Each is first moved above
 * the targets so that no placement overwrites a source still to be placed. */
static int child_fds(const int *fds, int n)
{
	int tmp[CHILD_MAX_FDS];

	for (int i = 0; i < n; i++) {
		tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 3 + CHILD_MAX_FDS);
		if (tmp[i] < 0)
			return -1;
	}
	for (int i = 0; i < n; i++)
		if (dup2(tmp[i], 3 + i) < 0)
			return -1;
	return 0;
}

/* In a forked child: the host OOM killer ranks the sandbox as the spec asks. Lowering
 * the value needs CAP_SYS_RESOURCE; runc fails then too. */
static void child_oom_score_adj(const struct sandbox_opts *o)
{
	char buf[16];
	int fd, len;

	if (!o->set_oom_score_adj)
		return;
	len = snprintf(buf, sizeof(buf), "%d", o->oom_score_adj);
	fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, buf, (size_t)len) != len) {
		fprintf(stderr, "runsc: process.oomScoreAdj: cannot set %d on the sandbox: %s\n",
			o->oom_score_adj, strerror(errno));
		_exit(125);
	}
	close(fd);
}

/* In a forked child: session, cgroups, stdio, then exec runsc again with args. */
static _Noreturn void child_exec(const struct sandbox_opts *o, const char **args, int nfds,
				 bool is_sentry)
{
	if (o->new_session)
		setsid();
	for (char **p = o->cgroup_procs; p && *p; p++) {
		int fd = open(*p, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			fprintf(stderr, "runsc: cannot join the cgroup `%s`: %s\n", *p,
				strerror(errno));
			_exit(125);
		}
		close(fd);
	}
	child_oom_score_adj(o);
	if (!is_sentry) {
		/* The container's stdio are not the Gofer's: holding them would keep a
		 * client's pipes open after the container ends (containerd's shim reads
		 * `create`'s output until EOF). A detached Gofer keeps no stderr either. */
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		for (int i = 0; null >= 0 && i < (o->new_session ? 3 : 2); i++)
			dup2(null, i);
	}
	/* Nothing but 0-2 and the fds placed at 3.. crosses the exec. */
	syscall(SYS_close_range, 3 + nfds, ~0U, 0);
	execv("/proc/self/exe", (char *const *)args);
	fprintf(stderr, "runsc: cannot re-execute itself: %s\n", strerror(errno));
	_exit(125);
}

/* The Gofer's flag for bind mount i, whose connection is at fd: --bind=FD:ro|rw:PATH. */
static char *bind_arg(const struct sandbox_opts *o, int i, int fd)
{
	char *arg;

	if (asprintf(&arg, "--bind=%d:%s:%s", fd, o->binds[i].readonly ? "ro" : "rw",
		     o->binds[i].source) < 0)
		_exit(125);
	return arg;
}

static pid_t start_gofer(const struct sandbox_opts *o, const int *socks)
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
	for (int i = 0; i < o->nbinds; i++)
		args[n++] = bind_arg(o, i, 4 + i);
	args[n] = NULL;
	if (child_fds(socks, 1 + o->nbinds) < 0)
		_exit(125);
	child_exec(o, args, 1 + o->nbinds, false);
}

/* The Sentry's --mount-fds=A,B,... for the bind connections placed from fd first. */
static char *mount_fds_arg(int first, int n)
{
	size_t size = 16 + 12 * (size_t)n;
	char *arg = malloc(size);
	size_t len;

	if (!arg)
		_exit(125);
	len = (size_t)snprintf(arg, size, "--mount-fds=");
	for (int i = 0; i < n; i++)
		len += (size_t)snprintf(arg + len, size - len, "%s%d", i ? "," : "", first + i);
	return arg;
}

static pid_t start_sentry(const struct sandbox_opts *o, int sock, const int *binds)
{
	const char *args[CHILD_MAX_ARGS];
	int fds[CHILD_MAX_FDS] = {sock, o->spec_fd}, nfds = 2, n = 0;
	char ctl[32], sync[32];
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
	if (o->control_fd > 0) {
		snprintf(ctl, sizeof(ctl), "--control-fd=%d", 3 + nfds);
		fds[nfds++] = o->control_fd;
		args[n++] = ctl;
	}
	if (o->sync_fd > 0) {
		snprintf(sync, sizeof(sync), "--sync-fd=%d", 3 + nfds);
		fds[nfds++] = o->sync_fd;
		args[n++] = sync;
	}
	if (o->wait_start)
		args[n++] = "--wait-start";
	if (o->nbinds > 0) {
		args[n++] = mount_fds_arg(3 + nfds, o->nbinds);
		for (int i = 0; i < o->nbinds; i++)
			fds[nfds++] = binds[i];
	}
	args[n] = NULL;
	/* stdio first: placing fds at 3.. may overwrite the fd stdio_fd has now. */
	for (int i = 0; o->stdio_fd > 0 && i < 3; i++)
		if (dup2(o->stdio_fd, i) < 0)
			_exit(125);
	if (child_fds(fds, nfds) < 0)
		_exit(125);
	child_exec(o, args, nfds, true);
}

static void close_all(int *fds, int n)
{
	for (int i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

/* One socketpair per Gofer connection: [0] the root, [1 + i] bind mount i. gofer[] gets
 * the Gofer's ends, sentry[] the Sentry's. */
static int make_connections(int n, int *gofer, int *sentry)
{
	for (int i = 0; i < n; i++) {
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
			int err = -errno;
			close_all(gofer, i);
			close_all(sentry, i);
			return err;
		}
		gofer[i] = sv[0];
		sentry[i] = sv[1];
	}
	return 0;
}

int sandbox_start(const struct sandbox_opts *o, struct sandbox *sb)
{
	int gofer[1 + SANDBOX_MAX_BINDS], sentry[1 + SANDBOX_MAX_BINDS], n = 1 + o->nbinds, err;

	sb->sentry = sb->gofer = -1;
	if (o->nbinds < 0 || o->nbinds > SANDBOX_MAX_BINDS)
		return -E2BIG;
	err = make_connections(n, gofer, sentry);
	if (err)
		return err;
	sb->gofer = start_gofer(o, gofer);
	if (sb->gofer < 0) {
		err = -errno;
		close_all(gofer, n);
		close_all(sentry, n);
		return err;
	}
	sb->sentry = start_sentry(o, sentry[0], sentry + 1);
	err = sb->sentry < 0 ? -errno : 0;
	close_all(gofer, n);
	close_all(sentry, n);
	if (err) {
		kill(sb->gofer, SIGKILL);
		waitpid(sb->gofer, NULL, 0);
		sb->gofer = -1;
	}
	return err;
}

int sandbox_start_gofer(const struct sandbox_opts *o, pid_t *gofer, int *sentry_ends)
{
	int gofer_ends[1 + SANDBOX_MAX_BINDS], n = 1 + o->nbinds, err;

	if (o->nbinds < 0 || o->nbinds > SANDBOX_MAX_BINDS)
		return -E2BIG;
	err = make_connections(n, gofer_ends, sentry_ends);
	if (err)
		return err;
	*gofer = start_gofer(o, gofer_ends);
	err = *gofer < 0 ? -errno : 0;
	close_all(gofer_ends, n);
	if (err)
		close_all(sentry_ends, n);
	return err;
}

void sandbox_kill(const struct sandbox *sb, bool reap)
{
	if (sb->sentry > 0)
		kill(sb->sentry, SIGKILL);
	if (sb->gofer > 0)
		kill(sb->gofer, SIGKILL);
	if (!reap)
		return;
	if (sb->sentry > 0)
		while (waitpid(sb->sentry, NULL, 0) < 0 && errno == EINTR)
			;
	if (sb->gofer > 0)
		while (waitpid(sb->gofer, NULL, 0) < 0 && errno == EINTR)
			;
}

static void forward_signal(int sig)
{
	if (g_sentry_pid > 0)
		kill(g_sentry_pid, sig);
}

int sandbox_exit_code(int st)
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
	struct sandbox sb;
	int st = 0, err;

	err = sandbox_start(o, &sb);
	if (err) {
		fprintf(stderr, "runsc: cannot start the sandbox: %s\n", strerror(-err));
		return 125;
	}
	g_sentry_pid = sb.sentry;
	struct sigaction sa = {.sa_handler = forward_signal, .sa_flags = SA_RESTART};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	while (waitpid(sb.sentry, &st, 0) < 0 && errno == EINTR)
		;
	/* The gofer ends when its connection closes; make sure of it. */
	kill(sb.gofer, SIGKILL);
	waitpid(sb.gofer, NULL, 0);
	return sandbox_exit_code(st);
}
