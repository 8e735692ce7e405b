/* namei.c: path walk: absolute and dirfd-relative starts, "." and ".." (across mounts,
 * clamped at the task's root), symlinks (ELOOP after VFS_MAXSYMLINKS), trailing slashes,
 * openat2's RESOLVE_* limits (as LOOKUP_* walk flags), and the parent-plus-last-component
 * lookups that create/unlink/rename need. */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"

struct nameidata {
	struct task *t;
	const struct creds *creds;
	struct path root; /* reference held */
	struct path cur;  /* reference held */
	int nlinks;	  /* symlinks followed so far in this walk */
	unsigned resolve; /* LOOKUP_RESOLVE bits: openat2's limits on the whole walk */
};

const struct creds *task_fs_creds(struct task *t)
{
	return t ? &t->creds : NULL;
}

static void nd_set(struct nameidata *nd, const struct path *p)
{
	path_get(p);
	path_put(&nd->cur);
	nd->cur = *p;
}

static void nd_release(struct nameidata *nd)
{
	path_put(&nd->cur);
	path_put(&nd->root);
}

/* The walk's start for a relative path: dirfd's directory or the cwd, referenced. */
static int nd_start(struct task *t, int dirfd, const char *path, struct path *out)
{
	struct file *f;

	if (dirfd == AT_FDCWD) {
		*out = t->fs->cwd;
		path_get(out);
		return 0;
	}
	f = fdtable_get(t->files, dirfd);
	if (!f)
		return -EBADF;
	if (!f->path.dentry || (path[0] && !d_is_dir(f->path.dentry))) {
		file_put(f);
		return -ENOTDIR;
	}
	*out = f->path;
	path_get(out);
	file_put(f);
	return 0;
}

/* Set the walk's root and starting point. A scoped walk (RESOLVE_BENEATH, IN_ROOT) has
 * the start as its root: an absolute path is EXDEV (BENEATH) or starts there (IN_ROOT). */
static int nd_init(struct nameidata *nd, struct task *t, int dirfd, const char *path,
		   unsigned flags)
{
	struct path start;
	int ret;

	memset(nd, 0, sizeof(*nd));
	nd->t = t;
	nd->creds = task_fs_creds(t);
	nd->resolve = flags & LOOKUP_RESOLVE;
	if (path[0] == '/' && (nd->resolve & LOOKUP_BENEATH))
		return -EXDEV;
	if (path[0] == '/' && !(nd->resolve & LOOKUP_IN_ROOT)) {
		nd->root = t->fs->root;
		path_get(&nd->root);
		nd_set(nd, &nd->root);
		return 0;
	}
	ret = nd_start(t, dirfd, path, &start);
	if (ret < 0)
		return ret;
	nd->root = (nd->resolve & LOOKUP_SCOPED) ? start : t->fs->root;
	path_get(&nd->root);
	nd->cur = start;
	return 0;
}

/* p moved onto the mounts over it; RESOLVE_NO_XDEV refuses a crossing. */
static int nd_follow_mounts(const struct nameidata *nd, struct path *p)
{
	struct mount *before = p->mnt;

	path_follow_mounts(p);
	return (nd->resolve & LOOKUP_NO_XDEV) && p->mnt != before ? -EXDEV : 0;
}

/* An absolute path or symlink target: back to the walk's root. */
static int nd_jump_root(struct nameidata *nd)
{
	if (nd->resolve & LOOKUP_BENEATH)
		return -EXDEV;
	if ((nd->resolve & LOOKUP_NO_XDEV) && nd->cur.mnt != nd->root.mnt)
		return -EXDEV;
	nd_set(nd, &nd->root);
	return 0;
}

/* openat2's limits on following the symlink at link: 0, -ELOOP or -EXDEV. A magic link
 * (get_link) is never safe in a scoped walk, as Linux says. */
static int nd_may_follow(const struct nameidata *nd, const struct path *link)
{
	if (nd->resolve & LOOKUP_NO_SYMLINKS)
		return -ELOOP;
	if (!link->dentry->inode->iops->get_link)
		return 0;
	if (nd->resolve & LOOKUP_NO_MAGICLINKS)
		return -ELOOP;
	return (nd->resolve & LOOKUP_SCOPED) ? -EXDEV : 0;
}

