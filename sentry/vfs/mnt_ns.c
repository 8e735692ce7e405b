/* mnt_ns.c: mount namespaces (CLONE_NEWNS): copying one, tearing one down when its last
 * task leaves, unmounting a tree, and the per-mount user counts umount's EBUSY rests on. */
#include "sentry/vfs/mount.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

#include "sentry/kernel/pidns.h"
#include "sentry/vfs/vfs.h"

#define MNT_NS_INIT_INO 4026531841ULL /* Linux's PROC_MNT_INIT_INO */

static struct mnt_ns g_init_ns = {.refs = 1, .ino = MNT_NS_INIT_INO};
/* Unmounted mounts that still have users: their filesystems stay until the last goes. */
static struct list_head g_detached = LIST_HEAD_INIT(g_detached);

struct mnt_ns *mnt_ns_for_root(struct mount *root)
{
	struct mnt_ns *ns;

	if (root == vfs_root_mount()) {
		g_init_ns.root = root;
		return &g_init_ns;
	}
	ns = xcalloc(1, sizeof(*ns));
	ns->refs = 1; /* the pod tree's own: vfs_release_tree takes its mounts */
	ns->ino = ns_ino_alloc();
	ns->root = root;
	return ns;
}

struct mnt_ns *mnt_ns_get(struct mnt_ns *ns)
{
	if (ns)
		ns->refs++;
	return ns;
}

uint64_t mnt_ns_ino(const struct mnt_ns *ns)
{
	return ns ? ns->ino : MNT_NS_INIT_INO;
}

void mnt_ns_for_each(struct mnt_ns *ns, void (*fn)(void *arg, struct mount *m), void *arg)
{
	struct list_head *pos;

	list_for_each(pos, mnt_list()) {
		struct mount *m = list_entry(pos, struct mount, link);

		if (m->ns == ns)
			fn(arg, m);
	}
}

bool mnt_has_children(const struct mount *m)
{
	struct list_head *pos;

	list_for_each(pos, mnt_list())
		if (list_entry(pos, struct mount, link)->parent == m)
			return true;
	return false;
}

/* Whether any mount of sb is attached or still used once unmounted. */
bool mnt_sb_in_use(const struct super_block *sb)
{
	struct list_head *pos;

	if (sb->ctx_pins > 0)
		return true;
	list_for_each(pos, mnt_list())
		if (list_entry(pos, struct mount, link)->sb == sb)
			return true;
	list_for_each(pos, &g_detached)
		if (list_entry(pos, struct mount, link)->sb == sb)
			return true;
	return false;
}

static void sb_maybe_release(struct super_block *sb)
{
	if (!mnt_sb_in_use(sb))
		sb_release(sb);
}

void mnt_hold(struct mount *m)
{
	if (m) {
		m->users++;
		m->flags &= ~MNT_EXPIRE_MARK;
	}
}

void mnt_release(struct mount *m)
{
	if (!m || --m->users > 0 || m->ns || m->parent || list_empty(&m->link))
		return;
	/* The last user of an unmounted mount. */
	list_del(&m->link);
	list_init(&m->link);
	sb_maybe_release(m->sb);
}

/* Take one mount (already off the list) out of its namespace. */
static void detach_one(struct mount *m)
{
	if (m->mountpoint) {
		m->mountpoint->mounts--;
		dput(m->mountpoint);
		m->mountpoint = NULL;
	}
	m->parent = NULL;
	m->ns = NULL;
	if (m->users > 0)
		list_add_tail(&m->link, &g_detached);
	else
		list_init(&m->link);
}

static bool mnt_below(const struct mount *m, const void *top)
{
	for (; m; m = m->parent)
		if (m == top)
			return true;
	return false;
}

static bool mnt_in_ns(const struct mount *m, const void *ns)
{
	return m->ns == ns;
}

struct mount **mnt_snapshot(size_t *n)
{
	struct list_head *pos;
	struct mount **ms;
	size_t count = 0;

	list_for_each(pos, mnt_list())
		count++;
	ms = xcalloc(count + 1, sizeof(*ms));
	*n = 0;
	list_for_each(pos, mnt_list())
		ms[(*n)++] = list_entry(pos, struct mount, link);
	return ms;
}

