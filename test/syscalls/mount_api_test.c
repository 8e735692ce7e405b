/* The new mount API (man 2 fsopen, fsconfig, fsmount, move_mount, open_tree,
 * mount_setattr, fspick): filesystem contexts and their phases, detached mounts and
 * attaching them, clones of trees, per-mount attributes, EPERM without CAP_SYS_ADMIN.
 * Every case runs in a private mount namespace of its own (mount_util.h). */
#include "harness.h"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>

#include "mount_util.h"

#define CMD_CREATE_EXCL 8
#define SYS_OPEN_TREE_ATTR 467 /* Linux 6.15 */
#define MQUEUE_MAGIC 0x19800202

static int x_fsopen(const char *type, unsigned flags)
{
	return (int)syscall(SYS_fsopen, type, flags);
}

static int x_fsconfig(int fd, unsigned cmd, const char *key, const void *value, int aux)
{
	return (int)syscall(SYS_fsconfig, fd, cmd, key, value, aux);
}

static int x_fsmount(int fd, unsigned flags, unsigned attr)
{
	return (int)syscall(SYS_fsmount, fd, flags, attr);
}

static int x_move_mount(int fd1, const char *p1, int fd2, const char *p2, unsigned flags)
{
	return (int)syscall(SYS_move_mount, fd1, p1, fd2, p2, flags);
}

static int x_open_tree(int dfd, const char *path, unsigned flags)
{
	return (int)syscall(SYS_open_tree, dfd, path, flags);
}

static int x_fspick(int dfd, const char *path, unsigned flags)
{
	return (int)syscall(SYS_fspick, dfd, path, flags);
}

static int x_setattr(int dfd, const char *path, unsigned flags, uint64_t set, uint64_t clr,
		     uint64_t prop)
{
	struct mount_attr a = {.attr_set = set, .attr_clr = clr, .propagation = prop};

	return (int)syscall(SYS_mount_setattr, dfd, path, flags, &a, sizeof(a));
}

