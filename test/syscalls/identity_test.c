/* getpid/getppid/gettid/getuid/getgid/set_tid_address: Linux invariants, not host values. */
#include "harness.h"

static void pids_are_positive_and_stable(void)
{
	CHECK(getpid() > 0);
	/* A namespace's init (pid 1) sees parent 0; anyone else a positive one. */
	CHECK(getpid() == 1 ? getppid() == 0 : getppid() > 0);
	CHECK(getppid() != getpid());
	CHECK_EQ(getpid(), getpid());
}

static void main_thread_tid_equals_pid(void)
{
	CHECK_EQ(gettid(), getpid());
	CHECK_EQ(syscall(SYS_gettid), syscall(SYS_getpid));
}

static void set_tid_address_returns_tid(void)
{
	static int word;

	CHECK_EQ(syscall(SYS_set_tid_address, &word), gettid());
}

static void child_ids_relate_to_parent(void)
{
	int p[2];
	pid_t ids[3] = { 0 };
	pid_t pid;

	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		pid_t mine[3] = { getpid(), gettid(), getppid() };

		_exit(write(p[1], mine, sizeof(mine)) == sizeof(mine) ? 0 : 1);
	}
	CHECK_EQ(read(p[0], ids, sizeof(ids)), sizeof(ids));
	CHECK_EQ(ids[0], pid);
	CHECK_EQ(ids[1], pid);
	CHECK_EQ(ids[2], getpid());
	CHECK_EQ(h_wait(pid), 0);
	close(p[0]);
	close(p[1]);
}

static void credentials_are_consistent(void)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;

	CHECK_EQ(getuid(), geteuid());
	CHECK_EQ(getgid(), getegid());
	CHECK_OK(getresuid(&r, &e, &s));
	CHECK_EQ(r, getuid());
	CHECK_EQ(e, geteuid());
	CHECK_EQ(s, geteuid());
	CHECK_OK(getresgid(&gr, &ge, &gs));
	CHECK_EQ(gr, getgid());
	CHECK_EQ(ge, getegid());
}

static void child_inherits_credentials(void)
{
	uid_t uid = getuid();
	gid_t gid = getgid();
	pid_t pid = fork();

	if (pid == 0)
		_exit(getuid() == uid && getgid() == gid ? 0 : 1);
	CHECK_EQ(h_wait(pid), 0);
}

int main(void)
{
	h_begin();
	RUN(pids_are_positive_and_stable);
	RUN(main_thread_tid_equals_pid);
	RUN(set_tid_address_returns_tid);
	RUN(child_ids_relate_to_parent);
	RUN(credentials_are_consistent);
	RUN(child_inherits_credentials);
	return h_end();
}
