/* seccomp(2) and prctl(PR_SET_SECCOMP): filter actions (ERRNO, TRAP with its siginfo,
 * KILL_PROCESS, KILL_THREAD, LOG, TRACE without a tracer), precedence across filters,
 * argument checks, scratch memory, inheritance by fork, TSYNC, strict mode, the
 * no_new_privs rule, and programs the kernel refuses. Every filter is installed in a
 * child process, since a filter cannot be removed. */
#include "harness.h"

#include <linux/audit.h>
#include <linux/bpf_common.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/prctl.h>

#define NR_OFF offsetof(struct seccomp_data, nr)
#define ARG0_OFF offsetof(struct seccomp_data, args[0])

/* if (nr == nr) return ret; return ALLOW */
#define MATCH_NR(nr, ret)                                                             \
	{                                                                            \
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),                          \
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (nr), 0, 1),                     \
		BPF_STMT(BPF_RET | BPF_K, (ret)),                                    \
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),                        \
	}

static long install(struct sock_filter *insns, unsigned short len, unsigned flags)
{
	struct sock_fprog prog = {len, insns};

	return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
}

static long deny_getppid(uint32_t ret)
{
	struct sock_filter f[] = MATCH_NR(SYS_getppid, ret);

	return install(f, 4, 0);
}

/* Run fn in a child; returns its wait status. */
static int in_child(int (*fn)(void))
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn());
	waitpid(pid, &status, 0);
	return status;
}

static int errno_grandchild_probe(void)
{
	errno = 0;
	return syscall(SYS_getppid) == -1 && errno == 42 ? 0 : 1;
}

/* The value of "key:\t<n>" in /proc/self/status, or -1. */
static int status_field(const char *key)
{
	char line[256];
	int v = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) && line[strlen(key)] == ':')
			v = atoi(line + strlen(key) + 1);
	if (f)
		fclose(f);
	return v;
}

static int errno_child(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_GET_SECCOMP) != 0 ||
	    status_field("Seccomp") != 0)
		return 2;
	if (deny_getppid(SECCOMP_RET_ERRNO | 42))
		return 3;
	if (prctl(PR_GET_SECCOMP) != SECCOMP_MODE_FILTER)
		return 4;
	if (status_field("Seccomp") != 2 || status_field("Seccomp_filters") != 1)
		return 8;
	errno = 0;
	if (syscall(SYS_getppid) != -1 || errno != 42)
		return 5;
	if (syscall(SYS_getpid) != getpid())
		return 6;
	/* Inherited by a child. */
	return in_child(errno_grandchild_probe) == 0 ? 0 : 7;
}

static void errno_action(void)
{
	int st = in_child(errno_child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static volatile siginfo_t g_info;
static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	g_info = *si;
}

static int trap_child(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};
	long r;

	if (sigaction(SIGSYS, &sa, NULL) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    deny_getppid(SECCOMP_RET_TRAP | 7))
		return 2;
	r = syscall(SYS_getppid);
	if (g_info.si_signo != SIGSYS || g_info.si_code != 1 /* SYS_SECCOMP */)
		return 3;
	if (g_info.si_syscall != SYS_getppid || g_info.si_arch != AUDIT_ARCH_X86_64)
		return 4;
	if (g_info.si_errno != 7 || !g_info.si_call_addr)
		return 5;
	return r == SYS_getppid ? 0 : 6; /* the syscall did not run: rax kept its number */
}

static void trap_sends_sigsys_with_siginfo(void)
{
	int st = in_child(trap_child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static int kill_process_child(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO};

	/* A handler does not save the process: the kill resets it. */
	if (sigaction(SIGSYS, &sa, NULL) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    deny_getppid(SECCOMP_RET_KILL_PROCESS))
		return 2;
	syscall(SYS_getppid);
	return 3;
}

static int kill_thread_child(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || deny_getppid(SECCOMP_RET_KILL_THREAD))
		return 2;
	syscall(SYS_getppid);
	return 3;
}

static void *call_getppid(void *arg)
{
	syscall(SYS_getppid);
	*(int *)arg = 1; /* never reached: the thread is killed */
	return NULL;
}

static int kill_one_thread_child(void)
{
	pthread_t th;
	int reached = 0;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || deny_getppid(SECCOMP_RET_KILL_THREAD))
		return 2;
	if (pthread_create(&th, NULL, call_getppid, &reached))
		return 3;
	/* The killed thread clears its tid word like any exiting thread: join works. */
	pthread_join(th, NULL);
	return reached ? 4 : 0;
}