/* Unmount every attached mount match() picks, children first, then release the
 * filesystems nothing uses any more. */
static void detach_matching(bool (*match)(const struct mount *m, const void *arg),
			    const void *arg)
{
	size_t count, n = 0;
	struct mount **ms = mnt_snapshot(&count);

	for (size_t i = 0; i < count; i++)
		if (match(ms[i], arg))
			ms[n++] = ms[i];
	for (size_t i = n; i-- > 0;) {
		list_del(&ms[i]->link);
		detach_one(ms[i]);
	}
	for (size_t i = 0; i < n; i++)
		sb_maybe_release(ms[i]->sb);
	free(ms);
}

void mnt_detach_tree(struct mount *top)
{
	detach_matching(mnt_below, top);
}

void mnt_ns_put(struct mnt_ns *ns)
{
	if (!ns || --ns->refs > 0)
		return;
	detach_matching(mnt_in_ns, ns);
	free(ns);
}

/* Move p to the copy of its mount, if it has one. */
static void path_to_copy(struct path *p)
{
	struct mount *old = p->mnt;

	if (!old || !old->copy)
		return;
	p->mnt = old->copy;
	mnt_hold(p->mnt);
	mnt_release(old);
}

void mnt_ns_unshare(struct fs_context *fs)
{
	struct mnt_ns *old = fs->mnt_ns, *ns = xcalloc(1, sizeof(*ns));
	struct list_head *pos, *last = mnt_list()->prev;

	ns->refs = 1;
	ns->ino = ns_ino_alloc();
	/* Copies are appended to the list: stop at what was its end. */
	for (pos = mnt_list()->next; pos != mnt_list(); pos = pos->next) {
		struct mount *m = list_entry(pos, struct mount, link), *c;

		if (m->ns == old && (!m->parent || m->parent->copy)) {
			struct path mp = {m->parent ? m->parent->copy : NULL, m->mountpoint};

			c = mnt_attach(m->parent ? &mp : NULL, m->sb, m->root, m->flags,
				       m->source);
			if (!m->parent)
				ns->root = c;
			c->ns = ns;
			m->copy = c;
		}
		if (pos == last)
			break;
	}
	path_to_copy(&fs->root);
	path_to_copy(&fs->cwd);
	list_for_each(pos, mnt_list())
		list_entry(pos, struct mount, link)->copy = NULL;
	fs->mnt_ns = ns;
	mnt_ns_put(old);
}

void mnt_root_name(const struct mount *m, char *buf, size_t size)
{
	char *tmp = xmalloc(VFS_PATH_MAX);
	size_t pos = VFS_PATH_MAX - 1;
	const struct dentry *d = m->root;

	tmp[pos] = '\0';
	while (d != d->parent && d != m->sb->root && pos > d->name_len + 1) {
		pos -= d->name_len;
		memcpy(tmp + pos, d->name, d->name_len);
		tmp[--pos] = '/';
		d = d->parent;
	}
	if (pos == VFS_PATH_MAX - 1)
		tmp[--pos] = '/';
	snprintf(buf, size, "%s", tmp + pos);
	free(tmp);
}

unsigned long mnt_statfs_flags(const struct mount *m)
{
	unsigned long f = 0;

	if (!m)
		return 0;
	if ((m->flags & MNT_READONLY) || m->sb->rdonly)
		f |= ST_RDONLY;
	f |= (m->flags & MNT_NOSUID) ? ST_NOSUID : 0;
	f |= (m->flags & MNT_NODEV) ? ST_NODEV : 0;
	f |= (m->flags & MNT_NOEXEC) ? ST_NOEXEC : 0;
	f |= (m->flags & MNT_NOATIME) ? ST_NOATIME : ST_RELATIME;
	return f;
}

const char *mnt_source(const struct mount *m)
{
	const char *type = m->sb->type;

	if (m->source)
		return m->source;
	if (!strcmp(type, "9p") || !strcmp(type, "overlay"))
		return "none";
	return type;
}
