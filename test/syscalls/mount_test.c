/* mount(2) (man 2 mount, man 5 tmpfs): tmpfs options (size, nr_inodes, mode, uid, gid)
 * with ENOSPC and statfs, remounts, bind mounts (files too, MS_REC), per-mount read-only,
 * noexec/nodev, MS_MOVE, propagation types, proc, sysfs and devpts, and the errors. Every case
 * runs in a private mount namespace of its own (mount_util.h). */
#include "harness.h"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>

#include "mount_util.h"

/* open and close at once: 0 or -1 with errno. */
static int open_close(const char *path, int flags, ...)
{
	int fd = open(path, flags, 0644);

	return fd < 0 ? -1 : close(fd);
}

/* Bytes written to path in 4 KiB writes until one fails; *err its errno. */
static long fill(const char *path, long max, int *err)
{
	static char page[4096];
	long total = 0;
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	*err = 0;
	if (fd < 0) {
		*err = errno;
		return -1;
	}
	memset(page, 'x', sizeof(page));
	while (total < max) {
		ssize_t n = write(fd, page, sizeof(page));

		if (n <= 0) {
			*err = n < 0 ? errno : 0;
			break;
		}
		total += n;
	}
	close(fd);
	return total;
}

static void tmpfs_options_body(void)
{
	const char *m = fresh_dir("opts");
	struct statfs sf;
	struct stat st;
	const char *line;

	CHECK_OK(mount("none", m, "tmpfs", 0, "size=1m,nr_inodes=40,mode=750,uid=1234,gid=5678"));
	CHECK_OK(stat(m, &st));
	CHECK_EQ(st.st_mode, S_IFDIR | 0750);
	CHECK_EQ(st.st_uid, 1234);
	CHECK_EQ(st.st_gid, 5678);
	CHECK_OK(statfs(m, &sf));
	CHECK_EQ(sf.f_type, TMPFS_MAGIC);
	CHECK_EQ(sf.f_bsize, 4096);
	CHECK_EQ(sf.f_blocks, 256);
	CHECK_EQ(sf.f_files, 40);
	line = mountinfo_line(m);
	CHECK(strstr(line, " - tmpfs none rw,size=1024k,nr_inodes=40,mode=750,uid=1234,gid=5678"));
	CHECK(strstr(mounts_line(m), "none "));
	CHECK(strstr(mounts_line(m), " tmpfs rw,relatime,size=1024k,"));
}

static void tmpfs_options(void)
{
	in_private_ns(tmpfs_options_body);
}

static void tmpfs_defaults_body(void)
{
	const char *m = fresh_dir("defaults");
	struct stat st;

	CHECK_OK(mount("tmpfs", m, "tmpfs", 0, NULL));
	CHECK_OK(stat(m, &st));
	CHECK_EQ(st.st_mode, S_IFDIR | 01777);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK(strstr(mountinfo_line(m), " - tmpfs tmpfs rw"));
	CHECK(!strstr(mountinfo_line(m), "size="));
	CHECK(!strstr(mountinfo_line(m), "mode="));
	CHECK_OK(mount(NULL, m, "tmpfs", 0, NULL));
	CHECK(strstr(mountinfo_line(m), " - tmpfs none rw"));
}

static void tmpfs_defaults(void)
{
	in_private_ns(tmpfs_defaults_body);
}

static void tmpfs_size_enospc_body(void)
{
	const char *m = fresh_dir("size");
	char path[PATH_MAX];
	struct statfs sf;
	int err;

	CHECK_OK(mount("none", m, "tmpfs", 0, "size=64k"));
	snprintf(path, sizeof(path), "%s/big", m);
	CHECK_EQ(fill(path, 1 << 20, &err), 65536);
	CHECK_EQ(err, ENOSPC);
	CHECK_OK(statfs(m, &sf));
	CHECK_EQ(sf.f_blocks, 16);
	CHECK_EQ(sf.f_bfree, 0);
	CHECK_EQ(sf.f_bavail, 0);
	CHECK_OK(unlink(path));
	CHECK_OK(statfs(m, &sf));
	CHECK_EQ(sf.f_bfree, 16);
}

static void tmpfs_size_enospc(void)
{
	in_private_ns(tmpfs_size_enospc_body);
}

