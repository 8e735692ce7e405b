/* boot.c: the Sentry's start: read the boot spec, build the walls (mount namespace, empty
 * chroot, no capabilities, seccomp), create the memory file, platform, VFS and init task,
 * serve the control socket (OCI create/start/exec), then wait for init to exit. */
#include "sentry/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <sched.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/boot_internal.h"
#include "sentry/control/control.h"
#include "sentry/control/control_internal.h"
#include "sentry/filter.h"
#include "sentry/kernel/ioprio.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/timer.h"
#include "sentry/kernel/uts.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"
#include "sentry/vfs/vfs_internal.h"
#include "sentry/fs/cgroup/cgroup.h"
#include "sentry/fs/dev/tty.h"
#include "sentry/fs/proc/proc.h"
#include "sentry/fs/sys/sysfs.h"

extern bool g_strace;

static char **json_strv(json_t *arr)
{
	size_t n = json_is_array(arr) ? json_array_size(arr) : 0;
	char **v = xcalloc(n + 1, sizeof(char *));

	for (size_t i = 0; i < n; i++) {
		const char *s = json_string_value(json_array_get(arr, i));
		v[i] = xstrdup(s ? s : "");
	}
	return v;
}

void boot_cgroup_limits(json_t *r, struct cgroup_limits *out)
{
	struct cgroup_limits l = {CGROUP_KEEP, CGROUP_KEEP, CGROUP_KEEP, CGROUP_KEEP,
				  CGROUP_KEEP, 0, 0};
	json_t *v;

#define LIMIT(key, field)                                                                          \
	if (json_is_integer(v = json_object_get(r, key)))                                          \
		l.field = json_integer_value(v);
	LIMIT("memory_max", memory_max)
	LIMIT("memory_low", memory_low)
	LIMIT("swap_max", swap_max)
	LIMIT("pids_max", pids_max)
	LIMIT("cpu_quota", cpu_quota)
	LIMIT("cpu_period", cpu_period)
	LIMIT("cpu_weight", cpu_weight)
#undef LIMIT
	if (l.cpu_weight > 10000)
		l.cpu_weight = 10000;
	if (l.cpu_period > 1000000)
		l.cpu_period = 0;
	*out = l;
}

int boot_spec_parse(json_t *root, struct boot_spec *s)
{
	s->argv = json_strv(json_object_get(root, "argv"));
	s->envp = json_strv(json_object_get(root, "env"));
	snprintf(s->cwd, sizeof(s->cwd), "%s",
		 json_string_value(json_object_get(root, "cwd")) ?: "/");
	snprintf(s->hostname, sizeof(s->hostname), "%s",
		 json_string_value(json_object_get(root, "hostname")) ?: "runsc");
	s->uid = (uid_t)json_integer_value(json_object_get(root, "uid"));
	s->gid = (gid_t)json_integer_value(json_object_get(root, "gid"));
	s->overlay = !json_is_false(json_object_get(root, "overlay"));
	s->readonly = json_is_true(json_object_get(root, "readonly"));
	s->tmpfs_tmp = json_is_true(json_object_get(root, "tmpfs_tmp"));
	s->umask = json_is_integer(json_object_get(root, "umask"))
			   ? (int)json_integer_value(json_object_get(root, "umask")) & 0777
			   : -1;
	json_t *gids = json_object_get(root, "gids");
	for (size_t i = 0; i < json_array_size(gids) && s->ngids < 32; i++)
		s->gids[s->ngids++] = (gid_t)json_integer_value(json_array_get(gids, i));
	json_t *caps = json_object_get(root, "capabilities");
	if (json_is_object(caps)) {
		s->has_caps = true;
		s->cap_bset = (uint64_t)json_integer_value(json_object_get(caps, "bounding"));
		s->cap_eff = (uint64_t)json_integer_value(json_object_get(caps, "effective"));
		s->cap_inh = (uint64_t)json_integer_value(json_object_get(caps, "inheritable"));
		s->cap_prm = (uint64_t)json_integer_value(json_object_get(caps, "permitted"));
		s->cap_amb = (uint64_t)json_integer_value(json_object_get(caps, "ambient"));
	}
	s->no_new_privs = json_is_true(json_object_get(root, "no_new_privs"));
	s->terminal = json_is_true(json_object_get(root, "terminal"));
	json_int_t oom = json_integer_value(json_object_get(root, "oom_score_adj"));
	s->oom_score_adj = oom >= -1000 && oom <= 1000 ? (int)oom : 0;
	s->rlimits = json_incref(json_object_get(root, "rlimits"));
	s->mounts = json_incref(json_object_get(root, "mounts"));
	s->masked = json_incref(json_object_get(root, "masked"));
	s->ro_paths = json_incref(json_object_get(root, "readonly_paths"));
	s->seccomp = json_incref(json_object_get(root, "seccomp"));
	s->sysctl = json_incref(json_object_get(root, "sysctl"));
	s->proc = json_incref(root);
	s->seccomp_log = json_is_true(json_object_get(root, "seccomp_log"));
	if (!s->argv[0]) {
		log_err("boot spec: no program to run (argv is empty)");
		return -EINVAL;
	}
	return 0;
}