/* A created tmpfs context with the given size option (NULL: none). */
static int tmpfs_ctx(const char *size)
{
	int fd = CHECK_OK(x_fsopen("tmpfs", FSOPEN_CLOEXEC));

	if (size)
		CHECK_OK(x_fsconfig(fd, FSCONFIG_SET_STRING, "size", size, 0));
	CHECK_OK(x_fsconfig(fd, FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	return fd;
}

static unsigned long fs_bytes(const char *path)
{
	struct statfs sf;

	if (statfs(path, &sf) < 0)
		return 0;
	return (unsigned long)sf.f_blocks * (unsigned long)sf.f_bsize;
}

static unsigned long vfs_flags(const char *path)
{
	struct statvfs sv;

	return statvfs(path, &sv) < 0 ? ~0UL : sv.f_flag;
}

/* fsopen, fsconfig, fsmount, move_mount: a tmpfs with a size, built then attached. */
static void new_mount_body(void)
{
	const char *d = fresh_dir("nm");
	char f[PATH_MAX], buf[8] = {0};
	int fs = tmpfs_ctx("1m"), m, fd;
	struct statfs sf;

	CHECK(fcntl(fs, F_GETFD) & FD_CLOEXEC);
	m = CHECK_OK(x_fsmount(fs, 0, MOUNT_ATTR_NODEV));
	CHECK(!(fcntl(m, F_GETFD) & FD_CLOEXEC));
	CHECK(fcntl(m, F_GETFL) & O_PATH);
	/* Detached: usable through its fd, in no mount table. */
	CHECK_OK(fstatfs(m, &sf));
	CHECK_EQ(sf.f_type, TMPFS_MAGIC);
	CHECK_EQ((unsigned long)sf.f_blocks * (unsigned long)sf.f_bsize, 1024UL * 1024);
	fd = CHECK_OK(openat(m, "f", O_CREAT | O_RDWR, 0644));
	CHECK_EQ(write(fd, "hi", 2), 2);
	close(fd);
	CHECK_STR(mountinfo_line(d), "");
	CHECK_OK(x_move_mount(m, "", AT_FDCWD, d, MOVE_MOUNT_F_EMPTY_PATH));
	snprintf(f, sizeof(f), "%s/f", d);
	fd = CHECK_OK(open(f, O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 2);
	CHECK_STR(buf, "hi");
	close(fd);
	CHECK(strstr(mounts_line(d), "none ") == mounts_line(d));
	CHECK(strstr(mounts_line(d), " tmpfs ") != NULL);
	CHECK(vfs_flags(d) & ST_NODEV);
	/* Attached now: a second move of the fd's mount is a move, the fd's close frees
	 * nothing, and the mount is busy while the fd is open. */
	CHECK_ERR(umount(d), EBUSY);
	close(m);
	CHECK_OK(umount(d));
	close(fs);
}

static void new_mount(void)
{
	in_private_ns(new_mount_body);
}

/* A detached mount lives while its fd does; files opened in it outlive it. */
static void detached_lifetime_body(void)
{
	const char *d = fresh_dir("dl");
	int fs = tmpfs_ctx(NULL), m, fd, m2;
	char buf[4] = {0};

	m = CHECK_OK(x_fsmount(fs, FSMOUNT_CLOEXEC, 0));
	CHECK(fcntl(m, F_GETFD) & FD_CLOEXEC);
	fd = CHECK_OK(openat(m, "f", O_CREAT | O_RDWR, 0644));
	CHECK_EQ(write(fd, "ab", 2), 2);
	/* A dup shares the description: closing one copy frees nothing. */
	m2 = CHECK_OK(dup(m));
	close(m);
	CHECK_OK(faccessat(m2, "f", F_OK, 0));
	close(m2);
	CHECK_EQ(pread(fd, buf, 2, 0), 2);
	CHECK_STR(buf, "ab");
	close(fd);
	/* Once freed it cannot be mounted again from the context: fsmount is EBUSY. */
	CHECK_ERR(x_fsmount(fs, 0, 0), EBUSY);
	CHECK_STR(mountinfo_line(d), "");
	close(fs);
}

static void detached_lifetime(void)
{
	in_private_ns(detached_lifetime_body);
}

/* fsopen/fsconfig/fsmount's errors and phases. */
static void context_rules_body(void)
{
	char msg[256];
	int fs, file, m;
	ssize_t n;

	CHECK_ERR(x_fsopen("nosuchfs", 0), ENODEV);
	CHECK_ERR(x_fsopen("tmpfs", 2), EINVAL);
	CHECK_ERR(x_fsconfig(-1, FSCONFIG_SET_FLAG, "ro", NULL, 0), EINVAL);
	fs = CHECK_OK(x_fsopen("tmpfs", 0));
	CHECK_ERR(x_fsconfig(fs, 99, NULL, NULL, 0), EOPNOTSUPP);
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_FLAG, "ro", "x", 0), EINVAL);
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_FLAG, NULL, NULL, 0), EINVAL);
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_STRING, "size", NULL, 0), EINVAL);
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_CMD_CREATE, "size", NULL, 0), EINVAL);
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_FD, "size", NULL, 9999), EBADF);
	file = CHECK_OK(open("/", O_RDONLY));
	CHECK_ERR(x_fsconfig(file, FSCONFIG_SET_FLAG, "ro", NULL, 0), EINVAL);
	CHECK_ERR(x_fsmount(file, 0, 0), EINVAL);
	CHECK_ERR(x_fsmount(9999, 0, 0), EBADF);
	close(file);
	/* Nothing to read until a parameter is refused; then its message. */
	CHECK_ERR(read(fs, msg, sizeof(msg)), ENODATA);
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_STRING, "bogus", "1", 0), EINVAL);
	n = CHECK_OK(read(fs, msg, sizeof(msg)));
	msg[n > 0 ? n : 0] = '\0';
	CHECK_STR(msg, "e tmpfs: Unknown parameter 'bogus'\n");
	CHECK_ERR(read(fs, msg, sizeof(msg)), ENODATA);
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_FLAG, "size", NULL, 0), EINVAL);
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_STRING, "size", "lots", 0), EINVAL);
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_STRING, "mode", "9", 0), EINVAL);
	CHECK_OK(x_fsconfig(fs, FSCONFIG_SET_STRING, "source", "mysrc", 0));
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_STRING, "source", "again", 0), EINVAL);
	CHECK_OK(x_fsconfig(fs, FSCONFIG_SET_FLAG, "nolazytime", NULL, 0));
	CHECK_OK(x_fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0700", 0));
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0), EBUSY);
	CHECK_ERR(x_fsmount(fs, 0, 0), EINVAL); /* no superblock yet */
	CHECK_OK(x_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0), EBUSY);
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_STRING, "size", "1m", 0), EBUSY);
	CHECK_ERR(x_fsmount(fs, 2, 0), EINVAL);
	CHECK_ERR(x_fsmount(fs, 0, 0x40), EINVAL); /* not one atime setting */
	CHECK_ERR(x_fsmount(fs, 0, 0x1000), EINVAL);
	m = CHECK_OK(x_fsmount(fs, 0, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME));
	CHECK_ERR(x_fsmount(fs, 0, 0), EBUSY);
	{
		struct statfs sf;
		struct stat st;

		CHECK_OK(fstatfs(m, &sf));
		CHECK(sf.f_flags & ST_RDONLY);
		CHECK(sf.f_flags & ST_NOATIME);
		CHECK_OK(fstat(m, &st));
		CHECK_EQ(st.st_mode & 07777, 0700);
		CHECK_ERR(openat(m, "f", O_CREAT | O_RDWR, 0644), EROFS);
	}
	close(m);
	close(fs);
	/* A failed create leaves the context failed: every later call is EBUSY. */
	fs = CHECK_OK(x_fsopen("mqueue", 0));
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_STRING, "size", "1", 0), EINVAL);
	CHECK_ERR(x_fsconfig(fs, CMD_CREATE_EXCL, NULL, NULL, 0), EBUSY);
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0), EBUSY);
	close(fs);
}

