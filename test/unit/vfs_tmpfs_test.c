/* vfs_tmpfs_test.c: tmpfs files (read/write/seek/truncate/append, sparse data, sizes and
 * blocks), timestamps, links, getdents64 resumption, /dev devices and the fd table. */
#include "test/unit/vfs_test_util.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static void read_write_seek(void **state)
{
	char buf[64];
	struct file *f;
	struct kstat st;
	int fd = vt_open("/f", O_CREAT | O_RDWR, 0644);

	assert_true(fd >= 0);
	f = vt_file(fd);
	assert_int_equal(vfs_write(&g_vt, f, "hello world", 11), 11);
	assert_int_equal(vfs_lseek(f, 0, SEEK_CUR), 11);
	assert_int_equal(vfs_lseek(f, 6, SEEK_SET), 6);
	assert_int_equal(vfs_read(&g_vt, f, buf, sizeof(buf)), 5);
	assert_memory_equal(buf, "world", 5);
	assert_int_equal(vfs_read(&g_vt, f, buf, sizeof(buf)), 0);
	assert_int_equal(vfs_pread(&g_vt, f, buf, 5, 0), 5);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(vfs_lseek(f, -1, SEEK_END), 10);
	assert_int_equal(vfs_lseek(f, -100, SEEK_CUR), -EINVAL);
	assert_int_equal(vfs_lseek(f, 0, 99), -EINVAL);
	assert_int_equal(vfs_lseek(f, 3, SEEK_DATA), 3);
	assert_int_equal(vfs_lseek(f, 3, SEEK_HOLE), 11);
	assert_int_equal(vfs_lseek(f, 11, SEEK_DATA), -ENXIO);
	/* Writing past the end leaves a hole that reads as zeros. */
	assert_int_equal(vfs_pwrite(&g_vt, f, "!", 1, 8191), 1);
	assert_int_equal(vfs_fstat(f, &st), 0);
	assert_int_equal(st.size, 8192);
	assert_int_equal(st.blocks, 16);
	assert_int_equal(st.blksize, 4096);
	assert_int_equal(vfs_pread(&g_vt, f, buf, 4, 4000), 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	vt_close(fd);
	/* Read-only and write-only descriptors. */
	fd = vt_open("/f", O_RDONLY, 0);
	assert_int_equal(vfs_write(&g_vt, vt_file(fd), "x", 1), -EBADF);
	vt_close(fd);
	fd = vt_open("/f", O_WRONLY, 0);
	assert_int_equal(vfs_read(&g_vt, vt_file(fd), buf, 1), -EBADF);
	vt_close(fd);
}

static void truncate_and_append(void **state)
{
	char buf[32];
	struct kstat st;
	int fd;

	assert_int_equal(vt_write_file("/t", "0123456789"), 0);
	assert_int_equal(vfs_truncate(&g_vt, "/t", 4), 0);
	assert_int_equal(vt_read_file("/t", buf, sizeof(buf)), 4);
	assert_string_equal(buf, "0123");
	assert_int_equal(vfs_truncate(&g_vt, "/t", 8), 0);
	assert_int_equal(vt_read_file("/t", buf, sizeof(buf)), 8);
	assert_memory_equal(buf, "0123\0\0\0\0", 8);
	assert_int_equal(vfs_truncate(&g_vt, "/t", -1), -EINVAL);
	assert_int_equal(vfs_truncate(&g_vt, "/", 0), -EISDIR);
	fd = vt_open("/t", O_WRONLY | O_APPEND, 0);
	assert_int_equal(vfs_write(&g_vt, vt_file(fd), "ab", 2), 2);
	assert_int_equal(vfs_pwrite(&g_vt, vt_file(fd), "cd", 2, 0), 2); /* appends, as Linux */
	assert_int_equal(vfs_ftruncate(&g_vt, vt_file(fd), 1), 0);
	vt_close(fd);
	assert_int_equal(vt_stat("/t", &st), 0);
	assert_int_equal(st.size, 1);
	fd = vt_open("/t", O_RDONLY, 0);
	assert_int_equal(vfs_ftruncate(&g_vt, vt_file(fd), 0), -EINVAL);
	vt_close(fd);
	fd = vt_open("/t", O_WRONLY | O_TRUNC, 0);
	vt_close(fd);
	assert_int_equal(vt_stat("/t", &st), 0);
	assert_int_equal(st.size, 0);
	assert_int_equal(st.blocks, 0);
}

static void modes_times_and_links(void **state)
{
	struct timespec times[2] = {{1000, 5}, {2000, 7}};
	struct kstat st, st2;

	g_vt.fs->umask = 027;
	assert_int_equal(vt_write_file("/m", "x"), 0);
	assert_int_equal(vt_stat("/m", &st), 0);
	assert_int_equal(st.mode, S_IFREG | 0640);
	assert_int_equal(st.nlink, 1);
	assert_int_equal(vfs_utimensat(&g_vt, AT_FDCWD, "/m", times, 0), 0);
	assert_int_equal(vt_stat("/m", &st), 0);
	assert_int_equal(st.atime.tv_sec, 1000);
	assert_int_equal(st.mtime.tv_nsec, 7);
	times[0].tv_nsec = UTIME_OMIT;
	times[1].tv_nsec = UTIME_NOW;
	assert_int_equal(vfs_utimensat(&g_vt, AT_FDCWD, "/m", times, 0), 0);
	assert_int_equal(vt_stat("/m", &st), 0);
	assert_int_equal(st.atime.tv_sec, 1000);
	assert_true(st.mtime.tv_sec > 2000);
	times[0].tv_nsec = 2000000000L;
	assert_int_equal(vfs_utimensat(&g_vt, AT_FDCWD, "/m", times, 0), -EINVAL);
	assert_int_equal(vfs_fchmodat(&g_vt, AT_FDCWD, "/m", 04755, 0), 0);
	assert_int_equal(vfs_fchownat(&g_vt, AT_FDCWD, "/m", 5, 6, 0), 0);
	assert_int_equal(vt_stat("/m", &st), 0);
	assert_int_equal(st.mode, S_IFREG | 0755); /* chown dropped set-user-ID */
	assert_int_equal(st.uid, 5);
	assert_int_equal(st.gid, 6);
	/* Hard links share the inode; the data outlives the last name while open. */
	assert_int_equal(vfs_linkat(&g_vt, AT_FDCWD, "/m", AT_FDCWD, "/m2", 0), 0);
	assert_int_equal(vt_stat("/m2", &st2), 0);
	assert_int_equal(st2.ino, st.ino);
	assert_int_equal(st2.nlink, 2);
	int fd = vt_open("/m2", O_RDONLY, 0);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/m", 0), 0);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/m2", 0), 0);
	assert_int_equal(vfs_fstat(vt_file(fd), &st2), 0);
	assert_int_equal(st2.nlink, 0);
	char c;
	assert_int_equal(vfs_read(&g_vt, vt_file(fd), &c, 1), 1);
	assert_int_equal(c, 'x');
	vt_close(fd);
	/* Directory link counts and sizes. */
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/d", 0755), 0);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/d/s1", 0755), 0);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/d/s2", 0755), 0);
	assert_int_equal(vt_stat("/d", &st), 0);
	assert_int_equal(st.nlink, 4);
	assert_int_equal(st.size, 80);
}

