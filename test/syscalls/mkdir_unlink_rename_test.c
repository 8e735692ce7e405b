/* mkdir/rmdir/unlink/rename: namespace changes, link counts and the exact errnos. */
#include "harness.h"

static bool exists(const char *p)
{
	struct stat st;

	return lstat(p, &st) == 0;
}

static void mkdir_creates_directory_and_bumps_parent_links(void)
{
	struct stat before, after, st;

	CHECK_OK(stat(g_tmpdir, &before));
	CHECK_OK(mkdir(h_path("d"), 0755));
	CHECK_OK(stat(h_path("d"), &st));
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_nlink, 2);
	CHECK_OK(stat(g_tmpdir, &after));
	CHECK_EQ(after.st_nlink, before.st_nlink + 1);
}

static void mkdir_errors(void)
{
	h_make_file("file", "x");
	CHECK_ERR(mkdir(h_path("d"), 0755), EEXIST);
	CHECK_ERR(mkdir(h_path("file"), 0755), EEXIST);
	CHECK_ERR(mkdir(h_path("nope/sub"), 0755), ENOENT);
	CHECK_ERR(mkdir(h_path("file/sub"), 0755), ENOTDIR);
	CHECK_ERR(mkdir("", 0755), ENOENT);
	CHECK_ERR(syscall(SYS_mkdir, 1L, 0755), EFAULT);
}

static void rmdir_removes_empty_directory(void)
{
	CHECK_OK(mkdir(h_path("gone"), 0755));
	CHECK_OK(rmdir(h_path("gone")));
	CHECK(!exists(h_path("gone")));
}

static void rmdir_errors(void)
{
	CHECK_OK(mkdir(h_path("full"), 0755));
	h_make_file("full/inside", "x");
	CHECK_ERR(rmdir(h_path("full")), ENOTEMPTY);
	CHECK_ERR(rmdir(h_path("file")), ENOTDIR);
	CHECK_ERR(rmdir(h_path("missing")), ENOENT);
	CHECK_ERR(rmdir(h_path("d/.")), EINVAL);
	CHECK_ERR(rmdir(h_path("d/..")), ENOTEMPTY);
}

static void unlink_removes_name_but_open_file_survives(void)
{
	char buf[8] = { 0 };
	int fd = CHECK_OK(open(h_make_file("tmp", "still"), O_RDONLY));
	struct stat st;

	CHECK_OK(unlink(h_path("tmp")));
	CHECK(!exists(h_path("tmp")));
	CHECK_EQ(read(fd, buf, 5), 5);
	CHECK_STR(buf, "still");
	CHECK_OK(fstat(fd, &st));
	CHECK_EQ(st.st_nlink, 0);
	close(fd);
}

static void unlink_errors(void)
{
	CHECK_ERR(unlink(h_path("missing")), ENOENT);
	CHECK_ERR(unlink(h_path("d")), EISDIR);
	CHECK_ERR(unlink(h_path("file/x")), ENOTDIR);
	CHECK_ERR(unlinkat(AT_FDCWD, h_path("file"), AT_REMOVEDIR), ENOTDIR);
	CHECK_ERR(unlinkat(AT_FDCWD, h_path("file"), 0x1), EINVAL);
}

static void unlinkat_removedir_removes_directory(void)
{
	CHECK_OK(mkdir(h_path("viaat"), 0755));
	CHECK_OK(unlinkat(AT_FDCWD, h_path("viaat"), AT_REMOVEDIR));
	CHECK(!exists(h_path("viaat")));
}

static void rename_moves_and_replaces_files(void)
{
	char buf[8] = { 0 };
	int fd;

	h_make_file("src", "new");
	h_make_file("dst", "old");
	CHECK_OK(rename(h_path("src"), h_path("dst")));
	CHECK(!exists(h_path("src")));
	fd = CHECK_OK(open(h_path("dst"), O_RDONLY));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 3);
	CHECK_STR(buf, "new");
	close(fd);
	/* Into another directory. */
	CHECK_OK(rename(h_path("dst"), h_path("d/moved")));
	CHECK(exists(h_path("d/moved")));
	/* Renaming onto itself is a no-op. */
	CHECK_OK(rename(h_path("d/moved"), h_path("d/moved")));
	CHECK(exists(h_path("d/moved")));
}

static void rename_directories(void)
{
	CHECK_OK(mkdir(h_path("r1"), 0755));
	h_make_file("r1/f", "x");
	CHECK_OK(mkdir(h_path("r2"), 0755));
	/* An empty directory may be replaced by a directory. */
	CHECK_OK(rename(h_path("r1"), h_path("r2")));
	CHECK(exists(h_path("r2/f")));
	CHECK(!exists(h_path("r1")));
}

static void rename_errors(void)
{
	CHECK_OK(mkdir(h_path("e1"), 0755));
	CHECK_ERR(rename(h_path("missing"), h_path("x")), ENOENT);
	CHECK_ERR(rename(h_path("e1"), h_path("r2")), ENOTEMPTY);
	CHECK_ERR(rename(h_path("file"), h_path("e1")), EISDIR);
	CHECK_ERR(rename(h_path("e1"), h_path("file")), ENOTDIR);
	CHECK_ERR(rename(h_path("r2"), h_path("r2/inner")), EINVAL);
	CHECK_ERR(rename(h_path("file"), h_path("nope/x")), ENOENT);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(mkdir_creates_directory_and_bumps_parent_links);
	RUN(mkdir_errors);
	RUN(rmdir_removes_empty_directory);
	RUN(rmdir_errors);
	RUN(unlink_removes_name_but_open_file_survives);
	RUN(unlink_errors);
	RUN(unlinkat_removedir_removes_directory);
	RUN(rename_moves_and_replaces_files);
	RUN(rename_directories);
	RUN(rename_errors);
	return h_end();
}