/* Jump through the magic link at link to its object (*to, referenced). */
static int nd_magic_link(struct nameidata *nd, struct path *link, struct path *to)
{
	int ret = nd_may_follow(nd, link);

	if (ret == 0)
		ret = link->dentry->inode->iops->get_link(nd->t, link, to);
	if (ret == 0 && (nd->resolve & LOOKUP_NO_XDEV) && to->mnt != nd->cur.mnt) {
		path_put(to);
		ret = -EXDEV;
	}
	return ret;
}

/* "..": up one level, across mounts, clamped at the walk's root (RESOLVE_BENEATH: EXDEV
 * there; RESOLVE_NO_XDEV: EXDEV when leaving a mount). */
static int follow_dotdot(struct nameidata *nd)
{
	struct path p = nd->cur;
	int ret = 0;

	path_get(&p);
	for (;;) {
		if (path_equal(&p, &nd->root)) {
			if (nd->resolve & LOOKUP_BENEATH)
				ret = -EXDEV;
			break;
		}
		if (p.dentry == p.mnt->root) {
			struct dentry *mp = p.mnt->mountpoint;

			if (!p.mnt->parent)
				break;
			if (nd->resolve & LOOKUP_NO_XDEV) {
				ret = -EXDEV;
				break;
			}
			dget(mp);
			dput(p.dentry);
			p.mnt = p.mnt->parent;
			p.dentry = mp;
			continue;
		}
		dget(p.dentry->parent);
		dput(p.dentry);
		p.dentry = p.dentry->parent;
		break;
	}
	if (ret == 0)
		ret = nd_follow_mounts(nd, &p);
	if (ret < 0) {
		path_put(&p);
		return ret;
	}
	path_put(&nd->cur);
	nd->cur = p;
	return 0;
}

/* Read the target of symlink d into a new NUL-terminated buffer. */
static int read_link(struct dentry *d, char **out)
{
	char *buf = xmalloc(VFS_PATH_MAX);
	ssize_t n;

	if (!d->inode->iops->readlink) {
		free(buf);
		return -EINVAL;
	}
	n = d->inode->iops->readlink(d, buf, VFS_PATH_MAX - 1);
	if (n < 0) {
		free(buf);
		return (int)n;
	}
	buf[n] = '\0';
	if (n == 0) {
		free(buf);
		return -ENOENT;
	}
	*out = buf;
	return 0;
}

static int link_walk(struct nameidata *nd, const char *path, unsigned flags);

/* Walk through the symlink at next (found in nd->cur) with flags for its last part. */
static int follow_link(struct nameidata *nd, struct path *next, unsigned flags)
{
	char *target;
	int ret;

	if (++nd->nlinks > VFS_MAXSYMLINKS)
		return -ELOOP;
	ret = nd_may_follow(nd, next);
	if (ret < 0)
		return ret;
	if (next->dentry->inode->iops->get_link) {
		struct path to;

		ret = nd_magic_link(nd, next, &to);
		if (ret < 0)
			return ret;
		path_put(&nd->cur);
		nd->cur = to;
		if ((flags & LOOKUP_DIRECTORY) && !d_is_dir(to.dentry))
			return -ENOTDIR;
		return 0;
	}
	ret = read_link(next->dentry, &target);
	if (ret < 0)
		return ret;
	ret = link_walk(nd, target, flags | LOOKUP_FOLLOW);
	free(target);
	return ret;
}

/* Look comp up in nd->cur. RESOLVE_CACHED: only from the dentry cache, EAGAIN when that
 * cannot answer: a miss (no negative dentries are kept) or a filesystem that revalidates
 * its dentries (gofer, proc). */
static int nd_lookup(struct nameidata *nd, const char *comp, size_t len, struct dentry **out)
{
	struct dentry *dir = nd->cur.dentry;
	const struct super_ops *ops = dir->sb->ops;

	if (!(nd->resolve & LOOKUP_CACHED))
		return d_lookup(dir, comp, len, out);
	if (ops && ops->d_revalidate)
		return -EAGAIN;
	*out = d_lookup_cached(dir, comp, len);
	return *out ? 0 : -EAGAIN;
}

/* Search permission on nd->cur, then its child named comp. Where the lookup also fetches
 * the directory's attributes (sb.lookup_fetches_dir_attrs) it is asked first, so the check
 * needs no fetch of its own; the check still decides first, as in Linux: EACCES over the
 * lookup's error, and the child is let go. */
static int search_and_lookup(struct nameidata *nd, const char *comp, size_t len,
			     struct dentry **out)
{
	struct dentry *dir = nd->cur.dentry;
	int ret, perm;

