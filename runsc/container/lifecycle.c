/* lifecycle.c: the OCI state machine: create (a sandbox waiting for start), start,
 * signal, and destroy (nothing left behind). */
#include "runsc/container/container_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runsc/sandbox/sandbox.h"

#define READY_TIMEOUT_MS 60000
#define CONTROL_TIMEOUT_MS 30000

static void now_rfc3339(char *buf, size_t size)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%09ldZ", ts.tv_nsec);
}

static int copy_file(const char *from, const char *to)
{
	char buf[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), out, err = 0;
	ssize_t n;

	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (out < 0) {
		err = -errno;
		close(in);
		return err;
	}
	while (!err && (n = read(in, buf, sizeof(buf))) > 0)
		err = write_all(out, buf, (size_t)n);
	close(in);
	close(out);
	return err;
}

static int write_pid_file(const char *path, pid_t pid, struct oci_error *e)
{
	char tmp[PATH_MAX + 8], buf[16];
	int fd, err;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return oci_errorf(e, "cannot write the pid file `%s`: %s", path, strerror(errno));
	snprintf(buf, sizeof(buf), "%d", pid);
	err = write_all(fd, buf, strlen(buf));
	close(fd);
	if (err || rename(tmp, path) < 0) {
		unlink(tmp);
		return oci_errorf(e, "cannot write the pid file `%s`: %s", path,
				  strerror(err ? -err : errno));
	}
	return 0;
}

/* The listening control socket at <dir>/control. */
static int control_listen(const struct container *c, struct oci_error *e)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int dirfd = open(c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	int err = 0;

	if (dirfd < 0 || fd < 0) {
		err = oci_errorf(e, "control socket: %s", strerror(errno));
	} else {
		container_control_path(c, sa.sun_path, sizeof(sa.sun_path), dirfd);
		if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0)
			err = oci_errorf(e, "control socket `%s`: %s", sa.sun_path,
					 strerror(errno));
	}
	if (dirfd >= 0)
		close(dirfd);
	if (err) {
		if (fd >= 0)
			close(fd);
		return err;
	}
	return fd;
}

