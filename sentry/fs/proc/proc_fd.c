/* proc_fd.c: /proc/PID/fd (magic links to the open files), fdinfo, and task/ (a
 * directory per thread). A fd link to a file without a path (pipe, host fd) jumps to a
 * stand-in dentry whose open reopens the pipe or shares the file. */
#include "sentry/fs/proc/proc_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fs/pipe.h"
#include "sentry/kernel/proc_api.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"

ssize_t proc_path_name(const struct path *p, char *buf, size_t size)
{
	return vfs_path_name(t_current && t_current->fs ? t_current : NULL, p, buf, size);
}

ssize_t proc_file_name(struct file *f, char *buf, size_t size)
{
	struct kstat st;
	ssize_t len;

	if (f->path.dentry) {
		len = proc_path_name(&f->path, buf, size);
		if (len <= 0)
			return len;
		len--;
		if (!f->path.dentry->hashed && (size_t)len + 10 < size) {
			strcpy(buf + len, " (deleted)");
			len += 10;
		}
		return len;
	}
	if (vfs_fstat(f, &st) < 0)
		return snprintf(buf, size, "anon_inode:[unknown]");
	if (S_ISFIFO(st.mode))
		len = snprintf(buf, size, "pipe:[%llu]", (unsigned long long)st.ino);
	else if (S_ISSOCK(st.mode))
		len = snprintf(buf, size, "socket:[%llu]", (unsigned long long)st.ino);
	else if (S_ISCHR(st.mode) || S_ISREG(st.mode))
		len = snprintf(buf, size, "host:[%llu]", (unsigned long long)st.ino);
	else
		len = snprintf(buf, size, "anon_inode:[%llu]", (unsigned long long)st.ino);
	return MIN((size_t)len, size);
}

/* The open file behind a fd node, referenced, or NULL. */
static struct file *node_file(const struct proc_node *n)
{
	struct fdtable *ft = proc_get_files(n->tgid);
	struct file *f;

	if (!ft)
		return NULL;
	f = fdtable_get(ft, n->fd);
	fdtable_put(ft);
	return f;
}

static ssize_t fd_link(const struct proc_node *n, char *buf, size_t size)
{
	struct file *f = node_file(n);
	char *tmp;
	ssize_t len;

	if (!f)
		return -ENOENT;
	tmp = xmalloc(VFS_PATH_MAX + 16);
	len = proc_file_name(f, tmp, VFS_PATH_MAX + 16);
	if (len > 0) {
		len = MIN((size_t)len, size);
		memcpy(buf, tmp, (size_t)len);
	}
	free(tmp);
	file_put(f);
	return len;
}

/* ---- stand-ins for files without a path ---- */

static int anon_getattr(struct dentry *d, struct kstat *st)
{
	const struct proc_node *n = proc_node_of(d);
	int ret = vfs_fstat(n->file, st);

	if (ret == 0) {
		/* Owned like the link (the process's ids), so its owner may reopen it. */
		st->uid = d->inode->uid;
		st->gid = d->inode->gid;
		st->mode = (st->mode & S_IFMT) | 0600;
	}
	return ret;
}

static int anon_reopen(struct dentry *d, int flags, struct file **out)
{
	const struct proc_node *n = proc_node_of(d);

	if (file_is_pipe(n->file))
		return pipe_reopen(n->file, flags, out);
	/* Host fds cannot be opened again: share the open file description. */
	file_get(n->file);
	*out = n->file;
	return 0;
}

static void anon_evict(struct inode *inode)
{
	struct proc_node *n = inode->priv;

	file_put(n->file);
	free(n);
}

static const struct inode_ops g_anon_iops = {
	.getattr = anon_getattr,
	.reopen = anon_reopen,
	.evict = anon_evict,
};

static const struct proc_ent g_anon_ent = {"anon", S_IFIFO | 0600};

static int fd_get_link(struct task *t, const struct path *link, const struct proc_node *n,
		       struct path *out)
{
	struct file *f = node_file(n);
	struct proc_node *an;
	struct inode *inode;
	struct kstat st;
	char name[64];

	if (!f)
		return -ENOENT;
	if (f->path.dentry) {
		*out = f->path;
		path_get(out);
		file_put(f);
		return 0;
	}
	if (vfs_fstat(f, &st) < 0)
		st.mode = S_IFIFO;
	snprintf(name, sizeof(name), "%d", n->fd);
	inode = proc_inode_new(link->dentry->sb, &g_anon_ent, n->tgid, n->tid, n->fd);
	inode->mode = (st.mode & S_IFMT) | 0600;
	inode->iops = &g_anon_iops;
	inode->fops = NULL;
	an = inode->priv;
	an->file = f; /* the reference moves to the stand-in */
	out->mnt = link->mnt;
	out->dentry = d_alloc(link->dentry->parent, name, strlen(name));
	d_instantiate(out->dentry, inode); /* unhashed: freed with its last reference */
	return 0;
}

static const struct proc_ent g_fd_link_ent = {
	"fd", S_IFLNK | 0700, .link = fd_link, .get_link = fd_get_link,
};

