/* proc_env_smaps: /proc/PID/environ (exactly the environment execve was given, read live
 * from the process's memory, another user's refused) and /proc/PID/smaps (every maps line
 * with its block of sizes and VmFlags; an anonymous mapping's Size, Rss and Anonymous
 * before and after it is touched; protections and sharing in VmFlags). */
#include "harness.h"

#include <sys/mman.h>

extern char **environ;

static const char *g_self;
static char g_buf[1 << 18], g_maps[1 << 17];

/* The whole of path into buf (NUL-terminated); length or -1. */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	long n, len = 0;

	if (fd < 0)
		return -1;
	while (len < (long)size - 1 && (n = read(fd, buf + len, size - 1 - (size_t)len)) > 0)
		len += n;
	buf[len] = '\0';
	close(fd);
	return len;
}

static const char g_want_env[] = "A=1\0EMPTY=\0LONG="
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
				 "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";

/* In the exec'd child: the environment is exactly what execve passed; a change made to it
 * in memory shows through. Exit 0 if so. */
static int env_child(bool empty)
{
	long n = slurp("/proc/self/environ", g_buf, sizeof(g_buf));

	if (empty)
		return n == 0 ? 0 : 3;
	if (n != (long)sizeof(g_want_env) || memcmp(g_buf, g_want_env, sizeof(g_want_env)))
		return 4;
	environ[0][0] = 'B';
	n = slurp("/proc/self/environ", g_buf, sizeof(g_buf));
	if (n != (long)sizeof(g_want_env) || memcmp(g_buf, "B=1\0EMPTY=", 10))
		return 5;
	return 0;
}

static int run_self(const char *mode, char **envp)
{
	char *argv[] = {(char *)g_self, (char *)mode, NULL};
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		execve(g_self, argv, envp);
		_exit(127);
	}
	return h_wait(pid);
}

static void environ_is_what_execve_got(void)
{
	char long_var[] = "LONG="
			  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
			  "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";
	char *envp[] = {"A=1", "EMPTY=", long_var, NULL};
	char *none[] = {NULL};
	int st;

	st = run_self("env", envp);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	st = run_self("envempty", none);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
}

static void environ_of_a_child_by_pid(void)
{
	static char mine[1 << 16];
	char path[64];
	int p[2];
	pid_t pid;
	long n;

	n = slurp("/proc/self/environ", mine, sizeof(mine));
	CHECK(n >= 0);
	CHECK_OK(pipe(p));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		char c;

		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 ? 0 : 1);
	}
	close(p[0]);
	/* A fork child has the same environment block. */
	snprintf(path, sizeof(path), "/proc/%d/environ", pid);
	CHECK_EQ(slurp(path, g_buf, sizeof(g_buf)), n);
	CHECK_MEM(g_buf, mine, (size_t)n);
	close(p[1]);
	CHECK_EQ(h_wait(pid), 0);
}

static void environ_refused_to_other_users(void)
{
	int p[2], st;
	pid_t holder, reader;
	char path[64];

	CHECK_OK(pipe(p));
	fflush(stdout);
	holder = fork();
	if (holder == 0) {
		char c;

		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 ? 0 : 1);
	}
	close(p[0]);
	snprintf(path, sizeof(path), "/proc/%d/environ", holder);
	reader = fork();
	if (reader == 0) {
		if (setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
			_exit(2);
		_exit(open(path, O_RDONLY) == -1 && errno == EACCES ? 0 : 1);
	}
	st = h_wait(reader);
	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	close(p[1]);
	CHECK_EQ(h_wait(holder), 0);
}

/* ---- smaps ---- */

/* The smaps block whose header starts at addr, or NULL. */
static const char *smaps_block(const char *smaps, void *addr)
{
	char pref[32];
	const char *s = smaps;
	size_t n = (size_t)snprintf(pref, sizeof(pref), "%08lx-", (unsigned long)addr);

	while (s && *s) {
		if (!strncmp(s, pref, n))
			return s;
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	return NULL;
}

/* A "Name:   N kB" field of the block (up to its VmFlags line), or -1. */
static long smaps_field(const char *block, const char *name)
{
	size_t n = strlen(name);
	const char *s = block ? strchr(block, '\n') : NULL;

	while (s && *++s && strncmp(s, "VmFlags:", 8)) {
		if (!strncmp(s, name, n) && s[n] == ':')
			return strtol(s + n + 1, NULL, 10);
		s = strchr(s, '\n');
	}
	return -1;
}

/* Whether the block's VmFlags line has the flag (" rd"). */
static bool smaps_flag(const char *block, const char *flag)
{
	const char *v = block ? strstr(block, "\nVmFlags:") : NULL;
	const char *end = v ? strchr(v + 1, '\n') : NULL;
	char f[8];

	if (!v || !end)
		return false;
	snprintf(f, sizeof(f), " %s", flag);
	for (const char *s = v + 9; s < end; s++)
		if (!strncmp(s, f, strlen(f)) && (s[strlen(f)] == ' ' || s[strlen(f)] == '\n'))
			return true;
	return false;
}

static void smaps_has_every_maps_line(void)
{
	long n = slurp("/proc/self/maps", g_maps, sizeof(g_maps));
	long m = slurp("/proc/self/smaps", g_buf, sizeof(g_buf));
	const char *line = g_maps, *s = g_buf, *v;
	int lines = 0;

	CHECK(n > 0);
	CHECK(m > n);
	/* Each maps line heads a block, in order, that starts with Size: and ends with
	 * VmFlags:; nothing else is there. */
	while (n > 0 && *line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line + 1) : strlen(line);

		lines++;
		if (strncmp(s, line, len)) {
			CHECK(!"each maps line heads the next smaps block");
			break;
		}
		CHECK(!strncmp(s + len, "Size:", 5));
		v = strstr(s, "\nVmFlags:");
		s = v ? strchr(v + 1, '\n') : NULL;
		if (!s) {
			CHECK(!"a VmFlags line ends each block");
			break;
		}
		s++;
		line += len;
	}
	CHECK(s && *s == '\0');
	CHECK(lines > 3);
}

