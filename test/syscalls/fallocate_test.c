/* fallocate: Linux's argument and descriptor errors, allocation (growing or KEEP_SIZE),
 * PUNCH_HOLE (zeroes, size kept, pages released, seen by shared mappings), tmpfs's
 * EOPNOTSUPP modes, memfd seals and RLIMIT_FSIZE. Files live in /tmp (the sandbox's overlay
 * root, ext4 natively here) and /dev/shm (tmpfs on both). */
#include "harness.h"

#include <linux/falloc.h>
#include <linux/magic.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/vfs.h>

static char g_shm[64]; /* a scratch directory on /dev/shm */

static const char *shm_path(const char *name)
{
	static char buf[2][128];
	static int next;
	char *b = buf[next++ & 1];

	snprintf(b, 128, "%s/%s", g_shm, name);
	return b;
}

static int new_file(const char *path)
{
	return (int)CHECK_OK(open(path, O_RDWR | O_CREAT | O_TRUNC, 0600));
}

static struct stat st_of(int fd)
{
	struct stat st = {0};

	CHECK_OK(fstat(fd, &st));
	return st;
}

/* Every byte of [off, off + size) equals c. */
static bool all_bytes(int fd, off_t off, size_t size, char c)
{
	char buf[4096];

	while (size > 0) {
		size_t n = size < sizeof(buf) ? size : sizeof(buf);

		if (pread(fd, buf, n, off) != (ssize_t)n)
			return false;
		for (size_t i = 0; i < n; i++)
			if (buf[i] != c)
				return false;
		off += (off_t)n;
		size -= n;
	}
	return true;
}

static void fill(int fd, size_t size, char c)
{
	char buf[4096];

	memset(buf, c, sizeof(buf));
	for (size_t off = 0; off < size; off += sizeof(buf))
		CHECK_EQ(pwrite(fd, buf, sizeof(buf), (off_t)off), sizeof(buf));
}

static void bad_arguments(void)
{
	int fd = new_file(h_path("args")), rd, path, p[2], sv[2], null;

	CHECK_ERR(fallocate(-1, 0, 0, 4096), EBADF);
	CHECK_ERR(fallocate(fd, 0, 0, 0), EINVAL);
	CHECK_ERR(fallocate(fd, 0, 0, -1), EINVAL);
	CHECK_ERR(fallocate(fd, 0, -1, 4096), EINVAL);
	/* EINVAL before the descriptor's mode, EBADF for a bad fd before anything. */
	CHECK_ERR(fallocate(-1, 0, -1, 0), EBADF);
	CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096), EOPNOTSUPP);
	CHECK_ERR(fallocate(fd, 0x100, 0, 4096), EOPNOTSUPP);
	CHECK_ERR(fallocate(fd, FALLOC_FL_NO_HIDE_STALE, 0, 4096), EOPNOTSUPP);
	CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
			    0, 4096), EOPNOTSUPP);
	CHECK_ERR(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_KEEP_SIZE, 0, 4096),
		  EOPNOTSUPP);
	CHECK_ERR(fallocate(fd, 0, INT64_MAX - 10, 100), EFBIG);
	rd = (int)CHECK_OK(open(h_path("args"), O_RDONLY));
	CHECK_ERR(fallocate(rd, 0, 0, 4096), EBADF);
	path = (int)CHECK_OK(open(h_path("args"), O_PATH));
	CHECK_ERR(fallocate(path, 0, 0, 4096), EBADF);
	CHECK_OK(pipe(p));
	CHECK_ERR(fallocate(p[1], 0, 0, 4096), ESPIPE);
	CHECK_ERR(fallocate(p[0], 0, 0, 4096), EBADF);
	CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK_ERR(fallocate(sv[0], 0, 0, 4096), ENODEV);
	null = (int)CHECK_OK(open("/dev/null", O_WRONLY));
	CHECK_ERR(fallocate(null, 0, 0, 4096), ENODEV);
	CHECK_EQ(st_of(fd).st_size, 0);
	close(fd), close(rd), close(path), close(p[0]), close(p[1]);
	close(sv[0]), close(sv[1]), close(null);
}

