/* jobctl: stop and continue signals, wait4 WUNTRACED/WCONTINUED, waitid WSTOPPED,
 * SIGCHLD codes, a stopped process resuming a blocking read, SIGKILL of a stopped one. */
#include "harness.h"

static pid_t spawn_pauser(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void sigstop_and_sigcont_are_reported_to_wait4(void)
{
	pid_t pid = spawn_pauser();
	int st;

	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_EQ(WSTOPSIG(st), SIGSTOP);
	/* Reported once. */
	CHECK_EQ(waitpid(pid, &st, WUNTRACED | WNOHANG), 0);
	CHECK_OK(kill(pid, SIGCONT));
	CHECK_EQ(waitpid(pid, &st, WCONTINUED), pid);
	CHECK(WIFCONTINUED(st));
	CHECK_OK(kill(pid, SIGKILL));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGKILL);
}

static void waitid_reports_stops_with_cld_codes(void)
{
	pid_t pid = spawn_pauser();
	siginfo_t info;

	/* SIGSTOP: SIGTSTP would depend on whether our process group is orphaned. */
	CHECK_OK(kill(pid, SIGSTOP));
	memset(&info, 0, sizeof(info));
	CHECK_OK(waitid(P_PID, pid, &info, WSTOPPED));
	CHECK_EQ(info.si_pid, pid);
	CHECK_EQ(info.si_code, CLD_STOPPED);
	CHECK_EQ(info.si_status, SIGSTOP);
	CHECK_OK(kill(pid, SIGCONT));
	memset(&info, 0, sizeof(info));
	CHECK_OK(waitid(P_PID, pid, &info, WCONTINUED));
	CHECK_EQ(info.si_code, CLD_CONTINUED);
	CHECK_EQ(info.si_status, SIGCONT);
	kill(pid, SIGKILL);
	CHECK_OK(waitid(P_PID, pid, &info, WEXITED));
	CHECK_EQ(info.si_code, CLD_KILLED);
}

static void sigchld_carries_stop_and_continue_codes(void)
{
	sigset_t set, old;
	siginfo_t info;
	struct timespec ts = {5, 0};
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = spawn_pauser();
	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_EQ(sigtimedwait(&set, &info, &ts), SIGCHLD);
	CHECK_EQ(info.si_code, CLD_STOPPED);
	CHECK_EQ(info.si_pid, pid);
	CHECK_OK(kill(pid, SIGCONT));
	CHECK_EQ(sigtimedwait(&set, &info, &ts), SIGCHLD);
	CHECK_EQ(info.si_code, CLD_CONTINUED);
	kill(pid, SIGKILL);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	while (sigtimedwait(&set, &info, &(struct timespec){0, 0}) > 0)
		;
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void stopped_reader_resumes_its_read(void)
{
	int p[2], st;
	char c = 0;
	pid_t pid;

	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		ssize_t n = read(p[0], &c, 1);
		_exit(n == 1 && c == 'z' ? 0 : 1);
	}
	close(p[0]);
	usleep(20000);
	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	CHECK_OK(kill(pid, SIGCONT));
	CHECK_EQ(write(p[1], "z", 1), 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	close(p[1]);
}

static volatile sig_atomic_t g_tstp;

static void on_tstp(int sig)
{
	g_tstp = 1;
}

static void caught_sigtstp_does_not_stop(void)
{
	struct sigaction sa = {.sa_handler = on_tstp};

	g_tstp = 0;
	sigaction(SIGTSTP, &sa, NULL);
	CHECK_OK(kill(getpid(), SIGTSTP));
	CHECK_EQ(g_tstp, 1);
	signal(SIGTSTP, SIG_DFL);
}

/* A child that made its own session is alone in its process group, and its parent (us)
 * is in another session: the group is orphaned, so SIGTSTP is discarded while SIGSTOP
 * still stops it. (Holds natively under any launcher and inside a container.) */
static void sigtstp_spares_orphaned_groups(void)
{
	int p[2], st;
	char c;
	pid_t pid;

	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		setsid();
		if (write(p[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	CHECK_EQ(read(p[0], &c, 1), 1);
	CHECK_OK(kill(pid, SIGTSTP));
	usleep(50000);
	CHECK_EQ(waitpid(pid, &st, WUNTRACED | WNOHANG), 0);
	/* (If it did stop, resume it so the SIGSTOP below makes a fresh report.) */
	CHECK_OK(kill(pid, SIGCONT));
	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	CHECK(WIFSTOPPED(st));
	/* /proc shows the stop. */
	char path[64], buf[512] = {0};
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	int fd = CHECK_OK(open(path, O_RDONLY));
	CHECK(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	char *rp = strrchr(buf, ')');
	CHECK(rp && rp[1] == ' ' && rp[2] == 'T');
	CHECK_OK(kill(pid, SIGKILL));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	close(p[0]);
	close(p[1]);
}

static int64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* A sleep stopped and continued midway resumes for what was left (restart_syscall), so
 * it ends near its deadline, not a whole sleep after the continue: it ends before
 * SIGCONT's send time + 400 ms (a restart from scratch ends after that, whatever the
 * load; a correct one ends by then unless the child waits 400 ms for a CPU). */
static void stopped_sleep_resumes_for_the_rest(void)
{
	int p[2], st;
	int64_t got[2] = {0, 0}, cont;
	pid_t pid;

	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		struct timespec req = {0, 400 * 1000 * 1000};
		int64_t t0 = mono_ns();
		int r = nanosleep(&req, NULL);
		int64_t end[2] = {mono_ns() - t0, mono_ns()};
		if (write(p[1], end, sizeof(end)) != sizeof(end))
			_exit(2);
		_exit(r == 0 ? 0 : 1);
	}
	usleep(100 * 1000);
	CHECK_OK(kill(pid, SIGSTOP));
	CHECK_EQ(waitpid(pid, &st, WUNTRACED), pid);
	usleep(100 * 1000);
	cont = mono_ns();
	CHECK_OK(kill(pid, SIGCONT));
	CHECK_EQ(read(p[0], got, sizeof(got)), (ssize_t)sizeof(got));
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	CHECK(got[0] >= 390LL * 1000 * 1000); /* slept 400 ms in all */
	CHECK(got[1] < cont + 400LL * 1000 * 1000);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	h_begin();
	RUN(sigstop_and_sigcont_are_reported_to_wait4);
	RUN(waitid_reports_stops_with_cld_codes);
	RUN(sigchld_carries_stop_and_continue_codes);
	RUN(stopped_reader_resumes_its_read);
	RUN(caught_sigtstp_does_not_stop);
	RUN(sigtstp_spares_orphaned_groups);
	RUN(stopped_sleep_resumes_for_the_rest);
	return h_end();
}
