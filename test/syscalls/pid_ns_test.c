/* PID namespaces (man 7 pid_namespaces): clone(CLONE_NEWPID) and unshare(CLONE_NEWPID)
 * give pid 1 to the first process, ids are numbered per namespace, outside processes are
 * invisible, init ignores signals it has no handler for, and its death ends the rest. */
#include "harness.h"

#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#define STACK_SIZE (256 * 1024)

static char g_stack[STACK_SIZE] __attribute__((aligned(16)));
static pid_t g_outside; /* a process of the caller's namespace the children must not see */

static pid_t clone_newpid(int (*fn)(void *), void *arg)
{
	return clone(fn, g_stack + STACK_SIZE, CLONE_NEWPID | SIGCHLD, arg);
}

/* The wait status of pid; -1 if it cannot be waited for. */
static int wait_status(pid_t pid)
{
	int st;

	return waitpid(pid, &st, 0) == pid ? st : -1;
}

static int exit_code(pid_t pid)
{
	int st = wait_status(pid);

	return WIFEXITED(st) ? WEXITSTATUS(st) : 100 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/* The fields of the status line `name` of /proc/<who>/status: how many, and the last. */
static int ns_fields(const char *who, const char *name, int *last)
{
	char path[64], line[256];
	int n = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%s/status", who);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, strlen(name)) || line[strlen(name)] != ':')
			continue;
		for (char *p = strtok(line + strlen(name) + 1, " \t\n"); p; p = strtok(NULL, " \t\n")) {
			*last = atoi(p);
			n++;
		}
	}
	fclose(f);
	return n;
}

