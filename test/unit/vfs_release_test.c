/* vfs_release_test.c: vfs_release_tree, what deleting a pod container does to its mount
 * tree: its mounts leave the mount list, the filesystems only it mounted drop their
 * dentries (tmpfs files are freed), a file still open keeps working, and the sandbox's
 * own tree and the shared mqueue filesystem are untouched. */
#include "test/unit/vfs_test_util.h"

#include <stdio.h>

static void count_mount(void *arg, struct mount *m)
{
	(void)m;
	(*(int *)arg)++;
}

static int mounts(void)
{
	int n = 0;

	vfs_for_each_mount(count_mount, &n);
	return n;
}

static struct mount *g_ct;
static struct fs_context *g_sandbox_fs;

/* The sandbox's tree (vt_setup) plus a container's, which the fake task now works in. */
static int rel_setup(void **state)
{
	struct vfs_config cfg = {.root_gofer_fd = -1, .tmp_tmpfs = true};

	if (vt_setup(state) < 0)
		return -1;
	if (vt_write_file("/sandbox-file", "sandbox") < 0)
		return -1;
	if (vfs_new_tree(&cfg, &g_ct) < 0)
		return -1;
	g_sandbox_fs = g_vt.fs;
	g_vt.fs = fs_context_new_at(g_ct);
	return 0;
}

static int rel_teardown(void **state)
{
	fs_context_put(g_sandbox_fs);
	return vt_teardown(state);
}

static void release_drops_the_tree(void **state)
{
	char buf[64];
	int before = mounts(), fd;

	(void)state;
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/a", 0755), 0);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/a/b", 0755), 0);
	assert_int_equal(vt_write_file("/a/b/kept", "still here"), 0);
	assert_int_equal(vt_write_file("/a/b/gone", "dropped"), 0);
	assert_int_equal(vt_write_file("/tmp/t", "tmp"), 0);
	assert_int_equal(vt_write_file("/dev/shm/s", "shm"), 0);
	fd = vt_open("/a/b/kept", O_RDONLY, 0);
	assert_true(fd >= 0);

	vfs_release_tree(g_ct);
	/* root, /dev, /dev/shm, /dev/mqueue, /dev/pts, /proc, /sys, /tmp */
	assert_int_equal(mounts(), before - 8);
	/* Its files are gone; the one still open reads what it held. */
	assert_int_equal(vt_exists("/a"), -ENOENT);
	assert_int_equal(vfs_pread(&g_vt, vt_file(fd), buf, sizeof(buf) - 1, 0), 10);
	assert_memory_equal(buf, "still here", 10);
	assert_int_equal(vt_close(fd), 0);

	/* The sandbox's tree is untouched, and cannot be released. */
	fs_context_put(g_vt.fs);
	g_vt.fs = g_sandbox_fs;
	g_sandbox_fs = fs_context_new_root();
	assert_int_equal(vt_read_file("/sandbox-file", buf, sizeof(buf)), 7);
	assert_int_equal(vt_write_file("/dev/mqueue/../shm/x", "x"), 0);
	vfs_release_tree(vfs_root_mount());
	assert_int_equal(mounts(), before - 8);
	assert_int_equal(vt_exists("/sandbox-file"), 0);
	assert_int_equal(vt_exists("/dev/mqueue"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(release_drops_the_tree, rel_setup, rel_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
