/* Capabilities: capget on root, capset rules, dropping CAP_SETUID, the bounding set,
 * ambient capabilities, KEEPCAPS across setuid, securebits. */
#include "harness.h"

#include <linux/capability.h>
#include <sys/prctl.h>

static int cap_get(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	return (int)syscall(SYS_capget, &h, d);
}

static int cap_set(struct __user_cap_data_struct d[2])
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};

	return (int)syscall(SYS_capset, &h, d);
}

static unsigned long long caps64(unsigned lo, unsigned hi)
{
	return (unsigned long long)hi << 32 | lo;
}

static void root_has_its_capabilities(void)
{
	struct __user_cap_data_struct d[2];
	unsigned long long eff, prm;
	int last = CAP_CHECKPOINT_RESTORE;

	CHECK_OK(cap_get(d));
	eff = caps64(d[0].effective, d[1].effective);
	prm = caps64(d[0].permitted, d[1].permitted);
	CHECK_EQ(eff, prm);
	CHECK_EQ(caps64(d[0].inheritable, d[1].inheritable), 0);
	for (int c = 0; c <= last; c++)
		CHECK_EQ(prctl(PR_CAPBSET_READ, c), (prm >> c) & 1);
	CHECK(prm & (1ULL << CAP_SETUID));
	CHECK(prm & (1ULL << CAP_SYS_ADMIN));
	CHECK(prm & (1ULL << CAP_SETPCAP));
	CHECK_ERR(prctl(PR_CAPBSET_READ, 64), EINVAL);
}

static void version_query_and_errors(void)
{
	struct __user_cap_header_struct h = {0x12345678, 0};
	struct __user_cap_data_struct d[2];

	CHECK_EQ(syscall(SYS_capget, &h, NULL), 0);
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	h.version = 0x12345678;
	CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL);
	CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	h.pid = 999999;
	CHECK_ERR(syscall(SYS_capget, &h, d), ESRCH);
	h.pid = -1;
	CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL);
}

static void drop_setuid_child(void)
{
	struct __user_cap_data_struct d[2];

	if (cap_get(d) < 0)
		_exit(2);
	d[0].effective &= ~(1U << CAP_SETUID);
	d[0].permitted &= ~(1U << CAP_SETUID);
	if (cap_set(d) < 0)
		_exit(3);
	if (setuid(1234) != -1 || errno != EPERM)
		_exit(4);
	/* Raising a dropped capability again is refused. */
	d[0].permitted |= 1U << CAP_SETUID;
	if (cap_set(d) != -1 || errno != EPERM)
		_exit(5);
	/* Effective beyond permitted is refused too. */
	d[0].permitted &= ~(1U << CAP_SETUID);
	d[0].effective |= 1U << CAP_SETUID;
	if (cap_set(d) != -1 || errno != EPERM)
		_exit(6);
	_exit(0);
}

static void keepcaps_child(void)
{
	struct __user_cap_data_struct d[2];

	if (prctl(PR_SET_KEEPCAPS, 1) < 0 || prctl(PR_GET_KEEPCAPS) != 1)
		_exit(2);
	if (setresuid(1000, 1000, 1000) < 0)
		_exit(3);
	if (cap_get(d) < 0 || d[0].effective != 0 || !(d[0].permitted & (1U << CAP_SETUID)))
		_exit(4);
	_exit(0);
}

static void setuid_clears_child(void)
{
	struct __user_cap_data_struct d[2];

	if (setresuid(1000, 1000, 1000) < 0)
		_exit(2);
	if (cap_get(d) < 0 || d[0].effective || d[0].permitted || d[1].permitted)
		_exit(3);
	if (setuid(0) != -1 || errno != EPERM)
		_exit(4);
	_exit(0);
}

static void bset_and_ambient_child(void)
{
	struct __user_cap_data_struct d[2];

	if (prctl(PR_CAPBSET_DROP, CAP_NET_RAW) < 0 || prctl(PR_CAPBSET_READ, CAP_NET_RAW) != 0)
		_exit(2);
	/* Ambient needs the capability in permitted and inheritable. */
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0) != -1 || errno != EPERM)
		_exit(3);
	if (cap_get(d) < 0)
		_exit(4);
	d[0].inheritable |= 1U << CAP_CHOWN;
	if (cap_set(d) < 0)
		_exit(5);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0) != 1)
		_exit(6);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 ||
	    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_CHOWN, 0, 0) != 0)
		_exit(7);
	/* Inheritable may not gain a capability outside the bounding set. */
	d[0].inheritable |= 1U << CAP_NET_RAW;
	if (cap_set(d) != -1 || errno != EPERM)
		_exit(8);
	/* Without CAP_SETPCAP the bounding set cannot shrink further. */
	d[0].inheritable &= ~(1U << CAP_NET_RAW);
	d[0].effective &= ~(1U << CAP_SETPCAP);
	if (cap_set(d) < 0)
		_exit(9);
	if (prctl(PR_CAPBSET_DROP, CAP_CHOWN) != -1 || errno != EPERM)
		_exit(10);
	if (prctl(PR_SET_SECUREBITS, 0) != -1 || errno != EPERM)
		_exit(11);
	_exit(0);
}

static void securebits_child(void)
{
	if (prctl(PR_GET_SECUREBITS) != 0)
		_exit(2);
	if (prctl(PR_SET_SECUREBITS, 0x30) < 0) /* KEEP_CAPS and its lock */
		_exit(3);
	if (prctl(PR_GET_KEEPCAPS) != 1)
		_exit(4);
	if (prctl(PR_SET_KEEPCAPS, 0) != -1 || errno != EPERM)
		_exit(5);
	if (prctl(PR_SET_SECUREBITS, 0) != -1 || errno != EPERM)
		_exit(6);
	_exit(0);
}

