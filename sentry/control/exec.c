/* exec.c: `runsc exec`: a new parentless process in the running sandbox whose stdio are
 * the host fds the proxy sent; its wait status goes back to the proxy when it ends. */
#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sentry/boot_internal.h"
#include "sentry/control/control_internal.h"
#include "sentry/fs/dev/tty.h"
#include "sentry/kernel/control_api.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

#define REAP_POLL_NS (20 * 1000 * 1000)

int control_execvp(struct task *t, char *const argv[], char *const envp[])
{
	const char *prog = argv[0], *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:"
					      "/usr/bin:/sbin:/bin";
	char buf[4096];
	int err = -ENOENT;

	if (strchr(prog, '/'))
		return kernel_execve(t, prog, argv, envp);
	for (int i = 0; envp[i]; i++)
		if (!strncmp(envp[i], "PATH=", 5))
			path = envp[i] + 5;
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", prog);
		int r = kernel_execve(t, buf, argv, envp);
		if (r == 0)
			return 0;
		if (r != -ENOENT && r != -ENOTDIR)
			err = r;
		path += n + (path[n] == ':');
	}
	return err;
}

const struct control_target g_control_sandbox = {0};

int control_enter_seccomp(struct task *t, const struct control_target *c)
{
	long ret;

	if (c->cid == 0)
		return task_seccomp_enter_container(t); /* as runc before its execve */
	if (!c->seccomp || t->seccomp)
		return 0;
	ret = task_seccomp_add(t, c->seccomp, c->seccomp_len,
			       c->seccomp_log ? SECCOMP_FILTER_FLAG_LOG : 0);
	return ret < 0 ? (int)ret : 0;
}

static char **strv_from(json_t *arr)
{
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	char **v = xcalloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++)
		v[i] = xstrdup(json_string_value(json_array_get(arr, i)) ?: "");
	return v;
}

static void strv_free(char **v)
{
	for (char **p = v; p && *p; p++)
		free(*p);
	free(v);
}

struct fdtable *control_stdio_table(int *fds)
{
	struct fdtable *ft = fdtable_new();

	for (int i = 0; i < 3; i++) {
		struct file *f = hostfd_file_new(fds[i]);
		fds[i] = -1;
		if (f && fdtable_install_at(ft, i, f, false) < 0)
			log_warn("cannot install stdio fd %d of a new process", i);
		if (f)
			file_put(f);
	}
	return ft;
}

/* Credentials from the request: uid, gid, additional gids (all ids alike). */
static void req_creds(json_t *req, struct creds *c)
{
	json_t *gids = json_object_get(req, "gids");
	uid_t uid = (uid_t)json_integer_value(json_object_get(req, "uid"));
	gid_t gid = (gid_t)json_integer_value(json_object_get(req, "gid"));

	memset(c, 0, sizeof(*c));
	c->uid = c->euid = c->suid = c->fsuid = uid;
	c->gid = c->egid = c->sgid = c->fsgid = gid;
	for (size_t i = 0; i < json_array_size(gids) && c->ngroups < 32; i++)
		c->groups[c->ngroups++] = (gid_t)json_integer_value(json_array_get(gids, i));
}

/* t's stdio becomes a new pty of the sandbox (its controlling terminal: t leads its own
 * session) relayed to the host pty slave host_fd; when that fails the host fds stay. */
static void exec_console(struct task *t, int host_fd)
{
	int err = console_attach(t, host_fd);

	if (err) {
		log_warn("exec: no terminal of the sandbox (%s); the process gets the host pty",
			 strerror(-err));
		close(host_fd);
	}
}

