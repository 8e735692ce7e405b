/* namei_ops.c: namespace changes: the kernel-side dentry operations (vfsk_*, no permission
 * checks, also used by the overlay on its upper layer) and mkdir/mknod/unlink/rmdir/symlink/
 * link/readlink on behalf of a task, with Linux's checks and errno order. */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <linux/capability.h>
#include <sys/inotify.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/fsnotify.h"

typedef int (*create_fn)(struct dentry *dir, struct dentry *d, const void *arg,
			 const struct creds *c);

/* Allocate a negative dentry, let the filesystem fill it, and cache it. */
static int vfsk_new(struct dentry *dir, const char *name, create_fn fn, const void *arg,
		    const struct creds *c, struct dentry **out)
{
	struct dentry *d;
	int ret;

	if (!dir->hashed)
		return -ENOENT;
	d = d_alloc(dir, name, strlen(name));
	ret = fn(dir, d, arg, c);
	if (ret < 0) {
		dput(d);
		return ret;
	}
	d_add(d);
	fsnotify_dir(dir, d, NULL, IN_CREATE, 0);
	if (out)
		*out = d;
	else
		dput(d);
	return 0;
}

struct mk_args {
	uint32_t mode;
	dev_t rdev;
	const char *target;
};

static int do_create(struct dentry *dir, struct dentry *d, const void *arg,
		     const struct creds *c)
{
	const struct mk_args *a = arg;
	const struct inode_ops *ops = dir->inode->iops;

	if (S_ISDIR(a->mode))
		return ops->mkdir ? ops->mkdir(dir, d, a->mode, c) : -EPERM;
	if (S_ISLNK(a->mode))
		return ops->symlink ? ops->symlink(dir, d, a->target, c) : -EPERM;
	if (S_ISREG(a->mode))
		return ops->create ? ops->create(dir, d, a->mode, c) : -EPERM;
	return ops->mknod ? ops->mknod(dir, d, a->mode, a->rdev, c) : -EPERM;
}

int vfsk_create(struct dentry *dir, const char *name, uint32_t mode, const struct creds *c,
		struct dentry **out)
{
	struct mk_args a = {.mode = S_IFREG | (mode & 07777)};

	return vfsk_new(dir, name, do_create, &a, c, out);
}

int vfsk_mkdir(struct dentry *dir, const char *name, uint32_t mode, const struct creds *c,
	       struct dentry **out)
{
	struct mk_args a = {.mode = S_IFDIR | (mode & 07777)};

	return vfsk_new(dir, name, do_create, &a, c, out);
}

int vfsk_mknod(struct dentry *dir, const char *name, uint32_t mode, dev_t rdev,
	       const struct creds *c, struct dentry **out)
{
	struct mk_args a = {.mode = mode, .rdev = rdev};

	return vfsk_new(dir, name, do_create, &a, c, out);
}

int vfsk_symlink(struct dentry *dir, const char *name, const char *target,
		 const struct creds *c, struct dentry **out)
{
	struct mk_args a = {.mode = S_IFLNK | 0777, .target = target};

	return vfsk_new(dir, name, do_create, &a, c, out);
}

int vfsk_tmpfile(struct dentry *dir, uint32_t mode, const struct creds *c, struct dentry **out)
{
	struct inode *inode;
	char name[32];
	int ret;

	if (!dir->inode->iops->tmpfile)
		return -EOPNOTSUPP;
	ret = dir->inode->iops->tmpfile(dir, S_IFREG | (mode & 07777), c, &inode);
	if (ret < 0)
		return ret;
	/* The name only shows in /proc/PID/fd links ("#ino (deleted)"), as Linux's. */
	snprintf(name, sizeof(name), "#%llu", (unsigned long long)inode->ino);
	*out = d_alloc(dir, name, strlen(name));
	d_instantiate(*out, inode);
	return 0;
}

int vfsk_unlink(struct dentry *dir, struct dentry *d)
{
	int ret;

	if (!dir->inode->iops->unlink)
		return -EPERM;
	ret = dir->inode->iops->unlink(dir, d);
	if (ret == 0) {
		fsnotify_delete(dir, d);
		d_drop(d);
	}
	return ret;
}

int vfsk_rmdir(struct dentry *dir, struct dentry *d)
{
	int ret;

	if (!dir->inode->iops->rmdir)
		return -EPERM;
	ret = dir->inode->iops->rmdir(dir, d);
	if (ret == 0) {
		fsnotify_delete(dir, d);
		d_drop(d);
	}
	return ret;
}

int vfsk_setattr(struct dentry *d, const struct vattr *va)
{
	int ret;

	if (!d->inode->iops->setattr)
		return -EPERM;
	ret = d->inode->iops->setattr(d, va);
	if (ret == 0)
		fsnotify_setattr(d, va);
	return ret;
}

static int first_entry(void *arg, const struct vfs_dirent *ent)
{
	*(bool *)arg = true;
	return 1;
}

