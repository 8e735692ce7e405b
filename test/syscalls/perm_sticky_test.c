/* perm_sticky: permission rules that turn on who owns what: a sticky (1777) directory
 * refuses unlink, rmdir and rename of others' entries (EPERM) but not of the caller's own
 * or to the directory's owner; O_NOATIME (at open and by F_SETFL) is for the owner only;
 * trusted.* extended attributes are invisible (ENODATA) and unwritable (EPERM) without
 * CAP_SYS_ADMIN. Run as root; the unprivileged cases run in a child as uid 1000. */
#include "harness.h"

#include <grp.h>
#include <sys/xattr.h>

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

/* name in the scratch directory, owned by uid, with mode. */
static const char *file_as(const char *name, uid_t uid, mode_t mode)
{
	const char *p = h_make_file(name, "data");

	CHECK_OK(chown(p, uid, uid));
	CHECK_OK(chmod(p, mode));
	return p;
}

static void dir_as(const char *name, uid_t uid, mode_t mode)
{
	CHECK_OK(mkdir(h_path(name), 0700));
	CHECK_OK(chown(h_path(name), uid, uid));
	CHECK_OK(chmod(h_path(name), mode));
}

static void sticky_child(void)
{
	if (!h_become_user())
		return;
	/* Others' entries in a sticky directory: no unlink, rmdir or rename. */
	CHECK_ERR(unlink(h_path("st/roots")), EPERM);
	CHECK_ERR(unlink(h_path("st/others")), EPERM);
	CHECK_ERR(rmdir(h_path("st/rootdir")), EPERM);
	CHECK_ERR(rename(h_path("st/roots"), h_path("st/moved")), EPERM);
	CHECK_ERR(rename(h_path("st/roots"), h_path("open/moved")), EPERM);
	/* Nor may one's own file replace theirs. */
	CHECK_ERR(rename(h_path("st/mine"), h_path("st/roots")), EPERM);
	CHECK_ERR(rename(h_path("open/mine2"), h_path("st/others")), EPERM);
	CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, h_path("st/mine"), AT_FDCWD,
			  h_path("st/others"), RENAME_EXCHANGE),
		  EPERM);
	/* Write permission on the directory is not what is missing: new names are fine. */
	CHECK_OK(rename(h_path("st/mine"), h_path("st/mine_renamed")));
	CHECK_OK(unlink(h_path("st/mine_renamed")));
	CHECK_OK(mkdir(h_path("st/newdir"), 0755));
	CHECK_OK(rmdir(h_path("st/newdir")));
	/* The sticky directory's owner may remove anything in it. */
	CHECK_OK(unlink(h_path("own/others")));
	/* Without the sticky bit, write permission on the directory is enough. */
	CHECK_OK(unlink(h_path("open/roots")));
}

static void sticky_directories(void)
{
	CHECK_OK(chmod(g_tmpdir, 0755));
	dir_as("st", 0, 01777);
	dir_as("own", 1000, 01777);
	dir_as("open", 0, 0777);
	file_as("st/roots", 0, 0666);
	file_as("st/others", 1001, 0666);
	file_as("st/mine", 1000, 0644);
	dir_as("st/rootdir", 0, 0777);
	file_as("own/others", 1001, 0644);
	file_as("open/roots", 0, 0644);
	file_as("open/mine2", 1000, 0644);
	h_in_child_checked(sticky_child);
	CHECK(exists(h_path("st/roots")));
	CHECK(exists(h_path("st/others")));
	CHECK(exists(h_path("st/rootdir")));
	CHECK(!exists(h_path("st/moved")));
	CHECK(!exists(h_path("open/moved")));
	CHECK(!exists(h_path("own/others")));
	CHECK(!exists(h_path("open/roots")));
	/* Root (CAP_FOWNER) is not bound by the sticky bit. */
	CHECK_OK(unlink(h_path("st/others")));
	CHECK_OK(rename(h_path("st/roots"), h_path("st/roots2")));
}

static void noatime_child(void)
{
	int fd;

	if (!h_become_user())
		return;
	/* Someone else's file: readable, but not without updating its atime. */
	CHECK_ERR(open(h_path("na_roots"), O_RDONLY | O_NOATIME), EPERM);
	/* An unreadable one fails the permission check first. */
	CHECK_ERR(open(h_path("na_secret"), O_RDONLY | O_NOATIME), EACCES);
	/* O_PATH drops the flag: no error. */
	fd = (int)CHECK_OK(open(h_path("na_roots"), O_PATH | O_NOATIME));
	close(fd);
	/* Nor can F_SETFL add it later. */
	fd = (int)CHECK_OK(open(h_path("na_roots"), O_RDONLY));
	CHECK_ERR(fcntl(fd, F_SETFL, O_NOATIME), EPERM);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_NOATIME, 0);
	/* Other flags still change alone. */
	CHECK_OK(fcntl(fd, F_SETFL, O_NONBLOCK));
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	close(fd);
	/* One's own file: both ways work. */
	fd = (int)CHECK_OK(open(h_path("na_mine"), O_RDONLY | O_NOATIME));
	CHECK(fcntl(fd, F_GETFL) & O_NOATIME);
	CHECK_OK(fcntl(fd, F_SETFL, 0));
	CHECK_EQ(fcntl(fd, F_GETFL) & O_NOATIME, 0);
	CHECK_OK(fcntl(fd, F_SETFL, O_NOATIME));
	CHECK(fcntl(fd, F_GETFL) & O_NOATIME);
	close(fd);
}

static void noatime_for_owner_only(void)
{
	int fd;

	CHECK_OK(chmod(g_tmpdir, 0755));
	file_as("na_roots", 0, 0644);
	file_as("na_secret", 0, 0600);
	file_as("na_mine", 1000, 0644);
	h_in_child_checked(noatime_child);
	/* Root may use it on anyone's file. */
	fd = (int)CHECK_OK(open(h_path("na_mine"), O_RDONLY | O_NOATIME));
	CHECK(fcntl(fd, F_GETFL) & O_NOATIME);
	close(fd);
}

static void trusted_child(void)
{
	char buf[16];
	const char *p = h_path("tx_mine");

	if (!h_become_user())
		return;
	/* Without CAP_SYS_ADMIN the trusted namespace does not exist for reads... */
	CHECK_ERR(getxattr(p, "trusted.x", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(lgetxattr(p, "trusted.overlay.opaque", buf, sizeof(buf)), ENODATA);
	/* ...and refuses writes, even on the caller's own file. */
	CHECK_ERR(setxattr(p, "trusted.x", "v", 1, 0), EPERM);
	CHECK_ERR(lsetxattr(p, "trusted.x", "v", 1, XATTR_CREATE), EPERM);
	CHECK_ERR(removexattr(p, "trusted.x"), EPERM);
	/* A missing file is still ENOENT. */
	CHECK_ERR(getxattr(h_path("tx_missing"), "trusted.x", buf, sizeof(buf)), ENOENT);
}

static void trusted_xattrs_need_cap_sys_admin(void)
{
	char buf[16];

	CHECK_OK(chmod(g_tmpdir, 0755));
	file_as("tx_mine", 1000, 0666);
	h_in_child_checked(trusted_child);
	/* Root reads an absent trusted attribute as absent. */
	CHECK_ERR(getxattr(h_path("tx_mine"), "trusted.absent", buf, sizeof(buf)), ENODATA);
	CHECK_ERR(removexattr(h_path("tx_mine"), "trusted.absent"), ENODATA);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(sticky_directories);
	RUN(noatime_for_owner_only);
	RUN(trusted_xattrs_need_cap_sys_admin);
	return h_end();
}
