/* gofer_client_fixture.h: a cmocka fixture of the gofer tests that speak through the 9P
 * client: a served temp tree (gofer_test_util.h), a connected client attached to its
 * root, and a check at teardown that no fd was left open. Include after <cmocka.h>. */
#ifndef RUNSC_TEST_GOFER_CLIENT_FIXTURE_H
#define RUNSC_TEST_GOFER_CLIENT_FIXTURE_H

#include "gofer/p9/client.h"
#include "gofer_test_util.h"

struct fixture {
	struct gofer_tree tree;
	struct gofer_thread server;
	struct p9_client *c;
	uint32_t root;
	int fds_before;
	char file[256]; /* host path of root/file.txt */
};

static inline struct fixture *start(bool readonly)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	int sock;

	fx->fds_before = gt_count_fds();
	gt_make(&fx->tree);
	gt_path(&fx->tree, "file.txt", fx->file, sizeof(fx->file));
	sock = gt_start(&fx->server, fx->tree.root, readonly, SOCK_STREAM);
	assert_int_equal(p9c_connect(sock, 64 * 1024, &fx->c), 0);
	fx->root = p9c_fid_alloc(fx->c);
	assert_int_equal(p9c_attach(fx->c, fx->root, "root", 0, "", NULL), 0);
	return fx;
}

static inline int setup_ro(void **state)
{
	*state = start(true);
	return 0;
}

static inline int setup_rw(void **state)
{
	*state = start(false);
	return 0;
}

static inline int teardown(void **state)
{
	struct fixture *fx = *state;

	p9c_close(fx->c);
	assert_int_equal(gt_join(&fx->server), 0);
	gt_destroy(&fx->tree);
	assert_int_equal(gt_count_fds(), fx->fds_before); /* no fd left open */
	free(fx);
	return 0;
}

static inline uint32_t walk1(struct fixture *fx, const char *name)
{
	uint32_t fid = p9c_fid_alloc(fx->c);

	assert_int_equal(p9c_walk(fx->c, fx->root, fid, 1, &name, NULL, NULL), 0);
	return fid;
}

#endif
