/* fork/vfork/clone and wait4: parentage, copy semantics, shared fds, reaping and errnos. */
#include "harness.h"

#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>

static void fork_child_sees_parent_pid(void)
{
	pid_t parent = getpid();
	int p[2];
	pid_t pid, seen[2] = { 0 };

	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		pid_t mine[2] = { getppid(), getpid() };

		_exit(write(p[1], mine, sizeof(mine)) == sizeof(mine) ? 0 : 1);
	}
	CHECK(pid > 0);
	CHECK(pid != parent);
	CHECK_EQ(read(p[0], seen, sizeof(seen)), sizeof(seen));
	CHECK_EQ(seen[0], parent);
	CHECK_EQ(seen[1], pid);
	CHECK_EQ(h_wait(pid), 0);
	close(p[0]);
	close(p[1]);
}

static void wait4_reports_exit_code_and_pid(void)
{
	int status = -1;
	struct rusage ru;
	pid_t pid = fork();

	if (pid == 0)
		_exit(42);
	CHECK_EQ(wait4(pid, &status, 0, &ru), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 42);
	/* Reaped: a second wait finds nothing. */
	CHECK_ERR(wait4(pid, &status, 0, NULL), ECHILD);
}

static void wait4_without_children_returns_echild(void)
{
	int status;

	CHECK_ERR(wait4(-1, &status, 0, NULL), ECHILD);
	CHECK_ERR(wait4(1, &status, 0, NULL), ECHILD);
	CHECK_ERR(waitpid(-1, &status, WNOHANG), ECHILD);
}

static void wait4_wnohang_with_running_child_returns_zero(void)
{
	int p[2], status;
	char c;
	pid_t pid;

	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 ? 7 : 1);	/* wait for EOF */
	}
	close(p[0]);
	CHECK_EQ(wait4(pid, &status, WNOHANG, NULL), 0);
	close(p[1]);
	CHECK_EQ(wait4(pid, &status, 0, NULL), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 7);
}

static void wait4_bad_options_return_einval(void)
{
	int status;

	CHECK_ERR(wait4(-1, &status, 0x10000000, NULL), EINVAL);
}

static void wait_any_reaps_every_child(void)
{
	pid_t pids[3];
	int seen = 0, status;
	pid_t got;

	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(10 + i);
	}
	while ((got = waitpid(-1, &status, 0)) > 0) {
		for (int i = 0; i < 3; i++)
			if (got == pids[i] && WIFEXITED(status) &&
			    WEXITSTATUS(status) == 10 + i)
				seen |= 1 << i;
	}
	CHECK_EQ(errno, ECHILD);
	CHECK_EQ(seen, 7);
}

static void fork_child_memory_is_a_copy(void)
{
	static volatile int value = 1;
	pid_t pid = fork();

	if (pid == 0) {
		value = 2;
		_exit(value == 2 ? 0 : 1);
	}
	CHECK_EQ(h_wait(pid), 0);
	CHECK_EQ(value, 1);
}

static void fork_shares_file_offsets(void)
{
	int fd = CHECK_OK(open(h_path("shared"), O_CREAT | O_RDWR | O_TRUNC, 0644));
	pid_t pid = fork();

	if (pid == 0)
		_exit(write(fd, "child", 5) == 5 ? 0 : 1);
	CHECK_EQ(h_wait(pid), 0);
	/* The child's write moved the shared offset. */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 5);
	close(fd);
}

static void vfork_child_runs_first_in_shared_memory(void)
{
	static volatile int flag;
	pid_t pid;

	flag = 0;
	pid = vfork();
	if (pid == 0) {
		flag = 1;
		_exit(3);
	}
	/* The parent resumes only after the child's _exit. */
	CHECK_EQ(flag, 1);
	CHECK_EQ(h_wait(pid), 3 << 8);
}

static void clone_with_sigchld_acts_like_fork(void)
{
	long pid = syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
	int status;

	if (pid == 0)
		_exit(getppid() > 0 ? 5 : 1);
	CHECK(pid > 0);
	CHECK_EQ(waitpid((pid_t)pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 5);
}

static void wnohang_reaps_exited_child(void)
{
	struct timespec ts = { 0, 50 * 1000 * 1000 };
	pid_t pid = fork();
	int status = 0;
	pid_t got = 0;

	if (pid == 0)
		_exit(9);
	/* Poll: WNOHANG must eventually reap the exited child. */
	for (int i = 0; i < 100 && got == 0; i++) {
		nanosleep(&ts, NULL);
		got = waitpid(pid, &status, WNOHANG);
	}
	CHECK_EQ(got, pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 9);
}

/* A child's mappings die with it: a later child (the platform may give it the same host
 * process, as systrap does) faults at the addresses the first one mapped, low and high,
 * from its main thread or after threads of its own came and went. */
#define SIBLING_LO 0x100000000000UL
#define SIBLING_HI 0x7e0000000000UL
#define SIBLING_SECRET 0x5ec7e75ec7e7UL

static void *touch_pages(void *arg)
{
	for (unsigned long *p = arg; *p; p++)
		*(volatile unsigned long *)*p = SIBLING_SECRET;
	return NULL;
}

static void sibling_maps_and_exits(void)
{
	static unsigned long addrs[] = { SIBLING_LO, SIBLING_HI, 0 };
	pthread_t th;

	for (unsigned long *a = addrs; *a; a++)
		if (mmap((void *)*a, 4096, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != (void *)*a)
			_exit(3);
	if (pthread_create(&th, NULL, touch_pages, addrs) != 0 || pthread_join(th, NULL) != 0)
		_exit(4);
	touch_pages(addrs);
}

static unsigned long g_sibling_addr;

static void sibling_reads(void)
{
	_exit(*(volatile unsigned long *)g_sibling_addr == SIBLING_SECRET ? 1 : 2);
}

static void fork_child_sees_no_sibling_mappings(void)
{
	for (int round = 0; round < 3; round++) {
		int status = h_in_child(sibling_maps_and_exits);

		CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
		g_sibling_addr = round % 2 ? SIBLING_HI : SIBLING_LO;
		status = h_in_child(sibling_reads);
		CHECK(WIFSIGNALED(status));
		CHECK_EQ(WTERMSIG(status), SIGSEGV);
	}
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(fork_child_sees_parent_pid);
	RUN(wait4_reports_exit_code_and_pid);
	RUN(wait4_without_children_returns_echild);
	RUN(wait4_wnohang_with_running_child_returns_zero);
	RUN(wait4_bad_options_return_einval);
	RUN(wait_any_reaps_every_child);
	RUN(fork_child_memory_is_a_copy);
	RUN(fork_shares_file_offsets);
	RUN(vfork_child_runs_first_in_shared_memory);
	RUN(clone_with_sigchld_acts_like_fork);
	RUN(wnohang_reaps_exited_child);
	RUN(fork_child_sees_no_sibling_mappings);
	return h_end();
}