static void ns_link(const char *who, const char *name, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/ns/%s", who, name);
	n = readlink(path, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
}

static int g_levels; /* NSpid fields of the test process itself */

static int first_is_init(void *arg)
{
	int last = 0;
	siginfo_t si;

	if (getpid() != 1 || gettid() != 1)
		return 1;
	if (getppid() != 0)
		return 2;
	if (kill(g_outside, 0) != -1 || errno != ESRCH)
		return 3; /* an outside pid names nothing here */
	if (syscall(SYS_tgkill, g_outside, g_outside, 0) != -1 || errno != ESRCH)
		return 4;
	if (getpgid(g_outside) != -1 || errno != ESRCH)
		return 5;
	/* The test's /proc is its namespace's: the child shows one number more, the last 1. */
	if (ns_fields("self", "NSpid", &last) != g_levels + 1 || last != 1)
		return 6;
	pid_t c = fork();
	if (c == 0)
		_exit(getpid() == 2 && getppid() == 1 ? 42 : 1);
	if (c != 2)
		return 7;
	if (waitid(P_PID, 2, &si, WEXITED) != 0 || si.si_pid != 2 || si.si_status != 42)
		return 8;
	return 0;
}

static void clone_newpid_first_is_pid1(void)
{
	int last = 0;

	g_levels = ns_fields("self", "NSpid", &last);
	CHECK(g_levels >= 1);
	pid_t pid = CHECK_OK(clone_newpid(first_is_init, NULL));
	CHECK(pid > 1);
	CHECK_EQ(exit_code(pid), 0);
}

/* arg: NULL, or the NSpid fields the process must show in the test's /proc. */
static int nested_inner(void *arg)
{
	int last = 0;

	if (getpid() != 1 || getppid() != 0)
		return 1;
	if (arg && (ns_fields("self", "NSpid", &last) != *(int *)arg || last != 1))
		return 2;
	return 0;
}

static char g_stack2[STACK_SIZE] __attribute__((aligned(16)));

static int nested_outer(void *arg)
{
	/* Seen in the test's /proc: one more level again. */
	int want = g_levels + 2;
	pid_t c = clone(nested_inner, g_stack2 + STACK_SIZE, CLONE_NEWPID | SIGCHLD, &want);

	if (c != 2)
		return 10 + (c < 0);
	return exit_code(c);
}

static void nested_levels(void)
{
	char mine[64], child[64];
	int last = 0;

	g_levels = ns_fields("self", "NSpid", &last);
	pid_t pid = CHECK_OK(clone_newpid(nested_outer, NULL));
	CHECK_EQ(exit_code(pid), 0);
	/* Each namespace has its own inode number. */
	pid = CHECK_OK(clone_newpid(nested_inner, NULL));
	char p[16];
	snprintf(p, sizeof(p), "%d", pid);
	ns_link("self", "pid", mine, sizeof(mine));
	ns_link(p, "pid", child, sizeof(child));
	CHECK(!strncmp(mine, "pid:[", 5));
	CHECK(!strncmp(child, "pid:[", 5));
	CHECK(strcmp(mine, child) != 0);
	CHECK_EQ(ns_fields(p, "NSpid", &last), g_levels + 1);
	CHECK_EQ(last, 1);
	CHECK_EQ(exit_code(pid), 0);
}

static int g_sync[2], g_reply[2];

/* Init with no handlers: signals from inside do nothing, even SIGKILL to itself. */
static int init_signals(void *arg)
{
	char c;

	kill(1, SIGTERM);
	kill(1, SIGKILL);
	kill(getpid(), SIGUSR1);
	if (write(g_reply[1], "a", 1) != 1)
		return 1;
	if (read(g_sync[0], &c, 1) != 1) /* the parent's SIGTERM came meanwhile */
		return 2;
	if (write(g_reply[1], "b", 1) != 1)
		return 3;
	pause();
	return 4;
}

static void init_ignores_unhandled_signals(void)
{
	char c = 0;

	CHECK_OK(pipe(g_sync));
	CHECK_OK(pipe(g_reply));
	pid_t pid = CHECK_OK(clone_newpid(init_signals, NULL));
	CHECK_EQ(read(g_reply[0], &c, 1), 1);
	CHECK_EQ(c, 'a');
	/* From the parent namespace only SIGKILL and SIGSTOP get through. */
	CHECK_OK(kill(pid, SIGTERM));
	CHECK_OK(kill(pid, SIGUSR1));
	CHECK_EQ(write(g_sync[1], "x", 1), 1);
	CHECK_EQ(read(g_reply[0], &c, 1), 1);
	CHECK_EQ(c, 'b');
	CHECK_OK(kill(pid, SIGKILL));
	int st = wait_status(pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(g_sync[0]);
	close(g_sync[1]);
	close(g_reply[0]);
	close(g_reply[1]);
}

static int g_held[2];

/* Init leaves a member behind, holding a pipe's write end, and exits. */
static int init_dies(void *arg)
{
	pid_t c = fork();

	if (c == 0) {
		for (;;)
			pause();
	}
	return c == 2 ? 0 : 1;
}

static void init_death_kills_members(void)
{
	struct pollfd pfd;
	char c;

	CHECK_OK(pipe(g_held));
	pid_t pid = CHECK_OK(clone_newpid(init_dies, NULL));
	close(g_held[1]);
	CHECK_EQ(exit_code(pid), 0);
	/* The member got SIGKILL: the last write end goes, the read sees end of file. */
	pfd = (struct pollfd){.fd = g_held[0], .events = POLLIN};
	CHECK_EQ(poll(&pfd, 1, 20000), 1);
	CHECK_EQ(read(g_held[0], &c, 1), 0);
	close(g_held[0]);
}

/* unshare: the caller stays, its next child is pid 1, a second unshare fails. */
static int unshare_child(void)
{
	char before[64], after[64], kids[64];
	pid_t me = getpid(), c;

	ns_link("self", "pid", before, sizeof(before));
	if (unshare(CLONE_NEWPID))
		return 1;
	ns_link("self", "pid", after, sizeof(after));
	ns_link("self", "pid_for_children", kids, sizeof(kids));
	if (getpid() != me || strcmp(before, after) || !strcmp(after, kids))
		return 2;
	if (unshare(CLONE_NEWPID) != -1 || errno != EINVAL)
		return 3;
	if (clone_newpid(nested_inner, NULL) != -1 || errno != EINVAL)
		return 4;
	c = fork();
	if (c == 0)
		_exit(getpid() == 1 && getppid() == 0 ? 0 : 1);
	if (c <= 1 || exit_code(c) != 0)
		return 5;
	/* Its init has gone: the namespace takes no more processes. */
	c = fork();
	if (c == 0)
		_exit(0);
	if (c != -1 || errno != ENOMEM)
		return 6;
	return 0;
}

static void unshare_newpid(void)
{
	pid_t pid = CHECK_OK(fork());

	if (pid == 0)
		_exit(unshare_child());
	CHECK_EQ(exit_code(pid), 0);
}

/* A process whose parent dies is adopted by the namespace's init. */
static int orphan_init(void *arg)
{
	pid_t mid = fork();

	if (mid == 0) {
		if (fork() == 0) {
			for (int i = 0; i < 2000 && getppid() != 1; i++)
				usleep(5000);
			_exit(getppid() == 1 ? 7 : 1);
		}
		_exit(0);
	}
	if (exit_code(mid) != 0)
		return 1;
	int st;
	pid_t got = wait(&st);
	return got == 3 && WIFEXITED(st) && WEXITSTATUS(st) == 7 ? 0 : 2;
}

static void orphans_reparent_to_init(void)
{
	pid_t pid = CHECK_OK(clone_newpid(orphan_init, NULL));

	CHECK_EQ(exit_code(pid), 0);
}

static int unprivileged(void)
{
	if (setresuid(65534, 65534, 65534))
		return 1;
	if (unshare(CLONE_NEWPID) != -1 || errno != EPERM)
		return 2;
	if (clone_newpid(nested_inner, NULL) != -1 || errno != EPERM)
		return 3;
	return 0;
}

static void flag_rules(void)
{
	pid_t pid = CHECK_OK(fork());

	if (pid == 0)
		_exit(unprivileged());
	CHECK_EQ(exit_code(pid), 0);
	/* A thread cannot be in a new pid namespace. */
	CHECK_ERR(syscall(SYS_clone, CLONE_NEWPID | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM,
			  g_stack + STACK_SIZE, NULL, NULL, 0),
		  EINVAL);
}

/* Blocked signals queue for init even without a handler; their si_pid is the sender's
 * number in init's namespace, 0 for a sender outside it. */
static int init_siginfo(void *arg)
{
	sigset_t set;
	siginfo_t si;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	pid_t c = fork();
	if (c == 0)
		_exit(kill(1, SIGUSR1) ? 1 : 5);
	if (sigwaitinfo(&set, &si) != SIGUSR1 || si.si_pid != 2 || si.si_code != SI_USER)
		return 2;
	if (sigwaitinfo(&set, &si) != SIGCHLD || si.si_pid != 2 || si.si_status != 5)
		return 3;
	if (exit_code(2) != 5)
		return 4;
	if (write(g_reply[1], "r", 1) != 1)
		return 1;
	/* The parent's SIGUSR2 (sent once we reported ready). */
	if (sigwaitinfo(&set, &si) != SIGUSR2 || si.si_pid != 0 || si.si_code != SI_USER)
		return 6;
	return 0;
}

static void siginfo_pids_translated(void)
{
	char c;

	CHECK_OK(pipe(g_reply));
	pid_t pid = CHECK_OK(clone_newpid(init_siginfo, NULL));
	CHECK_EQ(read(g_reply[0], &c, 1), 1);
	CHECK_OK(kill(pid, SIGUSR2));
	CHECK_EQ(exit_code(pid), 0);
	close(g_reply[0]);
	close(g_reply[1]);
}

static int g_sock[2];

/* The sender's pid of the next datagram on fd (SO_PASSCRED set); -1 if none came. */
static pid_t recv_cred_pid(int fd)
{
	char data[8], ctl[CMSG_SPACE(sizeof(struct ucred))];
	struct iovec iov = {data, sizeof(data)};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl,
			    .msg_controllen = sizeof(ctl)};
	struct cmsghdr *c;
	struct ucred cr;

	if (recvmsg(fd, &mh, 0) < 0)
		return -1;
	c = CMSG_FIRSTHDR(&mh);
	if (!c || c->cmsg_type != SCM_CREDENTIALS)
		return -1;
	memcpy(&cr, CMSG_DATA(c), sizeof(cr));
	return cr.pid;
}

/* Init reports the parent's datagram's sender pid (outside: 0), then sends its own. */
static int init_creds(void *arg)
{
	pid_t seen = recv_cred_pid(g_sock[1]);

	if (seen != 0)
		return 1;
	return send(g_sock[1], "i", 1, 0) == 1 ? 0 : 2;
}

static void scm_credentials_translated(void)
{
	int on = 1;

	CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, g_sock));
	CHECK_OK(setsockopt(g_sock[0], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)));
	CHECK_OK(setsockopt(g_sock[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)));
	pid_t pid = CHECK_OK(clone_newpid(init_creds, NULL));
	CHECK_EQ(send(g_sock[0], "p", 1, 0), 1);
	/* Init's datagram: its pid as this namespace numbers it. */
	CHECK_EQ(recv_cred_pid(g_sock[0]), pid);
	CHECK_EQ(exit_code(pid), 0);
	close(g_sock[0]);
	close(g_sock[1]);
}

/* A regular file is no namespace; a closed fd is no fd. */
static void setns_rejects_other_fds(void)
{
	int fd = CHECK_OK(open("/proc/self/status", O_RDONLY));

	CHECK_ERR(setns(fd, CLONE_NEWPID), EINVAL);
	CHECK_OK(close(fd));
	CHECK_ERR(setns(fd, CLONE_NEWPID), EBADF);
}

int main(void)
{
	h_begin();
	/* A process outside the children's namespaces (its pid is > 1 there). */
	g_outside = fork();
	if (g_outside == 0) {
		for (;;)
			pause();
	}
	RUN(clone_newpid_first_is_pid1);
	RUN(nested_levels);
	RUN(init_ignores_unhandled_signals);
	RUN(init_death_kills_members);
	RUN(unshare_newpid);
	RUN(orphans_reparent_to_init);
	RUN(flag_rules);
	RUN(setns_rejects_other_fds);
	RUN(siginfo_pids_translated);
	RUN(scm_credentials_translated);
	kill(g_outside, SIGKILL);
	waitpid(g_outside, NULL, 0);
	return h_end();
}