	if (!dir->sb->lookup_fetches_dir_attrs || vfs_may_skip_dac(nd->creds, dir, MAY_EXEC)) {
		ret = vfs_permission(nd->creds, dir, MAY_EXEC);
		return ret < 0 ? ret : nd_lookup(nd, comp, len, out);
	}
	ret = nd_lookup(nd, comp, len, out);
	perm = vfs_permission(nd->creds, dir, MAY_EXEC);
	if (perm < 0 && ret == 0)
		dput(*out);
	return perm < 0 ? perm : ret;
}

/* One component: nd->cur becomes the child named comp (following a symlink if asked). */
/* RESOLVE_CACHED: Linux answers only what its lockless walk can; an error it must leave
 * that walk to report (a non-directory to walk through, a failed search permission) is
 * EAGAIN instead. */
static int walk_err(const struct nameidata *nd, int err)
{
	return (nd->resolve & LOOKUP_CACHED) ? -EAGAIN : err;
}

static int walk_one(struct nameidata *nd, const char *comp, size_t len, unsigned flags)
{
	struct path next;
	int ret;

	if (!d_is_dir(nd->cur.dentry))
		return walk_err(nd, -ENOTDIR);
	if ((len == 1 || len == 2) && !memcmp(comp, "..", len)) {
		ret = vfs_permission(nd->creds, nd->cur.dentry, MAY_EXEC);
		if (ret < 0)
			return walk_err(nd, ret);
		return len == 2 ? follow_dotdot(nd) : 0;
	}
	next.mnt = nd->cur.mnt;
	ret = search_and_lookup(nd, comp, len, &next.dentry);
	if (ret == -EACCES)
		return walk_err(nd, ret);
	if (ret < 0)
		return ret;
	ret = nd_follow_mounts(nd, &next);
	if (ret < 0) {
		path_put(&next);
		return ret;
	}
	if (d_is_symlink(next.dentry) && (flags & LOOKUP_FOLLOW)) {
		ret = follow_link(nd, &next, flags);
		path_put(&next);
		return ret;
	}
	path_put(&nd->cur);
	nd->cur = next;
	if ((flags & LOOKUP_DIRECTORY) && !d_is_dir(nd->cur.dentry))
		return -ENOTDIR;
	return 0;
}

/* Walk path from nd->cur (or the root if absolute). flags apply to the last component;
 * every earlier one is followed and must be a directory. */
static int link_walk(struct nameidata *nd, const char *path, unsigned flags)
{
	if (*path == '/') {
		int ret = nd_jump_root(nd);

		if (ret < 0)
			return ret;
		while (*path == '/')
			path++;
	}
	while (*path) {
		size_t len = strcspn(path, "/");
		const char *rest = path + len;
		bool slash = false;
		unsigned f;
		int ret;

		while (*rest == '/') {
			rest++;
			slash = true;
		}
		if (len > VFS_NAME_MAX)
			return -ENAMETOOLONG;
		if (*rest)
			f = LOOKUP_FOLLOW | LOOKUP_DIRECTORY;
		else
			f = flags | (slash ? LOOKUP_FOLLOW | LOOKUP_DIRECTORY : 0);
		ret = walk_one(nd, path, len, f);
		if (ret == -ENOTDIR && *rest)
			return walk_err(nd, ret); /* a file to walk through */
		if (ret < 0)
			return ret;
		path = rest;
	}
	if ((flags & LOOKUP_DIRECTORY) && !d_is_dir(nd->cur.dentry))
		return -ENOTDIR;
	return 0;
}

int vfs_lookupat(struct task *t, int dirfd, const char *path, unsigned flags, struct path *out)
{
	struct nameidata nd;
	int ret;

	if (!path[0] && !(flags & LOOKUP_EMPTY))
		return -ENOENT;
	ret = nd_init(&nd, t, dirfd, path, flags);
	if (ret < 0) {
		nd_release(&nd);
		return ret;
	}
	ret = link_walk(&nd, path, flags & ~LOOKUP_RESOLVE);
	if (ret == 0) {
		*out = nd.cur;
		nd.cur.dentry = NULL;
	}
	nd_release(&nd);
	return ret;
}

