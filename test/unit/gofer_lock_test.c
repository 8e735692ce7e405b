/* gofer_lock_test.c: Tlock, Tgetlock and Trename through the 9P client and the gofer
 * server: two open fids' locks conflict like two opens of a file, Tgetlock reports the
 * holder's range and type, unlock frees, host processes see the locks; Trename moves the
 * file on the host and keeps the fid working. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <signal.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "gofer/filter.h"
#include "gofer_client_fixture.h"

static uint32_t open1(struct fixture *fx, const char *name, uint32_t flags)
{
	uint32_t fid = walk1(fx, name);
	int hostfd;

	assert_int_equal(p9c_lopen(fx->c, fid, flags, NULL, NULL, &hostfd), 0);
	if (hostfd >= 0)
		close(hostfd);
	return fid;
}

static int lock(struct fixture *fx, uint32_t fid, uint8_t type, uint64_t start, uint64_t len)
{
	struct p9_lock l = {.type = type, .start = start, .length = len, .proc_id = 1};
	uint8_t status = 0xff;
	int ret = p9c_lock(fx->c, fid, 0, &l, &status);

	return ret ? ret : status;
}

/* What a host process's F_GETLK for a write lock on [start, start+len) sees. */
static short host_getlk(struct fixture *fx, off_t start, off_t len, struct flock *fl)
{
	int fd = open(fx->file, O_RDWR);

	*fl =
	    (struct flock){.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
	assert_int_equal(fcntl(fd, F_OFD_GETLK, fl), 0);
	close(fd);
	return fl->l_type;
}

static void test_two_fids_conflict(void **state)
{
	struct fixture *fx = *state;
	uint32_t a = open1(fx, "file.txt", O_RDWR), b = open1(fx, "file.txt", O_RDWR);
	struct p9_lock q;
	struct flock fl;

	assert_int_equal(lock(fx, a, P9_LOCK_TYPE_WRLCK, 10, 20), P9_LOCK_SUCCESS);
	/* b overlaps [10, 30) at 25: blocked, whatever the type; outside it is free. */
	assert_int_equal(lock(fx, b, P9_LOCK_TYPE_WRLCK, 25, 10), P9_LOCK_BLOCKED);
	assert_int_equal(lock(fx, b, P9_LOCK_TYPE_RDLCK, 0, 11), P9_LOCK_BLOCKED);
	assert_int_equal(lock(fx, b, P9_LOCK_TYPE_WRLCK, 30, 5), P9_LOCK_SUCCESS);
	/* BLOCK does not make the server wait: still BLOCKED at once. */
	q = (struct p9_lock){.type = P9_LOCK_TYPE_WRLCK, .start = 12, .length = 1};
	uint8_t status = 0xff;
	assert_int_equal(p9c_lock(fx->c, b, P9_LOCK_FLAGS_BLOCK, &q, &status), 0);
	assert_int_equal(status, P9_LOCK_BLOCKED);
	/* Tgetlock from b reports a's lock: its type and range; the OFD holder has no pid. */
	q = (struct p9_lock){.type = P9_LOCK_TYPE_RDLCK, .start = 0, .length = 0};
	assert_int_equal(p9c_getlock(fx->c, b, &q), 0);
	assert_int_equal(q.type, P9_LOCK_TYPE_WRLCK);
	assert_int_equal(q.start, 10);
	assert_int_equal(q.length, 20);
	assert_int_equal(q.proc_id, UINT32_MAX);
	/* The Linux client's "any lock?" query (type UNLCK) finds it too. */
	q = (struct p9_lock){.type = P9_LOCK_TYPE_UNLCK, .start = 15, .length = 1};
	assert_int_equal(p9c_getlock(fx->c, b, &q), 0);
	assert_int_equal(q.type, P9_LOCK_TYPE_WRLCK);
	assert_int_equal(q.start, 10);
	/* Its own lock never conflicts with a: nothing from a's side at 10. */
	q = (struct p9_lock){.type = P9_LOCK_TYPE_WRLCK, .start = 10, .length = 5};
	assert_int_equal(p9c_getlock(fx->c, a, &q), 0);
	assert_int_equal(q.type, P9_LOCK_TYPE_UNLCK);
	assert_int_equal(q.start, 10);
	assert_int_equal(q.length, 5);
	/* The host sees the gofer's lock. */
	assert_int_equal(host_getlk(fx, 0, 0, &fl), F_WRLCK);
	assert_int_equal(fl.l_start, 10);
	assert_int_equal(fl.l_len, 20);
	/* Unlock frees the range for b. */
	assert_int_equal(lock(fx, a, P9_LOCK_TYPE_UNLCK, 10, 20), P9_LOCK_SUCCESS);
	assert_int_equal(lock(fx, b, P9_LOCK_TYPE_WRLCK, 25, 10), P9_LOCK_SUCCESS);
	/* Read locks share. */
	assert_int_equal(lock(fx, b, P9_LOCK_TYPE_RDLCK, 0, 5), P9_LOCK_SUCCESS);
	assert_int_equal(lock(fx, a, P9_LOCK_TYPE_RDLCK, 0, 5), P9_LOCK_SUCCESS);
	/* Clunking b drops its locks (the open fd goes): a may take everything. */
	assert_int_equal(p9c_clunk(fx->c, b), 0);
	assert_int_equal(lock(fx, a, P9_LOCK_TYPE_WRLCK, 0, 0), P9_LOCK_SUCCESS);
	assert_int_equal(host_getlk(fx, 100, 1, &fl), F_WRLCK);
	assert_int_equal(fl.l_start, 0);
	assert_int_equal(fl.l_len, 0);
	p9c_clunk(fx->c, a);
}

static void test_host_lock_seen(void **state)
{
	struct fixture *fx = *state;
	uint32_t a = open1(fx, "file.txt", O_RDWR);
	struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_start = 4, .l_len = 2};
	struct p9_lock q = {.type = P9_LOCK_TYPE_WRLCK, .start = 0, .length = 0};
	int fd = open(fx->file, O_RDONLY);

	/* A classic POSIX lock of this process (another owner than the gofer's fds). */
	assert_int_equal(fcntl(fd, F_SETLK, &fl), 0);
	assert_int_equal(p9c_getlock(fx->c, a, &q), 0);
	assert_int_equal(q.type, P9_LOCK_TYPE_RDLCK);
	assert_int_equal(q.start, 4);
	assert_int_equal(q.length, 2);
	assert_int_equal(q.proc_id, 0); /* a pid of another pid namespace: 0, as Linux says */
	assert_int_equal(lock(fx, a, P9_LOCK_TYPE_WRLCK, 5, 1), P9_LOCK_BLOCKED);
	assert_int_equal(lock(fx, a, P9_LOCK_TYPE_RDLCK, 5, 1), P9_LOCK_SUCCESS);
	close(fd); /* drops the POSIX lock */
	assert_int_equal(lock(fx, a, P9_LOCK_TYPE_WRLCK, 0, 0), P9_LOCK_SUCCESS);
	p9c_clunk(fx->c, a);
}