static int show_fdinfo(const struct proc_node *n, struct proc_buf *b)
{
	struct fdtable *ft = proc_get_files(n->tgid);
	struct file *f = ft ? fdtable_get(ft, n->fd) : NULL;
	int cloexec = ft ? fdtable_get_cloexec(ft, n->fd) : 0;
	struct kstat st = {0};

	if (ft)
		fdtable_put(ft);
	if (!f)
		return -ENOENT;
	vfs_fstat(f, &st);
	pb_printf(b, "pos:\t%llu\nflags:\t0%o\nmnt_id:\t%d\nino:\t%llu\n",
		  (unsigned long long)f->pos, f->flags | (cloexec > 0 ? O_CLOEXEC : 0),
		  f->path.mnt ? f->path.mnt->id : 15, (unsigned long long)st.ino);
	file_put(f);
	return 0;
}

static const struct proc_ent g_fdinfo_file_ent = {"fdinfo", S_IFREG | 0444, show_fdinfo};

/* A decimal name without sign or leading zeros, or -1. */
static int parse_num(const char *name)
{
	char *end;
	long v;

	if (!name[0] || (name[0] == '0' && name[1]) || name[0] < '0' || name[0] > '9')
		return -1;
	v = strtol(name, &end, 10);
	if (*end || v < 0 || v > 0x7fffffff)
		return -1;
	return (int)v;
}

static int fd_dir_lookup_as(struct super_block *sb, const struct proc_node *dir,
			    const char *name, struct inode **out, const struct proc_ent *e)
{
	int fd = parse_num(name);
	struct fdtable *ft = proc_get_files(dir->tgid);
	struct file *f = ft && fd >= 0 ? fdtable_get(ft, fd) : NULL;
	struct inode *inode;

	if (ft)
		fdtable_put(ft);
	if (!f)
		return -ENOENT;
	inode = proc_inode_new(sb, e, dir->tgid, dir->tid, fd);
	if (S_ISLNK(e->mode)) {
		inode->mode = S_IFLNK;
		if (f->fmode & FMODE_READ)
			inode->mode |= S_IRUSR | S_IXUSR;
		if (f->fmode & FMODE_WRITE)
			inode->mode |= S_IWUSR | S_IXUSR;
	}
	file_put(f);
	*out = inode;
	return 0;
}

static int fd_dir_lookup(struct super_block *sb, const struct proc_node *dir,
			 const char *name, struct inode **out)
{
	return fd_dir_lookup_as(sb, dir, name, out, &g_fd_link_ent);
}

static int fdinfo_dir_lookup(struct super_block *sb, const struct proc_node *dir,
			     const char *name, struct inode **out)
{
	return fd_dir_lookup_as(sb, dir, name, out, &g_fdinfo_file_ent);
}

static int fd_dir_readdir_as(const struct proc_node *dir, vfs_dirent_fn fn, void *arg,
			     const struct proc_ent *e)
{
	struct fdtable *ft = proc_get_files(dir->tgid);
	char name[16];

	if (!ft)
		return 0;
	for (int fd = fdtable_next_fd(ft, 0); fd >= 0; fd = fdtable_next_fd(ft, fd + 1)) {
		snprintf(name, sizeof(name), "%d", fd);
		if (proc_emit(fn, arg, name, e, dir->tgid, dir->tid, fd))
			break;
	}
	fdtable_put(ft);
	return 0;
}

static int fd_dir_readdir(const struct proc_node *dir, vfs_dirent_fn fn, void *arg)
{
	return fd_dir_readdir_as(dir, fn, arg, &g_fd_link_ent);
}

static int fdinfo_dir_readdir(const struct proc_node *dir, vfs_dirent_fn fn, void *arg)
{
	return fd_dir_readdir_as(dir, fn, arg, &g_fdinfo_file_ent);
}

static const struct proc_dir_ops g_fd_dops = {fd_dir_lookup, fd_dir_readdir};
static const struct proc_dir_ops g_fdinfo_dops = {fdinfo_dir_lookup, fdinfo_dir_readdir};

const struct proc_ent g_proc_fd_ent = {"fd", S_IFDIR | 0500, .dops = &g_fd_dops};
const struct proc_ent g_proc_fdinfo_ent = {"fdinfo", S_IFDIR | 0500, .dops = &g_fdinfo_dops};

/* ---- task/ ---- */

static int task_lookup(struct super_block *sb, const struct proc_node *dir, const char *name,
		       struct inode **out)
{
	int tid = parse_num(name);

	if (tid > 0)
		tid = proc_pid_unview(dir->ns, tid); /* names are in this /proc's pid namespace */
	if (tid <= 0 || !proc_thread_exists(dir->tgid, tid))
		return -ENOENT;
	*out = proc_inode_new(sb, &g_proc_tid_ent, dir->tgid, tid, -1);
	return 0;
}

static int task_readdir(const struct proc_node *dir, vfs_dirent_fn fn, void *arg)
{
	int ids[256], n = proc_tid_list(dir->tgid, ids, 256);
	char name[16];

	for (int i = 0; i < n && i < 256; i++) {
		int v = proc_pid_view(dir->ns, ids[i]);

		if (v <= 0)
			continue;
		snprintf(name, sizeof(name), "%d", v);
		if (proc_emit(fn, arg, name, &g_proc_tid_ent, dir->tgid, ids[i], -1))
			break;
	}
	return 0;
}

static const struct proc_dir_ops g_task_dops = {task_lookup, task_readdir};

const struct proc_ent g_proc_task_ent = {"task", S_IFDIR | 0555, .dops = &g_task_dops};

int proc_parse_pid(const char *name);
int proc_parse_pid(const char *name)
{
	return parse_num(name);
}
