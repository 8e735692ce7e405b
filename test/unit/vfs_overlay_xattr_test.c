/* vfs_overlay_xattr_test.c: extended attributes on the overlay over a read-only lower (a
 * tmpfs stands in for the gofer root): reads see the lower's, a change copies up first
 * and copy-up carries the lower's attributes, the lower never changes (EROFS through its
 * own mount); and the cap on a tmpfs's attribute heap: ENOSPC past it, room back on
 * removal and when the inode goes. */
#include "test/unit/vfs_test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/xattr.h>

static struct mount *mount_at(const char *dir, struct super_block *sb)
{
	struct path p;
	struct mount *m;

	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, dir, 0755), 0);
	assert_int_equal(vfs_lookupat(&g_vt, AT_FDCWD, dir, LOOKUP_FOLLOW, &p), 0);
	m = vfs_mount(&p, sb, 0);
	path_put(&p);
	return m;
}

static int set(const char *path, const char *name, const char *value)
{
	return vfs_setxattrat(&g_vt, AT_FDCWD, path, 0, name, value, strlen(value), 0);
}

static ssize_t get(const char *path, const char *name, char *buf, size_t size)
{
	ssize_t n = vfs_getxattrat(&g_vt, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, name, buf,
				   size - 1);

	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static bool listed(const char *path, const char *name)
{
	char buf[256];
	ssize_t len = vfs_listxattrat(&g_vt, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, buf,
				      sizeof(buf));

	assert_true(len >= 0);
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(buf + i) + 1)
		if (!strcmp(buf + i, name))
			return true;
	return false;
}

static int ovl_setup(void **state)
{
	struct super_block *lower = tmpfs_new(0755, 0, 0);
	struct mount *lm;

	if (vt_setup(state) < 0)
		return -1;
	lm = mount_at("/lower", lower);
	assert_int_equal(vt_write_file("/lower/f", "data"), 0);
	assert_int_equal(set("/lower/f", "user.a", "A"), 0);
	assert_int_equal(set("/lower/f", "trusted.b", "B"), 0);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/lower/d", 0755), 0);
	assert_int_equal(set("/lower/d", "user.d", "D"), 0);
	assert_int_equal(vfs_symlinkat(&g_vt, "f", AT_FDCWD, "/lower/l"), 0);
	assert_int_equal(vfs_setxattrat(&g_vt, AT_FDCWD, "/lower/l", AT_SYMLINK_NOFOLLOW,
					"trusted.l", "L", 1, 0), 0);
	lm->flags |= MNT_READONLY;
	mount_at("/ovl", overlay_new(lower->root));
	return 0;
}

