/* mknod/mknodat: regular files, FIFOs, sockets and device nodes, umask, and the errnos, on
 * the scratch dir (the overlay root inside the sandbox) and on /dev/shm (tmpfs). */
#include "harness.h"

#include <sys/socket.h>
#include <sys/sysmacros.h>
#include <sys/un.h>

static void in_dir(const char *dir, const char *name, char *out)
{
	snprintf(out, PATH_MAX, "%s/%s", dir, name);
}

/* Each type, with the umask applied, on one directory. */
static void make_types(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;

	umask(022);
	in_dir(dir, "fifo", p);
	CHECK_OK(mknod(p, S_IFIFO | 0666, 0));
	CHECK_OK(lstat(p, &st));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(st.st_uid, getuid());
	CHECK_OK(unlink(p));

	in_dir(dir, "zero", p);
	CHECK_OK(mknod(p, 0600, 0)); /* no type: a regular file */
	CHECK_OK(lstat(p, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0600);
	CHECK_OK(unlink(p));

	in_dir(dir, "reg", p);
	CHECK_OK(mknod(p, S_IFREG | 0777, 0));
	CHECK_OK(lstat(p, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0755);
	CHECK_ERR(mknod(p, S_IFIFO | 0600, 0), EEXIST);
	CHECK_OK(unlink(p));

	in_dir(dir, "sock", p);
	CHECK_OK(mknod(p, S_IFSOCK | 0600, 0));
	CHECK_OK(lstat(p, &st));
	CHECK(S_ISSOCK(st.st_mode));
	CHECK_ERR(open(p, O_RDONLY), ENXIO);
	CHECK_OK(unlink(p));

	in_dir(dir, "null", p);
	CHECK_OK(mknod(p, S_IFCHR | 0666, makedev(1, 3)));
	CHECK_OK(lstat(p, &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 1);
	CHECK_EQ(minor(st.st_rdev), 3);
	CHECK_OK(unlink(p));

	in_dir(dir, "blk", p);
	CHECK_OK(mknod(p, S_IFBLK | 0600, makedev(7, 300)));
	CHECK_OK(lstat(p, &st));
	CHECK(S_ISBLK(st.st_mode));
	CHECK_EQ(major(st.st_rdev), 7);
	CHECK_EQ(minor(st.st_rdev), 300);
	CHECK_OK(unlink(p));
}

static void types_on_scratch_dir(void)
{
	make_types(g_tmpdir);
}

static void types_on_tmpfs(void)
{
	char dir[] = "/dev/shm/runsc-mknod-XXXXXX";

	CHECK(mkdtemp(dir) != NULL);
	make_types(dir);
	CHECK_OK(rmdir(dir));
}

/* A character device node made here works as that device (/dev/null). */
static void char_device_node_opens(void)
{
	const char *p = h_path("mynull");
	char buf[4];
	int fd;

	CHECK_OK(mknod(p, S_IFCHR | 0666, makedev(1, 3)));
	fd = CHECK_OK(open(p, O_RDWR));
	CHECK_EQ(write(fd, "abc", 3), 3);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	CHECK_OK(unlink(p));
}

static void mknodat_relative_and_umask(void)
{
	int dfd = CHECK_OK(open(g_tmpdir, O_RDONLY | O_DIRECTORY));
	struct stat st;

	umask(077);
	CHECK_OK(mknodat(dfd, "rel", S_IFIFO | 0666, 0));
	CHECK_OK(fstatat(dfd, "rel", &st, AT_SYMLINK_NOFOLLOW));
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0600);
	umask(0);
	CHECK_OK(mknodat(dfd, "rel2", S_IFIFO | 01777, 0));
	CHECK_OK(fstatat(dfd, "rel2", &st, AT_SYMLINK_NOFOLLOW));
	CHECK_EQ(st.st_mode & 07777, 01777);
	umask(022);
	CHECK_ERR(mknodat(9999, "x", S_IFIFO | 0600, 0), EBADF);
	CHECK_ERR(mknodat(dfd, "", S_IFIFO | 0600, 0), ENOENT);
	CHECK_OK(unlinkat(dfd, "rel", 0));
	CHECK_OK(unlinkat(dfd, "rel2", 0));
	close(dfd);
}

static void errors(void)
{
	char longname[300];

	h_make_file("file", "x");
	CHECK_ERR(mknod(h_path("dir"), S_IFDIR | 0755, 0), EPERM);
	CHECK_ERR(mknod(h_path("lnk"), S_IFLNK | 0777, 0), EINVAL);
	CHECK_ERR(mknod(h_path("bad"), 0110000 | 0600, 0), EINVAL);
	/* The type is checked before the path. */
	CHECK_ERR(mknod("/nonexistent-dir/x", 0130000, 0), EINVAL);
	CHECK_ERR(mknod(h_path("missing/x"), S_IFIFO | 0600, 0), ENOENT);
	CHECK_ERR(mknod(h_path("file/x"), S_IFIFO | 0600, 0), ENOTDIR);
	CHECK_ERR(mknod(h_path("file"), S_IFIFO | 0600, 0), EEXIST);
	CHECK_ERR(mknod(g_tmpdir, S_IFIFO | 0600, 0), EEXIST);
	CHECK_ERR(mknod(h_path("."), S_IFIFO | 0600, 0), EEXIST);
	CHECK_ERR(mknod(h_path("slash/"), S_IFIFO | 0600, 0), ENOENT);
	CHECK_ERR(mknod("", S_IFIFO | 0600, 0), ENOENT);
	CHECK_ERR(mknod((const char *)8, S_IFIFO | 0600, 0), EFAULT);
	memset(longname, 'n', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	CHECK_ERR(mknod(h_path(longname), S_IFIFO | 0600, 0), ENAMETOOLONG);
	CHECK_OK(unlink(h_path("file")));
}

/* Without CAP_MKNOD: FIFOs yes, device nodes EPERM (a 0:0 whiteout is allowed on tmpfs);
 * without write permission on the directory: EACCES first. */
static void unprivileged_child(void)
{
	char shm[] = "/dev/shm/runsc-mknod-XXXXXX";
	char p[PATH_MAX];

	if (!mkdtemp(shm) || chmod(shm, 0777) < 0 || chmod(g_tmpdir, 0755) < 0 ||
	    mkdir(h_path("open"), 0777) < 0 || chmod(h_path("open"), 0777) < 0 ||
	    setgid(65534) < 0 || setuid(65534) < 0)
		_exit(3);
	CHECK_OK(mknod(h_path("open/fifo"), S_IFIFO | 0600, 0));
	CHECK_ERR(mknod(h_path("open/chr"), S_IFCHR | 0600, makedev(1, 3)), EPERM);
	CHECK_ERR(mknod(h_path("open/blk"), S_IFBLK | 0600, makedev(7, 0)), EPERM);
	CHECK_ERR(mknod(h_path("denied"), S_IFCHR | 0600, makedev(1, 3)), EACCES);
	CHECK_ERR(mknod(h_path("denied"), S_IFIFO | 0600, 0), EACCES);
	CHECK_ERR(mknod(h_path("open/fifo"), S_IFCHR | 0600, makedev(1, 3)), EEXIST);
	in_dir(shm, "wh", p);
	CHECK_OK(mknod(p, S_IFCHR | 0600, 0));
	unlink(p);
	rmdir(shm);
	_exit(g_case_fails ? 1 : 0);
}

static void without_cap_mknod(void)
{
	int st = h_in_child(unprivileged_child);

	CHECK(WIFEXITED(st));
	CHECK_EQ(WEXITSTATUS(st), 0);
	h_rm_tree(h_path("open"));
	chmod(g_tmpdir, 0700);
}

/* A path-bound socket is a socket inode that connect finds; a mknod'ed one has no
 * listener behind it. */
static void socket_inode_refuses_connect(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int s = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", h_path("s"));
	CHECK_OK(mknod(sa.sun_path, S_IFSOCK | 0777, 0));
	CHECK_ERR(connect(s, (struct sockaddr *)&sa, sizeof(sa)), ECONNREFUSED);
	CHECK_ERR(bind(s, (struct sockaddr *)&sa, sizeof(sa)), EADDRINUSE);
	close(s);
	CHECK_OK(unlink(sa.sun_path));
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(types_on_scratch_dir);
	RUN(types_on_tmpfs);
	RUN(char_device_node_opens);
	RUN(mknodat_relative_and_umask);
	RUN(errors);
	RUN(without_cap_mknod);
	RUN(socket_inode_refuses_connect);
	return h_end();
}
