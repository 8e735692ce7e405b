/* syslog (klogctl): the log's size, READ_ALL's record format and whole-line fit, the
 * actions' EINVAL/EFAULT cases and CAP_SYSLOG with dmesg_restrict. Nothing here clears
 * or consumes the log or changes the console level: natively that is the host's. */
#include "harness.h"

#include <linux/capability.h>
#include <sys/prctl.h>

enum { SL_CLOSE, SL_OPEN, SL_READ, SL_READ_ALL, SL_READ_CLEAR, SL_CLEAR, SL_CONSOLE_OFF,
       SL_CONSOLE_ON, SL_CONSOLE_LEVEL, SL_SIZE_UNREAD, SL_SIZE_BUFFER };

static long klog(int type, char *buf, long len)
{
	return syscall(SYS_syslog, type, buf, len);
}

/* kernel.dmesg_restrict: the host's natively, 1 in the sandbox (read-only there); -1 if
 * it cannot be read. */
static int dmesg_restrict(void)
{
	FILE *f = fopen("/proc/sys/kernel/dmesg_restrict", "r");
	int v = -1;

	if (f) {
		if (fscanf(f, "%d", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static void read_all_records(void)
{
	long size = klog(SL_SIZE_BUFFER, NULL, 0), n;
	char *buf, small[100];

	CHECK(size > 0);
	buf = calloc(1, (size_t)size + 1);
	n = klog(SL_READ_ALL, buf, size);
	CHECK(n > 0 && n <= size);
	/* Records: "<level>[seconds.micros] text\n". */
	CHECK(buf[0] == '<' && buf[1] >= '0' && buf[1] <= '7' && buf[2] == '>' && buf[3] == '[');
	CHECK(strstr(buf, "] ") != NULL);
	CHECK_EQ(buf[n - 1], '\n');
	free(buf);
	/* A short buffer gets the newest whole lines that fit. */
	n = klog(SL_READ_ALL, small, sizeof(small));
	CHECK(n >= 0 && n <= (long)sizeof(small));
	if (n > 0)
		CHECK_EQ(small[n - 1], '\n');
	CHECK(klog(SL_SIZE_UNREAD, NULL, 0) >= 0);
}

static void bad_arguments(void)
{
	char buf[16];

	CHECK_EQ(klog(SL_READ_ALL, buf, 0), 0);
	CHECK_EQ(klog(SL_READ, buf, 0), 0);
	CHECK_ERR(klog(SL_READ_ALL, NULL, 16), EINVAL);
	CHECK_ERR(klog(SL_READ_ALL, buf, -1), EINVAL);
	CHECK_ERR(klog(SL_READ, NULL, 16), EINVAL);
	CHECK_ERR(klog(SL_READ_CLEAR, buf, -1), EINVAL);
	CHECK_ERR(klog(SL_READ_ALL, (char *)8, 4096), EFAULT); /* room for a record */
	CHECK_ERR(klog(SL_CONSOLE_LEVEL, NULL, 0), EINVAL);
	CHECK_ERR(klog(SL_CONSOLE_LEVEL, NULL, 9), EINVAL);
	CHECK_ERR(klog(11, NULL, 0), EINVAL);
	CHECK_ERR(klog(-1, NULL, 0), EINVAL);
	CHECK_EQ(klog(SL_OPEN, NULL, 0), 0);
	CHECK_EQ(klog(SL_CLOSE, NULL, 0), 0);
}

static int cap_set_only(int cap)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2] = {{0}};

	d[cap / 32].effective = d[cap / 32].permitted = 1U << (cap % 32);
	return (int)syscall(SYS_capset, &h, d);
}

static void capability_rules(void)
{
	int restricted = dmesg_restrict(), status;
	pid_t pid;

	CHECK(restricted == 0 || restricted == 1);

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char buf[64];
		if (prctl(PR_SET_KEEPCAPS, 1) < 0 || setresuid(54321, 54321, 54321) < 0)
			_exit(9);
		/* No capabilities: everything but READ_ALL/SIZE_BUFFER needs CAP_SYSLOG, and
		 * those too under dmesg_restrict. */
		if (klog(SL_CLEAR, NULL, 0) != -1 || errno != EPERM)
			_exit(1);
		if (klog(SL_SIZE_UNREAD, NULL, 0) != -1 || errno != EPERM)
			_exit(2);
		if (restricted && (klog(SL_READ_ALL, buf, sizeof(buf)) != -1 || errno != EPERM))
			_exit(3);
		if (!restricted && klog(SL_SIZE_BUFFER, NULL, 0) <= 0)
			_exit(4);
		if (cap_set_only(CAP_SYSLOG) < 0)
			_exit(8);
		if (klog(SL_READ_ALL, buf, sizeof(buf)) < 0 || klog(SL_SIZE_BUFFER, NULL, 0) <= 0)
			_exit(5);
		_exit(0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK_EQ(status, 0);
}

int main(void)
{
	h_begin();
	RUN(read_all_records);
	RUN(bad_arguments);
	RUN(capability_rules);
	return h_end();
}
