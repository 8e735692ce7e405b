/* micro: static micro-benchmark guest; one sub-benchmark per run, timed inside, one JSON line out. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * Usage:
 *   micro NAME [--iters N | --min-ms MS] [--data DIR] [--rw DIR]   run one benchmark
 *   micro list                                         print every NAME
 *   micro noop                                         exit 0 (exec target)
 *   micro exec-time CMD [ARGS...]                      time CMD from inside
 *   micro fork-mem MIB HOLD_MS                         memory of a big fork (below)
 *
 * A benchmark prints {"name":..,"iters":..,"ns_per_op":..} and exits 0.
 * When a system call it relies on fails, it prints {"name":..,"error":..}
 * and exits 2, so the harness can tell "unsupported here" from a crash.
 * Without --iters it calibrates: batches grow until one lasts --min-ms, and
 * that batch is the one reported; setup and start-up are never timed.
 */

#define SEQ_SIZE (64u << 20)	/* sequential read/write: one 64 MiB pass per op */
#define SEQ_CHUNK (1u << 20)
#define SCRATCH "/tmp/micro-scratch"

struct bench {
	const char *name;
	int (*setup)(void);	/* 0 or -errno; may be NULL */
	int (*op)(void);	/* one operation: 0 or -errno */
	void (*teardown)(void);	/* may be NULL */
};

static const char *g_self;	/* argv[0]: what fork+exec runs again */
static const char *g_data = "data";	/* read-only tree: file, dir/ */
static const char *g_rw = "rw";		/* a read-write bind mount (gofer-backed): file */
static const char *g_failed_call;	/* which call failed, for the error line */
static char g_path_file[4096];
static char g_path_dir[4096];
static char g_path_rw[4096];
static int g_fd = -1;
static int g_pipe_to[2] = { -1, -1 };
static int g_pipe_back[2] = { -1, -1 };
static pid_t g_echo_pid = -1;
static char *g_buf;