/* Wait for the Sentry's readiness byte, or its error message, or its death. */
static int wait_ready(int fd, pid_t sentry, struct oci_error *e)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char msg[1024];
	size_t n = 0;
	int st;

	while (n < sizeof(msg) - 1) {
		int r = poll(&p, 1, READY_TIMEOUT_MS);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return oci_errorf(e, "the sandbox did not start within %d s",
					  READY_TIMEOUT_MS / 1000);
		ssize_t k = read(fd, msg + n, sizeof(msg) - 1 - n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
		if (n == 0 && msg[0] == '\0')
			return 0;
		n += (size_t)k;
	}
	msg[n] = '\0';
	if (n)
		return oci_errorf(e, "%s", msg);
	if (waitpid(sentry, &st, 0) == sentry)
		return oci_errorf(e, "the sandbox exited while starting (%s %d)",
				  WIFSIGNALED(st) ? "signal" : "status",
				  WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	return oci_errorf(e, "the sandbox exited while starting");
}

struct create_fds {
	int listen, sync[2], spec, master, slave;
};

static void create_fds_close(struct create_fds *f)
{
	int *all[] = {&f->listen, &f->sync[0], &f->sync[1], &f->spec, &f->master, &f->slave};

	for (size_t i = 0; i < ARRAY_SIZE(all); i++) {
		if (*all[i] >= 0)
			close(*all[i]);
		*all[i] = -1;
	}
}

/* The spec's bind mounts, in order, for the Gofer (bootspec.c numbers them the same). */
int bind_list(const struct oci_spec *s, struct sandbox_bind *binds, struct oci_error *e)
{
	int n = 0;

	for (int i = 0; i < s->nmounts; i++) {
		if (!s->mounts[i].bind)
			continue;
		if (n == SANDBOX_MAX_BINDS)
			return oci_errorf(e, "mounts[%d]: more than %d bind mounts", i,
					  SANDBOX_MAX_BINDS);
		binds[n].source = s->mounts[i].source_path;
		binds[n++].readonly = s->mounts[i].readonly;
	}
	return n;
}

static int create_sandbox(const struct create_opts *o, struct container *c,
			  const struct oci_spec *s, char **procs, struct oci_error *e)
{
	struct create_fds f = {-1, {-1, -1}, -1, -1, -1};
	struct sandbox_bind binds[SANDBOX_MAX_BINDS];
	struct sandbox sb;
	int err, nbinds = bind_list(s, binds, e);

	if (nbinds < 0)
		return nbinds;

	f.listen = control_listen(c, e);
	if (f.listen < 0)
		return f.listen;
	err = pipe2(f.sync, O_CLOEXEC) < 0 ? oci_errorf(e, "pipe: %s", strerror(errno)) : 0;
	if (!err && (f.spec = bootspec_memfd(s, c->id, e)) < 0)
		err = f.spec;
	if (!err && s->process.terminal && o->console_socket) {
		err = tty_open(&f.master, &f.slave, s->process.console_height,
			       s->process.console_width, e);
		if (!err)
			err = tty_send_master(o->console_socket, f.master, e);
	}
	if (err)
		goto out;
	struct sandbox_opts so = {
		.root = s->root_path, .spec_fd = f.spec, .readonly = s->root_readonly,
		.stdio_fd = f.slave, .control_fd = f.listen, .sync_fd = f.sync[1],
		.wait_start = true, .new_session = !o->foreground, .cgroup_procs = procs,
		.binds = binds, .nbinds = nbinds,
		.set_oom_score_adj = s->process.has_oom_score_adj,
		.oom_score_adj = s->process.oom_score_adj,
	};
	err = sandbox_start(&so, &sb);
	if (err) {
		oci_errorf(e, "cannot start the sandbox: %s", strerror(-err));
		goto out;
	}
	close(f.sync[1]);
	f.sync[1] = -1;
	c->pid = sb.sentry;
	c->gofer_pid = sb.gofer;
	err = wait_ready(f.sync[0], sb.sentry, e);
	if (err) {
		sandbox_kill(&sb, true);
		goto out;
	}
	char state;
	c->pid_start = container_proc_start(sb.sentry, &state);
	c->gofer_start = container_proc_start(sb.gofer, &state);
out:
	create_fds_close(&f);
	return err;
}

static int create_checks(const struct create_opts *o, const struct oci_spec *s,
			 struct oci_error *e)
{
	if (!s->has_process)
		return oci_errorf(e, "process: is required to create a container");
	if (s->process.terminal && !o->console_socket && !o->foreground)
		return oci_errorf(e, "process.terminal: a terminal needs --console-socket "
				  "(or runsc run in the foreground)");
	if (!s->process.terminal && o->console_socket)
		log_warn("--console-socket is ignored: process.terminal is false");
	return 0;
}

int container_create(const struct create_opts *o, struct container **out, struct oci_error *e)
{
	struct oci_spec *s = NULL;
	struct container *c = NULL, *sb = NULL;
	char **procs = NULL, path[PATH_MAX + 16], cfg[PATH_MAX + 16];
	const char *sandbox = NULL;
	int err;

	err = container_check_id(o->id, e);
	if (!err)
		err = oci_spec_load(o->bundle, &s, e);
	if (err)
		return err;
	for (int i = 0; i < s->warnings.n; i++)
		log_warn("config.json: %s", s->warnings.v[i]);
	err = create_checks(o, s, e);
	if (!err)
		err = pod_sandbox_id(s, o->id, &sandbox, e);
	if (!err && sandbox)
		err = pod_open_sandbox(o->root, sandbox, &sb, e);
	/* Only a pod container can join a pid namespace (its sandbox's) by path. */
	if (!err && !sandbox && s->pid_ns_joined)
		log_warn("config.json: linux.namespaces: joining the pid namespace at a path is "
			 "not supported (the sandbox has its own), ignored");
	if (!err)
		err = container_new(o->root, o->id, &c, e);
	if (err)
		goto out_spec;
	if (!realpath(o->bundle, c->bundle))
		snprintf(c->bundle, sizeof(c->bundle), "%s", o->bundle);
	snprintf(c->rootfs, sizeof(c->rootfs), "%s", s->root_path);
	now_rfc3339(c->created, sizeof(c->created));
	snprintf(c->status, sizeof(c->status), "creating");
	c->annotations = json_object();
	for (int i = 0; i < s->nannotations; i++)
		json_object_set_new(c->annotations, s->annotations[i].key,
				    json_string(s->annotations[i].value));
	snprintf(cfg, sizeof(cfg), "%s/config.json", o->bundle);
	snprintf(path, sizeof(path), "%s/config.json", c->dir);
	err = copy_file(cfg, path);
	if (err) {
		oci_errorf(e, "cannot copy config.json: %s", strerror(-err));
		goto out_dir;
	}
	if (!sb) {
		cgroup_path_for(s->cgroups_path, c->id, o->systemd_cgroup, c->cgroup,
				sizeof(c->cgroup));
		err = cgroup_create(c->cgroup, &s->resources, &procs, e);
	}
	if (err) {
		c->cgroup[0] = '\0';
		goto out_dir;
	}
	/* A pod's container lives in its sandbox's cgroup: the Sentry's. */
	err = sb ? pod_create(o, c, s, sb, e) : create_sandbox(o, c, s, procs, e);
	if (err)
		goto out_cgroup;
	snprintf(c->status, sizeof(c->status), "created");
	for (int k = OCI_HOOK_PRESTART; !err && k <= OCI_HOOK_CREATE_CONTAINER; k++)
		err = container_run_hooks(c, s, k, "created", e);
	if (!err)
		err = container_save(c, e);
	if (!err && o->pid_file)
		err = write_pid_file(o->pid_file, c->pid, e);
	if (err && sb) {
		pod_destroy(c);
		goto out_cgroup;
	}
	if (err) {
		struct sandbox procs_of = {c->pid, c->gofer_pid};
		sandbox_kill(&procs_of, true);
		goto out_cgroup;
	}
	*out = c;
	c = NULL;
	goto out_spec;
out_cgroup:
	cgroup_destroy(c->cgroup);
out_dir:
	container_remove_dir(c);
	container_close(c);
out_spec:
	container_close(sb);
	oci_strv_free(procs);
	oci_spec_free(s);
	return err;
}

int container_start(struct container *c, struct oci_error *e)
{
	const char *st = container_status(c);
	struct oci_spec *s = NULL;
	json_t *req;
	int err;

	if (!strcmp(st, "stopped"))
		return oci_errorf(e, "cannot start a container that has stopped");
	if (strcmp(st, "created"))
		return oci_errorf(e, "cannot start an already %s container", st);
	if (container_load_spec(c, &s, e))
		log_warn("hooks: %s", e->msg);
	/* startContainer hooks run on the host: the container's namespaces are the
	 * Sentry's own, not host ones a hook could enter. */
	err = container_run_hooks(c, s, OCI_HOOK_START_CONTAINER, "created", e);
	if (!err) {
		req = json_pack("{s:s}", "cmd", "start");
		err = container_control(c, req, NULL, 0, CONTROL_TIMEOUT_MS, NULL, NULL, e);
		json_decref(req);
	}
	if (!err) {
		snprintf(c->status, sizeof(c->status), "running");
		err = container_save(c, e);
	}
	if (!err) {
		struct oci_error he = {{0}};
		if (container_run_hooks(c, s, OCI_HOOK_POSTSTART, "running", &he))
			log_warn("poststart hook failed: %s", he.msg);
	}
	oci_spec_free(s);
	return err;
}

int container_signal(struct container *c, int sig, int pid, bool all, struct oci_error *e)
{
	const char *st = container_status(c);
	bool paused = !strcmp(st, "paused");
	json_t *req;
	int err;

	if (!strcmp(st, "stopped")) {
		oci_errorf(e, "container not running");
		return -ESRCH;
	}
	if (paused && sig == SIGKILL && !pid) {
		/* A frozen sandbox cannot answer; SIGKILL ends it from the host. */
		kill(c->pid, SIGKILL);
		return cgroup_freeze(c->cgroup, false, e);
	}
	if (paused && (err = cgroup_freeze(c->cgroup, false, e)))
		return err;
	req = json_pack("{s:s, s:i, s:i, s:b}", "cmd", "signal", "sig", sig, "pid", pid, "all",
			all);
	err = container_control(c, req, NULL, 0, CONTROL_TIMEOUT_MS, NULL, NULL, e);
	json_decref(req);
	if (paused && !err)
		err = cgroup_freeze(c->cgroup, true, e);
	return err;
}

/* Wait until pid is gone (or a zombie); reap it when it is our child. A pidfd turns
 * readable the moment the process exits, child or not: `runsc run` waits here for the
 * Gofer it just killed, and a 10 ms polling step was a third of a /bin/true's run. */
void container_wait_gone(pid_t pid, unsigned long long start)
{
	int pidfd = pid > 0 ? (int)syscall(SYS_pidfd_open, pid, 0) : -1;

	/* Checked after the open: the pidfd then refers to this process, not a reuse. */
	if (pidfd >= 0 && container_pid_alive(pid, start)) {
		struct pollfd p = {.fd = pidfd, .events = POLLIN};
		while (poll(&p, 1, 10000) < 0 && errno == EINTR)
			;
	}
	if (pidfd >= 0)
		close(pidfd);
	for (int i = 0; i < 1000 && container_pid_alive(pid, start); i++) {
		struct timespec ts = {0, 10000000};
		waitpid(pid, NULL, WNOHANG);
		nanosleep(&ts, NULL);
	}
	waitpid(pid, NULL, WNOHANG);
}

int container_destroy(struct container *c, struct oci_error *e)
{
	struct oci_spec *s = NULL;
	struct oci_error he = {{0}};

	if (container_load_spec(c, &s, &he))
		log_warn("hooks: %s", he.msg);
	if (c->sandbox[0])
		pod_destroy(c);
	if (!c->sandbox[0] && container_pid_alive(c->pid, c->pid_start))
		kill(c->pid, SIGKILL);
	if (container_pid_alive(c->gofer_pid, c->gofer_start))
		kill(c->gofer_pid, SIGKILL);
	/* Frozen tasks cannot die until thawed. */
	if (!c->sandbox[0] && !strcmp(c->status, "paused"))
		cgroup_freeze(c->cgroup, false, &he);
	container_wait_gone(c->pid, c->pid_start);
	container_wait_gone(c->gofer_pid, c->gofer_start);
	if (container_run_hooks(c, s, OCI_HOOK_POSTSTOP, "stopped", &he))
		log_warn("poststop hook failed: %s", he.msg);
	oci_spec_free(s);
	cgroup_destroy(c->cgroup);
	container_remove_dir(c);
	container_close(c);
	(void)e;
	return 0;
}
