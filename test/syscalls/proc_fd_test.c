/* /proc/self/fd and fdinfo: listings, link targets (paths, pipes, deleted files), the
 * link modes, and reopening through the links (a new description; pipes shared). */
#include "harness.h"

static ssize_t link_of(int fd, char *buf, size_t size)
{
	char path[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, buf, size - 1);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

static void fd_dir_lists_open_fds(void)
{
	int fd = CHECK_OK(open("/dev/null", O_RDONLY));
	bool seen_fd = false, seen_dirfd = false;
	DIR *d = opendir("/proc/self/fd");
	struct dirent *de;
	char want[16];

	snprintf(want, sizeof(want), "%d", fd);
	CHECK(d != NULL);
	while (d && (de = readdir(d))) {
		seen_fd |= !strcmp(de->d_name, want) && de->d_type == DT_LNK;
		seen_dirfd |= atoi(de->d_name) == dirfd(d);
	}
	if (d)
		closedir(d);
	CHECK(seen_fd);
	CHECK(seen_dirfd);
	close(fd);
	CHECK_ERR(readlink("/proc/self/fd/999", want, sizeof(want)), ENOENT);
}

static void links_name_files_and_pipes(void)
{
	char buf[PATH_MAX], want[64];
	int p[2], fd;
	struct stat st;

	fd = CHECK_OK(open("/dev/null", O_RDONLY));
	CHECK(link_of(fd, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, "/dev/null");
	close(fd);
	CHECK_OK(pipe(p));
	CHECK_OK(fstat(p[0], &st));
	snprintf(want, sizeof(want), "pipe:[%lu]", (unsigned long)st.st_ino);
	CHECK(link_of(p[0], buf, sizeof(buf)) > 0);
	CHECK_STR(buf, want);
	CHECK(link_of(p[1], buf, sizeof(buf)) > 0);
	CHECK_STR(buf, want);
	close(p[0]);
	close(p[1]);
	fd = CHECK_OK(open(h_path("gone"), O_CREAT | O_RDWR, 0600));
	CHECK_OK(unlink(h_path("gone")));
	snprintf(want, sizeof(want), "%s (deleted)", h_path("gone"));
	CHECK(link_of(fd, buf, sizeof(buf)) > 0);
	CHECK_STR(buf, want);
	close(fd);
}

static void link_modes_follow_access(void)
{
	char path[64];
	struct stat st;
	int r = CHECK_OK(open("/dev/null", O_RDONLY)), w = CHECK_OK(open("/dev/null", O_WRONLY));

	snprintf(path, sizeof(path), "/proc/self/fd/%d", r);
	CHECK_OK(lstat(path, &st));
	CHECK_EQ(st.st_mode, S_IFLNK | 0500);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", w);
	CHECK_OK(lstat(path, &st));
	CHECK_EQ(st.st_mode, S_IFLNK | 0300);
	close(r);
	close(w);
}

static void reopen_gives_new_description(void)
{
	char path[64], buf[8];
	int fd = CHECK_OK(open(h_make_file("data", "hello"), O_RDONLY)), fd2;
	struct stat a, b;

	CHECK_EQ(read(fd, buf, 2), 2);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	fd2 = CHECK_OK(open(path, O_RDONLY));
	CHECK_EQ(read(fd2, buf, 5), 5); /* its own offset, from 0 */
	CHECK_MEM(buf, "hello", 5);
	CHECK_OK(fstat(fd, &a));
	CHECK_OK(fstat(fd2, &b));
	CHECK_EQ(a.st_ino, b.st_ino);
	close(fd);
	close(fd2);
}

static void reopen_pipe_shares_the_pipe(void)
{
	char path[64], buf[8];
	int p[2], w2;

	CHECK_OK(pipe(p));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[1]);
	w2 = CHECK_OK(open(path, O_WRONLY));
	CHECK_EQ(write(w2, "abc", 3), 3);
	close(w2);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 3);
	CHECK_MEM(buf, "abc", 3);
	/* The original write end still holds the pipe open: no EOF yet. */
	CHECK_OK(fcntl(p[0], F_SETFL, O_NONBLOCK));
	CHECK_ERR(read(p[0], buf, sizeof(buf)), EAGAIN);
	close(p[1]);
	CHECK_EQ(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
}

static void dev_fd_links_reach_stdio(void)
{
	char buf[PATH_MAX];
	struct stat a, b;

	CHECK(readlink("/dev/fd", buf, sizeof(buf)) > 0);
	CHECK_OK(stat("/dev/stdout", &a));
	CHECK_OK(fstat(1, &b));
	CHECK_EQ(a.st_mode & S_IFMT, b.st_mode & S_IFMT);
}

static void fdinfo_shows_pos_and_flags(void)
{
	char path[64], buf[512];
	int fd = CHECK_OK(open(h_make_file("info", "0123456789"), O_RDONLY | O_CLOEXEC)), fi;
	ssize_t n;
	unsigned long long pos;
	unsigned flags;

	CHECK_OK(lseek(fd, 4, SEEK_SET));
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	fi = CHECK_OK(open(path, O_RDONLY));
	n = read(fi, buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_EQ(sscanf(buf, "pos:\t%llu\nflags:\t%o", &pos, &flags), 2);
	CHECK_EQ(pos, 4);
	CHECK(flags & O_CLOEXEC);
	CHECK_EQ(flags & O_ACCMODE, O_RDONLY);
	CHECK(strstr(buf, "\nmnt_id:\t") != NULL);
	close(fi);
	close(fd);
}

static void cwd_and_root_links(void)
{
	char buf[PATH_MAX], cwd[PATH_MAX];
	ssize_t n;

	CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
	n = readlink("/proc/self/cwd", buf, sizeof(buf) - 1);
	CHECK(n > 0);
	buf[n > 0 ? n : 0] = '\0';
	CHECK_STR(buf, cwd);
	CHECK_EQ(readlink("/proc/self/root", buf, sizeof(buf)), 1);
	CHECK_OK(chdir("/proc/self/cwd"));
	CHECK(getcwd(buf, sizeof(buf)) != NULL);
	CHECK_STR(buf, cwd);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(fd_dir_lists_open_fds);
	RUN(links_name_files_and_pipes);
	RUN(link_modes_follow_access);
	RUN(reopen_gives_new_description);
	RUN(reopen_pipe_shares_the_pipe);
	RUN(dev_fd_links_reach_stdio);
	RUN(fdinfo_shows_pos_and_flags);
	RUN(cwd_and_root_links);
	return h_end();
}
