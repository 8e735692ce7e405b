/* gofer_conc_test.c: the gofer serves requests concurrently. The worker pool runs other work
 * while one item blocks; on one connection, a request stuck in a host call (a FUSE file
 * whose getattr or read waits until the test lets it go) does not hold up the requests
 * behind it, replies come in completion order, and a Tflush of the stuck tag is answered
 * only after its reply, while a Tflush of a tag not in flight is answered at once. Run with
 * io_uring and without (the fallback, also taken when seccomp refuses io_uring_setup),
 * speaking raw 9P with chosen tags. */
#define FUSE_USE_VERSION 31
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <fuse.h>
#include <poll.h>
#include <seccomp.h>
#include <sys/wait.h>

#include "gofer/pool.h"
#include "gofer/server.h"
#include "gofer/uring.h"
#include "gofer/p9/p9.h"
#include "gofer_test_util.h"
#include "test/syscalls/host/fuse_slow_ops.h"
#include "lib/util.h"

/* --- the pool --- */

struct item {
	struct gofer_work w;
	pthread_mutex_t *lock;
	pthread_cond_t *cond;
	bool *release; /* a blocking item waits for it */
	int *done;
};

static void item_run(struct gofer_work *w, uint8_t *scratch, uint8_t *reply)
{
	struct item *it = (struct item *)w;

	pthread_mutex_lock(it->lock);
	while (it->release && !*it->release)
		pthread_cond_wait(it->cond, it->lock);
	(*it->done)++;
	pthread_cond_broadcast(it->cond);
	pthread_mutex_unlock(it->lock);
}

static void test_pool_size_from_cpus(void **state)
{
	assert_int_equal(gofer_pool_size_for(1), 4);
	assert_int_equal(gofer_pool_size_for(2), 4);
	assert_int_equal(gofer_pool_size_for(3), 6);
	assert_int_equal(gofer_pool_size_for(512), GOFER_POOL_MAX);
}

static void test_pool_blocked_item_leaves_others_running(void **state)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
	bool release = false;
	int blocked_done = 0, done = 0;
	struct gofer_pool *p = gofer_pool_new(2);
	struct item stuck = {{.fn = item_run}, &lock, &cond, &release, &blocked_done};
	struct item quick[20];

	assert_non_null(p);
	assert_int_equal(gofer_pool_threads(p), 2);
	gofer_pool_submit(p, &stuck.w);
	for (int i = 0; i < 20; i++) {
		quick[i] = (struct item){{.fn = item_run}, &lock, &cond, NULL, &done};
		gofer_pool_submit(p, &quick[i].w);
	}
	/* All 20 finish on the other worker while the first still waits. */
	pthread_mutex_lock(&lock);
	while (done < 20)
		pthread_cond_wait(&cond, &lock);
	assert_int_equal(blocked_done, 0);
	release = true;
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&lock);
	gofer_pool_free(p); /* waits for the released item */
	assert_int_equal(blocked_done, 1);
}

/* Where io_uring_setup is refused (here by seccomp, as a container runtime's profile may),
 * the ring is NULL and the loop serves with its workers alone. */
static void test_refused_io_uring_falls_back(void **state)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		struct gofer_loop *l;

		if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(io_uring_setup), 0) ||
		    seccomp_load(ctx))
			_exit(2);
		if (gofer_ring_new(8))
			_exit(3);
		l = gofer_loop_new(2, true);
		if (!l || gofer_loop_has_ring(l) || gofer_loop_workers(l) != 2)
			_exit(4);
		gofer_loop_free(l);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* --- a FUSE tree whose file "slow" blocks getattr and read while the test holds it --- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool armed; /* getattr/read of /slow now wait for release */
	bool release;
	int waiting; /* calls waiting */
} g_fs = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER};

/* fuse_slow_ops.h's gate. */
static void slow_gate(void)
{
	pthread_mutex_lock(&g_fs.lock);
	if (g_fs.armed) {
		g_fs.waiting++;
		pthread_cond_broadcast(&g_fs.cond);
		while (!g_fs.release)
			pthread_cond_wait(&g_fs.cond, &g_fs.lock);
		g_fs.waiting--;
	}
	pthread_mutex_unlock(&g_fs.lock);
}

