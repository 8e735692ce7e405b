/* mount_ops.c: mount(2): new tmpfs, proc, sysfs, cgroup2, mqueue, devpts mounts, bind mounts
 * (MS_BIND, MS_REC), remounts (MS_REMOUNT, with MS_BIND per mount), MS_MOVE and the
 * propagation types, in Linux's order of checks. Every mount is a Sentry filesystem or
 * a bind of something already in the sandbox: nothing reaches the host. */
#include "sentry/vfs/mount.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "sentry/fs/cgroup/cgroup.h"
#include "sentry/fs/dev/tty.h"
#include "sentry/ipc/ipc.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"

#define MS_PROPAGATION (MS_SHARED | MS_PRIVATE | MS_SLAVE | MS_UNBINDABLE)
#define MS_NOUSER_BIT (1UL << 31)
#define MNT_SETTABLE (MNT_READONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC | MNT_NOATIME)

static bool check_mnt(struct task *t, const struct mount *m)
{
	return m->ns && m->ns == t->fs->mnt_ns;
}

static int flags_to_mnt(unsigned long flags)
{
	return ((flags & MS_RDONLY) ? MNT_READONLY : 0) | ((flags & MS_NOSUID) ? MNT_NOSUID : 0) |
	       ((flags & MS_NODEV) ? MNT_NODEV : 0) | ((flags & MS_NOEXEC) ? MNT_NOEXEC : 0) |
	       ((flags & MS_NOATIME) ? MNT_NOATIME : 0);
}

/* The words every filesystem's data may hold (Linux's common superblock flags): taken out
 * of data, "ro" and "rw" applied to *rdonly. Returns the rest (caller frees). */
char *mnt_strip_sb_words(const char *data, bool *rdonly)
{
	static const char *const words[] = {"sync", "async", "dirsync", "lazytime",
					    "nolazytime", "mand", "nomand", "silent"};
	char *copy = xstrdup(data ? data : ""), *out = xcalloc(1, strlen(copy) + 1);
	char *save = NULL, *tok;

	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		bool common = false;

		for (size_t i = 0; i < ARRAY_SIZE(words); i++)
			common |= !strcmp(tok, words[i]);
		if (!strcmp(tok, "ro") || !strcmp(tok, "rw"))
			*rdonly = tok[1] == 'o';
		else if (!common)
			strcat(strcat(out, *out ? "," : ""), tok);
	}
	free(copy);
	return out;
}

/* A new instance of the filesystem type names. -ENODEV for any other type. */
int mnt_new_sb(struct task *t, const char *type, const char *data, struct super_block **out)
{
	const struct creds *c = task_fs_creds(t);

	if (!strcmp(type, "tmpfs"))
		return tmpfs_new_with_options(data, c->fsuid, c->fsgid, out);
	if (!strcmp(type, "proc"))
		*out = procfs_new();
	else if (!strcmp(type, "sysfs"))
		*out = sysfs_new();
	else if (!strcmp(type, "cgroup2"))
		*out = cgroupfs_new();
	else if (!strcmp(type, "mqueue"))
		*out = mqueue_fs_sb(); /* one for the sandbox, as one IPC namespace's */
	else if (!strcmp(type, "devpts"))
		*out = devpts_new(); /* a view of the sandbox's one set of ptys */
	else
		return -ENODEV;
	return 0;
}

/* Whether root (a new mount's root) may be mounted on mp: types agree, mp is linked. */
static int may_graft(const struct path *mp, const struct dentry *root)
{
	if (d_is_dir(mp->dentry) != d_is_dir(root))
		return -ENOTDIR;
	if (!mp->dentry->hashed)
		return -ENOENT;
	return 0;
}

static int do_new_mount(struct task *t, struct path *mp, const char *type, unsigned long flags,
			const char *source, const char *data)
{
	struct super_block *sb;
	bool rdonly = flags & MS_RDONLY;
	char *rest;
	int ret;

	if (!type)
		return -EINVAL;
	if (!check_mnt(t, mp->mnt))
		return -EINVAL;
	rest = mnt_strip_sb_words(data, &rdonly);
	ret = mnt_new_sb(t, type, rest, &sb);
	free(rest);
	if (ret < 0)
		return ret;
	ret = may_graft(mp, sb->root);
	if (ret < 0) {
		sb_release(sb);
		return ret;
	}
	sb->rdonly = rdonly;
	/* No source: /proc/mounts says "none", as Linux. */
	mnt_attach(mp, sb, sb->root, flags_to_mnt(flags) | (rdonly ? MNT_READONLY : 0),
		   source ? source : "none");
	return 0;
}

