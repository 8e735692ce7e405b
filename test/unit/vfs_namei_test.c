/* vfs_namei_test.c: the path walk: absolute/relative/dirfd starts, "." and ".." (across
 * mounts, clamped at the root), symlinks and ELOOP, trailing slashes, name limits,
 * search permission, cwd, and the errnos of the namespace operations. */
#include "test/unit/vfs_test_util.h"

#include <linux/fs.h>
#include <stdio.h>
#include <sys/stat.h>

static void make_tree(void)
{
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/a", 0755), 0);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/a/b", 0755), 0);
	assert_int_equal(vt_write_file("/a/b/f", "data"), 0);
}

static void walk_absolute_relative_and_dots(void **state)
{
	struct kstat st, st2;

	make_tree();
	assert_int_equal(vt_stat("/a/b/f", &st), 0);
	assert_true(S_ISREG(st.mode));
	assert_int_equal(st.size, 4);
	assert_int_equal(vt_stat("a/b/f", &st2), 0);
	assert_int_equal(st.ino, st2.ino);
	assert_int_equal(vt_stat("//a/./b/../b//f", &st2), 0);
	assert_int_equal(st.ino, st2.ino);
	assert_int_equal(vt_stat("/a/b/missing", &st2), -ENOENT);
	assert_int_equal(vt_stat("/a/b/f/x", &st2), -ENOTDIR);
	assert_int_equal(vt_stat("", &st2), -ENOENT);
}

static void dotdot_is_clamped_and_crosses_mounts(void **state)
{
	struct kstat root, st, tmp;

	make_tree();
	assert_int_equal(vt_stat("/", &root), 0);
	assert_int_equal(vt_stat("/../../..", &st), 0);
	assert_int_equal(st.ino, root.ino);
	assert_int_equal(st.dev, root.dev);
	/* /tmp is its own tmpfs: a different device, and ".." leads back to /. */
	assert_int_equal(vt_stat("/tmp", &tmp), 0);
	assert_int_not_equal(tmp.dev, root.dev);
	assert_int_equal(vt_stat("/tmp/..", &st), 0);
	assert_int_equal(st.ino, root.ino);
	assert_int_equal(st.dev, root.dev);
	assert_int_equal(vt_stat("/tmp/../a/b/f", &st), 0);
}

static void symlinks_are_followed(void **state)
{
	struct kstat st, f;
	char buf[64];

	make_tree();
	assert_int_equal(vt_stat("/a/b/f", &f), 0);
	assert_int_equal(vfs_symlinkat(&g_vt, "b", AT_FDCWD, "/a/lb"), 0);
	assert_int_equal(vfs_symlinkat(&g_vt, "/a/b/f", AT_FDCWD, "/abs"), 0);
	assert_int_equal(vfs_symlinkat(&g_vt, "../a/b", AT_FDCWD, "/a/up"), 0);
	assert_int_equal(vfs_symlinkat(&g_vt, "nowhere", AT_FDCWD, "/dangling"), 0);
	assert_int_equal(vt_stat("/a/lb/f", &st), 0);
	assert_int_equal(st.ino, f.ino);
	assert_int_equal(vt_stat("/abs", &st), 0);
	assert_int_equal(st.ino, f.ino);
	assert_int_equal(vt_stat("/a/up/f", &st), 0);
	assert_int_equal(st.ino, f.ino);
	assert_int_equal(vt_lstat("/abs", &st), 0);
	assert_true(S_ISLNK(st.mode));
	assert_int_equal(st.size, 6);
	assert_int_equal(vt_stat("/dangling", &st), -ENOENT);
	assert_int_equal(vfs_readlinkat(&g_vt, AT_FDCWD, "/a/up", buf, sizeof(buf)), 6);
	assert_memory_equal(buf, "../a/b", 6);
	assert_int_equal(vfs_readlinkat(&g_vt, AT_FDCWD, "/a/up", buf, 2), 2);
	assert_int_equal(vfs_readlinkat(&g_vt, AT_FDCWD, "/a/b/f", buf, 2), -EINVAL);
	/* O_CREAT through a dangling symlink creates its target. */
	int fd = vt_open("/dangling", O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	vt_close(fd);
	assert_int_equal(vt_exists("/nowhere"), 0);
	assert_int_equal(vt_open("/abs", O_RDONLY | O_NOFOLLOW, 0), -ELOOP);
	assert_int_equal(vt_open("/abs", O_CREAT | O_EXCL | O_WRONLY, 0600), -EEXIST);
}

static void symlink_loops_give_eloop(void **state)
{
	struct kstat st;
	char name[32], target[32];

	assert_int_equal(vfs_symlinkat(&g_vt, "loop2", AT_FDCWD, "/loop1"), 0);
	assert_int_equal(vfs_symlinkat(&g_vt, "loop1", AT_FDCWD, "/loop2"), 0);
	assert_int_equal(vt_stat("/loop1", &st), -ELOOP);
	assert_int_equal(vt_lstat("/loop1", &st), 0);
	/* A chain of 40 links resolves; 41 do not. */
	assert_int_equal(vt_write_file("/end", "x"), 0);
	assert_int_equal(vfs_symlinkat(&g_vt, "end", AT_FDCWD, "/l1"), 0);
	for (int i = 2; i <= 41; i++) {
		snprintf(name, sizeof(name), "/l%d", i);
		snprintf(target, sizeof(target), "l%d", i - 1);
		assert_int_equal(vfs_symlinkat(&g_vt, target, AT_FDCWD, name), 0);
	}
	assert_int_equal(vt_stat("/l40", &st), 0);
	assert_int_equal(vt_stat("/l41", &st), -ELOOP);
}

static void trailing_slashes(void **state)
{
	struct kstat st;

	make_tree();
	assert_int_equal(vfs_symlinkat(&g_vt, "b", AT_FDCWD, "/a/lb"), 0);
	assert_int_equal(vt_stat("/a/b/", &st), 0);
	assert_int_equal(vt_stat("/a/b/f/", &st), -ENOTDIR);
	assert_int_equal(vt_open("/a/b/f/", O_RDONLY, 0), -ENOTDIR);
	assert_int_equal(vt_open("/a/new/", O_CREAT | O_WRONLY, 0644), -EISDIR);
	/* A trailing slash follows a symlink to a directory even with lstat. */
	assert_int_equal(vt_lstat("/a/lb/", &st), 0);
	assert_true(S_ISDIR(st.mode));
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/a/c/", 0755), 0);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/a/b/f/", 0), -ENOTDIR);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/a/c/", AT_REMOVEDIR), 0);
}

