/* rename.c: rename/renameat/renameat2 with Linux's checks (types, emptiness, loops,
 * mountpoints, sticky directories) and its flags: RENAME_NOREPLACE, RENAME_EXCHANGE (two
 * names swap their objects) and RENAME_WHITEOUT (a whiteout is left at the old name, on
 * filesystems that keep them: tmpfs; the overlay gives EINVAL as Linux's does). Since
 * Linux 5.8 a whiteout needs no CAP_MKNOD. */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/fsnotify.h"

int vfsk_rename(struct dentry *odir, struct dentry *od, struct dentry *ndir, const char *name)
{
	size_t len = strlen(name);
	struct dentry *nd = NULL;
	bool existed;
	int ret;

	if (!odir->inode->iops->rename)
		return -EPERM;
	ret = d_lookup(ndir, name, len, &nd);
	if (ret < 0 && ret != -ENOENT)
		return ret;
	existed = ret == 0;
	if (!existed)
		nd = d_alloc(ndir, name, len);
	ret = odir->inode->iops->rename(odir, od, ndir, nd);
	if (ret == 0) {
		char *oldname = fsnotify_active() ? xstrdup(od->name) : NULL;

		if (existed)
			d_drop(nd);
		d_move(od, ndir, name, len);
		if (oldname)
			fsnotify_move(odir, oldname, ndir, od);
		free(oldname);
	}
	dput(nd);
	return ret;
}

int vfsk_exchange(struct dentry *odir, struct dentry *od, struct dentry *ndir, struct dentry *nd)
{
	char *oname, *nname;
	int ret;

	if (!odir->inode->iops->exchange)
		return -EINVAL;
	ret = odir->inode->iops->exchange(odir, od, ndir, nd);
	if (ret < 0)
		return ret;
	oname = fsnotify_active() ? xstrdup(od->name) : NULL;
	nname = oname ? xstrdup(nd->name) : NULL;
	d_exchange(od, nd);
	if (oname) {
		fsnotify_move(odir, oname, ndir, od);
		fsnotify_move(ndir, nname, odir, nd);
	}
	free(oname);
	free(nname);
	return 0;
}

/* Whether a is d or one of d's ancestors (same super block only). */
static bool d_is_ancestor(struct dentry *a, struct dentry *d)
{
	for (;;) {
		if (d == a)
			return true;
		if (d->parent == d)
			return false;
		d = d->parent;
	}
}

/* Type and emptiness checks between the source od and an existing target nd. */
static int rename_check_target(struct dentry *od, struct dentry *nd)
{
	int ret;

	if (d_is_dir(od)) {
		if (!d_is_dir(nd))
			return -ENOTDIR;
		ret = vfsk_dir_is_empty(nd);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return -ENOTEMPTY;
	} else if (d_is_dir(nd)) {
		return -EISDIR;
	}
	return 0;
}

static int rename_perms(struct task *t, struct lookup_parent *o, struct path *op,
			struct lookup_parent *n, struct path *np, bool exchange)
{
	const struct creds *c = task_fs_creds(t);
	int ret;

	ret = mnt_want_write(o->dir.mnt);
	if (ret == 0)
		ret = vfs_permission(c, o->dir.dentry, MAY_WRITE | MAY_EXEC);
	if (ret == 0 && n->dir.dentry != o->dir.dentry)
		ret = vfs_permission(c, n->dir.dentry, MAY_WRITE | MAY_EXEC);
	if (ret == 0)
		ret = vfs_check_sticky(c, o->dir.dentry, op->dentry);
	if (ret == 0 && np->dentry)
		ret = vfs_check_sticky(c, n->dir.dentry, np->dentry);
	/* Moving a directory elsewhere rewrites its "..". */
	if (ret == 0 && d_is_dir(op->dentry) && n->dir.dentry != o->dir.dentry)
		ret = vfs_permission(c, op->dentry, MAY_WRITE);
	if (ret == 0 && exchange && d_is_dir(np->dentry) && n->dir.dentry != o->dir.dentry)
		ret = vfs_permission(c, np->dentry, MAY_WRITE);
	return ret;
}

/* Trailing slashes demand directories: a non-directory source (and, for an exchange, a
 * non-directory target) named with one is ENOTDIR. */
