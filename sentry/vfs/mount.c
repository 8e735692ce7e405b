/* mount.c: super blocks, the mount tree, crossing mountpoints, and vfs_init (the sandbox's
 * initial tree: the root, /dev, /dev/shm, /proc, /sys and /tmp). The sandbox's mounts live
 * for its life; a pod container's tree is released when the container is deleted. */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "lib/log.h"
#include "sentry/fs/dev/tty.h"
#include "sentry/abi/statmount.h"
#include "sentry/ipc/ipc.h"
#include "sentry/vfs/mount.h"

static struct list_head g_mounts = LIST_HEAD_INIT(g_mounts);
static struct mount *g_root_mount;
static unsigned g_next_minor = 16; /* anonymous devices 0:16, 0:17... as Linux numbers them */
static int g_next_mount_id = 21;     /* Linux's first mount IDs are in the twenties */
static uint64_t g_next_unique_id = MNT_UNIQUE_ID_OFFSET + 1;

struct super_block *sb_new(const struct super_ops *ops, const char *type, unsigned long magic)
{
	struct super_block *sb = xcalloc(1, sizeof(*sb));

	sb->ops = ops;
	sb->type = type;
	sb->magic = magic;
	sb->dev = makedev(0, g_next_minor++);
	return sb;
}

struct mount *mnt_attach(struct path *mp, struct super_block *sb, struct dentry *root,
			 int flags, const char *source)
{
	struct mount *m = xcalloc(1, sizeof(*m));

	m->id = g_next_mount_id++;
	m->unique_id = g_next_unique_id++;
	m->sb = sb;
	m->root = root;
	dget(m->root);
	m->flags = flags;
	m->source = source ? xstrdup(source) : NULL;
	if (mp) {
		m->parent = mp->mnt;
		m->ns = mp->mnt->ns;
		m->mountpoint = mp->dentry;
		dget(m->mountpoint);
		m->mountpoint->mounts++;
	}
	list_add_tail(&m->link, &g_mounts);
	return m;
}

struct mount *vfs_mount(struct path *mountpoint, struct super_block *sb, int flags)
{
	struct mount *m = mnt_attach(mountpoint, sb, sb->root, flags, NULL);

	if (!mountpoint) {
		if (!g_root_mount)
			g_root_mount = m; /* the sandbox's; a pod container's tree has its own */
		m->ns = mnt_ns_for_root(m);
	}
	return m;
}

struct list_head *mnt_list(void)
{
	return &g_mounts;
}

struct mount *vfs_root_mount(void)
{
	return g_root_mount;
}

/* The most recent mount on (mnt, dentry), or NULL. */
static struct mount *mount_lookup(struct mount *mnt, struct dentry *d)
{
	struct list_head *pos;

	for (pos = g_mounts.prev; pos != &g_mounts; pos = pos->prev) {
		struct mount *m = list_entry(pos, struct mount, link);

		if (m->parent == mnt && m->mountpoint == d)
			return m;
	}
	return NULL;
}

void path_follow_mounts(struct path *p)
{
	while (p->dentry->mounts > 0) {
		struct mount *m = mount_lookup(p->mnt, p->dentry);

		if (!m)
			return;
		dget(m->root);
		dput(p->dentry);
		p->mnt = m;
		p->dentry = m->root;
	}
}

void path_get(const struct path *p)
{
	if (p->dentry)
		dget(p->dentry);
}

void path_put(struct path *p)
{
	if (p->dentry)
		dput(p->dentry);
	p->dentry = NULL;
	p->mnt = NULL;
}

bool path_equal(const struct path *a, const struct path *b)
{
	return a->mnt == b->mnt && a->dentry == b->dentry;
}

void vfs_for_each_mount(void (*fn)(void *arg, struct mount *m), void *arg)
{
	struct list_head *pos;

	list_for_each(pos, &g_mounts)
		fn(arg, list_entry(pos, struct mount, link));
}

static bool mount_in_tree(const struct mount *m, const struct mount *root)
{
	while (m->parent)
		m = m->parent;
	return m == root;
}

void vfs_release_tree(struct mount *root)
{
	struct list_head *pos, *next, gone = LIST_HEAD_INIT(gone);

	if (root == g_root_mount)
		return;
	/* The mount structs and the dentries they pin (root, mountpoint) stay: a path
	 * still open somewhere names them. Only the cached trees below go. */
	list_for_each_safe(pos, next, &g_mounts) {
		struct mount *m = list_entry(pos, struct mount, link);
		if (mount_in_tree(m, root)) {
			list_del(&m->link);
			list_add_tail(&m->link, &gone);
		}
	}
	/* Children were mounted after their parents: release in reverse. */
	for (pos = gone.prev; pos != &gone; pos = pos->prev) {
		struct mount *m = list_entry(pos, struct mount, link);
		bool again = false;

		for (struct list_head *q = pos->next; q != &gone && !again; q = q->next)
			again = list_entry(q, struct mount, link)->sb == m->sb;
		if (!again && !mnt_sb_in_use(m->sb))
			sb_release(m->sb);
	}
	list_for_each_safe(pos, next, &gone) {
		list_del(pos);
		list_init(pos);
	}
}

