/* PR_GET_DUMPABLE / PR_SET_DUMPABLE: a process starts dumpable, a fork inherits the flag,
 * execve makes the new image dumpable again, and changing effective ids clears it (as
 * Linux's commit_creds with the default suid_dumpable of 0). A process that is not
 * dumpable refuses process_vm_readv to others with its ids but no CAP_SYS_PTRACE, and
 * its /proc/PID files belong to root (Linux: task_dump_owner); running a binary the
 * caller cannot read leaves the new image not dumpable (would_dump). */
#include "harness.h"

#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/uio.h>

static char g_self[PATH_MAX];

static int get_dumpable(void)
{
	return prctl(PR_GET_DUMPABLE);
}

static void starts_dumpable(void)
{
	CHECK_EQ(prctl(PR_GET_DUMPABLE), 1);
	CHECK_EQ(h_child_code(get_dumpable), 1);
}

static void set_and_errors(void)
{
	CHECK_ERR(prctl(PR_SET_DUMPABLE, 2), EINVAL);
	CHECK_EQ(prctl(PR_SET_DUMPABLE, 0), 0);
	CHECK_EQ(prctl(PR_GET_DUMPABLE), 0);
	CHECK_EQ(h_child_code(get_dumpable), 0); /* a fork inherits it */
	CHECK_EQ(prctl(PR_SET_DUMPABLE, 1), 0);
	CHECK_EQ(prctl(PR_GET_DUMPABLE), 1);
}

static int exec_resets(void)
{
	if (prctl(PR_SET_DUMPABLE, 0) != 0)
		return 90;
	execl(g_self, g_self, "report", (char *)NULL);
	return 91;
}

static void exec_makes_dumpable(void)
{
	CHECK_EQ(h_child_code(exec_resets), 1);
}

static int setuid_same(void)
{
	/* Root setting its ids to what they are already changes nothing. */
	if (setresuid(0, 0, 0) || setresgid(0, 0, 0))
		return 90;
	return prctl(PR_GET_DUMPABLE);
}

static int setgid_other(void)
{
	if (setresgid(1000, 1000, 1000))
		return 90;
	return prctl(PR_GET_DUMPABLE);
}

static int setfsuid_other(void)
{
	setfsuid(1000);
	return prctl(PR_GET_DUMPABLE);
}

static int setuid_other(void)
{
	if (setresuid(1000, 1000, 1000))
		return 90;
	return prctl(PR_GET_DUMPABLE);
}

static void id_changes_clear_it(void)
{
	CHECK_EQ(h_child_code(setuid_same), 1);
	CHECK_EQ(h_child_code(setgid_other), 0);
	CHECK_EQ(h_child_code(setfsuid_other), 0);
	CHECK_EQ(h_child_code(setuid_other), 0);
}

/* Two processes of uid 1000 without capabilities: the reader may read a dumpable
 * peer's memory, not one that made itself non-dumpable. */
static int g_secret = 0x5eC12e7;

static int peer_read(int dumpable)
{
	int p[2], q[2], val = 0;
	char c = 0;
	pid_t peer;

	if (pipe(p) || pipe(q))
		return 90;
	peer = fork();
	if (peer == 0) {
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000) ||
		    prctl(PR_SET_DUMPABLE, dumpable))
			_exit(1);
		if (write(p[1], "r", 1) != 1 || read(q[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000) ||
	    prctl(PR_SET_DUMPABLE, 1) || read(p[0], &c, 1) != 1)
		return 91;
	struct iovec local = {&val, sizeof(val)}, remote = {&g_secret, sizeof(g_secret)};
	ssize_t n = process_vm_readv(peer, &local, 1, &remote, 1, 0);
	int err = errno;
	if (write(q[1], "x", 1) != 1 || waitpid(peer, NULL, 0) != peer)
		return 92;
	if (n == sizeof(val))
		return val == g_secret ? 0 : 93;
	return err == EPERM ? 1 : 94;
}

static int read_dumpable_peer(void)
{
	return peer_read(1);
}

static int read_undumpable_peer(void)
{
	return peer_read(0);
}

static void undumpable_refuses_peers(void)
{
	CHECK_EQ(h_child_code(read_dumpable_peer), 0);
	CHECK_EQ(h_child_code(read_undumpable_peer), 1);
}

/* The owner of /proc/PID/name (lstat), as "uid:gid". */
static const char *proc_owner(pid_t pid, const char *name)
{
	static char buf[4][32];
	static int next;
	char path[64];
	struct stat st;
	char *b = buf[next++ % 4];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, name);
	if (lstat(path, &st))
		snprintf(b, 32, "%s", h_errname(errno));
	else
		snprintf(b, 32, "%u:%u", st.st_uid, st.st_gid);
	return b;
}

