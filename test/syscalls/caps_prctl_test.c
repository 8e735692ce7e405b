/* prctl process attributes: CHILD_SUBREAPER reparenting, PDEATHSIG on the parent's exit,
 * and their queries. Each scenario runs in a child that is not init, so reparenting to
 * the subreaper is told apart from reparenting to init. */
#include "harness.h"

#include <signal.h>
#include <sys/prctl.h>

/* In the subreaper S: a middle child forks a grandchild and exits; the grandchild must
 * then have S as its parent, and S can wait for it. */
static int subreaper_scenario(void)
{
	int p[2], subreaper = -1, status;
	pid_t mid, g = -1, ppid = -1;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || prctl(PR_GET_CHILD_SUBREAPER, &subreaper) < 0 ||
	    subreaper != 1 || pipe(p) < 0)
		return 2;
	mid = fork();
	if (mid == 0) {
		pid_t self = getpid(), gc = fork();
		if (gc == 0) {
			for (int i = 0; i < 5000 && getppid() == self; i++)
				usleep(1000);
			pid_t pp = getppid();
			_exit(write(p[1], &pp, sizeof(pp)) == sizeof(pp) ? 7 : 2);
		}
		_exit(write(p[1], &gc, sizeof(gc)) == sizeof(gc) ? 0 : 2);
	}
	if (waitpid(mid, &status, 0) != mid || read(p[0], &g, sizeof(g)) != sizeof(g))
		return 3;
	if (read(p[0], &ppid, sizeof(ppid)) != sizeof(ppid) || ppid != getpid())
		return 4;
	if (waitpid(g, &status, 0) != g || !WIFEXITED(status) || WEXITSTATUS(status) != 7)
		return 5;
	return 0;
}

/* In the subreaper S: a middle child forks a child that sets PDEATHSIG=SIGTERM; when
 * the middle one exits the child dies of SIGTERM (S, its new parent, sees it). */
static int pdeathsig_scenario(void)
{
	int p[2], q[2], status, sig = -1;
	pid_t mid, child = -1;
	char c;

	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0 || pipe(p) < 0 || pipe(q) < 0)
		return 2;
	mid = fork();
	if (mid == 0) {
		pid_t ch = fork();
		if (ch == 0) {
			if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0 ||
			    prctl(PR_GET_PDEATHSIG, &sig) < 0 || sig != SIGTERM)
				_exit(3);
			if (write(q[1], "r", 1) != 1)
				_exit(4);
			for (int i = 0; i < 5000; i++)
				usleep(1000);
			_exit(5); /* no signal came */
		}
		if (write(p[1], &ch, sizeof(ch)) != sizeof(ch) || read(q[0], &c, 1) != 1)
			_exit(2);
		_exit(0);
	}
	if (waitpid(mid, &status, 0) != mid || read(p[0], &child, sizeof(child)) != sizeof(child))
		return 3;
	if (waitpid(child, &status, 0) != child)
		return 4;
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? 0 : 5;
}

static int in_child(int (*fn)(void))
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void subreaper_adopts_orphans(void)
{
	CHECK_EQ(in_child(subreaper_scenario), 0);
}

static void pdeathsig_fires_when_parent_exits(void)
{
	CHECK_EQ(in_child(pdeathsig_scenario), 0);
}

static void queries_and_errors(void)
{
	int sig = -1;

	CHECK_OK(prctl(PR_SET_PDEATHSIG, 0));
	CHECK_OK(prctl(PR_GET_PDEATHSIG, &sig));
	CHECK_EQ(sig, 0);
	CHECK_ERR(prctl(PR_SET_PDEATHSIG, 65), EINVAL);
	CHECK_ERR(prctl(PR_GET_PDEATHSIG, 1L), EFAULT);
	CHECK_OK(prctl(PR_GET_CHILD_SUBREAPER, &sig));
	CHECK_EQ(sig, 0);
}

static void timerslack_and_tid_address(void)
{
	long v0 = prctl(PR_GET_TIMERSLACK);
	unsigned long long addr = 0, orig;

	CHECK(v0 > 0);
	CHECK_OK(prctl(PR_SET_TIMERSLACK, 12345));
	CHECK_EQ(prctl(PR_GET_TIMERSLACK), 12345);
	CHECK_OK(prctl(PR_SET_TIMERSLACK, 0));
	CHECK_EQ(prctl(PR_GET_TIMERSLACK), v0);
	/* glibc registered the thread's tid word with set_tid_address at start-up. */
	CHECK_OK(prctl(PR_GET_TID_ADDRESS, &addr));
	CHECK(addr != 0);
	orig = addr;
	CHECK_OK(syscall(SYS_set_tid_address, (void *)0x1000));
	CHECK_OK(prctl(PR_GET_TID_ADDRESS, &addr));
	CHECK_EQ(addr, 0x1000);
	syscall(SYS_set_tid_address, (void *)orig);
}

int main(void)
{
	h_begin();
	RUN(subreaper_adopts_orphans);
	RUN(pdeathsig_fires_when_parent_exits);
	RUN(queries_and_errors);
	RUN(timerslack_and_tid_address);
	return h_end();
}
