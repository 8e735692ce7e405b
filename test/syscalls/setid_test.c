/* setid: the set*id family: privileged changes, unprivileged rules (EPERM), saved ids,
 * setfsuid's return value, setgroups. Run as root (natively and in the sandbox); the
 * unprivileged cases drop privilege in a forked child. */
#include "harness.h"

#include <grp.h>
#include <sys/fsuid.h>

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

static void res_uids(uid_t *r, uid_t *e, uid_t *s)
{
	CHECK_OK(getresuid(r, e, s));
}

static void root_setresuid_then_rules(void)
{
	uid_t r, e, s;

	CHECK_OK(setresuid(1000, 1001, 1002));
	res_uids(&r, &e, &s);
	CHECK_EQ(r, 1000);
	CHECK_EQ(e, 1001);
	CHECK_EQ(s, 1002);
	/* Unprivileged now: only the three old ids are allowed. */
	CHECK_ERR(setresuid(-1, 5, -1), EPERM);
	CHECK_OK(setresuid(-1, 1002, -1));
	CHECK_EQ(geteuid(), 1002);
	CHECK_ERR(setuid(0), EPERM);
	CHECK_OK(setuid(1000)); /* the real id: only the effective (and fs) id changes */
	res_uids(&r, &e, &s);
	CHECK_EQ(e, 1000);
	CHECK_EQ(s, 1002);
}

static void setresuid_rules(void)
{
	in_child(root_setresuid_then_rules);
}

static void root_setreuid_saved(void)
{
	uid_t r, e, s;

	CHECK_OK(setreuid(2000, 2001));
	res_uids(&r, &e, &s);
	CHECK_EQ(r, 2000);
	CHECK_EQ(e, 2001);
	CHECK_EQ(s, 2001); /* the real id was set: saved = new effective */
	CHECK_ERR(setreuid(7, -1), EPERM);
	CHECK_OK(setreuid(-1, 2000));
	res_uids(&r, &e, &s);
	CHECK_EQ(e, 2000);
}

static void setreuid_sets_saved(void)
{
	in_child(root_setreuid_saved);
}

static void root_setuid_all(void)
{
	uid_t r, e, s;

	CHECK_OK(setgid(3000));
	CHECK_EQ(getgid(), 3000);
	CHECK_EQ(getegid(), 3000);
	CHECK_OK(setuid(3000));
	res_uids(&r, &e, &s);
	CHECK_EQ(r, 3000);
	CHECK_EQ(e, 3000);
	CHECK_EQ(s, 3000);
	CHECK_ERR(setgid(0), EPERM);
	CHECK_ERR(setgroups(0, NULL), EPERM);
	/* Files created now belong to the new ids. */
	char path[64];
	snprintf(path, sizeof(path), "/tmp/setid-%d", (int)getpid());
	int fd = open(path, O_CREAT | O_WRONLY | O_EXCL, 0600);
	CHECK(fd >= 0);
	struct stat st;
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_uid, 3000);
	CHECK_EQ(st.st_gid, 3000);
	close(fd);
	unlink(path);
}

static void setuid_as_root_sets_all(void)
{
	in_child(root_setuid_all);
}

static void setfsuid_returns_old_value(void)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		int old = setfsuid(4000);
		int again = setfsuid(4000);
		_exit(old == 0 && again == 4000 ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static void setgroups_round_trip(void)
{
	gid_t in[3] = {10, 20, 30}, out[8];

	pid_t pid = fork();
	int st;
	if (pid == 0) {
		if (setgroups(3, in) != 0)
			_exit(1);
		if (getgroups(8, out) != 3 || out[1] != 20)
			_exit(2);
		if (getgroups(0, NULL) != 3)
			_exit(3);
		if (getgroups(1, out) != -1 || errno != EINVAL)
			_exit(4);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK_ERR(setgroups(-1, in), EINVAL);
	CHECK_ERR(setuid(-1), EINVAL);
}

int main(void)
{
	h_begin();
	if (geteuid() != 0) {
		printf("setid_test: must run as root\n");
		return 1;
	}
	RUN(setresuid_rules);
	RUN(setreuid_sets_saved);
	RUN(setuid_as_root_sets_all);
	RUN(setfsuid_returns_old_value);
	RUN(setgroups_round_trip);
	return h_end();
}