static void reads_see_the_lower(void **state)
{
	char buf[16];

	assert_int_equal(get("/ovl/f", "user.a", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "A");
	assert_int_equal(get("/ovl/f", "trusted.b", buf, sizeof(buf)), 1);
	assert_int_equal(get("/ovl/l", "trusted.l", buf, sizeof(buf)), 1);
	assert_true(listed("/ovl/f", "user.a") && listed("/ovl/f", "trusted.b"));
	assert_int_equal(get("/ovl/f", "user.none", buf, sizeof(buf)), -ENODATA);
	/* The lower's own mount is read-only. */
	assert_int_equal(set("/lower/f", "user.a", "x"), -EROFS);
	assert_int_equal(vfs_removexattrat(&g_vt, AT_FDCWD, "/lower/f", 0, "user.a"), -EROFS);
}

static void changes_copy_up_with_the_lower_attributes(void **state)
{
	char buf[16];

	assert_int_equal(set("/ovl/f", "user.new", "N"), 0);
	/* The copy carries what the lower had... */
	assert_int_equal(get("/ovl/f", "user.a", buf, sizeof(buf)), 1);
	assert_int_equal(get("/ovl/f", "trusted.b", buf, sizeof(buf)), 1);
	assert_int_equal(get("/ovl/f", "user.new", buf, sizeof(buf)), 1);
	assert_int_equal(vt_read_file("/ovl/f", buf, sizeof(buf)), 4);
	/* ...and the lower is untouched. */
	assert_int_equal(get("/lower/f", "user.new", buf, sizeof(buf)), -ENODATA);

	assert_int_equal(vfs_removexattrat(&g_vt, AT_FDCWD, "/ovl/d", 0, "user.d"), 0);
	assert_int_equal(get("/ovl/d", "user.d", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(get("/lower/d", "user.d", buf, sizeof(buf)), 1);
	assert_int_equal(vfs_removexattrat(&g_vt, AT_FDCWD, "/ovl/d", 0, "user.d"), -ENODATA);

	assert_int_equal(vfs_setxattrat(&g_vt, AT_FDCWD, "/ovl/l", AT_SYMLINK_NOFOLLOW,
					"trusted.l", "M", 1, XATTR_REPLACE), 0);
	assert_int_equal(get("/ovl/l", "trusted.l", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "M");
	assert_int_equal(get("/lower/l", "trusted.l", buf, sizeof(buf)), 1);
	assert_string_equal(buf, "L");
}

static void overlay_private_names_are_refused(void **state)
{
	char buf[16];

	assert_int_equal(set("/ovl/f", "trusted.overlay.opaque", "y"), -EOPNOTSUPP);
	assert_int_equal(get("/ovl/f", "trusted.overlay.opaque", buf, sizeof(buf)),
			 -EOPNOTSUPP);
	/* Nothing was copied up for them: the flags still apply to the lower's value. */
	assert_int_equal(vfs_setxattrat(&g_vt, AT_FDCWD, "/ovl/f", 0, "user.a", "x", 1,
					XATTR_CREATE), -EEXIST);
}

/* The heap the attributes of one tmpfs may hold is capped (64 MiB): past it ENOSPC,
 * until a removal or an evicted inode gives room back. */
static void tmpfs_xattr_heap_is_capped(void **state)
{
	char *big = calloc(1, XATTR_SIZE_MAX), name[32];
	int n = 0, ret;

	if (vt_setup(state) < 0)
		fail();
	mount_at("/t", tmpfs_new(0755, 0, 0));
	assert_int_equal(vt_write_file("/t/a", ""), 0);
	assert_int_equal(vt_write_file("/t/b", ""), 0);
	do {
		snprintf(name, sizeof(name), "user.%d", n++);
		ret = vfs_setxattrat(&g_vt, AT_FDCWD, "/t/a", 0, name, big, XATTR_SIZE_MAX, 0);
	} while (ret == 0 && n < 2000);
	assert_int_equal(ret, -ENOSPC);
	assert_in_range(n, 1000, 1024);
	assert_int_equal(vfs_setxattrat(&g_vt, AT_FDCWD, "/t/b", 0, "user.x", big, 60000, 0),
			 -ENOSPC);
	assert_int_equal(vfs_removexattrat(&g_vt, AT_FDCWD, "/t/a", 0, "user.0"), 0);
	assert_int_equal(vfs_setxattrat(&g_vt, AT_FDCWD, "/t/b", 0, "user.x", big, 60000, 0),
			 0);
	assert_int_equal(vfs_setxattrat(&g_vt, AT_FDCWD, "/t/b", 0, "user.y", big, 60000, 0),
			 -ENOSPC);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/t/a", 0), 0);
	assert_int_equal(vfs_setxattrat(&g_vt, AT_FDCWD, "/t/b", 0, "user.y", big, 60000, 0),
			 0);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reads_see_the_lower, ovl_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(changes_copy_up_with_the_lower_attributes,
						ovl_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(overlay_private_names_are_refused, ovl_setup,
						vt_teardown),
		cmocka_unit_test_teardown(tmpfs_xattr_heap_is_capped, vt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
