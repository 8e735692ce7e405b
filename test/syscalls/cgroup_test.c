/* cgroup v2: a fresh child cgroup's files, moving processes through cgroup.procs,
 * /proc/PID/cgroup, mkdir/rmdir and their errors, hierarchy limits and the
 * no-internal-process rule. The test works in a cgroup of its own made below its
 * current one on the first cgroup2 mount of /proc/self/mountinfo (natively the host's
 * unified hierarchy, in the sandbox /sys/fs/cgroup), so it asserts only what holds in
 * any fresh cgroup v2 child. */
#include "harness.h"

#include <signal.h>
#include <sys/statfs.h>

#define CGROUP2_SUPER_MAGIC 0x63677270

static char g_mnt[128];	 /* where cgroup2 is mounted */
static char g_own[256];	 /* our cgroup path from /proc/self/cgroup at the start */
static char g_base[400]; /* that cgroup's directory */
static char g_t[512];	 /* the test's own cgroup, below g_base */
static char g_t_path[600]; /* its path as /proc/PID/cgroup shows it */

static void p_join(char *out, size_t size, const char *dir, const char *name)
{
	snprintf(out, size, "%s/%s", dir, name);
}

/* A directory below the test's cgroup. */
static void sub(char out[1024], const char *rel)
{
	snprintf(out, 1024, "%s/%s", g_t, rel);
}

/* The whole content of a file (NUL-terminated) or "" with errno set. */
static const char *slurp(const char *path)
{
	static char buf[8192];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
	return buf;
}

static const char *cg_read(const char *dir, const char *file)
{
	char path[2048];

	p_join(path, sizeof(path), dir, file);
	return slurp(path);
}