static void context_rules(void)
{
	in_private_ns(context_rules_body);
}

/* A mounted context reconfigures its superblock; fspick opens one on a mount. */
static void reconfigure_body(void)
{
	const char *d = fresh_dir("rc");
	char sub[PATH_MAX];
	int fs = tmpfs_ctx("1m"), m, pk;

	m = CHECK_OK(x_fsmount(fs, 0, 0));
	CHECK_OK(x_move_mount(m, "", AT_FDCWD, d, MOVE_MOUNT_F_EMPTY_PATH));
	close(m);
	CHECK_EQ(fs_bytes(d), 1024UL * 1024);
	CHECK_OK(x_fsconfig(fs, FSCONFIG_SET_STRING, "size", "2m", 0));
	CHECK_OK(x_fsconfig(fs, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0));
	CHECK_EQ(fs_bytes(d), 2048UL * 1024);
	CHECK_OK(x_fsconfig(fs, FSCONFIG_SET_FLAG, "ro", NULL, 0));
	CHECK_OK(x_fsconfig(fs, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0));
	CHECK(vfs_flags(d) & ST_RDONLY);
	close(fs);
	snprintf(sub, sizeof(sub), "%s/..", d);
	CHECK_ERR(x_fspick(AT_FDCWD, sub, 0), EINVAL);
	CHECK_ERR(x_fspick(AT_FDCWD, d, 0x10), EINVAL);
	pk = CHECK_OK(x_fspick(AT_FDCWD, d, FSPICK_CLOEXEC));
	CHECK(fcntl(pk, F_GETFD) & FD_CLOEXEC);
	CHECK_ERR(x_fsmount(pk, 0, 0), EBUSY);
	CHECK_ERR(x_fsconfig(pk, FSCONFIG_CMD_CREATE, NULL, NULL, 0), EBUSY);
	CHECK_OK(x_fsconfig(pk, FSCONFIG_SET_FLAG, "rw", NULL, 0));
	CHECK_OK(x_fsconfig(pk, FSCONFIG_SET_STRING, "size", "4m", 0));
	CHECK_OK(x_fsconfig(pk, FSCONFIG_CMD_RECONFIGURE, NULL, NULL, 0));
	CHECK_EQ(fs_bytes(d), 4096UL * 1024);
	CHECK(!(vfs_flags(d) & ST_RDONLY));
	close(pk);
	CHECK_OK(umount(d));
}

