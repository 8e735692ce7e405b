/* process_madvise and process_mrelease on processes named by pidfds. process_madvise:
 * flags must be 0, iovecs as readv's, the bytes advised returned (a failure after some
 * progress returns the progress); the caller's own process takes any madvise advice,
 * another one only COLD, PAGEOUT, WILLNEED (and COLLAPSE), with ptrace read access
 * (EACCES) and CAP_SYS_NICE (EPERM). process_mrelease: EINVAL for a process that is not
 * exiting, ESRCH once it has exited. */
#include "harness.h"

#include <linux/capability.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>

#define PG 4096

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static long pmadvise(int pidfd, const struct iovec *iov, size_t n, int advice, unsigned flags)
{
	return syscall(SYS_process_madvise, pidfd, iov, n, advice, flags);
}

static long mrelease(int pidfd, unsigned flags)
{
	return syscall(SYS_process_mrelease, pidfd, flags);
}

/* A child that waits on a pipe until the write end closes; *wfd is that end. */
static pid_t sleeper(int *wfd)
{
	int p[2];
	char c;
	pid_t pid;

	if (pipe(p))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[1]);
		while (read(p[0], &c, 1) > 0)
			;
		_exit(0);
	}
	close(p[0]);
	*wfd = p[1];
	return pid;
}

