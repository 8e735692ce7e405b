/* Who may see and change extended attributes: trusted.* is CAP_SYS_ADMIN's (others read
 * ENODATA, write EPERM, and never list it), security.* writes need CAP_SYS_ADMIN too;
 * user.* reads need read permission and writes write permission on the file (EACCES),
 * and in a sticky directory only its owner writes the directory's own user.* (EPERM).
 * Listing needs no permission. Run as root; the unprivileged cases run in children, one
 * dropping only CAP_SYS_ADMIN (capset), one as uid 1000. */
#include "harness.h"

#include <grp.h>
#include <linux/capability.h>
#include <sys/xattr.h>

static bool list_has(const char *list, ssize_t len, const char *name)
{
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(list + i) + 1)
		if (!strcmp(list + i, name))
			return true;
	return false;
}

/* Stay root but lose CAP_SYS_ADMIN from every set. */
static bool drop_sys_admin(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return false;
	d[0].effective &= ~(1U << CAP_SYS_ADMIN);
	d[0].permitted &= ~(1U << CAP_SYS_ADMIN);
	d[0].inheritable &= ~(1U << CAP_SYS_ADMIN);
	if (syscall(SYS_capset, &h, d) < 0) {
		CHECK(!"capset");
		return false;
	}
	return true;
}

static const char *file_as(const char *name, uid_t uid, mode_t mode)
{
	const char *p = h_make_file(name, "data");

	CHECK_OK(chown(p, uid, uid));
	CHECK_OK(chmod(p, mode));
	return p;
}