static void test_bad_requests(void **state)
{
	struct fixture *fx = *state;
	uint32_t w = walk1(fx, "file.txt"), r = open1(fx, "file.txt", O_RDONLY);
	struct p9_lock q = {.type = P9_LOCK_TYPE_RDLCK};
	uint8_t status;

	/* A fid that is not open, or not a fid at all. */
	assert_int_equal(lock(fx, w, P9_LOCK_TYPE_RDLCK, 0, 0), -EBADF);
	assert_int_equal(p9c_getlock(fx->c, w, &q), -EBADF);
	assert_int_equal(lock(fx, 9999, P9_LOCK_TYPE_RDLCK, 0, 0), -EBADF);
	/* Types, flags, negative offsets. */
	assert_int_equal(lock(fx, r, 3, 0, 0), -EINVAL);
	q.type = 7;
	assert_int_equal(p9c_getlock(fx->c, r, &q), -EINVAL);
	q.type = P9_LOCK_TYPE_RDLCK;
	assert_int_equal(p9c_lock(fx->c, r, 0x4, &q, &status), -EINVAL);
	assert_int_equal(lock(fx, r, P9_LOCK_TYPE_RDLCK, (uint64_t)-1, 1), -EINVAL);
	assert_int_equal(lock(fx, r, P9_LOCK_TYPE_RDLCK, 0, (uint64_t)INT64_MAX + 1), -EINVAL);
	q = (struct p9_lock){.type = P9_LOCK_TYPE_RDLCK, .start = (uint64_t)-5};
	assert_int_equal(p9c_getlock(fx->c, r, &q), -EINVAL);
	/* start + length past the largest offset: the host's EOVERFLOW. */
	assert_int_equal(lock(fx, r, P9_LOCK_TYPE_RDLCK, INT64_MAX, 2), -EOVERFLOW);
	/* A write lock needs a writable open, as fcntl says. */
	assert_int_equal(lock(fx, r, P9_LOCK_TYPE_WRLCK, 0, 0), -EBADF);
	assert_int_equal(lock(fx, r, P9_LOCK_TYPE_RDLCK, 0, 0), P9_LOCK_SUCCESS);
	p9c_clunk(fx->c, w);
	p9c_clunk(fx->c, r);
}