/* Read all of dir with getdents64 in calls of bufsize bytes; count names and check one. */
static int count_entries(const char *dir, size_t bufsize, bool *saw_dot, bool *saw_f7)
{
	char *buf = malloc(bufsize);
	int fd = vt_open(dir, O_RDONLY | O_DIRECTORY, 0), n = 0;
	ssize_t got;

	*saw_dot = *saw_f7 = false;
	while ((got = vfs_getdents64(&g_vt, vt_file(fd), buf, bufsize)) > 0) {
		for (ssize_t off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (!strcmp(d->d_name, "."))
				*saw_dot = d->d_type == DT_DIR;
			if (!strcmp(d->d_name, "f7"))
				*saw_f7 = d->d_type == DT_REG;
			n++;
			off += d->d_reclen;
		}
	}
	vt_close(fd);
	free(buf);
	return got < 0 ? (int)got : n;
}

static void getdents_resumes_with_small_buffers(void **state)
{
	char name[32], buf[16];
	bool dot, f7;
	int fd;

	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/dir", 0755), 0);
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "/dir/f%d", i);
		assert_int_equal(vt_write_file(name, "x"), 0);
	}
	assert_int_equal(count_entries("/dir", 32, &dot, &f7), 52);
	assert_true(dot && f7);
	assert_int_equal(count_entries("/dir", 4096, &dot, &f7), 52);
	fd = vt_open("/dir", O_RDONLY | O_DIRECTORY, 0);
	assert_int_equal(vfs_getdents64(&g_vt, vt_file(fd), buf, sizeof(buf)), -EINVAL);
	assert_int_equal(vfs_read(&g_vt, vt_file(fd), buf, 1), -EISDIR);
	vt_close(fd);
	fd = vt_open("/dir/f1", O_RDONLY, 0);
	assert_int_equal(vfs_getdents64(&g_vt, vt_file(fd), buf, sizeof(buf)), -ENOTDIR);
	vt_close(fd);
}