static void kill_actions(void)
{
	int st = in_child(kill_process_child);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGSYS);
	st = in_child(kill_thread_child);
	CHECK(WIFSIGNALED(st)); /* the last thread: the process dies */
	CHECK_EQ(WTERMSIG(st), SIGSYS);
	st = in_child(kill_one_thread_child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static int precedence_child(void)
{
	struct sock_filter allow[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || deny_getppid(SECCOMP_RET_ERRNO | 11) ||
	    deny_getppid(SECCOMP_RET_ERRNO | 12) || install(allow, 1, 0) ||
	    deny_getppid(SECCOMP_RET_LOG))
		return 2;
	errno = 0;
	/* ERRNO beats LOG and ALLOW; of two ERRNOs the newest filter's wins. */
	if (syscall(SYS_getppid) != -1 || errno != 12)
		return 3;
	if (deny_getppid(SECCOMP_RET_ERRNO | 5000))
		return 4;
	errno = 0;
	if (syscall(SYS_getppid) != -1 || errno != 4095) /* the data is capped at MAX_ERRNO */
		return 5;
	return 0;
}

static int log_trace_child(void)
{
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || deny_getppid(SECCOMP_RET_LOG))
		return 2;
	if (syscall(SYS_getppid) != getppid())
		return 3;
	if (deny_getppid(SECCOMP_RET_TRACE | 1))
		return 4;
	errno = 0;
	if (syscall(SYS_getppid) != -1 || errno != ENOSYS) /* no tracer attached */
		return 5;
	return 0;
}

static void precedence_log_and_trace(void)
{
	int st = in_child(precedence_child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	st = in_child(log_trace_child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

/* dup(fd): ERRNO 77 when fd == 0, through scratch memory and the X register. */
static int args_child(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		BPF_STMT(BPF_ST, 3),
		BPF_STMT(BPF_LDX | BPF_MEM, 3),
		BPF_STMT(BPF_MISC | BPF_TXA, 0),
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xffff),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_dup, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG0_OFF),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0xffffffff, 0, 2),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 70),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_IMM, SECCOMP_RET_ERRNO | 77),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	int fd;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || install(f, 13, 0))
		return 2;
	errno = 0;
	if (syscall(SYS_dup, 0) != -1 || errno != 77)
		return 3;
	fd = (int)syscall(SYS_dup, 1);
	return fd >= 0 ? 0 : 4;
}

static void argument_checks(void)
{
	int st = in_child(args_child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static void *wait_then_getppid(void *arg)
{
	volatile int *go = arg;

	while (!go[0])
		usleep(1000);
	errno = 0;
	go[1] = syscall(SYS_getppid) == -1 && errno == 33;
	return NULL;
}

static int tsync_child(void)
{
	struct sock_filter f[] = MATCH_NR(SYS_getppid, SECCOMP_RET_ERRNO | 33);
	volatile int go[2] = {0, 0};
	pthread_t th;

	if (pthread_create(&th, NULL, wait_then_getppid, (void *)go))
		return 2;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || install(f, 4, SECCOMP_FILTER_FLAG_TSYNC))
		return 3;
	go[0] = 1;
	pthread_join(th, NULL);
	return go[1] ? 0 : 4;
}

static void tsync_reaches_other_threads(void)
{
	int st = in_child(tsync_child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

/* int $0x80 is the i386 ABI: the filters see AUDIT_ARCH_I386 and the i386 number. */
static int int80_child(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_I386, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR_OFF),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 20 /* i386 getpid */, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 55),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	long r;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || install(f, 6, 0))
		return 2;
	asm volatile("int $0x80" : "=a"(r) : "a"(20L) : "memory", "cc");
	if (r != -55)
		return 3;
	return syscall(SYS_getpid) == getpid() ? 0 : 4;
}

static void int80_is_i386(void)
{
	int st = in_child(int80_child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static int strict_child(void)
{
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT))
		return 2;
	if (syscall(SYS_write, 1, "", 0) != 0)
		syscall(SYS_exit, 3);
	syscall(SYS_getpid); /* SIGKILL */
	syscall(SYS_exit, 4);
	return 5;
}

static void strict_mode(void)
{
	int st = in_child(strict_child);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGKILL);
}

static int nnp_child(void)
{
	struct sock_filter f[] = MATCH_NR(SYS_getppid, SECCOMP_RET_ERRNO | 1);

	if (setgid(65534) || setuid(65534))
		return 2;
	errno = 0;
	if (install(f, 4, 0) != -1 || errno != EACCES)
		return 3; /* neither no_new_privs nor CAP_SYS_ADMIN */
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || install(f, 4, 0))
		return 4;
	return 0;
}

