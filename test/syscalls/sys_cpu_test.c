/* /sys/devices/system/cpu: online/possible/present agree with sched_getaffinity, and a
 * cpuN directory exists per CPU (what nproc, lscpu and runtimes read). */
#include "harness.h"

#include <sched.h>

static int count_list(const char *text)
{
	int n = 0, a, b, used;

	while (*text && *text != '\n') {
		if (sscanf(text, "%d-%d%n", &a, &b, &used) == 2)
			n += b - a + 1;
		else if (sscanf(text, "%d%n", &a, &used) == 1)
			n++;
		else
			return -1;
		text += used;
		if (*text == ',')
			text++;
	}
	return n;
}

static void online_lists_the_cpus(void)
{
	char buf[256];
	cpu_set_t set;
	int fd = CHECK_OK(open("/sys/devices/system/cpu/online", O_RDONLY));
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	close(fd);
	CHECK(n > 1);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_EQ(buf[n - 1], '\n');
	CHECK_OK(sched_getaffinity(0, sizeof(set), &set));
	/* The sandbox offers exactly its CPUs; the host may have more online. */
	CHECK(count_list(buf) >= CPU_COUNT(&set));
	fd = CHECK_OK(open("/sys/devices/system/cpu/possible", O_RDONLY));
	close(fd);
}

static void cpu0_directory_exists(void)
{
	struct stat st;

	CHECK_OK(stat("/sys/devices/system/cpu/cpu0", &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_ERR(stat("/sys/devices/system/cpu/cpu99999", &st), ENOENT);
	CHECK_OK(stat("/sys/fs/cgroup", &st));
	CHECK(S_ISDIR(st.st_mode));
}

static void sys_is_not_writable(void)
{
	CHECK(open("/sys/devices/system/cpu/newfile", O_CREAT | O_WRONLY, 0644) < 0);
}

int main(void)
{
	h_begin();
	RUN(online_lists_the_cpus);
	RUN(cpu0_directory_exists);
	RUN(sys_is_not_writable);
	return h_end();
}
