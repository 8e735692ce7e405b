/* The overlay's copy-up carries a host file's extended attributes. A value set on the
 * host file through the read-write bind mount ($H_RW_DIR) is read through the overlay's
 * lower layer ($H_RW_HOST_VIEW, the same host dir), and stays when a change there (an
 * xattr set or removed, a data write) copies the file up; the host file never sees what
 * the sandbox changed above the lower layer. Natively both are the same host dir, so the
 * change is the host's too: those checks say which they expect. */
#include "harness.h"

#include <sys/xattr.h>

static const char *g_rw, *g_view;
static bool g_native;

static bool listed(const char *path, const char *name)
{
	char buf[256];
	ssize_t len = listxattr(path, buf, sizeof(buf));

	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(buf + i) + 1)
		if (!strcmp(buf + i, name))
			return true;
	return false;
}

static void set_copies_up_host_values(void)
{
	char buf[32];

	CHECK_OK(setxattr(h_in(g_rw, "a"), "user.host", "from-host", 9, 0));
	/* The lower layer reads the host's value. */
	CHECK_EQ(getxattr(h_in(g_view, "a"), "user.host", buf, sizeof(buf)), 9);
	CHECK_MEM(buf, "from-host", 9);
	CHECK(listed(h_in(g_view, "a"), "user.host"));
	/* A change copies up, with the host's value along. */
	CHECK_OK(setxattr(h_in(g_view, "a"), "user.local", "L", 1, 0));
	CHECK_EQ(getxattr(h_in(g_view, "a"), "user.host", buf, sizeof(buf)), 9);
	CHECK_MEM(buf, "from-host", 9);
	CHECK_EQ(getxattr(h_in(g_view, "a"), "user.local", buf, sizeof(buf)), 1);
	CHECK(listed(h_in(g_view, "a"), "user.host") && listed(h_in(g_view, "a"), "user.local"));
	/* In the sandbox the host file has not changed. */
	if (g_native)
		CHECK_EQ(getxattr(h_in(g_rw, "a"), "user.local", buf, sizeof(buf)), 1);
	else
		CHECK_ERR(getxattr(h_in(g_rw, "a"), "user.local", buf, sizeof(buf)), ENODATA);
}

static void remove_copies_up(void)
{
	char buf[32];

	CHECK_OK(setxattr(h_in(g_rw, "b"), "user.gone", "g", 1, 0));
	CHECK_OK(setxattr(h_in(g_rw, "b"), "user.kept", "k", 1, 0));
	CHECK_ERR(removexattr(h_in(g_view, "b"), "user.none"), ENODATA);
	CHECK_OK(removexattr(h_in(g_view, "b"), "user.gone"));
	CHECK_ERR(getxattr(h_in(g_view, "b"), "user.gone", buf, sizeof(buf)), ENODATA);
	CHECK_EQ(getxattr(h_in(g_view, "b"), "user.kept", buf, sizeof(buf)), 1);
	if (g_native)
		CHECK_ERR(getxattr(h_in(g_rw, "b"), "user.gone", buf, sizeof(buf)), ENODATA);
	else
		CHECK_EQ(getxattr(h_in(g_rw, "b"), "user.gone", buf, sizeof(buf)), 1);
}

static void data_write_copies_up_with_values(void)
{
	char buf[32];
	int fd;

	CHECK_OK(setxattr(h_in(g_rw, "c"), "user.w", "write", 5, 0));
	fd = CHECK_OK(open(h_in(g_view, "c"), O_WRONLY | O_APPEND));
	CHECK_EQ(write(fd, "x", 1), 1);
	close(fd);
	CHECK_EQ(getxattr(h_in(g_view, "c"), "user.w", buf, sizeof(buf)), 5);
	CHECK_MEM(buf, "write", 5);
	/* Values the host sets later are not the copy's business any more. */
	CHECK_OK(setxattr(h_in(g_rw, "c"), "user.later", "1", 1, 0));
	if (g_native)
		CHECK_EQ(getxattr(h_in(g_view, "c"), "user.later", buf, sizeof(buf)), 1);
	else
		CHECK_ERR(getxattr(h_in(g_view, "c"), "user.later", buf, sizeof(buf)), ENODATA);
}

int main(void)
{
	h_begin();
	g_rw = getenv("H_RW_DIR");
	g_view = getenv("H_RW_HOST_VIEW");
	if (!g_rw || !g_view) {
		fprintf(stderr, "xattr_copyup_host_test: no $H_RW_DIR/$H_RW_HOST_VIEW: run it "
				"through test/syscalls/with_host_files.sh (CTest does)\n");
		return 2;
	}
	g_native = !strcmp(g_rw, g_view); /* inside, the bind mount sits elsewhere */
	RUN(set_copies_up_host_values);
	RUN(remove_copies_up);
	RUN(data_write_copies_up_with_values);
	return h_end();
}
