/* The *xattrat calls (Linux 6.13: setxattrat, getxattrat, listxattrat, removexattrat)
 * and fchmodat2 (6.6): dirfd-relative paths, AT_EMPTY_PATH on the dirfd itself,
 * AT_SYMLINK_NOFOLLOW, and the struct xattr_args size rules. Raw syscall numbers: the
 * build host's headers predate them. */
#include "harness.h"

#include <stdint.h>
#include <sys/xattr.h>

#define NR_fchmodat2 452
#define NR_setxattrat 463
#define NR_getxattrat 464
#define NR_listxattrat 465
#define NR_removexattrat 466

struct xattr_args {
	uint64_t value;
	uint32_t size;
	uint32_t flags;
};

static long set_at(int dfd, const char *path, int at, const char *name, const void *v,
		   uint32_t size, uint32_t flags)
{
	struct xattr_args x = {(uintptr_t)v, size, flags};

	return syscall(NR_setxattrat, dfd, path, at, name, &x, sizeof(x));
}

static long get_at(int dfd, const char *path, int at, const char *name, void *buf,
		   uint32_t size)
{
	struct xattr_args x = {(uintptr_t)buf, size, 0};

	return syscall(NR_getxattrat, dfd, path, at, name, &x, sizeof(x));
}

static int g_dir = -1;

static void relative_path_round_trip(void)
{
	char buf[64] = {0}, list[256];

	CHECK_EQ(set_at(g_dir, "f", 0, "user.a", "one", 3, 0), 0);
	CHECK_EQ(get_at(g_dir, "f", 0, "user.a", buf, sizeof(buf)), 3);
	CHECK(!memcmp(buf, "one", 3));
	CHECK_EQ(get_at(g_dir, "f", 0, "user.a", NULL, 0), 3); /* size query */
	CHECK_ERR(get_at(g_dir, "f", 0, "user.a", buf, 2), ERANGE);
	CHECK_EQ(getxattr(h_path("f"), "user.a", buf, sizeof(buf)), 3); /* same attribute */
	long n = syscall(NR_listxattrat, g_dir, "f", 0, list, sizeof(list));
	CHECK(n >= 7 && memmem(list, (size_t)n, "user.a", 7) != NULL);
	CHECK_ERR(set_at(g_dir, "f", 0, "user.a", "two", 3, XATTR_CREATE), EEXIST);
	CHECK_ERR(set_at(g_dir, "f", 0, "user.b", "two", 3, XATTR_REPLACE), ENODATA);
	CHECK_EQ(syscall(NR_removexattrat, g_dir, "f", 0, "user.a"), 0);
	CHECK_ERR(get_at(g_dir, "f", 0, "user.a", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(get_at(g_dir, "missing", 0, "user.a", buf, sizeof(buf)), ENOENT);
}

static void empty_path_is_the_fd(void)
{
	char buf[16] = {0};
	int fd = open(h_path("f"), O_RDONLY);

	CHECK(fd >= 0);
	CHECK_EQ(set_at(fd, "", AT_EMPTY_PATH, "user.e", "fd", 2, 0), 0);
	CHECK_EQ(get_at(fd, NULL, AT_EMPTY_PATH, "user.e", buf, sizeof(buf)), 2);
	CHECK(!memcmp(buf, "fd", 2));
	CHECK_ERR(get_at(fd, "", 0, "user.e", buf, sizeof(buf)), ENOENT);
	CHECK_EQ(syscall(NR_removexattrat, fd, "", AT_EMPTY_PATH, "user.e"), 0);
	close(fd);
}

static void args_and_flags_checked(void)
{
	char buf[16];
	struct {
		struct xattr_args x;
		uint64_t tail;
	} big = {{(uintptr_t)buf, sizeof(buf), 0}, 0};

	CHECK_ERR(syscall(NR_getxattrat, g_dir, "f", 0, "user.a", &big, 8), EINVAL);
	CHECK_ERR(syscall(NR_getxattrat, g_dir, "f", 0, "user.a", &big, 4097), E2BIG);
	CHECK_ERR(syscall(NR_getxattrat, g_dir, "f", 0, "user.a", &big, sizeof(big)), ENODATA);
	big.tail = 1;
	CHECK_ERR(syscall(NR_getxattrat, g_dir, "f", 0, "user.a", &big, sizeof(big)), E2BIG);
	big.tail = 0;
	big.x.flags = XATTR_CREATE; /* get takes no flags */
	CHECK_ERR(syscall(NR_getxattrat, g_dir, "f", 0, "user.a", &big, sizeof(big.x)), EINVAL);
	CHECK_ERR(set_at(g_dir, "f", 0, "user.a", "v", 1, 4), EINVAL);
	CHECK_ERR(set_at(g_dir, "f", 0x200 /* AT_REMOVEDIR */, "user.a", "v", 1, 0), EINVAL);
	CHECK_ERR(syscall(NR_listxattrat, g_dir, "f", 0x200, buf, sizeof(buf)), EINVAL);
	CHECK_ERR(set_at(g_dir, "f", 0, "", "v", 1, 0), ERANGE);
}

static void nofollow_on_a_symlink(void)
{
	char buf[16];

	CHECK_EQ(symlink("f", h_path("l")), 0);
	/* Followed: the file's attributes; not followed: user.* never on a symlink. */
	CHECK_EQ(set_at(g_dir, "l", 0, "user.s", "x", 1, 0), 0);
	CHECK_EQ(get_at(g_dir, "f", 0, "user.s", buf, sizeof(buf)), 1);
	CHECK_ERR(set_at(g_dir, "l", AT_SYMLINK_NOFOLLOW, "user.s", "x", 1, 0), EPERM);
	CHECK_ERR(get_at(g_dir, "l", AT_SYMLINK_NOFOLLOW, "user.s", buf, sizeof(buf)), ENODATA);
}

static void fchmodat2_flags(void)
{
	struct stat st;
	int fd = open(h_path("f"), O_RDONLY);

	CHECK_EQ(syscall(NR_fchmodat2, g_dir, "f", 0640, 0), 0);
	CHECK_EQ(stat(h_path("f"), &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK_EQ(syscall(NR_fchmodat2, g_dir, "l", 0600, AT_SYMLINK_NOFOLLOW), -1);
	CHECK(errno == EOPNOTSUPP);
	CHECK_EQ(syscall(NR_fchmodat2, g_dir, "l", 0604, 0), 0); /* follows to f */
	CHECK_EQ(stat(h_path("f"), &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0604);
	CHECK_EQ(syscall(NR_fchmodat2, fd, "", 0644, AT_EMPTY_PATH), 0);
	CHECK_EQ(stat(h_path("f"), &st), 0);
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_ERR(syscall(NR_fchmodat2, g_dir, "f", 0644, 0x200), EINVAL);
	close(fd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	h_make_file("f", "data");
	g_dir = open(h_path(""), O_RDONLY | O_DIRECTORY);
	RUN(relative_path_round_trip);
	RUN(empty_path_is_the_fd);
	RUN(args_and_flags_checked);
	RUN(nofollow_on_a_symlink);
	RUN(fchmodat2_flags);
	return h_end();
}
