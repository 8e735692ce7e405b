/* Mount namespaces and unmounting (man 7 mount_namespaces, man 2 umount2, pivot_root):
 * a namespace starts as a copy and its later mounts stay its own, /proc/PID/ns/mnt,
 * umount2's EBUSY/EINVAL/MNT_DETACH/MNT_EXPIRE/UMOUNT_NOFOLLOW, mountinfo ids, EPERM
 * without CAP_SYS_ADMIN, and pivot_root. Every case runs in a private mount namespace of
 * its own (mount_util.h). */
#include "harness.h"

#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/syscall.h>

#include "mount_util.h"

#define STACK_SIZE (256 * 1024)
static char g_stack[STACK_SIZE] __attribute__((aligned(16)));

static void ns_link(const char *pid, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%s/ns/mnt", pid);
	n = readlink(path, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
}

/* The child of namespace_isolation: a namespace of its own, then a mount there. */
static int isolated_child(void *arg)
{
	int *fds = arg;
	char c = 0;

	if (!exists(h_path("iso/before")))
		_exit(10); /* the copy must hold the parent's mounts */
	if (mount("none", h_path("iso"), "tmpfs", 0, NULL) < 0)
		_exit(11);
	h_make_file("iso/child", "x");
	if (write(fds[1], "m", 1) != 1 || read(fds[0], &c, 1) != 1)
		_exit(12);
	/* The parent's mount made after the copy is not here. */
	_exit(exists(h_path("late/seen")) ? 13 : 0);
}

static void namespace_isolation_body(void)
{
	const char *iso = fresh_dir("iso"), *late = fresh_dir("late");
	char self[64], child[64], pidstr[16], c;
	int up[2], down[2], fds[2], st;
	pid_t pid;

	CHECK_OK(mount("none", iso, "tmpfs", 0, NULL));
	h_make_file("iso/before", "x");
	CHECK_OK(pipe(up));
	CHECK_OK(pipe(down));
	fds[0] = down[0];
	fds[1] = up[1];
	pid = clone(isolated_child, g_stack + STACK_SIZE, CLONE_NEWNS | SIGCHLD, fds);
	CHECK(pid > 0);
	CHECK_EQ(read(up[0], &c, 1), 1);
	CHECK(!exists(h_path("iso/child")));
	CHECK(exists(h_path("iso/before")));
	ns_link("self", self, sizeof(self));
	snprintf(pidstr, sizeof(pidstr), "%d", pid);
	ns_link(pidstr, child, sizeof(child));
	CHECK(!strncmp(self, "mnt:[", 5));
	CHECK(!strncmp(child, "mnt:[", 5));
	CHECK(strcmp(self, child) != 0);
	CHECK_OK(mount("none", late, "tmpfs", 0, NULL));
	h_make_file("late/seen", "x");
	CHECK_EQ(write(down[1], "g", 1), 1);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : 100, 0);
	CHECK_ERR(clone(isolated_child, g_stack + STACK_SIZE, CLONE_NEWNS | CLONE_FS | SIGCHLD,
			fds),
		  EINVAL);
}

static void namespace_isolation(void)
{
	in_private_ns(namespace_isolation_body);
}

/* unshare(CLONE_NEWNS) in a thread sharing its fs context: the cwd stays usable. */
static void unshare_keeps_cwd_body(void)
{
	const char *d = fresh_dir("cwd");
	char before[64], after[64], buf[PATH_MAX];

	CHECK_OK(mount("none", d, "tmpfs", 0, NULL));
	CHECK_OK(chdir(d));
	ns_link("self", before, sizeof(before));
	CHECK_OK(unshare(CLONE_NEWNS));
	ns_link("self", after, sizeof(after));
	CHECK(strcmp(before, after) != 0);
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_STR(buf, d);
	/* The cwd moved to the copy: unmounting the copy is busy because of it. */
	CHECK_ERR(umount(d), EBUSY);
	CHECK_OK(chdir("/"));
	CHECK_OK(umount(d));
}

static void unshare_keeps_cwd(void)
{
	in_private_ns(unshare_keeps_cwd_body);
}

