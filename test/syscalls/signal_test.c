/* rt_sigaction/rt_sigprocmask/rt_sigreturn: handlers, siginfo, masks, defaults, EINTR. */
#include "harness.h"

#include <signal.h>

static volatile sig_atomic_t g_hits;
static volatile int g_signo, g_code, g_pid;
static volatile int g_blocked_inside;
static volatile int g_had_context;

static void count_handler(int sig)
{
	g_hits++;
}

static void info_handler(int sig, siginfo_t *si, void *uc)
{
	sigset_t cur;

	g_hits++;
	g_signo = si->si_signo;
	g_code = si->si_code;
	g_pid = si->si_pid;
	g_had_context = uc != NULL;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	g_blocked_inside = sigismember(&cur, sig);
}

static int install(int sig, void (*fn)(int, siginfo_t *, void *), int flags)
{
	struct sigaction sa = { 0 };

	sa.sa_sigaction = fn;
	sa.sa_flags = SA_SIGINFO | flags;
	sigemptyset(&sa.sa_mask);
	return sigaction(sig, &sa, NULL);
}

static void handler_runs_with_siginfo_from_kill(void)
{
	g_hits = 0;
	CHECK_OK(install(SIGUSR1, info_handler, 0));
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_EQ(g_hits, 1);
	CHECK_EQ(g_signo, SIGUSR1);
	CHECK_EQ(g_code, SI_USER);
	CHECK_EQ(g_pid, getpid());
	CHECK(g_had_context);
	/* Without SA_NODEFER the signal is blocked while its handler runs... */
	CHECK_EQ(g_blocked_inside, 1);
	/* ...and unblocked again after sigreturn. */
	sigset_t cur;
	sigprocmask(SIG_SETMASK, NULL, &cur);
	CHECK_EQ(sigismember(&cur, SIGUSR1), 0);
	signal(SIGUSR1, SIG_DFL);
}

static void tgkill_sets_si_tkill(void)
{
	g_hits = 0;
	CHECK_OK(install(SIGUSR2, info_handler, 0));
	CHECK_OK(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR2));
	CHECK_EQ(g_hits, 1);
	CHECK_EQ(g_code, SI_TKILL);
	signal(SIGUSR2, SIG_DFL);
}

static void sa_nodefer_leaves_signal_unblocked(void)
{
	CHECK_OK(install(SIGUSR1, info_handler, SA_NODEFER));
	CHECK_OK(raise(SIGUSR1));
	CHECK_EQ(g_blocked_inside, 0);
	signal(SIGUSR1, SIG_DFL);
}

static void sigaction_returns_previous_action(void)
{
	struct sigaction sa = { 0 }, old;

	sa.sa_handler = count_handler;
	CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
	sa.sa_handler = SIG_IGN;
	CHECK_OK(sigaction(SIGUSR1, &sa, &old));
	CHECK(old.sa_handler == count_handler);
	CHECK_OK(sigaction(SIGUSR1, NULL, &old));
	CHECK(old.sa_handler == SIG_IGN);
	signal(SIGUSR1, SIG_DFL);
}

static void sigaction_invalid_requests_return_einval(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = count_handler;
	CHECK_ERR(sigaction(SIGKILL, &sa, NULL), EINVAL);
	CHECK_ERR(sigaction(SIGSTOP, &sa, NULL), EINVAL);
	/* Raw syscalls: glibc would reject these before the kernel does. */
	CHECK_ERR(syscall(SYS_rt_sigaction, 0, NULL, NULL, 8), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, 65, NULL, NULL, 8), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 4), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigaction, SIGUSR1, 1L, NULL, 8), EFAULT);
}

static void blocked_signal_stays_pending_until_unblocked(void)
{
	sigset_t set, old;

	g_hits = 0;
	signal(SIGUSR1, count_handler);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	CHECK_OK(sigprocmask(SIG_BLOCK, &set, &old));
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_OK(kill(getpid(), SIGUSR1));
	CHECK_EQ(g_hits, 0);
	/* Standard signals do not queue: two sends, one delivery. */
	CHECK_OK(sigprocmask(SIG_SETMASK, &old, NULL));
	CHECK_EQ(g_hits, 1);
	signal(SIGUSR1, SIG_DFL);
}