/* Wait until n calls are stuck in slow_gate. */
static void fs_wait_stuck(int n)
{
	pthread_mutex_lock(&g_fs.lock);
	while (g_fs.waiting < n)
		pthread_cond_wait(&g_fs.cond, &g_fs.lock);
	pthread_mutex_unlock(&g_fs.lock);
}

static void fs_set(bool armed, bool release)
{
	pthread_mutex_lock(&g_fs.lock);
	g_fs.armed = armed;
	g_fs.release = release;
	pthread_cond_broadcast(&g_fs.cond);
	pthread_mutex_unlock(&g_fs.lock);
}

/* --- raw 9P with chosen tags against gofer_run --- */

struct conc {
	struct gofer_tree tree;
	struct gofer_thread server;
	char mnt[128];
	struct fuse *fuse;
	pthread_t fuse_thread;
	int sock;
	uint8_t buf[P9_MAX_MSIZE];
};

static void *fuse_main_loop(void *arg)
{
	fuse_loop_mt(arg, 0); /* a thread per waiting call: several can be stuck at once */
	return NULL;
}

static void send_msg(struct conc *c, struct p9_fcall *f, uint16_t tag)
{
	uint8_t out[4096];
	ssize_t n;

	f->tag = tag;
	n = p9_encode(out, sizeof(out), f);
	assert_true(n > 0);
	assert_int_equal(write_all(c->sock, out, (size_t)n), 0);
}

/* The next reply (decoded into f, data in c->buf); fails after 60 s without one. */
static void recv_msg(struct conc *c, struct p9_fcall *f)
{
	struct pollfd p = {.fd = c->sock, .events = POLLIN};
	uint32_t size;
	int fds[2], nfds = 2;
	ssize_t n;

	assert_int_equal(poll(&p, 1, 60000), 1);
	n = fd_recv(c->sock, c->buf, 4, fds, &nfds);
	assert_int_equal(n, 4);
	for (int i = 0; i < nfds; i++)
		close(fds[i]); /* donated fds are not under test here */
	assert_int_equal(p9_frame_size(c->buf, P9_MAX_MSIZE, &size), 0);
	assert_int_equal(read_all(c->sock, c->buf + 4, size - 4), 0);
	assert_int_equal(p9_decode(c->buf, size, P9_MAX_MSIZE, f), 0);
}

static void rpc(struct conc *c, struct p9_fcall *f, uint8_t want)
{
	uint8_t type = f->type;

	send_msg(c, f, 1);
	recv_msg(c, f);
	if (f->type != want)
		fail_msg("type %u answered with %u (errno %u)", type, f->type,
			 f->type == P9_RLERROR ? f->rlerror.ecode : 0);
}

/* fid 1 = the root, fid 2 = fuse/slow (walked while the gate is open). */
static struct conc *conc_start(bool no_uring)
{
	char *argv[] = {"gofer_conc_test", NULL};
	struct fuse_args args = FUSE_ARGS_INIT(1, argv);
	struct conc *c = calloc(1, sizeof(*c));
	const char *names[] = {"fuse", "slow"};
	struct p9_fcall f;
	int sv[2];

	gt_make(&c->tree);
	snprintf(c->mnt, sizeof(c->mnt), "%s/fuse", c->tree.root);
	assert_int_equal(mkdir(c->mnt, 0755), 0);
	fs_set(false, false);
	c->fuse = fuse_new(&args, &g_slow_ops, sizeof(g_slow_ops), NULL);
	assert_non_null(c->fuse);
	assert_int_equal(fuse_mount(c->fuse, c->mnt), 0);
	assert_int_equal(pthread_create(&c->fuse_thread, NULL, fuse_main_loop, c->fuse), 0);
	fuse_opt_free_args(&args);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	c->server.opts = (struct gofer_opts){
	    .root = c->tree.root, .sock_fd = sv[1], .no_uring = no_uring, .workers = 2};
	assert_int_equal(pthread_create(&c->server.thread, NULL, gt_thread_main, &c->server), 0);
	c->sock = sv[0];
	f = (struct p9_fcall){.type = P9_TVERSION};
	f.version.msize = 64 * 1024;
	f.version.version = (struct p9_str){P9_VERSION_L, sizeof(P9_VERSION_L) - 1};
	send_msg(c, &f, P9_NOTAG);
	recv_msg(c, &f);
	assert_int_equal(f.type, P9_RVERSION);
	f = (struct p9_fcall){.type = P9_TATTACH};
	f.tattach = (typeof(f.tattach)){.fid = 1, .afid = P9_NOFID};
	rpc(c, &f, P9_RATTACH);
	f = (struct p9_fcall){.type = P9_TWALK};
	f.twalk.fid = 1;
	f.twalk.newfid = 2;
	f.twalk.nwname = 2;
	for (int i = 0; i < 2; i++)
		f.twalk.wnames[i] = (struct p9_str){names[i], (uint16_t)strlen(names[i])};
	rpc(c, &f, P9_RWALK);
	assert_int_equal(f.rwalk.nwqid, 2);
	return c;
}

