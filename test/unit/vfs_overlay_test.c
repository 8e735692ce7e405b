/* vfs_overlay_test.c: the overlay over a read-only lower (a tmpfs stands in for the gofer
 * root): reads fall through, writes copy up (data, mode, owner, times) and never reach
 * the lower, deletions leave whiteouts, new dirs over deleted ones are opaque, readdir
 * merges both layers. /lower shows the lower layer itself, /ovl the overlay. */
#include "test/unit/vfs_test_util.h"

#include <dirent.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

static struct mount *mount_at(const char *dir, struct super_block *sb)
{
	struct path p;
	struct mount *m;

	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, dir, 0755), 0);
	assert_int_equal(vfs_lookupat(&g_vt, AT_FDCWD, dir, LOOKUP_FOLLOW, &p), 0);
	m = vfs_mount(&p, sb, 0);
	path_put(&p);
	return m;
}

static int ovl_setup(void **state)
{
	struct timespec times[2] = {{111, 0}, {222, 0}};
	struct super_block *lower = tmpfs_new(0755, 0, 0);
	struct mount *lm;

	if (vt_setup(state) < 0)
		return -1;
	lm = mount_at("/lower", lower);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/lower/etc", 0755), 0);
	assert_int_equal(vt_write_file("/lower/etc/passwd", "root:x:0:0"), 0);
	assert_int_equal(vt_write_file("/lower/etc/hosts", "127.0.0.1"), 0);
	assert_int_equal(vfs_fchmodat(&g_vt, AT_FDCWD, "/lower/etc/hosts", 0604, 0), 0);
	assert_int_equal(vfs_fchownat(&g_vt, AT_FDCWD, "/lower/etc/hosts", 7, 8, 0), 0);
	assert_int_equal(vfs_utimensat(&g_vt, AT_FDCWD, "/lower/etc/hosts", times, 0), 0);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/lower/usr", 0755), 0);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/lower/usr/bin", 0755), 0);
	assert_int_equal(vt_write_file("/lower/usr/bin/sh", "#!"), 0);
	assert_int_equal(vfs_symlinkat(&g_vt, "usr/bin", AT_FDCWD, "/lower/bin"), 0);
	lm->flags |= MNT_READONLY;
	mount_at("/ovl", overlay_new(lower->root));
	return 0;
}

static void reads_fall_through_to_lower(void **state)
{
	struct kstat lst, ost;
	char buf[64];

	assert_int_equal(vt_read_file("/ovl/etc/passwd", buf, sizeof(buf)), 10);
	assert_string_equal(buf, "root:x:0:0");
	assert_int_equal(vt_read_file("/ovl/bin/sh", buf, sizeof(buf)), 2);
	assert_int_equal(vt_stat("/lower/etc/passwd", &lst), 0);
	assert_int_equal(vt_stat("/ovl/etc/passwd", &ost), 0);
	assert_int_equal(ost.ino, lst.ino);
	assert_int_not_equal(ost.dev, lst.dev);
	assert_int_equal(vt_exists("/ovl/etc/missing"), -ENOENT);
	/* The lower itself refuses writes: it is mounted read-only here. */
	assert_int_equal(vt_write_file("/lower/etc/passwd", "x"), -EROFS);
}

