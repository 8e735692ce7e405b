/* kcmp: equality of memory, fd tables, fs info, signal handlers, I/O contexts, SysV undo
 * lists, open files and epoll targets between processes and threads; ordering symmetry,
 * errors and the ptrace-read permission. Linux obfuscates the order, so only 0 (same)
 * against non-zero is checked, and that the two orders mirror each other. */
#include "harness.h"

#include <pthread.h>
#include <sched.h>
#include <sys/epoll.h>
#include <sys/ipc.h>
#include <sys/sem.h>

enum { K_FILE, K_VM, K_FILES, K_FS, K_SIGHAND, K_IO, K_SYSVSEM, K_EPOLL_TFD };

struct epoll_slot {
	unsigned efd, tfd;
	unsigned long long toff;
};

static long kcmp(pid_t a, pid_t b, int type, unsigned long i1, unsigned long i2)
{
	return syscall(SYS_kcmp, a, b, type, i1, i2);
}

/* A child that waits until told to go; returns its pid, go[] the pipe to release it (the
 * child may share the fd table: nothing is closed until it is gone). */
static pid_t parked_child(unsigned long flags, int go[2])
{
	long pid;
	char c;

	if (pipe(go) < 0)
		return -1;
	fflush(stdout);
	pid = syscall(SYS_clone, flags | SIGCHLD, 0, NULL, NULL, 0);
	if (pid == 0)
		syscall(SYS_exit, read(go[0], &c, 1) == 1 ? 0 : 1);
	return (pid_t)pid;
}