static void tmpfs_nr_inodes_enospc_body(void)
{
	const char *m = fresh_dir("inodes");
	char a[PATH_MAX], b[PATH_MAX], c[PATH_MAX];
	struct statfs sf;

	/* The root is one of the three. */
	CHECK_OK(mount("none", m, "tmpfs", 0, "nr_inodes=3"));
	snprintf(a, sizeof(a), "%s/a", m);
	snprintf(b, sizeof(b), "%s/b", m);
	snprintf(c, sizeof(c), "%s/c", m);
	CHECK_OK(open_close(a, O_CREAT | O_WRONLY, 0644));
	CHECK_OK(mkdir(b, 0755));
	CHECK_ERR(open(c, O_CREAT | O_WRONLY, 0644), ENOSPC);
	CHECK_ERR(mkdir(c, 0755), ENOSPC);
	CHECK_ERR(symlink("a", c), ENOSPC);
	CHECK_OK(statfs(m, &sf));
	CHECK_EQ(sf.f_files, 3);
	CHECK_EQ(sf.f_ffree, 0);
	CHECK_OK(unlink(a));
	CHECK_OK(open_close(c, O_CREAT | O_WRONLY, 0644));
}

static void tmpfs_nr_inodes_enospc(void)
{
	in_private_ns(tmpfs_nr_inodes_enospc_body);
}

static void remount_body(void)
{
	const char *m = fresh_dir("remount");
	char path[PATH_MAX];
	struct statvfs sv;
	struct statfs sf;
	int err, fd;

	CHECK_OK(mount("none", m, "tmpfs", 0, "size=64k"));
	CHECK_OK(mount(NULL, m, NULL, MS_REMOUNT, "size=128k"));
	CHECK_OK(statfs(m, &sf));
	CHECK_EQ(sf.f_blocks, 32);
	snprintf(path, sizeof(path), "%s/f", m);
	CHECK_EQ(fill(path, 100 * 1024, &err), 102400);
	/* Not below what is used. */
	CHECK_ERR(mount(NULL, m, NULL, MS_REMOUNT, "size=64k"), EINVAL);
	CHECK_ERR(mount(NULL, m, NULL, MS_REMOUNT, "bogus=1"), EINVAL);
	/* Not read-only while a file is open for writing. */
	fd = CHECK_OK(open(path, O_WRONLY));
	CHECK_ERR(mount(NULL, m, NULL, MS_REMOUNT | MS_RDONLY, NULL), EBUSY);
	CHECK_OK(close(fd));
	CHECK_OK(mount(NULL, m, NULL, MS_REMOUNT | MS_RDONLY, NULL));
	CHECK_ERR(open(path, O_WRONLY), EROFS);
	CHECK_ERR(mkdir(h_path("remount/d"), 0755), EROFS);
	CHECK_OK(statvfs(m, &sv));
	CHECK(sv.f_flag & ST_RDONLY);
	CHECK(strstr(mountinfo_line(m), " ro,relatime - tmpfs none ro,size=128k"));
	CHECK_OK(mount(NULL, m, NULL, MS_REMOUNT, NULL));
	CHECK_OK(open_close(path, O_WRONLY));
	/* size=0 is unlimited, and a limit cannot be put back. */
	CHECK_OK(mount(NULL, m, NULL, MS_REMOUNT, "size=0"));
	CHECK_OK(statfs(m, &sf));
	CHECK_EQ(sf.f_blocks, 0);
	CHECK_ERR(mount(NULL, m, NULL, MS_REMOUNT, "size=1m"), EINVAL);
	/* Not a mount's root. */
	CHECK_ERR(mount(NULL, h_path(""), NULL, MS_REMOUNT, NULL), EINVAL);
}

static void remount(void)
{
	in_private_ns(remount_body);
}