static void name_length_limits(void **state)
{
	char name[300];
	struct kstat st;

	name[0] = '/';
	memset(name + 1, 'x', 256);
	name[257] = '\0';
	assert_int_equal(vt_stat(name, &st), -ENAMETOOLONG);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, name, 0755), -ENAMETOOLONG);
	name[256] = '\0'; /* 255 bytes: a legal name that does not exist */
	assert_int_equal(vt_stat(name, &st), -ENOENT);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, name, 0755), 0);
}

static void dirfd_relative_lookups(void **state)
{
	struct kstat st, a;
	int dfd, ffd;

	make_tree();
	dfd = vt_open("/a", O_RDONLY | O_DIRECTORY, 0);
	assert_true(dfd >= 0);
	ffd = vt_open("/a/b/f", O_RDONLY, 0);
	assert_true(ffd >= 0);
	assert_int_equal(vfs_statat(&g_vt, dfd, "b/f", 0, &st), 0);
	assert_int_equal(vfs_statat(&g_vt, dfd, "", 0, &st), -ENOENT);
	assert_int_equal(vfs_statat(&g_vt, dfd, "", AT_EMPTY_PATH, &st), 0);
	assert_int_equal(vt_stat("/a", &a), 0);
	assert_int_equal(st.ino, a.ino);
	assert_int_equal(vfs_statat(&g_vt, ffd, "x", 0, &st), -ENOTDIR);
	assert_int_equal(vfs_statat(&g_vt, 999, "x", 0, &st), -EBADF);
	assert_int_equal(vfs_statat(&g_vt, 999, "/a", 0, &st), 0);
	assert_int_equal(vt_open("/a/b/f", O_RDONLY | O_DIRECTORY, 0), -ENOTDIR);
	assert_int_equal(vt_open("/a", O_WRONLY, 0), -EISDIR);
}

static void search_and_write_permission(void **state)
{
	struct kstat st;

	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/p", 0700), 0);
	assert_int_equal(vt_write_file("/p/x", "secret"), 0);
	assert_int_equal(vt_write_file("/pub", "x"), 0);
	vt_as_user(1000, 1000);
	assert_int_equal(vt_stat("/p/x", &st), -EACCES);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/mine", 0755), -EACCES);
	assert_int_equal(vt_open("/pub", O_WRONLY, 0), -EACCES);
	assert_true(vt_open("/pub", O_RDONLY, 0) >= 0);
	assert_int_equal(vfs_faccessat(&g_vt, AT_FDCWD, "/pub", R_OK, 0), 0);
	assert_int_equal(vfs_faccessat(&g_vt, AT_FDCWD, "/pub", W_OK, 0), -EACCES);
	assert_int_equal(vfs_fchmodat(&g_vt, AT_FDCWD, "/pub", 0777, 0), -EPERM);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/pub", 0), -EACCES);
	vt_as_user(0, 0);
	assert_int_equal(vt_stat("/p/x", &st), 0);
}

