/* signal_wait: sigtimedwait/sigwaitinfo, sigqueue with values, rt_tgsigqueueinfo
 * permission rules, and clone3 as a fork. */
#include "harness.h"

#include <linux/sched.h>
#include <stdint.h>

static void sigtimedwait_returns_a_blocked_pending_signal(void)
{
	sigset_t set, old;
	siginfo_t info;
	struct timespec ts = {1, 0};

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, &old);
	CHECK_OK(kill(getpid(), SIGUSR2));
	CHECK_EQ(sigtimedwait(&set, &info, &ts), SIGUSR2);
	CHECK_EQ(info.si_signo, SIGUSR2);
	CHECK_EQ(info.si_code, SI_USER);
	CHECK_EQ(info.si_pid, getpid());
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void sigtimedwait_times_out_with_eagain(void)
{
	sigset_t set;
	struct timespec ts = {0, 10 * 1000 * 1000}, zero = {0, 0};

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	CHECK_ERR(sigtimedwait(&set, NULL, &ts), EAGAIN);
	CHECK_ERR(sigtimedwait(&set, NULL, &zero), EAGAIN);
	ts.tv_nsec = 1000000000L;
	CHECK_ERR(sigtimedwait(&set, NULL, &ts), EINVAL);
}

static void sigtimedwait_wakes_for_a_signal_from_a_child(void)
{
	sigset_t set, old;
	siginfo_t info;
	struct timespec ts = {5, 0};
	pid_t parent = getpid(), pid;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	pid = fork();
	if (pid == 0) {
		usleep(20000);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	CHECK_EQ(sigtimedwait(&set, &info, &ts), SIGUSR1);
	CHECK_EQ(info.si_pid, pid);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void sigqueue_carries_its_value(void)
{
	sigset_t set, old;
	siginfo_t info;
	union sigval v = {.sival_int = 4242};

	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN + 1);
	sigprocmask(SIG_BLOCK, &set, &old);
	CHECK_OK(sigqueue(getpid(), SIGRTMIN + 1, v));
	v.sival_int = 4343;
	CHECK_OK(sigqueue(getpid(), SIGRTMIN + 1, v));
	/* Real-time signals queue: both arrive, in order. */
	CHECK_EQ(sigwaitinfo(&set, &info), SIGRTMIN + 1);
	CHECK_EQ(info.si_code, SI_QUEUE);
	CHECK_EQ(info.si_value.sival_int, 4242);
	CHECK_EQ(sigwaitinfo(&set, &info), SIGRTMIN + 1);
	CHECK_EQ(info.si_value.sival_int, 4343);
	sigprocmask(SIG_SETMASK, &old, NULL);
}

static void sigqueueinfo_rejects_forged_codes_to_others(void)
{
	siginfo_t info;
	pid_t pid = fork();

	if (pid == 0) {
		pause();
		_exit(0);
	}
	memset(&info, 0, sizeof(info));
	info.si_code = SI_USER; /* >= 0: only the kernel may send that to another process */
	CHECK_ERR(syscall(SYS_rt_sigqueueinfo, pid, SIGUSR1, &info), EPERM);
	CHECK_ERR(syscall(SYS_rt_tgsigqueueinfo, pid, pid, SIGUSR1, &info), EPERM);
	CHECK_ERR(syscall(SYS_rt_tgsigqueueinfo, 0, pid, SIGUSR1, &info), EINVAL);
	info.si_code = SI_QUEUE;
	CHECK_ERR(syscall(SYS_rt_sigqueueinfo, pid, 99, &info), EINVAL);
	kill(pid, SIGKILL);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
}

static void clone3_works_like_fork(void)
{
	struct clone_args ca;
	int st;
	long pid;

	memset(&ca, 0, sizeof(ca));
	ca.exit_signal = SIGCHLD;
	pid = syscall(SYS_clone3, &ca, sizeof(ca));
	if (pid == 0)
		_exit(9);
	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &st, 0), pid);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 9);
	/* Bad sizes and flag combinations. */
	CHECK_ERR(syscall(SYS_clone3, &ca, 8), EINVAL);
	ca.flags = CLONE_THREAD;
	CHECK_ERR(syscall(SYS_clone3, &ca, sizeof(ca)), EINVAL);
	ca.flags = 0;
	ca.exit_signal = 100;
	CHECK_ERR(syscall(SYS_clone3, &ca, sizeof(ca)), EINVAL);
}

int main(void)
{
	h_begin();
	RUN(sigtimedwait_returns_a_blocked_pending_signal);
	RUN(sigtimedwait_times_out_with_eagain);
	RUN(sigtimedwait_wakes_for_a_signal_from_a_child);
	RUN(sigqueue_carries_its_value);
	RUN(sigqueueinfo_rejects_forged_codes_to_others);
	RUN(clone3_works_like_fork);
	return h_end();
}
