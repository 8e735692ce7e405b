/* mqueue_fs.c: the mqueue filesystem: one directory of message queues per IPC namespace,
 * mounted at /dev/mqueue, where mq_open and mq_unlink look names up. Reading a queue's
 * file shows its QSIZE line; its open files are queue descriptors (poll, epoll). */
#include "sentry/ipc/mqueue.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "lib/util.h"
#include "sentry/ipc/ipc_internal.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/dir.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define MQUEUE_MAGIC 0x19800202
#define MQUEUE_FILENT_SIZE 80 /* what Linux reports as a queue file's size */

static const struct abi_mq_attr *g_create_attr; /* mq_open's attributes for create */
static struct task *g_create_task;
static const struct inode_ops g_mq_dir_iops;
static const struct file_ops g_mq_fops;

static int mq_lookup(struct dentry *dir, const char *name, struct inode **out)
{
	return -ENOENT; /* the tree is the dentry cache */
}

static int mq_create(struct dentry *dir, struct dentry *d, uint32_t mode, const struct creds *c)
{
	struct task *t = g_create_task ? g_create_task : t_current;
	struct mqueue *q;
	struct inode *inode;
	int err;

	if (!S_ISREG(mode))
		return -EPERM; /* only queues live here: no directories or nodes */
	if (!t)
		return -EPERM;
	err = mqueue_new(t, g_create_attr, &q);
	if (err)
		return err;
	inode = inode_new(dir->sb, S_IFREG | (mode & 07777));
	inode->fops = &g_mq_fops;
	inode->iops = &g_mq_dir_iops;
	inode->size = MQUEUE_FILENT_SIZE;
	inode->nlink = 1;
	inode->priv = q;
	inode_init_owner(inode, dir, c);
	d_instantiate(d, inode);
	inode_touch(dir->inode, VA_MTIME | VA_CTIME);
	return 0;
}

static int mq_unlink(struct dentry *dir, struct dentry *d)
{
	d->inode->nlink = 0;
	inode_touch(dir->inode, VA_MTIME | VA_CTIME);
	return 0;
}

static int mq_readdir(struct dentry *dir, vfs_dirent_fn fn, void *arg)
{
	struct list_head *pos;

	list_for_each(pos, &dir->children) {
		struct dentry *d = list_entry(pos, struct dentry, sibling);
		struct vfs_dirent ent = {
			.name = d->name, .name_len = d->name_len, .ino = d->inode->ino,
			.type = DT_REG,
		};
		if (fn(arg, &ent))
			break;
	}
	return 0;
}

static void mq_evict(struct inode *inode)
{
	if (S_ISREG(inode->mode) && inode->priv)
		mqueue_free(inode->priv);
	inode->priv = NULL;
}

static int mq_setattr(struct dentry *d, const struct vattr *va)
{
	struct inode *inode = d->inode;

	if (va->valid & VA_SIZE)
		return S_ISDIR(inode->mode) ? -EISDIR : -EINVAL;
	inode_apply_attr(inode, va);
	return 0;
}

static const struct inode_ops g_mq_dir_iops = {
	.lookup = mq_lookup,
	.create = mq_create,
	.unlink = mq_unlink,
	.readdir = mq_readdir,
	.setattr = mq_setattr,
	.evict = mq_evict,
};

struct mqueue *mqueue_of_file(struct file *f)
{
	if (f->ops != &g_mq_fops || !f->inode)
		return NULL;
	return f->inode->priv;
}

static ssize_t mq_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	char line[128];
	int len = mqueue_describe(mqueue_of_file(f), line, sizeof(line));

	if (len < 0 || *pos >= (uint64_t)len)
		return 0;
	size = MIN(size, (size_t)len - *pos);
	memcpy(buf, line + *pos, size);
	*pos += size;
	inode_touch(f->inode, VA_ATIME);
	return (ssize_t)size;
}

static unsigned mq_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct mqueue *q = mqueue_of_file(f);

	*wq = &q->wq;
	return mqueue_poll_events(q);
}

static void mq_flush(struct file *f)
{
	struct mqueue *q = mqueue_of_file(f);

	if (q)
		mqueue_file_release(t_current, q);
}

static const struct file_ops g_mq_fops = {
	.read = mq_read,
	.poll = mq_poll,
	.flush = mq_flush,
};