int vfsk_dir_is_empty(struct dentry *dir)
{
	bool found = false;
	int ret;

	if (!dir->inode->iops->readdir)
		return 1;
	ret = dir->inode->iops->readdir(dir, first_entry, &found);
	if (ret < 0)
		return ret;
	return found ? 0 : 1;
}

int mnt_want_write(const struct mount *m)
{
	return ((m->flags & MNT_READONLY) || m->sb->rdonly) ? -EROFS : 0;
}

/* The checks every create shares: the name is free, the mount writable, the dir W+X. */
static int may_create(struct task *t, struct lookup_parent *lp)
{
	struct path p;
	int ret = vfs_lookup_last(t, lp, &p);

	if (ret == 0) {
		path_put(&p);
		return -EEXIST;
	}
	if (ret != -ENOENT)
		return ret;
	ret = mnt_want_write(lp->dir.mnt);
	if (ret < 0)
		return ret;
	return vfs_permission(task_fs_creds(t), lp->dir.dentry, MAY_WRITE | MAY_EXEC);
}

int vfs_create_checked(struct task *t, struct path *dir, const char *name, uint32_t mode,
		       struct dentry **out)
{
	int ret = mnt_want_write(dir->mnt);

	if (ret == 0)
		ret = vfs_permission(task_fs_creds(t), dir->dentry, MAY_WRITE | MAY_EXEC);
	if (ret == 0)
		ret = vfsk_create(dir->dentry, name, mode & ~t->fs->umask, task_fs_creds(t), out);
	return ret;
}

int vfs_mkdirat(struct task *t, int dirfd, const char *path, uint32_t mode)
{
	struct lookup_parent lp;
	int ret = vfs_lookup_parent(t, dirfd, path, &lp);

	if (ret < 0)
		return ret;
	if (lp.type != LAST_NORM)
		ret = -EEXIST;
	else
		ret = may_create(t, &lp);
	if (ret == 0)
		ret = vfsk_mkdir(lp.dir.dentry, lp.last, mode & 07777 & ~t->fs->umask,
				 task_fs_creds(t), NULL);
	path_put(&lp.dir);
	return ret;
}

/* mknodat: the type is checked before the path (EINVAL, or EPERM for a directory), mode 0
 * makes a regular file, and device nodes need CAP_MKNOD (a 0:0 character device, the
 * whiteout, does not). Device nodes are safe to allow: opening one reaches only the
 * devices the Sentry implements itself (chrdev_open), never a host device. */
int vfs_mknodat(struct task *t, int dirfd, const char *path, uint32_t mode, dev_t rdev)
{
	uint32_t type = mode & S_IFMT;
	struct lookup_parent lp;
	int ret;

	if (type == S_IFDIR)
		return -EPERM;
	if (type != 0 && type != S_IFREG && type != S_IFCHR && type != S_IFBLK &&
	    type != S_IFIFO && type != S_IFSOCK)
		return -EINVAL;
	if (type == 0)
		type = S_IFREG;
	if (type != S_IFCHR && type != S_IFBLK)
		rdev = 0;
	ret = vfs_lookup_parent(t, dirfd, path, &lp);
	if (ret < 0)
		return ret;
	ret = lp.type != LAST_NORM ? -EEXIST : may_create(t, &lp);
	if (ret == 0 && lp.trailing_slash)
		ret = -ENOENT;
	if (ret == 0 && (type == S_IFCHR || type == S_IFBLK) &&
	    !(type == S_IFCHR && rdev == 0) && !caps_capable(t, CAP_MKNOD))
		ret = -EPERM;
	if (ret == 0)
		ret = vfsk_mknod(lp.dir.dentry, lp.last, type | (mode & 07777 & ~t->fs->umask),
				 rdev, task_fs_creds(t), NULL);
	path_put(&lp.dir);
	return ret;
}

int vfs_symlinkat(struct task *t, const char *target, int dirfd, const char *path)
{
	struct lookup_parent lp;
	int ret;

	if (!target[0])
		return -ENOENT;
	ret = vfs_lookup_parent(t, dirfd, path, &lp);
	if (ret < 0)
		return ret;
	if (lp.type != LAST_NORM)
		ret = -EEXIST;
	else
		ret = may_create(t, &lp);
	if (ret == 0 && lp.trailing_slash)
		ret = -ENOENT;
	if (ret == 0)
		ret = vfsk_symlink(lp.dir.dentry, lp.last, target, task_fs_creds(t), NULL);
	path_put(&lp.dir);
	return ret;
}

/* The checks shared by unlink and rmdir on the victim p in lp->dir. */
static int may_delete(struct task *t, struct lookup_parent *lp, struct path *p, bool isdir)
{
	const struct creds *c = task_fs_creds(t);
	int ret;

	if (isdir && !d_is_dir(p->dentry))
		return -ENOTDIR;
	if (!isdir && d_is_dir(p->dentry))
		return -EISDIR;
	if (!isdir && lp->trailing_slash)
		return -ENOTDIR;
	ret = mnt_want_write(lp->dir.mnt);
	if (ret < 0)
		return ret;
	ret = vfs_permission(c, lp->dir.dentry, MAY_WRITE | MAY_EXEC);
	if (ret < 0)
		return ret;
	ret = vfs_check_sticky(c, lp->dir.dentry, p->dentry);
	if (ret < 0)
		return ret;
	if (p->dentry == p->mnt->root || p->dentry->mounts)
		return -EBUSY;
	return 0;
}