static void cwd_and_getcwd(void **state)
{
	char buf[64];

	make_tree();
	assert_int_equal(vfs_getcwd(&g_vt, buf, sizeof(buf)), 2);
	assert_string_equal(buf, "/");
	assert_int_equal(vfs_chdir(&g_vt, "/a/b"), 0);
	assert_int_equal(vfs_getcwd(&g_vt, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "/a/b");
	assert_int_equal(vfs_getcwd(&g_vt, buf, 3), -ERANGE);
	assert_int_equal(vfs_chdir(&g_vt, ".."), 0);
	assert_int_equal(vfs_getcwd(&g_vt, buf, sizeof(buf)), 3);
	assert_string_equal(buf, "/a");
	assert_int_equal(vfs_chdir(&g_vt, "b/f"), -ENOTDIR);
	assert_int_equal(vfs_chdir(&g_vt, "/tmp"), 0);
	assert_int_equal(vfs_getcwd(&g_vt, buf, sizeof(buf)), 5);
	assert_string_equal(buf, "/tmp");
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "gone", 0755), 0);
	assert_int_equal(vfs_chdir(&g_vt, "gone"), 0);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/tmp/gone", AT_REMOVEDIR), 0);
	assert_int_equal(vfs_getcwd(&g_vt, buf, sizeof(buf)), -ENOENT);
	assert_int_equal(vt_open("new", O_CREAT | O_WRONLY, 0644), -ENOENT);
}

static void namespace_errnos(void **state)
{
	make_tree();
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/a", 0755), -EEXIST);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/", 0755), -EEXIST);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/a", 0), -EISDIR);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/a/b/f", AT_REMOVEDIR), -ENOTDIR);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/a", AT_REMOVEDIR), -ENOTEMPTY);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/a/.", AT_REMOVEDIR), -EINVAL);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/a/..", AT_REMOVEDIR), -ENOTEMPTY);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/tmp", AT_REMOVEDIR), -EBUSY);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/x", 0), -ENOENT);
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/a", AT_FDCWD, "/a/b/c", 0), -EINVAL);
	/* The target is an ancestor of the source: ENOTEMPTY, as Linux. */
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/a/b/f", AT_FDCWD, "/a/b", 0),
			 -ENOTEMPTY);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/a/e", 0755), 0);
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/a/b/f", AT_FDCWD, "/a/e", 0),
			 -EISDIR);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/d", 0755), 0);
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/d", AT_FDCWD, "/a", 0), -ENOTEMPTY);
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/d", AT_FDCWD, "/a/b/f", 0), -ENOTDIR);
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/a/b/f", AT_FDCWD, "/tmp/f", 0),
			 -EXDEV);
	assert_int_equal(vt_write_file("/g", "g"), 0);
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/g", AT_FDCWD, "/a/b/f",
				       RENAME_NOREPLACE), -EEXIST);
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/g", AT_FDCWD, "/a/b/f", 0), 0);
	assert_int_equal(vt_exists("/g"), -ENOENT);
	assert_int_equal(vfs_linkat(&g_vt, AT_FDCWD, "/a", AT_FDCWD, "/alink", 0), -EPERM);
	assert_int_equal(vfs_linkat(&g_vt, AT_FDCWD, "/a/b/f", AT_FDCWD, "/tmp/l", 0), -EXDEV);
	assert_int_equal(vfs_symlinkat(&g_vt, "x", AT_FDCWD, "/a"), -EEXIST);
	assert_int_equal(vfs_symlinkat(&g_vt, "", AT_FDCWD, "/e"), -ENOENT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(walk_absolute_relative_and_dots, vt_setup,
						vt_teardown),
		cmocka_unit_test_setup_teardown(dotdot_is_clamped_and_crosses_mounts, vt_setup,
						vt_teardown),
		cmocka_unit_test_setup_teardown(symlinks_are_followed, vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(symlink_loops_give_eloop, vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(trailing_slashes, vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(name_length_limits, vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(dirfd_relative_lookups, vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(search_and_write_permission, vt_setup,
						vt_teardown),
		cmocka_unit_test_setup_teardown(cwd_and_getcwd, vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(namespace_errnos, vt_setup, vt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