static void bad_arguments(void)
{
	int pfd = pidfd_open(getpid()), p[2];
	struct iovec iov = {NULL, 0};

	CHECK(pfd >= 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_ERR(pmadvise(-1, &iov, 1, MADV_COLD, 1), EINVAL); /* flags first */
	CHECK_ERR(pmadvise(pfd, &iov, 1, MADV_COLD, 1), EINVAL);
	CHECK_ERR(pmadvise(pfd, (void *)8, 1, MADV_COLD, 0), EFAULT);
	CHECK_ERR(pmadvise(pfd, &iov, 1025, MADV_COLD, 0), EINVAL);
	CHECK_ERR(pmadvise(p[0], &iov, 1, MADV_COLD, 0), EBADF);
	CHECK_ERR(pmadvise(-1, &iov, 1, MADV_COLD, 0), EBADF);
	CHECK_ERR(mrelease(pfd, 1), EINVAL);
	CHECK_ERR(mrelease(p[0], 0), EBADF);
	CHECK_ERR(mrelease(-1, 0), EBADF);
	close(p[0]);
	close(p[1]);
	close(pfd);
}

static void own_process(void)
{
	int pfd = pidfd_open(getpid());
	char *m = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct iovec iov[2] = {{m, PG}, {m + 2 * PG, 2 * PG}};

	CHECK(pfd >= 0);
	CHECK(m != MAP_FAILED);
	memset(m, 'x', 4 * PG);
	CHECK_EQ(pmadvise(pfd, iov, 2, MADV_WILLNEED, 0), 3 * PG);
	CHECK_EQ(pmadvise(pfd, iov, 2, MADV_COLD, 0), 3 * PG);
	CHECK_EQ(pmadvise(pfd, iov, 2, MADV_PAGEOUT, 0), 3 * PG);
	CHECK_EQ(m[0], 'x'); /* hints keep the data */
	CHECK_EQ(pmadvise(pfd, iov, 0, MADV_COLD, 0), 0);
	/* The own process takes destructive advice too. */
	CHECK_EQ(pmadvise(pfd, iov, 1, MADV_DONTNEED, 0), PG);
	CHECK_EQ(m[0], 0);
	CHECK_EQ(m[PG], 'x');
	CHECK_ERR(pmadvise(pfd, iov, 1, 12345, 0), EINVAL);
	/* A range that fails after one that worked: the bytes of the first. */
	CHECK_EQ(munmap(m + 2 * PG, 2 * PG), 0);
	CHECK_EQ(pmadvise(pfd, iov, 2, MADV_COLD, 0), PG);
	CHECK_ERR(pmadvise(pfd, iov + 1, 1, MADV_COLD, 0), ENOMEM);
	struct iovec odd = {m + 1, PG};
	CHECK_ERR(pmadvise(pfd, &odd, 1, MADV_COLD, 0), EINVAL);
	CHECK_ERR(mrelease(pfd, 0), EINVAL); /* not exiting */
	munmap(m, 2 * PG);
	close(pfd);
}

static char g_region[4 * PG] __attribute__((aligned(PG)));

static void other_process(void)
{
	int wfd = -1;
	pid_t pid = sleeper(&wfd);
	int pfd = pidfd_open(pid);
	struct iovec iov = {g_region, sizeof(g_region)};

	CHECK(pfd >= 0);
	CHECK_EQ(pmadvise(pfd, &iov, 1, MADV_COLD, 0), sizeof(g_region));
	CHECK_EQ(pmadvise(pfd, &iov, 1, MADV_PAGEOUT, 0), sizeof(g_region));
	CHECK_EQ(pmadvise(pfd, &iov, 1, MADV_WILLNEED, 0), sizeof(g_region));
	CHECK_ERR(pmadvise(pfd, &iov, 1, MADV_DONTNEED, 0), EINVAL);
	CHECK_ERR(pmadvise(pfd, &iov, 1, MADV_FREE, 0), EINVAL);
	CHECK_ERR(pmadvise(pfd, &iov, 1, MADV_NORMAL, 0), EINVAL);
	CHECK_ERR(mrelease(pfd, 0), EINVAL); /* alive and well */
	close(wfd);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	close(pfd);
}

static int cap_drop(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[cap / 32].effective &= ~(1U << (cap % 32));
	return (int)syscall(SYS_capset, &h, d);
}

static int g_target;

/* Without CAP_SYS_NICE: EPERM for another process, the own one still advised. */
static int no_nice(void)
{
	int pfd = pidfd_open(g_target), self = pidfd_open(getpid());
	struct iovec iov = {g_region, PG};

	if (pfd < 0 || self < 0 || cap_drop(CAP_SYS_NICE))
		return 90;
	if (pmadvise(pfd, &iov, 1, MADV_COLD, 0) != -1 || errno != EPERM)
		return 1;
	/* The advice is checked before the capability. */
	if (pmadvise(pfd, &iov, 1, MADV_DONTNEED, 0) != -1 || errno != EINVAL)
		return 2;
	if (pmadvise(self, &iov, 1, MADV_COLD, 0) != PG)
		return 3;
	return 0;
}

/* Another user, without CAP_SYS_PTRACE: EACCES, before the advice is looked at. */
static int other_user(void)
{
	int pfd = pidfd_open(g_target);
	struct iovec iov = {g_region, PG};

	if (pfd < 0 || setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
		return 90;
	if (pmadvise(pfd, &iov, 1, MADV_COLD, 0) != -1 || errno != EACCES)
		return 1;
	if (pmadvise(pfd, &iov, 1, MADV_DONTNEED, 0) != -1 || errno != EACCES)
		return 2;
	return 0;
}

static void permissions(void)
{
	int wfd = -1;

	g_target = sleeper(&wfd);
	CHECK(g_target > 0);
	CHECK_EQ(h_child_code(no_nice), 0);
	CHECK_EQ(h_child_code(other_user), 0);
	close(wfd);
	CHECK_EQ(waitpid(g_target, NULL, 0), g_target);
}

static void exited_process(void)
{
	struct iovec iov = {g_region, PG};
	pid_t pid;
	int pfd;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(0);
	pfd = pidfd_open(pid);
	CHECK(pfd >= 0);
	siginfo_t si;
	CHECK_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0); /* a zombie */
	CHECK_ERR(pmadvise(pfd, &iov, 1, MADV_COLD, 0), ESRCH);
	CHECK_ERR(mrelease(pfd, 0), ESRCH);
	CHECK_EQ(waitpid(pid, NULL, 0), pid); /* reaped */
	CHECK_ERR(pmadvise(pfd, &iov, 1, MADV_COLD, 0), ESRCH);
	CHECK_ERR(mrelease(pfd, 0), ESRCH);
	close(pfd);
}

/* Killed: exiting, so released (0), or already gone (ESRCH): which one is a race with
 * the child's exit, natively too. */
static void killed_process(void)
{
	int wfd = -1;
	pid_t pid = sleeper(&wfd);
	int pfd = pidfd_open(pid);
	long r;

	CHECK(pfd >= 0);
	CHECK_ERR(mrelease(pfd, 0), EINVAL);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	r = mrelease(pfd, 0);
	printf("  process_mrelease right after SIGKILL: %s\n", r == 0 ? "0" : h_errname(errno));
	CHECK(r == 0 || errno == ESRCH);
	close(wfd);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	CHECK_ERR(mrelease(pfd, 0), ESRCH);
	close(pfd);
}

int main(void)
{
	h_begin();
	RUN(bad_arguments);
	RUN(own_process);
	RUN(other_process);
	RUN(permissions);
	RUN(exited_process);
	RUN(killed_process);
	return h_end();
}
