/* boot.c: the Sentry's start: read the boot spec, build the walls (mount namespace, empty
 * chroot, no capabilities, seccomp), create the memory file, platform, VFS and init task,
 * then wait for init to exit. */
#include "sentry/boot.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/filter.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/task.h"
#include "sentry/kernel/uts.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

extern bool g_strace;

struct boot_spec {
	char **argv, **envp;
	char cwd[4096];
	char hostname[65];
	uid_t uid;
	gid_t gid;
	bool overlay, readonly;
	bool tmpfs_tmp;	/* a fresh tmpfs at /tmp instead of the root's /tmp */
};

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

static int boot_read_spec(int fd, struct boot_spec *s)
{
	json_error_t jerr;
	json_t *root;

	if (lseek(fd, 0, SEEK_SET) < 0) {
		log_err("boot spec fd %d: %s", fd, strerror(errno));
		return -errno;
	}
	root = json_loadfd(fd, 0, &jerr);
	if (!root) {
		log_err("boot spec: %s (line %d)", jerr.text, jerr.line);
		return -EINVAL;
	}
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
	json_decref(root);
	if (!s->argv[0]) {
		log_err("boot spec: no program to run (argv is empty)");
		return -EINVAL;
	}
	return 0;
}

/* Private mount namespace view: an empty, read-only tmpfs as the root. The parent made
 * the namespaces (pid, mount, ipc, uts, net); /proc is a mount point every host has. */
static int boot_chroot_empty(void)
{
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
		return -errno;
	if (mount("runsc-empty", "/proc", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
		  "size=4k,mode=0555") < 0)
		return -errno;
	if (chroot("/proc") < 0 || chdir("/") < 0)
		return -errno;
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

static int boot_walls(struct platform *plat, const struct boot_opts *o)
{
	int err = boot_chroot_empty();

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

/* execve the spec's program, searching PATH from its environment when it has no '/'. */
static int boot_exec_init(struct task *t, const struct boot_spec *s)
{
	const char *prog = s->argv[0], *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:"
					      "/usr/bin:/sbin:/bin";
	char buf[4096];
	int err = -ENOENT;

	if (strchr(prog, '/'))
		return kernel_execve(t, prog, s->argv, s->envp);
	for (int i = 0; s->envp[i]; i++)
		if (!strncmp(s->envp[i], "PATH=", 5))
			path = s->envp[i] + 5;
	while (*path) {
		size_t n = strcspn(path, ":");
		snprintf(buf, sizeof(buf), "%.*s/%s", (int)n, n ? path : ".", prog);
		int r = kernel_execve(t, buf, s->argv, s->envp);
		if (r == 0)
			return 0;
		if (r != -ENOENT && r != -ENOTDIR)
			err = r;
		path += n + (path[n] == ':');
	}
	return err;
}

static int boot_create_init(const struct boot_spec *s, int gofer_fd)
{
	struct vfs_config vc = {
		.root_gofer_fd = gofer_fd,
		.root_overlay = s->overlay,
		.root_readonly = s->readonly,
		.tmp_tmpfs = s->tmpfs_tmp,
	};
	struct creds cr = {
		.uid = s->uid, .euid = s->uid, .suid = s->uid, .fsuid = s->uid,
		.gid = s->gid, .egid = s->gid, .sgid = s->gid, .fsgid = s->gid,
	};
	struct fs_context *fs;
	struct task *t;
	int err;

	err = vfs_init(&vc);
	if (err) {
		log_err("cannot mount the sandbox's root filesystem: %s", strerror(-err));
		return BOOT_EXIT_SETUP;
	}
	fs = fs_context_new_root();
	if (fs_context_chdir(fs, s->cwd) < 0 && fs_context_chdir(fs, "/") < 0)
		return BOOT_EXIT_SETUP;
	t = task_create_init(NULL, boot_stdio(), fs, &cr);
	if (!t)
		return BOOT_EXIT_SETUP;
	err = boot_exec_init(t, s);
	if (err) {
		fprintf(stderr, "runsc: `%s`: %s\n", s->argv[0],
			err == -ENOENT ? "no such file or directory" : strerror(-err));
		return err == -ENOENT ? 127 : 126;
	}
	err = task_start(t);
	if (err)
		return BOOT_EXIT_SETUP;
	return 0;
}

int boot_main(const struct boot_opts *o)
{
	struct boot_spec spec = {0};
	const struct platform_ops *ops;
	const char *why = "";
	int err, status;

	g_strace = o->strace;
	err = boot_read_spec(o->spec_fd, &spec);
	if (err)
		return BOOT_EXIT_SETUP;
	close(o->spec_fd);
	uts_init(spec.hostname);
	ops = plat_choose(o->platform ? o->platform : "auto", &why);
	if (!ops) {
		log_err("platform `%s` cannot run here: %s", o->platform, why);
		return BOOT_EXIT_SETUP;
	}
	log_info("platform %s: %s", ops->name, why);
	err = memfile_init();
	if (!err)
		err = ops->create(memfile_fd(), &g_platform);
	if (err) {
		log_err("cannot create the %s platform: %s", ops->name, strerror(-err));
		return BOOT_EXIT_SETUP;
	}
	if (boot_walls(g_platform, o) < 0)
		return BOOT_EXIT_SETUP;
	kernel_lock();
	status = boot_create_init(&spec, o->gofer_fd);
	kernel_unlock();
	if (status)
		return status;
	status = kernel_wait_init();
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
