/* Extended attributes on files without any: getxattr finds none (ENODATA), lists are
 * empty, bad names and missing files give Linux's errnos. */
#include "harness.h"

#include <sys/xattr.h>

static void get_finds_no_attribute(void)
{
	char buf[64];
	const char *p = h_make_file("f", "x");

	CHECK_ERR(getxattr(p, "user.nothing", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(lgetxattr(p, "system.posix_acl_access", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(getxattr(h_path("missing"), "user.x", buf, sizeof(buf)), ENOENT);
	CHECK_ERR(fgetxattr(-1, "user.x", buf, sizeof(buf)), EBADF);
	CHECK_ERR(getxattr(p, "", buf, sizeof(buf)), ERANGE);
	CHECK_ERR(getxattr(p, "nonamespace", buf, sizeof(buf)), EOPNOTSUPP);
}

static void list_is_empty(void)
{
	char buf[64];
	int fd = CHECK_OK(open(h_path("f"), O_RDONLY));

	CHECK_EQ(flistxattr(fd, buf, sizeof(buf)), 0);
	close(fd);
	CHECK_ERR(listxattr(h_path("missing"), buf, sizeof(buf)), ENOENT);
}

static void remove_of_missing_is_enodata(void)
{
	CHECK_ERR(removexattr(h_path("f"), "user.nothing"), ENODATA);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(get_finds_no_attribute);
	RUN(list_is_empty);
	RUN(remove_of_missing_is_enodata);
	return h_end();
}
