/* vfs_test_util.h: a fresh VFS (tmpfs root, /dev, /tmp) and a fake task for the VFS unit
 * tests, which drive the kernel-side API directly without running an application. */
#ifndef RUNSC_TEST_UNIT_VFS_TEST_UTIL_H
#define RUNSC_TEST_UNIT_VFS_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

static struct thread_group g_vt_tg;
static struct task g_vt;

/* A new sandbox tree and a root task with cwd "/" and umask 022. */
static inline int vt_setup(void **state)
{
	struct vfs_config cfg = {.root_gofer_fd = -1, .tmp_tmpfs = true};
	static bool memfile_ready;

	/* tmpfs keeps file data in the memory file. */
	if (!memfile_ready) {
		if (memfile_init() < 0)
			return -1;
		memfile_ready = true;
	}
	vfs_reset_for_test();
	if (vfs_init(&cfg) < 0)
		return -1;
	memset(&g_vt, 0, sizeof(g_vt));
	memset(&g_vt_tg, 0, sizeof(g_vt_tg));
	g_vt.tg = &g_vt_tg;
	caps_init(&g_vt.creds); /* root's full capabilities, as a real root task has */
	g_vt_tg.rlim[RLIMIT_NOFILE].rlim_cur = 1024;
	g_vt.fs = fs_context_new_root();
	g_vt.files = fdtable_new();
	return 0;
}

static inline int vt_teardown(void **state)
{
	fdtable_put(g_vt.files);
	fs_context_put(g_vt.fs);
	return 0;
}

static inline void vt_as_user(uid_t uid, gid_t gid)
{
	g_vt.creds.uid = g_vt.creds.euid = g_vt.creds.fsuid = uid;
	g_vt.creds.gid = g_vt.creds.egid = g_vt.creds.fsgid = gid;
	caps_init(&g_vt.creds);
}

/* open(2) as the fake task: returns an fd or -errno. */
static inline int vt_open(const char *path, int flags, uint32_t mode)
{
	struct file *f;
	int ret = vfs_openat(&g_vt, AT_FDCWD, path, flags, mode, &f);

	if (ret < 0)
		return ret;
	ret = fdtable_alloc(&g_vt, g_vt.files, f, 0, flags & O_CLOEXEC);
	file_put(f);
	return ret;
}

static inline struct file *vt_file(int fd)
{
	struct file *f = fdtable_get(g_vt.files, fd);

	file_put(f); /* the table still holds it */
	return f;
}

static inline int vt_close(int fd)
{
	return fdtable_close(g_vt.files, fd);
}

/* Create path with contents; returns 0 or -errno. */
static inline int vt_write_file(const char *path, const char *data)
{
	int fd = vt_open(path, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = vfs_write(&g_vt, vt_file(fd), data, strlen(data));
	vt_close(fd);
	return n < 0 ? (int)n : 0;
}

/* Read the whole file (up to size-1 bytes) into buf, NUL-terminated; returns bytes. */
static inline ssize_t vt_read_file(const char *path, char *buf, size_t size)
{
	int fd = vt_open(path, O_RDONLY, 0);
	ssize_t n;

	if (fd < 0)
		return fd;
	n = vfs_pread(&g_vt, vt_file(fd), buf, size - 1, 0);
	vt_close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static inline int vt_stat(const char *path, struct kstat *st)
{
	return vfs_statat(&g_vt, AT_FDCWD, path, 0, st);
}

static inline int vt_lstat(const char *path, struct kstat *st)
{
	return vfs_statat(&g_vt, AT_FDCWD, path, AT_SYMLINK_NOFOLLOW, st);
}

static inline int vt_exists(const char *path)
{
	struct kstat st;

	return vt_lstat(path, &st);
}

#endif
