/* devpts.c: /dev/pts: a directory of the slave ends of the open ptys (named by index,
 * char devices 136:N owned by whoever opened /dev/ptmx) and the ptmx node. Entries come
 * and go with the ptys, so lookups are checked again each time. */
#include "sentry/fs/dev/tty.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>

#include "sentry/fs/dev/dev.h"
#include "sentry/vfs/dir.h"
#include "sentry/vfs/vfs_internal.h"

#define DEVPTS_SUPER_MAGIC 0x1cd1
#define DEVPTS_PTMX_INO 2

static const struct inode_ops g_devpts_iops;

static int devpts_dev_open(struct dentry *d, struct file *f)
{
	return chrdev_open(d->inode->rdev, f);
}

static struct inode *devpts_node(struct super_block *sb, int index)
{
	struct inode *inode = inode_new(sb, S_IFCHR);
	struct tty *tty = pty_get(index);

	inode->iops = &g_devpts_iops;
	if (index < 0) {
		inode->mode |= 0666;
		inode->rdev = makedev(5, 2);
		inode->ino = DEVPTS_PTMX_INO;
		return inode;
	}
	inode->mode |= 0620;
	inode->rdev = makedev(PTY_SLAVE_MAJOR, (unsigned)index);
	inode->ino = (uint64_t)index + 3;
	inode->uid = tty ? tty->uid : 0;
	inode->gid = tty ? tty->gid : 0;
	return inode;
}

/* The index a name stands for, or -1. */
static int pts_index(const char *name)
{
	char *end;
	long v;

	if (!name[0] || (name[0] == '0' && name[1]) || name[0] < '0' || name[0] > '9')
		return -1;
	v = strtol(name, &end, 10);
	return (*end || v >= PTY_MAX) ? -1 : (int)v;
}

static bool pty_visible(int index)
{
	struct tty *tty = pty_get(index);

	return tty && tty->master_opens > 0;
}

static int devpts_lookup(struct dentry *dir, const char *name, struct inode **out)
{
	int index;

	if (!strcmp(name, "ptmx")) {
		*out = devpts_node(dir->sb, -1);
		return 0;
	}
	index = pts_index(name);
	if (index < 0 || !pty_visible(index))
		return -ENOENT;
	*out = devpts_node(dir->sb, index);
	return 0;
}

static int devpts_readdir(struct dentry *dir, vfs_dirent_fn fn, void *arg)
{
	struct vfs_dirent e = {"ptmx", 4, DEVPTS_PTMX_INO, DT_CHR};
	char name[16];

	if (fn(arg, &e))
		return 0;
	for (int i = 0; i < PTY_MAX; i++) {
		if (!pty_visible(i))
			continue;
		e.name_len = (size_t)snprintf(name, sizeof(name), "%d", i);
		e.name = name;
		e.ino = (uint64_t)i + 3;
		if (fn(arg, &e))
			break;
	}
	return 0;
}

static const struct inode_ops g_devpts_iops = {
	.lookup = devpts_lookup,
	.readdir = devpts_readdir,
	.open = devpts_dev_open,
};

static const struct inode_ops g_devpts_root_iops = {
	.lookup = devpts_lookup,
	.readdir = devpts_readdir,
};

/* A cached /dev/pts/N is good while its pty is there (and the same pty: ids recycle). */
static bool devpts_revalidate(struct dentry *d)
{
	int index = pts_index(d->name);
	struct tty *tty = pty_get(index);

	if (index < 0)
		return true; /* ptmx */
	return pty_visible(index) && d->inode && d->inode->uid == tty->uid &&
	       d->inode->gid == tty->gid;
}

static int devpts_statfs(struct super_block *sb, struct statfs *st)
{
	memset(st, 0, sizeof(*st));
	st->f_type = DEVPTS_SUPER_MAGIC;
	st->f_bsize = 4096;
	st->f_namelen = 255;
	return 0;
}

static const struct super_ops g_devpts_sops = {
	.statfs = devpts_statfs,
	.d_revalidate = devpts_revalidate,
};

/* The devpts directory of a ptmx opened at p: the directory of /dev/pts/ptmx, or the
 * devpts mounted on "pts" beside /dev/ptmx (as Linux finds it). */
static int devpts_dir_of(const struct path *p, struct path *dir)
{
	struct dentry *pts;
	int ret;

	dir->mnt = p->mnt;
	if (p->dentry->sb->ops == &g_devpts_sops) {
		dir->dentry = p->dentry->parent;
		dget(dir->dentry);
		return 0;
	}
	ret = d_lookup(p->dentry->parent, "pts", 3, &pts);
	if (ret < 0)
		return -EIO;
	dir->dentry = pts;
	path_follow_mounts(dir);
	if (dir->dentry->sb->ops != &g_devpts_sops) {
		path_put(dir);
		return -EIO;
	}
	return 0;
}

int devpts_peer_path(const struct path *ptmx, int index, struct path *out)
{
	struct path dir;
	char name[16];
	int ret;

	if (!ptmx->mnt || !ptmx->dentry)
		return -EIO;
	ret = devpts_dir_of(ptmx, &dir);
	if (ret < 0)
		return ret;
	out->mnt = dir.mnt;
	ret = d_lookup(dir.dentry, name, (size_t)snprintf(name, sizeof(name), "%d", index),
		       &out->dentry);
	path_put(&dir);
	return ret < 0 ? -EIO : 0;
}

struct super_block *devpts_new(void)
{
	struct super_block *sb = sb_new(&g_devpts_sops, "devpts", DEVPTS_SUPER_MAGIC);
	struct inode *root = inode_new(sb, S_IFDIR | 0755);

	root->ino = 1;
	root->nlink = 2;
	root->iops = &g_devpts_root_iops;
	root->fops = &g_dir_fops;
	sb->prunable = true;
	sb->root = d_alloc_root(sb, root);
	return sb;
}