/* The value of a "Name:\t%llx" line of /proc/self/status, or ~0 when missing. */
static unsigned long long status_hex(const char *name)
{
	char buf[4096], *p;
	unsigned long long v = ~0ULL;
	int fd = open("/proc/self/status", O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return v;
	buf[n] = 0;
	p = strstr(buf, name);
	if (p)
		sscanf(p + strlen(name), ":\t%llx", &v);
	return v;
}

static void status_child(void)
{
	struct __user_cap_data_struct d[2];

	if (cap_get(d) < 0)
		_exit(2);
	d[0].effective &= ~(1U << CAP_KILL);
	d[0].inheritable = 1U << CAP_CHOWN;
	if (cap_set(d) < 0 || prctl(PR_CAPBSET_DROP, CAP_MKNOD) < 0)
		_exit(3);
	if (status_hex("CapEff") != caps64(d[0].effective, d[1].effective))
		_exit(4);
	if (status_hex("CapPrm") != caps64(d[0].permitted, d[1].permitted))
		_exit(5);
	if (status_hex("CapInh") != (1ULL << CAP_CHOWN))
		_exit(6);
	if (status_hex("CapBnd") & (1ULL << CAP_MKNOD))
		_exit(7);
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0) < 0 ||
	    status_hex("CapAmb") != (1ULL << CAP_CHOWN))
		_exit(8);
	_exit(0);
}

static char *g_self;

/* Re-executed as `caps_test show`: print the sets for the parent to check. */
static int show_caps(void)
{
	struct __user_cap_data_struct d[2];

	if (cap_get(d) < 0)
		return 2;
	printf("%llx %llx %llx\n", caps64(d[0].effective, d[1].effective),
	       caps64(d[0].permitted, d[1].permitted), caps64(d[0].inheritable, d[1].inheritable));
	return 0;
}

/* Run this program with `show` after prep() in a child; parse its sets. */
static int exec_sets(void (*prep)(void), unsigned long long out[3])
{
	int p[2], status;
	char buf[128] = {0};
	pid_t pid;

	if (pipe(p) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		if (prep)
			prep();
		execl(g_self, g_self, "show", (char *)NULL);
		_exit(3);
	}
	close(p[1]);
	if (read(p[0], buf, sizeof(buf) - 1) < 0)
		buf[0] = 0;
	close(p[0]);
	waitpid(pid, &status, 0);
	if (sscanf(buf, "%llx %llx %llx", &out[0], &out[1], &out[2]) != 3)
		return -1;
	return 0;
}

static void prep_nonroot(void)
{
	prctl(PR_SET_KEEPCAPS, 1);
	if (setresuid(1000, 1000, 1000) < 0)
		_exit(4);
}

static void prep_ambient(void)
{
	struct __user_cap_data_struct d[2];

	prctl(PR_SET_KEEPCAPS, 1);
	if (setresuid(1000, 1000, 1000) < 0 || cap_get(d) < 0)
		_exit(4);
	d[0].inheritable = 1U << CAP_CHOWN;
	d[0].effective = d[0].permitted;
	if (cap_set(d) < 0 || prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_CHOWN, 0, 0) < 0)
		_exit(5);
}

static void prep_bset(void)
{
	if (prctl(PR_CAPBSET_DROP, CAP_SYS_ADMIN) < 0)
		_exit(4);
}

static void exec_computes_capabilities(void)
{
	struct __user_cap_data_struct d[2];
	unsigned long long s[3], prm;

	CHECK_OK(cap_get(d));
	prm = caps64(d[0].permitted, d[1].permitted);
	/* Root keeps its capabilities across exec. */
	CHECK_OK(exec_sets(NULL, s));
	CHECK_EQ(s[0], prm);
	CHECK_EQ(s[1], prm);
	/* Root's new permitted set is the bounding set. */
	CHECK_OK(exec_sets(prep_bset, s));
	CHECK_EQ(s[1], prm & ~(1ULL << CAP_SYS_ADMIN));
	/* A non-root exec loses everything kept with KEEPCAPS... */
	CHECK_OK(exec_sets(prep_nonroot, s));
	CHECK_EQ(s[0], 0);
	CHECK_EQ(s[1], 0);
	/* ...except ambient capabilities. */
	CHECK_OK(exec_sets(prep_ambient, s));
	CHECK_EQ(s[0], 1ULL << CAP_CHOWN);
	CHECK_EQ(s[1], 1ULL << CAP_CHOWN);
	CHECK_EQ(s[2], 1ULL << CAP_CHOWN);
}

static int in_child(void (*fn)(void))
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0)
		fn();
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

static void capset_rules(void)
{
	CHECK_EQ(in_child(drop_setuid_child), 0);
	CHECK_EQ(in_child(setuid_clears_child), 0);
	CHECK_EQ(in_child(keepcaps_child), 0);
}

static void proc_status_shows_the_sets(void)
{
	CHECK_EQ(in_child(status_child), 0);
}

static void bounding_ambient_securebits(void)
{
	CHECK_EQ(in_child(bset_and_ambient_child), 0);
	CHECK_EQ(in_child(securebits_child), 0);
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "show") == 0)
		return show_caps();
	g_self = argv[0];
	h_begin();
	RUN(root_has_its_capabilities);
	RUN(version_query_and_errors);
	RUN(capset_rules);
	RUN(bounding_ambient_securebits);
	RUN(exec_computes_capabilities);
	RUN(proc_status_shows_the_sets);
	return h_end();
}
