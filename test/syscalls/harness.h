/* Tiny assertion harness shared by the syscall test programs (native and sandboxed). */
#ifndef RUNSC_TEST_SYSCALLS_HARNESS_H
#define RUNSC_TEST_SYSCALLS_HARNESS_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Each program is a list of named cases run by RUN(fn). A case passes when
 * none of its CHECKs failed; the program prints `ok name` or `FAIL name: why`
 * per case and exits 1 if any case failed. Everything here is static: each
 * test is one translation unit, built with -static.
 */

static int g_cases_failed;
static int g_cases_run;
static int g_checks;
static int g_case_fails;		/* failed checks in the running case */
static char g_first_fail[512];		/* the first failure, for the FAIL line */
static char g_tmpdir[64];			/* the program's scratch directory */

/* Errno name for messages: strerrorname_np is glibc >= 2.32, static-safe. */
static inline const char *h_errname(int e)
{
	const char *name = strerrorname_np(e);

	return name ? name : "E?";
}

static void __attribute__((format(printf, 3, 4), unused))
h_fail(const char *file, int line, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	printf("  %s:%d: %s\n", file, line, msg);
	if (g_case_fails++ == 0)
		snprintf(g_first_fail, sizeof(g_first_fail), "%s:%d: %s", file, line, msg);
}

