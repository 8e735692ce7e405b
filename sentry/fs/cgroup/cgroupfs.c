/* cgroupfs.c: the cgroup2 filesystem: a directory per cgroup with its control files
 * (cgroup_files.c), mkdir/rmdir of child cgroups, and files generated whole at open like
 * procfs's. Every mount shows the one hierarchy of cgroup.c. No file can be created,
 * linked or renamed. */
#include "sentry/fs/cgroup/cgroup_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sentry/vfs/dir.h"
#include "sentry/vfs/file.h"

#define CG_WRITE_MAX 4096 /* kernfs's atomic write size for cgroup files */

/* inode->priv of every cgroupfs inode. */
struct cg_node {
	struct cgroup *cg;	    /* reference held */
	const struct cg_file *file; /* NULL: the cgroup's directory */
};

static const struct inode_ops g_cg_iops;
static const struct file_ops g_cg_reg_fops;

static uint64_t cg_ino(const struct cgroup *cg, const struct cg_file *f)
{
	return (cg->id << 6) + (f ? (uint64_t)(f - g_cg_files) + 1 : 0);
}

/* A new inode for cg's directory (f NULL) or control file f; takes the reference ref
 * (cgroup_get it first when the caller keeps its own). */
static struct inode *cg_inode_new(struct super_block *sb, struct cgroup *ref,
				  const struct cg_file *f)
{
	struct inode *inode = inode_new(sb, f ? f->mode : S_IFDIR | 0755);
	struct cg_node *n = xcalloc(1, sizeof(*n));

	n->cg = ref;
	n->file = f;
	inode->priv = n;
	inode->iops = &g_cg_iops;
	inode->ino = cg_ino(ref, f);
	inode->atime = inode->mtime = inode->ctime = ref->ctime;
	if (f) {
		inode->fops = &g_cg_reg_fops;
	} else {
		inode->fops = &g_dir_fops;
		inode->nlink = 2;
	}
	return inode;
}

static const struct cg_node *cg_node_of(const struct dentry *d)
{
	return d->inode->priv;
}

static int cg_lookup(struct dentry *dir, const char *name, struct inode **out)
{
	struct cgroup *cg = cg_node_of(dir)->cg, *child;

	for (const struct cg_file *f = g_cg_files; f->name; f++) {
		if (!strcmp(f->name, name) && cg_file_visible(cg, f)) {
			*out = cg_inode_new(dir->sb, cgroup_get(cg), f);
			return 0;
		}
	}
	child = cg_child(cg, name);
	if (!child)
		return -ENOENT;
	*out = cg_inode_new(dir->sb, cgroup_get(child), NULL);
	return 0;
}

static int cg_emit(vfs_dirent_fn fn, void *arg, const char *name, uint64_t ino,
		   unsigned char type)
{
	struct vfs_dirent ent = {name, strlen(name), ino, type};

	return fn(arg, &ent);
}

static int cg_readdir(struct dentry *dir, vfs_dirent_fn fn, void *arg)
{
	struct cgroup *cg = cg_node_of(dir)->cg;
	const struct list_head *pos;

	for (const struct cg_file *f = g_cg_files; f->name; f++)
		if (cg_file_visible(cg, f) && cg_emit(fn, arg, f->name, cg_ino(cg, f), DT_REG))
			return 0;
	list_for_each(pos, &cg->children) {
		struct cgroup *c = list_entry(pos, struct cgroup, sibling);
		if (cg_emit(fn, arg, c->name, cg_ino(c, NULL), DT_DIR))
			return 0;
	}
	return 0;
}

static int cg_mkdir_op(struct dentry *dir, struct dentry *d, uint32_t mode,
		       const struct creds *c)
{
	struct cgroup *child;
	int err = cg_mkdir(cg_node_of(dir)->cg, d->name, &child);

	if (err)
		return err;
	d_instantiate(d, cg_inode_new(dir->sb, child, NULL));
	return 0;
}

