/* gofer_conc_fuse_test: one thread stuck in a host call on a bind-mounted file does not
 * stop another thread's file calls on the same mount. $H_RW_DIR (with_fuse_gate.sh) holds
 * a b c d and fuse/slow, a FUSE file whose getattr and read block once $H_RW_DIR/arm
 * exists and until $H_RW_DIR/go does (it shows $H_RW_DIR/blocked meanwhile). Thread A
 * fstat()s fuse/slow (in the sandbox: stuck in the Gofer, on the connection that serves
 * every other file of the mount) or preads it (stuck in the Sentry's read of the host fd
 * the Gofer handed over); thread B meanwhile stats, reads and lists the other files, then
 * creates go. A must finish after that: a sandbox serving one call at a time would leave B
 * stuck until the gate gives up (30 s), finish A first, and fail. */
#include "harness.h"

#include <pthread.h>
#include <sys/uio.h>

static const char *g_rw;
static int g_slow_fd = -1;
static int g_seq;	  /* event order, under g_lock */
static int g_a_done, g_b_go; /* when A's call returned, when B let it go */
static int g_a_ret, g_b_fails;
static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *rw_path(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[__atomic_fetch_add(&next, 1, __ATOMIC_RELAXED) & 3];

	snprintf(b, PATH_MAX, "%s/%s", g_rw, name);
	return b;
}

static int mark(void)
{
	pthread_mutex_lock(&g_lock);
	int seq = ++g_seq;
	pthread_mutex_unlock(&g_lock);
	return seq;
}

/* Let the gate go: create $H_RW_DIR/go. */
static void let_go(void)
{
	int fd = open(rw_path("go"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
}

static void *thread_a_stat(void *arg)
{
	struct stat st;

	g_a_ret = fstat(g_slow_fd, &st) == 0 && st.st_size == 5 ? 0 : -1;
	g_a_done = mark();
	return NULL;
}

static void *thread_a_pread(void *arg)
{
	char buf[16] = "";

	g_a_ret = pread(g_slow_fd, buf, sizeof(buf), 0) == 5 && !memcmp(buf, "slow!", 5) ? 0 : -1;
	g_a_done = mark();
	return NULL;
}

/* Thread B's work on the other files of the mount: stat, open+read, readdir. */
static void other_files(void)
{
	static const char *names[] = {"a", "b", "c", "d"};
	char buf[8];
	struct stat st;

	for (int i = 0; i < 40; i++) {
		const char *n = names[i % 4];
		int fd;

		if (stat(rw_path(n), &st) || st.st_size != 4)
			g_b_fails++;
		fd = open(rw_path(n), O_RDONLY | O_CLOEXEC);
		if (fd < 0 || read(fd, buf, sizeof(buf)) != 4 || buf[0] != n[0])
			g_b_fails++;
		if (fd >= 0)
			close(fd);
	}
	DIR *d = opendir(g_rw);
	int entries = 0;

	while (d && readdir(d))
		entries++;
	if (!d || entries < 7) /* . .. a b c d fuse arm */
		g_b_fails++;
	if (d)
		closedir(d);
}

/* Arm the gate, start A on fuse/slow, do B's work, let go; A must end after that. */
static void run_blocked(void *(*a)(void *))
{
	pthread_t t;
	struct stat st;

	int fd, i;

	g_a_done = g_b_go = g_b_fails = 0;
	g_a_ret = -1;
	fd = open(rw_path("arm"), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	CHECK(fd >= 0);
	if (fd >= 0)
		close(fd);
	CHECK_EQ(pthread_create(&t, NULL, a, NULL), 0);
	/* The gate makes `blocked` while A's call waits in it (and removes it when it gives
	 * up after 30 s): B starts once A is surely stuck. */
	for (i = 0; i < 4000 && stat(rw_path("blocked"), &st); i++)
		usleep(10 * 1000);
	CHECK(i < 4000); /* A's call got stuck, and B could see that meanwhile */
	other_files();
	g_b_go = mark();
	let_go();
	pthread_join(t, NULL);
	CHECK_EQ(g_a_ret, 0);
	CHECK_EQ(g_b_fails, 0);
	CHECK(g_a_done > g_b_go); /* A was still waiting when B was done */
	unlink(rw_path("arm"));
	unlink(rw_path("go"));
	CHECK_OK(stat(rw_path("fuse/slow"), &st));
}

static void stat_blocked_in_host_leaves_other_files_going(void)
{
	run_blocked(thread_a_stat);
}

static void pread_blocked_in_host_leaves_other_files_going(void)
{
	run_blocked(thread_a_pread);
}

int main(void)
{
	h_begin();
	g_rw = getenv("H_RW_DIR");
	if (!g_rw) {
		printf("FAIL setup: H_RW_DIR unset (run through with_fuse_gate.sh)\n");
		return 1;
	}
	/* Opened while the gate is open: the lookup and open never block. */
	g_slow_fd = open(rw_path("fuse/slow"), O_RDONLY | O_CLOEXEC);
	if (g_slow_fd < 0) {
		printf("FAIL setup: open fuse/slow: %s\n", strerror(errno));
		return 1;
	}
	RUN(stat_blocked_in_host_leaves_other_files_going);
	RUN(pread_blocked_in_host_leaves_other_files_going);
	close(g_slow_fd);
	return h_end();
}
