/* create.c: `runsc create`, `runsc start` and `runsc run`. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "lib/log.h"
#include "runsc/container/container.h"
#include "runsc/runsc.h"
#include "runsc/sandbox/sandbox.h"

struct create_args {
	struct create_opts o;
	bool detach;
};

/* Flags shared by create and run; positional: the id. Returns 0 or an exit status. */
static int parse_create(int argc, char **argv, struct create_args *a, bool is_run)
{
	static const struct option opts[] = {
		{"bundle", required_argument, NULL, 'b'},
		{"pid-file", required_argument, NULL, 'p'},
		{"console-socket", required_argument, NULL, 'c'},
		{"detach", no_argument, NULL, 'd'},
		{"no-pivot", no_argument, NULL, 'N'},
		{"no-new-keyring", no_argument, NULL, 'K'},
		{"preserve-fds", required_argument, NULL, 'P'},
		{"user-log", required_argument, NULL, 'U'},
		{"keep", no_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	a->o.root = g_opts.root;
	a->o.bundle = ".";
	a->o.systemd_cgroup = g_opts.systemd_cgroup;
	optind = 1;
	while ((c = runsc_getopt(argc, argv, "b:d", opts)) != -1) {
		switch (c) {
		case 'b': a->o.bundle = optarg; break;
		case 'p': a->o.pid_file = optarg; break;
		case 'c': a->o.console_socket = optarg; break;
		case 'd': a->detach = true; break;
		case 'N': case 'K': case 'U': case 'k': break; /* no meaning for a sandbox */
		case 'P':
			if (strcmp(optarg, "0"))
				return runsc_fail("%s: --preserve-fds is not supported", argv[0]);
			break;
		case 'h':
			printf("usage: runsc %s [--bundle DIR] [--pid-file FILE] [--console-socket "
			       "SOCK]%s ID\n", argv[0], is_run ? " [--detach]" : "");
			return -1;
		default: return 1;
		}
	}
	if (optind != argc - 1)
		return runsc_fail("%s: expects exactly one container id", argv[0]);
	a->o.id = argv[optind];
	return 0;
}

int cmd_create(int argc, char **argv)
{
	struct create_args a = {0};
	struct oci_error e = {{0}};
	struct container *c;
	int r = parse_create(argc, argv, &a, false);

	if (r)
		return r < 0 ? 0 : r;
	if (container_create(&a.o, &c, &e))
		return runsc_fail("%s", e.msg);
	container_close(c);
	return 0;
}

int cmd_start(int argc, char **argv)
{
	struct oci_error e = {{0}};
	struct container *c;
	int err;

	optind = 1;
	if (runsc_getopt(argc, argv, "", (const struct option[]){{0}}) != -1)
		return 1;
	if (optind != argc - 1)
		return runsc_fail("start: expects exactly one container id");
	if (container_open(g_opts.root, argv[optind], &c, &e))
		return runsc_fail("%s", e.msg);
	err = container_start(c, &e);
	container_close(c);
	return err ? runsc_fail("%s", e.msg) : 0;
}

static const char *g_run_id;

/* runsc run in the foreground passes the signals it gets to the container's init. */
static void run_forward(int sig)
{
	struct oci_error e;
	struct container *c;

	if (container_open(g_opts.root, g_run_id, &c, &e) == 0) {
		container_signal(c, sig, 0, false, &e);
		container_close(c);
	}
}

int cmd_run(int argc, char **argv)
{
	struct create_args a = {0};
	struct oci_error e = {{0}};
	struct container *c;
	int r = parse_create(argc, argv, &a, true), st = 0;

	if (r)
		return r < 0 ? 0 : r;
	a.o.foreground = !a.detach;
	/* With process.terminal the Sentry makes our terminal raw (its own pty does the
	 * line editing); give it back as it was. */
	struct termios tio;
	bool restore = !a.detach && isatty(0) && tcgetattr(0, &tio) == 0;
	if (container_create(&a.o, &c, &e))
		return runsc_fail("%s", e.msg);
	pid_t pid = c->pid;
	r = container_start(c, &e);
	container_close(c);
	if (r) {
		runsc_fail("%s", e.msg);
		if (container_open(g_opts.root, a.o.id, &c, &e) == 0)
			container_destroy(c, &e);
		return 1;
	}
	if (a.detach)
		return 0;
	g_run_id = a.o.id;
	struct sigaction sa = {.sa_handler = run_forward, .sa_flags = SA_RESTART};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (restore)
		tcsetattr(0, TCSADRAIN, &tio);
	if (container_open(g_opts.root, a.o.id, &c, &e) == 0)
		container_destroy(c, &e);
	return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}
