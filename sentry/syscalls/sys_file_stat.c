/* sys_file_stat.c: the stat family (stat, fstat, lstat, newfstatat, statx), statfs,
 * fstatfs, access/faccessat/faccessat2 and readlink/readlinkat. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define STATX_MNT_ID_UNIQUE_BIT 0x4000U /* Linux 6.8; not in the build host's headers */

/* struct stat as x86-64 Linux lays it out (glibc's matches it field for field). */
static void kstat_to_stat(const struct kstat *ks, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_dev = ks->dev;
	st->st_ino = ks->ino;
	st->st_nlink = ks->nlink;
	st->st_mode = ks->mode;
	st->st_uid = ks->uid;
	st->st_gid = ks->gid;
	st->st_rdev = ks->rdev;
	st->st_size = (off_t)ks->size;
	st->st_blksize = ks->blksize;
	st->st_blocks = (blkcnt_t)ks->blocks;
	st->st_atim = ks->atime;
	st->st_mtim = ks->mtime;
	st->st_ctim = ks->ctime;
}

static long stat_out(struct task *t, const struct kstat *ks, uaddr_t ubuf)
{
	struct stat st;

	kstat_to_stat(ks, &st);
	return copy_to_user(t, ubuf, &st, sizeof(st));
}

static long stat_path(struct task *t, int dirfd, uaddr_t upath, int flags, uaddr_t ubuf)
{
	struct kstat ks;
	char *path = NULL;
	long ret = sys_copy_path(t, upath, &path);

	if (ret < 0)
		return ret;
	ret = vfs_statat(t, dirfd, path, flags, &ks);
	free(path);
	if (ret == 0)
		ret = stat_out(t, &ks, ubuf);
	return ret;
}

long sys_stat(struct task *t, const struct sysargs *a)
{
	return stat_path(t, AT_FDCWD, arg_uaddr(a, 0), 0, arg_uaddr(a, 1));
}

long sys_lstat(struct task *t, const struct sysargs *a)
{
	return stat_path(t, AT_FDCWD, arg_uaddr(a, 0), AT_SYMLINK_NOFOLLOW, arg_uaddr(a, 1));
}

long sys_newfstatat(struct task *t, const struct sysargs *a)
{
	return stat_path(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 3), arg_uaddr(a, 2));
}

long sys_fstat(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	struct kstat ks;
	long ret;

	if (!f)
		return -EBADF;
	ret = vfs_fstat(f, &ks);
	file_put(f);
	if (ret == 0)
		ret = stat_out(t, &ks, arg_uaddr(a, 1));
	return ret;
}

static void ts_to_statx(const struct timespec *ts, struct statx_timestamp *sx)
{
	sx->tv_sec = ts->tv_sec;
	sx->tv_nsec = (uint32_t)ts->tv_nsec;
}

static void kstat_to_statx(const struct kstat *ks, struct statx *sx)
{
	memset(sx, 0, sizeof(*sx));
	sx->stx_mask = STATX_BASIC_STATS | (ks->has_btime ? STATX_BTIME : 0);
	sx->stx_blksize = ks->blksize;
	sx->stx_nlink = (uint32_t)ks->nlink;
	sx->stx_uid = ks->uid;
	sx->stx_gid = ks->gid;
	sx->stx_mode = (uint16_t)ks->mode;
	sx->stx_ino = ks->ino;
	sx->stx_size = ks->size;
	sx->stx_blocks = ks->blocks;
	ts_to_statx(&ks->atime, &sx->stx_atime);
	if (ks->has_btime)
		ts_to_statx(&ks->btime, &sx->stx_btime);
	ts_to_statx(&ks->ctime, &sx->stx_ctime);
	ts_to_statx(&ks->mtime, &sx->stx_mtime);
	sx->stx_rdev_major = major(ks->rdev);
	sx->stx_rdev_minor = minor(ks->rdev);
	sx->stx_dev_major = major(ks->dev);
	sx->stx_dev_minor = minor(ks->dev);
}

/* Linux 5.8+: the mount's ID always (STATX_MNT_ID); 6.8+: the 64-bit unique one instead
 * when asked for (STATX_MNT_ID_UNIQUE). */