static void writes_copy_up_and_spare_the_lower(void **state)
{
	struct kstat before, after;
	char buf[64];
	int fd;

	assert_int_equal(vt_stat("/ovl/etc/hosts", &before), 0);
	fd = vt_open("/ovl/etc/hosts", O_WRONLY | O_APPEND, 0);
	assert_true(fd >= 0);
	/* Copy-up keeps mode, owner and times until the write changes mtime. */
	assert_int_equal(vt_stat("/ovl/etc/hosts", &after), 0);
	assert_int_equal(after.mode, S_IFREG | 0604);
	assert_int_equal(after.uid, 7);
	assert_int_equal(after.gid, 8);
	assert_int_equal(after.mtime.tv_sec, 222);
	assert_int_equal(after.ino, before.ino);
	assert_int_equal(vfs_write(&g_vt, vt_file(fd), " localhost", 10), 10);
	vt_close(fd);
	assert_int_equal(vt_read_file("/ovl/etc/hosts", buf, sizeof(buf)), 19);
	assert_string_equal(buf, "127.0.0.1 localhost");
	assert_int_equal(vt_read_file("/lower/etc/hosts", buf, sizeof(buf)), 9);
	assert_string_equal(buf, "127.0.0.1");
	/* O_TRUNC and chmod copy up too. */
	fd = vt_open("/ovl/etc/passwd", O_WRONLY | O_TRUNC, 0);
	vt_close(fd);
	assert_int_equal(vt_stat("/ovl/etc/passwd", &after), 0);
	assert_int_equal(after.size, 0);
	assert_int_equal(vfs_fchmodat(&g_vt, AT_FDCWD, "/ovl/usr/bin/sh", 0700, 0), 0);
	assert_int_equal(vt_stat("/ovl/usr/bin/sh", &after), 0);
	assert_int_equal(after.mode, S_IFREG | 0700);
	assert_int_equal(vt_stat("/lower/usr/bin/sh", &after), 0);
	assert_int_equal(after.mode, S_IFREG | 0644);
	assert_int_equal(vt_read_file("/lower/etc/passwd", buf, sizeof(buf)), 10);
	/* New files exist only in the overlay. */
	assert_int_equal(vt_write_file("/ovl/etc/new", "n"), 0);
	assert_int_equal(vt_exists("/ovl/etc/new"), 0);
	assert_int_equal(vt_exists("/lower/etc/new"), -ENOENT);
}

/* Names in dir, newline-separated and sorted by getdents order, into out. */
static int list_dir(const char *dir, char *out, size_t size)
{
	char buf[4096];
	int fd = vt_open(dir, O_RDONLY | O_DIRECTORY, 0), n = 0;
	ssize_t got;

	out[0] = '\0';
	if (fd < 0)
		return fd;
	while ((got = vfs_getdents64(&g_vt, vt_file(fd), buf, sizeof(buf))) > 0) {
		for (ssize_t off = 0; off < got;) {
			struct dirent64 *d = (struct dirent64 *)(buf + off);

			if (strcmp(d->d_name, ".") && strcmp(d->d_name, "..")) {
				strncat(out, d->d_name, size - strlen(out) - 2);
				strcat(out, " ");
				n++;
			}
			off += d->d_reclen;
		}
	}
	vt_close(fd);
	return n;
}

static void unlink_leaves_whiteouts(void **state)
{
	char names[256], buf[64];

	assert_int_equal(list_dir("/ovl/etc", names, sizeof(names)), 2);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/ovl/etc/passwd", 0), 0);
	assert_int_equal(vt_exists("/ovl/etc/passwd"), -ENOENT);
	assert_int_equal(vt_exists("/lower/etc/passwd"), 0);
	assert_int_equal(list_dir("/ovl/etc", names, sizeof(names)), 1);
	assert_string_equal(names, "hosts ");
	/* Recreating the name gives a new file with none of the lower's data. */
	assert_int_equal(vt_write_file("/ovl/etc/passwd", "new"), 0);
	assert_int_equal(vt_read_file("/ovl/etc/passwd", buf, sizeof(buf)), 3);
	assert_int_equal(list_dir("/ovl/etc", names, sizeof(names)), 2);
	/* Copied-up entries are listed once. */
	assert_int_equal(vt_write_file("/ovl/etc/hosts", "h"), 0);
	assert_int_equal(list_dir("/ovl/etc", names, sizeof(names)), 2);
}

/* The d_ino getdents gives name in dir. */
static uint64_t listed_ino(const char *dir, const char *name)
{
	char buf[4096];
	int fd = vt_open(dir, O_RDONLY | O_DIRECTORY, 0);
	uint64_t ino = 0;
	ssize_t got;

	assert_true(fd >= 0);
	while ((got = vfs_getdents64(&g_vt, vt_file(fd), buf, sizeof(buf))) > 0)
		for (ssize_t off = 0; off < got; off += ((struct dirent64 *)(buf + off))->d_reclen)
			if (!strcmp(((struct dirent64 *)(buf + off))->d_name, name))
				ino = ((struct dirent64 *)(buf + off))->d_ino;
	vt_close(fd);
	return ino;
}

/* A lower dir with nothing above it (never copied up, or copied up and emptied again) lists
 * the lower entries as they are, with the inode numbers stat gives. */
