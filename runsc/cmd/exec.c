/* exec.c: `runsc exec`: a new process in a running container. The runsc process that
 * asked (or, with --detach, a forked child of it) stays as the host proxy of the new
 * process: its pid is the pid-file's, and it exits with the process's wait status. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runsc/container/container.h"
#include "runsc/container/container_internal.h"
#include "runsc/runsc.h"

struct exec_args {
	const char *process_file, *pid_file, *internal_pid_file, *console_socket;
	const char *cwd, *user;
	char *env[64];
	int nenv;
	bool detach, tty;
};

static int parse_exec(int argc, char **argv, struct exec_args *a)
{
	static const struct option opts[] = {
		{"process", required_argument, NULL, 'p'},
		{"pid-file", required_argument, NULL, 'P'},
		{"internal-pid-file", required_argument, NULL, 'I'},
		{"console-socket", required_argument, NULL, 'c'},
		{"detach", no_argument, NULL, 'd'},
		{"tty", no_argument, NULL, 't'},
		{"cwd", required_argument, NULL, 'w'},
		{"env", required_argument, NULL, 'e'},
		{"user", required_argument, NULL, 'u'},
		{"no-new-privs", no_argument, NULL, 'n'},
		{"cap", required_argument, NULL, 'C'},
		{"preserve-fds", required_argument, NULL, 'F'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	int c;

	optind = 1;
	while ((c = runsc_getopt(argc, argv, "p:dte:u:", opts)) != -1) {
		switch (c) {
		case 'p': a->process_file = optarg; break;
		case 'P': a->pid_file = optarg; break;
		case 'I': a->internal_pid_file = optarg; break;
		case 'c': a->console_socket = optarg; break;
		case 'd': a->detach = true; break;
		case 't': a->tty = true; break;
		case 'w': a->cwd = optarg; break;
		case 'u': a->user = optarg; break;
		case 'n': case 'C': break; /* capabilities are not modelled in the Sentry yet */
		case 'e':
			if (a->nenv == (int)ARRAY_SIZE(a->env))
				return runsc_fail("exec: too many --env flags");
			a->env[a->nenv++] = optarg;
			break;
		case 'F':
			if (strcmp(optarg, "0"))
				return runsc_fail("exec: --preserve-fds is not supported");
			break;
		case 'h':
			printf("usage: runsc exec [--process FILE | [flags] ID CMD [ARGS...]] "
			       "[--detach] [--pid-file FILE] [--console-socket SOCK] [--tty] ID\n");
			return -1;
		default: return 1;
		}
	}
	if (optind >= argc)
		return runsc_fail("exec: expects a container id");
	if (!a->process_file && optind + 1 >= argc)
		return runsc_fail("exec: expects a command (or --process FILE)");
	return 0;
}

/* The process to run: the --process file, or the spec's process with the command line's
 * args and overrides (as runc does). */
static int exec_process(struct exec_args *a, struct container *c, char **args,
			struct oci_process *p, struct oci_error *e)
{
	struct oci_spec *s = NULL;
	json_t *o;
	json_error_t jerr;
	int err;

	if (a->process_file) {
		o = json_load_file(a->process_file, 0, &jerr);
		if (!o)
			return oci_errorf(e, "--process `%s`: %s", a->process_file, jerr.text);
		err = oci_process_parse(o, "process", p, NULL, e);
		json_decref(o);
		return err;
	}
	err = container_load_spec(c, &s, e);
	if (err)
		return err;
	*p = s->process;
	s->has_process = false; /* moved to p */
	oci_spec_free(s);
	oci_strv_free(p->args);
	int n = 0;
	while (args[n])
		n++;
	p->args = xcalloc((size_t)n + 1, sizeof(char *));
	for (int i = 0; i < n; i++)
		p->args[i] = xstrdup(args[i]);
	p->terminal = a->tty;
	if (a->cwd) {
		free(p->cwd);
		p->cwd = xstrdup(a->cwd);
	}
	for (int i = 0; i < a->nenv; i++) {
		int k = 0;
		while (p->env[k])
			k++;
		p->env = xrealloc(p->env, (size_t)(k + 2) * sizeof(char *));
		p->env[k] = xstrdup(a->env[i]);
		p->env[k + 1] = NULL;
	}
	if (a->user) {
		char *end;
		unsigned long uid = strtoul(a->user, &end, 10);
		if (end == a->user || (*end && *end != ':'))
			return oci_errorf(e, "--user `%s`: only numeric uid[:gid] is supported",
					  a->user);
		p->uid = (uid_t)uid;
		if (*end == ':')
			p->gid = (gid_t)strtoul(end + 1, NULL, 10);
	}
	return 0;
}

static int g_exec_pid; /* in the sandbox */
static struct container *g_exec_c;

static void exec_forward(int sig)
{
	struct oci_error e;

	if (g_exec_pid > 0 && g_exec_c)
		container_signal(g_exec_c, sig, g_exec_pid, false, &e);
}

static int write_small(const char *path, int v)
{
	char buf[16];
	FILE *f = fopen(path, "we");

	if (!f)
		return -errno;
	snprintf(buf, sizeof(buf), "%d", v);
	fputs(buf, f);
	return fclose(f) ? -errno : 0;
}