/* One write of text to dir/file: 0 or -1 with errno. */
static int cg_write(const char *dir, const char *file, const char *text)
{
	char path[2048];
	int fd, saved;
	ssize_t n;

	p_join(path, sizeof(path), dir, file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int cg_move(const char *dir, int pid)
{
	char text[32];

	snprintf(text, sizeof(text), "%d\n", pid);
	return cg_write(dir, "cgroup.procs", text);
}

/* The "0::" line of /proc/PID/cgroup (pid 0: self), without the newline. */
static const char *proc_cgroup(int pid)
{
	static char line[600];
	char path[64];
	const char *s, *e;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/cgroup", pid);
	else
		snprintf(path, sizeof(path), "/proc/self/cgroup");
	s = slurp(path);
	while (*s && strncmp(s, "0::", 3)) {
		s = strchr(s, '\n');
		s = s ? s + 1 : "";
	}
	if (!*s)
		return "";
	e = strchr(s, '\n');
	snprintf(line, sizeof(line), "%.*s", (int)(e ? e - s - 3 : (long)strlen(s) - 3), s + 3);
	return line;
}

/* Find the cgroup2 mount and our cgroup; make and enter a cgroup of our own. */
static int setup(void)
{
	const char *mi = slurp("/proc/self/mountinfo"), *line = mi;
	char mroot[256] = "";
	const char *rel;

	while (*line && !g_mnt[0]) {
		char root[256], point[128], fstype[64];
		const char *dash = strstr(line, " - ");
		const char *end = strchr(line, '\n');

		if (dash && (!end || dash < end) &&
		    sscanf(line, "%*d %*d %*s %255s %127s", root, point) == 2 &&
		    sscanf(dash, " - %63s", fstype) == 1 && !strcmp(fstype, "cgroup2")) {
			snprintf(g_mnt, sizeof(g_mnt), "%s", point);
			snprintf(mroot, sizeof(mroot), "%s", root);
		}
		line = end ? end + 1 : "";
	}
	if (!g_mnt[0]) {
		printf("FAIL setup: no cgroup2 mount in /proc/self/mountinfo\n");
		return -1;
	}
	snprintf(g_own, sizeof(g_own), "%s", proc_cgroup(0));
	rel = g_own;
	if (strcmp(mroot, "/") && !strncmp(rel, mroot, strlen(mroot)))
		rel += strlen(mroot);
	snprintf(g_base, sizeof(g_base), "%s%s", g_mnt, strcmp(rel, "/") ? rel : "");
	snprintf(g_t, sizeof(g_t), "%s/rt-cgtest-%d", g_base, getpid());
	snprintf(g_t_path, sizeof(g_t_path), "%s/rt-cgtest-%d", strcmp(g_own, "/") ? g_own : "",
		 getpid());
	printf("cgroup2 at %s, our cgroup %s, testing in %s\n", g_mnt, g_own, g_t);
	if (mkdir(g_t, 0755) < 0 || cg_move(g_t, getpid()) < 0) {
		printf("FAIL setup: cannot make and enter %s: %s\n", g_t, strerror(errno));
		return -1;
	}
	return 0;
}

static void fresh_cgroup_files(void)
{
	char path[2048], want[256];
	struct statfs sfs;
	struct stat st;

	CHECK_OK(statfs(g_t, &sfs));
	CHECK_EQ(sfs.f_type, CGROUP2_SUPER_MAGIC);
	CHECK_OK(stat(g_t, &st));
	CHECK(S_ISDIR(st.st_mode));
	p_join(path, sizeof(path), g_t, "cgroup.procs");
	CHECK_OK(stat(path, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0644);
	p_join(path, sizeof(path), g_t, "cgroup.controllers");
	CHECK_OK(stat(path, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0444);
	CHECK_STR(cg_read(g_t, "cgroup.type"), "domain\n");
	CHECK_STR(cg_read(g_t, "cgroup.events"), "populated 1\nfrozen 0\n");
	CHECK_STR(cg_read(g_t, "cgroup.max.depth"), "max\n");
	CHECK_STR(cg_read(g_t, "cgroup.max.descendants"), "max\n");
	CHECK_STR(cg_read(g_t, "cgroup.subtree_control"), "");
	CHECK(!strncmp(cg_read(g_t, "cgroup.stat"), "nr_descendants 0\n", 17));
	CHECK(strstr(cg_read(g_t, "cgroup.stat"), "nr_dying_descendants 0\n") != NULL);
	CHECK(!strncmp(cg_read(g_t, "cpu.stat"), "usage_usec ", 11));
	/* A child gets what its parent hands on. */
	snprintf(want, sizeof(want), "%s", cg_read(g_base, "cgroup.subtree_control"));
	CHECK_STR(cg_read(g_t, "cgroup.controllers"), want);
}

static void procs_and_proc_cgroup(void)
{
	char want[64], tids[64];
	int status;
	pid_t child;

	snprintf(want, sizeof(want), "%d\n", getpid());
	CHECK_STR(cg_read(g_t, "cgroup.procs"), want);
	snprintf(tids, sizeof(tids), "%d\n", (int)syscall(SYS_gettid));
	CHECK_STR(cg_read(g_t, "cgroup.threads"), tids);
	CHECK_STR(proc_cgroup(0), g_t_path);
	CHECK_STR(proc_cgroup(getpid()), g_t_path);
	child = fork();
	if (child == 0) {
		pause();
		_exit(0);
	}
	CHECK(child > 0);
	CHECK_STR(proc_cgroup(child), g_t_path);
	snprintf(want, sizeof(want), "%d\n%d\n", getpid() < child ? getpid() : child,
		 getpid() < child ? child : getpid());
	CHECK_STR(cg_read(g_t, "cgroup.procs"), want);
	kill(child, SIGKILL);
	CHECK_EQ(waitpid(child, &status, 0), child);
	snprintf(want, sizeof(want), "%d\n", getpid());
	CHECK_STR(cg_read(g_t, "cgroup.procs"), want);
}

static void move_between_cgroups(void)
{
	char a[1024], want[700];

	sub(a, "a");
	CHECK_OK(mkdir(a, 0755));
	CHECK_STR(cg_read(a, "cgroup.procs"), "");
	CHECK_STR(cg_read(a, "cgroup.events"), "populated 0\nfrozen 0\n");
	/* pid 0 is the writer itself. */
	CHECK_OK(cg_write(a, "cgroup.procs", "0"));
	snprintf(want, sizeof(want), "%s/a", g_t_path);
	CHECK_STR(proc_cgroup(0), want);
	CHECK_STR(cg_read(g_t, "cgroup.procs"), "");
	/* The parent counts as populated through its child. */
	CHECK_STR(cg_read(g_t, "cgroup.events"), "populated 1\nfrozen 0\n");
	CHECK_STR(cg_read(a, "cgroup.events"), "populated 1\nfrozen 0\n");
	CHECK_ERR(rmdir(a), EBUSY);
	CHECK_OK(cg_move(g_t, getpid()));
	CHECK_STR(proc_cgroup(0), g_t_path);
	CHECK_STR(cg_read(a, "cgroup.events"), "populated 0\nfrozen 0\n");
	CHECK_OK(rmdir(a));
	CHECK_ERR(rmdir(a), ENOENT);
}

static void mkdir_rmdir_errors(void)
{
	char a[1024], b[1024], path[2048];

	sub(a, "a");
	sub(b, "a/b");
	CHECK_OK(mkdir(a, 0755));
	CHECK_ERR(mkdir(a, 0755), EEXIST);
	p_join(path, sizeof(path), g_t, "cgroup.procs");
	CHECK_ERR(mkdir(path, 0755), EEXIST);
	CHECK(!strncmp(cg_read(g_t, "cgroup.stat"), "nr_descendants 1\n", 17));
	CHECK_OK(mkdir(b, 0755));
	CHECK(!strncmp(cg_read(g_t, "cgroup.stat"), "nr_descendants 2\n", 17));
	/* A cgroup with a live child cannot go. */
	CHECK_ERR(rmdir(a), EBUSY);
	p_join(path, sizeof(path), a, "cgroup.procs");
	CHECK_ERR(rmdir(path), ENOTDIR);
	CHECK_ERR(unlink(path), EPERM);
	p_join(path, sizeof(path), a, "newfile");
	CHECK_ERR(open(path, O_CREAT | O_WRONLY, 0644), EACCES);
	CHECK_ERR(symlink("x", path), EPERM);
	p_join(path, sizeof(path), g_t, "renamed");
	CHECK_ERR(rename(a, path), EPERM);
	CHECK_OK(rmdir(b));
	CHECK_OK(rmdir(a));
	CHECK(!strncmp(cg_read(g_t, "cgroup.stat"), "nr_descendants 0\n", 17));
}

static void write_errors(void)
{
	CHECK_ERR(cg_write(g_t, "cgroup.procs", "abc"), EINVAL);
	CHECK_ERR(cg_write(g_t, "cgroup.procs", "-1"), EINVAL);
	CHECK_ERR(cg_write(g_t, "cgroup.procs", "999999999"), ESRCH);
	CHECK_ERR(cg_write(g_t, "cgroup.subtree_control", "+bogus"), EINVAL);
	CHECK_ERR(cg_write(g_t, "cgroup.subtree_control", "pids"), EINVAL);
	CHECK_ERR(cg_write(g_t, "cgroup.max.depth", "abc"), EINVAL);
	CHECK_ERR(cg_write(g_t, "cgroup.max.depth", "-1"), ERANGE);
	CHECK_ERR(cg_write(g_t, "cgroup.max.descendants", "-5"), ERANGE);
	CHECK_ERR(cg_write(g_t, "cgroup.type", "bogus"), EINVAL);
	/* Read-only files open for writing (we are root) but take no write. */
	CHECK_ERR(cg_write(g_t, "cgroup.controllers", "x"), EINVAL);
	CHECK_ERR(cg_write(g_t, "cgroup.events", "x"), EINVAL);
	CHECK_STR(cg_read(g_t, "cgroup.max.depth"), "max\n");
}

static void hierarchy_limits(void)
{
	char a[1024], b[1024], c[1024];

	sub(a, "a");
	sub(b, "a/b");
	sub(c, "c");
	CHECK_OK(cg_write(g_t, "cgroup.max.depth", "1"));
	CHECK_STR(cg_read(g_t, "cgroup.max.depth"), "1\n");
	CHECK_OK(mkdir(a, 0755));
	CHECK_ERR(mkdir(b, 0755), EAGAIN);
	CHECK_OK(cg_write(g_t, "cgroup.max.depth", "max"));
	CHECK_OK(cg_write(g_t, "cgroup.max.descendants", "1"));
	CHECK_ERR(mkdir(c, 0755), EAGAIN);
	CHECK_ERR(mkdir(b, 0755), EAGAIN);
	CHECK_OK(cg_write(g_t, "cgroup.max.descendants", "max\n"));
	CHECK_OK(mkdir(b, 0755));
	CHECK_OK(rmdir(b));
	CHECK_OK(rmdir(a));
	CHECK_STR(cg_read(g_t, "cgroup.max.descendants"), "max\n");
}

/* Needs the pids controller handed to the test's cgroup: enabling it in our original
 * cgroup works where that cgroup is empty and owns pids (the sandbox; a v2 host with
 * delegation). Elsewhere the reason is printed: nothing is passed over quietly. */
static void no_internal_process_rule(void)
{
	char leaf[1024];
	pid_t kids[2];
	int status;

	if (cg_write(g_base, "cgroup.subtree_control", "+pids") < 0) {
		printf("NOTE no_internal_process_rule not checked here: enabling pids in %s "
		       "failed with %s (no pids controller on this cgroup2 hierarchy, e.g. a "
		       "cgroup v1 hybrid host, or other processes in it)\n",
		       g_base, h_errname(errno));
		CHECK(errno == ENOENT || errno == EBUSY);
		return;
	}
	CHECK(strstr(cg_read(g_t, "cgroup.controllers"), "pids") != NULL);
	/* A cgroup with processes hands no controller on. */
	CHECK_ERR(cg_write(g_t, "cgroup.subtree_control", "+pids"), EBUSY);
	sub(leaf, "leaf");
	CHECK_OK(mkdir(leaf, 0755));
	CHECK_OK(cg_move(leaf, getpid()));
	CHECK_OK(cg_write(g_t, "cgroup.subtree_control", "+pids"));
	CHECK_STR(cg_read(g_t, "cgroup.subtree_control"), "pids\n");
	/* ...and then takes no process. */
	CHECK_ERR(cg_move(g_t, getpid()), EBUSY);
	/* The parent cannot take back what a child still hands on. */
	CHECK_ERR(cg_write(g_base, "cgroup.subtree_control", "-pids"), EBUSY);
	/* pids.max: fork fails with EAGAIN past it. */
	CHECK_STR(cg_read(leaf, "pids.max"), "max\n");
	CHECK_STR(cg_read(leaf, "pids.current"), "1\n");
	CHECK_OK(cg_write(leaf, "pids.max", "2"));
	CHECK_STR(cg_read(leaf, "pids.max"), "2\n");
	kids[0] = fork();
	if (kids[0] == 0) {
		pause();
		_exit(0);
	}
	CHECK(kids[0] > 0);
	CHECK_STR(cg_read(leaf, "pids.current"), "2\n");
	errno = 0;
	kids[1] = fork();
	if (kids[1] == 0)
		_exit(0);
	CHECK_EQ(kids[1], -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK_STR(cg_read(leaf, "pids.events"), "max 1\n");
	kill(kids[0], SIGKILL);
	CHECK_EQ(waitpid(kids[0], &status, 0), kids[0]);
	CHECK_OK(cg_write(g_t, "cgroup.subtree_control", "-pids"));
	CHECK_OK(cg_move(g_t, getpid()));
	CHECK_OK(rmdir(leaf));
	CHECK_OK(cg_write(g_base, "cgroup.subtree_control", "-pids"));
	CHECK_STR(cg_read(g_base, "cgroup.subtree_control"), "");
}

static void cleanup(void)
{
	CHECK_OK(cg_move(g_base, getpid()));
	CHECK_STR(proc_cgroup(0), g_own);
	CHECK_OK(rmdir(g_t));
}

int main(void)
{
	h_begin();
	if (setup() < 0)
		return 1;
	RUN(fresh_cgroup_files);
	RUN(procs_and_proc_cgroup);
	RUN(move_between_cgroups);
	RUN(mkdir_rmdir_errors);
	RUN(write_errors);
	RUN(hierarchy_limits);
	RUN(no_internal_process_rule);
	RUN(cleanup);
	return h_end();
}
