/* getrusage/times/wait4 rusage with accounted CPU time, RLIMIT_CPU (SIGXCPU),
 * RLIMIT_FSIZE (SIGXFSZ and EFBIG) and RLIMIT_NPROC (EAGAIN on fork). */
#include "harness.h"

#include <signal.h>
#include <sys/resource.h>
#include <sys/times.h>

static long long tv_us(const struct timeval *tv)
{
	return tv->tv_sec * 1000000LL + tv->tv_usec;
}

static void busy_ms(int ms)
{
	struct timespec a, b;
	volatile unsigned long x = 0;

	clock_gettime(CLOCK_MONOTONIC, &a);
	do {
		for (int i = 0; i < 10000; i++)
			x += (unsigned long)i;
		clock_gettime(CLOCK_MONOTONIC, &b);
	} while ((b.tv_sec - a.tv_sec) * 1000LL + (b.tv_nsec - a.tv_nsec) / 1000000 < ms);
}

/* Spin until this process's user time grew by ms (true) or 10 s passed (false): the CPU
 * share a busy loop gets depends on the machine's load. */
static bool spin_user(int ms)
{
	struct rusage a, b;
	struct timespec w0, w;

	getrusage(RUSAGE_SELF, &a);
	clock_gettime(CLOCK_MONOTONIC, &w0);
	do {
		busy_ms(1);
		getrusage(RUSAGE_SELF, &b);
		clock_gettime(CLOCK_MONOTONIC, &w);
		if (w.tv_sec - w0.tv_sec > 10)
			return false;
	} while (tv_us(&b.ru_utime) - tv_us(&a.ru_utime) < ms * 1000LL);
	return true;
}

static void getrusage_self_shows_user_time(void)
{
	struct rusage a, b;

	CHECK_OK(getrusage(RUSAGE_SELF, &a));
	CHECK(spin_user(120));
	CHECK_OK(getrusage(RUSAGE_SELF, &b));
	CHECK(tv_us(&b.ru_utime) - tv_us(&a.ru_utime) >= 100000);
	CHECK(tv_us(&b.ru_stime) >= 0);
	CHECK_OK(getrusage(RUSAGE_THREAD, &b));
	CHECK(tv_us(&b.ru_utime) >= 100000);
	CHECK_ERR(getrusage((__rusage_who_t)5, &b), EINVAL);
	CHECK_ERR(syscall(SYS_getrusage, RUSAGE_SELF, 1L), EFAULT);
}

/* Field n (1-based, n >= 3) of /proc/self/stat. */
static long long proc_stat_field(int n)
{
	char buf[1024], *p;
	long long v = -1;
	int fd = open("/proc/self/stat", O_RDONLY);
	ssize_t len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (len <= 0)
		return -1;
	buf[len] = 0;
	p = strrchr(buf, ')');
	for (int i = 2; p && i < n; i++)
		p = strchr(p + 1, ' ');
	if (p)
		sscanf(p + 1, "%lld", &v);
	return v;
}

static void proc_stat_shows_cpu_time_and_nice(void)
{
	CHECK(spin_user(120));
	CHECK(proc_stat_field(14) >= 10); /* utime in USER_HZ ticks */
	CHECK(proc_stat_field(15) >= 0);
	CHECK_EQ(proc_stat_field(18), 20 + getpriority(PRIO_PROCESS, 0));
	CHECK_EQ(proc_stat_field(19), getpriority(PRIO_PROCESS, 0));
}

static void children_times_after_wait(void)
{
	struct rusage ru, before, after;
	struct tms tm;
	int status;
	pid_t pid;

	CHECK_OK(getrusage(RUSAGE_CHILDREN, &before));
	pid = fork();
	if (pid == 0)
		_exit(spin_user(150) ? 0 : 1);
	CHECK_EQ(wait4(pid, &status, 0, &ru), pid);
	CHECK_EQ(status, 0);
	CHECK(tv_us(&ru.ru_utime) >= 100000);
	CHECK_OK(getrusage(RUSAGE_CHILDREN, &after));
	CHECK(tv_us(&after.ru_utime) - tv_us(&before.ru_utime) >= 100000);
	CHECK(times(&tm) != (clock_t)-1);
	CHECK(tm.tms_cutime >= 10); /* 100 ms in USER_HZ ticks */
	CHECK(tm.tms_utime >= 10);  /* the earlier busy loop */
}

