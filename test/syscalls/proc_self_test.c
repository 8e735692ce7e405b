/* /proc/self: stat, status, cmdline, exe, maps, comm, limits, mounts, task/ and the
 * system-wide files, checked against what the process knows about itself. */
#include "harness.h"

#include <sys/mman.h>

static char g_argv0[PATH_MAX];

/* Read a whole file into buf (NUL-terminated); returns the length or -1. */
static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	size_t len = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = '\0';
	return (ssize_t)len;
}

/* The value after "key:\t" in a status-style file, or NULL. */
static const char *field(const char *text, const char *key, char *out, size_t size)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\n%s:", key);
	p = strstr(text, pat);
	if (!p && !strncmp(text, pat + 1, strlen(pat + 1)))
		p = text - 1;
	if (!p)
		return NULL;
	p += strlen(pat);
	while (*p == ' ' || *p == '\t')
		p++;
	snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
	return out;
}

static void stat_first_fields_match_getpid(void)
{
	char buf[4096], comm[64], state;
	int pid, ppid, pgrp, sid;

	CHECK(read_file("/proc/self/stat", buf, sizeof(buf)) > 0);
	CHECK_EQ(sscanf(buf, "%d (%63[^)]) %c %d %d %d", &pid, comm, &state, &ppid, &pgrp,
			&sid), 6);
	CHECK_EQ(pid, getpid());
	CHECK_EQ(ppid, getppid());
	CHECK_EQ(pgrp, getpgrp());
	CHECK_EQ(sid, getsid(0));
	CHECK_STR(comm, "proc_self_test");
	CHECK(state == 'R');
}

static void status_has_pid_and_ids(void)
{
	char buf[8192], v[128], want[128];

	CHECK(read_file("/proc/self/status", buf, sizeof(buf)) > 0);
	CHECK_STR(field(buf, "Name", v, sizeof(v)), "proc_self_test");
	snprintf(want, sizeof(want), "%d", getpid());
	CHECK_STR(field(buf, "Pid", v, sizeof(v)), want);
	CHECK_STR(field(buf, "Tgid", v, sizeof(v)), want);
	snprintf(want, sizeof(want), "%d", getppid());
	CHECK_STR(field(buf, "PPid", v, sizeof(v)), want);
	snprintf(want, sizeof(want), "%u\t%u\t%u\t%u", getuid(), geteuid(), geteuid(), geteuid());
	CHECK_STR(field(buf, "Uid", v, sizeof(v)), want);
	CHECK_STR(field(buf, "Threads", v, sizeof(v)), "1");
	CHECK(field(buf, "VmRSS", v, sizeof(v)) != NULL);
	CHECK(field(buf, "SigBlk", v, sizeof(v)) != NULL && strlen(v) == 16);
	CHECK(field(buf, "CapEff", v, sizeof(v)) != NULL && strlen(v) == 16);
	CHECK_STR(field(buf, "State", v, sizeof(v)), "R (running)");
}

static void status_shows_blocked_and_ignored_signals(void)
{
	char buf[8192], v[64];
	sigset_t set, old;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, &old);
	signal(SIGUSR2, SIG_IGN);
	CHECK(read_file("/proc/self/status", buf, sizeof(buf)) > 0);
	CHECK_STR(field(buf, "SigBlk", v, sizeof(v)), "0000000000000200");
	CHECK(field(buf, "SigIgn", v, sizeof(v)) && (strtoull(v, NULL, 16) & 0x800));
	sigprocmask(SIG_SETMASK, &old, NULL);
	signal(SIGUSR2, SIG_DFL);
}

static void cmdline_is_argv_nul_separated(void)
{
	char buf[PATH_MAX + 64];
	ssize_t n = read_file("/proc/self/cmdline", buf, sizeof(buf));

	CHECK_EQ(n, (ssize_t)strlen(g_argv0) + 1 + 4);
	CHECK_STR(buf, g_argv0);
	CHECK_MEM(buf + strlen(g_argv0) + 1, "arg\0", 4);
}

