/* gofer_bind_test.c: bind mounts served by gofer_run() on connections of their own: a
 * directory and a single file, read-only refusing writes, a file root no walk can leave,
 * a bind connection ending before the root's, a missing source failing the start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "gofer/p9/client.h"
#include "gofer_test_util.h"

struct bind_fixture {
	struct gofer_tree tree;
	struct gofer_thread g;
	char dir[128], file[128];
	int root_fd, bind_fd[2];
};

/* Serve tree.root, with dir (rw) and file (read-only) as bind mounts. */
static void start(struct bind_fixture *f, const char *dir, const char *file)
{
	int sv[2][2], root[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, root))
		abort();
	f->root_fd = root[0];
	f->g.opts = (struct gofer_opts){.root = f->tree.root, .sock_fd = root[1]};
	f->g.exit_code = -1;
	for (int i = 0; i < 2; i++) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv[i]))
			abort();
		f->bind_fd[i] = sv[i][0];
		f->g.opts.binds[i].sock_fd = sv[i][1];
	}
	f->g.opts.binds[0].source = dir;
	f->g.opts.binds[1].source = file;
	f->g.opts.binds[1].readonly = true;
	f->g.opts.nbinds = 2;
	if (pthread_create(&f->g.thread, NULL, gt_thread_main, &f->g))
		abort();
}

/* Wait for the server (it closes the root's end); close the bind ends it leaves. */
static int join(struct bind_fixture *f)
{
	int ret = gt_join(&f->g);

	close(f->g.opts.binds[0].sock_fd);
	close(f->g.opts.binds[1].sock_fd);
	return ret;
}

static int setup(void **state)
{
	struct bind_fixture *f = calloc(1, sizeof(*f));

	gt_make(&f->tree);
	snprintf(f->dir, sizeof(f->dir), "%s/dir", f->tree.root);
	snprintf(f->file, sizeof(f->file), "%s/file.txt", f->tree.root);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct bind_fixture *f = *state;

	gt_destroy(&f->tree);
	free(f);
	return 0;
}

static struct p9_client *connect_to(int fd, uint32_t *root, struct p9_qid *qid)
{
	struct p9_client *c;

	assert_int_equal(p9c_connect(fd, P9_DEFAULT_MSIZE, &c), 0);
	*root = p9c_fid_alloc(c);
	assert_int_equal(p9c_attach(c, *root, "root", 0, "", qid), 0);
	return c;
}

static void test_dir_bind_writes_reach_host(void **state)
{
	struct bind_fixture *f = *state;
	struct p9_client *c;
	struct p9_qid qid;
	uint32_t root, fid;
	char path[256], buf[16] = {0};
	int hostfd = -1;
	FILE *in;

	start(f, f->dir, f->file);
	c = connect_to(f->bind_fd[0], &root, &qid);
	assert_int_equal(qid.type, P9_QTDIR);
	fid = p9c_fid_alloc(c);
	assert_int_equal(p9c_walk(c, root, fid, 0, NULL, NULL, NULL), 0);
	assert_int_equal(p9c_lcreate(c, fid, "new.txt", O_WRONLY, 0644, 0, NULL, NULL, &hostfd),
			 0);
	assert_int_equal(p9c_write(c, fid, 0, "bound", 5), 5);
	snprintf(path, sizeof(path), "%s/new.txt", f->dir);
	in = fopen(path, "r");
	assert_non_null(in);
	assert_non_null(fgets(buf, sizeof(buf), in));
	fclose(in);
	assert_string_equal(buf, "bound");
	/* A hard link through Tlink: the same host file under a second name. */
	const char *nm[] = {"new.txt"};
	uint32_t fid3 = p9c_fid_alloc(c);
	struct stat a, b;
	assert_int_equal(p9c_walk(c, root, fid3, 1, nm, NULL, NULL), 0);
	assert_int_equal(p9c_link(c, root, fid3, "hard.txt"), 0);
	assert_int_equal(p9c_link(c, root, fid3, "hard.txt"), -EEXIST);
	assert_int_equal(p9c_link(c, root, root, "dirlink"), -EPERM);
	snprintf(path, sizeof(path), "%s/hard.txt", f->dir);
	assert_int_equal(stat(path, &a), 0);
	snprintf(path, sizeof(path), "%s/new.txt", f->dir);
	assert_int_equal(stat(path, &b), 0);
	assert_int_equal(a.st_ino, b.st_ino);
	assert_int_equal(b.st_nlink, 2);
	/* ".." of the bind root is the bind root: sub.txt is there, file.txt is not. */
	const char *up[] = {"..", "file.txt"};
	uint32_t fid2 = p9c_fid_alloc(c);
	assert_int_equal(p9c_walk(c, root, fid2, 2, up, NULL, NULL), -ENOENT);
	p9c_close(c);
	close(f->bind_fd[1]);
	close(f->root_fd);
	assert_int_equal(join(f), 0);
}

static void test_file_bind_is_a_leaf_and_read_only(void **state)
{
	struct bind_fixture *f = *state;
	const char *names[] = {"x"}, *dotdot[] = {".."};
	struct p9_client *c;
	struct p9_qid qid;
	uint32_t root, fid;
	char buf[32] = {0};
	int hostfd = -1;

	start(f, f->dir, f->file);
	c = connect_to(f->bind_fd[1], &root, &qid);
	assert_int_equal(qid.type, P9_QTFILE);
	fid = p9c_fid_alloc(c);
	assert_int_equal(p9c_walk(c, root, fid, 1, names, NULL, NULL), -ENOTDIR);
	assert_int_equal(p9c_walk(c, root, fid, 1, dotdot, NULL, NULL), -ENOTDIR);
	assert_int_equal(p9c_walk(c, root, fid, 0, NULL, NULL, NULL), 0);
	assert_int_equal(p9c_lopen(c, fid, O_WRONLY, NULL, NULL, &hostfd), -EROFS);
	assert_int_equal(p9c_lopen(c, fid, O_RDONLY, NULL, NULL, &hostfd), 0);
	if (hostfd >= 0)
		close(hostfd);
	assert_int_equal(p9c_read(c, fid, 0, buf, sizeof(buf) - 1), 11);
	assert_string_equal(buf, "hello world");
	/* The bind connection ends first: the root's goes on being served. */
	p9c_close(c);
	close(f->bind_fd[0]);
	c = connect_to(f->root_fd, &root, &qid);
	assert_int_equal(qid.type, P9_QTDIR);
	p9c_close(c);
	assert_int_equal(join(f), 0);
}

static void test_file_bind_swapped_for_symlink_fails(void **state)
{
	struct bind_fixture *f = *state;
	char link[160];

	snprintf(link, sizeof(link), "%s/link", f->tree.root);
	start(f, f->dir, link);
	assert_int_equal(join(f), 1);
	close(f->root_fd);
	close(f->bind_fd[0]);
	close(f->bind_fd[1]);
}

static void test_missing_source_fails(void **state)
{
	struct bind_fixture *f = *state;
	char missing[160];

	snprintf(missing, sizeof(missing), "%s/nope", f->tree.root);
	start(f, missing, f->file);
	assert_int_equal(join(f), 1);
	close(f->root_fd);
	close(f->bind_fd[0]);
	close(f->bind_fd[1]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_dir_bind_writes_reach_host, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_bind_is_a_leaf_and_read_only, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_file_bind_swapped_for_symlink_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missing_source_fails, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