static void needs_no_new_privs(void)
{
	int st = in_child(nnp_child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static int bad_programs_child(void)
{
	struct sock_filter ok[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
	struct sock_filter bad[][2] = {
		{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), BPF_STMT(BPF_RET | BPF_K, 0)},
		{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 2), BPF_STMT(BPF_RET | BPF_K, 0)},
		{BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 0), BPF_STMT(BPF_RET | BPF_K, 0)},
		{BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0), BPF_STMT(BPF_RET | BPF_K, 0)},
		{BPF_STMT(BPF_LD | BPF_MEM, 0), BPF_STMT(BPF_RET | BPF_K, 0)},
		{BPF_STMT(BPF_ST, 16), BPF_STMT(BPF_RET | BPF_K, 0)},
		{BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_K, 0)},
		{BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 32), BPF_STMT(BPF_RET | BPF_K, 0)},
		{BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 3), BPF_STMT(BPF_RET | BPF_K, 0)},
		{BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), BPF_STMT(BPF_RET | BPF_K, 0)},
		{BPF_STMT(BPF_JMP | BPF_JA, 1), BPF_STMT(BPF_RET | BPF_K, 0)},
		{BPF_STMT(BPF_RET | BPF_K, 0), BPF_STMT(BPF_LD | BPF_IMM, 0)},
		{BPF_STMT(BPF_RET | BPF_X, 0), BPF_STMT(BPF_RET | BPF_X, 0)},
	};
	struct sock_fprog empty = {0, ok};
	static struct sock_filter big[BPF_MAXINSNS + 1];

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return 2;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		errno = 0;
		if (install(bad[i], 2, 0) != -1 || errno != EINVAL)
			return 10 + (int)i;
	}
	/* A load of a cell stored on one path only. */
	struct sock_filter one_path[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_ST, 1),
		BPF_STMT(BPF_LD | BPF_MEM, 1),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	errno = 0;
	if (install(one_path, 4, 0) != -1 || errno != EINVAL)
		return 3;
	/* Linux checks by position: the return before the load was entered without the
	 * cell, so the load is refused although its only real path stored it. */
	struct sock_filter by_position[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
		BPF_STMT(BPF_ST, 1),
		BPF_STMT(BPF_JMP | BPF_JA, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		BPF_STMT(BPF_LD | BPF_MEM, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	errno = 0;
	if (install(by_position, 6, 0) != -1 || errno != EINVAL)
		return 30;
	errno = 0;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &empty) != -1 || errno != EINVAL)
		return 4;
	for (int i = 0; i <= BPF_MAXINSNS; i++)
		big[i] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	errno = 0;
	if (install(big, BPF_MAXINSNS + 1, 0) != -1 || errno != EINVAL)
		return 5;
	errno = 0;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, (void *)8) != -1 || errno != EFAULT)
		return 6;
	errno = 0;
	if (install(ok, 1, 0x80000000u) != -1 || errno != EINVAL)
		return 7;
	errno = 0;
	if (syscall(SYS_seccomp, 99, 0, NULL) != -1 || errno != EINVAL)
		return 8;
	if (install(big, BPF_MAXINSNS, 0) != 0) /* exactly the limit is fine */
		return 9;
	/* Once filtering, strict mode is refused. */
	errno = 0;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_STRICT) != -1 || errno != EINVAL)
		return 50;
	return 0;
}

static void refuses_bad_programs(void)
{
	int st = in_child(bad_programs_child);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static void action_avail(void)
{
	uint32_t a = SECCOMP_RET_KILL_PROCESS;
	CHECK_OK(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &a));
	a = SECCOMP_RET_LOG;
	CHECK_OK(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &a));
	a = 0x12340000;
	CHECK_ERR(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &a), EOPNOTSUPP);
	CHECK_ERR(syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 1, &a), EINVAL);
	CHECK_EQ(prctl(PR_GET_SECCOMP), 0);
}

int main(void)
{
	h_begin();
	RUN(errno_action);
	RUN(trap_sends_sigsys_with_siginfo);
	RUN(kill_actions);
	RUN(precedence_log_and_trace);
	RUN(argument_checks);
	RUN(tsync_reaches_other_threads);
	RUN(int80_is_i386);
	RUN(strict_mode);
	RUN(needs_no_new_privs);
	RUN(refuses_bad_programs);
	RUN(action_avail);
	return h_end();
}