static void bind_mounts_body(void)
{
	const char *src = fresh_dir("bsrc"), *dst = fresh_dir("bdst");
	char buf[16] = {0};
	int fd;

	h_make_file("bsrc/f", "hello");
	h_make_file("bfile", "other");
	CHECK_OK(mount(src, dst, NULL, MS_BIND, NULL));
	fd = CHECK_OK(open(h_path("bdst/f"), O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 5);
	CHECK_STR(buf, "hello");
	close(fd);
	h_make_file("bdst/g", "x");
	CHECK(exists(h_path("bsrc/g")));
	/* A file on a file. */
	CHECK_OK(mount(h_path("bsrc/f"), h_path("bfile"), NULL, MS_BIND, NULL));
	memset(buf, 0, sizeof(buf));
	fd = CHECK_OK(open(h_path("bfile"), O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 5);
	CHECK_STR(buf, "hello");
	close(fd);
	CHECK(strstr(mountinfo_line(h_path("bfile")), " /f ") ||
	      strstr(mountinfo_line(h_path("bfile")), "/bsrc/f "));
	CHECK_ERR(mount(src, h_path("bsrc/f"), NULL, MS_BIND, NULL), ENOTDIR);
	CHECK_ERR(mount(h_path("bsrc/f"), dst, NULL, MS_BIND, NULL), ENOTDIR);
	CHECK_ERR(mount(h_path("nothing"), dst, NULL, MS_BIND, NULL), ENOENT);
	/* Read-only for this mount only: a writer through it is in the way, one through
	 * the source is not. */
	fd = CHECK_OK(open(h_path("bdst/f"), O_WRONLY));
	CHECK_ERR(mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL), EBUSY);
	close(fd);
	fd = CHECK_OK(open(h_path("bsrc/f"), O_WRONLY));
	CHECK_OK(mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL));
	close(fd);
	CHECK_ERR(open(h_path("bdst/h"), O_WRONLY | O_CREAT, 0644), EROFS);
	CHECK_OK(open_close(h_path("bsrc/h"), O_WRONLY | O_CREAT, 0644));
	CHECK(exists(h_path("bdst/h")));
	CHECK(strstr(mountinfo_line(dst), " ro,"));
	CHECK_OK(mount(NULL, dst, NULL, MS_BIND | MS_REMOUNT, NULL));
	CHECK_OK(open_close(h_path("bdst/h"), O_WRONLY));
}

static void bind_mounts(void)
{
	in_private_ns(bind_mounts_body);
}

static void bind_recursive_body(void)
{
	const char *src = fresh_dir("rsrc"), *d1 = fresh_dir("rdst1"), *d2 = fresh_dir("rdst2");
	char sub[PATH_MAX];

	snprintf(sub, sizeof(sub), "%s/sub", src);
	CHECK_OK(mkdir(sub, 0755));
	CHECK_OK(mount("none", sub, "tmpfs", 0, NULL));
	h_make_file("rsrc/sub/inner", "x");
	CHECK_OK(mount(src, d1, NULL, MS_BIND, NULL));
	CHECK(exists(h_path("rdst1/sub")));
	CHECK(!exists(h_path("rdst1/sub/inner")));
	CHECK_OK(mount(src, d2, NULL, MS_BIND | MS_REC, NULL));
	CHECK(exists(h_path("rdst2/sub/inner")));
	CHECK(strstr(mountinfo_line(h_path("rdst2/sub")), " - tmpfs none "));
	/* Unbindable: no bind of it; an rbind leaves it out. */
	CHECK_OK(mount(NULL, sub, NULL, MS_UNBINDABLE, NULL));
	CHECK(strstr(mountinfo_line(sub), " unbindable - "));
	CHECK_ERR(mount(sub, d1, NULL, MS_BIND, NULL), EINVAL);
	CHECK_OK(mount(NULL, sub, NULL, MS_PRIVATE, NULL));
	CHECK(!strstr(mountinfo_line(sub), "unbindable"));
}

static void bind_recursive(void)
{
	in_private_ns(bind_recursive_body);
}

static void noexec_nodev_body(void)
{
	const char *m = fresh_dir("noexec");
	char exe[PATH_MAX], dev[PATH_MAX], buf[65536];
	char *argv[] = {exe, NULL};
	struct statvfs sv;
	int in, out;
	ssize_t n;

	CHECK_OK(mount("none", m, "tmpfs", MS_NOEXEC | MS_NODEV | MS_NOSUID, NULL));
	CHECK_OK(statvfs(m, &sv));
	CHECK_EQ(sv.f_flag & (ST_NOEXEC | ST_NODEV | ST_NOSUID | ST_RDONLY),
		 ST_NOEXEC | ST_NODEV | ST_NOSUID);
	CHECK(strstr(mountinfo_line(m), " rw,nosuid,nodev,noexec,relatime - tmpfs "));
	snprintf(exe, sizeof(exe), "%s/prog", m);
	in = CHECK_OK(open("/proc/self/exe", O_RDONLY));
	out = CHECK_OK(open(exe, O_WRONLY | O_CREAT, 0755));
	while ((n = read(in, buf, sizeof(buf))) > 0)
		CHECK_EQ(write(out, buf, (size_t)n), n);
	close(in);
	close(out);
	CHECK_ERR(execv(exe, argv), EACCES);
	snprintf(dev, sizeof(dev), "%s/null", m);
	CHECK_OK(mknod(dev, S_IFCHR | 0666, makedev(1, 3)));
	CHECK_ERR(open(dev, O_RDONLY), EACCES);
	/* Remounted without them, both work. */
	CHECK_OK(mount(NULL, m, NULL, MS_REMOUNT, NULL));
	CHECK_OK(open_close(dev, O_RDONLY));
}

