/* POSIX record locks (F_SETLK/F_SETLKW/F_GETLK) and OFD locks (F_OFD_*): ranges,
 * splitting and merging, per-process ownership, release on any close, blocking waits,
 * deadlock detection. */
#include "harness.h"

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};

	return fcntl(fd, cmd, &fl);
}

/* F_GETLK for a write lock over [start, start+len): the conflicting lock's fields. */
static struct flock getlk(int fd, int cmd, off_t start, off_t len)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = start,
			   .l_len = len};

	if (fcntl(fd, cmd, &fl) < 0)
		fl.l_type = -1;
	return fl;
}

/* Run fn(fd of path) in a child; return its exit code. */
static int in_child(const char *path, int (*fn)(int fd))
{
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(fn(open(path, O_RDWR)));
	return WEXITSTATUS(h_wait(pid));
}

static int try_write_0_10(int fd)
{
	if (setlk(fd, F_SETLK, F_WRLCK, 0, 10) == 0)
		return 0;
	return errno == EAGAIN ? 11 : 12;
}

static int try_read_0_10(int fd)
{
	if (setlk(fd, F_SETLK, F_RDLCK, 0, 10) == 0)
		return 0;
	return errno == EAGAIN ? 11 : 12;
}

static int try_write_5_1(int fd)
{
	if (setlk(fd, F_SETLK, F_WRLCK, 5, 1) == 0)
		return 0;
	return errno == EAGAIN ? 11 : 12;
}

static int try_write_100_1(int fd)
{
	return setlk(fd, F_SETLK, F_WRLCK, 100, 1) == 0 ? 0 : 11;
}

static void posix_lock_conflicts_with_other_process(void)
{
	const char *p = h_make_file("a", "0123456789");
	int fd = CHECK_OK(open(p, O_RDWR));
	struct flock fl;

	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 0, 10));
	CHECK_EQ(in_child(p, try_write_0_10), 11);
	CHECK_EQ(in_child(p, try_read_0_10), 11);
	CHECK_EQ(in_child(p, try_write_100_1), 0);
	/* The owner itself sees no conflict. */
	fl = getlk(fd, F_GETLK, 0, 10);
	CHECK_EQ(fl.l_type, F_UNLCK);
	CHECK_OK(setlk(fd, F_SETLK, F_RDLCK, 0, 10));
	CHECK_EQ(in_child(p, try_read_0_10), 0);
	CHECK_EQ(in_child(p, try_write_0_10), 11);
	close(fd);
}

static int getlk_child(int fd)
{
	struct flock fl = getlk(fd, F_GETLK, 0, 0);

	if (fl.l_type != F_WRLCK || fl.l_whence != SEEK_SET || fl.l_start != 2 || fl.l_len != 3)
		return 1;
	return fl.l_pid == getppid() ? 0 : 2;
}

static void posix_getlk_reports_lock_and_pid(void)
{
	const char *p = h_make_file("b", "0123456789");
	int fd = CHECK_OK(open(p, O_RDWR));

	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 2, 3));
	CHECK_EQ(in_child(p, getlk_child), 0);
	close(fd);
}

static void posix_unlock_splits_range(void)
{
	const char *p = h_make_file("c", "0123456789");
	int fd = CHECK_OK(open(p, O_RDWR));

	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 0, 0)); /* to EOF */
	CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, 5, 1));
	CHECK_EQ(in_child(p, try_write_5_1), 0);
	CHECK_EQ(in_child(p, try_write_0_10), 11);
	CHECK_EQ(in_child(p, try_write_100_1), 11);
	CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, 0, 0));
	CHECK_EQ(in_child(p, try_write_0_10), 0);
	close(fd);
}

static void posix_close_of_any_fd_releases(void)
{
	const char *p = h_make_file("d", "0123456789");
	int fd = CHECK_OK(open(p, O_RDWR)), other = CHECK_OK(open(p, O_RDONLY));

	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 0, 10));
	CHECK_EQ(in_child(p, try_write_0_10), 11);
	close(other); /* a different description of the same file */
	CHECK_EQ(in_child(p, try_write_0_10), 0);
	close(fd);
}

