/* spec.c: `runsc spec`: write a default config.json, as `runc spec` does. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runsc/runsc.h"

static json_t *strv(const char *const *v)
{
	json_t *a = json_array();

	for (; *v; v++)
		json_array_append_new(a, json_string(*v));
	return a;
}

static json_t *mount_entry(const char *dst, const char *type, const char *src,
			   const char *const *options)
{
	return json_pack("{s:s, s:s, s:s, s:o}", "destination", dst, "type", type, "source", src,
			 "options", strv(options));
}

static json_t *default_spec(void)
{
	static const char *const caps[] = {"CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE",
					   NULL};
	static const char *const env[] = {
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm",
		NULL};
	static const char *const args[] = {"sh", NULL};
	static const char *const proc_o[] = {NULL};
	static const char *const dev_o[] = {"nosuid", "strictatime", "mode=755", "size=65536k",
					    NULL};
	static const char *const pts_o[] = {"nosuid", "noexec", "newinstance", "ptmxmode=0666",
					    "mode=0620", "gid=5", NULL};
	static const char *const shm_o[] = {"nosuid", "noexec", "nodev", "mode=1777",
					    "size=65536k", NULL};
	static const char *const ro_o[] = {"nosuid", "noexec", "nodev", "ro", NULL};
	static const char *const masked[] = {"/proc/acpi", "/proc/asound", "/proc/kcore",
					     "/proc/keys", "/proc/latency_stats", "/proc/timer_list",
					     "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
					     "/proc/scsi", NULL};
	static const char *const ro_paths[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
					       "/proc/sysrq-trigger", NULL};
	json_t *mounts = json_array();

	json_array_append_new(mounts, mount_entry("/proc", "proc", "proc", proc_o));
	json_array_append_new(mounts, mount_entry("/dev", "tmpfs", "tmpfs", dev_o));
	json_array_append_new(mounts, mount_entry("/dev/pts", "devpts", "devpts", pts_o));
	json_array_append_new(mounts, mount_entry("/dev/shm", "tmpfs", "shm", shm_o));
	json_array_append_new(mounts, mount_entry("/sys", "sysfs", "sysfs", ro_o));
	return json_pack(
		"{s:s, s:{s:b, s:{s:i, s:i}, s:o, s:o, s:s, s:{s:o, s:o, s:o}, s:[{s:s, s:i, s:i}],"
		" s:b}, s:{s:s, s:b}, s:s, s:o, s:{s:[{s:s},{s:s},{s:s},{s:s},{s:s}], s:o, s:o}}",
		"ociVersion", "1.0.2",
		"process", "terminal", 1, "user", "uid", 0, "gid", 0, "args", strv(args), "env",
		strv(env), "cwd", "/", "capabilities", "bounding", strv(caps), "effective",
		strv(caps), "permitted", strv(caps), "rlimits", "type", "RLIMIT_NOFILE", "hard",
		1024, "soft", 1024, "noNewPrivileges", 1,
		"root", "path", "rootfs", "readonly", 1,
		"hostname", "runsc",
		"mounts", mounts,
		"linux", "namespaces", "type", "pid", "type", "network", "type", "ipc", "type", "uts",
		"type", "mount", "maskedPaths", strv(masked), "readonlyPaths", strv(ro_paths));
}

int cmd_spec(int argc, char **argv)
{
	static const struct option opts[] = {
		{"bundle", required_argument, NULL, 'b'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *bundle = ".";
	char path[4096];
	int c, fd;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "b:", opts, NULL)) != -1) {
		if (c == 'b') {
			bundle = optarg;
		} else if (c == 'h') {
			printf("usage: runsc spec [--bundle DIR]\n\nWrites a default config.json "
			       "(OCI runtime spec) into the bundle directory.\n");
			return 0;
		} else {
			fprintf(stderr, "runsc spec: unknown flag `%s`\n", argv[optind - 1]);
			return 2;
		}
	}
	snprintf(path, sizeof(path), "%s/config.json", bundle);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			fprintf(stderr, "runsc spec: File %s exists. Remove it first\n", path);
		else
			fprintf(stderr, "runsc spec: cannot create `%s`: %s\n", path, strerror(errno));
		return 1;
	}
	json_t *spec = default_spec();
	int err = spec ? json_dumpfd(spec, fd, JSON_INDENT(4)) : -1;
	json_decref(spec);
	if (err == 0 && write(fd, "\n", 1) != 1)
		err = -1;
	close(fd);
	if (err) {
		fprintf(stderr, "runsc spec: cannot write `%s`\n", path);
		return 1;
	}
	return 0;
}
