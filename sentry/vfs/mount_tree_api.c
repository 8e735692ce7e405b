/* mount_tree_api.c: the new mount API's tree operations: detached trees (an anonymous
 * namespace each, as Linux), move_mount(2), open_tree(2) and mount_setattr(2), with
 * Linux's order of checks (fs/namespace.c). Propagation is private only, as mount(2)'s. */
#include "sentry/vfs/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/mount.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

#ifndef MOVE_MOUNT_BENEATH
#define MOVE_MOUNT_BENEATH 0x200
#endif
#define MOVE_MOUNT_MASK 0x377
#define MS_PROPAGATION (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)
#define SETATTR_VALID                                                                              \
	(MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC |            \
	 MOUNT_ATTR__ATIME | MOUNT_ATTR_NODIRATIME | MOUNT_ATTR_IDMAP | MOUNT_ATTR_NOSYMFOLLOW)

struct mnt_ns *mnt_ns_new_anon(struct mount *root)
{
	struct mnt_ns *ns = xcalloc(1, sizeof(*ns));

	ns->refs = 1; /* the tree's own: dropped when it is attached or dissolved */
	ns->anon = true;
	ns->root = root;
	root->ns = ns;
	return ns;
}

static bool anon_ns_root(const struct mount *m)
{
	return m->ns && m->ns->anon && m->ns->root == m;
}

static bool check_mnt(struct task *t, const struct mount *m)
{
	return m->ns && m->ns == t->fs->mnt_ns;
}

void mnt_dissolve(struct mount *m)
{
	if (anon_ns_root(m))
		mnt_ns_put(m->ns); /* unmounts every mount of the tree */
}

struct file *mnt_detached_file(struct mount *m)
{
	struct path p = {m, m->root};
	struct file *f;

	vfs_open_path(&p, O_PATH, &f); /* O_PATH opens cannot fail */
	f->fmode |= FMODE_NEED_UNMOUNT;
	return f;
}

int mnt_attr_to_flags(uint64_t attr)
{
	return ((attr & MOUNT_ATTR_RDONLY) ? MNT_READONLY : 0) |
	       ((attr & MOUNT_ATTR_NOSUID) ? MNT_NOSUID : 0) |
	       ((attr & MOUNT_ATTR_NODEV) ? MNT_NODEV : 0) |
	       ((attr & MOUNT_ATTR_NOEXEC) ? MNT_NOEXEC : 0) |
	       ((attr & MOUNT_ATTR__ATIME) == MOUNT_ATTR_NOATIME ? MNT_NOATIME : 0);
}

static bool is_ancestor(const struct mount *top, const struct mount *m)
{
	for (; m; m = m->parent)
		if (m == top)
			return true;
	return false;
}

/* Linux's may_use_mount for a target: ours, or a detached tree (other than the source's). */
static bool may_use_target(struct task *t, const struct mount *p)
{
	return check_mnt(t, p) || (p->ns && p->ns->anon);
}

/* Attach the detached tree rooted at m at mp: its mounts join mp's namespace. */
static void attach_tree(struct mount *m, struct path *mp)
{
	struct mnt_ns *anon = m->ns;
	struct list_head *pos;

	list_for_each(pos, mnt_list())
	{
		struct mount *c = list_entry(pos, struct mount, link);

		if (c->ns == anon)
			c->ns = mp->mnt->ns;
	}
	free(anon);
	mnt_set_mountpoint(m, mp->mnt, mp->dentry);
}

/* Whether something is mounted on m's root. */
static bool overmounted(const struct mount *m)
{
	struct list_head *pos;

	list_for_each(pos, mnt_list())
	{
		const struct mount *c = list_entry(pos, struct mount, link);

		if (c->parent == m && c->mountpoint == m->root)
			return true;
	}
	return false;
}

/* MOVE_MOUNT_BENEATH: to must be a mount's root with a parent; the place is under it
 * (*under: its parent and mountpoint). Linux's can_move_mount_beneath's rules. */
static int beneath_place(struct task *t, const struct mount *m, const struct path *to,
			 struct path *under)
{
	const struct mount *top = to->mnt;

	if (to->dentry != top->root || !top->parent)
		return -EINVAL;
	if (overmounted(m) || top == t->fs->root.mnt || is_ancestor(top, m))
		return -EINVAL;
	under->mnt = top->parent;
	under->dentry = top->mountpoint;
	return 0;
}