static void reconfigure(void)
{
	in_private_ns(reconfigure_body);
}

/* The other types mount(2) supports, made the new way. */
static void other_types_body(void)
{
	static const struct {
		const char *type, *key, *value;
		long magic;
	} types[] = {
	    {"proc", "hidepid", "2", PROC_SUPER_MAGIC},
	    {"sysfs", NULL, NULL, SYSFS_MAGIC},
	    {"cgroup2", "nsdelegate", NULL, CGROUP2_SUPER_MAGIC},
	    {"mqueue", NULL, NULL, MQUEUE_MAGIC},
	    {"devpts", "newinstance", NULL, DEVPTS_SUPER_MAGIC},
	};
	const char *d = fresh_dir("ot");

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		int fs = CHECK_OK(x_fsopen(types[i].type, 0)), m;
		struct statfs sf;

		CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_FLAG, "bogus", NULL, 0), EINVAL);
		if (types[i].key)
			CHECK_OK(
			    x_fsconfig(fs, types[i].value ? FSCONFIG_SET_STRING : FSCONFIG_SET_FLAG,
				       types[i].key, types[i].value, 0));
		CHECK_OK(x_fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0));
		m = CHECK_OK(x_fsmount(fs, 0, MOUNT_ATTR_NOSUID));
		CHECK_OK(x_move_mount(m, "", AT_FDCWD, d, MOVE_MOUNT_F_EMPTY_PATH));
		CHECK_OK(statfs(d, &sf));
		if (sf.f_type != types[i].magic)
			printf("  %s: f_type %lx\n", types[i].type, (long)sf.f_type);
		CHECK_EQ((long)sf.f_type, types[i].magic);
		close(m);
		close(fs);
		CHECK_OK(umount(d));
	}
	/* A flag given a value, a string given none. */
	{
		int fs = CHECK_OK(x_fsopen("cgroup2", 0));

		CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_STRING, "nsdelegate", "1", 0), EINVAL);
		close(fs);
		fs = CHECK_OK(x_fsopen("proc", 0));
		CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_FLAG, "hidepid", NULL, 0), EINVAL);
		close(fs);
	}
}

static void other_types(void)
{
	in_private_ns(other_types_body);
}

/* move_mount of an attached mount, and its errors. */
static void move_rules_body(void)
{
	const char *a = fresh_dir("mva"), *b = fresh_dir("mvb");
	char inner[PATH_MAX], f[PATH_MAX];
	int fs = tmpfs_ctx(NULL), m;

	CHECK_ERR(x_move_mount(AT_FDCWD, a, AT_FDCWD, b, 0x1000), EINVAL);
	CHECK_ERR(x_move_mount(AT_FDCWD, a, AT_FDCWD, b, 0x300), EINVAL);
	CHECK_ERR(x_move_mount(AT_FDCWD, a, AT_FDCWD, b, 0), EINVAL); /* not a mount */
	CHECK_ERR(x_move_mount(AT_FDCWD, "", AT_FDCWD, b, 0), ENOENT);
	CHECK_OK(mount("none", a, "tmpfs", 0, NULL));
	h_make_file("mva/x", "1");
	snprintf(inner, sizeof(inner), "%s/in", a);
	CHECK_OK(mkdir(inner, 0755));
	CHECK_ERR(x_move_mount(AT_FDCWD, a, AT_FDCWD, inner, 0), ELOOP);
	CHECK_ERR(x_move_mount(AT_FDCWD, inner, AT_FDCWD, b, 0), EINVAL);
	CHECK_OK(x_move_mount(AT_FDCWD, a, AT_FDCWD, b, 0));
	snprintf(f, sizeof(f), "%s/x", b);
	CHECK(exists(f));
	CHECK(!exists(h_path("mva/x")));
	CHECK_STR(mountinfo_line(a), "");
	CHECK(strstr(mountinfo_line(b), " tmpfs ") != NULL);
	/* A detached mount cannot go inside itself. */
	m = CHECK_OK(x_fsmount(fs, 0, 0));
	CHECK_OK(mkdirat(m, "d", 0755));
	CHECK_ERR(x_move_mount(m, "", m, "d", MOVE_MOUNT_F_EMPTY_PATH), EINVAL);
	/* A file is no place for a directory. */
	h_make_file("mvfile", "");
	CHECK_ERR(x_move_mount(m, "", AT_FDCWD, h_path("mvfile"), MOVE_MOUNT_F_EMPTY_PATH), EINVAL);
	/* Without F_EMPTY_PATH the empty name is ENOENT. */
	CHECK_ERR(x_move_mount(m, "", AT_FDCWD, a, 0), ENOENT);
	close(m);
	close(fs);
	CHECK_OK(umount(b));
}

