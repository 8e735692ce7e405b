/* umount.c: umount2(2) (MNT_FORCE, MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW; EBUSY while a
 * file, root or cwd uses the mount or a mount sits below it) and pivot_root(2). */
#include "sentry/vfs/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/mount.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/kernel_internal.h" /* task_for_each */
#include "sentry/kernel/task.h"

static bool check_mnt(struct task *t, const struct mount *m)
{
	return m->ns && m->ns == t->fs->mnt_ns;
}

static bool mnt_busy(const struct mount *m)
{
	return m->users > 0 || mnt_has_children(m);
}

/* MNT_EXPIRE: the first call marks an unused mount (EAGAIN), a second one with no use
 * in between unmounts it. */
static int expire(struct task *t, struct mount *m, int flags)
{
	if (m == t->fs->root.mnt || (flags & (MNT_FORCE | MNT_DETACH)))
		return -EINVAL;
	if (mnt_busy(m))
		return -EBUSY;
	if (!(m->flags & MNT_EXPIRE_MARK)) {
		m->flags |= MNT_EXPIRE_MARK;
		return -EAGAIN;
	}
	return 0;
}

int vfs_umount(struct task *t, const char *target, int flags)
{
	struct path p;
	struct mount *m;
	int ret;

	if (flags & ~(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW))
		return -EINVAL;
	ret = vfs_lookupat(t, AT_FDCWD, target, (flags & UMOUNT_NOFOLLOW) ? 0 : LOOKUP_FOLLOW,
			   &p);
	if (ret < 0)
		return ret;
	m = p.mnt;
	if (!caps_capable(t, CAP_SYS_ADMIN))
		ret = -EPERM;
	else if (p.dentry != m->root || !check_mnt(t, m))
		ret = -EINVAL;
	else if (!m->parent)
		ret = -EINVAL; /* the namespace's root (Linux remounts it read-only or detaches) */
	path_put(&p);
	if (ret < 0)
		return ret;
	if (flags & MNT_EXPIRE) {
		ret = expire(t, m, flags);
		if (ret < 0)
			return ret;
	}
	/* MNT_FORCE: no filesystem here has requests in flight to abort. */
	if (!(flags & MNT_DETACH) && mnt_busy(m))
		return -EBUSY;
	mnt_detach_tree(m);
	return 0;
}

bool mnt_path_reachable(const struct path *p, const struct path *from)
{
	struct mount *m = p->mnt;
	struct dentry *d = p->dentry;

	while (m != from->mnt && m->parent) {
		d = m->mountpoint;
		m = m->parent;
	}
	if (m != from->mnt)
		return false;
	for (;; d = d->parent) {
		if (d == from->dentry)
			return true;
		if (d == d->parent)
			return false;
	}
}

/* pivot_root's checks once both paths are looked up (all EINVAL unless said). */
static int pivot_check(struct task *t, const struct path *newp, const struct path *old)
{
	const struct path *root = &t->fs->root;

	if (!check_mnt(t, root->mnt) || !check_mnt(t, newp->mnt))
		return -EINVAL;
	if (!newp->dentry->hashed)
		return -ENOENT;
	if (newp->mnt == root->mnt || old->mnt == root->mnt)
		return -EBUSY;
	if (root->dentry != root->mnt->root || newp->dentry != newp->mnt->root ||
	    !newp->mnt->parent)
		return -EINVAL;
	if (!mnt_path_reachable(old, newp) || !mnt_path_reachable(newp, root))
		return -EINVAL;
	return 0;
}

/* A root or cwd at the old root moves to the new one (Linux's chroot_fs_refs). */
static void move_fs_path(struct path *p, struct mount *from, struct mount *to)
{
	if (p->mnt != from || p->dentry != from->root)
		return;
	mnt_hold(to);
	mnt_release(from);
	path_put(p);
	p->mnt = to;
	p->dentry = to->root;
	dget(p->dentry);
}

static void move_task_fs(struct task *t, void *arg)
{
	struct mount **mv = arg;

	if (t->fs) {
		move_fs_path(&t->fs->root, mv[0], mv[1]);
		move_fs_path(&t->fs->cwd, mv[0], mv[1]);
	}
}

/* The old root goes to put_old, the new root takes its place (the namespace's root if the
 * old one was: the Sentry's namespace roots hang from nothing, where Linux's hang from an
 * unseen rootfs). Every task's root and cwd at the old root follow. */
static void pivot(struct task *t, struct path *newp, struct path *old)
{
	struct mount *root_mnt = t->fs->root.mnt, *new_mnt = newp->mnt;
	struct mount *root_parent = root_mnt->parent;
	struct dentry *root_mp = root_mnt->mountpoint;
	struct fs_context *fs = t->fs;
	struct mount *mv[2] = {root_mnt, new_mnt};

	if (root_mp)
		dget(root_mp);
	mnt_set_mountpoint(new_mnt, NULL, NULL);
	mnt_set_mountpoint(root_mnt, old->mnt, old->dentry);
	mnt_set_mountpoint(new_mnt, root_parent, root_mp);
	if (root_mp)
		dput(root_mp);
	if (fs->mnt_ns->root == root_mnt)
		fs->mnt_ns->root = new_mnt;
	mnt_reorder(new_mnt);
	task_for_each(move_task_fs, mv);
}

int vfs_pivot_root(struct task *t, const char *new_root, const char *put_old)
{
	struct path newp, old;
	int ret;

	if (!caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	ret = vfs_lookupat(t, AT_FDCWD, new_root, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &newp);
	if (ret < 0)
		return ret;
	ret = vfs_lookupat(t, AT_FDCWD, put_old, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &old);
	if (ret == 0) {
		ret = pivot_check(t, &newp, &old);
		if (ret == 0)
			pivot(t, &newp, &old);
		path_put(&old);
	}
	path_put(&newp);
	return ret;
}
