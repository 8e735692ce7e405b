/* cgroup.c: the sandbox's host cgroup (v1 hierarchies under /sys/fs/cgroup, cgroupfs
 * driver): memory, cpu and pids limits on the Sentry, its stubs and the Gofer, the
 * freezer for pause/resume, cpuacct and memory for stats. */
#include "runsc/container/container.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"

#define CGROUP_ROOT "/sys/fs/cgroup"

/* The controllers the sandbox joins when their hierarchy is mounted. */
static const char *const g_ctrls[] = {"memory", "cpu", "cpuacct", "pids", "freezer", NULL};

void cgroup_path_for(const char *spec_path, const char *id, bool systemd, char *out,
		     size_t size)
{
	const char *c1, *c2;

	if (!spec_path || !spec_path[0]) {
		snprintf(out, size, "/runsc/%s", id);
		return;
	}
	if (systemd && (c1 = strchr(spec_path, ':')) && (c2 = strchr(c1 + 1, ':'))) {
		int slice = (int)(c1 - spec_path);
		snprintf(out, size, "/%.*s/%.*s-%s.scope", slice ? slice : 12,
			 slice ? spec_path : "system.slice", (int)(c2 - c1 - 1), c1 + 1, c2 + 1);
		return;
	}
	snprintf(out, size, "%s%s", spec_path[0] == '/' ? "" : "/", spec_path);
}

static bool ctrl_mounted(const char *ctrl)
{
	char p[128];

	snprintf(p, sizeof(p), CGROUP_ROOT "/%s/cgroup.procs", ctrl);
	return access(p, F_OK) == 0;
}

static int mkdir_p_once(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		int r = mkdir(path, 0755);
		*p = '/';
		if (r < 0 && errno != EEXIST)
			return -errno;
	}
	return mkdir(path, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* mkdir -p that survives another runsc removing the shared /runsc parent (its last
 * container deleted) between our mkdir of the parent and of the leaf. */
static int mkdir_p(char *path)
{
	int err = -ENOENT;

	for (int i = 0; i < 10 && err == -ENOENT; i++)
		err = mkdir_p_once(path);
	return err;
}

static int write_file(const char *ctrl, const char *path, const char *file, const char *val,
		      struct oci_error *e)
{
	char p[PATH_MAX];
	int fd, err = 0;

	snprintf(p, sizeof(p), CGROUP_ROOT "/%s%s/%s", ctrl, path, file);
	fd = open(p, O_WRONLY | O_CLOEXEC);
	if (fd < 0 || write(fd, val, strlen(val)) < 0)
		err = oci_errorf(e, "cannot write `%s` to %s: %s", val, p, strerror(errno));
	if (fd >= 0)
		close(fd);
	return err;
}

static int write_num(const char *ctrl, const char *path, const char *file, long long v,
		     struct oci_error *e)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", v);
	return write_file(ctrl, path, file, buf, e);
}

/* The Sentry holds the container's own tasks to pids.max (its cgroupfs). The host cgroup
 * also holds the runtime's tasks: the Sentry's threads (one per control connection too),
 * the platform's stubs, the Gofer's workers (10-13 for a shell). It gets this many more,
 * so that a small limit, or `update` to one, never keeps the Sentry from making a thread
 * (with the limit itself the sandbox could not serve a request, or start). */
#define PIDS_HOST_HEADROOM 64