static void sigprocmask_cannot_block_sigkill_or_sigstop(void)
{
	sigset_t all, cur, old;

	sigfillset(&all);
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &old, 8));
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, NULL, &cur, 8));
	CHECK_EQ(sigismember(&cur, SIGKILL), 0);
	CHECK_EQ(sigismember(&cur, SIGSTOP), 0);
	CHECK_EQ(sigismember(&cur, SIGTERM), 1);
	CHECK_OK(syscall(SYS_rt_sigprocmask, SIG_SETMASK, &old, NULL, 8));
}

static void sigprocmask_errors(void)
{
	sigset_t set;

	sigemptyset(&set);
	CHECK_ERR(syscall(SYS_rt_sigprocmask, 7, &set, NULL, 8), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL);
	CHECK_ERR(syscall(SYS_rt_sigprocmask, SIG_BLOCK, 1L, NULL, 8), EFAULT);
}

static void ignored_signal_is_discarded(void)
{
	signal(SIGUSR1, SIG_IGN);
	CHECK_OK(kill(getpid(), SIGUSR1));
	signal(SIGUSR1, SIG_DFL);
	CHECK(1);	/* still alive */
}

static void die_by_sigterm(void)
{
	kill(getpid(), SIGTERM);
	_exit(5);
}

static void default_action_terminates(void)
{
	int status = h_in_child(die_by_sigterm);

	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGTERM);
}

static void resethand_then_twice(void)
{
	struct sigaction sa = { 0 };

	sa.sa_handler = count_handler;
	sa.sa_flags = SA_RESETHAND;
	sigaction(SIGUSR1, &sa, NULL);
	raise(SIGUSR1);		/* handled, action reset to default */
	raise(SIGUSR1);		/* default: terminate */
	_exit(g_hits == 1 ? 6 : 7);
}

static void sa_resethand_restores_default(void)
{
	int status = h_in_child(resethand_then_twice);

	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGUSR1);
}

static void handler_preserves_interrupted_state(void)
{
	volatile double d = 1.5;
	volatile long a = 11, b = 22, c = 33;

	signal(SIGUSR1, count_handler);
	for (int i = 0; i < 50; i++) {
		raise(SIGUSR1);
		d = d * 2.0 - 1.5;	/* stays 1.5 */
		a++;
		b++;
		c++;
	}
	CHECK(d == 1.5);
	CHECK_EQ(a + b + c, 66 + 150);
	signal(SIGUSR1, SIG_DFL);
}

static void sigchld_delivered_on_child_exit(void)
{
	sigset_t set, old;
	pid_t pid;

	g_hits = 0;
	CHECK_OK(install(SIGCHLD, info_handler, 0));
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid == 0)
		_exit(0);
	CHECK_EQ(h_wait(pid), 0);
	sigprocmask(SIG_SETMASK, &old, NULL);
	CHECK_EQ(g_hits, 1);
	CHECK_EQ(g_signo, SIGCHLD);
	CHECK_EQ(g_code, CLD_EXITED);
	CHECK_EQ(g_pid, pid);
	signal(SIGCHLD, SIG_DFL);
}

static void signal_interrupts_nanosleep_with_eintr(void)
{
	struct timespec req = { 10, 0 }, rem = { 0, 0 };
	struct sigaction sa = { 0 };
	pid_t parent = getpid();
	pid_t pid;

	sa.sa_handler = count_handler;	/* no SA_RESTART */
	sigaction(SIGUSR1, &sa, NULL);
	pid = fork();
	if (pid == 0) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };

		nanosleep(&ts, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	CHECK_ERR(nanosleep(&req, &rem), EINTR);
	CHECK(rem.tv_sec > 0 && rem.tv_sec <= 10);
	CHECK_EQ(h_wait(pid), 0);
	signal(SIGUSR1, SIG_DFL);
}

int main(void)
{
	h_begin();
	RUN(handler_runs_with_siginfo_from_kill);
	RUN(tgkill_sets_si_tkill);
	RUN(sa_nodefer_leaves_signal_unblocked);
	RUN(sigaction_returns_previous_action);
	RUN(sigaction_invalid_requests_return_einval);
	RUN(blocked_signal_stays_pending_until_unblocked);
	RUN(sigprocmask_cannot_block_sigkill_or_sigstop);
	RUN(sigprocmask_errors);
	RUN(ignored_signal_is_discarded);
	RUN(default_action_terminates);
	RUN(sa_resethand_restores_default);
	RUN(handler_preserves_interrupted_state);
	RUN(sigchld_delivered_on_child_exit);
	RUN(signal_interrupts_nanosleep_with_eintr);
	return h_end();
}