/* Send the exec request; on success the connection stays open for the exit. */
static int exec_send(struct container *c, const struct oci_process *p, const int *stdio,
		     int *conn, int *pid, struct oci_error *e)
{
	json_t *req = bootspec_process(p), *reply = NULL;
	int err;

	json_object_set_new(req, "cmd", json_string("exec"));
	/* The process starts at this command's nice value, as runc's exec child inherits
	 * it (the container's init starts at runsc's: sentry/boot.c). */
	errno = 0;
	int nice = getpriority(PRIO_PROCESS, 0);
	if (!errno)
		json_object_set_new(req, "nice", json_integer(nice));
	err = container_control(c, req, stdio, 3, 30000, &reply, conn, e);
	json_decref(req);
	if (!err)
		*pid = (int)json_integer_value(json_object_get(reply, "pid"));
	json_decref(reply);
	return err;
}

/* The proxy's life after the request: wait for the exit message. */
static _Noreturn void proxy_wait(int conn)
{
	struct oci_error e;
	json_t *m = NULL;

	if (container_control_recv(conn, &m, &e) < 0)
		proxy_exit_like(SIGKILL); /* the sandbox died, taking the process with it */
	int status = (int)json_integer_value(json_object_get(m, "exit"));
	json_decref(m);
	proxy_exit_like(status);
}

static int exec_run(struct exec_args *a, struct container *c, struct oci_process *p)
{
	struct oci_error e = {{0}};
	int stdio[3] = {0, 1, 2}, master = -1, slave = -1, conn = -1, pid = 0, sync[2];

	if (p->terminal && a->console_socket) {
		if (tty_open(&master, &slave, p->console_height, p->console_width, &e) ||
		    tty_send_master(a->console_socket, master, &e))
			return runsc_fail("%s", e.msg);
		close(master);
		stdio[0] = stdio[1] = stdio[2] = slave;
	} else if (p->terminal && a->detach) {
		return runsc_fail("exec: a terminal with --detach needs --console-socket");
	}
	if (!a->detach) {
		if (a->pid_file && write_small(a->pid_file, getpid()) < 0)
			return runsc_fail("cannot write the pid file `%s`", a->pid_file);
		if (exec_send(c, p, stdio, &conn, &pid, &e))
			return runsc_fail("%s", e.msg);
		if (slave >= 0)
			close(slave); /* the sandbox has it: the pty hangs up when it is done */
		if (a->internal_pid_file)
			write_small(a->internal_pid_file, pid);
		g_exec_pid = pid;
		g_exec_c = c;
		struct sigaction sa = {.sa_handler = exec_forward, .sa_flags = SA_RESTART};
		sigaction(SIGTERM, &sa, NULL);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGHUP, &sa, NULL);
		proxy_wait(conn);
	}
	if (pipe2(sync, O_CLOEXEC) < 0)
		return runsc_fail("exec: pipe: %s", strerror(errno));
	pid_t child = fork();
	if (child < 0)
		return runsc_fail("exec: fork: %s", strerror(errno));
	if (child == 0) {
		/* The proxy: answers with 'P' and the pid, or 'E' and a message. */
		char tag = 'P';
		close(sync[0]);
		setsid();
		if (exec_send(c, p, stdio, &conn, &pid, &e)) {
			tag = 'E';
			ignore_result(write_all(sync[1], &tag, 1));
			ignore_result(write_all(sync[1], e.msg, strlen(e.msg)));
			_exit(1);
		}
		ignore_result(write_all(sync[1], &tag, 1));
		ignore_result(write_all(sync[1], &pid, sizeof(pid)));
		close(sync[1]);
		if (slave >= 0)
			close(slave);
		proxy_quiet_stdio();
		proxy_wait(conn);
	}
	close(sync[1]);
	char buf[600];
	size_t n = proxy_read_sync(sync[0], buf, sizeof(buf));
	if (n != 1 + sizeof(pid) || buf[0] != 'P') {
		waitpid(child, NULL, 0);
		return runsc_fail("%s", n > 1 && buf[0] == 'E' ? buf + 1 : "exec: the proxy failed");
	}
	memcpy(&pid, buf + 1, sizeof(pid));
	if (a->internal_pid_file)
		write_small(a->internal_pid_file, pid);
	if (a->pid_file && write_small(a->pid_file, child) < 0)
		return runsc_fail("cannot write the pid file `%s`", a->pid_file);
	return 0;
}

int cmd_exec(int argc, char **argv)
{
	struct exec_args a = {0};
	struct oci_error e = {{0}};
	struct oci_process p = {0};
	struct container *c;
	int r = parse_exec(argc, argv, &a);

	if (r)
		return r < 0 ? 0 : r;
	if (container_open(g_opts.root, argv[optind], &c, &e))
		return runsc_fail("%s", e.msg);
	const char *st = container_status(c);
	if (strcmp(st, "running") && strcmp(st, "created")) {
		runsc_fail("cannot exec in a %s container", st);
		container_close(c);
		return 1;
	}
	if (exec_process(&a, c, argv + optind + 1, &p, &e)) {
		container_close(c);
		return runsc_fail("%s", e.msg);
	}
	/* No lock while the process runs: other commands must work meanwhile. */
	close(c->lock_fd);
	c->lock_fd = -1;
	r = exec_run(&a, c, &p);
	oci_process_free(&p);
	container_close(c);
	return r;
}
