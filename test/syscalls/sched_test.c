/* sched_* policies, priorities and affinity, sched_rr_get_interval, personality query,
 * setdomainname. */
#include "harness.h"

#include <linux/membarrier.h>
#include <pthread.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

static void priority_ranges(void)
{
	CHECK_EQ(sched_get_priority_max(SCHED_FIFO), 99);
	CHECK_EQ(sched_get_priority_min(SCHED_FIFO), 1);
	CHECK_EQ(sched_get_priority_max(SCHED_RR), 99);
	CHECK_EQ(sched_get_priority_min(SCHED_RR), 1);
	CHECK_EQ(sched_get_priority_max(SCHED_OTHER), 0);
	CHECK_EQ(sched_get_priority_min(SCHED_BATCH), 0);
	CHECK_EQ(sched_get_priority_max(SCHED_IDLE), 0);
	CHECK_ERR(sched_get_priority_max(42), EINVAL);
	CHECK_ERR(sched_get_priority_min(-1), EINVAL);
}

/* /proc/self/stat's rt_priority and policy (fields 40 and 41) as "PRIO POLICY". */
static const char *stat_sched(void)
{
	static char out[32];
	char buf[4096], *p;
	int fd = open("/proc/self/stat", O_RDONLY), field = 2;
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return "unreadable";
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (; p && *p && field < 40; p++)
		if (*p == ' ')
			field++;
	int prio = -1, policy = -1;
	if (!p || sscanf(p, "%d %d", &prio, &policy) != 2)
		return "short";
	snprintf(out, sizeof(out), "%d %d", prio, policy);
	return out;
}

static void policy_child(void)
{
	struct sched_param p = {.sched_priority = 10};
	struct timespec ts;

	if (sched_getscheduler(0) != SCHED_OTHER)
		_exit(2);
	if (sched_setscheduler(0, SCHED_RR, &p) < 0)
		_exit(3);
	if (sched_getscheduler(0) != SCHED_RR)
		_exit(4);
	if (strcmp(stat_sched(), "10 2"))
		_exit(13);
	p.sched_priority = 0;
	if (sched_getparam(0, &p) < 0 || p.sched_priority != 10)
		_exit(5);
	if (sched_rr_get_interval(0, &ts) < 0 || ts.tv_sec != 0 || ts.tv_nsec != 100000000)
		_exit(6);
	p.sched_priority = 20;
	if (sched_setparam(0, &p) < 0 || sched_getparam(0, &p) < 0 || p.sched_priority != 20)
		_exit(7);
	p.sched_priority = 100;
	if (sched_setscheduler(0, SCHED_FIFO, &p) != -1 || errno != EINVAL)
		_exit(8);
	p.sched_priority = 5;
	if (sched_setscheduler(0, SCHED_OTHER, &p) != -1 || errno != EINVAL)
		_exit(9);
	p.sched_priority = 1;
	if (sched_setscheduler(0, SCHED_FIFO, &p) < 0 || sched_getscheduler(0) != SCHED_FIFO)
		_exit(10);
	if (sched_rr_get_interval(0, &ts) < 0 || ts.tv_sec != 0 || ts.tv_nsec != 0)
		_exit(11);
	p.sched_priority = 0;
	if (sched_setscheduler(0, SCHED_BATCH, &p) < 0 || strcmp(stat_sched(), "0 3"))
		_exit(14);
	if (sched_setscheduler(0, SCHED_OTHER, &p) < 0 || strcmp(stat_sched(), "0 0"))
		_exit(12);
	_exit(0);
}

static void policies_and_params(void)
{
	struct sched_param p = {0};
	int status;
	pid_t pid = fork();

	if (pid == 0)
		policy_child();
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_ERR(sched_setscheduler(0, 77, &p), EINVAL);
	CHECK_ERR(sched_getscheduler(-1), EINVAL);
	CHECK_ERR(sched_getscheduler(999999), ESRCH);
	CHECK_ERR(syscall(SYS_sched_setscheduler, 0, SCHED_OTHER, NULL), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getparam, 0, NULL), EINVAL);
}