static void lower_only_and_emptied_upper_dirs(void **state)
{
	char names[256];
	struct kstat st;

	assert_int_equal(list_dir("/ovl/etc", names, sizeof(names)), 2);
	assert_int_equal(vt_stat("/ovl/etc/hosts", &st), 0);
	assert_int_equal(listed_ino("/ovl/etc", "hosts"), st.ino);
	/* A file made and removed again: etc is copied up, its upper dir is empty. */
	assert_int_equal(vt_write_file("/ovl/etc/tmp", "t"), 0);
	assert_int_equal(list_dir("/ovl/etc", names, sizeof(names)), 3);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/ovl/etc/tmp", 0), 0);
	assert_int_equal(list_dir("/ovl/etc", names, sizeof(names)), 2);
	assert_non_null(strstr(names, "passwd "));
	assert_non_null(strstr(names, "hosts "));
	assert_int_equal(vt_stat("/ovl/etc/hosts", &st), 0);
	assert_int_equal(listed_ino("/ovl/etc", "hosts"), st.ino);
	assert_int_equal(vt_stat("/ovl/etc", &st), 0);
	assert_int_equal(listed_ino("/ovl/etc", "."), st.ino);
}

static void rmdir_and_opaque_mkdir(void **state)
{
	char names[256];

	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/ovl/usr/bin", AT_REMOVEDIR), -ENOTEMPTY);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/ovl/usr/bin/sh", 0), 0);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/ovl/usr/bin", AT_REMOVEDIR), 0);
	assert_int_equal(vt_exists("/ovl/usr/bin"), -ENOENT);
	assert_int_equal(vt_exists("/ovl/bin/sh"), -ENOENT);
	assert_int_equal(list_dir("/ovl/usr", names, sizeof(names)), 0);
	/* A new dir where a lower one was must look empty. */
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/ovl/usr/bin", 0755), 0);
	assert_int_equal(list_dir("/ovl/usr/bin", names, sizeof(names)), 0);
	assert_int_equal(vt_exists("/ovl/usr/bin/sh"), -ENOENT);
	assert_int_equal(vt_exists("/lower/usr/bin/sh"), 0);
	/* The whole lower etc goes once its files are gone. */
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/ovl/etc/passwd", 0), 0);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/ovl/etc/hosts", 0), 0);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/ovl/etc", AT_REMOVEDIR), 0);
	assert_int_equal(list_dir("/ovl", names, sizeof(names)), 2);
}

static void rename_on_the_merged_view(void **state)
{
	char buf[64], names[256];

	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/ovl/etc/passwd", AT_FDCWD,
				       "/ovl/passwd.bak", 0), 0);
	assert_int_equal(vt_exists("/ovl/etc/passwd"), -ENOENT);
	assert_int_equal(vt_read_file("/ovl/passwd.bak", buf, sizeof(buf)), 10);
	assert_string_equal(buf, "root:x:0:0");
	assert_int_equal(vt_exists("/lower/etc/passwd"), 0);
	/* Over an existing lower file: the upper copy hides it. */
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/ovl/passwd.bak", AT_FDCWD,
				       "/ovl/etc/hosts", 0), 0);
	assert_int_equal(vt_read_file("/ovl/etc/hosts", buf, sizeof(buf)), 10);
	assert_int_equal(list_dir("/ovl/etc", names, sizeof(names)), 1);
	/* Directories with lower contents cannot move (as Linux without redirect_dir). */
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/ovl/usr", AT_FDCWD, "/ovl/usr2", 0),
			 -EXDEV);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/ovl/newdir", 0755), 0);
	assert_int_equal(vt_write_file("/ovl/newdir/x", "x"), 0);
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/ovl/newdir", AT_FDCWD, "/ovl/nd2", 0),
			 0);
	assert_int_equal(vt_exists("/ovl/nd2/x"), 0);
	/* Symlinks and hard links. */
	assert_int_equal(vfs_symlinkat(&g_vt, "etc/hosts", AT_FDCWD, "/ovl/hl"), 0);
	assert_int_equal(vt_read_file("/ovl/hl", buf, sizeof(buf)), 10);
	assert_int_equal(vfs_linkat(&g_vt, AT_FDCWD, "/ovl/bin/sh", AT_FDCWD, "/ovl/sh2", 0), 0);
	assert_int_equal(vt_read_file("/ovl/sh2", buf, sizeof(buf)), 2);
}

/* RENAME_EXCHANGE copies both sides up; the names stay hidden from the lower afterwards,
 * and removing either name later leaves a whiteout for whatever the lower has there. */
