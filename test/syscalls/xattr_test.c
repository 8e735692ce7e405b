/* Extended attributes stored and read back: set/get/list/remove, XATTR_CREATE and
 * XATTR_REPLACE, ERANGE for short buffers and size-0 length queries, empty values, the
 * name and value limits, namespaces, file types that refuse user.* (symlinks, FIFOs,
 * pipes), the f* calls (O_PATH: EBADF), attributes following the inode across rename and
 * link, IN_ATTRIB and ctime on changes, memfd. Run as root; natively on the host's
 * filesystem, in the sandbox on the overlay's tmpfs upper. */
#include "harness.h"

#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/xattr.h>

/* Whether the NUL-separated list holds name. */
static bool list_has(const char *list, ssize_t len, const char *name)
{
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(list + i) + 1)
		if (!strcmp(list + i, name))
			return true;
	return false;
}

/* How many user.* names the list holds (the host may add security.* of its own). */
static int user_names(const char *list, ssize_t len)
{
	int n = 0;

	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(list + i) + 1)
		n += !strncmp(list + i, "user.", 5);
	return n;
}

static void set_get_list_remove(void)
{
	const char *p = h_make_file("a", "data");
	char buf[64], list[256];
	ssize_t len;

	CHECK_OK(setxattr(p, "user.one", "hello", 5, 0));
	CHECK_OK(setxattr(p, "user.two", "xy", 2, 0));
	CHECK_EQ(getxattr(p, "user.one", buf, sizeof(buf)), 5);
	CHECK_MEM(buf, "hello", 5);
	CHECK_EQ(getxattr(p, "user.two", buf, sizeof(buf)), 2);
	CHECK_MEM(buf, "xy", 2);
	/* Size 0 asks for the length; a short buffer is ERANGE. */
	CHECK_EQ(getxattr(p, "user.one", NULL, 0), 5);
	CHECK_ERR(getxattr(p, "user.one", buf, 4), ERANGE);
	CHECK_ERR(getxattr(p, "user.three", buf, sizeof(buf)), ENODATA);

	len = listxattr(p, list, sizeof(list));
	CHECK(len >= (ssize_t)(sizeof("user.one") + sizeof("user.two")));
	CHECK(list_has(list, len, "user.one") && list_has(list, len, "user.two"));
	CHECK_EQ(user_names(list, len), 2);
	CHECK_EQ(listxattr(p, NULL, 0), len);
	CHECK_ERR(listxattr(p, list, (size_t)len - 1), ERANGE);

	CHECK_OK(removexattr(p, "user.one"));
	CHECK_ERR(getxattr(p, "user.one", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(removexattr(p, "user.one"), ENODATA);
	len = listxattr(p, list, sizeof(list));
	CHECK(!list_has(list, len, "user.one") && list_has(list, len, "user.two"));
	CHECK_EQ(user_names(list, len), 1);
	CHECK_OK(removexattr(p, "user.two"));
	len = listxattr(p, list, sizeof(list));
	CHECK_EQ(user_names(list, len), 0);
}

static void create_and_replace_flags(void)
{
	const char *p = h_make_file("flags", "");
	char buf[16];

	CHECK_ERR(setxattr(p, "user.f", "v", 1, XATTR_REPLACE), ENODATA);
	CHECK_OK(setxattr(p, "user.f", "first", 5, XATTR_CREATE));
	CHECK_ERR(setxattr(p, "user.f", "again", 5, XATTR_CREATE), EEXIST);
	CHECK_OK(setxattr(p, "user.f", "second!", 7, XATTR_REPLACE));
	CHECK_EQ(getxattr(p, "user.f", buf, sizeof(buf)), 7);
	CHECK_MEM(buf, "second!", 7);
	/* Without flags a value is replaced, shorter this time. */
	CHECK_OK(setxattr(p, "user.f", "3", 1, 0));
	CHECK_EQ(getxattr(p, "user.f", buf, sizeof(buf)), 1);
	CHECK_ERR(setxattr(p, "user.f", "v", 1, 0x4), EINVAL);
	CHECK_ERR(setxattr(p, "user.f", "v", 1, -1), EINVAL);
}

static void empty_values(void)
{
	const char *p = h_make_file("empty", "");
	char buf[8];

	CHECK_OK(setxattr(p, "user.e", "", 0, 0));
	CHECK_EQ(getxattr(p, "user.e", buf, sizeof(buf)), 0);
	CHECK_EQ(getxattr(p, "user.e", NULL, 0), 0);
	/* A NULL value of size 0 is an empty value too, not a removal. */
	CHECK_OK(setxattr(p, "user.n", NULL, 0, 0));
	CHECK_EQ(getxattr(p, "user.n", buf, sizeof(buf)), 0);
	CHECK_ERR(setxattr(p, "user.n", NULL, 0, XATTR_CREATE), EEXIST);
}

static void names_and_sizes(void)
{
	const char *p = h_make_file("limits", "");
	char name[300], *big = calloc(1, 1 << 20);
	size_t blen = 1 << 20;

	CHECK(big != NULL);
	/* 255 bytes is the longest name; 256 is ERANGE, as is an empty one. */
	memset(name, 'n', sizeof(name));
	memcpy(name, "user.", 5);
	name[255] = '\0';
	CHECK_OK(setxattr(p, name, "v", 1, 0));
	CHECK_EQ(getxattr(p, name, big, 16), 1);
	CHECK_OK(removexattr(p, name));
	name[255] = 'n';
	name[256] = '\0';
	CHECK_ERR(setxattr(p, name, "v", 1, 0), ERANGE);
	CHECK_ERR(getxattr(p, name, big, 16), ERANGE);
	CHECK_ERR(removexattr(p, name), ERANGE);
	CHECK_ERR(setxattr(p, "", "v", 1, 0), ERANGE);
	CHECK_ERR(getxattr(p, "", big, 16), ERANGE);
	/* A namespace alone is EINVAL; an unknown one EOPNOTSUPP. */
	CHECK_ERR(setxattr(p, "user.", "v", 1, 0), EINVAL);
	CHECK_ERR(getxattr(p, "user.", big, 16), EINVAL);
	CHECK_ERR(setxattr(p, "nonamespace", "v", 1, 0), EOPNOTSUPP);
	CHECK_ERR(setxattr(p, "other.x", "v", 1, 0), EOPNOTSUPP);
	CHECK_ERR(getxattr(p, "other.x", big, 16), EOPNOTSUPP);
	CHECK_ERR(removexattr(p, "other.x"), EOPNOTSUPP);
	/* Values above 64 KiB are E2BIG before anything else. */
	CHECK_ERR(setxattr(p, "user.big", big, 65537, 0), E2BIG);
	CHECK_ERR(setxattr(h_path("missing"), "user.big", big, 65537, 0), E2BIG);
	/* A read buffer may be larger than any value. */
	CHECK_OK(setxattr(p, "user.small", "abc", 3, 0));
	CHECK_EQ(getxattr(p, "user.small", big, blen), 3);
	CHECK(listxattr(p, big, blen) >= (ssize_t)sizeof("user.small"));
	/* Bad addresses. */
	CHECK_ERR(syscall(SYS_setxattr, p, "user.f", 8L, 4L, 0), EFAULT);
	CHECK_ERR(syscall(SYS_getxattr, p, 8L, big, 16L), EFAULT);
	CHECK_ERR(syscall(SYS_getxattr, p, "user.small", 8L, 16L), EFAULT);
	CHECK_ERR(getxattr(p, "user.f", big, 16), ENODATA);
	free(big);
}

static void missing_and_bad_targets(void)
{
	char buf[16];

	CHECK_ERR(setxattr(h_path("missing"), "user.x", "v", 1, 0), ENOENT);
	CHECK_ERR(getxattr(h_path("missing"), "user.x", buf, sizeof(buf)), ENOENT);
	CHECK_ERR(listxattr(h_path("missing"), buf, sizeof(buf)), ENOENT);
	CHECK_ERR(removexattr(h_path("missing"), "user.x"), ENOENT);
	CHECK_ERR(fsetxattr(-1, "user.x", "v", 1, 0), EBADF);
	CHECK_ERR(fgetxattr(9999, "user.x", buf, sizeof(buf)), EBADF);
	CHECK_ERR(flistxattr(-1, buf, sizeof(buf)), EBADF);
	CHECK_ERR(fremovexattr(9999, "user.x"), EBADF);
}

static void directories_hold_user_xattrs(void)
{
	char buf[16];

	CHECK_OK(mkdir(h_path("d"), 0755));
	CHECK_OK(setxattr(h_path("d"), "user.dir", "yes", 3, 0));
	CHECK_EQ(getxattr(h_path("d"), "user.dir", buf, sizeof(buf)), 3);
	CHECK_MEM(buf, "yes", 3);
}

/* user.* lives on regular files and directories only. */
static void symlinks_and_fifos_refuse_user_xattrs(void)
{
	const char *target = h_make_file("target", "");
	char buf[64];
	ssize_t len;

	CHECK_OK(symlink(target, h_path("link")));
	CHECK_ERR(lsetxattr(h_path("link"), "user.x", "v", 1, 0), EPERM);
	CHECK_ERR(lgetxattr(h_path("link"), "user.x", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(lremovexattr(h_path("link"), "user.x"), EPERM);
	/* Without the l, the calls follow the link to the file. */
	CHECK_OK(setxattr(h_path("link"), "user.x", "via", 3, 0));
	CHECK_EQ(getxattr(target, "user.x", buf, sizeof(buf)), 3);
	len = llistxattr(h_path("link"), buf, sizeof(buf));
	CHECK(len >= 0 && user_names(buf, len) == 0);
	len = listxattr(h_path("link"), buf, sizeof(buf));
	CHECK(len > 0 && list_has(buf, len, "user.x"));

	CHECK_OK(mkfifo(h_path("fifo"), 0644));
	CHECK_ERR(setxattr(h_path("fifo"), "user.x", "v", 1, 0), EPERM);
	CHECK_ERR(getxattr(h_path("fifo"), "user.x", buf, sizeof(buf)), ENODATA);
	len = listxattr(h_path("fifo"), buf, sizeof(buf));
	CHECK(len >= 0 && user_names(buf, len) == 0);
}

static void fd_calls(void)
{
	const char *p = h_make_file("fd", "");
	int fd = CHECK_OK(open(p, O_RDONLY)), pfd, pipefd[2];
	char buf[64];
	ssize_t len;

	/* The f* calls need no write access in the descriptor, only on the file. */
	CHECK_OK(fsetxattr(fd, "user.fd", "12345", 5, 0));
	CHECK_EQ(fgetxattr(fd, "user.fd", buf, sizeof(buf)), 5);
	CHECK_MEM(buf, "12345", 5);
	CHECK_EQ(getxattr(p, "user.fd", buf, sizeof(buf)), 5);
	len = flistxattr(fd, buf, sizeof(buf));
	CHECK(len > 0 && list_has(buf, len, "user.fd"));
	CHECK_ERR(fgetxattr(fd, "user.fd", buf, 2), ERANGE);
	CHECK_OK(fremovexattr(fd, "user.fd"));
	CHECK_ERR(fgetxattr(fd, "user.fd", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(fremovexattr(fd, "user.fd"), ENODATA);
	close(fd);

	/* O_PATH descriptors are not for attributes. */
	CHECK_OK(setxattr(p, "user.fd", "1", 1, 0));
	pfd = CHECK_OK(open(p, O_PATH));
	CHECK_ERR(fgetxattr(pfd, "user.fd", buf, sizeof(buf)), EBADF);
	CHECK_ERR(fsetxattr(pfd, "user.fd", "1", 1, 0), EBADF);
	CHECK_ERR(flistxattr(pfd, buf, sizeof(buf)), EBADF);
	CHECK_ERR(fremovexattr(pfd, "user.fd"), EBADF);
	close(pfd);

	/* A pipe is not a regular file: no user.* there. */
	CHECK_OK(pipe(pipefd));
	CHECK_ERR(fgetxattr(pipefd[0], "user.x", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(fsetxattr(pipefd[1], "user.x", "v", 1, 0), EPERM);
	CHECK_EQ(flistxattr(pipefd[0], buf, sizeof(buf)), 0);
	close(pipefd[0]);
	close(pipefd[1]);
}

/* Attributes belong to the inode: every name of it shows them, renames keep them. */
static void xattrs_follow_the_inode(void)
{
	char p[PATH_MAX], buf[16];

	snprintf(p, sizeof(p), "%s", h_make_file("orig", ""));

	CHECK_OK(setxattr(p, "user.keep", "inode", 5, 0));
	CHECK_OK(link(p, h_path("hard")));
	CHECK_EQ(getxattr(h_path("hard"), "user.keep", buf, sizeof(buf)), 5);
	CHECK_MEM(buf, "inode", 5);
	CHECK_OK(setxattr(h_path("hard"), "user.other", "o", 1, 0));
	CHECK_EQ(getxattr(p, "user.other", buf, sizeof(buf)), 1);
	CHECK_OK(rename(p, h_path("renamed")));
	CHECK_EQ(getxattr(h_path("renamed"), "user.keep", buf, sizeof(buf)), 5);
	CHECK_OK(unlink(h_path("hard")));
	CHECK_EQ(getxattr(h_path("renamed"), "user.other", buf, sizeof(buf)), 1);
	/* A file that takes the old name has none. */
	h_make_file("orig", "");
	CHECK_ERR(getxattr(h_path("orig"), "user.keep", buf, sizeof(buf)), ENODATA);
}

static bool has_event(int in, int wd, uint32_t mask)
{
	char buf[4096] __attribute__((aligned(8)));
	ssize_t n = read(in, buf, sizeof(buf));

	for (ssize_t i = 0; i < n;) {
		struct inotify_event *ev = (struct inotify_event *)(buf + i);

		if (ev->wd == wd && (ev->mask & mask))
			return true;
		i += (ssize_t)sizeof(*ev) + ev->len;
	}
	return false;
}

static void changes_raise_in_attrib_and_ctime(void)
{
	const char *p = h_make_file("watched", "");
	struct timespec ms = {0, 20 * 1000 * 1000};
	struct stat before, after;
	int in = CHECK_OK(inotify_init1(IN_NONBLOCK));
	int wd = CHECK_OK(inotify_add_watch(in, p, IN_ATTRIB));
	char buf[8];

	CHECK_OK(stat(p, &before));
	nanosleep(&ms, NULL);
	CHECK_OK(setxattr(p, "user.w", "1", 1, 0));
	CHECK(has_event(in, wd, IN_ATTRIB));
	CHECK_OK(stat(p, &after));
	CHECK(after.st_ctim.tv_sec > before.st_ctim.tv_sec ||
	      (after.st_ctim.tv_sec == before.st_ctim.tv_sec &&
	       after.st_ctim.tv_nsec > before.st_ctim.tv_nsec));
	/* Reads change nothing. */
	CHECK_EQ(getxattr(p, "user.w", buf, sizeof(buf)), 1);
	CHECK(!has_event(in, wd, IN_ATTRIB));
	before = after;
	nanosleep(&ms, NULL);
	CHECK_OK(removexattr(p, "user.w"));
	CHECK(has_event(in, wd, IN_ATTRIB));
	CHECK_OK(stat(p, &after));
	CHECK(after.st_ctim.tv_sec > before.st_ctim.tv_sec ||
	      (after.st_ctim.tv_sec == before.st_ctim.tv_sec &&
	       after.st_ctim.tv_nsec > before.st_ctim.tv_nsec));
	/* A failed change raises nothing. */
	CHECK_ERR(removexattr(p, "user.w"), ENODATA);
	CHECK(!has_event(in, wd, IN_ATTRIB));
	close(in);
}

static void memfd_holds_xattrs(void)
{
	int fd = CHECK_OK(memfd_create("xattr", 0));
	char buf[64];
	ssize_t len;

	CHECK_OK(fsetxattr(fd, "user.m", "mem", 3, 0));
	CHECK_EQ(fgetxattr(fd, "user.m", buf, sizeof(buf)), 3);
	CHECK_MEM(buf, "mem", 3);
	CHECK_OK(fsetxattr(fd, "trusted.m", "t", 1, 0));
	len = flistxattr(fd, buf, sizeof(buf));
	CHECK(len > 0 && list_has(buf, len, "user.m") && list_has(buf, len, "trusted.m"));
	close(fd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(set_get_list_remove);
	RUN(create_and_replace_flags);
	RUN(empty_values);
	RUN(names_and_sizes);
	RUN(missing_and_bad_targets);
	RUN(directories_hold_user_xattrs);
	RUN(symlinks_and_fifos_refuse_user_xattrs);
	RUN(fd_calls);
	RUN(xattrs_follow_the_inode);
	RUN(changes_raise_in_attrib_and_ctime);
	RUN(memfd_holds_xattrs);
	return h_end();
}
