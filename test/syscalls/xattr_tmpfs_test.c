/* Extended attributes on a tmpfs the test mounts (natively too: Linux's tmpfs stores
 * user.* since 6.6, trusted.* and security.* always), and on read-only mounts: a remount
 * read-only or a read-only bind mount refuses set and remove with EROFS (also through an
 * fd opened before), while get and list still work. Attributes share the inode space of
 * nr_inodes= with the inodes (ENOSPC), as in Linux 6.6+. Each case runs in a child in a
 * private mount namespace, so natively the host's mounts are never touched. */
#include "harness.h"

#include <sys/statfs.h>
#include <sys/xattr.h>

#include "mount_util.h"

static const char *g_mnt;

static const char *at(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ & 3];

	snprintf(b, PATH_MAX, "%s/%s", g_mnt, name);
	return b;
}

static void make(const char *path)
{
	int fd = open(path, O_CREAT | O_WRONLY, 0644);

	CHECK(fd >= 0);
	close(fd);
}

static bool listed(const char *path, const char *name)
{
	char buf[512];
	ssize_t len = listxattr(path, buf, sizeof(buf));

	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(buf + i) + 1)
		if (!strcmp(buf + i, name))
			return true;
	return false;
}

static void tmpfs_body(void)
{
	char buf[32];

	CHECK_OK(mount("tmpfs", g_mnt, "tmpfs", 0, "size=1m"));
	CHECK(strstr(mounts_line(g_mnt), " tmpfs ") != NULL);
	make(at("f"));
	CHECK(exists(at("f")));
	CHECK_OK(mkdir(at("d"), 0755));
	CHECK_OK(symlink("f", at("l")));
	CHECK_OK(setxattr(at("f"), "user.u", "uu", 2, 0));
	CHECK_OK(setxattr(at("f"), "trusted.t", "ttt", 3, 0));
	CHECK_OK(setxattr(at("f"), "security.runsc", "s", 1, 0));
	CHECK_OK(setxattr(at("d"), "user.dir", "d", 1, 0));
	CHECK_OK(lsetxattr(at("l"), "trusted.link", "l", 1, 0));
	CHECK_ERR(lsetxattr(at("l"), "user.link", "l", 1, 0), EPERM);
	CHECK_EQ(getxattr(at("f"), "user.u", buf, sizeof(buf)), 2);
	CHECK_EQ(getxattr(at("f"), "trusted.t", buf, sizeof(buf)), 3);
	CHECK_MEM(buf, "ttt", 3);
	CHECK_EQ(getxattr(at("f"), "security.runsc", buf, sizeof(buf)), 1);
	CHECK_EQ(lgetxattr(at("l"), "trusted.link", buf, sizeof(buf)), 1);
	CHECK(listed(at("f"), "user.u") && listed(at("f"), "trusted.t") &&
	      listed(at("f"), "security.runsc"));
	CHECK(listed(at("d"), "user.dir"));
	CHECK_ERR(setxattr(at("f"), "user.u", "x", 1, XATTR_CREATE), EEXIST);
	CHECK_ERR(setxattr(at("f"), "user.v", "x", 1, XATTR_REPLACE), ENODATA);
	CHECK_OK(removexattr(at("f"), "trusted.t"));
	CHECK(!listed(at("f"), "trusted.t"));
	CHECK_ERR(setxattr(at("f"), "other.x", "x", 1, 0), EOPNOTSUPP);
	CHECK_OK(umount(g_mnt));
}

static void tmpfs_stores_xattrs(void)
{
	g_mnt = fresh_dir("tmpfs");
	in_private_ns(tmpfs_body);
}

