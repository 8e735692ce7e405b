/* pod.c: containers that join another container's sandbox, keyed by the CRI annotations
 * (io.kubernetes.cri.container-type / sandbox-id, or CRI-O's ContainerType / SandboxID),
 * as gVisor does: no new Sentry, but a new container inside the running one, with its own
 * Gofer for its root and bind mounts, and a host proxy process as its pid (like exec's):
 * it exits with the container's status. */
#include "runsc/container/container_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runsc/sandbox/sandbox.h"

#define POD_CONTROL_TIMEOUT_MS 30000

static const char *annotation(const struct oci_spec *s, const char *key)
{
	for (int i = 0; i < s->nannotations; i++)
		if (!strcmp(s->annotations[i].key, key))
			return s->annotations[i].value;
	return NULL;
}

int pod_sandbox_id(const struct oci_spec *s, const char *id, const char **sandbox,
		   struct oci_error *e)
{
	static const char *const keys[][2] = {
		{"io.kubernetes.cri.container-type", "io.kubernetes.cri.sandbox-id"},
		{"io.kubernetes.cri-o.ContainerType", "io.kubernetes.cri-o.SandboxID"},
	};

	*sandbox = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
		const char *type = annotation(s, keys[i][0]), *sid = annotation(s, keys[i][1]);
		if (!type || !strcmp(type, "sandbox"))
			continue;
		if (strcmp(type, "container"))
			return oci_errorf(e, "annotations: %s is `%s`, not `sandbox` or "
					  "`container`", keys[i][0], type);
		if (!sid || !*sid)
			return oci_errorf(e, "annotations: %s is `container` but %s is missing",
					  keys[i][0], keys[i][1]);
		if (!strcmp(sid, id))
			return oci_errorf(e, "annotations: %s `%s` names the container itself",
					  keys[i][1], sid);
		if (*sandbox && strcmp(*sandbox, sid))
			return oci_errorf(e, "annotations: the CRI and CRI-O sandbox ids differ "
					  "(`%s`, `%s`)", *sandbox, sid);
		*sandbox = sid;
	}
	return 0;
}

int pod_open_sandbox(const char *root, const char *id, struct container **sb,
		     struct oci_error *e)
{
	int err = container_open(root, id, sb, e);
	const char *st;

	if (err == -ENOENT)
		return oci_errorf(e, "annotations: the sandbox `%s` does not exist", id);
	if (err)
		return err;
	st = container_status(*sb);
	if ((*sb)->sandbox[0])
		err = oci_errorf(e, "annotations: `%s` is not a sandbox but a container of "
				 "the sandbox `%s`", id, (*sb)->sandbox);
	else if (!strcmp(st, "stopped"))
		err = oci_errorf(e, "annotations: the sandbox `%s` is not running (stopped)",
				 id);
	if (err) {
		container_close(*sb);
		*sb = NULL;
	}
	return err;
}

size_t proxy_read_sync(int fd, char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		ssize_t k = read(fd, buf + n, size - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0 || (n += (size_t)k) == size - 1)
			break;
	}
	close(fd);
	buf[n] = '\0';
	return n;
}

_Noreturn void proxy_exit_like(int status)
{
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		struct rlimit no_core = {0, 0};
		sigset_t set;
		setrlimit(RLIMIT_CORE, &no_core);
		signal(sig, SIG_DFL);
		sigemptyset(&set);
		sigaddset(&set, sig);
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		raise(sig);
		_exit(128 + sig);
	}
	_exit(WEXITSTATUS(status));
}

