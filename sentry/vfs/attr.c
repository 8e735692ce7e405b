/* attr.c: stat, access, chmod, chown, truncate, utimensat and statfs by path or file,
 * with Linux's ownership, permission and read-only checks. */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/securebits.h>
#include <string.h>
#include <sys/stat.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/lease.h"

int vfs_statat(struct task *t, int dirfd, const char *path, int flags, struct kstat *st)
{
	struct path p;
	int ret;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE))
		return -EINVAL;
	if (!path[0] && (flags & AT_EMPTY_PATH) && dirfd != AT_FDCWD) {
		struct file *f = fdtable_get(t->files, dirfd);

		if (!f)
			return -EBADF;
		ret = vfs_fstat(f, st);
		st->mnt_id = f->path.mnt ? f->path.mnt->id : 0;
		st->mnt_id_unique = f->path.mnt ? f->path.mnt->unique_id : 0;
		file_put(f);
		return ret;
	}
	ret = vfs_lookupat(t, dirfd, path,
			   ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
				   ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
			   &p);
	if (ret < 0)
		return ret;
	ret = vfs_getattr(p.dentry, st);
	st->mnt_id = p.mnt->id;
	st->mnt_id_unique = p.mnt->unique_id;
	path_put(&p);
	return ret;
}

int vfs_faccessat(struct task *t, int dirfd, const char *path, int mode, int flags)
{
	struct creds real = t->creds;
	struct path p;
	int ret;

	if (mode & ~(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	if (!(flags & AT_EACCESS)) {
		/* As Linux's access_override_creds: the real ids, and capabilities to match
		 * (a real root checks with its permitted set, others with none). */
		real.fsuid = real.uid;
		real.fsgid = real.gid;
		if (!(real.securebits & SECBIT_NO_SETUID_FIXUP))
			real.cap_effective = real.uid == 0 ? real.cap_permitted : 0;
	}
	ret = vfs_lookupat(t, dirfd, path,
			   ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
				   ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
			   &p);
	if (ret < 0)
		return ret;
	if ((mode & W_OK) && !S_ISCHR(p.dentry->inode->mode) &&
	    !S_ISBLK(p.dentry->inode->mode) && !S_ISFIFO(p.dentry->inode->mode) &&
	    !S_ISSOCK(p.dentry->inode->mode))
		ret = mnt_want_write(p.mnt);
	if (ret == 0 && mode)
		ret = vfs_permission(&real, p.dentry, mode);
	path_put(&p);
	return ret;
}

static int chmod_path(struct task *t, struct path *p, uint32_t mode)
{
	const struct creds *c = task_fs_creds(t);
	struct vattr va = {.valid = VA_MODE | VA_CTIME};
	struct kstat st;
	int ret;

	ret = mnt_want_write(p->mnt);
	if (ret == 0)
		ret = vfs_getattr(p->dentry, &st);
	if (ret < 0)
		return ret;
	if (!vfs_is_owner(c, &st))
		return -EPERM;
	va.mode = mode & 07777;
	if (c && !S_ISDIR(st.mode) && !creds_in_group(c, st.gid) &&
	    !caps_creds_capable(c, CAP_FSETID))
		va.mode &= ~S_ISGID;
	vfs_now(&va.ctime);
	return vfsk_setattr(p->dentry, &va);
}

int vfs_fchmodat(struct task *t, int dirfd, const char *path, uint32_t mode, int flags)
{
	struct path p;
	int ret;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	ret = vfs_lookupat(t, dirfd, path,
			   ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
				   ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
			   &p);
	if (ret < 0)
		return ret;
	if (d_is_symlink(p.dentry))
		ret = -EOPNOTSUPP;
	else
		ret = chmod_path(t, &p, mode);
	path_put(&p);
	return ret;
}

int vfs_fchmod(struct task *t, struct file *f, uint32_t mode)
{
	if (!f->path.dentry)
		return -EBADF; /* pipes: Linux changes the anonymous inode; not supported */
	if (f->fmode & FMODE_PATH)
		return -EBADF;
	return chmod_path(t, &f->path, mode);
}

/* Linux's chown_ok/chgrp_ok: CAP_CHOWN may set anything; the owner may only keep its uid
 * and move the file to one of its groups (or keep the file's group). */
static int chown_allowed(struct task *t, const struct kstat *st, uid_t uid, gid_t gid)
{
	const struct creds *c = task_fs_creds(t);
	bool owner;

	if (!c || caps_capable(t, CAP_CHOWN))
		return 0;
	owner = c->fsuid == st->uid;
	if (uid != (uid_t)-1 && (!owner || uid != st->uid))
		return -EPERM;
	if (gid != (gid_t)-1 && (!owner || (gid != st->gid && !creds_in_group(c, gid))))
		return -EPERM;
	return 0;
}

static int chown_path(struct task *t, struct path *p, uid_t uid, gid_t gid)
{
	struct vattr va = {.valid = VA_CTIME};
	struct kstat st;
	int ret;

	ret = mnt_want_write(p->mnt);
	if (ret == 0)
		ret = vfs_getattr(p->dentry, &st);
	if (ret == 0)
		ret = chown_allowed(t, &st, uid, gid);
	if (ret < 0)
		return ret;
	if (uid != (uid_t)-1) {
		va.valid |= VA_UID;
		va.uid = uid;
	}
	if (gid != (gid_t)-1) {
		va.valid |= VA_GID;
		va.gid = gid;
	}
	/* Any chown, even of nothing, drops set-user-ID, and set-group-ID of group-executables;
	 * that mode change is a chmod, so it needs ownership (Linux's ATTR_KILL_SUID). */
	if (!S_ISDIR(st.mode) && (st.mode & (S_ISUID | S_ISGID))) {
		va.mode = st.mode & 07777 & ~S_ISUID;
		if (st.mode & S_IXGRP)
			va.mode &= ~S_ISGID;
		if (va.mode != (st.mode & 07777)) {
			if (!vfs_is_owner(task_fs_creds(t), &st))
				return -EPERM;
			va.valid |= VA_MODE;
		}
	}
	vfs_now(&va.ctime);
	return vfsk_setattr(p->dentry, &va);
}

int vfs_fchownat(struct task *t, int dirfd, const char *path, uid_t uid, gid_t gid, int flags)
{
	struct path p;
	int ret;

	if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	ret = vfs_lookupat(t, dirfd, path,
			   ((flags & AT_SYMLINK_NOFOLLOW) ? 0 : LOOKUP_FOLLOW) |
				   ((flags & AT_EMPTY_PATH) ? LOOKUP_EMPTY : 0),
			   &p);
	if (ret < 0)
		return ret;
	ret = chown_path(t, &p, uid, gid);
	path_put(&p);
	return ret;
}

int vfs_fchown(struct task *t, struct file *f, uid_t uid, gid_t gid)
{
	if (!f->path.dentry || (f->fmode & FMODE_PATH))
		return -EBADF;
	return chown_path(t, &f->path, uid, gid);
}

static int truncate_dentry(struct dentry *d, int64_t length)
{
	struct vattr va = {.valid = VA_SIZE | VA_MTIME | VA_CTIME, .size = (uint64_t)length};

	vfs_now(&va.mtime);
	va.ctime = va.mtime;
	return vfsk_setattr(d, &va);
}

int vfs_truncate(struct task *t, const char *path, int64_t length)
{
	struct path p;
	int ret;

	if (length < 0)
		return -EINVAL;
	ret = vfs_lookupat(t, AT_FDCWD, path, LOOKUP_FOLLOW, &p);
	if (ret < 0)
		return ret;
	if (d_is_dir(p.dentry))
		ret = -EISDIR;
	else if (!d_is_reg(p.dentry))
		ret = -EINVAL;
	else
		ret = mnt_want_write(p.mnt);
	if (ret == 0)
		ret = vfs_permission(task_fs_creds(t), p.dentry, MAY_WRITE);
	if (ret == 0)
		ret = lease_break_truncate(t, p.dentry->inode);
	if (ret == 0)
		ret = truncate_dentry(p.dentry, length);
	path_put(&p);
	return ret;
}

int vfs_ftruncate(struct task *t, struct file *f, int64_t length)
{
	if (length < 0)
		return -EINVAL;
	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (!f->path.dentry || !d_is_reg(f->path.dentry) || !(f->fmode & FMODE_WRITE))
		return -EINVAL;
	return truncate_dentry(f->path.dentry, length);
}