int cgroup_apply(const char *path, const struct oci_resources *r, struct oci_error *e)
{
	int err = 0;

	if (r->memory_limit != -1 && ctrl_mounted("memory"))
		err = write_num("memory", path, "memory.limit_in_bytes", r->memory_limit, e);
	if (!err && r->memory_reservation != -1 && ctrl_mounted("memory"))
		err = write_num("memory", path, "memory.soft_limit_in_bytes",
				r->memory_reservation, e);
	if (!err && r->memory_swap != -1 && ctrl_mounted("memory")) {
		/* Without swap accounting the kernel has no memsw files: nothing to limit. */
		char p[PATH_MAX];
		snprintf(p, sizeof(p), CGROUP_ROOT "/memory%s/memory.memsw.limit_in_bytes", path);
		if (access(p, F_OK) == 0)
			err = write_num("memory", path, "memory.memsw.limit_in_bytes",
					r->memory_swap, e);
	}
	if (!err && r->cpu_shares && ctrl_mounted("cpu"))
		err = write_num("cpu", path, "cpu.shares", (long long)r->cpu_shares, e);
	if (!err && r->cpu_period && ctrl_mounted("cpu"))
		err = write_num("cpu", path, "cpu.cfs_period_us", (long long)r->cpu_period, e);
	if (!err && r->cpu_quota != -1 && ctrl_mounted("cpu"))
		err = write_num("cpu", path, "cpu.cfs_quota_us", r->cpu_quota, e);
	if (!err && r->pids_limit && ctrl_mounted("pids"))
		err = r->pids_limit < 0 ? write_file("pids", path, "pids.max", "max", e)
					: write_num("pids", path, "pids.max",
						    r->pids_limit + PIDS_HOST_HEADROOM, e);
	if (!err && (r->cpuset_cpus || r->cpuset_mems))
		err = oci_errorf(e, "linux.resources.cpu.cpus/mems: cpusets are not supported by "
				 "runsc yet");
	return err;
}

int cgroup_create(const char *path, const struct oci_resources *r, char ***procs,
		  struct oci_error *e)
{
	char **v = xcalloc(ARRAY_SIZE(g_ctrls) + 1, sizeof(char *));
	int n = 0, err = 0;

	for (const char *const *c = g_ctrls; *c && !err; c++) {
		char dir[PATH_MAX];
		if (!ctrl_mounted(*c))
			continue;
		snprintf(dir, sizeof(dir), CGROUP_ROOT "/%s%s", *c, path);
		err = mkdir_p(dir);
		if (err) {
			oci_errorf(e, "cannot create the cgroup `%s`: %s", dir, strerror(-err));
			break;
		}
		if (asprintf(&v[n], "%s/cgroup.procs", dir) < 0)
			v[n] = NULL;
		else
			n++;
	}
	if (!err)
		err = cgroup_apply(path, r, e);
	if (err) {
		oci_strv_free(v);
		cgroup_destroy(path);
		return err;
	}
	*procs = v;
	return 0;
}

int cgroup_freeze(const char *path, bool frozen, struct oci_error *e)
{
	const char *want = frozen ? "FROZEN" : "THAWED";
	char p[PATH_MAX], buf[32];

	if (!path[0] || !ctrl_mounted("freezer"))
		return oci_errorf(e, "pause and resume need the freezer cgroup, which this host "
				  "does not have");
	int err = write_file("freezer", path, "freezer.state", want, e);
	snprintf(p, sizeof(p), CGROUP_ROOT "/freezer%s/freezer.state", path);
	/* FREEZING settles into FROZEN once every task has stopped. */
	for (int i = 0; !err && i < 1000; i++) {
		int fd = open(p, O_RDONLY | O_CLOEXEC);
		ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
		if (fd >= 0)
			close(fd);
		if (n > 0 && !strncmp(buf, want, strlen(want)))
			return 0;
		struct timespec ts = {0, 2000000};
		nanosleep(&ts, NULL);
	}
	return err ? err : oci_errorf(e, "the sandbox did not reach %s", want);
}

void cgroup_destroy(const char *path)
{
	if (!path || !path[0])
		return;
	for (const char *const *c = g_ctrls; *c; c++) {
		char dir[PATH_MAX];
		snprintf(dir, sizeof(dir), CGROUP_ROOT "/%s%s", *c, path);
		/* Killed tasks leave the cgroup a moment after they die. */
		for (int i = 0; i < 200 && rmdir(dir) < 0 && errno == EBUSY; i++) {
			struct timespec ts = {0, 10000000};
			nanosleep(&ts, NULL);
		}
		/* runsc's own parent of default cgroups goes with its last child. */
		if (!strncmp(path, "/runsc/", 7)) {
			snprintf(dir, sizeof(dir), CGROUP_ROOT "/%s/runsc", *c);
			rmdir(dir);
		}
	}
}

long long cgroup_read_num(const char *path, const char *ctrl, const char *file)
{
	char p[PATH_MAX], buf[64];
	int fd;
	ssize_t n;

	snprintf(p, sizeof(p), CGROUP_ROOT "/%s%s/%s", ctrl, path, file);
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	return strtoll(buf, NULL, 10);
}