static void release(pid_t pid, int go[2])
{
	int status;

	CHECK_EQ(write(go[1], "g", 1), 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	close(go[0]);
	close(go[1]);
}

static void same_process_is_equal(void)
{
	pid_t me = getpid();

	for (int type = K_VM; type <= K_SYSVSEM; type++)
		CHECK_EQ(kcmp(me, me, type, 0, 0), 0);
}

static void forked_child_differs(void)
{
	pid_t me = getpid(), kid;
	int go[2];
	long ab, ba;

	kid = parked_child(0, go);
	CHECK(kid > 0);
	for (int type = K_VM; type <= K_SIGHAND; type++) {
		ab = kcmp(me, kid, type, 0, 0);
		ba = kcmp(kid, me, type, 0, 0);
		CHECK(ab == 1 || ab == 2);
		CHECK_EQ(ab + ba, 3); /* one order is the other's mirror */
	}
	/* Neither has an undo list yet. */
	CHECK_EQ(kcmp(me, kid, K_SYSVSEM, 0, 0), 0);
	/* The inherited descriptor is the same open file. */
	CHECK_EQ(kcmp(me, kid, K_FILE, 1, 1), 0);
	release(kid, go);
}

static void clone_flags_share(void)
{
	pid_t me = getpid(), kid;
	int go[2];

	kid = parked_child(CLONE_FILES | CLONE_FS, go);
	CHECK(kid > 0);
	CHECK_EQ(kcmp(me, kid, K_FILES, 0, 0), 0);
	CHECK_EQ(kcmp(me, kid, K_FS, 0, 0), 0);
	CHECK(kcmp(me, kid, K_VM, 0, 0) > 0);
	CHECK(kcmp(me, kid, K_SIGHAND, 0, 0) > 0);
	release(kid, go);
}

static long g_thread_res[5];

static void *thread_fn(void *arg)
{
	pid_t me = getpid(), tid = gettid();

	for (int type = K_VM; type <= K_SIGHAND; type++)
		g_thread_res[type] = kcmp(me, tid, type, 0, 0);
	g_thread_res[0] = kcmp(me, tid, K_SYSVSEM, 0, 0);
	return arg;
}

static void threads_share(void)
{
	pthread_t th;

	CHECK_EQ(pthread_create(&th, NULL, thread_fn, NULL), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(g_thread_res[i], 0);
}

static void io_context(void)
{
	pid_t me = getpid(), kid;
	int go[2];

	/* Once this process has one, a CLONE_IO child shares it and a plain one does not. */
	CHECK_OK(syscall(SYS_ioprio_set, 1, 0, (2 << 13) | 4));
	kid = parked_child(CLONE_IO, go);
	CHECK_EQ(kcmp(me, kid, K_IO, 0, 0), 0);
	release(kid, go);
	kid = parked_child(0, go);
	CHECK(kcmp(me, kid, K_IO, 0, 0) > 0);
	release(kid, go);
}

/* In a fresh process (no threads made yet): fork children have no undo list until a
 * SEM_UNDO operation or a thread (CLONE_SYSVSEM) makes one. */
static int undo_child(void)
{
	int id = semget(IPC_PRIVATE, 1, 0600), go[2], ret = 0, status;
	struct sembuf op = {0, 1, SEM_UNDO};
	pid_t me = getpid(), kid;
	pthread_t th;

	if (id < 0)
		return 10;
	kid = parked_child(0, go);
	if (kcmp(me, kid, K_SYSVSEM, 0, 0) != 0)
		ret = 1;
	else if (semop(id, &op, 1) < 0)
		ret = 11;
	else if (kcmp(me, kid, K_SYSVSEM, 0, 0) <= 0)
		ret = 2;
	if (write(go[1], "g", 1) != 1 || waitpid(kid, &status, 0) != kid)
		ret = 12;
	semctl(id, 0, IPC_RMID);
	if (ret)
		return ret;
	kid = fork();
	if (kid == 0) {
		pid_t parent = getppid();
		if (kcmp(getpid(), parent, K_SYSVSEM, 0, 0) <= 0)
			_exit(3);
		if (pthread_create(&th, NULL, thread_fn, NULL) || pthread_join(th, NULL))
			_exit(13);
		_exit(g_thread_res[0] == 0 ? 0 : 4);
	}
	if (waitpid(kid, &status, 0) != kid || !WIFEXITED(status))
		return 14;
	return WEXITSTATUS(status);
}

static void sysv_undo_list(void)
{
	pid_t pid;
	int status;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(undo_child());
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

static void open_files(void)
{
	pid_t me = getpid();
	int a = open("/dev/null", O_RDONLY), b = open("/dev/null", O_RDONLY), c = dup(a);

	CHECK_EQ(kcmp(me, me, K_FILE, a, c), 0);
	CHECK(kcmp(me, me, K_FILE, a, b) > 0);
	CHECK_EQ(kcmp(me, me, K_FILE, a, b) + kcmp(me, me, K_FILE, b, a), 3);
	CHECK_ERR(kcmp(me, me, K_FILE, a, 999), EBADF);
	CHECK_ERR(kcmp(me, me, K_FILE, 999, a), EBADF);
	CHECK_EQ(kcmp(me, me, K_FILE, a, (1UL << 40) + a), 0); /* an unsigned int */
	close(a);
	close(b);
	close(c);
}

static void epoll_targets(void)
{
	pid_t me = getpid();
	int p[2], ep = epoll_create1(0), other = open("/dev/null", O_RDONLY);
	struct epoll_event ev = {.events = EPOLLIN};
	struct epoll_slot slot;

	CHECK_OK(pipe(p));
	CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev));
	slot = (struct epoll_slot){ep, p[0], 0};
	CHECK_EQ(kcmp(me, me, K_EPOLL_TFD, p[0], (unsigned long)&slot), 0);
	CHECK(kcmp(me, me, K_EPOLL_TFD, p[1], (unsigned long)&slot) > 0);
	slot.toff = 1;
	CHECK_ERR(kcmp(me, me, K_EPOLL_TFD, p[0], (unsigned long)&slot), ENOENT);
	slot = (struct epoll_slot){ep, p[1], 0};
	CHECK_ERR(kcmp(me, me, K_EPOLL_TFD, p[0], (unsigned long)&slot), ENOENT);
	slot = (struct epoll_slot){other, p[0], 0};
	CHECK_ERR(kcmp(me, me, K_EPOLL_TFD, p[0], (unsigned long)&slot), EINVAL);
	slot = (struct epoll_slot){999, p[0], 0};
	CHECK_ERR(kcmp(me, me, K_EPOLL_TFD, p[0], (unsigned long)&slot), EBADF);
	CHECK_ERR(kcmp(me, me, K_EPOLL_TFD, p[0], 8), EFAULT);
	CHECK_ERR(kcmp(me, me, K_EPOLL_TFD, 999, (unsigned long)&slot), EBADF);
	close(p[0]);
	close(p[1]);
	close(ep);
	close(other);
}

static void errors_and_permission(void)
{
	pid_t me = getpid(), pid;
	int status;

	CHECK_ERR(kcmp(me, me, 8, 0, 0), EINVAL);
	CHECK_ERR(kcmp(me, me, -1, 0, 0), EINVAL);
	CHECK_ERR(kcmp(me, 999999, K_VM, 0, 0), ESRCH);
	CHECK_ERR(kcmp(999999, me, K_VM, 0, 0), ESRCH);
	CHECK_ERR(kcmp(0, me, K_VM, 0, 0), ESRCH);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setresuid(54321, 54321, 54321) < 0)
			_exit(9);
		if (kcmp(getpid(), getppid(), K_VM, 0, 0) != -1 || errno != EPERM)
			_exit(1);
		_exit(kcmp(getpid(), getpid(), K_VM, 0, 0) == 0 ? 0 : 2);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
}

int main(void)
{
	h_begin();
	RUN(same_process_is_equal);
	RUN(forked_child_differs);
	RUN(clone_flags_share);
	RUN(sysv_undo_list);
	RUN(threads_share);
	RUN(io_context);
	RUN(open_files);
	RUN(epoll_targets);
	RUN(errors_and_permission);
	return h_end();
}