static void exe_link_is_the_executable(void)
{
	char link[PATH_MAX], real[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", link, sizeof(link) - 1);
	struct stat a, b;

	CHECK(n > 0);
	link[n > 0 ? n : 0] = '\0';
	CHECK(realpath(g_argv0, real) != NULL);
	CHECK_STR(link, real);
	CHECK_OK(stat("/proc/self/exe", &a));
	CHECK_OK(stat(g_argv0, &b));
	CHECK_EQ(a.st_ino, b.st_ino);
}

static void maps_has_stack_and_executable(void)
{
	static char buf[1 << 16];
	char real[PATH_MAX];
	void *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char want[64];

	CHECK(p != MAP_FAILED);
	CHECK(read_file("/proc/self/maps", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "[stack]\n") != NULL);
	CHECK(realpath(g_argv0, real) != NULL);
	CHECK(strstr(buf, real) != NULL);
	snprintf(want, sizeof(want), "%08lx-%08lx rw-p 00000000 00:00 0",
		 (unsigned long)p, (unsigned long)p + 8192);
	CHECK(strstr(buf, want) != NULL);
	CHECK(strstr(buf, "r-xp ") != NULL);
	munmap(p, 8192);
}

static void comm_reads_and_writes(void)
{
	char buf[64];
	int fd;

	CHECK(read_file("/proc/self/comm", buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "proc_self_test\n");
	fd = CHECK_OK(open("/proc/self/comm", O_WRONLY));
	CHECK_EQ(write(fd, "renamed", 7), 7);
	close(fd);
	CHECK(read_file("/proc/self/comm", buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "renamed\n");
	fd = open("/proc/self/comm", O_WRONLY);
	CHECK_EQ(write(fd, "proc_self_test", 14), 14);
	close(fd);
}

static void statm_and_limits(void)
{
	char buf[8192];
	unsigned long size, rss;

	CHECK(read_file("/proc/self/statm", buf, sizeof(buf)) > 0);
	CHECK_EQ(sscanf(buf, "%lu %lu", &size, &rss), 2);
	CHECK(size > 0 && rss > 0 && rss <= size);
	CHECK(read_file("/proc/self/limits", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "Limit                     Soft Limit           Hard Limit", 56));
	CHECK(strstr(buf, "\nMax open files            ") != NULL);
}

static void self_links_and_pid_dir(void)
{
	char buf[64], want[64];
	struct stat st;

	snprintf(want, sizeof(want), "%d", getpid());
	CHECK_EQ(readlink("/proc/self", buf, sizeof(buf)), (ssize_t)strlen(want));
	CHECK_MEM(buf, want, strlen(want));
	snprintf(want, sizeof(want), "%d/task/%d", getpid(), (int)syscall(SYS_gettid));
	CHECK_EQ(readlink("/proc/thread-self", buf, sizeof(buf)), (ssize_t)strlen(want));
	CHECK_MEM(buf, want, strlen(want));
	snprintf(want, sizeof(want), "/proc/%d/status", getpid());
	CHECK_OK(stat(want, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0444);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK_OK(stat("/proc/self/fd", &st));
	CHECK_EQ(st.st_mode & 07777, 0500);
	CHECK_ERR(stat("/proc/999999", &st), ENOENT);
	CHECK_ERR(open("/proc/self/nonexistent", O_RDONLY), ENOENT);
}

static void task_dir_lists_threads(void)
{
	char path[64];
	struct stat st;
	int n = 0;
	DIR *d;
	struct dirent *de;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", getpid());
	CHECK_OK(stat(path, &st));
	d = opendir("/proc/self/task");
	CHECK(d != NULL);
	while (d && (de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	if (d)
		closedir(d);
	CHECK_EQ(n, 1);
}

static void exited_child_dir_goes_away(void)
{
	char path[64];
	struct stat st;
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(0);
	snprintf(path, sizeof(path), "/proc/%d", pid);
	waitpid(pid, &status, 0);
	CHECK_ERR(stat(path, &st), ENOENT);
}

static void system_files(void)
{
	static char buf[1 << 16];
	double up, idle;

	CHECK(read_file("/proc/cpuinfo", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "processor\t: 0", 13));
	CHECK(read_file("/proc/meminfo", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "MemTotal:", 9));
	CHECK(read_file("/proc/uptime", buf, sizeof(buf)) > 0);
	CHECK_EQ(sscanf(buf, "%lf %lf", &up, &idle), 2);
	CHECK(up >= 0 && up < 1e7);
	CHECK(read_file("/proc/stat", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "cpu ", 4) && strstr(buf, "\nbtime ") != NULL);
	CHECK(read_file("/proc/loadavg", buf, sizeof(buf)) > 0);
	CHECK(read_file("/proc/version", buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "Linux version ", 14));
	CHECK(read_file("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf)) > 0);
	CHECK(read_file("/proc/sys/kernel/pid_max", buf, sizeof(buf)) > 0);
	CHECK(atoi(buf) > 0);
	CHECK(read_file("/proc/mounts", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, " /proc proc ") != NULL);
	CHECK(read_file("/proc/self/mountinfo", buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, " - proc ") != NULL);
}

static void readdir_lists_self_and_pid(void)
{
	char want[16];
	bool self = false, me = false;
	DIR *d = opendir("/proc");
	struct dirent *de;

	snprintf(want, sizeof(want), "%d", getpid());
	CHECK(d != NULL);
	while (d && (de = readdir(d))) {
		self |= !strcmp(de->d_name, "self");
		me |= !strcmp(de->d_name, want) && de->d_type == DT_DIR;
	}
	if (d)
		closedir(d);
	CHECK(self);
	CHECK(me);
}

int main(int argc, char **argv)
{
	h_begin();
	if (argc < 2 || strcmp(argv[1], "arg") != 0) {
		/* Re-exec with a known argv for the cmdline case. */
		char *args[] = {argv[0], "arg", NULL};

		execv(argv[0], args);
		perror("execv");
		return 2;
	}
	snprintf(g_argv0, sizeof(g_argv0), "%s", argv[0]);
	RUN(stat_first_fields_match_getpid);
	RUN(status_has_pid_and_ids);
	RUN(status_shows_blocked_and_ignored_signals);
	RUN(cmdline_is_argv_nul_separated);
	RUN(exe_link_is_the_executable);
	RUN(maps_has_stack_and_executable);
	RUN(comm_reads_and_writes);
	RUN(statm_and_limits);
	RUN(self_links_and_pid_dir);
	RUN(task_dir_lists_threads);
	RUN(exited_child_dir_goes_away);
	RUN(system_files);
	RUN(readdir_lists_self_and_pid);
	return h_end();
}
