/* O_TMPFILE: unnamed files in a directory, named later by linkat (AT_EMPTY_PATH or a
 * /proc/self/fd link with AT_SYMLINK_FOLLOW) unless O_EXCL; the flag and path errors.
 * Every case runs on /tmp (the sandbox's overlay root) and on /dev/shm (tmpfs). */
#include "harness.h"

static char g_base[128];

static const char *bp(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ & 3];

	snprintf(b, PATH_MAX, "%s/%s", g_base, name);
	return b;
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n++;
	closedir(d);
	return n;
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

static void tmpfile_has_no_name(void)
{
	struct stat st;
	char buf[8] = {0};
	int fd;

	CHECK_OK(mkdir(bp("d"), 0755));
	fd = CHECK_OK(open(bp("d"), O_TMPFILE | O_RDWR, 0640));
	CHECK_OK(fstat(fd, &st));
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0640);
	CHECK_EQ(st.st_nlink, 0);
	CHECK_EQ(st.st_uid, geteuid());
	CHECK_EQ(write(fd, "temp", 4), 4);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	CHECK_STR(buf, "temp");
	CHECK_EQ(count_entries(bp("d")), 0);
	/* The umask applies; O_WRONLY is enough. */
	mode_t old = umask(027);
	int fd2 = CHECK_OK(open(bp("d"), O_TMPFILE | O_WRONLY, 0777));
	umask(old);
	CHECK_OK(fstat(fd2, &st));
	CHECK_EQ(st.st_mode & 07777, 0750);
	close(fd2);
	close(fd);
	CHECK_OK(rmdir(bp("d")));
}

static void proc_fd_link_reads_deleted(void)
{
	char link[64], target[PATH_MAX] = {0}, want[PATH_MAX];
	int fd = CHECK_OK(open(g_base, O_TMPFILE | O_RDWR, 0600));
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, target, sizeof(target) - 1);
	CHECK(n > 0);
	snprintf(want, sizeof(want), "%s/#", g_base);
	CHECK(strncmp(target, want, strlen(want)) == 0);
	CHECK(n > 10 && strcmp(target + n - 10, " (deleted)") == 0);
	close(fd);
}

static void linkat_empty_path_gives_a_name(void)
{
	struct stat st;
	int fd = CHECK_OK(open(g_base, O_TMPFILE | O_RDWR, 0600));

	CHECK_EQ(write(fd, "named", 5), 5);
	CHECK_OK(linkat(fd, "", AT_FDCWD, bp("named"), AT_EMPTY_PATH));
	CHECK_STR(get(bp("named")), "named");
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_nlink, 1);
	/* A second name is an ordinary link. */
	CHECK_OK(linkat(fd, "", AT_FDCWD, bp("again"), AT_EMPTY_PATH));
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_ERR(linkat(fd, "", AT_FDCWD, bp("named"), AT_EMPTY_PATH), EEXIST);
	/* Unlinked again, it cannot come back: linkable only once. */
	CHECK_OK(unlink(bp("named")));
	CHECK_OK(unlink(bp("again")));
	CHECK_ERR(linkat(fd, "", AT_FDCWD, bp("third"), AT_EMPTY_PATH), ENOENT);
	close(fd);
}

static void linkat_through_proc_fd(void)
{
	char link[64];
	int fd = CHECK_OK(open(g_base, O_TMPFILE | O_WRONLY, 0644));

	CHECK_EQ(write(fd, "via-proc", 8), 8);
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	/* Without AT_SYMLINK_FOLLOW the link itself would be linked: EXDEV across mounts. */
	CHECK_ERR(linkat(AT_FDCWD, link, AT_FDCWD, bp("p"), 0), EXDEV);
	CHECK_OK(linkat(AT_FDCWD, link, AT_FDCWD, bp("p"), AT_SYMLINK_FOLLOW));
	CHECK_STR(get(bp("p")), "via-proc");
	CHECK_OK(unlink(bp("p")));
	close(fd);
}

static void o_excl_forbids_linking(void)
{
	char link[64];
	int fd = CHECK_OK(open(g_base, O_TMPFILE | O_RDWR | O_EXCL, 0600));

	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	CHECK_ERR(linkat(fd, "", AT_FDCWD, bp("x"), AT_EMPTY_PATH), ENOENT);
	CHECK_ERR(linkat(AT_FDCWD, link, AT_FDCWD, bp("x"), AT_SYMLINK_FOLLOW), ENOENT);
	CHECK_ERR(access(bp("x"), F_OK), ENOENT);
	close(fd);
}

static void unlinked_open_file_cannot_be_relinked(void)
{
	int fd = CHECK_OK(open(bp("gone"), O_CREAT | O_RDWR, 0600));

	CHECK_OK(unlink(bp("gone")));
	CHECK_ERR(linkat(fd, "", AT_FDCWD, bp("back"), AT_EMPTY_PATH), ENOENT);
	close(fd);
}

static void errors(void)
{
	int kernel_tmpfile_bit = 020000000;

	h_make_file("reg", "");
	CHECK_OK(mkdir(bp("ro"), 0755));
	CHECK_ERR(open(g_base, O_TMPFILE | O_RDONLY, 0600), EINVAL);
	CHECK_ERR(open(g_base, O_TMPFILE | O_RDWR | O_CREAT, 0600), EINVAL);
	CHECK_ERR(open(g_base, kernel_tmpfile_bit | O_RDWR, 0600), EINVAL); /* no O_DIRECTORY */
	CHECK_ERR(open(bp("missing"), O_TMPFILE | O_RDWR, 0600), ENOENT);
	CHECK_ERR(open(bp("missing/x"), O_TMPFILE | O_RDWR, 0600), ENOENT);
	CHECK_ERR(open(h_path("reg"), O_TMPFILE | O_RDWR, 0600), ENOTDIR);
	/* A directory we may not write to, as a user without capabilities. */
	CHECK_OK(chmod(bp("ro"), 0555));
	CHECK_OK(chmod(g_base, 0711)); /* searchable on the way there */
	pid_t pid = fork();
	if (pid == 0) {
		if (setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
			_exit(3);
		errno = 0;
		_exit(open(bp("ro"), O_TMPFILE | O_RDWR, 0600) < 0 && errno == EACCES ? 0 : 4);
	}
	int status = h_wait(pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_OK(chmod(g_base, 0700));
	CHECK_OK(rmdir(bp("ro")));
	unlink(h_path("reg"));
}

/* procfs has no unnamed files. */
static void unsupported_filesystem_is_eopnotsupp(void)
{
	CHECK_ERR(open("/proc", O_TMPFILE | O_RDWR, 0600), EOPNOTSUPP);
}

static void run_all(const char *base)
{
	snprintf(g_base, sizeof(g_base), "%s", base);
	printf("# in %s\n", base);
	RUN(tmpfile_has_no_name);
	RUN(proc_fd_link_reads_deleted);
	RUN(linkat_empty_path_gives_a_name);
	RUN(linkat_through_proc_fd);
	RUN(o_excl_forbids_linking);
	RUN(unlinked_open_file_cannot_be_relinked);
	RUN(errors);
}

int main(void)
{
	char shm[64];

	h_begin();
	h_setup_tmpdir();
	run_all(g_tmpdir);
	strcpy(shm, "/dev/shm/runsc-tmpfile-XXXXXX");
	if (!mkdtemp(shm)) {
		perror("mkdtemp /dev/shm");
		return 2;
	}
	run_all(shm);
	h_rm_tree(shm);
	RUN(unsupported_filesystem_is_eopnotsupp);
	return h_end();
}