void proxy_quiet_stdio(void)
{
	int fd = open("/dev/null", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	/* The sandbox holds the process's stdio: EOF must follow the process (containerd's
	 * shim reads the output of `create` and `exec --detach` until EOF). */
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	close(fd);
}

static const struct container *g_proxied;

/* The proxy passes the signals a supervisor sends it on to the container. */
static void proxy_forward(int sig)
{
	json_t *req = json_pack("{s:s, s:i, s:i, s:b}", "cmd", "signal", "sig", sig, "pid", 0,
				"all", 0);
	struct oci_error e;

	if (g_proxied && req)
		container_control(g_proxied, req, NULL, 0, POD_CONTROL_TIMEOUT_MS, NULL, NULL, &e);
	json_decref(req);
}

/* In the forked proxy: ask for the container's exit, say so on sync, wait for it. */
static _Noreturn void proxy_main(const struct container *c, int sync)
{
	json_t *req = json_pack("{s:s}", "cmd", "wait"), *m = NULL;
	struct oci_error e;
	int conn;
	char ok = 'R';

	setsid();
	proxy_quiet_stdio();
	if (container_control_send(c, req, NULL, 0, &conn, &e) < 0) {
		ignore_result(write_all(sync, e.msg, strlen(e.msg)));
		_exit(1);
	}
	json_decref(req);
	ignore_result(write_all(sync, &ok, 1));
	close(sync);
	g_proxied = c;
	struct sigaction sa = {.sa_handler = proxy_forward, .sa_flags = SA_RESTART};
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	if (container_control_recv(conn, &m, &e) < 0)
		proxy_exit_like(SIGKILL); /* the sandbox died, taking the container with it */
	proxy_exit_like((int)json_integer_value(json_object_get(m, "exit")));
}

/* Fork the proxy; c->pid becomes it once it waits on the container. */
static int proxy_start(struct container *c, int sb_lock, struct oci_error *e)
{
	char msg[600];
	size_t n;
	int sync[2];
	pid_t pid;

	if (pipe2(sync, O_CLOEXEC) < 0)
		return oci_errorf(e, "pipe: %s", strerror(errno));
	pid = fork();
	if (pid < 0)
		return oci_errorf(e, "fork: %s", strerror(errno));
	if (pid == 0) {
		/* The locks (flock) are the caller's: the proxy must not hold them. */
		close(c->lock_fd);
		close(sb_lock);
		close(sync[0]);
		proxy_main(c, sync[1]);
	}
	close(sync[1]);
	n = proxy_read_sync(sync[0], msg, sizeof(msg));
	if (n != 1 || msg[0] != 'R') {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		return oci_errorf(e, "%s", n ? msg : "the container's proxy process failed");
	}
	char state;
	c->pid = pid;
	c->pid_start = container_proc_start(pid, &state);
	return 0;
}

/* Stdio of the container: a new pty (master to the console socket) or runsc's own. */
static int pod_stdio(const struct create_opts *o, const struct oci_spec *s, int *fds,
		     struct oci_error *e)
{
	int master = -1, slave = -1, err;

	fds[0] = 0, fds[1] = 1, fds[2] = 2;
	if (!s->process.terminal || !o->console_socket)
		return 0;
	err = tty_open(&master, &slave, s->process.console_height, s->process.console_width,
		       e);
	if (!err)
		err = tty_send_master(o->console_socket, master, e);
	if (master >= 0)
		close(master);
	if (err) {
		if (slave >= 0)
			close(slave);
		return err;
	}
	fds[0] = fds[1] = fds[2] = slave;
	return slave;
}

/* The create request: the boot spec and fds 0-2, the root's and the binds' connections. */
static int pod_request(struct container *c, const struct oci_spec *s, const int *stdio,
		       const int *conns, int nconns, struct oci_error *e)
{
	int fds[3 + 1 + SANDBOX_MAX_BINDS], err;
	json_t *spec = bootspec_json(s, c->id), *req;

	if (!s->hostname)
		json_object_del(spec, "hostname"); /* it shares the sandbox's UTS names */
	/* Its own pid namespace in the sandbox unless its spec joins the sandbox's. */
	json_object_set_new(spec, "pid_ns_shared", json_boolean(s->pid_ns_joined));
	memcpy(fds, stdio, 3 * sizeof(int));
	memcpy(fds + 3, conns, (size_t)nconns * sizeof(int));
	req = json_pack("{s:s, s:s, s:o}", "cmd", "create", "sandbox", c->sandbox, "spec", spec);
	err = container_control(c, req, fds, 3 + nconns, POD_CONTROL_TIMEOUT_MS, NULL, NULL, e);
	json_decref(req);
	return err;
}

int pod_create(const struct create_opts *o, struct container *c, const struct oci_spec *s,
	       const struct container *sb, struct oci_error *e)
{
	struct sandbox_bind binds[SANDBOX_MAX_BINDS];
	int conns[1 + SANDBOX_MAX_BINDS], stdio[3], nbinds = bind_list(s, binds, e), slave, err;

	if (nbinds < 0)
		return nbinds;
	snprintf(c->sandbox, sizeof(c->sandbox), "%s", sb->id);
	c->sandbox_pid = sb->pid;
	c->sandbox_start = sb->pid_start;
	snprintf(c->ctl_dir, sizeof(c->ctl_dir), "%s", sb->dir);
	struct sandbox_opts so = {
		.root = s->root_path, .readonly = s->root_readonly, .new_session = true,
		.binds = binds, .nbinds = nbinds,
		.set_oom_score_adj = s->process.has_oom_score_adj,
		.oom_score_adj = s->process.oom_score_adj,
	};
	if (s->nsysctls)
		log_warn("linux.sysctl: container `%s` joins sandbox `%s`, whose namespaces its "
			 "sysctls would change: not applied (the sandbox's own are)", c->id, sb->id);
	slave = pod_stdio(o, s, stdio, e);
	if (slave < 0)
		return slave;
	err = sandbox_start_gofer(&so, &c->gofer_pid, conns);
	if (err) {
		oci_errorf(e, "cannot start the container's Gofer: %s", strerror(-err));
	} else {
		char state;
		c->gofer_start = container_proc_start(c->gofer_pid, &state);
		err = pod_request(c, s, stdio, conns, 1 + nbinds, e);
		for (int i = 0; i <= nbinds; i++)
			close(conns[i]);
	}
	if (slave > 0)
		close(slave);
	if (!err)
		err = proxy_start(c, sb->lock_fd, e);
	if (err)
		pod_destroy(c);
	return err;
}

void pod_destroy(struct container *c)
{
	json_t *req = json_pack("{s:s}", "cmd", "destroy");
	struct oci_error e;

	if (container_control(c, req, NULL, 0, POD_CONTROL_TIMEOUT_MS, NULL, NULL, &e) &&
	    !strstr(e.msg, "does not exist") && !strstr(e.msg, "not running"))
		log_warn("container %s: %s", c->id, e.msg);
	json_decref(req);
	/* The proxy ends with the container; the Gofer when its connections close, which
	 * the Sentry does not do before the sandbox ends: end it here. */
	if (c->gofer_pid > 0 && container_pid_alive(c->gofer_pid, c->gofer_start))
		kill(c->gofer_pid, SIGKILL);
	if (c->pid > 0)
		container_wait_gone(c->pid, c->pid_start);
	if (c->pid > 0 && container_pid_alive(c->pid, c->pid_start))
		kill(c->pid, SIGKILL);
	if (c->gofer_pid > 0)
		container_wait_gone(c->gofer_pid, c->gofer_start);
	if (c->pid > 0)
		container_wait_gone(c->pid, c->pid_start);
}