/* Start the process; returns the new task or NULL with *err and msg set. */
static struct task *exec_start(json_t *req, int *fds, char **argv, char **envp,
			       const struct control_target *c, int *err, char *msg, size_t msize)
{
	const char *cwd = json_string_value(json_object_get(req, "cwd")) ?: "/";
	json_t *umask = json_object_get(req, "umask");
	struct fs_context *fs = c->root ? fs_context_new_at(c->root) : fs_context_new_root();
	struct creds cr;
	struct task *t;
	/* A terminal: the host pty slave, relayed to a pty of the sandbox once t exists. */
	int console = json_is_true(json_object_get(req, "terminal")) && isatty(fds[0]) ?
			      fcntl(fds[0], F_DUPFD_CLOEXEC, 3) : -1;

	struct fdtable *ft = control_stdio_table(fds);

	req_creds(req, &cr);
	if (json_is_integer(umask))
		fs->umask = (uint32_t)json_integer_value(umask) & 0777;
	*err = fs_context_chdir(fs, cwd);
	if (*err) {
		snprintf(msg, msize, "cwd `%s`: %s", cwd, strerror(-*err));
		fdtable_put(ft);
		fs_context_put(fs);
		return NULL;
	}
	t = control_task_create(c->pidns, ft, fs, &cr, NULL);
	if (!t) {
		*err = -EAGAIN;
		snprintf(msg, msize, "no free pid in the container's pid namespace (or its "
			 "init has exited)");
		fdtable_put(ft);
		fs_context_put(fs);
		if (console >= 0)
			close(console);
		return NULL;
	}
	t->tg->cid = c->cid;
	if (c->cgroup)
		proc_tg_set_cgroup(t->tg->tgid, c->cgroup);
	if (console >= 0)
		exec_console(t, console);
	json_t *rl = json_object_get(req, "rlimits");
	for (size_t i = 0; i < json_array_size(rl); i++) {
		json_t *r = json_array_get(rl, i);
		int type = (int)json_integer_value(json_object_get(r, "type"));
		if (type >= 0 && type < RLIM_NLIMITS) {
			t->tg->rlim[type].rlim_cur = (rlim_t)json_integer_value(json_object_get(r, "soft"));
			t->tg->rlim[type].rlim_max = (rlim_t)json_integer_value(json_object_get(r, "hard"));
		}
	}
	/* The exec'd process's oomScoreAdj (runsc exec passes its spec's), else 0. */
	json_t *oom = json_object_get(req, "oom_score_adj");
	if (json_is_integer(oom) && json_integer_value(oom) >= -1000 &&
	    json_integer_value(oom) <= 1000)
		t->tg->oom_score_adj = t->tg->oom_score_adj_min = (int)json_integer_value(oom);
	/* runsc exec's own nice value (-20..19), which the process inherits as on runc. */
	json_t *nice = json_object_get(req, "nice");
	if (json_is_integer(nice) && json_integer_value(nice) >= -20 &&
	    json_integer_value(nice) <= 19)
		t->nice = (int)json_integer_value(nice);
	boot_process_sched(t, req); /* process.scheduler/ioPriority override it */
	*err = control_enter_seccomp(t, c);
	if (!*err)
		*err = control_execvp(t, argv, envp);
	if (*err) {
		snprintf(msg, msize, "exec `%s`: %s", argv[0], strerror(-*err));
		control_task_abort(t);
		return NULL;
	}
	*err = task_start(t);
	if (*err) {
		snprintf(msg, msize, "cannot start a thread: %s", strerror(-*err));
		control_task_abort(t);
		return NULL;
	}
	return t;
}

/* Poll until tg finishes (no parent is notified for a parentless group). */
static int exec_wait(struct thread_group *tg)
{
	struct timespec ts = {0, REAP_POLL_NS};
	int status = 0;

	for (;;) {
		kernel_lock();
		int r = control_tg_reap(tg, &status);
		kernel_unlock();
		if (r == 0)
			return status;
		nanosleep(&ts, NULL);
	}
}

int control_do_exec(int conn, json_t *req, int *fds, int nfds, const struct control_target *c)
{
	char **argv = strv_from(json_object_get(req, "args"));
	char **envp = strv_from(json_object_get(req, "env"));
	char msg[512];
	struct task *t = NULL;
	int err = 0, pid = 0;

	if (nfds != 3 || !argv[0] || !argv[0][0]) {
		err = control_reply_error(conn, -EINVAL, "exec needs args and 3 stdio fds");
		goto out;
	}
	if (control_sandbox_exited(NULL)) {
		err = control_reply_error(conn, -ESRCH, "container not running");
		goto out;
	}
	control_busy(1);
	kernel_lock();
	t = exec_start(req, fds, argv, envp, c, &err, msg, sizeof(msg));
	struct thread_group *tg = t ? t->tg : NULL;
	if (t)
		pid = t->tid;
	kernel_unlock();
	nfds = 0;
	if (!t) {
		err = control_reply_error(conn, err, "%s", msg);
	} else {
		err = control_reply(conn, json_pack("{s:b, s:i}", "ok", 1, "pid", pid));
		int status = exec_wait(tg);
		if (!err)
			err = control_reply(conn, json_pack("{s:i}", "exit", status));
	}
	control_busy(-1);
out:
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	strv_free(argv);
	strv_free(envp);
	return err;
}
