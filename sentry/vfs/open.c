/* open.c: open/openat/creat semantics (O_CREAT/O_EXCL/O_TRUNC/O_DIRECTORY/O_NOFOLLOW/
 * O_PATH/O_TMPFILE, permission and read-only checks) and the execve open. */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/lease.h"

#define KERNEL_O_LARGEFILE 0100000 /* glibc defines O_LARGEFILE as 0 on x86-64 */
#define KERNEL_O_TMPFILE_BIT 020000000 /* glibc's __O_TMPFILE includes O_DIRECTORY */

/* The flags F_GETFL reports afterwards. */
static int kept_flags(int flags)
{
	return (flags & (O_ACCMODE | O_APPEND | O_NONBLOCK | O_DSYNC | O_SYNC | O_DIRECT |
			 O_NOATIME | O_ASYNC | O_PATH | O_DIRECTORY | O_NOFOLLOW)) |
	       KERNEL_O_LARGEFILE;
}

/* Permission and type checks for opening an existing object. */
static int may_open(struct task *t, struct path *p, int flags)
{
	struct inode *inode = p->dentry->inode;
	int acc = flags & O_ACCMODE, mask = 0, ret;
	bool writes = acc != O_RDONLY || (flags & O_TRUNC);

	if (flags & O_PATH)
		return 0;
	if (S_ISLNK(inode->mode))
		return -ELOOP;
	if (S_ISDIR(inode->mode) && (acc != O_RDONLY || (flags & O_CREAT)))
		return -EISDIR;
	if ((S_ISCHR(inode->mode) || S_ISBLK(inode->mode)) && (p->mnt->flags & MNT_NODEV))
		return -EACCES;
	if (acc == O_RDONLY || acc == O_RDWR || acc == 3)
		mask |= MAY_READ;
	if (writes || acc == 3)
		mask |= MAY_WRITE;
	if ((mask & MAY_WRITE) && (S_ISREG(inode->mode) || S_ISDIR(inode->mode))) {
		ret = mnt_want_write(p->mnt);
		if (ret < 0)
			return ret;
	}
	ret = vfs_permission(task_fs_creds(t), p->dentry, mask);
	/* O_NOATIME is for the owner (or CAP_FOWNER): others may not hide their reads. */
	if (ret == 0 && (flags & O_NOATIME)) {
		struct kstat st;

		if (vfs_getattr(p->dentry, &st) == 0 && !vfs_is_owner(task_fs_creds(t), &st))
			ret = -EPERM;
	}
	return ret;
}

bool file_on_noexec_mount(const struct file *f)
{
	return f->path.mnt && (f->path.mnt->flags & MNT_NOEXEC);
}

static int do_truncate_open(struct path *p)
{
	struct vattr va = {.valid = VA_SIZE | VA_MTIME | VA_CTIME, .size = 0};

	if (!d_is_reg(p->dentry))
		return 0;
	vfs_now(&va.mtime);
	va.ctime = va.mtime;
	return vfsk_setattr(p->dentry, &va);
}

static int open_lookup(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
		       unsigned resolve, struct path *p, bool *created)
{
	unsigned lf = resolve;
	int ret;

	*created = false;
	if ((flags & O_CREAT) && !(flags & O_PATH))
		return vfs_lookup_creat(t, dirfd, path, flags & O_EXCL, flags & O_NOFOLLOW,
					resolve, mode & ~t->fs->umask, p, created);
	if (!(flags & O_NOFOLLOW))
		lf |= LOOKUP_FOLLOW;
	if (flags & O_DIRECTORY)
		lf |= LOOKUP_DIRECTORY;
	ret = vfs_lookupat(t, dirfd, path, lf, p);
	if (ret == 0 && (flags & O_DIRECTORY) && !d_is_dir(p->dentry)) {
		path_put(p);
		ret = -ENOTDIR;
	}
	return ret;
}

/* O_TMPFILE: an unnamed regular file in the directory path names, linkable later unless
 * O_EXCL. The checks and their order are Linux's: the flags, then the directory (ENOENT,
 * ENOTDIR), then EROFS, EACCES and a filesystem without the operation (EOPNOTSUPP). */
