/* Extended attributes of host files through the Gofer: user.* set in the sandbox on a
 * read-write bind mount is on the host file (with_host_files.sh checks it after the run)
 * and what the host set is seen inside; get, list, remove, XATTR_CREATE/REPLACE, ERANGE;
 * symlinks have none (EPERM). In the sandbox the Gofer also refuses trusted.* and
 * security.* on host files and a read-only bind mount is EROFS: natively (root on a
 * plain host dir) those are not the same, so those cases say so and check what Linux
 * does there instead. */
#include "harness.h"

#include <linux/capability.h>
#include <sys/xattr.h>

static const char *g_rw, *g_ro;
static bool g_native;

/* Whether the list[size] returned by listxattr holds name. */
static bool listed(const char *list, ssize_t size, const char *name)
{
	for (ssize_t pos = 0; pos < size; pos += (ssize_t)strlen(list + pos) + 1) {
		if (!strcmp(list + pos, name))
			return true;
	}
	return false;
}

static void host_value_seen_inside(void)
{
	char buf[64];

	/* with_host_files.sh set it on the host file before the run. */
	CHECK_EQ(getxattr(h_in(g_rw, "a"), "user.from_host", buf, sizeof(buf)), 10);
	CHECK_MEM(buf, "host-value", 10);
	CHECK_EQ(getxattr(h_in(g_ro, "a"), "user.ro", buf, sizeof(buf)), 8);
	CHECK_MEM(buf, "ro-value", 8);
}