int vfs_unlinkat(struct task *t, int dirfd, const char *path, int flags)
{
	bool isdir = flags & AT_REMOVEDIR;
	struct lookup_parent lp;
	struct path p = {0};
	int ret;

	if (flags & ~AT_REMOVEDIR)
		return -EINVAL;
	ret = vfs_lookup_parent(t, dirfd, path, &lp);
	if (ret < 0)
		return ret;
	if (lp.type == LAST_NORM)
		ret = vfs_lookup_last(t, &lp, &p);
	else if (!isdir)
		ret = -EISDIR;
	else
		ret = lp.type == LAST_DOT ? -EINVAL : lp.type == LAST_DOTDOT ? -ENOTEMPTY : -EBUSY;
	if (ret == 0)
		ret = may_delete(t, &lp, &p, isdir);
	if (ret == 0 && isdir && !p.dentry->inode->iops->rmdir_nonempty) {
		ret = vfsk_dir_is_empty(p.dentry);
		ret = ret < 0 ? ret : ret == 0 ? -ENOTEMPTY : 0;
	}
	if (ret == 0)
		ret = isdir ? vfsk_rmdir(lp.dir.dentry, p.dentry) : vfsk_unlink(lp.dir.dentry, p.dentry);
	path_put(&p);
	path_put(&lp.dir);
	return ret;
}

/* A file with no link left (unlinked while open, or O_TMPFILE with O_EXCL) cannot get a
 * name back: ENOENT, unless it is a linkable O_TMPFILE file. */
static int may_link_unlinked(struct dentry *old)
{
	struct kstat st;
	int ret = vfs_getattr(old, &st);

	if (ret < 0)
		return ret;
	if (st.nlink == 0 && !(old->inode->flags & I_LINKABLE))
		return -ENOENT;
	return 0;
}

/* linkat(fd, "", AT_EMPTY_PATH) (Linux 6.10 on): the caller opened fd with the
 * credentials it has now, or has CAP_DAC_READ_SEARCH. */
static bool may_link_fd(struct task *t, int fd)
{
	struct file *f;
	bool ok;

	if (!t || caps_capable(t, CAP_DAC_READ_SEARCH))
		return true;
	f = fdtable_get(t->files, fd);
	ok = f && f->cred_sig == caps_creds_sig(&t->creds);
	if (f)
		file_put(f);
	return ok;
}

int vfs_linkat(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
	       const char *newpath, int flags)
{
	struct lookup_parent lp;
	struct path old;
	struct dentry *d;
	int ret;

	if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if ((flags & AT_EMPTY_PATH) && !oldpath[0] && !may_link_fd(t, olddirfd))
		return -ENOENT;
	ret = vfs_lookupat(t, olddirfd, oldpath,
			   ((flags & AT_SYMLINK_FOLLOW) ? LOOKUP_FOLLOW : 0) |
				   ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
			   &old);
	if (ret < 0)
		return ret;
	ret = vfs_lookup_parent(t, newdirfd, newpath, &lp);
	if (ret < 0)
		goto out_put_old;
	if (lp.type != LAST_NORM)
		ret = -EEXIST;
	else
		ret = may_create(t, &lp);
	if (ret == 0 && lp.dir.mnt != old.mnt)
		ret = -EXDEV;
	if (ret == 0 && d_is_dir(old.dentry))
		ret = -EPERM;
	if (ret == 0 && !lp.dir.dentry->inode->iops->link)
		ret = -EPERM;
	if (ret == 0)
		ret = may_link_unlinked(old.dentry);
	if (ret == 0) {
		d = d_alloc(lp.dir.dentry, lp.last, lp.len);
		ret = lp.dir.dentry->inode->iops->link(old.dentry, lp.dir.dentry, d);
		if (ret == 0) {
			old.dentry->inode->flags &= ~I_LINKABLE; /* once only */
			d_add(d);
			fsnotify_parent(old.dentry, IN_ATTRIB); /* the link count */
			fsnotify_dir(lp.dir.dentry, d, NULL, IN_CREATE, 0);
		}
		dput(d);
	}
	path_put(&lp.dir);
out_put_old:
	path_put(&old);
	return ret;
}

ssize_t vfs_readlinkat(struct task *t, int dirfd, const char *path, char *buf, size_t size)
{
	struct path p;
	ssize_t ret = vfs_lookupat(t, dirfd, path, LOOKUP_EMPTY, &p);

	if (ret < 0)
		return ret;
	if (!d_is_symlink(p.dentry) || !p.dentry->inode->iops->readlink)
		ret = (!path[0]) ? -ENOENT : -EINVAL;
	else
		ret = p.dentry->inode->iops->readlink(p.dentry, buf, size);
	path_put(&p);
	return ret;
}