static void noexec_nodev(void)
{
	in_private_ns(noexec_nodev_body);
}

static void move_body(void)
{
	const char *a = fresh_dir("mva"), *b = fresh_dir("mvb");
	char sub[PATH_MAX];

	CHECK_OK(mount("none", a, "tmpfs", 0, NULL));
	h_make_file("mva/f", "x");
	snprintf(sub, sizeof(sub), "%s/sub", a);
	CHECK_OK(mkdir(sub, 0755));
	CHECK_ERR(mount(a, sub, NULL, MS_MOVE, NULL), ELOOP);
	CHECK_ERR(mount(h_path("mvb"), a, NULL, MS_MOVE, NULL), EINVAL);
	CHECK_OK(mount(a, b, NULL, MS_MOVE, NULL));
	CHECK(exists(h_path("mvb/f")));
	CHECK(!exists(h_path("mva/f")));
	CHECK(mountinfo_line(b)[0]);
	CHECK(!mountinfo_line(a)[0]);
}

static void move(void)
{
	in_private_ns(move_body);
}

static void proc_sysfs_body(void)
{
	const char *p = fresh_dir("proc"), *s = fresh_dir("sys");
	char self[PATH_MAX];
	struct statfs sf;

	CHECK_OK(mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
	CHECK_OK(statfs(p, &sf));
	CHECK_EQ(sf.f_type, PROC_SUPER_MAGIC);
	snprintf(self, sizeof(self), "%s/self/status", p);
	CHECK(exists(self));
	CHECK(strstr(mountinfo_line(p), " rw,nosuid,nodev,noexec,relatime - proc proc rw"));
	CHECK_OK(mount("sysfs", s, "sysfs", MS_RDONLY, NULL));
	CHECK_OK(statfs(s, &sf));
	CHECK_EQ(sf.f_type, SYSFS_MAGIC);
	CHECK(exists(h_path("sys/devices/system/cpu/online")));
	CHECK(strstr(mountinfo_line(s), " ro,relatime - sysfs sysfs "));
	CHECK_OK(mount("devpts", s, "devpts", 0, NULL));
	CHECK_OK(statfs(s, &sf));
	CHECK_EQ(sf.f_type, DEVPTS_SUPER_MAGIC);
	CHECK(exists(h_path("sys/ptmx")));
	CHECK(strstr(mountinfo_line(s), " - devpts devpts rw"));
}

static void proc_sysfs(void)
{
	in_private_ns(proc_sysfs_body);
}

static void errors_body(void)
{
	const char *m = fresh_dir("err");

	h_make_file("errfile", "x");
	CHECK_ERR(mount("none", m, "nosuchfs", 0, NULL), ENODEV);
	CHECK_ERR(mount("none", m, NULL, 0, NULL), EINVAL);
	CHECK_ERR(mount("none", h_path("missing"), "tmpfs", 0, NULL), ENOENT);
	CHECK_ERR(mount("none", h_path("errfile/x"), "tmpfs", 0, NULL), ENOTDIR);
	CHECK_ERR(mount("none", h_path("errfile"), "tmpfs", 0, NULL), ENOTDIR);
	CHECK_ERR(mount("none", m, "tmpfs", 0, "bogus=1"), EINVAL);
	CHECK_ERR(mount("none", m, "tmpfs", 0, "size=abc"), EINVAL);
	CHECK_ERR(mount("none", m, "tmpfs", 0, "mode"), EINVAL);
	CHECK_ERR(mount("none", m, "tmpfs", 0, (void *)8), EFAULT);
	CHECK_ERR(mount(NULL, "/", NULL, MS_SHARED | MS_PRIVATE, NULL), EINVAL);
	CHECK_ERR(mount(NULL, m, NULL, MS_PRIVATE, NULL), EINVAL); /* not a mount */
	CHECK_ERR(mount(NULL, m, NULL, MS_BIND, NULL), EINVAL);
}

static void errors(void)
{
	in_private_ns(errors_body);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(tmpfs_options);
	RUN(tmpfs_defaults);
	RUN(tmpfs_size_enospc);
	RUN(tmpfs_nr_inodes_enospc);
	RUN(remount);
	RUN(bind_mounts);
	RUN(bind_recursive);
	RUN(noexec_nodev);
	RUN(move);
	RUN(proc_sysfs);
	RUN(errors);
	return h_end();
}
