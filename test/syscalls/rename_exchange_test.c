/* renameat2 flags: RENAME_EXCHANGE (files, directories, across directories, link counts,
 * loops and missing names), RENAME_WHITEOUT on tmpfs (a 0:0 character device at the old
 * name; no CAP_MKNOD needed since Linux 5.8) and the flag combinations Linux rejects. Every case runs on /tmp (the
 * sandbox's overlay root) and on /dev/shm (tmpfs). */
#include "harness.h"

#include <linux/capability.h>
#include <linux/fs.h>
#include <sys/sysmacros.h>

static char g_base[128]; /* the directory the cases work in */

static const char *bp(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ & 3];

	snprintf(b, PATH_MAX, "%s/%s", g_base, name);
	return b;
}

static int rename2(const char *from, const char *to, unsigned flags)
{
	return (int)syscall(SYS_renameat2, AT_FDCWD, from, AT_FDCWD, to, flags);
}

static void put(const char *path, const char *data)
{
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, data, strlen(data)), (long)strlen(data));
	close(fd);
}

static const char *get(const char *path)
{
	static char buf[64];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static unsigned long nlink_of(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_nlink : 0;
}

static ino_t ino_of(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0 ? st.st_ino : 0;
}

static void exchange_swaps_two_files(void)
{
	ino_t ia, ib;

	put(bp("a"), "AAA");
	put(bp("b"), "bb");
	ia = ino_of(bp("a"));
	ib = ino_of(bp("b"));
	CHECK_OK(rename2(bp("a"), bp("b"), RENAME_EXCHANGE));
	CHECK_STR(get(bp("a")), "bb");
	CHECK_STR(get(bp("b")), "AAA");
	CHECK_EQ(ino_of(bp("a")), ib);
	CHECK_EQ(ino_of(bp("b")), ia);
	/* An open file follows its object, not its name. */
	int fd = open(bp("a"), O_RDONLY);
	CHECK_OK(rename2(bp("a"), bp("b"), RENAME_EXCHANGE));
	char buf[8] = {0};
	CHECK_EQ(read(fd, buf, sizeof(buf)), 2);
	CHECK_STR(buf, "bb");
	CHECK_STR(get(bp("b")), "bb");
	close(fd);
	unlink(bp("a"));
	unlink(bp("b"));
}

static void exchange_file_and_directory_across_directories(void)
{
	struct stat st;

	CHECK_OK(mkdir(bp("p1"), 0755));
	CHECK_OK(mkdir(bp("p2"), 0755));
	CHECK_OK(mkdir(bp("p1/dir"), 0755));
	put(bp("p1/dir/inner"), "in");
	put(bp("p2/file"), "ff");
	CHECK_EQ(nlink_of(bp("p1")), 3);
	CHECK_EQ(nlink_of(bp("p2")), 2);
	CHECK_OK(rename2(bp("p1/dir"), bp("p2/file"), RENAME_EXCHANGE));
	CHECK_OK(lstat(bp("p1/dir"), &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_STR(get(bp("p1/dir")), "ff");
	CHECK_OK(lstat(bp("p2/file"), &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_STR(get(bp("p2/file/inner")), "in");
	/* The directory's ".." link moved with it. */
	CHECK_EQ(nlink_of(bp("p1")), 2);
	CHECK_EQ(nlink_of(bp("p2")), 3);
	CHECK_EQ(ino_of(bp("p2/file/..")), ino_of(bp("p2")));
	h_rm_tree(bp("p1"));
	h_rm_tree(bp("p2"));
}

static void exchange_two_directories(void)
{
	CHECK_OK(mkdir(bp("x"), 0755));
	CHECK_OK(mkdir(bp("y"), 0755));
	CHECK_OK(mkdir(bp("y/deep"), 0755));
	put(bp("x/fx"), "x");
	put(bp("y/deep/fy"), "y");
	CHECK_OK(rename2(bp("x"), bp("y/deep"), RENAME_EXCHANGE));
	CHECK_STR(get(bp("x/fy")), "y");
	CHECK_STR(get(bp("y/deep/fx")), "x");
	CHECK_EQ(ino_of(bp("y/deep/..")), ino_of(bp("y")));
	CHECK_EQ(nlink_of(bp("y")), 3);
	/* Non-empty directories exchange too (a plain rename would be ENOTEMPTY). */
	CHECK_ERR(rename2(bp("x"), bp("y/deep"), 0), ENOTEMPTY);
	CHECK_OK(rename2(bp("x"), bp("y/deep"), RENAME_EXCHANGE));
	CHECK_STR(get(bp("x/fx")), "x");
	h_rm_tree(bp("x"));
	h_rm_tree(bp("y"));
}

static void exchange_errors(void)
{
	put(bp("f"), "f");
	put(bp("g"), "g");
	CHECK_OK(mkdir(bp("d"), 0755));
	CHECK_OK(mkdir(bp("d/sub"), 0755));
	CHECK_ERR(rename2(bp("f"), bp("missing"), RENAME_EXCHANGE), ENOENT);
	CHECK_ERR(rename2(bp("missing"), bp("f"), RENAME_EXCHANGE), ENOENT);
	CHECK_ERR(rename2(bp("f"), bp("g"), RENAME_EXCHANGE | RENAME_NOREPLACE), EINVAL);
	CHECK_ERR(rename2(bp("f"), bp("g"), RENAME_EXCHANGE | RENAME_WHITEOUT), EINVAL);
	CHECK_ERR(rename2(bp("f"), bp("g"), 1U << 3), EINVAL);
	/* A directory never goes inside itself, in either direction. */
	CHECK_ERR(rename2(bp("d"), bp("d/sub"), RENAME_EXCHANGE), EINVAL);
	CHECK_ERR(rename2(bp("d/sub"), bp("d"), RENAME_EXCHANGE), EINVAL);
	CHECK_ERR(rename2(bp("d/sub"), bp("d"), 0), ENOTEMPTY);
	/* Trailing slashes on non-directories. */
	CHECK_ERR(rename2(bp("f/"), bp("d"), RENAME_EXCHANGE), ENOTDIR);
	CHECK_ERR(rename2(bp("d"), bp("f/"), RENAME_EXCHANGE), ENOTDIR);
	CHECK_OK(rename2(bp("d/"), bp("f"), RENAME_EXCHANGE));
	CHECK_OK(rename2(bp("d"), bp("f"), RENAME_EXCHANGE));
	CHECK_ERR(rename2(bp("."), bp("f"), RENAME_EXCHANGE), EBUSY);
	/* NOREPLACE alone still refuses an existing target. */
	CHECK_ERR(rename2(bp("f"), bp("g"), RENAME_NOREPLACE), EEXIST);
	CHECK_STR(get(bp("f")), "f");
	CHECK_STR(get(bp("g")), "g");
	unlink(bp("f"));
	unlink(bp("g"));
	h_rm_tree(bp("d"));
}

static void exchange_hard_links_of_one_file_is_a_no_op(void)
{
	put(bp("one"), "1");
	CHECK_OK(link(bp("one"), bp("two")));
	CHECK_OK(rename2(bp("one"), bp("two"), RENAME_EXCHANGE));
	CHECK_EQ(nlink_of(bp("one")), 2);
	CHECK_STR(get(bp("two")), "1");
	unlink(bp("one"));
	unlink(bp("two"));
}

static void exchange_symlinks_not_their_targets(void)
{
	char buf[64] = {0};

	put(bp("target"), "t");
	CHECK_OK(symlink("target", bp("ln")));
	put(bp("plain"), "p");
	CHECK_OK(rename2(bp("ln"), bp("plain"), RENAME_EXCHANGE));
	CHECK_EQ(readlink(bp("plain"), buf, sizeof(buf)), 6);
	CHECK_STR(buf, "target");
	CHECK_STR(get(bp("ln")), "p");
	unlink(bp("target"));
	unlink(bp("ln"));
	unlink(bp("plain"));
}

/* tmpfs keeps whiteouts: the old name becomes a 0:0 character device. */
static void whiteout_on_tmpfs_leaves_a_char_device(void)
{
	struct stat st;

	put(bp("w"), "w");
	CHECK_OK(rename2(bp("w"), bp("w2"), RENAME_WHITEOUT));
	CHECK_OK(lstat(bp("w"), &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_EQ(st.st_rdev, makedev(0, 0));
	CHECK_STR(get(bp("w2")), "w");
	/* Over an existing target, too; the replaced file is gone. */
	put(bp("v"), "v");
	CHECK_OK(rename2(bp("v"), bp("w2"), RENAME_WHITEOUT));
	CHECK_STR(get(bp("w2")), "v");
	CHECK_OK(lstat(bp("v"), &st));
	CHECK(S_ISCHR(st.st_mode));
	CHECK_ERR(rename2(bp("missing"), bp("w3"), RENAME_WHITEOUT), ENOENT);
	unlink(bp("w"));
	unlink(bp("v"));
	unlink(bp("w2"));
}

static void drop_cap_mknod_and_whiteout(void)
{
	struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		_exit(3);
	d[0].effective &= ~(1U << CAP_MKNOD);
	if (syscall(SYS_capset, &h, d) < 0)
		_exit(4);
	_exit(rename2(bp("w"), bp("w2"), RENAME_WHITEOUT) == 0 ? 0 : 5);
}

static void whiteout_needs_no_cap_mknod(void)
{
	struct stat st;
	int status;

	put(bp("w"), "w");
	status = h_in_child(drop_cap_mknod_and_whiteout);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_STR(get(bp("w2")), "w");
	CHECK_OK(lstat(bp("w"), &st));
	CHECK(S_ISCHR(st.st_mode));
	unlink(bp("w"));
	unlink(bp("w2"));
}

static void run_all(const char *base)
{
	snprintf(g_base, sizeof(g_base), "%s", base);
	printf("# in %s\n", base);
	RUN(exchange_swaps_two_files);
	RUN(exchange_file_and_directory_across_directories);
	RUN(exchange_two_directories);
	RUN(exchange_errors);
	RUN(exchange_hard_links_of_one_file_is_a_no_op);
	RUN(exchange_symlinks_not_their_targets);
}

int main(void)
{
	char shm[PATH_MAX];

	h_begin();
	h_setup_tmpdir();
	run_all(g_tmpdir);
	/* /dev/shm is tmpfs natively and in the sandbox. */
	strcpy(shm, "/dev/shm/runsc-rename-XXXXXX");
	if (!mkdtemp(shm)) {
		perror("mkdtemp /dev/shm");
		return 2;
	}
	run_all(shm);
	RUN(whiteout_on_tmpfs_leaves_a_char_device);
	RUN(whiteout_needs_no_cap_mknod);
	h_rm_tree(shm);
	return h_end();
}
