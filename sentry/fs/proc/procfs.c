/* procfs.c: the procfs super block and the generic node machinery: lookup and readdir
 * over static tables plus dynamic entries, symlinks and magic links, files generated
 * whole at open, and revalidation of cached names of processes that may be gone. */
#include "sentry/fs/proc/proc_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/dir.h"
#include "sentry/vfs/file.h"

void pb_write(struct proc_buf *b, const void *data, size_t len)
{
	if (b->len + len + 1 > b->cap) {
		b->cap = MAX(b->cap * 2, b->len + len + 256);
		b->buf = xrealloc(b->buf, b->cap);
	}
	memcpy(b->buf + b->len, data, len);
	b->len += len;
	b->buf[b->len] = '\0';
}

void pb_printf(struct proc_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	if (b->len + (size_t)n + 1 > b->cap) {
		b->cap = MAX(b->cap * 2, b->len + (size_t)n + 256);
		b->buf = xrealloc(b->buf, b->cap);
	}
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

uint64_t proc_ino(const struct proc_ent *e, int tgid, int tid, int fd)
{
	uint64_t h = 1469598103934665603ULL ^ (uintptr_t)e;

	h = (h ^ (uint64_t)(unsigned)tgid) * 1099511628211ULL;
	h = (h ^ (uint64_t)(unsigned)tid) * 1099511628211ULL;
	h = (h ^ (uint64_t)(unsigned)(fd + 1)) * 1099511628211ULL;
	h ^= h >> 31;
	/* Small positive numbers like Linux's, never 0 or 1 (the root's). */
	return (h & 0x3fffffff) + 2;
}

static const struct inode_ops g_proc_iops, g_proc_magic_iops, g_proc_link_iops;

/* Per-process nodes belong to the process's effective ids; those of a process that is
 * not dumpable (PR_SET_DUMPABLE 0, changed ids, an unreadable binary) or a zombie to
 * root, except the r-x directories /proc/PID and task/TID, which ps stats for the euid
 * (Linux: task_dump_owner). Recomputed at each lookup (Linux: pid_revalidate) and when
 * a directory is stat'ed (pid_getattr); an open file keeps the owner of its lookup. */
static void proc_update_owner(struct inode *inode, const struct proc_node *n)
{
	struct proc_task_info info;

	if (!n->tgid || proc_task_info(n->tgid, n->tid, &info) != 0)
		return;
	inode->uid = info.euid;
	inode->gid = info.egid;
	if (n->ent->mode == (S_IFDIR | 0555))
		return;
	if (info.dumpable != 1 || info.state == 'Z')
		inode->uid = inode->gid = 0;
}

static int proc_getattr(struct dentry *d, struct kstat *st)
{
	if (S_ISDIR(d->inode->mode))
		proc_update_owner(d->inode, proc_node_of(d));
	inode_fill_kstat(d->inode, st);
	return 0;
}
static const struct file_ops g_proc_reg_fops;

struct inode *proc_inode_new(struct super_block *sb, const struct proc_ent *e, int tgid,
			     int tid, int fd)
{
	struct inode *inode = inode_new(sb, e->mode);
	struct proc_node *n = xcalloc(1, sizeof(*n));

	n->ent = e;
	n->tgid = tgid;
	n->tid = tid;
	n->fd = fd;
	n->ns = sb->priv;
	inode->priv = n;
	inode->iops = &g_proc_iops;
	inode->ino = tgid || fd >= 0 || e != &g_proc_root_ent ? proc_ino(e, tgid, tid, fd) : 1;
	if (S_ISDIR(e->mode)) {
		inode->fops = &g_dir_fops;
		inode->nlink = 2;
	} else if (S_ISREG(e->mode)) {
		inode->fops = &g_proc_reg_fops;
	} else if (S_ISLNK(e->mode)) {
		inode->iops = e->get_link ? &g_proc_magic_iops : &g_proc_link_iops;
	}
	proc_update_owner(inode, n);
	return inode;
}

int proc_emit(vfs_dirent_fn fn, void *arg, const char *name, const struct proc_ent *e,
	      int tgid, int tid, int fd)
{
	struct vfs_dirent ent = {
		.name = name,
		.name_len = strlen(name),
		.ino = proc_ino(e, tgid, tid, fd),
		.type = (unsigned char)IFTODT(e->mode),
	};

	return fn(arg, &ent);
}

static int proc_lookup(struct dentry *dir, const char *name, struct inode **out)
{
	const struct proc_node *n = proc_node_of(dir);
	const struct proc_ent *e = n->ent;

	for (const struct proc_ent *c = e->children; c && c->name; c++) {
		if (!strcmp(c->name, name)) {
			*out = proc_inode_new(dir->sb, c, n->tgid, n->tid, -1);
			return 0;
		}
	}
	if (e->dops && e->dops->lookup)
		return e->dops->lookup(dir->sb, n, name, out);
	return -ENOENT;
}

static int proc_readdir(struct dentry *dir, vfs_dirent_fn fn, void *arg)
{
	const struct proc_node *n = proc_node_of(dir);
	const struct proc_ent *e = n->ent;
	int ret;

	for (const struct proc_ent *c = e->children; c && c->name; c++) {
		ret = proc_emit(fn, arg, c->name, c, n->tgid, n->tid, -1);
		if (ret)
			return 0;
	}
	if (e->dops && e->dops->readdir)
		return e->dops->readdir(n, fn, arg);
	return 0;
}

static ssize_t proc_readlink(struct dentry *d, char *buf, size_t size)
{
	const struct proc_node *n = proc_node_of(d);

	if (!n->ent->link)
		return -EINVAL;
	return n->ent->link(n, buf, size);
}

static int proc_get_link(struct task *t, const struct path *link, struct path *out)
{
	const struct proc_node *n = proc_node_of(link->dentry);

	return n->ent->get_link(t, link, n, out);
}

static void proc_evict(struct inode *inode)
{
	struct proc_node *n = inode->priv;

	if (n && n->file)
		file_put(n->file);
	free(n);
}

static int proc_open(struct dentry *d, struct file *f)
{
	const struct proc_node *n = proc_node_of(d);
	struct proc_buf *b;
	int ret = 0;

	f->inode = d->inode;
	inode_get(f->inode);
	if (!S_ISREG(n->ent->mode)) {
		f->ops = d->inode->fops;
		return 0;
	}
	f->ops = &g_proc_reg_fops;
	if ((f->fmode & FMODE_WRITE) && !n->ent->write)
		return -EACCES;
	b = xcalloc(1, sizeof(*b));
	f->priv = b;
	if ((f->fmode & FMODE_READ) && n->ent->show)
		ret = n->ent->show(n, b);
	return ret;
}

static const struct inode_ops g_proc_iops = {
	.lookup = proc_lookup,
	.readdir = proc_readdir,
	.readlink = proc_readlink,
	.open = proc_open,
	.getattr = proc_getattr,
	.evict = proc_evict,
};

/* Magic links jump to their object; plain ones (self, mounts) have their text walked
 * from the link's directory by the VFS. */
static const struct inode_ops g_proc_magic_iops = {
	.readlink = proc_readlink,
	.get_link = proc_get_link,
	.evict = proc_evict,
};

static const struct inode_ops g_proc_link_iops = {
	.readlink = proc_readlink,
	.evict = proc_evict,
};

ssize_t proc_reg_read(struct task *t, struct file *f, void *buf, size_t size,
			     uint64_t *pos)
{
	struct proc_buf *b = f->priv;

	if (!b || *pos >= b->len)
		return 0;
	size = MIN(size, b->len - *pos);
	memcpy(buf, b->buf + *pos, size);
	*pos += size;
	return (ssize_t)size;
}

static ssize_t proc_reg_write(struct task *t, struct file *f, const void *buf, size_t size,
			      uint64_t *pos)
{
	const struct proc_node *n = f->inode->priv;

	if (!n->ent->write)
		return -EINVAL;
	return n->ent->write(n, buf, size);
}

int64_t proc_reg_llseek(struct file *f, int64_t off, int whence)
{
	struct proc_buf *b = f->priv;
	int64_t pos;

	switch (whence) {
	case SEEK_SET:
		pos = off;
		break;
	case SEEK_CUR:
		pos = (int64_t)f->pos + off;
		break;
	case SEEK_END:
		pos = (int64_t)(b ? b->len : 0) + off;
		break;
	default:
		return -EINVAL;
	}
	if (pos < 0)
		return -EINVAL;
	f->pos = (uint64_t)pos;
	return pos;
}

void proc_reg_release(struct file *f)
{
	struct proc_buf *b = f->priv;

	if (b)
		free(b->buf);
	free(b);
}

static const struct file_ops g_proc_reg_fops = {
	.read = proc_reg_read,
	.write = proc_reg_write,
	.llseek = proc_reg_llseek,
	.release = proc_reg_release,
	.mmap_as = FILE_MMAP_NONE,
};

/* Cached names of processes, threads and fds that went away must not stay. */
static bool proc_d_revalidate(struct dentry *d)
{
	const struct proc_node *n = d->inode ? proc_node_of(d) : NULL;
	bool live = true;

	if (!n)
		return false;
	if (n->fd >= 0)
		return false; /* fds come and go: always ask again */
	if (n->tid && n->tid != n->tgid)
		live = proc_thread_exists(n->tgid, n->tid);
	else if (n->tgid)
		live = proc_tg_exists(n->tgid);
	if (live)
		proc_update_owner(d->inode, n); /* ids and dumpable may have changed */
	return live;
}

static int proc_statfs(struct super_block *sb, struct statfs *st)
{
	memset(st, 0, sizeof(*st));
	st->f_type = PROC_SUPER_MAGIC;
	st->f_bsize = 4096;
	st->f_namelen = 255;
	st->f_frsize = 4096;
	return 0;
}

static const struct super_ops g_proc_sops = {
	.statfs = proc_statfs,
	.d_revalidate = proc_d_revalidate,
};

struct super_block *procfs_new(void)
{
	struct super_block *sb = sb_new(&g_proc_sops, "proc", PROC_SUPER_MAGIC);
	struct inode *root;

	proc_boot_ns(); /* the sandbox's uptime counts from here without procfs_boot_init */
	sb->priv = proc_mount_pidns(); /* a reference kept for the sandbox's life */
	root = proc_inode_new(sb, &g_proc_root_ent, 0, 0, -1);
	root->mode = S_IFDIR | 0555;
	sb->prunable = true;
	sb->root = d_alloc_root(sb, root);
	return sb;
}