static void set_get_list_remove(void)
{
	const char *b = h_in(g_rw, "b");
	char buf[256];
	ssize_t n;

	CHECK_OK(setxattr(b, "user.k", "v1", 2, 0));
	CHECK_EQ(getxattr(b, "user.k", buf, sizeof(buf)), 2);
	CHECK_MEM(buf, "v1", 2);
	CHECK_EQ(getxattr(b, "user.k", NULL, 0), 2);
	CHECK_ERR(getxattr(b, "user.k", buf, 1), ERANGE);
	CHECK_ERR(getxattr(b, "user.none", buf, sizeof(buf)), ENODATA);
	CHECK_OK(setxattr(b, "user.second", "2222", 4, 0));
	n = listxattr(b, buf, sizeof(buf));
	CHECK(n >= 19);
	CHECK(listed(buf, n, "user.k") && listed(buf, n, "user.second"));
	CHECK_EQ(listxattr(b, NULL, 0), n);
	CHECK_ERR(listxattr(b, buf, (size_t)n - 1), ERANGE);
	CHECK_ERR(setxattr(b, "user.k", "x", 1, XATTR_CREATE), EEXIST);
	CHECK_ERR(setxattr(b, "user.new", "x", 1, XATTR_REPLACE), ENODATA);
	CHECK_OK(setxattr(b, "user.k", "longer-value", 12, XATTR_REPLACE));
	CHECK_EQ(getxattr(b, "user.k", buf, sizeof(buf)), 12);
	CHECK_MEM(buf, "longer-value", 12);
	CHECK_OK(setxattr(b, "user.empty", "", 0, XATTR_CREATE)); /* empty, not removed */
	CHECK_EQ(getxattr(b, "user.empty", buf, sizeof(buf)), 0);
	CHECK_OK(removexattr(b, "user.k"));
	CHECK_ERR(getxattr(b, "user.k", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(removexattr(b, "user.k"), ENODATA);
	CHECK_OK(removexattr(b, "user.second"));
	CHECK_OK(removexattr(b, "user.empty"));
}

static void fd_calls_and_directories(void)
{
	int fd = open(h_in(g_rw, "d"), O_RDONLY);
	int dfd = open(g_rw, O_RDONLY | O_DIRECTORY);
	char buf[1200], big[1000];

	CHECK(fd >= 0 && dfd >= 0);
	memset(big, 'z', sizeof(big));
	CHECK_OK(fsetxattr(fd, "user.big", big, sizeof(big), 0));
	CHECK_EQ(fgetxattr(fd, "user.big", buf, sizeof(buf)), 1000);
	CHECK_MEM(buf, big, sizeof(big));
	CHECK_EQ(getxattr(h_in(g_rw, "d"), "user.big", NULL, 0), 1000);
	CHECK_OK(fremovexattr(fd, "user.big"));
	CHECK_OK(fsetxattr(dfd, "user.dir", "dv", 2, 0));
	CHECK_EQ(flistxattr(dfd, buf, sizeof(buf)), 9);
	CHECK_MEM(buf, "user.dir", 9);
	CHECK_EQ(getxattr(g_rw, "user.dir", buf, sizeof(buf)), 2);
	CHECK_OK(removexattr(g_rw, "user.dir"));
	close(fd);
	close(dfd);
}

static void sandbox_value_reaches_host(void)
{
	/* with_host_files.sh reads it from the host file after the run. */
	CHECK_OK(setxattr(h_in(g_rw, "c"), "user.from_sandbox", "sandbox-value", 13, 0));
}

static void symlinks_have_none(void)
{
	const char *l = h_in(g_rw, "link");
	char buf[64];

	CHECK_OK(symlink("c", l));
	CHECK_ERR(lsetxattr(l, "user.x", "1", 1, 0), EPERM);
	CHECK_ERR(lremovexattr(l, "user.x"), EPERM);
	CHECK_ERR(lgetxattr(l, "user.x", buf, sizeof(buf)), ENODATA);
	CHECK_EQ(llistxattr(l, buf, sizeof(buf)), 0);
	/* Without l*, the call follows the link to c. */
	CHECK_EQ(getxattr(l, "user.from_sandbox", buf, sizeof(buf)), 13);
	CHECK_OK(unlink(l));
}

static void host_namespaces_refused(void)
{
	/* A well-formed file capability (CAP_NET_RAW permitted), which Linux accepts. */
	struct vfs_cap_data cap = {.magic_etc = VFS_CAP_REVISION_2};
	const char *b = h_in(g_rw, "b");
	char buf[64];

	cap.data[0].permitted = 1u << CAP_NET_RAW;
	if (g_native) {
		/* Root on the host sets these; the sandbox's Gofer never does. */
		printf("  native: root may set trusted.* and security.capability on a host "
		       "file; the sandbox's Gofer refuses them (checked inside only)\n");
		CHECK_OK(setxattr(b, "trusted.t", "1", 1, 0));
		CHECK_OK(removexattr(b, "trusted.t"));
		CHECK_OK(setxattr(b, "security.capability", &cap, XATTR_CAPS_SZ_2, 0));
		CHECK_OK(removexattr(b, "security.capability"));
		return;
	}
	CHECK_ERR(setxattr(b, "trusted.t", "1", 1, 0), EOPNOTSUPP);
	CHECK_ERR(setxattr(b, "security.capability", &cap, XATTR_CAPS_SZ_2, 0), EOPNOTSUPP);
	CHECK_ERR(setxattr(b, "security.selinux", "x", 1, 0), EOPNOTSUPP);
	CHECK_ERR(removexattr(b, "trusted.t"), EOPNOTSUPP);
	CHECK_ERR(getxattr(b, "trusted.t", buf, sizeof(buf)), EOPNOTSUPP);
	CHECK_ERR(getxattr(b, "security.capability", buf, sizeof(buf)), EOPNOTSUPP);
}

static void readonly_bind_mount(void)
{
	const char *a = h_in(g_ro, "a");
	char buf[64];

	if (g_native) {
		printf("  native: the ro dir is a plain host dir (no read-only mount): "
		       "EROFS is checked inside only\n");
		return;
	}
	CHECK_ERR(setxattr(a, "user.new", "x", 1, 0), EROFS);
	CHECK_ERR(removexattr(a, "user.ro"), EROFS);
	CHECK_EQ(getxattr(a, "user.ro", buf, sizeof(buf)), 8);
	CHECK_EQ(listxattr(a, buf, sizeof(buf)), 8);
	CHECK_MEM(buf, "user.ro", 8);
}

int main(void)
{
	const char *host;

	h_begin();
	g_rw = getenv("H_RW_DIR");
	g_ro = getenv("H_RO_DIR");
	host = getenv("H_RW_HOST_VIEW");
	if (!g_rw || !g_ro || !host) {
		fprintf(stderr, "gofer_xattr_host_test: no $H_RW_DIR/$H_RO_DIR: run it through "
				"test/syscalls/with_host_files.sh (CTest does)\n");
		return 2;
	}
	g_native = !strcmp(g_rw, host); /* inside, the bind mount sits elsewhere */
	RUN(host_value_seen_inside);
	RUN(set_get_list_remove);
	RUN(fd_calls_and_directories);
	RUN(sandbox_value_reaches_host);
	RUN(symlinks_have_none);
	RUN(host_namespaces_refused);
	RUN(readonly_bind_mount);
	return h_end();
}