static void move_rules(void)
{
	in_private_ns(move_rules_body);
}

/* MOVE_MOUNT_BENEATH: the new mount goes under the top one at the target. */
static void beneath_body(void)
{
	const char *d = fresh_dir("bn"), *plain = fresh_dir("bnp");
	unsigned fl = MOVE_MOUNT_F_EMPTY_PATH | 0x200 /* MOVE_MOUNT_BENEATH */;
	int fs = tmpfs_ctx(NULL), m;

	CHECK_OK(mount("none", d, "tmpfs", 0, NULL));
	h_make_file("bn/top", "");
	m = CHECK_OK(x_fsmount(fs, 0, 0));
	close(CHECK_OK(openat(m, "under", O_CREAT | O_RDWR, 0644)));
	CHECK_ERR(x_move_mount(m, "", AT_FDCWD, plain, fl), EINVAL); /* no mount there */
	CHECK_OK(x_move_mount(m, "", AT_FDCWD, d, fl));
	CHECK(exists(h_path("bn/top")));
	CHECK(!exists(h_path("bn/under")));
	close(m);
	CHECK_OK(umount(d)); /* the top one goes: the one beneath shows */
	CHECK(exists(h_path("bn/under")));
	CHECK_OK(umount(d));
	CHECK(!exists(h_path("bn/under")));
	close(fs);
}

static void beneath(void)
{
	in_private_ns(beneath_body);
}