static void conc_stop(struct conc *c)
{
	fs_set(false, true);
	close(c->sock);
	assert_int_equal(gt_join(&c->server), 0);
	fuse_exit(c->fuse);
	fuse_unmount(c->fuse);
	pthread_join(c->fuse_thread, NULL);
	fuse_destroy(c->fuse);
	gt_destroy(&c->tree);
	free(c);
}

static void send_getattr(struct conc *c, uint32_t fid, uint16_t tag)
{
	struct p9_fcall f = {.type = P9_TGETATTR};

	f.tgetattr.fid = fid;
	f.tgetattr.mask = P9_GETATTR_BASIC;
	send_msg(c, &f, tag);
}

static void send_flush(struct conc *c, uint16_t oldtag, uint16_t tag)
{
	struct p9_fcall f = {.type = P9_TFLUSH};

	f.tflush.oldtag = oldtag;
	send_msg(c, &f, tag);
}

static void expect(struct conc *c, uint8_t type, uint16_t tag)
{
	struct p9_fcall f;

	recv_msg(c, &f);
	if (f.type != type || f.tag != tag)
		fail_msg("got type %u tag %u, wanted type %u tag %u", f.type, f.tag, type, tag);
}

/* A getattr stuck in the host leaves the connection serving; its Tflush waits for it. */
static void blocked_getattr(bool no_uring)
{
	struct conc *c = conc_start(no_uring);

	fs_set(true, false);
	send_getattr(c, 2, 10); /* stuck in statx on the FUSE file */
	fs_wait_stuck(1);
	for (uint16_t tag = 11; tag < 20; tag++)
		send_getattr(c, 1, tag);
	for (uint16_t tag = 11; tag < 20; tag++)
		expect(c, P9_RGETATTR, tag); /* answered while tag 10 is stuck */
	send_flush(c, 10, 20);		     /* in flight: answered after its reply */
	send_flush(c, 99, 21);		     /* no such tag: answered at once */
	expect(c, P9_RFLUSH, 21);
	send_getattr(c, 1, 22); /* the connection still serves */
	expect(c, P9_RGETATTR, 22);
	fs_set(true, true);
	expect(c, P9_RGETATTR, 10);
	expect(c, P9_RFLUSH, 20);
	conc_stop(c);
}

static void test_blocked_getattr_does_not_stall_connection(void **state)
{
	blocked_getattr(false);
}

static void test_blocked_getattr_does_not_stall_connection_no_uring(void **state)
{
	blocked_getattr(true);
}

/* A read stuck in the host (on the ring, or on a worker) leaves the others going. */
static void blocked_read(bool no_uring)
{
	struct conc *c = conc_start(no_uring);
	struct p9_fcall f = {.type = P9_TLOPEN};

	f.tlopen.fid = 2;
	f.tlopen.flags = O_RDONLY;
	rpc(c, &f, P9_RLOPEN);
	fs_set(true, false);
	f = (struct p9_fcall){.type = P9_TREAD};
	f.io = (typeof(f.io)){.fid = 2, .offset = 0, .count = 64};
	send_msg(c, &f, 30);
	fs_wait_stuck(1);
	for (uint16_t tag = 31; tag < 40; tag++)
		send_getattr(c, 1, tag);
	for (uint16_t tag = 31; tag < 40; tag++)
		expect(c, P9_RGETATTR, tag);
	fs_set(true, true);
	recv_msg(c, &f);
	assert_int_equal(f.type, P9_RREAD);
	assert_int_equal(f.tag, 30);
	assert_int_equal(f.rdata.count, 5);
	assert_memory_equal(f.rdata.data, "slow!", 5);
	conc_stop(c);
}