void boot_spec_free(struct boot_spec *s)
{
	for (char **v = s->argv; v && *v; v++)
		free(*v);
	for (char **v = s->envp; v && *v; v++)
		free(*v);
	free(s->argv);
	free(s->envp);
	json_decref(s->rlimits);
	json_decref(s->proc);
	json_decref(s->mounts);
	json_decref(s->masked);
	json_decref(s->ro_paths);
	json_decref(s->seccomp);
	json_decref(s->sysctl);
	memset(s, 0, sizeof(*s));
}

/* The spec memfd in one read (json_loadfd reads a byte per syscall: 1800 of them). */
static json_t *boot_load_json(int fd, json_error_t *jerr)
{
	struct stat st;
	json_t *root;
	char *buf;

	if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > (64 << 20)) {
		snprintf(jerr->text, sizeof(jerr->text), "fd %d: %s", fd,
			 st.st_size ? strerror(errno) : "empty");
		jerr->line = 0;
		return NULL;
	}
	buf = xmalloc((size_t)st.st_size);
	if (pread(fd, buf, (size_t)st.st_size, 0) != st.st_size) {
		snprintf(jerr->text, sizeof(jerr->text), "fd %d: short read", fd);
		jerr->line = 0;
		free(buf);
		return NULL;
	}
	root = json_loadb(buf, (size_t)st.st_size, 0, jerr);
	free(buf);
	return root;
}

static int boot_read_spec(int fd, struct boot_spec *s)
{
	json_error_t jerr;
	json_t *root;
	int err;

	root = boot_load_json(fd, &jerr);
	if (!root) {
		log_err("boot spec: %s (line %d)", jerr.text, jerr.line);
		return -EINVAL;
	}
	err = boot_spec_parse(root, s);
	/* The sandbox's first container's limits are the hierarchy root's (a pod's other
	 * containers share that hierarchy). */
	struct cgroup_limits l;
	boot_cgroup_limits(json_object_get(root, "resources"), &l);
	cgroup_set_limits(cgroup_root(), &l);
	json_decref(root);
	return err;
}

/* Private mount namespace view: an empty, read-only tmpfs as the root. The parent made
 * the namespaces (pid, mount, ipc, uts, net); /proc is a mount point every host has.
 * Over that tmpfs, where the Sentry cannot reach it, goes a procfs of the sandbox's own
 * pid namespace: host tools that join this mount namespace (podman top reads /proc after
 * setns into the pid-file process's) see the sandbox's host processes, the Sentry and
 * its stubs, instead of an empty /proc. Without it (no right to mount proc) they see
 * the empty tmpfs, as before. Made before the platform, whose stubs forked in create
 * (systrap's stub zero) chroot into it too (plat_set_stub_root): a program that escaped
 * a stub would see no host file. */
static int g_empty_root = -1;

static int boot_empty_root(void)
{
	int fd;

	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (mount("runsc-empty", "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,mode=0555") < 0)
		return -errno;
	fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
		log_debug("no procfs for host tools in the sandbox's mount namespace: %s",
			  strerror(errno));
	g_empty_root = fd;
	plat_set_stub_root(fd);
	return 0;
}

/* Into the tmpfs underneath, by descriptor: the procfs above stays outside. */
static int boot_chroot_empty(void)
{
	int fd = g_empty_root;

	g_empty_root = -1;
	plat_set_stub_root(-1); /* stubs forked from now on inherit the Sentry's root */
	if (fchdir(fd) < 0 || chroot(".") < 0 || chdir("/") < 0) {
		int err = -errno;
		close(fd);
		return err;
	}
	close(fd);
	if (mount(NULL, "/", NULL, MS_REMOUNT | MS_RDONLY | MS_BIND, NULL) < 0)
		log_debug("read-only remount of the empty root failed: %s", strerror(errno));
	return 0;
}