static void affinity_round_trip(void)
{
	cpu_set_t all, one, got;

	CHECK_OK(sched_getaffinity(0, sizeof(all), &all));
	CHECK(CPU_COUNT(&all) >= 1);
	CPU_ZERO(&one);
	for (int c = 0; c < CPU_SETSIZE; c++) {
		if (CPU_ISSET(c, &all)) {
			CPU_SET(c, &one);
			break;
		}
	}
	CHECK_OK(sched_setaffinity(0, sizeof(one), &one));
	CHECK_OK(sched_getaffinity(0, sizeof(got), &got));
	CHECK_EQ(CPU_COUNT(&got), 1);
	CHECK(CPU_EQUAL(&got, &one));
	CHECK_OK(sched_setaffinity(0, sizeof(all), &all));
	CPU_ZERO(&one);
	CHECK_ERR(sched_setaffinity(0, sizeof(one), &one), EINVAL);
	CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 3, &got), EINVAL);
	CHECK_ERR(sched_getaffinity(999999, sizeof(got), &got), ESRCH);
}

static void personality_query(void)
{
	int cur = personality(0xffffffff);

	CHECK(cur >= 0);
	CHECK_EQ(personality(cur | ADDR_NO_RANDOMIZE), cur);
	CHECK_EQ(personality(0xffffffff), cur | ADDR_NO_RANDOMIZE);
	CHECK_EQ(personality(cur), cur | ADDR_NO_RANDOMIZE);
	CHECK_EQ(personality(0xffffffff), cur);
}

static void domainname_child(void)
{
	static char big[80];
	struct utsname u;

	/* Natively use a private UTS namespace; the sandbox has its own already. */
	if (unshare(CLONE_NEWUTS) < 0 && errno != ENOSYS && errno != EINVAL)
		_exit(2);
	if (setdomainname("sandbox.test", 12) < 0)
		_exit(3);
	if (uname(&u) < 0 || strcmp(u.domainname, "sandbox.test") != 0)
		_exit(4);
	if (setdomainname(big, 65) != -1 || errno != EINVAL)
		_exit(5);
	if (syscall(SYS_setdomainname, 1L, 4) != -1 || errno != EFAULT)
		_exit(6);
	if (setresuid(1000, 1000, 1000) < 0)
		_exit(7);
	if (setdomainname("y", 1) != -1 || errno != EPERM)
		_exit(8);
	_exit(0);
}