static const char *fd_owner(int fd)
{
	static char b[32];
	struct stat st;

	if (fstat(fd, &st))
		return h_errname(errno);
	snprintf(b, sizeof(b), "%u:%u", st.st_uid, st.st_gid);
	return b;
}

/* A uid 1000 child, not dumpable after its id change, then dumpable again. */
static void proc_files_follow_dumpable(void)
{
	int p[2], q[2], fd, dfd;
	char c = 0, task[32], path[64];
	pid_t pid;

	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(pipe(q), 0);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000) ||
		    write(p[1], "n", 1) != 1 || read(q[0], &c, 1) != 1 ||
		    prctl(PR_SET_DUMPABLE, 1) || write(p[1], "y", 1) != 1 ||
		    read(q[0], &c, 1) != 1)
			_exit(1);
		_exit(0);
	}
	CHECK_EQ(read(p[0], &c, 1), 1);
	snprintf(task, sizeof(task), "task/%d", pid);
	CHECK_STR(proc_owner(pid, ""), "1000:1000"); /* ps stats it for the euid */
	CHECK_STR(proc_owner(pid, task), "1000:1000");
	CHECK_STR(proc_owner(pid, "status"), "0:0");
	CHECK_STR(proc_owner(pid, "fd"), "0:0");
	CHECK_STR(proc_owner(pid, "exe"), "0:0");
	CHECK_STR(proc_owner(pid, "task"), "1000:1000");
	CHECK_STR(proc_owner(pid, "ns"), "0:0");
	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_STR(fd_owner(fd), "0:0");
	snprintf(path, sizeof(path), "/proc/%d/fd", pid);
	dfd = open(path, O_RDONLY | O_DIRECTORY);
	CHECK(dfd >= 0);
	CHECK_STR(fd_owner(dfd), "0:0");
	CHECK_EQ(write(q[1], "x", 1), 1);
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_EQ(c, 'y');
	CHECK_STR(proc_owner(pid, "status"), "1000:1000");
	CHECK_STR(proc_owner(pid, "fd"), "1000:1000");
	CHECK_STR(proc_owner(pid, "exe"), "1000:1000");
	CHECK_STR(proc_owner(pid, task), "1000:1000");
	/* As on Linux, an open directory is stat'ed afresh, an open file keeps the owner
	 * of its lookup. */
	CHECK_STR(fd_owner(dfd), "1000:1000");
	CHECK_STR(fd_owner(fd), "0:0");
	close(fd);
	close(dfd);
	CHECK_EQ(write(q[1], "x", 1), 1);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
}

/* A zombie's nodes belong to root as well, except /proc/PID itself. */
static void zombie_files_owned_by_root(void)
{
	siginfo_t si;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000) ||
		    prctl(PR_SET_DUMPABLE, 1))
			_exit(1);
		_exit(0);
	}
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	CHECK_EQ(si.si_status, 0);
	CHECK_STR(proc_owner(pid, ""), "1000:1000");
	CHECK_STR(proc_owner(pid, "status"), "0:0");
	CHECK_STR(proc_owner(pid, "fd"), "0:0");
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
}

/* Copy this program to path with mode. */
static int copy_self(const char *path, mode_t mode)
{
	char buf[65536];
	int in = open(g_self, O_RDONLY), out = open(path, O_WRONLY | O_CREAT | O_EXCL, mode);
	ssize_t n;

	while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			n = -1;
	if (in < 0 || out < 0 || close(out) || fchmodat(AT_FDCWD, path, mode, 0))
		return -1;
	close(in);
	return 0;
}

static const char *g_run;

static int run_as_user(void)
{
	if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		return 90;
	execl(g_run, g_run, "report", (char *)NULL);
	return 91;
}

static void unreadable_binary_not_dumpable(void)
{
	CHECK_EQ(chmod(h_path(""), 0755), 0);
	CHECK_EQ(copy_self(h_path("readable"), 0755), 0);
	CHECK_EQ(copy_self(h_path("exec_only"), 0711), 0);
	g_run = h_path("readable");
	CHECK_EQ(h_child_code(run_as_user), 1);
	g_run = h_path("exec_only");
	CHECK_EQ(h_child_code(run_as_user), 0);
	g_run = h_path("exec_only"); /* root reads anything: dumpable */
	CHECK_EQ(h_child_code(exec_resets), 1);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "report"))
		return prctl(PR_GET_DUMPABLE);
	h_begin();
	h_setup_tmpdir();
	if (!realpath("/proc/self/exe", g_self))
		strcpy(g_self, argv[0]);
	RUN(starts_dumpable);
	RUN(set_and_errors);
	RUN(exec_makes_dumpable);
	RUN(id_changes_clear_it);
	RUN(undumpable_refuses_peers);
	RUN(proc_files_follow_dumpable);
	RUN(zombie_files_owned_by_root);
	RUN(unreadable_binary_not_dumpable);
	return h_end();
}