static void dev_nodes(void **state)
{
	char buf[8] = "abcdefg";
	struct kstat st;
	int fd;

	assert_int_equal(vt_stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.mode));
	assert_int_equal(st.mode & 0777, 0666);
	fd = vt_open("/dev/null", O_RDWR, 0);
	assert_int_equal(vfs_write(&g_vt, vt_file(fd), "xyz", 3), 3);
	assert_int_equal(vfs_read(&g_vt, vt_file(fd), buf, sizeof(buf)), 0);
	vt_close(fd);
	fd = vt_open("/dev/zero", O_RDONLY, 0);
	assert_int_equal(vfs_read(&g_vt, vt_file(fd), buf, 4), 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	vt_close(fd);
	fd = vt_open("/dev/full", O_WRONLY, 0);
	assert_int_equal(vfs_write(&g_vt, vt_file(fd), "x", 1), -ENOSPC);
	vt_close(fd);
	fd = vt_open("/dev/urandom", O_RDONLY, 0);
	assert_int_equal(vfs_read(&g_vt, vt_file(fd), buf, 8), 8);
	vt_close(fd);
	assert_int_equal(vt_open("/dev/tty", O_RDWR, 0), -ENXIO);
	assert_int_equal(vt_lstat("/dev/stdout", &st), 0);
	assert_true(S_ISLNK(st.mode));
	assert_int_equal(vt_stat("/dev/shm", &st), 0);
	assert_int_equal(st.mode, S_IFDIR | 01777);
	assert_int_equal(vt_write_file("/dev/shm/seg", "s"), 0);
}

static void fd_table(void **state)
{
	struct file *f;
	int fd0, fd1;

	fd0 = vt_open("/dev/null", O_RDONLY, 0);
	fd1 = vt_open("/dev/null", O_RDONLY | O_CLOEXEC, 0);
	assert_int_equal(fd0, 0);
	assert_int_equal(fd1, 1);
	assert_int_equal(fdtable_get_cloexec(g_vt.files, fd1), 1);
	assert_int_equal(vt_close(fd0), 0);
	assert_int_equal(vt_close(fd0), -EBADF);
	assert_int_equal(vt_open("/dev/null", O_RDONLY, 0), 0); /* lowest free */
	f = fdtable_get(g_vt.files, 0);
	assert_int_equal(fdtable_install_at(g_vt.files, 7, f, false), 7);
	assert_int_equal(fdtable_alloc(&g_vt, g_vt.files, f, 5, false), 5);
	g_vt_tg.rlim[RLIMIT_NOFILE].rlim_cur = 6;
	assert_int_equal(fdtable_alloc(&g_vt, g_vt.files, f, 0, false), 2);
	assert_int_equal(fdtable_alloc(&g_vt, g_vt.files, f, 0, false), 3);
	assert_int_equal(fdtable_alloc(&g_vt, g_vt.files, f, 0, false), 4);
	assert_int_equal(fdtable_alloc(&g_vt, g_vt.files, f, 0, false), -EMFILE);
	file_put(f);
	fdtable_close_on_exec(g_vt.files);
	assert_null(fdtable_get(g_vt.files, 1));
	struct fdtable *copy = fdtable_fork(g_vt.files, false);
	f = fdtable_get(copy, 7);
	assert_non_null(f);
	file_put(f);
	fdtable_put(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(read_write_seek, vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(truncate_and_append, vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(modes_times_and_links, vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(getdents_resumes_with_small_buffers, vt_setup,
						vt_teardown),
		cmocka_unit_test_setup_teardown(dev_nodes, vt_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(fd_table, vt_setup, vt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