/* open_tree: an O_PATH fd, or a detached clone (a bind mount the new way). */
static void open_tree_body(void)
{
	const char *a = fresh_dir("ota"), *b = fresh_dir("otb"), *c = fresh_dir("otc");
	char sub[PATH_MAX], f[PATH_MAX + 8];
	int fd, cl;

	CHECK_OK(mount("none", a, "tmpfs", 0, NULL));
	snprintf(sub, sizeof(sub), "%s/sub", a);
	CHECK_OK(mkdir(sub, 0755));
	CHECK_OK(mount("none", sub, "tmpfs", 0, NULL));
	h_make_file("ota/sub/f", "1");
	CHECK_ERR(x_open_tree(AT_FDCWD, a, AT_RECURSIVE), EINVAL);
	CHECK_ERR(x_open_tree(AT_FDCWD, a, 0x4), EINVAL);
	fd = CHECK_OK(x_open_tree(AT_FDCWD, a, OPEN_TREE_CLOEXEC));
	CHECK(fcntl(fd, F_GETFL) & O_PATH);
	CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	/* Its mount is attached: move_mount through it is a move (and back again). */
	CHECK_OK(x_move_mount(fd, "", AT_FDCWD, b, MOVE_MOUNT_F_EMPTY_PATH));
	CHECK(!exists(h_path("ota/sub")));
	CHECK_OK(x_move_mount(AT_FDCWD, b, AT_FDCWD, a, 0));
	close(fd);
	/* Recursive: the mount below comes along. */
	cl = CHECK_OK(x_open_tree(AT_FDCWD, a, OPEN_TREE_CLONE | AT_RECURSIVE));
	CHECK(!(fcntl(cl, F_GETFD) & FD_CLOEXEC));
	CHECK_OK(faccessat(cl, "sub/f", F_OK, 0));
	CHECK_OK(x_move_mount(cl, "", AT_FDCWD, b, MOVE_MOUNT_F_EMPTY_PATH));
	close(cl);
	snprintf(f, sizeof(f), "%s/sub/f", b);
	CHECK(exists(f));
	h_make_file("otb/new", "1");
	CHECK(exists(h_path("ota/new"))); /* the same filesystem */
	/* Not recursive: only the top; a clone of a subdirectory starts there. */
	cl = CHECK_OK(x_open_tree(AT_FDCWD, a, OPEN_TREE_CLONE));
	CHECK_ERR(faccessat(cl, "sub/f", F_OK, 0), ENOENT);
	close(cl); /* never attached: freed */
	cl = CHECK_OK(x_open_tree(AT_FDCWD, sub, OPEN_TREE_CLONE));
	CHECK_OK(faccessat(cl, "f", F_OK, 0));
	CHECK_OK(x_move_mount(cl, "", AT_FDCWD, c, MOVE_MOUNT_F_EMPTY_PATH));
	close(cl);
	snprintf(f, sizeof(f), "%s/f", c);
	CHECK(exists(f));
	/* An unbindable mount cannot be cloned. */
	CHECK_OK(mount(NULL, c, NULL, MS_UNBINDABLE, NULL));
	CHECK_ERR(x_open_tree(AT_FDCWD, c, OPEN_TREE_CLONE), EINVAL);
	CHECK_OK(umount(c));
	CHECK_OK(umount2(b, MNT_DETACH));
	CHECK_OK(umount2(a, MNT_DETACH));
}

static void open_tree_case(void)
{
	in_private_ns(open_tree_body);
}