static void exchange_on_the_merged_view(void **state)
{
	char buf[64];
	struct kstat lst, ost;

	assert_int_equal(vt_write_file("/ovl/newfile", "new"), 0);
	assert_int_equal(vt_stat("/lower/etc/passwd", &lst), 0);
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/ovl/etc/passwd", AT_FDCWD,
				       "/ovl/newfile", RENAME_EXCHANGE), 0);
	assert_int_equal(vt_read_file("/ovl/etc/passwd", buf, sizeof(buf)), 3);
	assert_string_equal(buf, "new");
	assert_int_equal(vt_read_file("/ovl/newfile", buf, sizeof(buf)), 10);
	assert_int_equal(vt_stat("/ovl/newfile", &ost), 0);
	assert_int_equal(ost.ino, lst.ino); /* the copied-up file keeps its number */
	assert_int_equal(vt_read_file("/lower/etc/passwd", buf, sizeof(buf)), 10);
	/* The upper-only file now at etc/passwd goes: the lower passwd stays hidden. */
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/ovl/etc/passwd", 0), 0);
	assert_int_equal(vt_exists("/ovl/etc/passwd"), -ENOENT);
	/* An upper directory swapped onto a lower directory's name is opaque there. */
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/ovl/mine", 0755), 0);
	assert_int_equal(vt_write_file("/ovl/mine/m", "m"), 0);
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/ovl/mine", AT_FDCWD, "/ovl/usr",
				       RENAME_EXCHANGE), -EXDEV);
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/ovl/mine", AT_FDCWD, "/ovl/etc/hosts",
				       RENAME_EXCHANGE), 0);
	assert_int_equal(vt_exists("/ovl/etc/hosts/m"), 0);
	assert_int_equal(vt_read_file("/ovl/mine", buf, sizeof(buf)), 9);
	/* The overlay keeps no whiteouts of its own. */
	assert_int_equal(vfs_renameat2(&g_vt, AT_FDCWD, "/ovl/mine", AT_FDCWD, "/ovl/w",
				       RENAME_WHITEOUT), -EINVAL);
}

/* More names than the dentry cache keeps unused: pruned overlay dentries come back from
 * their layers with the same state (copied-up data, whiteouts, opaque dirs). */
static void pruned_dentries_come_back_the_same(void **state)
{
	char name[64], buf[64];
	struct kstat st;

	assert_int_equal(vt_write_file("/ovl/etc/hosts", "changed"), 0);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/ovl/etc/passwd", 0), 0);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/ovl/usr/bin/sh", 0), 0);
	assert_int_equal(vfs_unlinkat(&g_vt, AT_FDCWD, "/ovl/usr/bin", AT_REMOVEDIR), 0);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/ovl/usr/bin", 0755), 0);
	assert_int_equal(vfs_mkdirat(&g_vt, AT_FDCWD, "/lower/many", 0755), -EROFS);
	for (int i = 0; i < 9000; i++) {
		snprintf(name, sizeof(name), "/ovl/f%d", i);
		assert_int_equal(vt_write_file(name, "x"), 0);
		assert_int_equal(vt_stat(name, &st), 0);
	}
	assert_int_equal(vt_read_file("/ovl/etc/hosts", buf, sizeof(buf)), 7);
	assert_string_equal(buf, "changed");
	assert_int_equal(vt_exists("/ovl/etc/passwd"), -ENOENT);
	assert_int_equal(vt_exists("/ovl/usr/bin/sh"), -ENOENT);
	assert_int_equal(vt_stat("/ovl/f0", &st), 0);
	assert_int_equal(vt_stat("/ovl/f8999", &st), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(reads_fall_through_to_lower, ovl_setup,
						vt_teardown),
		cmocka_unit_test_setup_teardown(writes_copy_up_and_spare_the_lower, ovl_setup,
						vt_teardown),
		cmocka_unit_test_setup_teardown(unlink_leaves_whiteouts, ovl_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(lower_only_and_emptied_upper_dirs, ovl_setup,
						vt_teardown),
		cmocka_unit_test_setup_teardown(rmdir_and_opaque_mkdir, ovl_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(rename_on_the_merged_view, ovl_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(exchange_on_the_merged_view, ovl_setup, vt_teardown),
		cmocka_unit_test_setup_teardown(pruned_dentries_come_back_the_same, ovl_setup,
						vt_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
