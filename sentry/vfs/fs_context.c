/* fs_context.c: each task's root, cwd and umask (shared under CLONE_FS), chdir/fchdir,
 * chroot, and turning a path back into a name (getcwd). */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <string.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/mount.h"

struct fs_context *fs_context_new_root(void)
{
	return fs_context_new_at(vfs_root_mount());
}

struct fs_context *fs_context_new_at(struct mount *m)
{
	struct fs_context *fs = xcalloc(1, sizeof(*fs));

	fs->refs = 1;
	fs->umask = 022;
	fs->root.mnt = fs->cwd.mnt = m;
	fs->root.dentry = fs->cwd.dentry = m->root;
	dget(m->root);
	dget(m->root);
	mnt_hold(m);
	mnt_hold(m);
	fs->mnt_ns = mnt_ns_get(m->ns);
	return fs;
}

struct fs_context *fs_context_fork(struct fs_context *old, bool share)
{
	struct fs_context *fs;

	if (share) {
		old->refs++;
		return old;
	}
	fs = xcalloc(1, sizeof(*fs));
	fs->refs = 1;
	fs->umask = old->umask;
	fs->root = old->root;
	fs->cwd = old->cwd;
	path_get(&fs->root);
	path_get(&fs->cwd);
	mnt_hold(fs->root.mnt);
	mnt_hold(fs->cwd.mnt);
	fs->mnt_ns = mnt_ns_get(old->mnt_ns);
	return fs;
}

void fs_context_put(struct fs_context *fs)
{
	if (!fs || --fs->refs > 0)
		return;
	mnt_release(fs->root.mnt);
	mnt_release(fs->cwd.mnt);
	path_put(&fs->root);
	path_put(&fs->cwd);
	mnt_ns_put(fs->mnt_ns);
	free(fs);
}

struct fs_context *fs_context_unshare(struct fs_context *fs)
{
	struct fs_context *copy;

	if (fs->refs == 1)
		return fs;
	copy = fs_context_fork(fs, false);
	fs_context_put(fs);
	return copy;
}

void fs_context_unshare_ns(struct fs_context *fs)
{
	mnt_ns_unshare(fs);
}

static void set_cwd(struct fs_context *fs, struct path *p)
{
	mnt_hold(p->mnt);
	mnt_release(fs->cwd.mnt);
	path_put(&fs->cwd);
	fs->cwd = *p;
}

int fs_context_chdir(struct fs_context *fs, const char *path)
{
	struct task *t = xcalloc(1, sizeof(*t)); /* the kernel: root credentials, no fds */
	struct path p;
	int ret;

	t->fs = fs;
	ret = vfs_lookupat(t, AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);
	free(t);
	if (ret < 0)
		return ret;
	set_cwd(fs, &p);
	return 0;
}

int vfs_chdir(struct task *t, const char *path)
{
	struct path p;
	int ret = vfs_lookupat(t, AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);

	if (ret < 0)
		return ret;
	ret = vfs_permission(task_fs_creds(t), p.dentry, MAY_EXEC);
	if (ret < 0) {
		path_put(&p);
		return ret;
	}
	set_cwd(t->fs, &p);
	return 0;
}

int vfs_fchdir(struct task *t, struct file *f)
{
	struct path p = f->path;
	int ret;

	if (!p.dentry || !d_is_dir(p.dentry))
		return -ENOTDIR;
	ret = vfs_permission(task_fs_creds(t), p.dentry, MAY_EXEC);
	if (ret < 0)
		return ret;
	path_get(&p);
	set_cwd(t->fs, &p);
	return 0;
}

/* Prepend s (len bytes) before *pos in buf. */
static int prepend(char *buf, size_t *pos, const char *s, size_t len)
{
	if (*pos < len)
		return -ENAMETOOLONG;
	*pos -= len;
	memcpy(buf + *pos, s, len);
	return 0;
}

/* Build p's name from root into tmp below *pos. *unreachable: p is not under root (the
 * name is then from the top of the mount tree). */