/* mount_setattr: flags per mount, recursive, its argument rules. */
static void setattr_body(void)
{
	const char *a = fresh_dir("sa");
	char sub[PATH_MAX], f[PATH_MAX + 8];
	struct mount_attr big[2];
	int fd, m, fs;

	CHECK_OK(mount("none", a, "tmpfs", 0, NULL));
	snprintf(sub, sizeof(sub), "%s/sub", a);
	CHECK_OK(mkdir(sub, 0755));
	CHECK_OK(mount("none", sub, "tmpfs", 0, NULL));
	CHECK_ERR(x_setattr(AT_FDCWD, a, 0x1, MOUNT_ATTR_RDONLY, 0, 0), EINVAL);
	memset(big, 0, sizeof(big));
	big[0].attr_set = MOUNT_ATTR_RDONLY;
	CHECK_ERR(syscall(SYS_mount_setattr, AT_FDCWD, a, 0, big, 16), EINVAL);
	CHECK_ERR(syscall(SYS_mount_setattr, AT_FDCWD, a, 0, big, 8192), E2BIG);
	big[1].attr_set = 1;
	CHECK_ERR(syscall(SYS_mount_setattr, AT_FDCWD, a, 0, big, sizeof(big)), E2BIG);
	big[1].attr_set = 0;
	CHECK_OK(syscall(SYS_mount_setattr, AT_FDCWD, a, 0, big, sizeof(big)));
	CHECK(vfs_flags(a) & ST_RDONLY);
	CHECK(!(vfs_flags(sub) & ST_RDONLY));
	/* A no-op does not even look at the path. */
	CHECK_OK(x_setattr(AT_FDCWD, h_path("missing"), 0, 0, 0, 0));
	CHECK_ERR(x_setattr(AT_FDCWD, h_path("missing"), 0, MOUNT_ATTR_NOEXEC, 0, 0), ENOENT);
	CHECK_ERR(x_setattr(AT_FDCWD, g_tmpdir, 0, 0x40000, 0, 0), EINVAL);
	CHECK_ERR(x_setattr(AT_FDCWD, a, 0, MOUNT_ATTR_NOATIME, 0, 0), EINVAL);
	CHECK_ERR(x_setattr(AT_FDCWD, a, 0, 0, MOUNT_ATTR_NOATIME, 0), EINVAL);
	CHECK_ERR(x_setattr(AT_FDCWD, a, 0, 0, 0, MS_PRIVATE | MS_SHARED), EINVAL);
	CHECK_ERR(x_setattr(AT_FDCWD, a, 0, 0, 0, MS_BIND), EINVAL);
	/* An idmapped mount needs a user namespace fd: a closed fd is EBADF, another EINVAL. */
	memset(big, 0, sizeof(big));
	big[0].attr_set = MOUNT_ATTR_IDMAP;
	big[0].userns_fd = 999;
	CHECK_ERR(syscall(SYS_mount_setattr, AT_FDCWD, a, 0, big, 32), EBADF);
	big[0].userns_fd = (uint64_t)open("/", O_RDONLY);
	CHECK_ERR(syscall(SYS_mount_setattr, AT_FDCWD, a, 0, big, 32), EINVAL);
	close((int)big[0].userns_fd);
	CHECK_OK(mkdir(h_path("sa_plain"), 0755));
	CHECK_ERR(x_setattr(AT_FDCWD, h_path("sa_plain"), 0, MOUNT_ATTR_NOEXEC, 0, 0), EINVAL);
	/* Recursive, atime switched with the whole field cleared. */
	CHECK_OK(x_setattr(AT_FDCWD, a, AT_RECURSIVE, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOATIME,
			   MOUNT_ATTR_RDONLY | MOUNT_ATTR__ATIME, 0));
	CHECK(!(vfs_flags(a) & ST_RDONLY));
	CHECK(vfs_flags(a) & ST_NOSUID);
	CHECK(vfs_flags(sub) & ST_NOSUID);
	CHECK(vfs_flags(sub) & ST_NOATIME);
	CHECK_OK(x_setattr(AT_FDCWD, a, 0, MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME, 0));
	CHECK(!(vfs_flags(a) & ST_NOATIME));
	CHECK(vfs_flags(sub) & ST_NOATIME);
	/* Read-only while a file is open for writing on it: EBUSY. */
	snprintf(f, sizeof(f), "%s/w", sub);
	fd = CHECK_OK(open(f, O_CREAT | O_WRONLY, 0644));
	CHECK_ERR(x_setattr(AT_FDCWD, a, AT_RECURSIVE, MOUNT_ATTR_RDONLY, 0, 0), EBUSY);
	CHECK(!(vfs_flags(a) & ST_RDONLY));
	close(fd);
	/* Unbindable, then private again. */
	CHECK_OK(x_setattr(AT_FDCWD, a, 0, 0, 0, MS_UNBINDABLE));
	CHECK_ERR(x_open_tree(AT_FDCWD, a, OPEN_TREE_CLONE), EINVAL);
	CHECK_OK(x_setattr(AT_FDCWD, a, 0, 0, 0, MS_PRIVATE));
	fd = CHECK_OK(x_open_tree(AT_FDCWD, a, OPEN_TREE_CLONE));
	close(fd);
	/* A detached mount through its fd. */
	fs = tmpfs_ctx(NULL);
	m = CHECK_OK(x_fsmount(fs, 0, 0));
	CHECK_OK(x_setattr(m, "", AT_EMPTY_PATH, MOUNT_ATTR_RDONLY, 0, 0));
	CHECK_ERR(mkdirat(m, "d", 0755), EROFS);
	close(m);
	close(fs);
	CHECK_OK(umount2(a, MNT_DETACH));
}

static void setattr_case(void)
{
	in_private_ns(setattr_body);
}

/* mount(2)'s MS_MOVE takes a detached tree too (through its /proc/self/fd link), and
 * open_tree_attr (Linux 6.15) sets a clone's attributes as it opens it. */
