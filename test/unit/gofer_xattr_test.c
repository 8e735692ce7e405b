/* gofer_xattr_test.c: extended attributes through the 9P client and the gofer server:
 * user.* round trips to the host file, Linux's errors, and the namespaces, file types
 * and sizes the gofer refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/xattr.h>

#include <cmocka.h>

#include "gofer_client_fixture.h"

static void test_set_get_list_remove(void **state)
{
	struct fixture *fx = *state;
	uint32_t f = walk1(fx, "file.txt");
	char buf[256];

	assert_int_equal(p9c_setxattr(fx->c, f, "user.a", "value", 5, 0), 0);
	assert_int_equal(getxattr(fx->file, "user.a", buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "value", 5);
	assert_int_equal(setxattr(fx->file, "user.b", "xy", 2, 0), 0);
	assert_int_equal(p9c_getxattr(fx->c, f, "user.b", buf, sizeof(buf)), 2);
	assert_memory_equal(buf, "xy", 2);
	assert_int_equal(p9c_getxattr(fx->c, f, "user.b", NULL, 0), 2);
	assert_int_equal(p9c_getxattr(fx->c, f, "user.b", buf, 1), -ERANGE);
	assert_int_equal(p9c_getxattr(fx->c, f, "user.none", buf, sizeof(buf)), -ENODATA);
	/* The list holds both (in the host's order), NUL-terminated. */
	ssize_t n = p9c_listxattr(fx->c, f, buf, sizeof(buf));
	assert_int_equal(n, 14);
	assert_int_equal(p9c_listxattr(fx->c, f, NULL, 0), 14);
	assert_int_equal(p9c_listxattr(fx->c, f, buf, 13), -ERANGE);
	assert_true(memmem(buf, 14, "user.a\0", 7) && memmem(buf, 14, "user.b\0", 7));
	/* XATTR_CREATE / XATTR_REPLACE, an empty value, removal. */
	assert_int_equal(p9c_setxattr(fx->c, f, "user.a", "v", 1, XATTR_CREATE), -EEXIST);
	assert_int_equal(p9c_setxattr(fx->c, f, "user.c", "v", 1, XATTR_REPLACE), -ENODATA);
	assert_int_equal(p9c_setxattr(fx->c, f, "user.a", "", 0, XATTR_REPLACE), 0);
	assert_int_equal(getxattr(fx->file, "user.a", buf, sizeof(buf)), 0);
	assert_int_equal(p9c_removexattr(fx->c, f, "user.a"), 0);
	assert_int_equal(getxattr(fx->file, "user.a", buf, sizeof(buf)), -1);
	assert_int_equal(errno, ENODATA);
	assert_int_equal(p9c_removexattr(fx->c, f, "user.a"), -ENODATA);
	/* The fid is still the file's. */
	assert_int_equal(p9c_getxattr(fx->c, f, "user.b", buf, sizeof(buf)), 2);
	p9c_clunk(fx->c, f);
}