void vfs_reset_for_test(void)
{
	list_init(&g_mounts);
	g_root_mount = NULL;
}

/* Mount sb at name under the root mount's root, creating the directory if needed. */
static int mount_at(struct mount *root, const char *name, struct super_block *sb, int flags)
{
	struct path p = {root, NULL};
	int ret;

	ret = d_lookup(root->root, name, strlen(name), &p.dentry);
	if (ret == -ENOENT)
		ret = vfsk_mkdir(root->root, name, 0755, NULL, &p.dentry);
	if (ret < 0)
		return ret;
	if (!d_is_dir(p.dentry)) {
		path_put(&p);
		return -ENOTDIR;
	}
	vfs_mount(&p, sb, flags);
	path_put(&p);
	return 0;
}

static int vfs_init_root(const struct vfs_config *cfg, struct super_block **out)
{
	struct super_block *gofer;
	int ret;

	if (cfg->root_gofer_fd < 0) {
		*out = tmpfs_new(0755, 0, 0);
		return 0;
	}
	if (!cfg->root_overlay && !cfg->root_readonly) {
		/* --overlay2=none: the Gofer's root itself, writable: writes reach the host.
		 * A read-only root keeps the overlay: its upper only holds the mount points
		 * (/dev, /proc, ...) the Sentry makes, and the mount is read-only to all. */
		return gofer_fs_new_mount(cfg->root_gofer_fd, true, true, out);
	}
	ret = gofer_fs_new(cfg->root_gofer_fd, &gofer);
	if (ret < 0)
		return ret;
	*out = overlay_new(gofer->root);
	return 0;
}

int vfs_init(const struct vfs_config *cfg)
{
	struct mount *root;

	return vfs_new_tree(cfg, &root);
}

int vfs_new_tree(const struct vfs_config *cfg, struct mount **out)
{
	struct super_block *root_sb, *dev_sb;
	struct mount *root;
	struct path devp;
	int ret;

	ret = vfs_init_root(cfg, &root_sb);
	if (ret < 0) {
		log_err("vfs: cannot set up the root filesystem: %s", strerror(-ret));
		return ret;
	}
	root = vfs_mount(NULL, root_sb, cfg->root_readonly ? MNT_READONLY : 0);
	*out = root;

	dev_sb = devfs_new();
	ret = mount_at(root, "dev", dev_sb, 0);
	if (ret < 0) {
		log_warn("vfs: cannot mount /dev: %s", strerror(-ret));
	} else {
		struct mount *devm = list_entry(g_mounts.prev, struct mount, link);

		devp.mnt = devm;
		devp.dentry = NULL;
		ret = vfsk_mkdir(dev_sb->root, "shm", 01777, NULL, &devp.dentry);
		if (ret == 0) {
			vfs_mount(&devp, tmpfs_new(01777, 0, 0), 0);
			path_put(&devp);
		}
		devp.dentry = NULL;
		ret = vfsk_mkdir(dev_sb->root, "mqueue", 01777, NULL, &devp.dentry);
		if (ret == 0) {
			devp.mnt = devm;
			vfs_mount(&devp, mqueue_fs_sb(), 0);
			path_put(&devp);
		}
		devp.dentry = NULL;
		ret = vfsk_mkdir(dev_sb->root, "pts", 0755, NULL, &devp.dentry);
		if (ret == 0) {
			devp.mnt = devm;
			vfs_mount(&devp, devpts_new(), 0);
			path_put(&devp);
		}
	}
	ret = mount_at(root, "proc", procfs_new(), MNT_NOSUID | MNT_NODEV | MNT_NOEXEC);
	if (ret < 0)
		log_warn("vfs: cannot mount /proc: %s", strerror(-ret));
	ret = mount_at(root, "sys", sysfs_new(),
		       MNT_READONLY | MNT_NOSUID | MNT_NODEV | MNT_NOEXEC);
	if (ret < 0)
		log_warn("vfs: cannot mount /sys: %s", strerror(-ret));
	if (cfg->tmp_tmpfs) {
		ret = mount_at(root, "tmp", tmpfs_new(01777, 0, 0), 0);
		if (ret < 0)
			log_warn("vfs: cannot mount /tmp: %s", strerror(-ret));
	}
	return 0;
}