/* cond must hold. */
#define CHECK(cond)                                                              \
	do {                                                                     \
		g_checks++;                                                      \
		if (!(cond))                                                     \
			h_fail(__FILE__, __LINE__, "expected %s got false (errno %s)", \
			       #cond, h_errname(errno));                         \
	} while (0)

/* Integer equality: got must equal want. */
#define CHECK_EQ(got_expr, want_expr)                                            \
	do {                                                                     \
		long long h_got = (long long)(got_expr);                         \
		long long h_want = (long long)(want_expr);                       \
		g_checks++;                                                      \
		if (h_got != h_want)                                             \
			h_fail(__FILE__, __LINE__, "expected %s == %lld got %lld", \
			       #got_expr, h_want, h_got);                        \
	} while (0)

/* A libc/syscall call must fail with -1 and exactly errno err. */
#define CHECK_ERR(call, err)                                                     \
	do {                                                                     \
		errno = 0;                                                       \
		long long h_ret = (long long)(call);                             \
		int h_err = errno;                                             \
		g_checks++;                                                      \
		if (h_ret != -1 || h_err != (err))                             \
			h_fail(__FILE__, __LINE__,                               \
			       "expected %s to fail with %s got %lld/%s", #call,  \
			       h_errname(err), h_ret, h_err ? h_errname(h_err) : "0"); \
	} while (0)

/* A call must succeed (return >= 0); evaluates to its result. */
#define CHECK_OK(call)                                                           \
	({                                                                       \
		errno = 0;                                                       \
		long long h_ret = (long long)(call);                             \
		g_checks++;                                                      \
		if (h_ret < 0)                                                   \
			h_fail(__FILE__, __LINE__, "expected %s to succeed got %lld/%s", \
			       #call, h_ret, h_errname(errno));                  \
		h_ret;                                                           \
	})

/* NUL-terminated strings must be equal. */
#define CHECK_STR(got_expr, want_expr)                                           \
	do {                                                                     \
		const char *h_gs = (got_expr), *h_ws = (want_expr);              \
		g_checks++;                                                      \
		if (!h_gs || strcmp(h_gs, h_ws) != 0)                            \
			h_fail(__FILE__, __LINE__, "expected %s == \"%s\" got \"%s\"", \
			       #got_expr, h_ws, h_gs ? h_gs : "(null)");         \
	} while (0)

/* n bytes must be equal. */
#define CHECK_MEM(got_expr, want_expr, n)                                        \
	do {                                                                     \
		g_checks++;                                                      \
		if (memcmp((got_expr), (want_expr), (n)) != 0)                   \
			h_fail(__FILE__, __LINE__, "expected %s to equal %s (%zu bytes)", \
			       #got_expr, #want_expr, (size_t)(n));              \
	} while (0)

/* Run one named case; output is flushed so a later fork cannot repeat it. */
#define RUN(fn)                                                                  \
	do {                                                                     \
		g_case_fails = 0;                                                \
		g_first_fail[0] = '\0';                                          \
		g_cases_run++;                                                   \
		fn();                                                            \
		if (g_case_fails) {                                              \
			g_cases_failed++;                                        \
			printf("FAIL %s: %s\n", #fn, g_first_fail);              \
		} else {                                                         \
			printf("ok %s\n", #fn);                                  \
		}                                                                \
		fflush(stdout);                                                  \
	} while (0)

__attribute__((unused)) static int h_rm_tree(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *de;
	char sub[PATH_MAX];

	if (lstat(path, &st) < 0)
		return -1;
	if (!S_ISDIR(st.st_mode))
		return unlink(path);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, de->d_name);
		h_rm_tree(sub);
	}
	closedir(d);
	return rmdir(path);
}

static pid_t g_tmp_owner;

__attribute__((unused)) static void h_cleanup(void)
{
	/* Children that exit() must not remove the parent's directory. */
	if (g_tmpdir[0] && getpid() == g_tmp_owner)
		h_rm_tree(g_tmpdir);
}

/* Create this program's fresh scratch directory under /tmp (removed at exit). */
__attribute__((unused)) static void h_setup_tmpdir(void)
{
	strcpy(g_tmpdir, "/tmp/runsc-syscalls-XXXXXX");
	if (!mkdtemp(g_tmpdir)) {
		perror("mkdtemp");
		exit(2);
	}
	g_tmp_owner = getpid();
	atexit(h_cleanup);
}

/* Path of name inside the scratch directory (static buffer rotation of 4). */
__attribute__((unused)) static const char *h_path(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ & 3];

	/* Never fall back to "/": natively that would write into the host's root. */
	if (!g_tmpdir[0]) {
		fprintf(stderr, "h_path(\"%s\") before h_setup_tmpdir()\n", name);
		exit(2);
	}

	snprintf(b, PATH_MAX, "%s/%s", g_tmpdir, name);
	return b;
}

/* dir/name (static buffer rotation of 4): paths in a host test's mount directories. */
__attribute__((unused)) static const char *h_in(const char *dir, const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ & 3];

	snprintf(b, PATH_MAX, "%s/%s", dir, name);
	return b;
}

/* Create name in the scratch directory holding data; returns its path. */
__attribute__((unused)) static const char *h_make_file(const char *name, const char *data)
{
	const char *p = h_path(name);
	int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	if (fd < 0 || write(fd, data, strlen(data)) != (ssize_t)strlen(data)) {
		perror(p);
		exit(2);
	}
	close(fd);
	return p;
}

/* Wait for pid and return its raw wait status, or -1. */
__attribute__((unused)) static int h_wait(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* Run fn in a forked child; return the child's wait status (for crash tests). */
__attribute__((unused)) static int h_in_child(void (*fn)(void))
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn();
		_exit(0);
	}
	if (pid < 0)
		return -1;
	return h_wait(pid);
}

/* Setup to call first in main(): line-buffered output and only fds 0-2 open, so cases
 * that need a closed descriptor (999, 9999) or a free slot get one whatever the runner
 * (ctest, a CI job) leaked to us. */
__attribute__((unused)) static void h_begin(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	syscall(SYS_close_range, 3, ~0U, 0);
}

/* Summary and exit status for main(). */
__attribute__((unused)) static int h_end(void)
{
	printf("# %d cases, %d failed, %d checks\n", g_cases_run, g_cases_failed, g_checks);
	fflush(stdout);
	return g_cases_failed ? 1 : 0;
}

#endif /* RUNSC_TEST_SYSCALLS_HARNESS_H */

/* Run fn in a forked child (a case that changes credentials or capabilities); the
 * child's failed checks fail the calling case. */
__attribute__((unused)) static void h_in_child_checked(void (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		fn();
		_exit(g_case_fails ? 1 : 0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* Run fn in a forked child; its exit code, or -1 if it did not exit. */
__attribute__((unused)) static int h_child_code(int (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

/* An absolute deadline ms from now on clock clk. */
__attribute__((unused)) static struct timespec h_deadline_ms(clockid_t clk, long ms)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	ts.tv_nsec += ms * 1000000L;
	ts.tv_sec += ts.tv_nsec / 1000000000L;
	ts.tv_nsec %= 1000000000L;
	return ts;
}

/* Become uid/gid 1000 with no supplementary groups (no capabilities left). */
__attribute__((unused)) static bool h_become_user(void)
{
	if (setgroups(0, NULL) < 0 || setresgid(1000, 1000, 1000) < 0 ||
	    setresuid(1000, 1000, 1000) < 0) {
		CHECK(!"drop privilege");
		return false;
	}
	return true;
}