static void posix_bad_args(void)
{
	const char *p = h_make_file("e", "0123456789");
	int ro = CHECK_OK(open(p, O_RDONLY)), wo = CHECK_OK(open(p, O_WRONLY));
	struct flock fl = {.l_type = F_RDLCK, .l_whence = 7};

	CHECK_ERR(setlk(ro, F_SETLK, F_WRLCK, 0, 1), EBADF);
	CHECK_ERR(setlk(wo, F_SETLK, F_RDLCK, 0, 1), EBADF);
	CHECK_ERR(setlk(ro, F_SETLK, 42, 0, 1), EINVAL);
	CHECK_ERR(setlk(ro, F_SETLK, F_RDLCK, -5, 1), EINVAL);
	CHECK_ERR(fcntl(ro, F_SETLK, &fl), EINVAL);
	fl.l_whence = SEEK_SET;
	fl.l_type = F_UNLCK;
	CHECK_ERR(fcntl(ro, F_GETLK, &fl), EINVAL);
	CHECK_ERR(fcntl(ro, F_SETLK, (void *)8), EFAULT);
	close(ro);
	close(wo);
}

static void posix_setlkw_waits_for_unlock(void)
{
	const char *p = h_make_file("f", "0123456789");
	int fd = CHECK_OK(open(p, O_RDWR)), sync[2];
	pid_t pid;
	char c;

	CHECK_OK(pipe(sync));
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 0, 10));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int cfd = open(p, O_RDWR);

		write(sync[1], "r", 1);
		_exit(setlk(cfd, F_SETLKW, F_WRLCK, 0, 10) == 0 ? 0 : 1);
	}
	CHECK_EQ(read(sync[0], &c, 1), 1);
	usleep(50000);
	CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, 0, 10));
	CHECK_EQ(h_wait(pid), 0);
	close(sync[0]);
	close(sync[1]);
	close(fd);
}

static void posix_setlkw_detects_deadlock(void)
{
	const char *p = h_make_file("g", "0123456789");
	int fd = CHECK_OK(open(p, O_RDWR)), sync[2];
	pid_t pid;
	char c;

	CHECK_OK(pipe(sync));
	CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 0, 1));
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		int cfd = open(p, O_RDWR);

		setlk(cfd, F_SETLK, F_WRLCK, 1, 1);
		write(sync[1], "r", 1);
		/* Waits for the parent's byte 0; the parent then asks for byte 1. */
		_exit(setlk(cfd, F_SETLKW, F_WRLCK, 0, 1) == 0 ? 0 : 1);
	}
	CHECK_EQ(read(sync[0], &c, 1), 1);
	usleep(100000);
	CHECK_ERR(setlk(fd, F_SETLKW, F_WRLCK, 1, 1), EDEADLK);
	CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, 0, 1));
	CHECK_EQ(h_wait(pid), 0);
	close(sync[0]);
	close(sync[1]);
	close(fd);
}

static void ofd_locks_belong_to_the_description(void)
{
	const char *p = h_make_file("h", "0123456789");
	int a = CHECK_OK(open(p, O_RDWR)), b = CHECK_OK(open(p, O_RDWR));
	int a2 = CHECK_OK(dup(a));
	struct flock fl;

	CHECK_OK(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 10));
	CHECK_ERR(setlk(b, F_OFD_SETLK, F_WRLCK, 5, 1), EAGAIN);
	CHECK_OK(setlk(a2, F_OFD_SETLK, F_WRLCK, 5, 1)); /* same description */
	/* A POSIX lock of this same process conflicts with the OFD lock too. */
	CHECK_ERR(setlk(b, F_SETLK, F_WRLCK, 0, 1), EAGAIN);
	fl = getlk(b, F_OFD_GETLK, 0, 0);
	CHECK_EQ(fl.l_type, F_WRLCK);
	CHECK_EQ(fl.l_pid, -1);
	CHECK_EQ(fl.l_start, 0);
	CHECK_EQ(fl.l_len, 10);
	close(a2); /* not the last reference: still locked */
	CHECK_ERR(setlk(b, F_OFD_SETLK, F_WRLCK, 0, 1), EAGAIN);
	close(a);
	CHECK_OK(setlk(b, F_OFD_SETLK, F_WRLCK, 0, 1));
	close(b);
}

static void ofd_requires_zero_pid(void)
{
	const char *p = h_make_file("i", "0123456789");
	int a = CHECK_OK(open(p, O_RDWR));
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_pid = 1};

	CHECK_ERR(fcntl(a, F_OFD_SETLK, &fl), EINVAL);
	CHECK_ERR(fcntl(a, F_OFD_GETLK, &fl), EINVAL);
	close(a);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(posix_lock_conflicts_with_other_process);
	RUN(posix_getlk_reports_lock_and_pid);
	RUN(posix_unlock_splits_range);
	RUN(posix_close_of_any_fd_releases);
	RUN(posix_bad_args);
	RUN(posix_setlkw_waits_for_unlock);
	RUN(posix_setlkw_detects_deadlock);
	RUN(ofd_locks_belong_to_the_description);
	RUN(ofd_requires_zero_pid);
	return h_end();
}