static bool d_below(const struct dentry *d, const struct dentry *top)
{
	for (;; d = d->parent) {
		if (d == top)
			return true;
		if (d == d->parent)
			return false;
	}
}

/* MS_REC: the mounts below src (visible under root, not unbindable) copied below copy,
 * in mount order so parents come first. */
void mnt_copy_children(struct mount *src, struct dentry *root, struct mount *copy)
{
	size_t n;
	struct mount **ms = mnt_snapshot(&n);

	src->copy = copy;
	for (size_t i = 0; i < n; i++) {
		struct mount *m = ms[i], *p = m->parent;

		if (!p || !p->copy || m == copy || (m->flags & MNT_UNBINDABLE))
			continue;
		if (p == src && !d_below(m->mountpoint, root))
			continue;
		struct path mp = {p->copy, m->mountpoint};

		m->copy = mnt_attach(&mp, m->sb, m->root, m->flags & ~MNT_EXPIRE_MARK, m->source);
	}
	for (size_t i = 0; i < n; i++)
		ms[i]->copy = NULL;
	free(ms);
}

/* The source of a bind or a move: EINVAL if none is given. */
static int lookup_source(struct task *t, const char *source, struct path *out)
{
	if (!source || !*source)
		return -EINVAL;
	return vfs_lookupat(t, AT_FDCWD, source, LOOKUP_FOLLOW, out);
}

static int do_bind(struct task *t, struct path *mp, const char *source, bool rec)
{
	struct path old;
	struct mount *m;
	int ret = lookup_source(t, source, &old);

	if (ret < 0)
		return ret;
	ret = -EINVAL;
	if ((old.mnt->flags & MNT_UNBINDABLE) || !check_mnt(t, mp->mnt) ||
	    !check_mnt(t, old.mnt))
		goto out;
	ret = may_graft(mp, old.dentry);
	if (ret < 0)
		goto out;
	m = mnt_attach(mp, old.mnt->sb, old.dentry, old.mnt->flags & ~(MNT_EXPIRE_MARK |
				MNT_UNBINDABLE), old.mnt->source);
	if (rec)
		mnt_copy_children(old.mnt, old.dentry, m);
out:
	path_put(&old);
	return ret;
}

/* Whether a file is open for writing through m, or through any mount of sb (sb_wide). */
bool mnt_has_writers(const struct mount *m, bool sb_wide)
{
	struct list_head *pos;

	if (!sb_wide)
		return m->writers > 0;
	list_for_each(pos, mnt_list()) {
		const struct mount *o = list_entry(pos, struct mount, link);

		if (o->sb == m->sb && o->writers > 0)
			return true;
	}
	return false;
}

/* MS_REMOUNT (and MS_BIND|MS_REMOUNT: this mount's flags only) on a mount's root. A
 * change to read-only while files are open for writing is EBUSY, as in Linux. */
static int do_remount(struct task *t, struct path *p, unsigned long flags, const char *data)
{
	struct mount *m = p->mnt;
	bool rdonly = flags & MS_RDONLY;
	char *rest;
	int ret = 0;

	if (!check_mnt(t, m) || p->dentry != m->root)
		return -EINVAL;
	if ((flags & MS_BIND) && (flags & MS_RDONLY) && !(m->flags & MNT_READONLY) &&
	    mnt_has_writers(m, false))
		return -EBUSY;
	if (!(flags & MS_BIND)) {
		rest = mnt_strip_sb_words(data, &rdonly);
		if (rdonly && !m->sb->rdonly && mnt_has_writers(m, true)) {
			free(rest);
			return -EBUSY;
		}
		/* Only tmpfs has options to change; the others' are not looked at. */
		if (!strcmp(m->sb->type, "tmpfs"))
			ret = tmpfs_remount(m->sb, rest);
		free(rest);
		if (ret < 0)
			return ret;
		m->sb->rdonly = rdonly;
	}
	m->flags = (m->flags & ~MNT_SETTABLE) | flags_to_mnt(flags) |
		   (rdonly ? MNT_READONLY : 0);
	return 0;
}