static void test_large_values_and_dirs(void **state)
{
	struct fixture *fx = *state;
	uint32_t d = walk1(fx, "dir");
	static char big[P9_XATTR_SIZE_MAX + 1], back[P9_XATTR_SIZE_MAX];

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	/* ext4 keeps a value within one block (ENOSPC past it) unless it has ea_inode. */
	assert_int_equal(p9c_setxattr(fx->c, d, "user.big", big, 3000, 0), 0);
	assert_int_equal(p9c_getxattr(fx->c, d, "user.big", back, sizeof(back)), 3000);
	assert_memory_equal(back, big, 3000);
	assert_int_equal(p9c_setxattr(fx->c, d, "user.big", big, sizeof(big), 0), -E2BIG);
	/* The raw messages: a size over the limit, writes out of order or short. */
	uint32_t x = p9c_fid_alloc(fx->c);
	assert_int_equal(p9c_walk(fx->c, d, x, 0, NULL, NULL, NULL), 0);
	assert_int_equal(p9c_xattrcreate(fx->c, x, "user.s", 1u << 20, 0), -E2BIG);
	assert_int_equal(p9c_xattrcreate(fx->c, x, "user.s", 4, 0x100), -EINVAL);
	assert_int_equal(p9c_xattrcreate(fx->c, x, "user.s", 4, 0), 0);
	assert_int_equal(p9c_xattrcreate(fx->c, x, "user.s", 4, 0), -EINVAL); /* already one */
	assert_int_equal(p9c_write(fx->c, x, 1, "ab", 2), -EINVAL);
	assert_int_equal(p9c_write(fx->c, x, 0, "abcde", 5), -EINVAL);
	assert_int_equal(p9c_write(fx->c, x, 0, "ab", 2), 2);
	assert_int_equal(p9c_lopen(fx->c, x, O_RDONLY, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(p9c_clunk(fx->c, x), -EINVAL); /* 2 of 4 bytes: nothing set */
	assert_int_equal(p9c_getxattr(fx->c, d, "user.s", back, 4), -ENODATA);
	/* A value in several Twrites, in order. */
	x = p9c_fid_alloc(fx->c);
	assert_int_equal(p9c_walk(fx->c, d, x, 0, NULL, NULL, NULL), 0);
	assert_int_equal(p9c_xattrcreate(fx->c, x, "user.s", 4, XATTR_CREATE), 0);
	assert_int_equal(p9c_write(fx->c, x, 0, "ab", 2), 2);
	assert_int_equal(p9c_write(fx->c, x, 2, "cd", 2), 2);
	assert_int_equal(p9c_write(fx->c, x, 4, "e", 1), -EINVAL);
	assert_int_equal(p9c_clunk(fx->c, x), 0);
	assert_int_equal(p9c_getxattr(fx->c, d, "user.s", back, 4), 4);
	assert_memory_equal(back, "abcd", 4);
	p9c_clunk(fx->c, d);
}

static void test_namespaces_refused(void **state)
{
	struct fixture *fx = *state;
	uint32_t f = walk1(fx, "file.txt");
	char buf[64];

	/* The host root could set these; the gofer must not let the sandbox. */
	assert_int_equal(p9c_setxattr(fx->c, f, "trusted.x", "1", 1, 0), -EOPNOTSUPP);
	assert_int_equal(p9c_setxattr(fx->c, f, "security.capability", "1", 1, 0),
			 -EOPNOTSUPP);
	assert_int_equal(p9c_setxattr(fx->c, f, "system.posix_acl_access", "1", 1, 0),
			 -EOPNOTSUPP);
	assert_int_equal(p9c_removexattr(fx->c, f, "security.selinux"), -EOPNOTSUPP);
	assert_int_equal(setxattr(fx->file, "trusted.host", "h", 1, 0), 0);
	assert_int_equal(p9c_getxattr(fx->c, f, "trusted.host", buf, sizeof(buf)),
			 -EOPNOTSUPP);
	assert_int_equal(p9c_listxattr(fx->c, f, buf, sizeof(buf)), 0); /* not listed */
	assert_int_equal(p9c_setxattr(fx->c, f, "user.", "1", 1, 0), -EINVAL);
	assert_int_equal(p9c_getxattr(fx->c, f, "", buf, sizeof(buf)), -ERANGE);
	p9c_clunk(fx->c, f);
}

static void test_symlinks_have_none(void **state)
{
	struct fixture *fx = *state;
	uint32_t l = walk1(fx, "link");
	char buf[64];

	assert_int_equal(p9c_setxattr(fx->c, l, "user.a", "1", 1, 0), -EPERM);
	assert_int_equal(p9c_removexattr(fx->c, l, "user.a"), -EPERM);
	assert_int_equal(p9c_getxattr(fx->c, l, "user.a", buf, sizeof(buf)), -ENODATA);
	assert_int_equal(p9c_listxattr(fx->c, l, buf, sizeof(buf)), 0);
	/* The target was not touched through the link. */
	assert_int_equal(getxattr(fx->file, "user.a", buf, sizeof(buf)), -1);
	p9c_clunk(fx->c, l);
}

static void test_readonly(void **state)
{
	struct fixture *fx = *state;
	uint32_t f;
	char buf[64];

	assert_int_equal(setxattr(fx->file, "user.ro", "r", 1, 0), 0);
	f = walk1(fx, "file.txt");
	assert_int_equal(p9c_getxattr(fx->c, f, "user.ro", buf, sizeof(buf)), 1);
	assert_int_equal(p9c_setxattr(fx->c, f, "user.ro", "w", 1, 0), -EROFS);
	assert_int_equal(p9c_removexattr(fx->c, f, "user.ro"), -EROFS);
	assert_int_equal(getxattr(fx->file, "user.ro", buf, sizeof(buf)), 1);
	assert_int_equal(buf[0], 'r');
	/* An xattr fid is not writable, nor readable past its end. */
	uint32_t x = p9c_fid_alloc(fx->c);
	uint64_t size;
	assert_int_equal(p9c_xattrwalk(fx->c, f, x, "user.ro", &size), 0);
	assert_int_equal(size, 1);
	assert_int_equal(p9c_read(fx->c, x, 5, buf, sizeof(buf)), 0);
	assert_int_equal(p9c_read(fx->c, x, 0, buf, sizeof(buf)), 1);
	assert_int_equal(p9c_xattrwalk(fx->c, x, p9c_fid_alloc(fx->c), "user.ro", &size),
			 -EINVAL);
	assert_int_equal(p9c_clunk(fx->c, x), 0);
	p9c_clunk(fx->c, f);
}

/* Values too big for one message (tmpfs keeps 64 KiB ones; ext4 one block) go through
 * the 9P2000.L messages in pieces: Twrite and Tread under the msize. */
static void test_values_over_the_msize(void **state)
{
	static char big[P9_XATTR_SIZE_MAX], back[P9_XATTR_SIZE_MAX];
	char dir[] = "/dev/shm/gofer-xattr-XXXXXX", file[64];
	struct gofer_thread server;
	struct p9_client *c;
	uint32_t root, f;
	const char *name = "f";
	int fds_before = gt_count_fds();

	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/f", dir);
	gt_write(dir, "f", "");
	assert_int_equal(p9c_connect(gt_start(&server, dir, false, SOCK_STREAM), 8192, &c), 0);
	root = p9c_fid_alloc(c);
	f = p9c_fid_alloc(c);
	assert_int_equal(p9c_attach(c, root, "root", 0, "", NULL), 0);
	assert_int_equal(p9c_walk(c, root, f, 1, &name, NULL, NULL), 0);
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 13 + 1);
	assert_int_equal(p9c_setxattr(c, f, "user.big", big, sizeof(big), 0), 0);
	assert_int_equal(getxattr(file, "user.big", back, sizeof(back)), sizeof(big));
	assert_memory_equal(back, big, sizeof(big));
	memset(back, 0, sizeof(back));
	assert_int_equal(p9c_getxattr(c, f, "user.big", back, sizeof(back)), sizeof(big));
	assert_memory_equal(back, big, sizeof(big));
	assert_int_equal(p9c_getxattr(c, f, "user.big", NULL, 0), sizeof(big));
	assert_int_equal(p9c_getxattr(c, f, "user.big", back, 100), -ERANGE);
	/* A small one still goes in one message. */
	assert_int_equal(p9c_setxattr(c, f, "user.small", "s", 1, 0), 0);
	assert_int_equal(p9c_getxattr(c, f, "user.small", back, 10), 1);
	assert_int_equal(p9c_listxattr(c, f, back, sizeof(back)), 20);
	p9c_clunk(c, f);
	p9c_close(c);
	assert_int_equal(gt_join(&server), 0);
	unlink(file);
	rmdir(dir);
	assert_int_equal(gt_count_fds(), fds_before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_set_get_list_remove, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_large_values_and_dirs, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_namespaces_refused, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_have_none, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(test_readonly, setup_ro, teardown),
		cmocka_unit_test(test_values_over_the_msize),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