static void trusted_root_child(void)
{
	char buf[64];
	ssize_t len;

	if (!drop_sys_admin())
		return;
	/* The attribute is there, but not for this process. */
	CHECK_ERR(getxattr(h_path("tr"), "trusted.t", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(setxattr(h_path("tr"), "trusted.t", "x", 1, 0), EPERM);
	CHECK_ERR(setxattr(h_path("tr"), "trusted.new", "x", 1, 0), EPERM);
	CHECK_ERR(removexattr(h_path("tr"), "trusted.t"), EPERM);
	len = listxattr(h_path("tr"), buf, sizeof(buf));
	CHECK(len > 0 && !list_has(buf, len, "trusted.t") && list_has(buf, len, "user.u"));
	/* The length query leaves it out too. */
	CHECK_EQ(listxattr(h_path("tr"), NULL, 0), len);
	/* user.* does not need the capability; security.* writes do. */
	CHECK_EQ(getxattr(h_path("tr"), "user.u", buf, sizeof(buf)), 1);
	CHECK_OK(setxattr(h_path("tr"), "user.u2", "y", 1, 0));
	CHECK_ERR(setxattr(h_path("tr"), "security.runsc", "s", 1, 0), EPERM);
	CHECK_ERR(removexattr(h_path("tr"), "security.runsc"), EPERM);
}

static void trusted_needs_cap_sys_admin(void)
{
	const char *p = h_make_file("tr", "");
	char buf[64];
	ssize_t len;

	CHECK_OK(setxattr(p, "trusted.t", "secret", 6, 0));
	CHECK_OK(setxattr(p, "user.u", "1", 1, 0));
	CHECK_EQ(getxattr(p, "trusted.t", buf, sizeof(buf)), 6);
	CHECK_MEM(buf, "secret", 6);
	len = listxattr(p, buf, sizeof(buf));
	CHECK(len > 0 && list_has(buf, len, "trusted.t") && list_has(buf, len, "user.u"));
	h_in_child_checked(trusted_root_child);
	/* Still there, and the child's user.* write went through. */
	CHECK_EQ(getxattr(p, "trusted.t", buf, sizeof(buf)), 6);
	CHECK_EQ(getxattr(p, "user.u2", buf, sizeof(buf)), 1);
	CHECK_OK(removexattr(p, "trusted.t"));
	CHECK_ERR(getxattr(p, "trusted.t", buf, sizeof(buf)), ENODATA);
}

/* trusted.* is allowed on any file type, unlike user.*. */
static void trusted_on_symlinks(void)
{
	char buf[16];

	CHECK_OK(symlink("nowhere", h_path("tlink")));
	CHECK_OK(lsetxattr(h_path("tlink"), "trusted.l", "L", 1, 0));
	CHECK_EQ(lgetxattr(h_path("tlink"), "trusted.l", buf, sizeof(buf)), 1);
	CHECK_ERR(getxattr(h_path("tlink"), "trusted.l", buf, sizeof(buf)), ENOENT);
	CHECK_OK(lremovexattr(h_path("tlink"), "trusted.l"));
}

static void security_as_root(void)
{
	const char *p = h_make_file("sec", "");
	char buf[16];

	CHECK_OK(setxattr(p, "security.runsc", "lbl", 3, 0));
	CHECK_EQ(getxattr(p, "security.runsc", buf, sizeof(buf)), 3);
	CHECK_MEM(buf, "lbl", 3);
	CHECK_OK(removexattr(p, "security.runsc"));
	CHECK_ERR(getxattr(p, "security.runsc", buf, sizeof(buf)), ENODATA);
	/* security.capability must be a valid capability header. */
	CHECK_ERR(setxattr(p, "security.capability", "junk", 4, 0), EINVAL);
}

static void user_child(void)
{
	char buf[64];
	ssize_t len;

	if (!h_become_user())
		return;
	/* Root's 0644 file: readable, not writable. */
	CHECK_EQ(getxattr(h_path("ro"), "user.r", buf, sizeof(buf)), 2);
	CHECK_ERR(setxattr(h_path("ro"), "user.r", "no", 2, 0), EACCES);
	CHECK_ERR(setxattr(h_path("ro"), "user.new", "no", 2, 0), EACCES);
	CHECK_ERR(removexattr(h_path("ro"), "user.r"), EACCES);
	/* Root's 0600 file: not even readable, but listing needs no permission. */
	CHECK_ERR(getxattr(h_path("secret"), "user.s", buf, sizeof(buf)), EACCES);
	len = listxattr(h_path("secret"), buf, sizeof(buf));
	CHECK(len > 0 && list_has(buf, len, "user.s"));
	/* Root's 0666 file: anyone writes its user.*. */
	CHECK_OK(setxattr(h_path("open"), "user.o", "ok", 2, 0));
	CHECK_OK(removexattr(h_path("open"), "user.o"));
	/* One's own 0444 file: the owner lacks write permission too. */
	CHECK_ERR(setxattr(h_path("mine_ro"), "user.m", "no", 2, 0), EACCES);
	CHECK_OK(chmod(h_path("mine_ro"), 0644));
	CHECK_OK(setxattr(h_path("mine_ro"), "user.m", "ok", 2, 0));
	/* Sticky directories: a 1777 dir of root's is writable, yet its own user.* is not
	 * for others; the one owned by this user is. */
	CHECK_ERR(setxattr(h_path("sticky"), "user.d", "no", 2, 0), EPERM);
	CHECK_ERR(removexattr(h_path("sticky"), "user.d"), EPERM);
	CHECK_EQ(getxattr(h_path("sticky"), "user.d", buf, sizeof(buf)), 4);
	CHECK_OK(setxattr(h_path("sticky_mine"), "user.d", "ok", 2, 0));
	/* A plain 0777 dir of root's: write permission is enough. */
	CHECK_OK(setxattr(h_path("shared"), "user.d", "ok", 2, 0));
	/* trusted.* is refused whatever the file's permissions. */
	CHECK_ERR(setxattr(h_path("open"), "trusted.x", "v", 1, 0), EPERM);
	CHECK_ERR(getxattr(h_path("open"), "trusted.x", buf, sizeof(buf)), ENODATA);
}

static void user_xattr_permissions(void)
{
	CHECK_OK(chmod(g_tmpdir, 0755));
	CHECK_OK(setxattr(file_as("ro", 0, 0644), "user.r", "rr", 2, 0));
	CHECK_OK(setxattr(file_as("secret", 0, 0600), "user.s", "ss", 2, 0));
	file_as("open", 0, 0666);
	file_as("mine_ro", 1000, 0444);
	CHECK_OK(mkdir(h_path("sticky"), 0777));
	CHECK_OK(chmod(h_path("sticky"), 01777));
	CHECK_OK(setxattr(h_path("sticky"), "user.d", "root", 4, 0));
	CHECK_OK(mkdir(h_path("sticky_mine"), 0777));
	CHECK_OK(chown(h_path("sticky_mine"), 1000, 1000));
	CHECK_OK(chmod(h_path("sticky_mine"), 01777));
	CHECK_OK(mkdir(h_path("shared"), 0777));
	CHECK_OK(chmod(h_path("shared"), 0777));
	h_in_child_checked(user_child);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(trusted_needs_cap_sys_admin);
	RUN(trusted_on_symlinks);
	RUN(security_as_root);
	RUN(user_xattr_permissions);
	return h_end();
}