/* len bytes mapped with prot and flags between two PROT_NONE pages, so no neighbour can
 * merge with it and its smaps block starts at the returned address. */
static char *mmap_alone(size_t len, int prot, int flags)
{
	char *r = mmap(NULL, len + 2 * 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (r == MAP_FAILED)
		return MAP_FAILED;
	return mmap(r + 4096, len, prot, flags | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
}

static void smaps_anonymous_mapping(void)
{
	size_t len = 8 * 4096;
	char *p = mmap_alone(len, PROT_READ | PROT_WRITE, MAP_PRIVATE);
	const char *b;

	CHECK(p != MAP_FAILED);
	CHECK(slurp("/proc/self/smaps", g_buf, sizeof(g_buf)) > 0);
	b = smaps_block(g_buf, p);
	CHECK(b != NULL);
	CHECK(b && strstr(b, " rw-p ") && strstr(b, " rw-p ") < strchr(b, '\n'));
	CHECK_EQ(smaps_field(b, "Size"), 32);
	CHECK_EQ(smaps_field(b, "KernelPageSize"), 4);
	CHECK_EQ(smaps_field(b, "MMUPageSize"), 4);
	/* Untouched: nothing resident. */
	CHECK_EQ(smaps_field(b, "Rss"), 0);
	CHECK_EQ(smaps_field(b, "Anonymous"), 0);
	CHECK(smaps_flag(b, "rd"));
	CHECK(smaps_flag(b, "wr"));
	CHECK(!smaps_flag(b, "ex"));
	CHECK(!smaps_flag(b, "sh"));
	/* Written all over: all of it resident, anonymous, private and dirty. */
	memset(p, 1, len);
	CHECK(slurp("/proc/self/smaps", g_buf, sizeof(g_buf)) > 0);
	b = smaps_block(g_buf, p);
	CHECK_EQ(smaps_field(b, "Size"), 32);
	CHECK_EQ(smaps_field(b, "Rss"), 32);
	CHECK_EQ(smaps_field(b, "Pss"), 32);
	CHECK_EQ(smaps_field(b, "Anonymous"), 32);
	CHECK_EQ(smaps_field(b, "Private_Dirty"), 32);
	CHECK_EQ(smaps_field(b, "Shared_Clean"), 0);
	CHECK_EQ(smaps_field(b, "Swap"), 0);
	/* Read-only now: the header and VmFlags say so. */
	CHECK_OK(mprotect(p, len, PROT_READ));
	CHECK(slurp("/proc/self/smaps", g_buf, sizeof(g_buf)) > 0);
	b = smaps_block(g_buf, p);
	CHECK(b && !strncmp(strchr(b, ' '), " r--p ", 6));
	CHECK(smaps_flag(b, "rd"));
	CHECK(!smaps_flag(b, "wr"));
	CHECK_EQ(smaps_field(b, "Rss"), 32);
	munmap(p, len);
	CHECK(slurp("/proc/self/smaps", g_buf, sizeof(g_buf)) > 0);
	CHECK(smaps_block(g_buf, p) == NULL);
}

static void smaps_shared_mapping(void)
{
	size_t len = 2 * 4096;
	char *p = mmap_alone(len, PROT_READ | PROT_WRITE, MAP_SHARED);
	const char *b;

	CHECK(p != MAP_FAILED);
	CHECK(slurp("/proc/self/smaps", g_buf, sizeof(g_buf)) > 0);
	b = smaps_block(g_buf, p);
	CHECK(b && !strncmp(strchr(b, ' '), " rw-s ", 6));
	CHECK_EQ(smaps_field(b, "Size"), 8);
	CHECK(smaps_flag(b, "sh"));
	CHECK(smaps_flag(b, "ms"));
	CHECK(smaps_flag(b, "wr"));
	munmap(p, len);
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "env"))
		return env_child(false);
	if (argc > 1 && !strcmp(argv[1], "envempty"))
		return env_child(true);
	g_self = argv[0];
	h_begin();
	RUN(environ_is_what_execve_got);
	RUN(environ_of_a_child_by_pid);
	RUN(environ_refused_to_other_users);
	RUN(smaps_has_every_maps_line);
	RUN(smaps_anonymous_mapping);
	RUN(smaps_shared_mapping);
	return h_end();
}
