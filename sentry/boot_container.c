/* boot_container.c: another container of a pod in the running sandbox: its own mount
 * tree (its Gofer's root, overlaid by default, and its mounts), its own UTS names when its
 * spec has a hostname, its own cgroup under the pod's, and its first process, created but
 * not started, pid 1 of its own pid namespace unless its spec shares the sandbox's. It
 * shares the sandbox's kernel: IPC, network. */
#include "sentry/boot_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "sentry/control/control_internal.h"
#include "sentry/fs/dev/tty.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/control_api.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/uts.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"

/* The compiled OCI profile of the spec ([code, jt, jf, k, ...]), or NULL. */
static struct sock_filter *spec_seccomp(const struct boot_spec *s, size_t *len)
{
	size_t n = json_array_size(s->seccomp) / 4;
	struct sock_filter *prog;

	*len = 0;
	if (!s->seccomp || !n)
		return NULL;
	prog = xcalloc(n, sizeof(*prog));
	for (size_t i = 0; i < n; i++) {
		prog[i].code = (uint16_t)json_integer_value(json_array_get(s->seccomp, 4 * i));
		prog[i].jt = (uint8_t)json_integer_value(json_array_get(s->seccomp, 4 * i + 1));
		prog[i].jf = (uint8_t)json_integer_value(json_array_get(s->seccomp, 4 * i + 2));
		prog[i].k = (uint32_t)json_integer_value(json_array_get(s->seccomp, 4 * i + 3));
	}
	*len = n;
	return prog;
}

/* The container's filesystems: a new tree over its Gofer connection, then its mounts. */
static int container_tree(const struct boot_spec *s, int *fds, int nfds, struct mount **root,
			  char *msg, size_t msize)
{
	struct vfs_config vc = {
		.root_gofer_fd = fds[3],
		.root_overlay = s->overlay,
		.root_readonly = s->readonly,
		.tmp_tmpfs = s->tmpfs_tmp,
	};
	int err = vfs_new_tree(&vc, root);

	fds[3] = -1;
	if (err) {
		snprintf(msg, msize, "cannot mount the container's root filesystem: %s",
			 strerror(-err));
		return err;
	}
	struct boot_mounts bm = {s->mounts, s->masked, s->ro_paths, fds + 4, nfds - 4, *root};
	err = boot_mounts_apply(&bm);
	for (int i = 4; i < nfds; i++)
		fds[i] = -1; /* taken by boot_mounts_apply */
	if (err)
		snprintf(msg, msize, "cannot mount the spec's filesystems: %s", strerror(-err));
	return err;
}

static struct task *container_task(const struct boot_spec *s, struct boot_container *c,
				   int *fds, char *msg, size_t msize)
{
	struct creds cr = {
		.uid = s->uid, .euid = s->uid, .suid = s->uid, .fsuid = s->uid,
		.gid = s->gid, .egid = s->gid, .sgid = s->gid, .fsgid = s->gid,
		.ngroups = s->ngids,
	};
	struct fs_context *fs = fs_context_new_at(c->root);
	/* A terminal: the host pty slave, relayed to a pty of the sandbox once t exists. */
	int console = s->terminal && isatty(fds[0]) ? fcntl(fds[0], F_DUPFD_CLOEXEC, 3) : -1;
	struct task *t;

	memcpy(cr.groups, s->gids, sizeof(s->gids));
	caps_init(&cr); /* root starts with every capability, as the sandbox's init */
	if (s->umask >= 0)
		fs->umask = (uint32_t)s->umask;
	if (fs_context_chdir(fs, s->cwd) < 0) {
		snprintf(msg, msize, "cwd `%s` does not exist in the container", s->cwd);
		fs_context_put(fs);
		if (console >= 0)
			close(console);
		return NULL;
	}
	t = control_task_create(c->target.pidns, control_stdio_table(fds), fs, &cr, NULL);
	if (!t) {
		snprintf(msg, msize, "no free pid in the sandbox");
		if (console >= 0)
			close(console);
		return NULL;
	}
	if (console >= 0 && console_attach(t, console) < 0) {
		log_warn("container: no terminal of the sandbox; the process gets the host pty");
		close(console);
	}
	return t;
}

/* The container's own cgroup under the pod's, with its spec's limits; its first process
 * starts in it. */
static int container_cgroup(json_t *spec, struct boot_container *c, char *msg, size_t msize)
{
	struct cgroup_limits l;
	int err = cgroup_pod_join(c->sandbox ?: "sandbox", c->id, &c->target.cgroup);

	if (err) {
		snprintf(msg, msize, "cannot make the container's cgroup /%s: %s", c->id,
			 strerror(-err));
		return err;
	}
	boot_cgroup_limits(json_object_get(spec, "resources"), &l);
	cgroup_set_limits(c->target.cgroup, &l);
	return proc_tg_set_cgroup(c->init->tg->tgid, c->target.cgroup);
}

int boot_container_create(json_t *spec, int *fds, int nfds, struct boot_container *c,
			  char *msg, size_t msize)
{
	struct boot_spec s = {0};
	json_t *host = json_object_get(spec, "hostname");
	int err = 0;

	if (nfds < 4 || boot_spec_parse(spec, &s) < 0) {
		snprintf(msg, msize, "bad container request: %s",
			 nfds < 4 ? "it needs 3 stdio fds and a root connection"
				  : "the spec has no program");
		boot_spec_free(&s);
		return -EINVAL;
	}
	/* Its own pid namespace, as Kubernetes gives each container, unless the spec joins
	 * the sandbox's (a pid namespace path: shareProcessNamespace). Its /proc shows it. */
	if (!json_is_true(json_object_get(spec, "pid_ns_shared")))
		err = pidns_new(pidns_root(), &c->target.pidns);
	proc_set_mount_pidns(c->target.pidns);
	if (!err)
		err = container_tree(&s, fds, nfds, &c->root, msg, msize);
	proc_set_mount_pidns(NULL);
	if (!err && json_is_string(host) && uts_new_container(c->cid, json_string_value(host)))
		err = -EINVAL;
	if (!err)
		c->init = container_task(&s, c, fds, msg, msize);
	if (!err && !c->init)
		err = -EAGAIN;
	if (err) {
		boot_spec_free(&s);
		return err;
	}
	c->init->tg->cid = c->cid;
	boot_task_setup(c->init, &s);
	c->target.cid = c->cid;
	c->target.root = c->root;
	c->target.seccomp = spec_seccomp(&s, &c->target.seccomp_len);
	c->target.seccomp_log = s.seccomp_log;
	err = control_enter_seccomp(c->init, &c->target);
	if (err)
		snprintf(msg, msize, "the compiled seccomp profile is not a valid program");
	else if ((err = control_execvp(c->init, s.argv, s.envp)))
		snprintf(msg, msize, "exec `%s`: %s", s.argv[0],
			 err == -ENOENT ? "no such file or directory" : strerror(-err));
	else
		err = container_cgroup(spec, c, msg, msize);
	if (err) {
		control_task_abort(c->init);
		c->init = NULL;
	}
	boot_spec_free(&s);
	return err;
}