static int mq_statfs(struct super_block *sb, struct statfs *st)
{
	st->f_bsize = 4096;
	st->f_namelen = VFS_NAME_MAX;
	return 0;
}

static const struct super_ops g_mq_sops = {
	.statfs = mq_statfs,
};

/* The internal mount of ns's mqueue instance, made on first use. */
static struct mount *mq_mount(struct ipc_ns *ns)
{
	struct super_block *sb;
	struct inode *root;
	struct mount *m;

	if (ns->mq_mnt)
		return ns->mq_mnt;
	sb = sb_new(&g_mq_sops, "mqueue", MQUEUE_MAGIC);
	sb->global = true; /* the IPC namespace's, whichever trees mount it */
	root = inode_new(sb, S_IFDIR | 01777);
	root->iops = &g_mq_dir_iops;
	root->fops = &g_dir_fops;
	root->nlink = 2;
	sb->root = d_alloc_root(sb, root);
	m = xcalloc(1, sizeof(*m));
	m->id = -1; /* internal: never listed in mountinfo */
	m->sb = sb;
	m->root = sb->root;
	dget(sb->root);
	list_init(&m->link);
	ns->mq_mnt = m;
	return m;
}

struct super_block *mqueue_fs_sb(void)
{
	return mq_mount(ipc_ns_of(NULL))->sb;
}

void mqueue_ns_exit(struct ipc_ns *ns)
{
	struct mount *m = ns->mq_mnt;

	if (!m)
		return;
	/* Unlink every queue: each goes when its last descriptor closes. The super block
	 * itself (a root inode and dentry) stays. */
	while (!list_empty(&m->root->children)) {
		struct dentry *d = list_entry(m->root->children.next, struct dentry, sibling);
		dget(d);
		if (vfsk_unlink(m->root, d))
			d_drop(d);
		dput(d);
	}
	dput(m->root);
	free(m);
	ns->mq_mnt = NULL;
}

/* Linux's prepare_open: create when missing (O_CREAT), else the O_EXCL and access
 * checks. *d is the queue's dentry, referenced. */
static int mq_prepare(struct task *t, const char *name, int oflag, uint32_t mode,
		      const struct abi_mq_attr *attr, struct dentry **d)
{
	static const int acc[3] = {MAY_READ, MAY_WRITE, MAY_READ | MAY_WRITE};
	struct dentry *root = mq_mount(ipc_ns_of(t))->root;
	const struct creds *c = task_fs_creds(t);
	int err;

	*d = d_lookup_cached(root, name, strlen(name));
	if (!*d) {
		if (!(oflag & O_CREAT))
			return -ENOENT;
		err = vfs_permission(c, root, MAY_WRITE | MAY_EXEC);
		if (err)
			return err;
		g_create_attr = attr;
		g_create_task = t;
		err = vfsk_create(root, name, S_IFREG | (mode & ~t->fs->umask & 07777), c, d);
		g_create_attr = NULL;
		g_create_task = NULL;
		return err;
	}
	if ((oflag & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL))
		return -EEXIST;
	if ((oflag & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	return vfs_permission(c, *d, acc[oflag & O_ACCMODE]);
}

int mqueue_fs_open(struct task *t, const char *name, int oflag, uint32_t mode,
		   const struct abi_mq_attr *attr, struct file **out)
{
	struct dentry *d = NULL;
	struct path p;
	int err;

	err = mq_prepare(t, name, oflag, mode, attr, &d);
	if (!err) {
		p.mnt = mq_mount(ipc_ns_of(t));
		p.dentry = d;
		err = vfs_open_path(&p, oflag & (O_ACCMODE | O_NONBLOCK), out);
	}
	if (d)
		dput(d);
	return err;
}

int mqueue_fs_unlink(struct task *t, const char *name)
{
	const struct creds *c = task_fs_creds(t);
	struct dentry *root, *d;
	int err;

	root = mq_mount(ipc_ns_of(t))->root;
	d = d_lookup_cached(root, name, strlen(name));
	if (!d)
		return -ENOENT;
	err = vfs_permission(c, root, MAY_WRITE | MAY_EXEC);
	if (!err)
		err = vfs_check_sticky(c, root, d);
	if (!err)
		err = vfsk_unlink(root, d);
	dput(d);
	return err;
}