static void statx_mnt_id(const struct kstat *ks, unsigned mask, struct statx *sx)
{
	if (!ks->mnt_id_unique)
		return;
	if (mask & STATX_MNT_ID_UNIQUE_BIT) {
		sx->stx_mask |= STATX_MNT_ID_UNIQUE_BIT;
		sx->stx_mnt_id = ks->mnt_id_unique;
	} else {
		sx->stx_mask |= STATX_MNT_ID;
		sx->stx_mnt_id = (uint64_t)ks->mnt_id;
	}
}

long sys_statx(struct task *t, const struct sysargs *a)
{
	int dirfd = arg_int(a, 0), flags = arg_int(a, 2);
	unsigned mask = arg_uint(a, 3);
	uaddr_t upath = arg_uaddr(a, 1);
	struct statx sx;
	struct kstat ks;
	char *path = NULL;
	long ret;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT | AT_EMPTY_PATH | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if ((flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE || (mask & STATX__RESERVED))
		return -EINVAL;
	/* Linux 6.11+: a NULL path with AT_EMPTY_PATH means the fd itself. */
	if (uaddr_is_null(upath) && (flags & AT_EMPTY_PATH))
		path = xstrdup("");
	else if ((ret = sys_copy_path(t, upath, &path)) < 0)
		return ret;
	ret = vfs_statat(t, dirfd, path, flags & ~AT_STATX_SYNC_TYPE, &ks);
	free(path);
	if (ret < 0)
		return ret;
	kstat_to_statx(&ks, &sx);
	statx_mnt_id(&ks, mask, &sx);
	return copy_to_user(t, arg_uaddr(a, 4), &sx, sizeof(sx));
}

long sys_statfs(struct task *t, const struct sysargs *a)
{
	struct statfs st;
	char *path = NULL;
	long ret = sys_copy_path(t, arg_uaddr(a, 0), &path);

	if (ret < 0)
		return ret;
	ret = vfs_statfs_path(t, path, &st);
	free(path);
	if (ret == 0)
		ret = copy_to_user(t, arg_uaddr(a, 1), &st, sizeof(st));
	return ret;
}

long sys_fstatfs(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	struct statfs st;
	long ret;

	if (!f)
		return -EBADF;
	ret = vfs_fstatfs(f, &st);
	file_put(f);
	if (ret == 0)
		ret = copy_to_user(t, arg_uaddr(a, 1), &st, sizeof(st));
	return ret;
}

static long do_access(struct task *t, int dirfd, uaddr_t upath, int mode, int flags)
{
	char *path = NULL;
	long ret = sys_copy_path(t, upath, &path);

	if (ret < 0)
		return ret;
	ret = vfs_faccessat(t, dirfd, path, mode, flags);
	free(path);
	return ret;
}

long sys_access(struct task *t, const struct sysargs *a)
{
	return do_access(t, AT_FDCWD, arg_uaddr(a, 0), arg_int(a, 1), 0);
}

long sys_faccessat(struct task *t, const struct sysargs *a)
{
	return do_access(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), 0);
}

long sys_faccessat2(struct task *t, const struct sysargs *a)
{
	return do_access(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), arg_int(a, 3));
}

static long do_readlink(struct task *t, int dirfd, uaddr_t upath, uaddr_t ubuf, int size)
{
	char *path, *buf;
	long ret;

	if (size <= 0)
		return -EINVAL;
	ret = sys_copy_path(t, upath, &path);
	if (ret < 0)
		return ret;
	buf = xmalloc(VFS_PATH_MAX);
	ret = vfs_readlinkat(t, dirfd, path, buf, MIN((size_t)size, (size_t)VFS_PATH_MAX));
	if (ret > 0 && copy_to_user(t, ubuf, buf, (size_t)ret))
		ret = -EFAULT;
	free(buf);
	free(path);
	return ret;
}

long sys_readlink(struct task *t, const struct sysargs *a)
{
	return do_readlink(t, AT_FDCWD, arg_uaddr(a, 0), arg_uaddr(a, 1), arg_int(a, 2));
}

long sys_readlinkat(struct task *t, const struct sysargs *a)
{
	return do_readlink(t, arg_int(a, 0), arg_uaddr(a, 1), arg_uaddr(a, 2), arg_int(a, 3));
}
