/* chown: chown, fchown, lchown and fchownat: owner and group changes, -1 for "unchanged",
 * the set-user-ID and set-group-ID bits a change drops, symlinks, bad flags and fds, and
 * the rules for a caller without CAP_CHOWN (EPERM). Run as root; the unprivileged cases
 * drop privilege in a forked child. */
#include "harness.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/prctl.h>

static void in_child(void (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		fn();
		_exit(h_end() == 0 ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static void owner_of(const char *p, uid_t *uid, gid_t *gid)
{
	struct stat st;

	*uid = (uid_t)-2;
	*gid = (gid_t)-2;
	if (CHECK_OK(lstat(p, &st)) == 0) {
		*uid = st.st_uid;
		*gid = st.st_gid;
	}
}

static unsigned mode_of(const char *p)
{
	struct stat st;

	if (stat(p, &st) < 0)
		return 0xffff;
	return st.st_mode & 07777;
}

static void root_changes_owner_and_group(void)
{
	const char *p = h_make_file("own", "x");
	uid_t u;
	gid_t g;

	CHECK_OK(chown(p, 1000, 2000));
	owner_of(p, &u, &g);
	CHECK_EQ(u, 1000);
	CHECK_EQ(g, 2000);
	/* -1 leaves that id alone. */
	CHECK_OK(chown(p, -1, 2001));
	owner_of(p, &u, &g);
	CHECK_EQ(u, 1000);
	CHECK_EQ(g, 2001);
	CHECK_OK(chown(p, 1001, -1));
	owner_of(p, &u, &g);
	CHECK_EQ(u, 1001);
	CHECK_EQ(g, 2001);
	CHECK_OK(chown(p, -1, -1));
	owner_of(p, &u, &g);
	CHECK_EQ(u, 1001);
	CHECK_EQ(g, 2001);
	CHECK_ERR(chown(h_path("missing"), 0, 0), ENOENT);
	CHECK_ERR(chown(h_path("own/x"), 0, 0), ENOTDIR);
}

static void chown_updates_ctime(void)
{
	const char *p = h_make_file("ctime", "x");
	struct stat a, b;
	struct timespec ts = {0, 20 * 1000 * 1000};

	CHECK_OK(stat(p, &a));
	nanosleep(&ts, NULL);
	CHECK_OK(chown(p, 5, 5));
	CHECK_OK(stat(p, &b));
	CHECK(b.st_ctim.tv_sec > a.st_ctim.tv_sec ||
	      (b.st_ctim.tv_sec == a.st_ctim.tv_sec && b.st_ctim.tv_nsec > a.st_ctim.tv_nsec));
}

static void fchown_and_fchownat(void)
{
	const char *p = h_make_file("f", "x");
	int fd = (int)CHECK_OK(open(p, O_RDONLY));
	int dfd = (int)CHECK_OK(open(g_tmpdir, O_RDONLY | O_DIRECTORY));
	int pfd = (int)CHECK_OK(open(p, O_PATH));
	uid_t u;
	gid_t g;

	/* A read-only descriptor is enough: chown needs ownership, not write access. */
	CHECK_OK(fchown(fd, 10, 20));
	owner_of(p, &u, &g);
	CHECK_EQ(u, 10);
	CHECK_EQ(g, 20);
	CHECK_OK(fchownat(dfd, "f", 11, 21, 0));
	owner_of(p, &u, &g);
	CHECK_EQ(u, 11);
	CHECK_EQ(g, 21);
	CHECK_OK(fchownat(pfd, "", 12, -1, AT_EMPTY_PATH));
	owner_of(p, &u, &g);
	CHECK_EQ(u, 12);
	CHECK_EQ(g, 21);
	CHECK_ERR(fchownat(dfd, "f", 0, 0, 0x4000000), EINVAL);
	CHECK_ERR(fchownat(pfd, "", 0, 0, 0), ENOENT);
	CHECK_ERR(fchown(pfd, 0, 0), EBADF);
	CHECK_ERR(fchown(9999, 0, 0), EBADF);
	CHECK_ERR(fchown(-1, 0, 0), EBADF);
	CHECK_ERR(fchownat(fd, "f", 0, 0, 0), ENOTDIR);
	close(pfd);
	close(dfd);
	close(fd);
}

static void lchown_changes_the_link(void)
{
	const char *t = h_make_file("target", "x");
	const char *l = h_path("link");
	uid_t u;
	gid_t g;

	CHECK_OK(symlink("target", l));
	CHECK_OK(lchown(l, 30, 40));
	owner_of(l, &u, &g);
	CHECK_EQ(u, 30);
	CHECK_EQ(g, 40);
	owner_of(t, &u, &g);
	CHECK_EQ(u, 0);
	/* chown follows the link to its target. */
	CHECK_OK(chown(l, 50, 60));
	owner_of(t, &u, &g);
	CHECK_EQ(u, 50);
	CHECK_EQ(g, 60);
	owner_of(l, &u, &g);
	CHECK_EQ(u, 30);
	CHECK_OK(fchownat(AT_FDCWD, l, 31, 41, AT_SYMLINK_NOFOLLOW));
	owner_of(l, &u, &g);
	CHECK_EQ(u, 31);
	CHECK_EQ(g, 41);
	owner_of(t, &u, &g);
	CHECK_EQ(u, 50);
}

static void chown_clears_setid_bits(void)
{
	const char *p = h_make_file("suid", "x");
	const char *q = h_make_file("sgid_noexec", "x");
	const char *d = h_path("sdir");

	/* Set-user-ID always goes; set-group-ID goes with a group-executable file. */
	CHECK_OK(chmod(p, 06755));
	CHECK_OK(chown(p, 1000, 1000));
	CHECK_EQ(mode_of(p), 0755);
	CHECK_OK(chmod(p, 04755));
	CHECK_OK(chown(p, -1, 1001));
	CHECK_EQ(mode_of(p), 0755);
	/* Even a chown to the same owner drops it. */
	CHECK_OK(chmod(p, 04755));
	CHECK_OK(chown(p, 1000, -1));
	CHECK_EQ(mode_of(p), 0755);
	/* And so does a chown that changes nothing at all. */
	CHECK_OK(chmod(p, 06755));
	CHECK_OK(chown(p, -1, -1));
	CHECK_EQ(mode_of(p), 0755);
	/* Set-group-ID without group execute marks mandatory locking: kept for root. */
	CHECK_OK(chmod(q, 02744));
	CHECK_OK(chown(q, 1000, 1000));
	CHECK_EQ(mode_of(q), 02744);
	/* Directories keep theirs. */
	CHECK_OK(mkdir(d, 0755));
	CHECK_OK(chmod(d, 06755));
	CHECK_OK(chown(d, 1000, 1000));
	CHECK_EQ(mode_of(d), 06755);
}

/* Paths the unprivileged child uses, made by the parent. */
static char g_mine[PATH_MAX], g_roots[PATH_MAX];

static void as_user_rules(void)
{
	gid_t groups[] = {3000};
	uid_t u;
	gid_t g;

	if (setgroups(1, groups) < 0 || setresgid(2000, 2000, 2000) < 0 ||
	    setresuid(1000, 1000, 1000) < 0) {
		CHECK(!"drop privilege");
		return;
	}
	/* Not the owner: no change of owner or group. */
	CHECK_ERR(chown(g_roots, 1000, -1), EPERM);
	CHECK_ERR(chown(g_roots, -1, 2000), EPERM);
	CHECK_ERR(lchown(g_roots, 1000, 2000), EPERM);
	/* Changing nothing needs no ownership. */
	CHECK_OK(chown(g_roots, -1, -1));
	owner_of(g_roots, &u, &g);
	CHECK_EQ(u, 0);
	/* The owner may not give the file away... */
	CHECK_ERR(chown(g_mine, 1001, -1), EPERM);
	CHECK_ERR(chown(g_mine, 0, -1), EPERM);
	/* ...nor move it to a group it is not in... */
	CHECK_ERR(chown(g_mine, -1, 4000), EPERM);
	/* ...but may "change" to itself and to its own groups. */
	CHECK_OK(chown(g_mine, 1000, -1));
	CHECK_OK(chown(g_mine, -1, 3000));
	owner_of(g_mine, &u, &g);
	CHECK_EQ(u, 1000);
	CHECK_EQ(g, 3000);
	CHECK_OK(chown(g_mine, 1000, 2000));
	owner_of(g_mine, &u, &g);
	CHECK_EQ(g, 2000);
	/* The owner's change drops the set-id bits too. */
	CHECK_OK(chmod(g_mine, 06755));
	CHECK_OK(chown(g_mine, -1, 3000));
	CHECK_EQ(mode_of(g_mine), 0755);
}

static void unprivileged_rules(void)
{
	int fd;

	snprintf(g_mine, sizeof(g_mine), "%s", h_make_file("mine", "x"));
	snprintf(g_roots, sizeof(g_roots), "%s", h_make_file("roots", "x"));
	CHECK_OK(chown(g_mine, 1000, 2000));
	CHECK_OK(chmod(g_tmpdir, 0755));
	fd = open(g_roots, O_RDONLY);
	in_child(as_user_rules);
	close(fd);
}

static int cap_drop(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[cap / 32].effective &= ~(1u << (cap % 32));
	return (int)syscall(SYS_capset, &h, d);
}

static void root_without_cap_chown(void)
{
	const char *p = h_path("capless");

	if (cap_drop(CAP_CHOWN) < 0) {
		CHECK(!"capset");
		return;
	}
	/* Root without CAP_CHOWN is an ordinary owner: it may not give a file away. */
	CHECK_ERR(chown(p, 1000, -1), EPERM);
	CHECK_ERR(chown(p, -1, 4000), EPERM);
	CHECK_OK(chown(p, 0, 0));
}

static void no_cap_chown(void)
{
	h_make_file("capless", "x");
	in_child(root_without_cap_chown);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(root_changes_owner_and_group);
	RUN(chown_updates_ctime);
	RUN(fchown_and_fchownat);
	RUN(lchown_changes_the_link);
	RUN(chown_clears_setid_bits);
	RUN(unprivileged_rules);
	RUN(no_cap_chown);
	return h_end();
}
