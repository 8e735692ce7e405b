/* chroot: the root of path walks (absolute paths, "..", absolute symlinks) per fs context
 * (shared under CLONE_FS), /proc/PID/root, getcwd's "(unreachable)", and the errnos. Each
 * case chroots in a child so the runner keeps its root. */
#include "harness.h"

#include <sched.h>
#include <signal.h>

static char g_start[PATH_MAX];

static void exit_with_result(void)
{
	_exit(g_case_fails ? 1 : 0);
}

static void check_child(void (*fn)(void))
{
	int st = h_in_child(fn);

	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static void walks_stop_at_new_root_child(void)
{
	char buf[PATH_MAX + 32], want[PATH_MAX + 32];
	struct stat root, dotdot, f;

	CHECK_OK(chroot(g_tmpdir));
	/* The cwd stays outside the new root (glibc's getcwd turns that into ENOENT). */
	CHECK_EQ(syscall(SYS_getcwd, buf, sizeof(buf)), strlen(g_start) + 14);
	snprintf(want, sizeof(want), "(unreachable)%s", g_start);
	CHECK_STR(buf, want);
	CHECK_OK(chdir("/"));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_STR(buf, "/");
	CHECK_OK(stat("/", &root));
	CHECK_OK(stat("/..", &dotdot));
	CHECK_EQ(root.st_ino, dotdot.st_ino);
	CHECK_OK(stat("/../../inside", &f));
	CHECK_EQ(f.st_size, 6);
	CHECK_OK(stat("sub/../../../inside", &f));
	CHECK_OK(stat("/abs-link", &f)); /* -> /inside, resolved in the new root */
	CHECK_EQ(f.st_size, 6);
	CHECK_OK(chdir("sub"));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_STR(buf, "/sub");
	CHECK_ERR(stat(g_start, &f), ENOENT);
	exit_with_result();
}

static void walks_stop_at_new_root(void)
{
	h_make_file("inside", "inside");
	CHECK_OK(mkdir(h_path("sub"), 0755));
	CHECK_OK(symlink("/inside", h_path("abs-link")));
	check_child(walks_stop_at_new_root_child);
}

/* /proc/PID/root of a chrooted process names its root as the reader sees it. */
static void proc_root_shows_it(void)
{
	int go[2], done[2];
	char path[64], buf[PATH_MAX];
	ssize_t n;
	pid_t pid;

	CHECK_OK(pipe(go));
	CHECK_OK(pipe(done));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char c = chroot(g_tmpdir) == 0 ? 'y' : 'n';

		if (write(go[1], &c, 1) != 1 || read(done[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	CHECK_EQ(read(go[0], buf, 1), 1);
	CHECK_EQ(buf[0], 'y');
	snprintf(path, sizeof(path), "/proc/%d/root", pid);
	n = readlink(path, buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, g_tmpdir);
	n = readlink("/proc/self/root", buf, sizeof(buf) - 1);
	CHECK_EQ(n, 1);
	CHECK_EQ(write(done[1], "x", 1), 1);
	CHECK_EQ(h_wait(pid), 0);
	close(go[0]);
	close(go[1]);
	close(done[0]);
	close(done[1]);
}

static char g_stack[65536] __attribute__((aligned(16)));

static int chroot_fn(void *arg)
{
	return chroot(g_tmpdir) == 0 ? 0 : 1;
}

/* A CLONE_FS child's chroot changes its parent's root too; without it, only its own. */
static void clone_fs_shares_root_child(void)
{
	struct stat st, tmp;
	pid_t pid;

	CHECK_OK(stat(g_tmpdir, &tmp));
	pid = clone(chroot_fn, g_stack + sizeof(g_stack), SIGCHLD, NULL);
	CHECK(pid > 0);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(stat("/", &st));
	CHECK(st.st_ino != tmp.st_ino);
	pid = clone(chroot_fn, g_stack + sizeof(g_stack), CLONE_FS | SIGCHLD, NULL);
	CHECK(pid > 0);
	CHECK_EQ(h_wait(pid), 0);
	CHECK_OK(stat("/", &st));
	CHECK_EQ(st.st_ino, tmp.st_ino);
	CHECK_EQ(st.st_dev, tmp.st_dev);
	exit_with_result();
}

static void clone_fs_shares_root(void)
{
	check_child(clone_fs_shares_root_child);
}

static void unprivileged_child(void)
{
	if (setgid(65534) < 0 || setuid(65534) < 0)
		_exit(3);
	CHECK_ERR(chroot(h_path("closed")), EACCES); /* search permission comes first */
	CHECK_ERR(chroot(h_path("open")), EPERM);    /* then CAP_SYS_CHROOT */
	exit_with_result();
}

static void errors(void)
{
	h_make_file("file", "x");
	CHECK_ERR(chroot(h_path("missing")), ENOENT);
	CHECK_ERR(chroot(h_path("file")), ENOTDIR);
	CHECK_ERR(chroot(h_path("file/x")), ENOTDIR);
	CHECK_ERR(chroot(""), ENOENT);
	CHECK_ERR(chroot((const char *)8), EFAULT);
	CHECK_OK(mkdir(h_path("closed"), 0700));
	CHECK_OK(mkdir(h_path("open"), 0755));
	CHECK_OK(chmod(g_tmpdir, 0755));
	check_child(unprivileged_child);
	CHECK_OK(chmod(g_tmpdir, 0700));
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	if (!getcwd(g_start, sizeof(g_start)))
		return 2;
	RUN(walks_stop_at_new_root);
	RUN(proc_root_shows_it);
	RUN(clone_fs_shares_root);
	RUN(errors);
	return h_end();
}
