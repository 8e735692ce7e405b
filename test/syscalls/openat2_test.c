/* openat2: struct open_how size and flag checks, and the RESOLVE_* limits on the walk
 * (NO_SYMLINKS, NO_MAGICLINKS, BENEATH, IN_ROOT, NO_XDEV, CACHED), as Linux answers. */
#include "harness.h"

#include <linux/openat2.h>
#include <stdint.h>
#include <sys/mman.h>

static long o2(int dirfd, const char *path, uint64_t flags, uint64_t mode, uint64_t resolve)
{
	struct open_how how = {.flags = flags, .mode = mode, .resolve = resolve};

	return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* Open with o2 and close again; returns 0 or -errno. */
static int try_open(int dirfd, const char *path, uint64_t flags, uint64_t resolve)
{
	long fd = o2(dirfd, path, flags, 0, resolve);

	if (fd < 0)
		return -errno;
	close((int)fd);
	return 0;
}

/* What the fd opened by o2 names: the contents of a small file. */
static const char *contents(int dirfd, const char *path, uint64_t resolve)
{
	static char buf[64];
	long fd = o2(dirfd, path, O_RDONLY, 0, resolve);
	ssize_t n;

	/* Linux: a scoped ".." that raced with a rename or a mount anywhere (another test's)
	 * is EAGAIN, to be retried; RESOLVE_CACHED's EAGAIN is an answer. */
	for (int i = 0; i < 100 && fd < 0 && errno == EAGAIN &&
			(resolve & (RESOLVE_BENEATH | RESOLVE_IN_ROOT)) && !(resolve & RESOLVE_CACHED);
	     i++)
		fd = o2(dirfd, path, O_RDONLY, 0, resolve);

	if (fd < 0)
		return strerrorname_np(errno);
	n = read((int)fd, buf, sizeof(buf) - 1);
	close((int)fd);
	buf[n < 0 ? 0 : n] = '\0';
	return buf;
}

static int g_dir; /* fd of tmpdir/d: the start of the scoped walks */

/* tmpdir: outside = "out"; d/file = "in"; d/sub/; d/abs -> /; d/rel -> file;
 * d/up -> ../outside; d/sublink -> sub; d/root_file = "root" (IN_ROOT's "/root_file"). */
static void make_tree(void)
{
	h_make_file("outside", "out");
	CHECK_OK(mkdir(h_path("d"), 0755));
	CHECK_OK(mkdir(h_path("d/sub"), 0755));
	h_make_file("d/file", "in");
	h_make_file("d/root_file", "root");
	CHECK_OK(symlink("/", h_path("d/abs")));
	CHECK_OK(symlink("/root_file", h_path("d/absfile")));
	CHECK_OK(symlink("file", h_path("d/rel")));
	CHECK_OK(symlink("../outside", h_path("d/up")));
	CHECK_OK(symlink("sub", h_path("d/sublink")));
	g_dir = (int)CHECK_OK(open(h_path("d"), O_PATH | O_DIRECTORY));
}

static void size_is_checked(void)
{
	struct {
		struct open_how how;
		char tail[40];
	} big = {{.flags = O_RDONLY}, {0}};
	void *page;

	CHECK_ERR(syscall(SYS_openat2, g_dir, "file", &big, 0), EINVAL);
	CHECK_ERR(syscall(SYS_openat2, g_dir, "file", &big, 23), EINVAL);
	CHECK_ERR(syscall(SYS_openat2, g_dir, "file", &big, 4097), E2BIG);
	/* A larger struct from a newer program: fine while its tail is zero. */
	long fd = CHECK_OK(syscall(SYS_openat2, g_dir, "file", &big, sizeof(big)));
	close((int)fd);
	big.tail[39] = 1;
	CHECK_ERR(syscall(SYS_openat2, g_dir, "file", &big, sizeof(big)), E2BIG);
	CHECK_ERR(syscall(SYS_openat2, g_dir, "file", (void *)8, 24), EFAULT);
	/* The tail is read too: a struct at the end of a readable page faults past it. */
	page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(page != MAP_FAILED);
	CHECK_OK(munmap((char *)page + 4096, 4096));
	CHECK_ERR(syscall(SYS_openat2, g_dir, "file", (char *)page + 4096 - 24, 32), EFAULT);
	fd = CHECK_OK(syscall(SYS_openat2, g_dir, "file", (char *)page + 4096 - 24, 24));
	close((int)fd);
	munmap(page, 4096);
}

static void flags_are_checked(void)
{
	CHECK_ERR(o2(g_dir, "file", O_RDONLY | (1ULL << 32), 0, 0), EINVAL);
	CHECK_ERR(o2(g_dir, "file", O_RDONLY | (1ULL << 63), 0, 0), EINVAL);
	CHECK_ERR(o2(g_dir, "file", O_RDONLY, 0, 0x40), EINVAL);
	CHECK_ERR(o2(g_dir, "file", O_RDONLY, 0, RESOLVE_BENEATH | RESOLVE_IN_ROOT), EINVAL);
	/* mode only with O_CREAT or O_TMPFILE, and only permission bits. */
	CHECK_ERR(o2(g_dir, "file", O_RDONLY, 0644, 0), EINVAL);
	CHECK_ERR(o2(g_dir, "new", O_CREAT | O_WRONLY, S_IFREG | 0644, 0), EINVAL);
	CHECK_ERR(o2(g_dir, "new", O_CREAT | O_DIRECTORY | O_RDWR, 0644, 0), EINVAL);
	CHECK_ERR(o2(g_dir, ".", O_TMPFILE | O_RDONLY, 0600, 0), EINVAL);
	/* openat ignores access bits with O_PATH; openat2 refuses them. */
	CHECK_ERR(o2(g_dir, "file", O_PATH | O_RDWR, 0, 0), EINVAL);
	long fd = CHECK_OK(openat(g_dir, "file", O_PATH | O_RDWR));
	close((int)fd);
	CHECK_ERR(o2(-1, "file", O_RDONLY, 0, 0), EBADF);
}

static void opens_like_openat(void)
{
	long fd = CHECK_OK(o2(g_dir, "new", O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0640, 0));
	struct stat st;

	CHECK_EQ(fcntl((int)fd, F_GETFD), FD_CLOEXEC);
	CHECK_EQ(fcntl((int)fd, F_GETFL) & O_ACCMODE, O_WRONLY);
	CHECK_OK(fstat((int)fd, &st));
	CHECK_EQ(st.st_mode, S_IFREG | 0640);
	close((int)fd);
	CHECK_ERR(o2(g_dir, "new", O_CREAT | O_EXCL | O_WRONLY, 0640, 0), EEXIST);
	CHECK_STR(contents(g_dir, "rel", 0), "in");
	CHECK_STR(contents(AT_FDCWD, h_path("d/file"), 0), "in");
	CHECK_OK(unlinkat(g_dir, "new", 0));
}

static void no_symlinks_refuses_any(void)
{
	CHECK_EQ(try_open(g_dir, "rel", O_RDONLY, RESOLVE_NO_SYMLINKS), -ELOOP);
	CHECK_EQ(try_open(g_dir, "sublink/.", O_RDONLY, RESOLVE_NO_SYMLINKS), -ELOOP);
	CHECK_EQ(try_open(g_dir, "rel", O_RDONLY | O_CREAT, RESOLVE_NO_SYMLINKS), -ELOOP);
	/* The link itself is no walk through it. */
	CHECK_EQ(try_open(g_dir, "rel", O_PATH | O_NOFOLLOW, RESOLVE_NO_SYMLINKS), 0);
	CHECK_EQ(try_open(g_dir, "sub/../file", O_RDONLY, RESOLVE_NO_SYMLINKS), 0);
}

static void no_magiclinks_refuses_proc_links(void)
{
	char fdpath[64];

	CHECK_EQ(try_open(AT_FDCWD, "/proc/self/exe", O_RDONLY, 0), 0);
	CHECK_EQ(try_open(AT_FDCWD, "/proc/self/exe", O_RDONLY, RESOLVE_NO_MAGICLINKS), -ELOOP);
	CHECK_EQ(try_open(AT_FDCWD, "/proc/self/exe", O_RDONLY, RESOLVE_NO_SYMLINKS), -ELOOP);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", g_dir);
	CHECK_EQ(try_open(AT_FDCWD, fdpath, O_PATH, 0), 0);
	CHECK_EQ(try_open(AT_FDCWD, fdpath, O_PATH, RESOLVE_NO_MAGICLINKS), -ELOOP);
	/* /proc/self is an ordinary symlink: allowed. */
	CHECK_EQ(try_open(AT_FDCWD, "/proc/self/status", O_RDONLY, RESOLVE_NO_MAGICLINKS), 0);
	CHECK_EQ(try_open(AT_FDCWD, "/proc/self/exe", O_PATH | O_NOFOLLOW, RESOLVE_NO_MAGICLINKS),
		 0);
}

static void beneath_refuses_escapes(void)
{
	int proc = (int)CHECK_OK(open("/proc/self", O_PATH | O_DIRECTORY));

	CHECK_STR(contents(g_dir, "file", RESOLVE_BENEATH), "in");
	CHECK_STR(contents(g_dir, "sub/../file", RESOLVE_BENEATH), "in");
	CHECK_STR(contents(g_dir, "rel", RESOLVE_BENEATH), "in");
	CHECK_STR(contents(g_dir, "sublink/../rel", RESOLVE_BENEATH), "in");
	CHECK_STR(contents(g_dir, "../outside", RESOLVE_BENEATH), "EXDEV");
	CHECK_STR(contents(g_dir, "sub/../../outside", RESOLVE_BENEATH), "EXDEV");
	CHECK_STR(contents(g_dir, "up", RESOLVE_BENEATH), "EXDEV");
	CHECK_STR(contents(g_dir, h_path("d/file"), RESOLVE_BENEATH), "EXDEV");
	CHECK_STR(contents(g_dir, "absfile", RESOLVE_BENEATH), "EXDEV");
	CHECK_EQ(try_open(g_dir, "abs", O_PATH, RESOLVE_BENEATH), -EXDEV);
	CHECK_EQ(try_open(g_dir, "..", O_PATH, RESOLVE_BENEATH), -EXDEV);
	CHECK_EQ(try_open(g_dir, ".", O_PATH, RESOLVE_BENEATH), 0);
	/* Creating through a link that leaves is refused as well. */
	CHECK_EQ(try_open(g_dir, "up", O_WRONLY | O_CREAT, RESOLVE_BENEATH), -EXDEV);
	/* Magic links are never followed in a scoped walk. */
	CHECK_EQ(try_open(proc, "exe", O_RDONLY, RESOLVE_BENEATH), -EXDEV);
	CHECK_EQ(try_open(proc, "exe", O_RDONLY, 0), 0);
	close(proc);
}

static void in_root_clamps_to_dirfd(void)
{
	int proc = (int)CHECK_OK(open("/proc/self", O_PATH | O_DIRECTORY));

	CHECK_STR(contents(g_dir, "/root_file", RESOLVE_IN_ROOT), "root");
	CHECK_STR(contents(g_dir, "../../../root_file", RESOLVE_IN_ROOT), "root");
	CHECK_STR(contents(g_dir, "absfile", RESOLVE_IN_ROOT), "root");
	CHECK_STR(contents(g_dir, "abs/file", RESOLVE_IN_ROOT), "in");
	CHECK_STR(contents(g_dir, "up", RESOLVE_IN_ROOT), "ENOENT");
	CHECK_STR(contents(g_dir, "sub/../rel", RESOLVE_IN_ROOT), "in");
	/* Without the flag, the same paths leave. */
	CHECK_STR(contents(g_dir, "up", 0), "out");
	CHECK_STR(contents(g_dir, "absfile", 0), "ENOENT");
	CHECK_EQ(try_open(proc, "exe", O_RDONLY, RESOLVE_IN_ROOT), -EXDEV);
	close(proc);
}

static void no_xdev_refuses_mount_crossings(void)
{
	int root = (int)CHECK_OK(open("/", O_PATH | O_DIRECTORY));
	int proc = (int)CHECK_OK(open("/proc", O_PATH | O_DIRECTORY));

	CHECK_EQ(try_open(root, "proc", O_PATH, 0), 0);
	CHECK_EQ(try_open(root, "proc", O_PATH, RESOLVE_NO_XDEV), -EXDEV);
	CHECK_EQ(try_open(AT_FDCWD, "/proc/self", O_PATH, RESOLVE_NO_XDEV), -EXDEV);
	CHECK_EQ(try_open(proc, "..", O_PATH, RESOLVE_NO_XDEV), -EXDEV);
	CHECK_EQ(try_open(proc, "..", O_PATH, 0), 0);
	CHECK_EQ(try_open(proc, "self/status", O_RDONLY, RESOLVE_NO_XDEV), 0);
	CHECK_STR(contents(g_dir, "sub/../rel", RESOLVE_NO_XDEV), "in");
	close(root);
	close(proc);
}

/* A search of dir that fails (uid 1000, dir 0700 root's): EAGAIN when cached, as Linux
 * leaves its lockless walk to report it. */
static void cached_search_denied(const char *dir)
{
	char path[96];
	pid_t pid;
	int st;

	snprintf(path, sizeof(path), "%s/d/f", dir);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (setresuid(1000, 1000, 1000) < 0)
			_exit(3);
		CHECK_EQ(try_open(AT_FDCWD, path, O_RDONLY, 0), -EACCES);
		CHECK_EQ(try_open(AT_FDCWD, path, O_RDONLY, RESOLVE_CACHED), -EAGAIN);
		_exit(g_case_fails ? 1 : 0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* What a cached walk answers on tmpfs, measured on Linux: ".", "..", a short symlink and a
 * mount's root succeed; walking through a file is EAGAIN, and so is a name never seen
 * (tmpfs keeps no negative dentries). */
static void cached_walks(const char *dir)
{
	char path[96];

	snprintf(path, sizeof(path), "%s/f/x", dir);
	CHECK_EQ(try_open(AT_FDCWD, path, O_RDONLY, 0), -ENOTDIR);
	CHECK_EQ(try_open(AT_FDCWD, path, O_RDONLY, RESOLVE_CACHED), -EAGAIN);
	snprintf(path, sizeof(path), "%s/never", dir);
	CHECK_EQ(try_open(AT_FDCWD, path, O_RDONLY, RESOLVE_CACHED), -EAGAIN);
	snprintf(path, sizeof(path), "%s/.", dir);
	CHECK_EQ(try_open(AT_FDCWD, path, O_RDONLY | O_DIRECTORY, RESOLVE_CACHED), 0);
	snprintf(path, sizeof(path), "%s/..", dir);
	CHECK_EQ(try_open(AT_FDCWD, path, O_RDONLY | O_DIRECTORY, RESOLVE_CACHED), 0);
	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK_EQ(try_open(AT_FDCWD, path, O_PATH, RESOLVE_CACHED), 0);
	snprintf(path, sizeof(path), "%s/ln", dir);
	CHECK_OK(symlink("f", path));
	CHECK_EQ(try_open(AT_FDCWD, path, O_RDONLY, RESOLVE_CACHED), 0);
	unlink(path);
	CHECK_EQ(try_open(AT_FDCWD, "/proc", O_RDONLY, RESOLVE_CACHED), 0);
	snprintf(path, sizeof(path), "%s/d", dir);
	CHECK_OK(mkdir(path, 0700));
	snprintf(path, sizeof(path), "%s/d/f", dir);
	close(CHECK_OK(open(path, O_CREAT | O_WRONLY, 0600)));
	cached_search_denied(dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/d", dir);
	rmdir(path);
}

/* On tmpfs (/dev/shm) a just-created file is in the dentry cache on Linux and here. */
static void cached_opens_from_the_cache(void)
{
	char dir[64] = "/dev/shm/runsc-openat2-XXXXXX", path[96];
	long fd;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = CHECK_OK(open(path, O_CREAT | O_WRONLY, 0600));
	close((int)fd);
	CHECK_EQ(try_open(AT_FDCWD, path, O_RDONLY, RESOLVE_CACHED), 0);
	CHECK_EQ(try_open(AT_FDCWD, path, O_RDWR | O_TRUNC, RESOLVE_CACHED), -EAGAIN);
	CHECK_EQ(try_open(AT_FDCWD, path, O_RDWR | O_CREAT, RESOLVE_CACHED), -EAGAIN);
	CHECK_EQ(try_open(AT_FDCWD, dir, O_TMPFILE | O_RDWR, RESOLVE_CACHED), -EAGAIN);
	cached_walks(dir);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	umask(022);
	make_tree();
	RUN(size_is_checked);
	RUN(flags_are_checked);
	RUN(opens_like_openat);
	RUN(no_symlinks_refuses_any);
	RUN(no_magiclinks_refuses_proc_links);
	RUN(beneath_refuses_escapes);
	RUN(in_root_clamps_to_dirfd);
	RUN(no_xdev_refuses_mount_crossings);
	RUN(cached_opens_from_the_cache);
	close(g_dir);
	return h_end();
}