static int fail(const char *call)
{
	int e = errno ? errno : EIO;

	g_failed_call = call;
	return -e;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int op_getpid(void)
{
	/* The raw syscall: glibc does not cache getpid, but be explicit. */
	return syscall(SYS_getpid) > 0 ? 0 : fail("getpid");
}

static int op_clock_gettime(void)
{
	struct timespec ts;

	return clock_gettime(CLOCK_REALTIME, &ts) == 0 ? 0 : fail("clock_gettime");
}

static int op_open_close(void)
{
	int fd = open(g_path_file, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return fail("open");
	return close(fd) == 0 ? 0 : fail("close");
}

static int op_stat(void)
{
	struct stat st;

	return stat(g_path_file, &st) == 0 ? 0 : fail("stat");
}

static int setup_rw_file(void)
{
	g_buf = calloc(1, SEQ_CHUNK);
	if (!g_buf)
		return -ENOMEM;
	memset(g_buf, 'x', SEQ_CHUNK);
	g_fd = open(SCRATCH, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (g_fd < 0)
		return fail("open " SCRATCH);
	if (pwrite(g_fd, g_buf, 4096, 0) != 4096)
		return fail("pwrite");
	return 0;
}

static void teardown_file(void)
{
	if (g_fd >= 0)
		close(g_fd);
	g_fd = -1;
	unlink(SCRATCH);
	free(g_buf);
	g_buf = NULL;
}

static int op_pread(void)
{
	return pread(g_fd, g_buf, 4096, 0) == 4096 ? 0 : fail("pread");
}

static int op_pwrite(void)
{
	return pwrite(g_fd, g_buf, 4096, 0) == 4096 ? 0 : fail("pwrite");
}

static int op_readdir(void)
{
	DIR *d = opendir(g_path_dir);
	int n = 0;

	if (!d)
		return fail("opendir");
	errno = 0;
	while (readdir(d))
		n++;
	if (errno) {
		closedir(d);
		return fail("readdir");
	}
	closedir(d);
	/* An empty listing means the tree is missing: ".", ".." at least. */
	return n >= 2 ? 0 : (errno = ENOENT, fail("readdir"));
}

static int setup_pipe(void)
{
	char c;

	if (pipe2(g_pipe_to, O_CLOEXEC) || pipe2(g_pipe_back, O_CLOEXEC))
		return fail("pipe2");
	g_echo_pid = fork();
	if (g_echo_pid < 0)
		return fail("fork");
	if (g_echo_pid == 0) {
		close(g_pipe_to[1]);
		close(g_pipe_back[0]);
		while (read(g_pipe_to[0], &c, 1) == 1)
			if (write(g_pipe_back[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(g_pipe_to[0]);
	close(g_pipe_back[1]);
	return 0;
}

static int op_pipe(void)
{
	char c = 'p';

	if (write(g_pipe_to[1], &c, 1) != 1)
		return fail("write pipe");
	return read(g_pipe_back[0], &c, 1) == 1 ? 0 : fail("read pipe");
}

static void teardown_pipe(void)
{
	close(g_pipe_to[1]);
	close(g_pipe_back[0]);
	if (g_echo_pid > 0)
		waitpid(g_echo_pid, NULL, 0);
}

static int wait_ok(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return fail("waitpid");
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		errno = ECHILD;
		return fail("child status");
	}
	return 0;
}

static int op_fork(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return fail("fork");
	if (pid == 0)
		_exit(0);
	return wait_ok(pid);
}

static int op_fork_exec(void)
{
	pid_t pid = fork();

	if (pid < 0)
		return fail("fork");
	if (pid == 0) {
		execl(g_self, g_self, "noop", (char *)NULL);
		_exit(127);
	}
	return wait_ok(pid);
}

static int op_mmap(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return fail("mmap");
	*(volatile char *)p = 1;	/* the fault is part of the operation */
	return munmap(p, 4096) == 0 ? 0 : fail("munmap");
}

static void *thread_main(void *arg)
{
	return arg;
}

static int op_thread(void)
{
	pthread_t th;
	int err = pthread_create(&th, NULL, thread_main, NULL);

	if (err) {
		errno = err;
		return fail("pthread_create");
	}
	err = pthread_join(th, NULL);
	if (err) {
		errno = err;
		return fail("pthread_join");
	}
	return 0;
}

static int setup_seq_read(void)
{
	int ret = setup_rw_file();

	for (unsigned int off = 0; !ret && off < SEQ_SIZE; off += SEQ_CHUNK)
		if (pwrite(g_fd, g_buf, SEQ_CHUNK, off) != (ssize_t)SEQ_CHUNK)
			ret = fail("pwrite");
	return ret;
}

static int op_seq_read(void)
{
	for (unsigned int off = 0; off < SEQ_SIZE; off += SEQ_CHUNK)
		if (pread(g_fd, g_buf, SEQ_CHUNK, off) != (ssize_t)SEQ_CHUNK)
			return fail("pread");
	return 0;
}

static int op_seq_write(void)
{
	int fd = open(SCRATCH ".w", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);

	if (fd < 0)
		return fail("open");
	for (unsigned int off = 0; off < SEQ_SIZE; off += SEQ_CHUNK) {
		if (write(fd, g_buf, SEQ_CHUNK) != (ssize_t)SEQ_CHUNK) {
			close(fd);
			return fail("write");
		}
	}
	if (fsync(fd)) {
		close(fd);
		return fail("fsync");
	}
	return close(fd) == 0 ? 0 : fail("close");
}

static void teardown_seq_write(void)
{
	unlink(SCRATCH ".w");
	teardown_file();
}

/*
 * Two-thread workloads on the read-write bind mount (every stat asks the gofer, a pread
 * uses the file the gofer handed over): a helper thread runs the same op as the timed
 * thread the whole time, and ns_per_op counts both threads' ops, so it is wall time per
 * op of the pair (half the single-thread figure when the two overlap perfectly).
 */
static int (*g_pair_op)(void);
static pthread_t g_pair;
static volatile bool g_pair_stop;
static uint64_t g_pair_ops; /* the helper's, atomic */
static int g_pair_err;

static int op_stat_rw(void)
{
	struct stat st;

	return stat(g_path_rw, &st) == 0 ? 0 : fail("stat");
}

static int setup_pread_rw(void)
{
	g_fd = open(g_path_rw, O_RDONLY | O_CLOEXEC);
	return g_fd < 0 ? fail("open rw/file") : 0;
}

static void teardown_pread_rw(void)
{
	if (g_fd >= 0)
		close(g_fd);
	g_fd = -1;
}

static int op_pread_rw(void)
{
	char buf[4096];

	return pread(g_fd, buf, sizeof(buf), 0) > 0 ? 0 : fail("pread");
}

static void *pair_main(void *arg)
{
	while (!g_pair_stop) {
		int ret = g_pair_op();

		if (ret) {
			g_pair_err = ret;
			break;
		}
		__atomic_add_fetch(&g_pair_ops, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

static int pair_start(int (*op)(void))
{
	g_pair_op = op;
	g_pair_stop = false;
	return pthread_create(&g_pair, NULL, pair_main, NULL) ? -EAGAIN : 0;
}

static void pair_stop(void)
{
	g_pair_stop = true;
	pthread_join(g_pair, NULL);
}

static int setup_stat_rw_2t(void)
{
	return pair_start(op_stat_rw);
}

static int setup_pread_rw_2t(void)
{
	int ret = setup_pread_rw();

	return ret ? ret : pair_start(op_pread_rw);
}

static void teardown_pread_rw_2t(void)
{
	pair_stop();
	teardown_pread_rw();
}

static const struct bench g_benches[] = {
	{ "getpid", NULL, op_getpid, NULL },
	{ "clock_gettime", NULL, op_clock_gettime, NULL },
	{ "open_close", NULL, op_open_close, NULL },
	{ "stat", NULL, op_stat, NULL },
	{ "pread_4k", setup_rw_file, op_pread, teardown_file },
	{ "pwrite_4k", setup_rw_file, op_pwrite, teardown_file },
	{ "readdir", NULL, op_readdir, NULL },
	{ "pipe_roundtrip", setup_pipe, op_pipe, teardown_pipe },
	{ "fork_exit_wait", NULL, op_fork, NULL },
	{ "fork_exec_wait", NULL, op_fork_exec, NULL },
	{ "mmap_touch_munmap", NULL, op_mmap, NULL },
	{ "thread_create_join", NULL, op_thread, NULL },
	{ "seq_read_64m", setup_seq_read, op_seq_read, teardown_file },
	{ "seq_write_fsync_64m", setup_rw_file, op_seq_write, teardown_seq_write },
	{ "stat_rw", NULL, op_stat_rw, NULL },
	{ "stat_rw_2t", setup_stat_rw_2t, op_stat_rw, pair_stop },
	{ "pread_rw", setup_pread_rw, op_pread_rw, teardown_pread_rw },
	{ "pread_rw_2t", setup_pread_rw_2t, op_pread_rw, teardown_pread_rw_2t },
};

static bool is_pair(const struct bench *b)
{
	return b->setup == setup_stat_rw_2t || b->setup == setup_pread_rw_2t;
}

/* Runs @iters operations; 0 and the elapsed time, or the first op's -errno. */
static int run_batch(const struct bench *b, uint64_t iters, uint64_t *elapsed)
{
	uint64_t start = now_ns(), helper = __atomic_load_n(&g_pair_ops, __ATOMIC_RELAXED);
	int ret;

	for (uint64_t i = 0; i < iters; i++) {
		ret = b->op();
		if (ret)
			return ret;
	}
	*elapsed = now_ns() - start;
	if (is_pair(b)) {
		/* Spread the time over both threads' ops: per-op wall time of the pair. */
		helper = __atomic_load_n(&g_pair_ops, __ATOMIC_RELAXED) - helper;
		*elapsed = *elapsed * iters / (iters + helper);
		if (g_pair_err)
			return g_pair_err;
	}
	return 0;
}

/* Grows the batch until it lasts @min_ns (like Go's testing.B); reports that batch. */
static int calibrate(const struct bench *b, uint64_t min_ns, uint64_t *iters,
		     uint64_t *elapsed)
{
	uint64_t n = 1, next;
	int ret;

	for (;;) {
		ret = run_batch(b, n, elapsed);
		if (ret || *elapsed >= min_ns)
			break;
		/* Aim 20% past the goal from the last rate; grow at most 10x, at least 2x. */
		next = *elapsed ? (uint64_t)((double)n * 1.2 * (double)min_ns / (double)*elapsed) : n * 10;
		if (next > n * 10)
			next = n * 10;
		if (next < n * 2)
			next = n * 2;
		n = next;
	}
	*iters = n;
	return ret;
}

static int run_bench(const struct bench *b, uint64_t fixed_iters, uint64_t min_ns)
{
	uint64_t iters = fixed_iters, elapsed = 0;
	int ret = b->setup ? b->setup() : 0;

	if (!ret)
		ret = fixed_iters ? run_batch(b, iters, &elapsed)
				  : calibrate(b, min_ns, &iters, &elapsed);
	if (b->teardown)
		b->teardown();
	if (ret) {
		printf("{\"name\": \"%s\", \"error\": \"%s: %s\"}\n", b->name,
		       g_failed_call ? g_failed_call : "?", strerror(-ret));
		return 2;
	}
	printf("{\"name\": \"%s\", \"iters\": %llu, \"ns_per_op\": %.3f}\n", b->name,
	       (unsigned long long)iters, (double)elapsed / (double)iters);
	return 0;
}

/* exec-time: runs a whole command and reports its wall time, sandbox start-up excluded. */
static int exec_time(char **argv)
{
	uint64_t start = now_ns();
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return perror("fork"), 2;
	if (pid == 0) {
		execvp(argv[0], argv);
		perror(argv[0]);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return perror("waitpid"), 2;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "micro: `%s` failed (status 0x%x)\n", argv[0], status);
		return 1;
	}
	printf("{\"name\": \"exec-time\", \"iters\": 1, \"ns_per_op\": %llu}\n",
	       (unsigned long long)(now_ns() - start));
	return 0;
}

static int usage(void);

/* Print one line at once (the harness samples host memory when it reads it). */
static void say(const char *fmt, ...)
{
	char line[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n > 0 && write(1, line, (size_t)n) < 0)
		perror("write");
}

/*
 * fork-mem MIB HOLD_MS: touches MIB MiB of private anonymous memory (timing the page
 * faults), says `touched`, holds HOLD_MS; forks a child that holds HOLD_MS without touching
 * anything, says `forked` with the fork's time, and reports when the child is gone. The
 * harness samples the runtime's host memory at `touched` and at `forked`: a copy-on-write
 * fork adds page tables, not MIB MiB.
 */
static int fork_mem(const char *mib_arg, const char *hold_arg)
{
	size_t size = (size_t)strtoull(mib_arg, NULL, 10) << 20;
	unsigned hold_us = (unsigned)strtoul(hold_arg, NULL, 10) * 1000u;
	uint64_t t0, touch_ns, fork_ns;
	char *p;
	pid_t pid;
	int status;

	if (size == 0)
		return usage();
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return say("{\"name\": \"fork-mem\", \"error\": \"mmap: %s\"}\n", strerror(errno)), 2;
	t0 = now_ns();
	for (size_t off = 0; off < size; off += 4096)
		p[off] = (char)off | 1;
	touch_ns = now_ns() - t0;
	say("{\"phase\": \"touched\", \"touch_ns_per_page\": %.1f}\n",
	    (double)touch_ns / (double)(size / 4096));
	usleep(hold_us);
	t0 = now_ns();
	pid = fork();
	if (pid == 0) {
		usleep(hold_us);
		_exit(p[4096] == 1 ? 0 : 3);
	}
	fork_ns = now_ns() - t0;
	if (pid < 0)
		return say("{\"name\": \"fork-mem\", \"error\": \"fork: %s\"}\n", strerror(errno)), 2;
	say("{\"phase\": \"forked\", \"fork_ns\": %llu}\n", (unsigned long long)fork_ns);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return say("{\"name\": \"fork-mem\", \"error\": \"child failed\"}\n"), 1;
	say("{\"name\": \"fork-mem\", \"iters\": 1, \"ns_per_op\": %llu, "
	    "\"touch_ns_per_page\": %.1f}\n",
	    (unsigned long long)fork_ns, (double)touch_ns / (double)(size / 4096));
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: micro NAME [--iters N | --min-ms MS] [--data DIR] [--rw DIR]\n"
			"       micro list | noop | exec-time CMD [ARGS...] | fork-mem MIB HOLD_MS\n");
	return 64;
}

int main(int argc, char **argv)
{
	uint64_t iters = 0, min_ns = 300000000u;
	size_t nbench = sizeof(g_benches) / sizeof(g_benches[0]);

	g_self = argv[0];
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "noop"))
		return 0;
	if (!strcmp(argv[1], "exec-time"))
		return argc > 2 ? exec_time(argv + 2) : usage();
	if (!strcmp(argv[1], "fork-mem"))
		return argc == 4 ? fork_mem(argv[2], argv[3]) : usage();
	if (!strcmp(argv[1], "list")) {
		for (size_t i = 0; i < nbench; i++)
			puts(g_benches[i].name);
		return 0;
	}
	if ((argc - 2) % 2)
		return usage();
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--iters"))
			iters = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--min-ms"))
			min_ns = strtoull(argv[i + 1], NULL, 10) * 1000000u;
		else if (!strcmp(argv[i], "--data"))
			g_data = argv[i + 1];
		else if (!strcmp(argv[i], "--rw"))
			g_rw = argv[i + 1];
		else
			return usage();
	}
	snprintf(g_path_file, sizeof(g_path_file), "%s/file", g_data);
	snprintf(g_path_dir, sizeof(g_path_dir), "%s/dir", g_data);
	snprintf(g_path_rw, sizeof(g_path_rw), "%s/file", g_rw);
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (size_t i = 0; i < nbench; i++)
		if (!strcmp(argv[1], g_benches[i].name))
			return run_bench(&g_benches[i], iters, min_ns);
	fprintf(stderr, "micro: unknown benchmark `%s`\n", argv[1]);
	return usage();
}
