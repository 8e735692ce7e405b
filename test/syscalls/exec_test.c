/* execve: argv/envp passing, what survives exec (pid, fds, signal state) and errnos. */
#include "harness.h"

#include <signal.h>

static const char *g_self;
extern char **environ;

/* fork, execve(path, argv, envp) in the child, return the wait status. */
static int spawn(const char *path, char *const argv[], char *const envp[])
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execve(path, argv, envp);
		_exit(126);
	}
	return h_wait(pid);
}

/* Exit code of the re-executed test binary running mode with args. */
static int spawn_self(char *mode, char *a1, char *a2)
{
	char *argv[] = { (char *)g_self, mode, a1, a2, NULL };
	int status = spawn(g_self, argv, environ);

	return WIFEXITED(status) ? WEXITSTATUS(status) : 200 + (status & 0x7f);
}

static void handler(int sig)
{
}

/* The re-executed side: each mode's exit code is 0 when all holds. */
static int child_main(int argc, char **argv)
{
	const char *mode = argv[1];
	struct sigaction sa;
	sigset_t mask;

	if (!strcmp(mode, "args")) {
		const char *v = getenv("RUNSC_EXEC_VAR");

		if (argc != 4 || strcmp(argv[2], "two words") || strcmp(argv[3], ""))
			return 11;
		if (!v || strcmp(v, "x=y z"))
			return 12;
		return getenv("HOME_SHOULD_BE_GONE") ? 13 : 0;
	}
	if (!strcmp(mode, "fds")) {
		errno = 0;
		if (fcntl(atoi(argv[2]), F_GETFD) != -1 || errno != EBADF)
			return 21;	/* close-on-exec descriptor survived */
		if (fcntl(atoi(argv[3]), F_GETFD) != 0)
			return 22;	/* plain descriptor was lost */
		return 0;
	}
	if (!strcmp(mode, "pid")) {
		if (getpid() != atoi(argv[2]))
			return 31;
		return getppid() == atoi(argv[3]) ? 0 : 32;
	}
	if (!strcmp(mode, "signals")) {
		sigaction(SIGUSR1, NULL, &sa);
		if (sa.sa_handler != SIG_DFL)
			return 41;	/* caught signals reset to default */
		sigaction(SIGUSR2, NULL, &sa);
		if (sa.sa_handler != SIG_IGN)
			return 42;	/* ignored signals stay ignored */
		sigprocmask(SIG_SETMASK, NULL, &mask);
		return sigismember(&mask, SIGTERM) ? 0 : 43;	/* mask kept */
	}
	return 99;
}

static void execve_passes_argv_and_envp(void)
{
	char *argv[] = { (char *)g_self, "args", "two words", "", NULL };
	char *envp[] = { "RUNSC_EXEC_VAR=x=y z", "OTHER=1", NULL };
	int status;

	setenv("HOME_SHOULD_BE_GONE", "1", 1);
	status = spawn(g_self, argv, envp);
	unsetenv("HOME_SHOULD_BE_GONE");
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

static void execve_closes_cloexec_fds_only(void)
{
	char a[16], b[16];
	int ce = CHECK_OK(open("/dev/null", O_RDONLY | O_CLOEXEC));
	int keep = CHECK_OK(open("/dev/null", O_RDONLY));

	snprintf(a, sizeof(a), "%d", ce);
	snprintf(b, sizeof(b), "%d", keep);
	CHECK_EQ(spawn_self("fds", a, b), 0);
	close(ce);
	close(keep);
}

static void execve_keeps_pid_and_parent(void)
{
	char a[16], b[16];
	char *argv[] = { (char *)g_self, "pid", a, b, NULL };
	pid_t pid;
	int status;

	snprintf(b, sizeof(b), "%d", getpid());
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		snprintf(a, sizeof(a), "%d", getpid());
		execve(g_self, argv, environ);
		_exit(126);
	}
	status = h_wait(pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

static void execve_resets_handlers_keeps_ignored_and_mask(void)
{
	sigset_t set, old;

	signal(SIGUSR1, handler);
	signal(SIGUSR2, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, &old);
	CHECK_EQ(spawn_self("signals", NULL, NULL), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR1, SIG_DFL);
	signal(SIGUSR2, SIG_DFL);
}

static void execve_runs_host_static_binary(void)
{
	char *t[] = { "busybox", "true", NULL };
	char *f[] = { "busybox", "false", NULL };

	if (access("/bin/busybox", X_OK) != 0) {
		printf("# /bin/busybox missing: skipped\n");
		return;
	}
	CHECK_EQ(spawn("/bin/busybox", t, environ), 0);
	CHECK_EQ(spawn("/bin/busybox", f, environ), 1 << 8);
}

static void execve_runs_shebang_script(void)
{
	const char *p = h_make_file("script", "#!/bin/busybox sh\nexit 17\n");
	char *argv[] = { (char *)p, NULL };

	if (access("/bin/busybox", X_OK) != 0)
		return;
	CHECK_OK(chmod(p, 0755));
	CHECK_EQ(spawn(p, argv, environ), 17 << 8);
}

static void execve_errors(void)
{
	char *argv[] = { "x", NULL };
	const char *plain = h_make_file("plain", "not a program\n");
	const char *junk = h_make_file("junk", "\x01\x02\x03\x04junk");

	CHECK_OK(chmod(junk, 0755));
	CHECK_ERR(execve(h_path("missing"), argv, environ), ENOENT);
	CHECK_ERR(execve(g_tmpdir, argv, environ), EACCES);
	CHECK_ERR(execve(plain, argv, environ), EACCES);
	CHECK_ERR(execve(junk, argv, environ), ENOEXEC);
	CHECK_ERR(execve(h_path("plain/x"), argv, environ), ENOTDIR);
	CHECK_ERR(syscall(SYS_execve, 1L, argv, environ), EFAULT);
	CHECK_ERR(syscall(SYS_execve, g_self, 1L, environ), EFAULT);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		return child_main(argc, argv);
	g_self = argv[0];
	h_begin();
	h_setup_tmpdir();
	RUN(execve_passes_argv_and_envp);
	RUN(execve_closes_cloexec_fds_only);
	RUN(execve_keeps_pid_and_parent);
	RUN(execve_resets_handlers_keeps_ignored_and_mask);
	RUN(execve_runs_host_static_binary);
	RUN(execve_runs_shebang_script);
	RUN(execve_errors);
	return h_end();
}