/* Mode 0 grows the file with zeros; KEEP_SIZE allocates without growing; an O_APPEND
 * descriptor may allocate too. */
static void allocate_in(const char *path)
{
	int fd = new_file(path), app;
	struct stat st;

	CHECK_OK(fallocate(fd, 0, 0, 10000));
	st = st_of(fd);
	CHECK_EQ(st.st_size, 10000);
	CHECK(st.st_blocks >= 10000 / 512);
	CHECK(all_bytes(fd, 0, 10000, 0));
	CHECK_OK(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 40960));
	st = st_of(fd);
	CHECK_EQ(st.st_size, 10000);
	CHECK(st.st_blocks >= 40960 / 512);
	/* Allocating inside the file keeps its data. */
	CHECK_EQ(pwrite(fd, "data", 4, 100), 4);
	CHECK_OK(fallocate(fd, 0, 0, 8192));
	CHECK_EQ(st_of(fd).st_size, 10000);
	CHECK_EQ(pread(fd, (char[4]){0}, 4, 100), 4);
	CHECK(!all_bytes(fd, 100, 4, 0));
	app = (int)CHECK_OK(open(path, O_WRONLY | O_APPEND));
	CHECK_OK(fallocate(app, 0, 0, 20000));
	CHECK_EQ(st_of(fd).st_size, 20000);
	close(app);
	close(fd);
	unlink(path);
}

static void allocate_extends_size(void)
{
	allocate_in(h_path("alloc"));
	allocate_in(shm_path("alloc"));
}

/* A hole of [100, 100 + 8192) in 3 pages of 'x': zeros there, size and the rest kept,
 * the whole page inside the hole released. */
static void punch_in(const char *path)
{
	int fd = new_file(path);
	struct stat before, after;

	fill(fd, 3 * 4096, 'x');
	before = st_of(fd);
	CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 100, 8192));
	after = st_of(fd);
	CHECK_EQ(after.st_size, 3 * 4096);
	CHECK(after.st_blocks < before.st_blocks);
	CHECK(all_bytes(fd, 0, 100, 'x'));
	CHECK(all_bytes(fd, 100, 8192, 0));
	CHECK(all_bytes(fd, 8292, 3 * 4096 - 8292, 'x'));
	/* Past the end: nothing to do, the size stays. */
	CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 65536, 4096));
	CHECK_EQ(st_of(fd).st_size, 3 * 4096);
	close(fd);
	unlink(path);
}

static void punch_hole_zeroes(void)
{
	punch_in(h_path("punch"));
	punch_in(shm_path("punch"));
}

/* tmpfs takes allocation and holes only (Linux's shmem_fallocate). */
static void tmpfs_modes(void)
{
	int fd = new_file(shm_path("modes"));

	fill(fd, 4 * 4096, 'x');
	CHECK_ERR(fallocate(fd, FALLOC_FL_ZERO_RANGE, 0, 4096), EOPNOTSUPP);
	CHECK_ERR(fallocate(fd, FALLOC_FL_COLLAPSE_RANGE, 4096, 4096), EOPNOTSUPP);
	CHECK_ERR(fallocate(fd, FALLOC_FL_INSERT_RANGE, 4096, 4096), EOPNOTSUPP);
	CHECK_ERR(fallocate(fd, FALLOC_FL_UNSHARE_RANGE, 0, 4096), EOPNOTSUPP);
	CHECK(all_bytes(fd, 0, 4 * 4096, 'x'));
	close(fd);
}

/* /tmp: ext4 natively zeroes a range; the sandbox's overlay root has a tmpfs upper layer,
 * which refuses, as Linux's overlayfs over tmpfs does. */