static void move_and_attr_body(void)
{
	const char *d = fresh_dir("ma"), *e = fresh_dir("mb");
	struct mount_attr ro = {.attr_set = MOUNT_ATTR_RDONLY}, bad = {.attr_set = 0x40000};
	char link[64];
	int fs = tmpfs_ctx(NULL), m, cl;

	m = CHECK_OK(x_fsmount(fs, 0, 0));
	snprintf(link, sizeof(link), "/proc/self/fd/%d", m);
	CHECK_OK(mount(link, d, NULL, MS_MOVE, NULL));
	CHECK(strstr(mountinfo_line(d), " tmpfs ") != NULL);
	close(m);
	close(fs);
	CHECK_ERR(syscall(SYS_OPEN_TREE_ATTR, AT_FDCWD, d, OPEN_TREE_CLONE, NULL, 32), EINVAL);
	CHECK_ERR(syscall(SYS_OPEN_TREE_ATTR, AT_FDCWD, d, OPEN_TREE_CLONE, &bad, sizeof(bad)),
		  EINVAL);
	CHECK_ERR(syscall(SYS_OPEN_TREE_ATTR, AT_FDCWD, d, OPEN_TREE_CLONE, &ro, 8), EINVAL);
	cl = CHECK_OK(
	    (int)syscall(SYS_OPEN_TREE_ATTR, AT_FDCWD, d, OPEN_TREE_CLONE, &ro, sizeof(ro)));
	CHECK_ERR(mkdirat(cl, "x", 0755), EROFS);
	CHECK_OK(mkdir(h_path("ma/x"), 0755));
	CHECK_OK(x_move_mount(cl, "", AT_FDCWD, e, MOVE_MOUNT_F_EMPTY_PATH));
	close(cl);
	CHECK(vfs_flags(e) & ST_RDONLY);
	CHECK(!(vfs_flags(d) & ST_RDONLY));
	/* No attributes: plain open_tree. */
	cl = CHECK_OK((int)syscall(SYS_OPEN_TREE_ATTR, AT_FDCWD, d, 0, NULL, 0));
	CHECK(fcntl(cl, F_GETFL) & O_PATH);
	close(cl);
	CHECK_OK(umount(e));
	CHECK_OK(umount(d));
}

static void move_and_attr(void)
{
	in_private_ns(move_and_attr_body);
}

static void eperm_body(void)
{
	const char *d = fresh_dir("ep");
	int fs = tmpfs_ctx(NULL), fd;

	CHECK_OK(mount("none", d, "tmpfs", 0, NULL));
	CHECK_OK(chmod(g_tmpdir, 0755));
	CHECK_OK(setresuid(65534, 65534, 65534));
	CHECK_ERR(x_fsopen("tmpfs", 0), EPERM);
	CHECK_ERR(x_fsopen("nosuchfs", 0), EPERM);
	CHECK_ERR(x_fsmount(fs, 0, 0), EPERM);
	CHECK_ERR(x_fsconfig(fs, FSCONFIG_SET_STRING, "size", "1m", 0), EBUSY);
	CHECK_ERR(x_move_mount(AT_FDCWD, d, AT_FDCWD, d, 0), EPERM);
	CHECK_ERR(x_open_tree(AT_FDCWD, d, OPEN_TREE_CLONE), EPERM);
	CHECK_ERR(x_fspick(AT_FDCWD, d, 0), EPERM);
	CHECK_ERR(x_setattr(AT_FDCWD, d, 0, MOUNT_ATTR_RDONLY, 0, 0), EPERM);
	fd = CHECK_OK(x_open_tree(AT_FDCWD, d, 0));
	close(fd);
	close(fs);
}

static void eperm(void)
{
	in_private_ns(eperm_body);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(new_mount);
	RUN(detached_lifetime);
	RUN(context_rules);
	RUN(reconfigure);
	RUN(other_types);
	RUN(move_rules);
	RUN(beneath);
	RUN(open_tree_case);
	RUN(setattr_case);
	RUN(move_and_attr);
	RUN(eperm);
	return h_end();
}