int mnt_move(struct task *t, struct path *old, struct path *to, bool beneath)
{
	struct mount *m = old->mnt, *top = to->mnt;
	struct path at = *to;
	bool attached = m->parent != NULL;
	int ret;

	if (beneath) {
		ret = beneath_place(t, m, to, &at);
		if (ret < 0)
			return ret;
	}
	if (!m->ns)
		return -EINVAL; /* unmounted */
	if (check_mnt(t, m)) {
		if (!attached || !check_mnt(t, at.mnt))
			return -EINVAL;
	} else {
		if (!anon_ns_root(m) || m->ns == at.mnt->ns || !may_use_target(t, at.mnt))
			return -EINVAL;
	}
	if (old->dentry != m->root || d_is_dir(to->dentry) != d_is_dir(old->dentry))
		return -EINVAL;
	if (!at.dentry->hashed)
		return -ENOENT;
	if (is_ancestor(m, at.mnt))
		return -ELOOP;
	if (attached)
		mnt_set_mountpoint(m, at.mnt, at.dentry);
	else
		attach_tree(m, &at);
	if (beneath)
		mnt_set_mountpoint(top, m, m->root); /* the top mount now sits on m */
	mnt_reorder(m);
	return 0;
}

int vfs_move_mount(struct task *t, int from_dfd, const char *from, int to_dfd, const char *to,
		   unsigned flags)
{
	unsigned fl = ((flags & MOVE_MOUNT_F_SYMLINKS) ? LOOKUP_FOLLOW : 0) |
		      ((flags & MOVE_MOUNT_F_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
	unsigned tl = ((flags & MOVE_MOUNT_T_SYMLINKS) ? LOOKUP_FOLLOW : 0) |
		      ((flags & MOVE_MOUNT_T_EMPTY_PATH) ? LOOKUP_EMPTY : 0);
	struct path fp, tp;
	int ret;

	if (!caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if (flags & ~MOVE_MOUNT_MASK)
		return -EINVAL;
	if ((flags & (MOVE_MOUNT_BENEATH | MOVE_MOUNT_SET_GROUP)) ==
	    (MOVE_MOUNT_BENEATH | MOVE_MOUNT_SET_GROUP))
		return -EINVAL;
	ret = vfs_lookupat(t, from_dfd, from, fl, &fp);
	if (ret < 0)
		return ret;
	ret = vfs_lookupat(t, to_dfd, to, tl, &tp);
	if (ret < 0) {
		path_put(&fp);
		return ret;
	}
	/* SET_GROUP needs a shared or slave source: every mount here is private. */
	if (flags & MOVE_MOUNT_SET_GROUP)
		ret = -EINVAL;
	else
		ret = mnt_move(t, &fp, &tp, flags & MOVE_MOUNT_BENEATH);
	path_put(&tp);
	path_put(&fp);
	return ret;
}

/* open_tree's clone: a detached copy of p's mount from p's dentry (and, recursive, the
 * mounts below it), in an anonymous namespace of its own. */
static int clone_tree(struct task *t, struct path *p, bool recursive, struct file **out)
{
	struct mount *old = p->mnt, *m;

	if (old->flags & MNT_UNBINDABLE)
		return -EINVAL;
	if (!check_mnt(t, old) && !(old->ns && old->ns->anon))
		return -EINVAL;
	m = mnt_attach(NULL, old->sb, p->dentry, old->flags & ~(MNT_EXPIRE_MARK | MNT_UNBINDABLE),
		       old->source);
	mnt_ns_new_anon(m);
	if (recursive)
		mnt_copy_children(old, p->dentry, m);
	*out = mnt_detached_file(m);
	return 0;
}

int vfs_open_tree(struct task *t, int dfd, const char *path, unsigned flags, struct file **out)
{
	unsigned lf = LOOKUP_FOLLOW;
	struct path p;
	int ret;

	if (flags & ~(AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_RECURSIVE | AT_SYMLINK_NOFOLLOW |
		      OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC))
		return -EINVAL;
	if ((flags & (AT_RECURSIVE | OPEN_TREE_CLONE)) == AT_RECURSIVE)
		return -EINVAL;
	if (flags & AT_SYMLINK_NOFOLLOW)
		lf &= ~LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	if ((flags & OPEN_TREE_CLONE) && !caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	ret = vfs_lookupat(t, dfd, path, lf, &p);
	if (ret < 0)
		return ret;
	if (flags & OPEN_TREE_CLONE)
		ret = clone_tree(t, &p, flags & AT_RECURSIVE, out);
	else
		ret = vfs_open_path(&p, O_PATH, out);
	path_put(&p);
	return ret;
}

/* Linux's build_mount_kattr: the MNT_* bits to set and clear, or -errno. */
static int setattr_flags(struct task *t, const struct mount_attr *a, int *set, int *clr)
{
	uint64_t prop = a->propagation;

	if (prop & ~(uint64_t)MS_PROPAGATION)
		return -EINVAL;
	if (prop & (prop - 1))
		return -EINVAL;
	if ((a->attr_set | a->attr_clr) & ~(uint64_t)SETATTR_VALID)
		return -EINVAL;
	*set = mnt_attr_to_flags(a->attr_set & ~(uint64_t)MOUNT_ATTR__ATIME);
	*clr = mnt_attr_to_flags(a->attr_clr & ~(uint64_t)MOUNT_ATTR__ATIME);
	if (a->attr_clr & MOUNT_ATTR__ATIME) {
		if ((a->attr_clr & MOUNT_ATTR__ATIME) != MOUNT_ATTR__ATIME)
			return -EINVAL;
		*clr |= MNT_NOATIME;
		switch (a->attr_set & MOUNT_ATTR__ATIME) {
		case MOUNT_ATTR_RELATIME:
		case MOUNT_ATTR_STRICTATIME:
			break;
		case MOUNT_ATTR_NOATIME:
			*set |= MNT_NOATIME;
			break;
		default:
			return -EINVAL;
		}
	} else if (a->attr_set & MOUNT_ATTR__ATIME) {
		return -EINVAL;
	}
	/* An idmapped mount needs a user namespace fd: none exists in the Sentry. */
	if (a->attr_set & MOUNT_ATTR_IDMAP) {
		struct file *f;

		if (a->userns_fd > INT32_MAX)
			return -EINVAL;
		f = fdtable_get(t->files, (int)a->userns_fd);
		if (!f)
			return -EBADF;
		file_put(f);
		return -EINVAL;
	}
	return 0;
}

/* The mounts mount_setattr changes: m, and with recursive every mount below it. */
static bool setattr_target(const struct mount *m, const struct mount *top, bool recursive)
{
	return m == top || (recursive && is_ancestor(top, m));
}

static int do_setattr(struct task *t, struct path *p, bool recursive, int set, int clr,
		      uint64_t prop)
{
	struct mount *top = p->mnt;
	struct list_head *pos;

	if (p->dentry != top->root)
		return -EINVAL;
	if (!anon_ns_root(top) && !check_mnt(t, top))
		return -EINVAL;
	/* Read-only while a file is open for writing through it: EBUSY, nothing changed. */
	list_for_each(pos, mnt_list())
	{
		struct mount *m = list_entry(pos, struct mount, link);

		if (setattr_target(m, top, recursive) && (set & MNT_READONLY) &&
		    !(m->flags & MNT_READONLY) && mnt_has_writers(m, false))
			return -EBUSY;
	}
	list_for_each(pos, mnt_list())
	{
		struct mount *m = list_entry(pos, struct mount, link);

		if (!setattr_target(m, top, recursive))
			continue;
		m->flags = (m->flags & ~clr) | set;
		if (prop == MS_UNBINDABLE)
			m->flags |= MNT_UNBINDABLE;
		else if (prop)
			m->flags &= ~MNT_UNBINDABLE;
	}
	return 0;
}

int vfs_file_setattr(struct task *t, struct file *f, bool recursive, const struct mount_attr *attr)
{
	int set = 0, clr = 0, ret;

	if (attr->attr_set == 0 && attr->attr_clr == 0 && attr->propagation == 0)
		return 0;
	ret = setattr_flags(t, attr, &set, &clr);
	if (ret == 0)
		ret = do_setattr(t, &f->path, recursive, set, clr, attr->propagation);
	return ret;
}

int vfs_mount_setattr(struct task *t, int dfd, const char *path, unsigned flags,
		      const struct mount_attr *attr)
{
	unsigned lf = LOOKUP_FOLLOW;
	int set = 0, clr = 0, ret;
	struct path p;

	if (attr->attr_set == 0 && attr->attr_clr == 0 && attr->propagation == 0)
		return 0; /* Linux does not even look the path up */
	ret = setattr_flags(t, attr, &set, &clr);
	if (ret < 0)
		return ret;
	if (flags & AT_SYMLINK_NOFOLLOW)
		lf &= ~LOOKUP_FOLLOW;
	if (flags & AT_EMPTY_PATH)
		lf |= LOOKUP_EMPTY;
	ret = vfs_lookupat(t, dfd, path, lf, &p);
	if (ret < 0)
		return ret;
	ret = do_setattr(t, &p, flags & AT_RECURSIVE, set, clr, attr->propagation);
	path_put(&p);
	return ret;
}