static void zero_range_by_filesystem(void)
{
	int fd = new_file(h_path("zero"));
	struct statfs sf;

	fill(fd, 2 * 4096, 'x');
	CHECK_OK(fstatfs(fd, &sf));
	if (sf.f_type == EXT4_SUPER_MAGIC) {
		CHECK_OK(fallocate(fd, FALLOC_FL_ZERO_RANGE, 10, 100));
		CHECK(all_bytes(fd, 10, 100, 0));
		CHECK(all_bytes(fd, 110, 2 * 4096 - 110, 'x'));
	} else {
		CHECK_ERR(fallocate(fd, FALLOC_FL_ZERO_RANGE, 10, 100), EOPNOTSUPP);
	}
	close(fd);
}

/* A shared mapping sees the hole at once; a private one keeps the pages it copied. */
static void punch_reaches_mappings(void)
{
	int fd = new_file(shm_path("mapped"));
	char *shared, *priv;

	fill(fd, 3 * 4096, 'x');
	shared = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	priv = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	CHECK(shared != MAP_FAILED && priv != MAP_FAILED);
	CHECK_EQ(shared[4096], 'x');
	CHECK_EQ(priv[2 * 4096], 'x'); /* mapped, not copied */
	priv[4096] = 'p';	       /* copied */
	CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 2 * 4096));
	CHECK_EQ(shared[4096], 0);
	CHECK_EQ(shared[2 * 4096 + 5], 0);
	CHECK_EQ(shared[0], 'x');
	CHECK_EQ(priv[4096], 'p');
	CHECK_EQ(priv[2 * 4096], 0);
	shared[4096 + 1] = 's';
	CHECK_EQ(pread(fd, (char[1]){0}, 1, 4097), 1);
	CHECK(all_bytes(fd, 4097, 1, 's'));
	munmap(shared, 3 * 4096);
	munmap(priv, 3 * 4096);
	close(fd);
}

static void memfd_seals(void)
{
	int fd = (int)CHECK_OK(memfd_create("falloc", MFD_ALLOW_SEALING));

	fill(fd, 2 * 4096, 'x');
	CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	CHECK_ERR(fallocate(fd, 0, 4096, 8192), EPERM);
	CHECK_ERR(fallocate(fd, FALLOC_FL_KEEP_SIZE, 4096, 8192), EPERM);
	CHECK_OK(fallocate(fd, 0, 0, 8192));
	CHECK_OK(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096));
	CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
	CHECK_ERR(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 4096), EPERM);
	CHECK(all_bytes(fd, 0, 4096, 0));
	CHECK(all_bytes(fd, 4096, 4096, 'x'));
	close(fd);
}

static volatile sig_atomic_t g_xfsz;

static void on_xfsz(int sig)
{
	g_xfsz++;
}

static void fsize_limit_signals(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct rlimit rl = {8192, 8192};
		int fd = open(h_path("limited"), O_RDWR | O_CREAT | O_TRUNC, 0600);

		signal(SIGXFSZ, on_xfsz);
		if (fd < 0 || setrlimit(RLIMIT_FSIZE, &rl) < 0)
			_exit(10);
		if (fallocate(fd, 0, 0, 4096) != 0)
			_exit(11);
		if (fallocate(fd, 0, 0, 16384) != -1 || errno != EFBIG || g_xfsz != 1)
			_exit(12);
		_exit(fstat(fd, &(struct stat){0}) == 0 ? 0 : 13);
	}
	CHECK_EQ(h_wait(pid), 0);
	struct stat st;
	CHECK_OK(stat(h_path("limited"), &st));
	CHECK_EQ(st.st_size, 4096);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	strcpy(g_shm, "/dev/shm/runsc-falloc-XXXXXX");
	if (!mkdtemp(g_shm)) {
		perror("mkdtemp /dev/shm");
		return 2;
	}
	RUN(bad_arguments);
	RUN(allocate_extends_size);
	RUN(punch_hole_zeroes);
	RUN(tmpfs_modes);
	RUN(zero_range_by_filesystem);
	RUN(punch_reaches_mappings);
	RUN(memfd_seals);
	RUN(fsize_limit_signals);
	h_rm_tree(g_shm);
	return h_end();
}