static void setdomainname_changes_uname(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		domainname_child();
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

static void nice_child(void)
{
	errno = 0;
	if (getpriority(PRIO_PROCESS, 0) != 0 || errno)
		_exit(2);
	if (setpriority(PRIO_PROCESS, 0, 5) < 0 || getpriority(PRIO_PROCESS, 0) != 5)
		_exit(3);
	if (getpriority(PRIO_PGRP, 0) > 5 || getpriority(PRIO_USER, 0) > 5)
		_exit(4);
	/* Out-of-range values are clamped. */
	if (setpriority(PRIO_PROCESS, 0, 100) < 0 || getpriority(PRIO_PROCESS, 0) != 19)
		_exit(5);
	if (setpriority(PRIO_PROCESS, 0, 10) < 0)
		_exit(6);
	if (setresuid(1000, 1000, 1000) < 0)
		_exit(7);
	/* Raising nice is always allowed; lowering it needs CAP_SYS_NICE or RLIMIT_NICE. */
	if (setpriority(PRIO_PROCESS, 0, 12) < 0)
		_exit(8);
	if (setpriority(PRIO_PROCESS, 0, 11) != -1 || errno != EACCES)
		_exit(9);
	if (setpriority(PRIO_PROCESS, 1, 15) != -1 || errno != EPERM)
		_exit(10);
	_exit(0);
}

static void nice_values(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		nice_child();
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_ERR(getpriority((__priority_which_t)7, 0), EINVAL);
	CHECK_ERR(getpriority(PRIO_PROCESS, 999999), ESRCH);
	CHECK_ERR(setpriority(PRIO_PGRP, 999999, 0), ESRCH);
	/* The raw syscall returns 20 - nice. */
	CHECK_EQ(syscall(SYS_getpriority, PRIO_PROCESS, 0), 20 - getpriority(PRIO_PROCESS, 0));
}

static void sysinfo_counts_tasks(void)
{
	struct sysinfo si;
	int status;
	pid_t pid;

	CHECK_OK(sysinfo(&si));
	CHECK(si.procs >= 1);
	CHECK(si.totalram > 0);
	CHECK(si.mem_unit >= 1);
	pid = fork();
	if (pid == 0) {
		struct sysinfo s2;
		_exit(sysinfo(&s2) == 0 && s2.procs >= 2 ? 0 : 1);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
	CHECK_ERR(syscall(SYS_sysinfo, 1L), EFAULT);
}

struct attr {
	unsigned size, policy;
	unsigned long long flags;
	int nice;
	unsigned priority;
	unsigned long long runtime, deadline, period;
	unsigned util_min, util_max;
};

static void attr_child(void)
{
	struct attr at = {.size = 48, .policy = SCHED_OTHER, .nice = 7}, got;
	struct {
		struct attr a;
		unsigned long long tail;
	} big = {{.size = sizeof(big), .policy = SCHED_OTHER}, 1};
	int status;
	pid_t pid;

	if (syscall(SYS_sched_setattr, 0, &at, 0) < 0 || getpriority(PRIO_PROCESS, 0) != 7)
		_exit(2);
	memset(&got, 0, sizeof(got));
	if (syscall(SYS_sched_getattr, 0, &got, sizeof(got), 0) < 0 || got.nice != 7 ||
	    got.policy != SCHED_OTHER || got.size != sizeof(got))
		_exit(3);
	at = (struct attr){.size = 48, .policy = SCHED_RR, .priority = 5, .flags = 1};
	if (syscall(SYS_sched_setattr, 0, &at, 0) < 0 ||
	    sched_getscheduler(0) != (SCHED_RR | SCHED_RESET_ON_FORK))
		_exit(4);
	if (syscall(SYS_sched_getattr, 0, &got, 48, 0) < 0 || got.priority != 5 ||
	    got.flags != 1 || got.size != 48)
		_exit(5);
	/* Reset-on-fork: the child runs SCHED_OTHER without the flag. */
	pid = fork();
	if (pid == 0)
		_exit(sched_getscheduler(0) == SCHED_OTHER ? 0 : 1);
	if (waitpid(pid, &status, 0) != pid || status != 0)
		_exit(6);
	/* Sizes: too small is E2BIG with the known size written back; a larger struct must
	 * be zero past the known part. */
	at.size = 20;
	if (syscall(SYS_sched_setattr, 0, &at, 0) != -1 || errno != E2BIG || at.size < 48)
		_exit(7);
	if (syscall(SYS_sched_setattr, 0, &big, 0) != -1 || errno != E2BIG)
		_exit(8);
	big.tail = 0;
	if (syscall(SYS_sched_setattr, 0, &big, 0) < 0 || sched_getscheduler(0) != SCHED_OTHER)
		_exit(9);
	/* nice belongs to the fair policies: SCHED_IDLE leaves it, SCHED_BATCH sets it. */
	struct attr idle = {.size = 48, .policy = SCHED_IDLE, .nice = 4};
	if (syscall(SYS_sched_setattr, 0, &idle, 0) < 0 || getpriority(PRIO_PROCESS, 0) != 0 ||
	    sched_getscheduler(0) != SCHED_IDLE)
		_exit(12);
	idle.policy = SCHED_BATCH;
	if (syscall(SYS_sched_setattr, 0, &idle, 0) < 0 || getpriority(PRIO_PROCESS, 0) != 4)
		_exit(13);
	if (syscall(SYS_sched_setattr, 0, &at, 1) != -1 || errno != EINVAL)
		_exit(10);
	if (syscall(SYS_sched_getattr, 0, &got, 8, 0) != -1 || errno != EINVAL)
		_exit(11);
	_exit(0);
}

static void sched_attr_round_trip(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		attr_child();
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
}

static volatile int g_stop;

static void *spinner(void *arg)
{
	volatile unsigned long x = 0;

	while (!g_stop)
		x++;
	return NULL;
}

static void membarrier_commands(void)
{
	long mask = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	pthread_t th;

	CHECK(mask > 0);
	CHECK(mask & MEMBARRIER_CMD_GLOBAL);
	CHECK(mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED);
	CHECK(mask & MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
	CHECK_ERR(syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0), EPERM);
	CHECK_OK(syscall(SYS_membarrier, MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0));
	/* With another thread running app code, the barrier still completes. */
	CHECK_OK(pthread_create(&th, NULL, spinner, NULL));
	usleep(10000);
	for (int i = 0; i < 20; i++)
		CHECK_OK(syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0));
	CHECK_OK(syscall(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0));
	g_stop = 1;
	pthread_join(th, NULL);
	CHECK_ERR(syscall(SYS_membarrier, 12345, 0, 0), EINVAL);
	CHECK_ERR(syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 7, 0), EINVAL);
}

int main(void)
{
	h_begin();
	RUN(priority_ranges);
	RUN(policies_and_params);
	RUN(affinity_round_trip);
	RUN(personality_query);
	RUN(nice_values);
	RUN(sysinfo_counts_tasks);
	RUN(sched_attr_round_trip);
	RUN(membarrier_commands);
	RUN(setdomainname_changes_uname);
	return h_end();
}