/* Split path at its last component and walk to its parent from nd's current point. */
static int walk_parent(struct nameidata *nd, const char *path, struct lookup_parent *lp)
{
	size_t end = strlen(path), start;
	char *dirpart;
	int ret;

	memset(lp, 0, sizeof(*lp));
	if (end == 0)
		return -ENOENT;
	while (end > 0 && path[end - 1] == '/') {
		end--;
		lp->trailing_slash = true;
	}
	start = end;
	while (start > 0 && path[start - 1] != '/')
		start--;
	if (end - start > VFS_NAME_MAX)
		return -ENAMETOOLONG;
	dirpart = strndup(path, start);
	if (!dirpart)
		return -ENOMEM;
	ret = link_walk(nd, dirpart, LOOKUP_FOLLOW | LOOKUP_DIRECTORY);
	free(dirpart);
	if (ret < 0)
		return ret;
	if (!d_is_dir(nd->cur.dentry))
		return -ENOTDIR;
	memcpy(lp->last, path + start, end - start);
	lp->last[end - start] = '\0';
	lp->len = end - start;
	if (lp->len == 0)
		lp->type = LAST_ROOT;
	else if (!strcmp(lp->last, "."))
		lp->type = LAST_DOT;
	else if (!strcmp(lp->last, ".."))
		lp->type = LAST_DOTDOT;
	else
		lp->type = LAST_NORM;
	lp->dir = nd->cur;
	path_get(&lp->dir);
	return 0;
}

int vfs_lookup_parent(struct task *t, int dirfd, const char *path, struct lookup_parent *lp)
{
	struct nameidata nd;
	int ret;

	if (!path[0])
		return -ENOENT;
	ret = nd_init(&nd, t, dirfd, path, 0);
	if (ret == 0)
		ret = walk_parent(&nd, path, lp);
	nd_release(&nd);
	return ret;
}

int vfs_lookup_last(struct task *t, struct lookup_parent *lp, struct path *out)
{
	int ret;

	if (lp->type != LAST_NORM)
		return -EINVAL;
	ret = vfs_permission(task_fs_creds(t), lp->dir.dentry, MAY_EXEC);
	if (ret < 0)
		return ret;
	out->mnt = lp->dir.mnt;
	ret = d_lookup(lp->dir.dentry, lp->last, lp->len, &out->dentry);
	if (ret < 0)
		return ret;
	path_follow_mounts(out);
	return 0;
}

/* One round of open(O_CREAT) at lp: the existing object, or a new file. */
static int creat_last(struct task *t, struct lookup_parent *lp, uint32_t mode,
		      struct path *out, bool *created)
{
	int ret = vfs_lookup_last(t, lp, out);

	if (ret != -ENOENT)
		return ret;
	ret = vfs_create_checked(t, &lp->dir, lp->last, S_IFREG | (mode & 07777),
				 &out->dentry);
	if (ret < 0)
		return ret;
	out->mnt = lp->dir.mnt;
	*created = true;
	return 0;
}

int vfs_lookup_creat(struct task *t, int dirfd, const char *path, bool excl, bool nofollow,
		     unsigned resolve, uint32_t mode, struct path *out, bool *created)
{
	struct nameidata nd;
	struct lookup_parent lp;
	char *target = NULL;
	int ret;

	*created = false;
	if (!path[0])
		return -ENOENT;
	ret = nd_init(&nd, t, dirfd, path, resolve);
	if (ret == 0)
		ret = walk_parent(&nd, path, &lp);
	else
		memset(&lp, 0, sizeof(lp));
	while (ret == 0) {
		if (lp.type != LAST_NORM || lp.trailing_slash) {
			ret = -EISDIR;
			break;
		}
		ret = creat_last(t, &lp, mode, out, created);
		if (ret < 0 || *created)
			break;
		if (excl) {
			ret = -EEXIST;
		} else if (d_is_symlink(out->dentry) && out->dentry->inode->iops->get_link) {
			/* A magic link opens its object whatever the flags (no create). */
			struct path link = *out;

			nd_set(&nd, &lp.dir);
			ret = nofollow ? -ELOOP : nd_magic_link(&nd, &link, out);
			path_put(&link);
			if (ret < 0)
				out->dentry = NULL;
			break;
		} else if (d_is_symlink(out->dentry)) {
			ret = nofollow ? -ELOOP : nd_may_follow(&nd, out);
			if (ret == 0 && ++nd.nlinks > VFS_MAXSYMLINKS)
				ret = -ELOOP;
			if (ret == 0)
				ret = read_link(out->dentry, &target);
			path_put(out);
			if (ret < 0)
				break;
			/* Continue from the symlink's directory with its target. */
			nd_set(&nd, &lp.dir);
			path_put(&lp.dir);
			ret = walk_parent(&nd, target, &lp);
			free(target);
			target = NULL;
			continue;
		}
		if (ret < 0)
			path_put(out);
		break;
	}
	path_put(&lp.dir);
	nd_release(&nd);
	return ret;
}