static int boot_drop_caps(void)
{
	struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct data[2] = {{0}};

	for (int cap = 0; cap <= 63; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL)
			return -errno;
	prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

/* The nice value runsc ran with: the sandbox's init starts there, as a container's
 * init under runc inherits it (read before the seccomp filter goes in). */
static int g_host_nice;

static int boot_walls(struct platform *plat, const struct boot_opts *o)
{
	int err;

	errno = 0;
	g_host_nice = getpriority(PRIO_PROCESS, 0);
	if (errno)
		g_host_nice = 0;
	err = boot_chroot_empty();

	if (err) {
		log_err("cannot chroot the Sentry into an empty directory: %s", strerror(-err));
		return err;
	}
	err = boot_drop_caps();
	if (err) {
		log_err("cannot drop capabilities: %s", strerror(-err));
		return err;
	}
	err = sentry_filter_install(plat);
	if (err) {
		log_err("cannot install the Sentry's seccomp filter: %s", strerror(-err));
		return err;
	}
	log_debug("walls: namespaces pid,mnt,ipc,uts,net (from runsc); chroot into an empty "
		  "read-only tmpfs; capabilities and bounding set dropped; no_new_privs; "
		  "seccomp allowlist installed (kill on violation)");
	if (o->seccomp_probe) {
		/* Prove the filter: a socket() the Sentry never needs must kill us. */
		log_info("seccomp probe: calling socket(AF_INET), which the filter forbids");
		syscall(SYS_socket, AF_INET, SOCK_STREAM, 0);
		log_err("seccomp probe: the forbidden syscall returned; the filter is not working");
		return -EPERM;
	}
	return 0;
}

static struct fdtable *boot_stdio(void)
{
	struct fdtable *ft = fdtable_new();

	for (int fd = 0; fd < 3; fd++) {
		int h = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (h < 0)
			continue;
		struct file *f = hostfd_file_new(h);
		if (fdtable_install_at(ft, fd, f, false) < 0)
			log_warn("cannot install stdio fd %d", fd);
		file_put(f);
	}
	return ft;
}

/* process.terminal: init's stdio becomes a pty of the sandbox's devpts (its controlling
 * terminal) relayed to the host pty slave runsc gave as fds 0-2. Without a host pty or a
 * devpts in the container, the host fds stay, with one warning. */
static void boot_console(struct task *t)
{
	int h, err;

	if (!isatty(0))
		return;
	h = fcntl(0, F_DUPFD_CLOEXEC, 3);
	err = h < 0 ? -errno : console_attach(t, h);
	if (err) {
		log_warn("process.terminal: no terminal of the sandbox (%s); the program gets "
			 "the host pty", strerror(-err));
		if (h >= 0)
			close(h);
	}
}

/* A set-up failure: to the log, and to runsc create through the sync fd when there is
 * one (the Sentry's stderr is the container's, not the caller's). */
static void __attribute__((format(printf, 2, 3)))
boot_report(const struct boot_opts *o, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (o->sync_fd >= 0) {
		log_info("%s", buf);
		ignore_result(write_all(o->sync_fd, buf, strlen(buf)));
	} else if (o->control_fd < 0) {
		fprintf(stderr, "runsc: %s\n", buf);
	} else {
		log_err("%s", buf);
	}
}

static void boot_set_rlimits(struct task *t, json_t *rlimits)
{
	for (size_t i = 0; i < json_array_size(rlimits); i++) {
		json_t *r = json_array_get(rlimits, i);
		int type = (int)json_integer_value(json_object_get(r, "type"));
		if (type < 0 || type >= RLIM_NLIMITS)
			continue;
		t->tg->rlim[type].rlim_cur = (rlim_t)json_integer_value(json_object_get(r, "soft"));
		t->tg->rlim[type].rlim_max = (rlim_t)json_integer_value(json_object_get(r, "hard"));
	}
}

void boot_process_sched(struct task *t, json_t *proc)
{
	json_t *s = json_object_get(proc, "sched"), *io = json_object_get(proc, "ioprio");
	json_int_t policy = json_integer_value(json_object_get(s, "policy"));
	json_int_t nice = json_integer_value(json_object_get(s, "nice"));
	json_int_t prio = json_integer_value(json_object_get(s, "priority"));
	bool rt = policy == SCHED_FIFO || policy == SCHED_RR;

	if (json_is_object(s) && (rt || policy == SCHED_OTHER || policy == SCHED_BATCH ||
				  policy == SCHED_IDLE) &&
	    nice >= -20 && nice <= 19 && (rt ? prio >= 1 && prio <= 99 : prio == 0)) {
		t->sched_policy = (int)policy;
		if (json_is_true(json_object_get(s, "reset_on_fork")))
			t->sched_policy |= SCHED_RESET_ON_FORK;
		t->sched_prio = (int)prio;
		if (policy == SCHED_OTHER || policy == SCHED_BATCH)
			t->nice = (int)nice; /* as sched_setattr: the fair policies only */
	}
	if (json_integer_value(io) > 0 && json_integer_value(io) <= 0xffff)
		ioprio_set_task(t, (uint16_t)json_integer_value(io));
}

void boot_task_setup(struct task *t, const struct boot_spec *s)
{
	boot_set_rlimits(t, s->rlimits);
	if (s->has_caps) {
		/* The sets runc installs just before its execve; the exec then derives the
		 * program's sets by Linux's rules (root: bounding | inheritable). */
		t->creds.cap_bset = s->cap_bset;
		t->creds.cap_inheritable = s->cap_inh;
		t->creds.cap_permitted = s->cap_prm;
		t->creds.cap_effective = s->cap_eff & s->cap_prm;
		t->creds.cap_ambient = s->cap_amb & s->cap_prm & s->cap_inh;
	}
	t->no_new_privs = s->no_new_privs;
	/* As runc's privileged write before the program starts: the value and its floor. */
	t->tg->oom_score_adj = t->tg->oom_score_adj_min = s->oom_score_adj;
	boot_process_sched(t, s->proc);
	timers_rlimit_cpu_changed(t->tg); /* an RLIMIT_CPU from the spec counts from now */
}

/* The container's seccomp profile from the boot spec, for every process it starts. */
static int boot_seccomp(const struct boot_spec *s)
{
	size_t n = json_array_size(s->seccomp) / 4;
	struct sock_filter *prog;
	int err;

	if (!s->seccomp)
		return 0;
	prog = xcalloc(n ? n : 1, sizeof(*prog));
	for (size_t i = 0; i < n; i++) {
		prog[i].code = (uint16_t)json_integer_value(json_array_get(s->seccomp, 4 * i));
		prog[i].jt = (uint8_t)json_integer_value(json_array_get(s->seccomp, 4 * i + 1));
		prog[i].jf = (uint8_t)json_integer_value(json_array_get(s->seccomp, 4 * i + 2));
		prog[i].k = (uint32_t)json_integer_value(json_array_get(s->seccomp, 4 * i + 3));
	}
	err = task_seccomp_set_container(prog, n, s->seccomp_log);
	free(prog);
	return err;
}

/* linux.sysctl: each key written as a write to its /proc/sys file would be (runsc only
 * passes keys the Sentry owns). A bad value stops the boot naming the key. */
static int boot_sysctls(const struct boot_opts *o, const struct boot_spec *s)
{
	for (size_t i = 0; i < json_array_size(s->sysctl); i++) {
		json_t *kv = json_array_get(s->sysctl, i);
		const char *key = json_string_value(json_object_get(kv, "key"));
		const char *value = json_string_value(json_object_get(kv, "value"));
		int err = key && value ? proc_sysctl_write(key, value) : -EINVAL;

		if (err) {
			boot_report(o, "linux.sysctl: `%s`: cannot set `%s`: %s", key ? key : "?",
				    value ? value : "?",
				    err == -ENOENT ? "no such sysctl in the sandbox" : strerror(-err));
			return BOOT_EXIT_SETUP;
		}
	}
	return 0;
}

static int boot_create_init(const struct boot_opts *o, const struct boot_spec *s,
			    struct task **init)
{
	struct vfs_config vc = {
		.root_gofer_fd = o->gofer_fd,
		.root_overlay = s->overlay,
		.root_readonly = s->readonly,
		.tmp_tmpfs = s->tmpfs_tmp,
	};
	struct creds cr = {
		.uid = s->uid, .euid = s->uid, .suid = s->uid, .fsuid = s->uid,
		.gid = s->gid, .egid = s->gid, .sgid = s->gid, .fsgid = s->gid,
		.ngroups = s->ngids,
	};
	struct fs_context *fs;
	struct task *t;
	int err;

	memcpy(cr.groups, s->gids, sizeof(s->gids));
	err = boot_sysctls(o, s);
	if (err)
		return err;
	err = vfs_init(&vc);
	if (err) {
		boot_report(o, "cannot mount the sandbox's root filesystem: %s", strerror(-err));
		return BOOT_EXIT_SETUP;
	}
	struct boot_mounts bm = {s->mounts, s->masked, s->ro_paths, o->mount_fds, o->nmount_fds};
	err = boot_mounts_apply(&bm);
	if (err) {
		boot_report(o, "cannot mount the spec's filesystems: %s", strerror(-err));
		return BOOT_EXIT_SETUP;
	}
	fs = fs_context_new_root();
	if (s->umask >= 0)
		fs->umask = (uint32_t)s->umask;
	if (fs_context_chdir(fs, s->cwd) < 0) {
		/* runsc do falls back to / (the caller's directory may not exist inside). */
		if (o->control_fd >= 0 || fs_context_chdir(fs, "/") < 0) {
			boot_report(o, "cwd `%s` does not exist in the container", s->cwd);
			return BOOT_EXIT_SETUP;
		}
	}
	t = task_create_init(NULL, boot_stdio(), fs, &cr);
	if (!t)
		return BOOT_EXIT_SETUP;
	t->nice = g_host_nice;
	if (s->terminal)
		boot_console(t);
	boot_task_setup(t, s);
	if (boot_seccomp(s) < 0) {
		boot_report(o, "the compiled seccomp profile is not a valid program");
		return BOOT_EXIT_SETUP;
	}
	err = task_seccomp_enter_container(t); /* the OCI profile, as runc before execve */
	if (!err)
		err = control_execvp(t, s->argv, s->envp);
	if (err) {
		boot_report(o, "exec `%s`: %s", s->argv[0],
			    err == -ENOENT ? "no such file or directory" : strerror(-err));
		return err == -ENOENT ? 127 : 126;
	}
	*init = t;
	return 0;
}

/* Tell runsc create that the sandbox is ready (one byte), then stop talking to it. */
static void boot_ready(const struct boot_opts *o)
{
	if (o->sync_fd < 0)
		return;
	ignore_result(write_all(o->sync_fd, "\0", 1));
	close(o->sync_fd);
}

/* --debug: the platform's counters (kvm: VM exits by reason) once the sandbox is done. */
static void boot_log_platform_stats(void)
{
	char buf[1024];

	if (log_get_level() >= LOG_DEBUG && g_platform->ops->debug_stats &&
	    g_platform->ops->debug_stats(g_platform, buf, sizeof(buf)))
		log_debug("platform %s stats: %s", g_platform->ops->name, buf);
}

static int boot_exit_code(int status)
{
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int boot_main(const struct boot_opts *o)
{
	struct boot_spec spec = {0};
	const struct platform_ops *ops;
	struct task *init = NULL;
	const char *why = "";
	int err, status;

	g_strace = o->strace;
	err = boot_read_spec(o->spec_fd, &spec);
	if (err) {
		boot_report(o, "the boot spec is not valid");
		return BOOT_EXIT_SETUP;
	}
	close(o->spec_fd);
	uts_init(spec.hostname);
	/* Host facts /proc shows, read while host files can still be opened. */
	procfs_boot_init();
	sysfs_boot_init();
	ops = plat_choose(o->platform ? o->platform : "auto", &why);
	if (!ops) {
		boot_report(o, "platform `%s` cannot run here: %s", o->platform, why);
		return BOOT_EXIT_SETUP;
	}
	log_info("platform %s: %s", ops->name, why);
	err = boot_empty_root();
	if (err) {
		boot_report(o, "cannot make the sandbox's empty root: %s", strerror(-err));
		return BOOT_EXIT_SETUP;
	}
	err = memfile_init();
	if (!err)
		err = ops->create(memfile_fd(), &g_platform);
	if (err) {
		boot_report(o, "cannot create the %s platform: %s", ops->name, strerror(-err));
		return BOOT_EXIT_SETUP;
	}
	if (o->control_fd >= 0)
		sentry_filter_set_control_fd(o->control_fd);
	if (boot_walls(g_platform, o) < 0) {
		boot_report(o, "cannot build the sandbox's walls (see the log)");
		return BOOT_EXIT_SETUP;
	}
	kernel_lock();
	status = boot_create_init(o, &spec, &init);
	if (!status && !o->wait_start)
		status = task_start(init) ? BOOT_EXIT_SETUP : 0;
	kernel_unlock();
	if (status)
		return status;
	if (o->control_fd >= 0 && control_start(o->control_fd, init, o->wait_start) < 0) {
		boot_report(o, "cannot start the control server");
		return BOOT_EXIT_SETUP;
	}
	boot_ready(o);
	if (o->wait_start) {
		int sig = control_wait_start();
		if (sig) {
			/* Killed before it ever ran: the container's status is the signal's. */
			control_init_exited(sig);
			return 128 + sig;
		}
	}
	status = kernel_wait_init();
	boot_log_platform_stats();
	if (o->control_fd >= 0)
		control_init_exited(status);
	/* The status is out: teardown that would slow the exit itself starts now. */
	if (g_platform->ops->sandbox_done)
		g_platform->ops->sandbox_done(g_platform);
	return boot_exit_code(status);
}