static void umount_rules_body(void)
{
	const char *m = fresh_dir("um"), *plain = fresh_dir("umplain");
	char file[PATH_MAX], sub[PATH_MAX], link[PATH_MAX];
	int fd;

	CHECK_ERR(umount(plain), EINVAL);
	CHECK_ERR(umount(h_path("missing")), ENOENT);
	CHECK_ERR(umount2(plain, 0x100), EINVAL);
	CHECK_OK(mount("none", m, "tmpfs", 0, NULL));
	snprintf(file, sizeof(file), "%s/f", m);
	fd = CHECK_OK(open(file, O_CREAT | O_RDWR, 0644));
	CHECK_ERR(umount(m), EBUSY);
	CHECK_ERR(umount2(m, MNT_FORCE), EBUSY);
	close(fd);
	fd = CHECK_OK(open(m, O_PATH));
	CHECK_ERR(umount(m), EBUSY);
	close(fd);
	CHECK_OK(chdir(m));
	CHECK_ERR(umount(m), EBUSY);
	CHECK_OK(chdir("/"));
	snprintf(sub, sizeof(sub), "%s/sub", m);
	CHECK_OK(mkdir(sub, 0755));
	CHECK_OK(mount("none", sub, "tmpfs", 0, NULL));
	CHECK_ERR(umount(m), EBUSY); /* a mount below it */
	CHECK_OK(umount(sub));
	/* UMOUNT_NOFOLLOW: a symlink to a mountpoint is not one. */
	snprintf(link, sizeof(link), "%s/umlink", g_tmpdir);
	CHECK_OK(symlink(m, link));
	CHECK_ERR(umount2(link, UMOUNT_NOFOLLOW), EINVAL);
	CHECK_OK(umount2(link, 0));
	CHECK(!exists(file));
	CHECK(!mountinfo_line(m)[0]);
	/* MNT_EXPIRE: marked first, then unmounted. */
	CHECK_OK(mount("none", m, "tmpfs", 0, NULL));
	CHECK_ERR(umount2(m, MNT_EXPIRE | MNT_DETACH), EINVAL);
	CHECK_ERR(umount2(m, MNT_EXPIRE), EAGAIN);
	CHECK_OK(umount2(m, MNT_EXPIRE));
	CHECK(!mountinfo_line(m)[0]);
}

static void umount_rules(void)
{
	in_private_ns(umount_rules_body);
}

static void umount_detach_body(void)
{
	const char *m = fresh_dir("lazy");
	char file[PATH_MAX], buf[8] = {0};
	int fd, fd2, dirfd;

	CHECK_OK(mount("none", m, "tmpfs", 0, NULL));
	snprintf(file, sizeof(file), "%s/f", m);
	fd = CHECK_OK(open(file, O_CREAT | O_RDWR, 0644));
	CHECK_EQ(write(fd, "kept", 4), 4);
	dirfd = CHECK_OK(open(m, O_RDONLY | O_DIRECTORY));
	CHECK_OK(umount2(m, MNT_DETACH));
	CHECK(!exists(file));
	CHECK(!mountinfo_line(m)[0]);
	/* What is open still works, names under it too. */
	CHECK_EQ(pread(fd, buf, 4, 0), 4);
	CHECK_STR(buf, "kept");
	CHECK_OK(faccessat(dirfd, "f", F_OK, 0));
	fd2 = openat(dirfd, "g", O_CREAT | O_WRONLY, 0644);
	CHECK(fd2 >= 0);
	close(fd2);
	close(fd);
	close(dirfd);
}

static void umount_detach(void)
{
	in_private_ns(umount_detach_body);
}

/* The mount id and parent id of the mountinfo line for path. */
static int mount_ids(const char *path, int *parent)
{
	int id = -1;

	if (sscanf(mountinfo_line(path), "%d %d", &id, parent) != 2)
		return -1;
	return id;
}