/* MS_SHARED, MS_PRIVATE, MS_SLAVE, MS_UNBINDABLE (exactly one, MS_REC allowed). Every
 * mount is private already: only unbindable changes anything. */
static int change_type(struct task *t, struct path *p, unsigned long flags)
{
	unsigned long type = flags & ~(unsigned long)(MS_REC | MS_SILENT);
	struct list_head *pos;

	if (p->dentry != p->mnt->root)
		return -EINVAL;
	if (!type || (type & (type - 1)) || (type & ~(unsigned long)MS_PROPAGATION))
		return -EINVAL;
	if (!check_mnt(t, p->mnt))
		return -EINVAL;
	list_for_each(pos, mnt_list()) {
		struct mount *m = list_entry(pos, struct mount, link), *a = m;

		while (a && a != p->mnt && (flags & MS_REC))
			a = a->parent;
		if (a != p->mnt)
			continue;
		if (type == MS_UNBINDABLE)
			m->flags |= MNT_UNBINDABLE;
		else
			m->flags &= ~MNT_UNBINDABLE;
	}
	return 0;
}

/* Put top and every mount below it at the end of the mount list, parents first. */
void mnt_reorder(struct mount *top)
{
	struct list_head *pos, *next, moved = LIST_HEAD_INIT(moved);

	list_del(&top->link);
	list_add_tail(&top->link, &moved);
	for (bool again = true; again;) {
		again = false;
		list_for_each_safe(pos, next, mnt_list()) {
			struct mount *m = list_entry(pos, struct mount, link);
			struct list_head *q;

			list_for_each(q, &moved) {
				if (m->parent == list_entry(q, struct mount, link)) {
					list_del(&m->link);
					list_add_tail(&m->link, &moved);
					again = true;
					break;
				}
			}
		}
	}
	while (!list_empty(&moved)) {
		pos = moved.next;
		list_del(pos);
		list_add_tail(pos, mnt_list());
	}
}

/* Hang m at mp (m unhooked from any parent). */
void mnt_set_mountpoint(struct mount *m, struct mount *parent, struct dentry *mp)
{
	if (m->mountpoint) {
		m->mountpoint->mounts--;
		dput(m->mountpoint);
	}
	m->parent = parent;
	m->mountpoint = mp;
	if (mp) {
		dget(mp);
		mp->mounts++;
	}
}

/* MS_MOVE: move_mount's rules (mount_tree_api.c), a detached tree's top included. */
static int do_move(struct task *t, struct path *mp, const char *source)
{
	struct path old;
	int ret = lookup_source(t, source, &old);

	if (ret < 0)
		return ret;
	ret = mnt_move(t, &old, mp, false);
	path_put(&old);
	return ret;
}

int vfs_do_mount(struct task *t, const char *source, const char *target, const char *type,
		 unsigned long flags, const char *data)
{
	struct path p;
	int ret;

	if ((flags & MS_MGC_MSK) == MS_MGC_VAL)
		flags &= ~MS_MGC_MSK;
	if (flags & MS_NOUSER_BIT)
		return -EINVAL;
	ret = vfs_lookupat(t, AT_FDCWD, target, LOOKUP_FOLLOW, &p);
	if (ret < 0)
		return ret;
	if (!caps_capable(t, CAP_SYS_ADMIN))
		ret = -EPERM;
	else if (flags & MS_REMOUNT)
		ret = do_remount(t, &p, flags, data);
	else if (flags & MS_BIND)
		ret = do_bind(t, &p, source, flags & MS_REC);
	else if (flags & MS_PROPAGATION)
		ret = change_type(t, &p, flags);
	else if (flags & MS_MOVE)
		ret = do_move(t, &p, source);
	else
		ret = do_new_mount(t, &p, type, flags, source, data);
	path_put(&p);
	return ret;
}
