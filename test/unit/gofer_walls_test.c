/* gofer_walls_test.c: gofer_run() with walls in a child process: it serves through its
 * seccomp filter without being killed, sees an empty root, and exits 0 on hang-up. */
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "gofer/p9/client.h"
#include "gofer_test_util.h"

struct walled {
	struct gofer_tree tree;
	pid_t pid;
	struct p9_client *c;
	uint32_t root;
};

/* Can this process make a mount namespace? (Not in every CI container.) */
static bool can_unshare(void)
{
	int status;
	pid_t pid = fork();

	if (pid == 0)
		_exit(unshare(CLONE_NEWNS) == 0 ? 0 : 1);
	return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	       WEXITSTATUS(status) == 0;
}

static void start(struct walled *w, bool readonly, int type)
{
	struct gofer_opts o = {.readonly = readonly, .walls = true};
	int sv[2];

#if defined(__SANITIZE_ADDRESS__)
	skip(); /* the sanitizer runtime needs syscalls the gofer's filter rightly denies */
#endif
	if (geteuid() != 0 || !can_unshare())
		skip();
	gt_make(&w->tree);
	assert_int_equal(socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv), 0);
	w->pid = fork();
	assert_true(w->pid >= 0);
	if (w->pid == 0) {
		close(sv[0]);
		o.root = w->tree.root;
		o.sock_fd = sv[1];
		_exit(gofer_run(&o));
	}
	close(sv[1]);
	assert_int_equal(p9c_connect(sv[0], 64 * 1024, &w->c), 0);
	w->root = p9c_fid_alloc(w->c);
	assert_int_equal(p9c_attach(w->c, w->root, "root", 0, "", NULL), 0);
}

/* Hang up and expect a clean exit 0, not a seccomp kill. */
static void stop(struct walled *w)
{
	int status;

	p9c_close(w->c);
	assert_int_equal(waitpid(w->pid, &status, 0), w->pid);
	if (WIFSIGNALED(status))
		fail_msg("walled gofer killed by signal %d", WTERMSIG(status));
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	gt_destroy(&w->tree);
}

static int entries_in(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	closedir(d);
	return n;
}

/* The value of a "Key:\tvalue" line of /proc/<pid>/status, or -1. */
static long status_field(pid_t pid, const char *key)
{
	char path[64], line[256];
	size_t klen = strlen(key);
	long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, key, klen) && line[klen] == ':')
			v = strtol(line + klen + 1, NULL, 10);
	}
	fclose(f);
	return v;
}

static int count(void *arg, const struct p9_dirent *d)
{
	(*(int *)arg)++;
	return 0;
}

static void test_walled_readonly_serves_and_sees_nothing_else(void **state)
{
	struct walled w;
	const char *name = "file.txt", *esc[] = {"escape", "secret"};
	uint32_t fid, dir;
	struct p9_attr a;
	struct p9_statfs st;
	char buf[32], proc[64];
	int hostfd, n = 0;
	uint16_t nqid;

	start(&w, true, SOCK_STREAM);
	snprintf(proc, sizeof(proc), "/proc/%d/root", (int)w.pid);
	assert_int_equal(entries_in(proc), 0); /* its root is an empty tmpfs */
	assert_int_equal(status_field(w.pid, "Seccomp"), 2); /* filter mode */
	assert_int_equal(status_field(w.pid, "NoNewPrivs"), 1);
	snprintf(proc, sizeof(proc), "/proc/%d/fd", (int)w.pid);
	/* stdio, the socket, the tree, the loop's wake eventfd and io_uring */
	assert_true(entries_in(proc) <= 7);

	fid = p9c_fid_alloc(w.c);
	assert_int_equal(p9c_walk(w.c, w.root, fid, 1, &name, NULL, NULL), 0);
	assert_int_equal(p9c_getattr(w.c, fid, P9_GETATTR_ALL, &a), 0);
	assert_int_equal(a.size, 11);
	assert_int_equal(p9c_lopen(w.c, fid, O_RDONLY, NULL, NULL, &hostfd), 0);
	assert_int_equal(p9c_read(w.c, fid, 0, buf, sizeof(buf)), 11);
	assert_true(hostfd >= 0);
	assert_int_equal(pread(hostfd, buf, sizeof(buf), 0), 11);
	close(hostfd);
	assert_int_equal(p9c_write(w.c, fid, 0, "x", 1), -EROFS);
	assert_int_equal(p9c_mkdir(w.c, w.root, "d", 0755, 0, NULL), -EROFS);

	dir = p9c_fid_alloc(w.c);
	assert_int_equal(p9c_walk(w.c, w.root, dir, 0, NULL, NULL, NULL), 0);
	assert_int_equal(p9c_lopen(w.c, dir, O_RDONLY | O_DIRECTORY, NULL, NULL, NULL), 0);
	assert_int_equal(p9c_readdir(w.c, dir, 0, 8192, count, &n), 5);
	assert_int_equal(p9c_statfs(w.c, w.root, &st), 0);
	assert_int_equal(p9c_walk(w.c, w.root, p9c_fid_alloc(w.c), 2, esc, NULL, &nqid), -ENOENT);
	assert_int_equal(nqid, 1);
	assert_int_equal(p9c_clunk(w.c, fid), 0);
	assert_int_equal(p9c_clunk(w.c, dir), 0);
	stop(&w);
}

static void test_walled_readwrite_write_side_passes_filter(void **state)
{
	struct walled w;
	struct p9_setattr sa = {.valid = P9_SETATTR_SIZE | P9_SETATTR_MODE | P9_SETATTR_ATIME |
					 P9_SETATTR_MTIME,
				.mode = 0600,
				.size = 1};
	const char *link = "l";
	uint32_t f, l;
	char buf[16], p[256];
	struct stat st;

	start(&w, false, SOCK_SEQPACKET); /* the other framing */
	f = p9c_fid_alloc(w.c);
	assert_int_equal(p9c_walk(w.c, w.root, f, 0, NULL, NULL, NULL), 0);
	assert_int_equal(p9c_lcreate(w.c, f, "n.txt", O_RDWR, 0644, 0, NULL, NULL, NULL), 0);
	assert_int_equal(p9c_write(w.c, f, 0, "walls", 5), 5);
	assert_int_equal(p9c_fsync(w.c, f), 0);
	assert_int_equal(p9c_setattr(w.c, f, &sa), 0);
	assert_int_equal(p9c_mkdir(w.c, w.root, "d", 0755, 0, NULL), 0);
	assert_int_equal(p9c_symlink(w.c, w.root, "l", "n.txt", 0, NULL), 0);
	l = p9c_fid_alloc(w.c);
	assert_int_equal(p9c_walk(w.c, w.root, l, 1, &link, NULL, NULL), 0);
	assert_int_equal(p9c_readlink(w.c, l, buf, sizeof(buf)), 5);
	assert_int_equal(p9c_renameat(w.c, w.root, "n.txt", w.root, "m.txt"), 0);
	gt_path(&w.tree, "m.txt", p, sizeof(p));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 1);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(p9c_unlinkat(w.c, w.root, "m.txt", 0), 0);
	assert_int_equal(p9c_unlinkat(w.c, w.root, "l", 0), 0);
	assert_int_equal(p9c_unlinkat(w.c, w.root, "d", 0x200), 0);
	assert_int_equal(p9c_clunk(w.c, f), 0);
	assert_int_equal(p9c_clunk(w.c, l), 0);
	stop(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walled_readonly_serves_and_sees_nothing_else),
		cmocka_unit_test(test_walled_readwrite_write_side_passes_filter),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
