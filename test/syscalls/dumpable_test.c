/* PR_GET_DUMPABLE / PR_SET_DUMPABLE: a process starts dumpable, a fork inherits the flag,
 * execve makes the new image dumpable again, and changing effective ids clears it (as
 * Linux's commit_creds with the default suid_dumpable of 0). A process that is not
 * dumpable refuses process_vm_readv to others with its ids but no CAP_SYS_PTRACE. */
#include "harness.h"

#include <linux/capability.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/uio.h>

static char g_self[PATH_MAX];

/* Run fn in a child; return its exit code (or -1). */
static int child_code(int (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static int get_dumpable(void)
{
	return prctl(PR_GET_DUMPABLE);
}

static void starts_dumpable(void)
{
	CHECK_EQ(prctl(PR_GET_DUMPABLE), 1);
	CHECK_EQ(child_code(get_dumpable), 1);
}

static void set_and_errors(void)
{
	CHECK_ERR(prctl(PR_SET_DUMPABLE, 2), EINVAL);
	CHECK_EQ(prctl(PR_SET_DUMPABLE, 0), 0);
	CHECK_EQ(prctl(PR_GET_DUMPABLE), 0);
	CHECK_EQ(child_code(get_dumpable), 0); /* a fork inherits it */
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
	CHECK_EQ(child_code(exec_resets), 1);
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
	CHECK_EQ(child_code(setuid_same), 1);
	CHECK_EQ(child_code(setgid_other), 0);
	CHECK_EQ(child_code(setfsuid_other), 0);
	CHECK_EQ(child_code(setuid_other), 0);
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
	CHECK_EQ(child_code(read_dumpable_peer), 0);
	CHECK_EQ(child_code(read_undumpable_peer), 1);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "report"))
		return prctl(PR_GET_DUMPABLE);
	h_begin();
	if (!realpath("/proc/self/exe", g_self))
		strcpy(g_self, argv[0]);
	RUN(starts_dumpable);
	RUN(set_and_errors);
	RUN(exec_makes_dumpable);
	RUN(id_changes_clear_it);
	RUN(undumpable_refuses_peers);
	return h_end();
}
