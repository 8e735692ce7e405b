/* namei.c: path walk: absolute and dirfd-relative starts, "." and ".." (across mounts,
 * clamped at the task's root), symlinks (ELOOP after VFS_MAXSYMLINKS), trailing slashes,
 * and the parent-plus-last-component lookups that create/unlink/rename need. */
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

/* Set the walk's root and starting point. */
static int nd_init(struct nameidata *nd, struct task *t, int dirfd, const char *path)
{
	struct file *f;

	memset(nd, 0, sizeof(*nd));
	nd->t = t;
	nd->creds = task_fs_creds(t);
	nd->root = t->fs->root;
	path_get(&nd->root);
	if (path[0] == '/') {
		nd_set(nd, &nd->root);
		return 0;
	}
	if (dirfd == AT_FDCWD) {
		nd_set(nd, &t->fs->cwd);
		return 0;
	}
	f = fdtable_get(t->files, dirfd);
	if (!f) {
		nd_release(nd);
		return -EBADF;
	}
	if (!f->path.dentry || (path[0] && !d_is_dir(f->path.dentry))) {
		file_put(f);
		nd_release(nd);
		return -ENOTDIR;
	}
	nd_set(nd, &f->path);
	file_put(f);
	return 0;
}

static void follow_dotdot(struct nameidata *nd)
{
	struct path p = nd->cur;

	path_get(&p);
	for (;;) {
		if (path_equal(&p, &nd->root))
			break;
		if (p.dentry == p.mnt->root) {
			struct dentry *mp = p.mnt->mountpoint;

			if (!p.mnt->parent)
				break;
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
	path_follow_mounts(&p);
	path_put(&nd->cur);
	nd->cur = p;
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
	if (next->dentry->inode->iops->get_link) {
		struct path to;

		ret = next->dentry->inode->iops->get_link(nd->t, next, &to);
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

/* One component: nd->cur becomes the child named comp (following a symlink if asked). */
static int walk_one(struct nameidata *nd, const char *comp, size_t len, unsigned flags)
{
	struct path next;
	int ret;

	if (!d_is_dir(nd->cur.dentry))
		return -ENOTDIR;
	ret = vfs_permission(nd->creds, nd->cur.dentry, MAY_EXEC);
	if (ret < 0)
		return ret;
	if (len == 1 && comp[0] == '.')
		return 0;
	if (len == 2 && comp[0] == '.' && comp[1] == '.') {
		follow_dotdot(nd);
		return 0;
	}
	next.mnt = nd->cur.mnt;
	ret = d_lookup(nd->cur.dentry, comp, len, &next.dentry);
	if (ret < 0)
		return ret;
	path_follow_mounts(&next);
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
		nd_set(nd, &nd->root);
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
	ret = nd_init(&nd, t, dirfd, path);
	if (ret < 0)
		return ret;
	ret = link_walk(&nd, path, flags);
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
	ret = nd_init(&nd, t, dirfd, path);
	if (ret < 0)
		return ret;
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
		     uint32_t mode, struct path *out, bool *created)
{
	struct nameidata nd;
	struct lookup_parent lp;
	char *target = NULL;
	int ret;

	*created = false;
	if (!path[0])
		return -ENOENT;
	ret = nd_init(&nd, t, dirfd, path);
	if (ret < 0)
		return ret;
	ret = walk_parent(&nd, path, &lp);
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

			ret = nofollow ? -ELOOP
				       : link.dentry->inode->iops->get_link(t, &link, out);
			path_put(&link);
			if (ret < 0)
				out->dentry = NULL;
			break;
		} else if (d_is_symlink(out->dentry)) {
			ret = nofollow ? -ELOOP : 0;
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
