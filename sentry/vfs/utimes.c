/* utimes.c: utimensat (timestamps with UTIME_NOW/UTIME_OMIT) and statfs/fstatfs. */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/mount.h"

#define PIPEFS_MAGIC 0x50495045
#define ST_VALID_BIT 0x0020 /* f_flags is valid (Linux ST_VALID) */

static bool ts_valid(const struct timespec *ts)
{
	return ts->tv_nsec == UTIME_NOW || ts->tv_nsec == UTIME_OMIT ||
	       (ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000L);
}

static int utimes_path(struct task *t, struct path *p, const struct timespec *times)
{
	const struct creds *c = task_fs_creds(t);
	struct vattr va = {.valid = VA_CTIME};
	bool only_now = !times || (times[0].tv_nsec == UTIME_NOW && times[1].tv_nsec == UTIME_NOW);
	struct timespec now;
	struct kstat st;
	int ret;

	ret = mnt_want_write(p->mnt);
	if (ret == 0)
		ret = vfs_getattr(p->dentry, &st);
	if (ret < 0)
		return ret;
	if (!vfs_is_owner(c, &st)) {
		if (!only_now)
			return -EPERM;
		ret = vfs_permission(c, p->dentry, MAY_WRITE);
		if (ret < 0)
			return ret;
	}
	vfs_now(&now);
	va.ctime = va.atime = va.mtime = now;
	if (!times || times[0].tv_nsec != UTIME_OMIT)
		va.valid |= VA_ATIME;
	if (!times || times[1].tv_nsec != UTIME_OMIT)
		va.valid |= VA_MTIME;
	if (times && times[0].tv_nsec != UTIME_NOW)
		va.atime = times[0];
	if (times && times[1].tv_nsec != UTIME_NOW)
		va.mtime = times[1];
	return vfsk_setattr(p->dentry, &va);
}

int vfs_utimensat(struct task *t, int dirfd, const char *path, const struct timespec *times,
		  int flags)
{
	struct path p;
	struct file *f;
	int ret;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (times && (!ts_valid(&times[0]) || !ts_valid(&times[1])))
		return -EINVAL;
	if (times && times[0].tv_nsec == UTIME_OMIT && times[1].tv_nsec == UTIME_OMIT)
		return 0;
	if (!path || (!path[0] && (flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD)) {
		f = fdtable_get(t->files, dirfd);
		if (!f)
			return -EBADF;
		if (!f->path.dentry) {
			file_put(f);
			return -EPERM; /* anonymous files: not supported */
		}
		p = f->path;
		path_get(&p);
		file_put(f);
	} else {
		ret = vfs_lookupat(t, dirfd, path,
				   ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
					   ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
				   &p);
		if (ret < 0)
			return ret;
	}
	ret = utimes_path(t, &p, times);
	path_put(&p);
	return ret;
}

static int statfs_dentry(struct mount *m, struct dentry *d, struct statfs *st)
{
	struct super_block *sb = d->sb;
	int ret = 0;

	memset(st, 0, sizeof(*st));
	st->f_type = (typeof(st->f_type))sb->magic;
	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_namelen = VFS_NAME_MAX;
	st->f_fsid.__val[0] = (int)sb->dev;
	if (sb->ops && sb->ops->statfs)
		ret = sb->ops->statfs(sb, st);
	st->f_flags = ST_VALID_BIT | mnt_statfs_flags(m);
	return ret;
}

int vfs_statfs_path(struct task *t, const char *path, struct statfs *st)
{
	struct path p;
	int ret = vfs_lookupat(t, AT_FDCWD, path, LOOKUP_FOLLOW, &p);

	if (ret < 0)
		return ret;
	ret = statfs_dentry(p.mnt, p.dentry, st);
	path_put(&p);
	return ret;
}

int vfs_fstatfs(struct file *f, struct statfs *st)
{
	if (f->path.dentry)
		return statfs_dentry(f->path.mnt, f->path.dentry, st);
	memset(st, 0, sizeof(*st));
	st->f_type = PIPEFS_MAGIC;
	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_namelen = VFS_NAME_MAX;
	st->f_flags = ST_VALID_BIT;
	return 0;
}