static volatile sig_atomic_t g_sig;

static void on_sig(int sig)
{
	g_sig = sig;
}

/* Run fn in a child and return its wait status. */
static int in_child(void (*fn)(void))
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	return status;
}

static void cpu_limit_child(void)
{
	struct rlimit rl = {1, RLIM_INFINITY};
	struct sigaction sa = {.sa_handler = on_sig};

	sigaction(SIGXCPU, &sa, NULL);
	if (setrlimit(RLIMIT_CPU, &rl) < 0)
		_exit(2);
	for (int i = 0; i < 400 && !g_sig; i++)
		busy_ms(50);
	_exit(g_sig == SIGXCPU ? 0 : 3);
}

static void cpu_limit_default_child(void)
{
	struct rlimit rl = {1, RLIM_INFINITY};

	setrlimit(RLIMIT_CPU, &rl);
	busy_ms(20000);
	_exit(4);
}

static void rlimit_cpu_raises_sigxcpu(void)
{
	int st = in_child(cpu_limit_child);

	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	st = in_child(cpu_limit_default_child);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGXCPU);
}

static void fsize_child(void)
{
	struct rlimit rl = {100, RLIM_INFINITY};
	struct sigaction sa = {.sa_handler = on_sig};
	char buf[150], path[128];
	int fd;

	memset(buf, 'x', sizeof(buf));
	snprintf(path, sizeof(path), "%s/big", g_tmpdir);
	sigaction(SIGXFSZ, &sa, NULL);
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	if (fd < 0 || setrlimit(RLIMIT_FSIZE, &rl) < 0)
		_exit(2);
	if (write(fd, buf, 150) != 100 || g_sig)
		_exit(3);
	if (write(fd, buf, 1) != -1 || errno != EFBIG || g_sig != SIGXFSZ)
		_exit(4);
	if (pwrite(fd, buf, 10, 95) != 5)
		_exit(5);
	if (pwrite(fd, buf, 10, 10) != 10)
		_exit(6);
	/* Growing by truncation past the limit fails the same way; shrinking works. */
	g_sig = 0;
	if (ftruncate(fd, 200) != -1 || errno != EFBIG || g_sig != SIGXFSZ)
		_exit(7);
	g_sig = 0;
	if (truncate(path, 300) != -1 || errno != EFBIG || g_sig != SIGXFSZ)
		_exit(8);
	if (ftruncate(fd, 50) < 0 || truncate(path, 100) < 0)
		_exit(9);
	_exit(0);
}

static void fsize_default_child(void)
{
	struct rlimit rl = {10, RLIM_INFINITY};
	char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/big2", g_tmpdir);
	fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0600);
	setrlimit(RLIMIT_FSIZE, &rl);
	if (write(fd, "0123456789", 10) != 10)
		_exit(2);
	if (write(fd, "a", 1) < 0)
		_exit(3);
	_exit(4);
}

static void rlimit_fsize_raises_sigxfsz_and_efbig(void)
{
	int st = in_child(fsize_child);

	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	st = in_child(fsize_default_child);
	CHECK(WIFSIGNALED(st));
	CHECK_EQ(WTERMSIG(st), SIGXFSZ);
}

static void nproc_child(void)
{
	struct rlimit rl = {1, 1};
	pid_t pid;

	if (setrlimit(RLIMIT_NPROC, &rl) < 0 || setuid(54321) < 0)
		_exit(2);
	pid = fork();
	if (pid == 0)
		_exit(0);
	_exit(pid < 0 && errno == EAGAIN ? 0 : 3);
}

static void rlimit_nproc_stops_fork(void)
{
	int st = in_child(nproc_child);

	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

int main(void)
{
	h_begin();
	RUN(getrusage_self_shows_user_time);
	RUN(proc_stat_shows_cpu_time_and_nice);
	RUN(children_times_after_wait);
	RUN(rlimit_cpu_raises_sigxcpu);
	RUN(rlimit_fsize_raises_sigxfsz_and_efbig);
	RUN(rlimit_nproc_stops_fork);
	return h_end();
}