static void test_blocked_read_does_not_stall_connection(void **state)
{
	blocked_read(false);
}

static void test_blocked_read_does_not_stall_connection_no_uring(void **state)
{
	blocked_read(true);
}

/* Requests that find no free worker wait in the queue: a Tflush of one cancels it, so the
 * Rflush is the only answer its tag gets. With both workers stuck, the third getattr
 * cannot have started. */
static void test_flush_cancels_queued_request(void **state)
{
	struct conc *c = conc_start(true);

	fs_set(true, false);
	send_getattr(c, 2, 40);
	send_getattr(c, 2, 41);
	fs_wait_stuck(2); /* both workers are in the host */
	send_getattr(c, 2, 42); /* a FUSE file: for a worker, never answered by the loop */
	send_flush(c, 42, 43);
	expect(c, P9_RFLUSH, 43); /* cancelled: no Rgetattr for 42 ever */
	fs_set(true, true);
	for (int i = 0; i < 2; i++) {
		struct p9_fcall f;

		recv_msg(c, &f);
		assert_int_equal(f.type, P9_RGETATTR);
		assert_true(f.tag == 40 || f.tag == 41);
	}
	send_getattr(c, 1, 44);
	expect(c, P9_RGETATTR, 44); /* the next reply is 44's: 42 never answered */
	conc_stop(c);
}

/* After a failed case too: nothing may stay stuck in the FUSE file, or exit would hang. */
static int release_fuse(void **state)
{
	fs_set(false, true);
	return 0;
}

/* A read of pages not in the host's cache: the ring may answer EAGAIN for the O_NONBLOCK
 * file (a worker then reads it the blocking way); the client sees only the data. */
static void test_read_of_uncached_file(void **state)
{
	struct conc *c = conc_start(false);
	const char *name = "big";
	struct p9_fcall f = {.type = P9_TWALK};
	static char data[32 * 1024];
	char path[256];
	int fd;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 23);
	gt_path(&c->tree, name, path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, sizeof(data)), sizeof(data));
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	close(fd);
	f.twalk.fid = 1;
	f.twalk.newfid = 3;
	f.twalk.nwname = 1;
	f.twalk.wnames[0] = (struct p9_str){name, 3};
	rpc(c, &f, P9_RWALK);
	f = (struct p9_fcall){.type = P9_TLOPEN};
	f.tlopen.fid = 3;
	f.tlopen.flags = O_RDONLY;
	rpc(c, &f, P9_RLOPEN);
	f = (struct p9_fcall){.type = P9_TREAD};
	f.io = (typeof(f.io)){.fid = 3, .offset = 0, .count = sizeof(data)};
	rpc(c, &f, P9_RREAD);
	assert_int_equal(f.rdata.count, sizeof(data));
	assert_memory_equal(f.rdata.data, data, sizeof(data));
	conc_stop(c);
}

static int need_fuse(void **state)
{
	if (geteuid() != 0 || access("/dev/fuse", R_OK | W_OK)) {
		fprintf(stderr, "gofer_conc_test: SKIPPING the FUSE cases: they need root and "
				"/dev/fuse (CI has both)\n");
		skip();
	}
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pool_size_from_cpus),
	    cmocka_unit_test(test_pool_blocked_item_leaves_others_running),
	    cmocka_unit_test(test_refused_io_uring_falls_back),
	    cmocka_unit_test_setup_teardown(test_blocked_getattr_does_not_stall_connection,
					    need_fuse, release_fuse),
	    cmocka_unit_test_setup_teardown(test_blocked_getattr_does_not_stall_connection_no_uring,
					    need_fuse, release_fuse),
	    cmocka_unit_test_setup_teardown(test_blocked_read_does_not_stall_connection, need_fuse,
					    release_fuse),
	    cmocka_unit_test_setup_teardown(test_blocked_read_does_not_stall_connection_no_uring,
					    need_fuse, release_fuse),
	    cmocka_unit_test_setup_teardown(test_flush_cancels_queued_request, need_fuse,
					    release_fuse),
	    cmocka_unit_test_setup_teardown(test_read_of_uncached_file, need_fuse, release_fuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