static void mountinfo_ids_body(void)
{
	const char *a = fresh_dir("mia");
	char b[PATH_MAX], sub[PATH_MAX];
	int pa, pb, ida, idb;

	CHECK_OK(mount("src-a", a, "tmpfs", MS_NOSUID, "size=64k"));
	snprintf(b, sizeof(b), "%s/b", a);
	CHECK_OK(mkdir(b, 0755));
	CHECK_OK(mount("src-b", b, "tmpfs", MS_RDONLY, NULL));
	ida = mount_ids(a, &pa);
	idb = mount_ids(b, &pb);
	CHECK(ida > 0);
	CHECK(idb > ida);
	CHECK_EQ(pb, ida);
	CHECK(strstr(mountinfo_line(a), " / "));
	CHECK(strstr(mountinfo_line(a), " rw,nosuid,relatime - tmpfs src-a rw,size=64k"));
	CHECK(strstr(mountinfo_line(b), " ro,relatime - tmpfs src-b ro"));
	CHECK(strstr(mounts_line(a), "src-a "));
	CHECK(strstr(mounts_line(a), " tmpfs rw,nosuid,relatime,size=64k"));
	/* A bind of a subdirectory names it as its root. */
	snprintf(sub, sizeof(sub), "%s/sub", fresh_dir("mib"));
	CHECK_OK(mkdir(h_path("mia/d"), 0755));
	CHECK_OK(mkdir(sub, 0755));
	CHECK_OK(mount(h_path("mia/d"), sub, NULL, MS_BIND, NULL));
	CHECK(strstr(mountinfo_line(sub), " /d "));
	CHECK(strstr(mountinfo_line(sub), " - tmpfs src-a "));
}

static void mountinfo_ids(void)
{
	in_private_ns(mountinfo_ids_body);
}

static void eperm_without_cap_body(void)
{
	const char *m = fresh_dir("eperm");

	CHECK_OK(mount("none", m, "tmpfs", 0, NULL));
	CHECK_OK(chmod(m, 0777));
	CHECK_OK(chmod(g_tmpdir, 0755));
	CHECK_OK(setresuid(65534, 65534, 65534)); /* every capability goes */
	CHECK_ERR(mount("none", m, "tmpfs", 0, NULL), EPERM);
	CHECK_ERR(mount("none", h_path("nowhere"), "tmpfs", 0, NULL), ENOENT);
	CHECK_ERR(mount(m, m, NULL, MS_BIND, NULL), EPERM);
	CHECK_ERR(umount(m), EPERM);
	CHECK_ERR(umount2(m, MNT_DETACH), EPERM);
	CHECK_ERR(unshare(CLONE_NEWNS), EPERM);
	CHECK_ERR(syscall(SYS_pivot_root, m, m), EPERM);
}

static void eperm_without_cap(void)
{
	in_private_ns(eperm_without_cap_body);
}

static void pivot_root_body(void)
{
	const char *nr = fresh_dir("newroot");
	char old[PATH_MAX], buf[PATH_MAX];
	struct statfs sf;
	pid_t pid;
	int st;

	CHECK_OK(mount("none", nr, "tmpfs", 0, NULL));
	snprintf(old, sizeof(old), "%s/old", nr);
	CHECK_OK(mkdir(old, 0755));
	h_make_file("newroot/marker", "x");
	CHECK_ERR(syscall(SYS_pivot_root, old, old), EINVAL); /* not a mount's root */
	CHECK_ERR(syscall(SYS_pivot_root, "/", old), EBUSY);  /* the root's own mount */
	CHECK_OK(chdir(nr));
	/* Done by a child, as pivot_root(8) does: every root and cwd at the old root
	 * moves, this process's too. */
	pid = fork();
	if (pid == 0)
		_exit(syscall(SYS_pivot_root, ".", "old") == 0 ? 0 : 10 + errno);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : 100, 0);
	CHECK(exists("/marker"));
	CHECK(exists("/old/proc/self"));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_STR(buf, "/");
	CHECK_OK(statfs("/", &sf));
	CHECK_EQ(sf.f_type, TMPFS_MAGIC);
	CHECK_OK(umount2("/old", MNT_DETACH));
	CHECK(!exists("/old/proc"));
}

static void pivot_root_case(void)
{
	in_private_ns(pivot_root_body);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(namespace_isolation);
	RUN(unshare_keeps_cwd);
	RUN(umount_rules);
	RUN(umount_detach);
	RUN(mountinfo_ids);
	RUN(eperm_without_cap);
	RUN(pivot_root_case);
	return h_end();
}