static void readonly_body(void)
{
	char buf[32];
	int fd;

	CHECK_OK(mount("tmpfs", g_mnt, "tmpfs", 0, "size=1m"));
	make(at("f"));
	CHECK_OK(setxattr(at("f"), "user.u", "before", 6, 0));
	CHECK_OK(mkdir(at("sub"), 0755));
	make(at("sub/g"));
	CHECK_OK(setxattr(at("sub/g"), "user.g", "g", 1, 0));

	/* A read-only bind mount of sub: EROFS there, the original path still writes. */
	CHECK_OK(mkdir(at("ro"), 0755));
	CHECK_OK(mount(at("sub"), at("ro"), NULL, MS_BIND, NULL));
	CHECK_OK(mount(NULL, at("ro"), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL));
	CHECK(strstr(mountinfo_line(at("ro")), " ro") != NULL);
	CHECK_ERR(setxattr(at("ro/g"), "user.g", "x", 1, 0), EROFS);
	CHECK_ERR(removexattr(at("ro/g"), "user.g"), EROFS);
	CHECK_EQ(getxattr(at("ro/g"), "user.g", buf, sizeof(buf)), 1);
	CHECK(listed(at("ro/g"), "user.g"));
	CHECK_OK(setxattr(at("sub/g"), "user.g", "w", 1, 0));
	CHECK_EQ(getxattr(at("ro/g"), "user.g", buf, sizeof(buf)), 1);
	CHECK_MEM(buf, "w", 1);
	CHECK_OK(umount(at("ro")));

	/* The whole tmpfs remounted read-only, an fd opened before included. */
	fd = CHECK_OK(open(at("f"), O_RDONLY));
	CHECK_OK(mount(NULL, g_mnt, NULL, MS_REMOUNT | MS_RDONLY, NULL));
	CHECK_ERR(setxattr(at("f"), "user.u", "after", 5, 0), EROFS);
	CHECK_ERR(setxattr(at("f"), "user.new", "x", 1, 0), EROFS);
	CHECK_ERR(removexattr(at("f"), "user.u"), EROFS);
	CHECK_ERR(fsetxattr(fd, "user.u", "after", 5, 0), EROFS);
	CHECK_ERR(fremovexattr(fd, "user.u"), EROFS);
	CHECK_EQ(fgetxattr(fd, "user.u", buf, sizeof(buf)), 6);
	CHECK_MEM(buf, "before", 6);
	CHECK(listed(at("f"), "user.u"));
	close(fd);
	CHECK_OK(umount(g_mnt));
}

static void readonly_mounts_refuse_changes(void)
{
	g_mnt = fresh_dir("ro");
	in_private_ns(readonly_body);
}

/* nr_inodes=3 gives 3 KiB of inode space: the root and each file take 1 KiB, an
 * attribute 40 bytes plus its name and value. */
static void ispace_body(void)
{
	char *v = calloc(1, 1024);
	struct statfs sf;

	CHECK_OK(mount("tmpfs", g_mnt, "tmpfs", 0, "nr_inodes=3"));
	make(at("f"));
	CHECK_OK(setxattr(at("f"), "user.a", v, 900, 0)); /* 946 of the 1024 left */
	CHECK_ERR(setxattr(at("f"), "user.b", v, 100, 0), ENOSPC);
	CHECK_ERR(setxattr(at("f"), "trusted.b", v, 100, 0), ENOSPC);
	CHECK_OK(setxattr(at("f"), "user.b", v, 10, 0)); /* 56 more */
	/* A new value needs its whole room before the old one gives its own back. */
	CHECK_ERR(setxattr(at("f"), "user.a", v, 900, XATTR_REPLACE), ENOSPC);
	CHECK_OK(statfs(g_mnt, &sf));
	CHECK_EQ(sf.f_files, 3);
	CHECK_EQ(sf.f_ffree, 0);
	/* The attributes hold the room a third inode needs. */
	CHECK_ERR(open(at("g"), O_CREAT | O_WRONLY, 0644), ENOSPC);
	CHECK_OK(removexattr(at("f"), "user.a"));
	CHECK_OK(statfs(g_mnt, &sf));
	CHECK_EQ(sf.f_ffree, 0); /* 968 bytes: less than an inode */
	CHECK_OK(removexattr(at("f"), "user.b"));
	CHECK_OK(statfs(g_mnt, &sf));
	CHECK_EQ(sf.f_ffree, 1);
	make(at("g"));
	/* An unlinked file gives its attributes' room back with its own. */
	CHECK_OK(unlink(at("f")));
	CHECK_OK(setxattr(at("g"), "user.a", v, 900, 0));
	/* A remount may not leave less inode space than is in use, attributes included. */
	CHECK_ERR(mount(NULL, g_mnt, NULL, MS_REMOUNT, "nr_inodes=2"), EINVAL);
	CHECK_OK(mount(NULL, g_mnt, NULL, MS_REMOUNT, "nr_inodes=4"));
	CHECK_OK(setxattr(at("g"), "user.b", v, 900, 0));
	CHECK_ERR(mount(NULL, g_mnt, NULL, MS_REMOUNT, "nr_inodes=3"), EINVAL);
	CHECK_OK(umount(g_mnt));
	free(v);
}

static void xattrs_take_inode_space(void)
{
	g_mnt = fresh_dir("ispace");
	in_private_ns(ispace_body);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(tmpfs_stores_xattrs);
	RUN(readonly_mounts_refuse_changes);
	RUN(xattrs_take_inode_space);
	return h_end();
}