static int open_tmpfile(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
			unsigned resolve, struct file **out)
{
	struct path dir, tp;
	int ret;

	if ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE || (flags & O_ACCMODE) == O_RDONLY)
		return -EINVAL;
	ret = vfs_lookupat(t, dirfd, path,
			   resolve | LOOKUP_DIRECTORY | ((flags & O_NOFOLLOW) ? 0 : LOOKUP_FOLLOW),
			   &dir);
	if (ret < 0)
		return ret;
	ret = d_is_dir(dir.dentry) ? mnt_want_write(dir.mnt) : -ENOTDIR;
	if (ret == 0)
		ret = vfs_permission(task_fs_creds(t), dir.dentry, MAY_WRITE | MAY_EXEC);
	if (ret == 0)
		ret = vfsk_tmpfile(dir.dentry, mode & ~t->fs->umask, task_fs_creds(t), &tp.dentry);
	if (ret == 0) {
		tp.mnt = dir.mnt;
		if (!(flags & O_EXCL))
			tp.dentry->inode->flags |= I_LINKABLE;
		ret = vfs_open_path(&tp, kept_flags(flags) & ~O_DIRECTORY, out);
		dput(tp.dentry);
	}
	path_put(&dir);
	return ret;
}

int vfs_openat(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
	       struct file **out)
{
	return vfs_openat2(t, dirfd, path, flags, mode, 0, out);
}

int vfs_openat2(struct task *t, int dirfd, const char *path, int flags, uint32_t mode,
		unsigned resolve, struct file **out)
{
	struct path p;
	bool created;
	int ret;

	if (flags & KERNEL_O_TMPFILE_BIT)
		return open_tmpfile(t, dirfd, path, flags, mode, resolve, out);
	if ((flags & O_CREAT) && (flags & O_DIRECTORY))
		return -EINVAL;
	if (flags & O_PATH)
		flags &= O_PATH | O_CLOEXEC | O_DIRECTORY | O_NOFOLLOW;
	ret = open_lookup(t, dirfd, path, flags, mode, resolve, &p, &created);
	if (ret < 0)
		return ret;
	if (!created)
		ret = may_open(t, &p, flags);
	/* O_NOCTTY reaches the terminal opens, which clear it (F_GETFL never shows it). */
	if (ret == 0)
		ret = vfs_open_path(&p, kept_flags(flags) | (flags & O_NOCTTY), out);
	if (ret == 0) {
		(*out)->flags &= ~O_NOCTTY;
		/* Leases break before the truncation, as Linux's do_dentry_open. */
		if (!(flags & O_PATH))
			ret = lease_break(t, *out, flags & O_TRUNC, flags & O_NONBLOCK);
		if (ret == 0 && !created && (flags & O_TRUNC) && !(flags & O_PATH))
			ret = do_truncate_open(&p);
		if (ret < 0)
			file_put(*out);
	}
	path_put(&p);
	return ret;
}

int vfs_open_exec(struct task *t, const char *path, struct file **out)
{
	return vfs_open_exec_at(t, AT_FDCWD, path, 0, out);
}

int vfs_open_exec_at(struct task *t, int dirfd, const char *path, int at_flags,
		     struct file **out)
{
	struct path p;
	unsigned lf = (at_flags & AT_SYMLINK_NOFOLLOW ? 0 : LOOKUP_FOLLOW) |
		      (at_flags & AT_EMPTY_PATH ? LOOKUP_EMPTY : 0);
	int ret = vfs_lookupat(t, dirfd, path, lf, &p);

	/* execveat with AT_SYMLINK_NOFOLLOW on a symlink: ELOOP, as Linux. */
	if (ret == 0 && (at_flags & AT_SYMLINK_NOFOLLOW) && S_ISLNK(p.dentry->inode->mode)) {
		path_put(&p);
		return -ELOOP;
	}
	if (ret < 0)
		return ret;
	if (!d_is_reg(p.dentry) || (p.mnt->flags & MNT_NOEXEC))
		ret = -EACCES;
	else
		ret = vfs_permission(task_fs_creds(t), p.dentry, MAY_EXEC);
	if (ret == 0)
		ret = vfs_open_path(&p, O_RDONLY | KERNEL_O_LARGEFILE, out);
	path_put(&p);
	return ret;
}

bool vfs_exec_readable(struct task *t, struct file *f)
{
	return !f->path.dentry || vfs_permission(task_fs_creds(t), f->path.dentry, MAY_READ) == 0;
}