static int rename_check_slashes(struct lookup_parent *o, struct path *op,
				struct lookup_parent *n, struct path *np, unsigned flags)
{
	if (flags & RENAME_EXCHANGE) {
		if (!d_is_dir(np->dentry) && n->trailing_slash)
			return -ENOTDIR;
		if (!d_is_dir(op->dentry) && o->trailing_slash)
			return -ENOTDIR;
		return 0;
	}
	if (!d_is_dir(op->dentry) && (o->trailing_slash || n->trailing_slash))
		return -ENOTDIR;
	return 0;
}

/* The loop, mountpoint and type checks once both names are looked up. */
static int rename_check_tree(struct lookup_parent *o, struct path *op, struct lookup_parent *n,
			     struct path *np, unsigned flags)
{
	bool exchange = flags & RENAME_EXCHANGE;

	if (op->dentry == op->mnt->root || op->dentry->mounts ||
	    (np->dentry && (np->dentry == np->mnt->root || np->dentry->mounts)))
		return -EBUSY;
	if (d_is_dir(op->dentry) && d_is_ancestor(op->dentry, n->dir.dentry))
		return -EINVAL;
	if (!np->dentry)
		return 0;
	if (d_is_ancestor(np->dentry, o->dir.dentry))
		return exchange ? -EINVAL : -ENOTEMPTY;
	return exchange ? 0 : rename_check_target(op->dentry, np->dentry);
}

static int do_rename(struct task *t, struct lookup_parent *o, struct lookup_parent *n,
		     unsigned flags)
{
	struct path op = {0}, np = {0};
	int ret;

	if (o->type != LAST_NORM || n->type != LAST_NORM)
		return (flags & RENAME_NOREPLACE) && n->type != LAST_NORM ? -EEXIST : -EBUSY;
	if (o->dir.mnt != n->dir.mnt)
		return -EXDEV;
	ret = vfs_lookup_last(t, o, &op);
	if (ret < 0)
		return ret;
	ret = vfs_lookup_last(t, n, &np);
	if (ret == -ENOENT && !(flags & RENAME_EXCHANGE))
		ret = 0;
	if (ret < 0)
		goto out;
	if (np.dentry && (flags & RENAME_NOREPLACE)) {
		ret = -EEXIST;
		goto out;
	}
	ret = rename_check_slashes(o, &op, n, &np, flags);
	if (ret == 0)
		ret = rename_perms(t, o, &op, n, &np, flags & RENAME_EXCHANGE);
	if (ret == 0)
		ret = rename_check_tree(o, &op, n, &np, flags);
	if (ret < 0 || (np.dentry && np.dentry->inode == op.dentry->inode))
		goto out; /* an error, or the same file: nothing to do */
	if ((flags & RENAME_WHITEOUT) && !o->dir.dentry->inode->iops->rename_whiteout) {
		ret = -EINVAL;
		goto out;
	}
	if (flags & RENAME_EXCHANGE)
		ret = vfsk_exchange(o->dir.dentry, op.dentry, n->dir.dentry, np.dentry);
	else
		ret = vfsk_rename(o->dir.dentry, op.dentry, n->dir.dentry, n->last);
	if (ret == 0 && (flags & RENAME_WHITEOUT))
		ret = vfsk_mknod(o->dir.dentry, o->last, S_IFCHR, 0, task_fs_creds(t), NULL);
out:
	path_put(&np);
	path_put(&op);
	return ret;
}

int vfs_renameat2(struct task *t, int olddirfd, const char *oldpath, int newdirfd,
		  const char *newpath, unsigned flags)
{
	struct lookup_parent o, n;
	int ret;

	if (flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT))
		return -EINVAL;
	if ((flags & (RENAME_NOREPLACE | RENAME_WHITEOUT)) && (flags & RENAME_EXCHANGE))
		return -EINVAL;
	ret = vfs_lookup_parent(t, olddirfd, oldpath, &o);
	if (ret < 0)
		return ret;
	ret = vfs_lookup_parent(t, newdirfd, newpath, &n);
	if (ret == 0) {
		ret = do_rename(t, &o, &n, flags);
		path_put(&n.dir);
	}
	path_put(&o.dir);
	return ret;
}
