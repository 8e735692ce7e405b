/* /proc/PID/oom_score_adj and the legacy oom_adj: per process, inherited at fork,
 * -1000..1000 (else EINVAL), parsed as Linux's kstrtoint, lowering below the floor needs
 * CAP_SYS_RESOURCE (EACCES), a write with it sets the floor, writes follow the file's
 * mode (owner 0644). Each case works in a child so the runner's value is never changed. */
#include "harness.h"

#include <linux/capability.h>
#include <sys/prctl.h>

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	int saved = errno;
	close(fd);
	errno = saved;
	return (int)n;
}

static int read_int(const char *path)
{
	char buf[32] = "";
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	if (n <= 0 || buf[n - 1] != '\n')
		return -99999;
	return atoi(buf);
}

#define ADJ "/proc/self/oom_score_adj"
#define LEGACY "/proc/self/oom_adj"

static bool have_cap(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	return (d[cap / 32].effective >> (cap % 32)) & 1;
}

static int drop_cap(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	d[cap / 32].effective &= ~(1u << (cap % 32));
	d[cap / 32].permitted &= ~(1u << (cap % 32));
	return (int)syscall(SYS_capset, &h, d);
}

/* Run fn in a child; the case fails if the child's checks failed. */
static void in_child(void (*fn)(void))
{
	int st;

	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		g_case_fails = 0;
		fn();
		fflush(stdout);
		_exit(g_case_fails ? 1 : 0);
	}
	st = h_wait(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void do_read_format(void)
{
	char buf[32] = "";
	int fd = CHECK_OK(open(ADJ, O_RDONLY));
	ssize_t n = CHECK_OK(read(fd, buf, sizeof(buf) - 1));

	close(fd);
	CHECK(n >= 2 && buf[n - 1] == '\n');
	int v = atoi(buf);
	CHECK(v >= -1000 && v <= 1000);
	char self[64];
	snprintf(self, sizeof(self), "/proc/%d/oom_score_adj", getpid());
	CHECK_EQ(read_int(self), v);
	struct stat st;
	CHECK_OK(stat(ADJ, &st));
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_OK(stat(LEGACY, &st));
	CHECK_EQ(st.st_mode & 07777, 0644);
}

static void read_format(void)
{
	in_child(do_read_format);
}

/* Raising is always allowed: values, the legacy scale and what write returns. */
static void do_write_and_read_back(void)
{
	CHECK_EQ(write_str(ADJ, "500"), 3);
	CHECK_EQ(read_int(ADJ), 500);
	CHECK_EQ(read_int(LEGACY), 8); /* 500 * 17 / 1000 */
	CHECK_EQ(write_str(ADJ, " 600 \n"), 6);
	CHECK_EQ(read_int(ADJ), 600);
	CHECK_EQ(write_str(ADJ, "0x2bc"), 5); /* base 0: hex */
	CHECK_EQ(read_int(ADJ), 700);
	CHECK_EQ(write_str(ADJ, "01674"), 5); /* and octal */
	CHECK_EQ(read_int(ADJ), 956);
	CHECK_EQ(write_str(ADJ, "+1000"), 5);
	CHECK_EQ(read_int(ADJ), 1000);
	CHECK_EQ(read_int(LEGACY), 15);
	/* Only the first 12 bytes are read, and that is what write returns. */
	CHECK_EQ(write_str(ADJ, "        1000      "), 12);
	CHECK_EQ(read_int(ADJ), 1000);
}

static void write_and_read_back(void)
{
	in_child(do_write_and_read_back);
}

static void do_bad_values(void)
{
	CHECK_EQ(write_str(ADJ, "300"), 3);
	CHECK_ERR(write_str(ADJ, "1001"), EINVAL);
	CHECK_ERR(write_str(ADJ, "-1001"), EINVAL);
	CHECK_ERR(write_str(ADJ, "abc"), EINVAL);
	CHECK_ERR(write_str(ADJ, "5x"), EINVAL);
	CHECK_ERR(write_str(ADJ, "1 2"), EINVAL);
	CHECK_ERR(write_str(ADJ, "\n"), EINVAL);
	CHECK_ERR(write_str(ADJ, "--5"), EINVAL);
	CHECK_ERR(write_str(ADJ, "2147483648"), ERANGE);
	CHECK_ERR(write_str(ADJ, "12345678901234"), ERANGE);
	int fd = CHECK_OK(open(ADJ, O_WRONLY));
	CHECK_ERR(write(fd, "", 0), EINVAL);
	close(fd);
	CHECK_EQ(read_int(ADJ), 300);
	/* Legacy oom_adj: -16..15 or -17. */
	CHECK_ERR(write_str(LEGACY, "16"), EINVAL);
	CHECK_ERR(write_str(LEGACY, "-18"), EINVAL);
	CHECK_EQ(read_int(ADJ), 300);
}

static void bad_values(void)
{
	in_child(do_bad_values);
}

static void do_inherit_across_fork(void)
{
	CHECK_EQ(write_str(ADJ, "321"), 3);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		int ok = read_int(ADJ) == 321 && write_str(ADJ, "456") == 3 &&
			 read_int(ADJ) == 456;
		_exit(ok ? 0 : 1);
	}
	int st = h_wait(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK_EQ(read_int(ADJ), 321); /* the child's write was its own */
	/* A parent writes its child's file; the child sees it. */
	int p[2];
	CHECK_OK(pipe(p));
	pid = fork();
	if (pid == 0) {
		char c;
		close(p[1]);
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		_exit(read_int(ADJ) == 999 ? 0 : 1);
	}
	close(p[0]);
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", pid);
	CHECK_EQ(write_str(path, "999"), 3);
	CHECK_EQ(read_int(path), 999);
	close(p[1]);
	st = h_wait(pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void inherit_across_fork(void)
{
	in_child(do_inherit_across_fork);
}

/* Without CAP_SYS_RESOURCE nothing goes below the floor (the last value a privileged
 * writer set); the legacy file may not go below the current value. */
static void do_lowering_needs_cap_sys_resource(void)
{
	bool cap = have_cap(CAP_SYS_RESOURCE);

	if (cap) {
		/* A write with the capability sets the floor (every such write does). */
		CHECK_EQ(write_str(ADJ, "-200"), 4);
		CHECK_OK(drop_cap(CAP_SYS_RESOURCE));
		CHECK_ERR(write_str(ADJ, "-201"), EACCES);
		CHECK_EQ(write_str(ADJ, "100"), 3);
		CHECK_EQ(write_str(ADJ, "-200"), 4); /* the floor itself is allowed */
	} else {
		printf("# CAP_SYS_RESOURCE is not held here: the floor-setting write is "
		       "checked only where it is (in the sandbox)\n");
		CHECK_OK(drop_cap(CAP_SYS_RESOURCE));
	}
	CHECK(!have_cap(CAP_SYS_RESOURCE));
	CHECK_EQ(write_str(ADJ, "100"), 3);
	CHECK_ERR(write_str(ADJ, "-1000"), EACCES);
	CHECK_EQ(read_int(ADJ), 100);
	CHECK_EQ(write_str(ADJ, "200"), 3);
	/* Legacy: 2 -> 117 is below 200. */
	CHECK_ERR(write_str(LEGACY, "2"), EACCES);
	CHECK_EQ(write_str(LEGACY, "5"), 1);
	CHECK_EQ(read_int(ADJ), 294); /* 5 * 1000 / 17 */
	CHECK_EQ(read_int(LEGACY), 4);
	CHECK_EQ(write_str(LEGACY, "15"), 2);
	CHECK_EQ(read_int(ADJ), 1000);
	CHECK_ERR(write_str(LEGACY, "-17"), EACCES);
}

static void lowering_needs_cap_sys_resource(void)
{
	in_child(do_lowering_needs_cap_sys_resource);
}

/* The file is the process owner's, mode 0644: another user cannot write it. */
static void do_only_owner_writes(void)
{
	char parent[64];

	snprintf(parent, sizeof(parent), "/proc/%d/oom_score_adj", getppid());
	CHECK_OK(setresgid(65534, 65534, 65534));
	CHECK_OK(setresuid(65534, 65534, 65534));
	CHECK_OK(prctl(PR_SET_DUMPABLE, 1));
	CHECK_ERR(open(parent, O_WRONLY), EACCES);
	CHECK(read_int(parent) >= -1000);
	CHECK_EQ(write_str(ADJ, "1000"), 4);
	CHECK_EQ(read_int(ADJ), 1000);
}

static void only_owner_writes(void)
{
	in_child(do_only_owner_writes);
}

int main(void)
{
	h_begin();
	RUN(read_format);
	RUN(write_and_read_back);
	RUN(bad_values);
	RUN(inherit_across_fork);
	RUN(lowering_needs_cap_sys_resource);
	RUN(only_owner_writes);
	return h_end();
}