static int cg_rmdir_op(struct dentry *dir, struct dentry *d)
{
	return cg_rmdir(cg_node_of(d)->cg);
}

/* Files cannot be created in a cgroup directory (kernfs has no create: EACCES). */
static int cg_create(struct dentry *dir, struct dentry *d, uint32_t mode, const struct creds *c)
{
	return -EACCES;
}

static int cg_open(struct dentry *d, struct file *f)
{
	const struct cg_node *n = cg_node_of(d);
	struct proc_buf *b;

	f->inode = d->inode;
	inode_get(f->inode);
	f->ops = d->inode->fops;
	if (!n->file)
		return 0;
	if (n->cg->dead)
		return -ENODEV;
	b = xcalloc(1, sizeof(*b));
	f->priv = b;
	if ((f->fmode & FMODE_READ) && n->file->show)
		return n->file->show(n->cg, b);
	return 0;
}

/* chmod, chown and times as kernfs keeps them (on the cached inode only); a size change
 * (open with O_TRUNC, as shells redirect) is accepted and means nothing. */
static int cg_setattr(struct dentry *d, const struct vattr *va)
{
	inode_apply_attr(d->inode, va);
	return 0;
}

static void cg_evict(struct inode *inode)
{
	struct cg_node *n = inode->priv;

	if (n)
		cgroup_put(n->cg);
	free(n);
}

static const struct inode_ops g_cg_iops = {
	.lookup = cg_lookup,
	.create = cg_create,
	.mkdir = cg_mkdir_op,
	.rmdir = cg_rmdir_op,
	.rmdir_nonempty = true,
	.readdir = cg_readdir,
	.setattr = cg_setattr,
	.open = cg_open,
	.evict = cg_evict,
};

/* Each write is one whole command; trailing whitespace (echo's newline) is dropped. */
static ssize_t cg_write(struct task *t, struct file *f, const void *buf, size_t size,
			uint64_t *pos)
{
	const struct cg_node *n = f->inode->priv;
	char *text;
	size_t len = size;
	int err;

	if (!n->file->write)
		return -EINVAL; /* read-only files open for writing (root), as kernfs's */
	if (size > CG_WRITE_MAX)
		return -E2BIG;
	if (n->cg->dead)
		return -ENODEV;
	text = xmalloc(size + 1);
	memcpy(text, buf, size);
	while (len > 0 && (text[len - 1] == ' ' || text[len - 1] == '\t' || text[len - 1] == '\n'))
		len--;
	text[len] = '\0';
	err = n->file->write(n->cg, text);
	free(text);
	return err < 0 ? err : (ssize_t)size;
}

static const struct file_ops g_cg_reg_fops = {
	.read = proc_reg_read, /* f->priv is a proc_buf, as procfs's */
	.write = cg_write,
	.llseek = proc_reg_llseek,
	.release = proc_reg_release,
	.mmap_as = FILE_MMAP_NONE,
};

/* A removed cgroup's names, and controller files its parent stopped handing on, go. */
static bool cg_d_revalidate(struct dentry *d)
{
	const struct cg_node *n = d->inode ? cg_node_of(d) : NULL;

	if (!n || n->cg->dead)
		return false;
	return !n->file || cg_file_visible(n->cg, n->file);
}

static int cg_statfs(struct super_block *sb, struct statfs *st)
{
	memset(st, 0, sizeof(*st));
	st->f_type = CGROUP2_SUPER_MAGIC;
	st->f_bsize = 4096;
	st->f_frsize = 4096;
	st->f_namelen = 255;
	return 0;
}

static const struct super_ops g_cg_sops = {
	.statfs = cg_statfs,
	.d_revalidate = cg_d_revalidate,
};

struct super_block *cgroupfs_new(void)
{
	struct super_block *sb = sb_new(&g_cg_sops, "cgroup2", CGROUP2_SUPER_MAGIC);
	struct inode *root = cg_inode_new(sb, cgroup_get(cgroup_root()), NULL);

	sb->prunable = true;
	sb->root = d_alloc_root(sb, root);
	return sb;
}