static void test_readonly_read_locks(void **state)
{
	struct fixture *fx = *state;
	uint32_t r = open1(fx, "file.txt", O_RDONLY), d = walk1(fx, "dir");
	struct flock fl;

	assert_int_equal(lock(fx, r, P9_LOCK_TYPE_RDLCK, 0, 100), P9_LOCK_SUCCESS);
	assert_int_equal(host_getlk(fx, 50, 1, &fl), F_RDLCK);
	assert_int_equal(lock(fx, r, P9_LOCK_TYPE_WRLCK, 0, 0), -EBADF);
	assert_int_equal(lock(fx, r, P9_LOCK_TYPE_UNLCK, 0, 0), P9_LOCK_SUCCESS);
	assert_int_equal(host_getlk(fx, 50, 1, &fl), F_UNLCK);
	assert_int_equal(p9c_rename(fx->c, r, d, "moved"), -EROFS);
	p9c_clunk(fx->c, r);
	p9c_clunk(fx->c, d);
}

static void test_rename(void **state)
{
	struct fixture *fx = *state;
	uint32_t f = open1(fx, "file.txt", O_RDWR), d = walk1(fx, "dir");
	uint32_t sub = p9c_fid_alloc(fx->c);
	char path[256], buf[32] = {0};
	const char *name = "sub.txt";
	struct stat st;

	assert_int_equal(p9c_rename(fx->c, f, d, "moved.txt"), 0);
	assert_int_equal(stat(fx->file, &st), -1);
	assert_int_equal(errno, ENOENT);
	gt_path(&fx->tree, "dir/moved.txt", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 11);
	/* The fid is still the file's: reads, and a reopen by its new name. */
	assert_int_equal(p9c_read(fx->c, f, 0, buf, 5), 5);
	assert_string_equal(buf, "hello");
	uint32_t again = p9c_fid_alloc(fx->c);
	const char *names[] = {"dir", "moved.txt"};
	assert_int_equal(p9c_walk(fx->c, fx->root, again, 2, names, NULL, NULL), 0);
	/* Rename a walked (not open) fid back to the root under another name. */
	assert_int_equal(p9c_rename(fx->c, again, fx->root, "back.txt"), 0);
	gt_path(&fx->tree, "back.txt", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(p9c_lopen(fx->c, again, O_RDONLY, NULL, NULL, NULL), 0);
	/* Errors: bad names, a non-directory target, the root, fids unknown, a name changed
	 * under the fid on the host. */
	assert_int_equal(p9c_rename(fx->c, f, fx->root, "a/b"), -EINVAL);
	assert_int_equal(p9c_rename(fx->c, f, fx->root, ".."), -EINVAL);
	assert_int_equal(p9c_rename(fx->c, f, f, "x"), -ENOTDIR);
	assert_int_equal(p9c_rename(fx->c, fx->root, d, "x"), -EBUSY);
	assert_int_equal(p9c_rename(fx->c, 9999, d, "x"), -EBADF);
	assert_int_equal(p9c_rename(fx->c, f, 9999, "x"), -EBADF);
	assert_int_equal(p9c_walk(fx->c, d, sub, 1, &name, NULL, NULL), 0);
	gt_path(&fx->tree, "dir/sub.txt", path, sizeof(path));
	char other[256];
	gt_path(&fx->tree, "dir/other", other, sizeof(other));
	assert_int_equal(rename(path, other), 0);
	gt_write(fx->tree.root, "dir/sub.txt", "a new file");
	assert_int_equal(p9c_rename(fx->c, sub, fx->root, "x"), -ESTALE);
	gt_path(&fx->tree, "x", path, sizeof(path));
	assert_int_equal(stat(path, &st), -1);
	p9c_clunk(fx->c, f);
	p9c_clunk(fx->c, again);
	p9c_clunk(fx->c, d);
	p9c_clunk(fx->c, sub);
}

/* In a child under the gofer's seccomp filter: fcntl cmd on a file, then exit 0; the
 * status the parent sees. */
static int filtered_fcntl(const char *path, int cmd)
{
	struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
	int fd = open(path, O_RDONLY), status;
	pid_t pid = fork();

	assert_true(fd >= 0 && pid >= 0);
	if (pid == 0) {
		if (gofer_filter_install())
			_exit(2);
		fcntl(fd, cmd, cmd == F_SETFL ? (void *)O_NONBLOCK : (void *)&fl);
		_exit(0);
	}
	close(fd);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return status;
}

/* No server thread runs here: the children fork from a single-threaded process. */
static void test_filter_allows_ofd_locks_only(void **state)
{
	char path[] = "/tmp/gofer-lock-XXXXXX";
	int fd = mkstemp(path), st;

	assert_true(fd >= 0);
	close(fd);
	st = filtered_fcntl(path, F_OFD_SETLK);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	st = filtered_fcntl(path, F_OFD_GETLK);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* Everything else of fcntl kills, a waiting lock included. */
	st = filtered_fcntl(path, F_SETFL);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	st = filtered_fcntl(path, F_OFD_SETLKW);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_two_fids_conflict, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_host_lock_seen, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_bad_requests, setup_rw, teardown),
	    cmocka_unit_test_setup_teardown(test_readonly_read_locks, setup_ro, teardown),
	    cmocka_unit_test_setup_teardown(test_rename, setup_rw, teardown),
	    cmocka_unit_test(test_filter_allows_ofd_locks_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