static int build_name(const struct path *root, const struct path *p, char *tmp, size_t *pos,
		      bool *unreachable)
{
	struct path cur = *p;
	int ret = 0;

	*unreachable = false;
	while (ret == 0 && !path_equal(&cur, root)) {
		if (cur.dentry == cur.mnt->root) {
			if (!cur.mnt->parent) {
				*unreachable = true; /* outside the task's root */
				break;
			}
			cur.dentry = cur.mnt->mountpoint;
			cur.mnt = cur.mnt->parent;
			continue;
		}
		ret = prepend(tmp, pos, cur.dentry->name, cur.dentry->name_len);
		if (ret == 0)
			ret = prepend(tmp, pos, "/", 1);
		cur.dentry = cur.dentry->parent;
	}
	if (ret == 0 && *pos == VFS_PATH_MAX - 1)
		ret = prepend(tmp, pos, "/", 1);
	return ret;
}

enum unreachable_as { UNREACHABLE_FULL, UNREACHABLE_MARKED, UNREACHABLE_ENOENT };

/* p's name as seen from root into buf; a name outside root is from the top of the tree,
 * "(unreachable)/..." as Linux's getcwd, or ENOENT. */
static ssize_t name_from(const struct path *root, const struct path *p, char *buf,
			 size_t size, enum unreachable_as as)
{
	char *tmp = xmalloc(VFS_PATH_MAX);
	size_t pos = VFS_PATH_MAX - 1;
	bool unreachable;
	int ret;

	tmp[pos] = '\0';
	ret = build_name(root, p, tmp, &pos, &unreachable);
	if (ret == 0 && unreachable && as == UNREACHABLE_MARKED)
		ret = prepend(tmp, &pos, "(unreachable)", 13);
	if (ret == 0 && unreachable && as == UNREACHABLE_ENOENT)
		ret = -ENOENT;
	if (ret == 0 && VFS_PATH_MAX - pos > size)
		ret = -ERANGE;
	if (ret == 0)
		memcpy(buf, tmp + pos, VFS_PATH_MAX - pos);
	free(tmp);
	return ret < 0 ? ret : (ssize_t)(VFS_PATH_MAX - pos);
}

/* p's name as seen from t's root (NULL: the sandbox's). */
static ssize_t path_name(struct task *t, const struct path *p, char *buf, size_t size,
			 bool mark_unreachable)
{
	struct path root = {vfs_root_mount(), NULL};

	if (t && t->fs)
		root = t->fs->root;
	else if (root.mnt)
		root.dentry = root.mnt->root;
	return name_from(&root, p, buf, size,
			 mark_unreachable ? UNREACHABLE_MARKED : UNREACHABLE_FULL);
}

ssize_t vfs_path_name_from(const struct path *root, const struct path *p, char *buf,
			   size_t size)
{
	return name_from(root, p, buf, size, UNREACHABLE_ENOENT);
}

ssize_t vfs_path_name(struct task *t, const struct path *p, char *buf, size_t size)
{
	return path_name(t, p, buf, size, false);
}

ssize_t vfs_getcwd(struct task *t, char *buf, size_t size)
{
	struct path *cwd = &t->fs->cwd;

	if (!cwd->dentry->hashed)
		return -ENOENT;
	return path_name(t, cwd, buf, size, true);
}

/* chroot: the new root is per fs_context (shared by CLONE_FS); the cwd stays where it is,
 * so it may be outside the root afterwards (getcwd then says "(unreachable)"). Search
 * permission on the directory comes before the capability check, as Linux. */
int vfs_chroot(struct task *t, const char *path)
{
	struct path p;
	int ret = vfs_lookupat(t, AT_FDCWD, path, LOOKUP_FOLLOW | LOOKUP_DIRECTORY, &p);

	if (ret < 0)
		return ret;
	ret = vfs_permission(task_fs_creds(t), p.dentry, MAY_EXEC);
	if (ret == 0 && !caps_capable(t, CAP_SYS_CHROOT))
		ret = -EPERM;
	if (ret < 0) {
		path_put(&p);
		return ret;
	}
	mnt_hold(p.mnt);
	mnt_release(t->fs->root.mnt);
	path_put(&t->fs->root);
	t->fs->root = p;
	return 0;
}
