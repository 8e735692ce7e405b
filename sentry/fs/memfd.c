/* memfd.c: memfd_create(2): an unlinked regular file on a private tmpfs, named
 * "/memfd:NAME (deleted)" in /proc/PID/fd, with file seals (F_ADD_SEALS/F_GET_SEALS)
 * enforced on write and truncate. The file and inode operations are tmpfs's with write
 * and setattr wrapped by the seal checks. */
#include "sentry/fs/anon.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "sentry/fs/tmpfs/tmpfs.h"
#include "sentry/vfs/vfs_internal.h"

#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020 /* Linux 6.3; newer than the build's headers */
#endif
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#define MFD_EXEC 0x0010U
#endif

#define MEMFD_PREFIX "memfd:"
#define MEMFD_NAME_MAX (VFS_NAME_MAX - (sizeof(MEMFD_PREFIX) - 1))
#define MFD_KNOWN (MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC)
#define SEALS_KNOWN (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | \
		     F_SEAL_FUTURE_WRITE | F_SEAL_EXEC)

/* The seals of one memfd inode. */
struct memfd_seals {
	struct list_head link; /* g_memfds */
	const struct inode *inode;
	unsigned seals;
};

static struct list_head g_memfds = LIST_HEAD_INIT(g_memfds);
static struct mount *g_memfd_mnt;
static struct file_ops g_memfd_fops;
static struct inode_ops g_memfd_iops;

static struct memfd_seals *seals_of(const struct inode *inode)
{
	struct list_head *pos;

	if (!inode || inode->iops != &g_memfd_iops)
		return NULL;
	list_for_each(pos, &g_memfds) {
		struct memfd_seals *s = list_entry(pos, struct memfd_seals, link);

		if (s->inode == inode)
			return s;
	}
	return NULL;
}

/* May size bytes be written at pos under the seals? 0 or -EPERM. */
static int seals_allow_write(struct file *f, size_t size, uint64_t pos)
{
	struct memfd_seals *s = seals_of(f->inode);

	if (s && (s->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
		return -EPERM;
	if (s && (s->seals & F_SEAL_GROW) && pos + size > f->inode->size)
		return -EPERM;
	return 0;
}

static ssize_t memfd_write(struct task *t, struct file *f, const void *buf, size_t size,
			   uint64_t *pos)
{
	int ret = seals_allow_write(f, size, *pos);

	return ret ? ret : g_tmpfs_reg_fops.write(t, f, buf, size, pos);
}

static ssize_t memfd_write_iov(struct task *t, struct file *f, const struct iovec *iov, int cnt,
			       size_t size, uint64_t *pos)
{
	int ret = seals_allow_write(f, size, *pos);

	return ret ? ret : g_tmpfs_reg_fops.write_iov(t, f, iov, cnt, size, pos);
}

/* shmem's seal checks of fallocate: a hole is a write, an allocation past the end grows. */
static int memfd_fallocate(struct task *t, struct file *f, int mode, uint64_t off,
			   uint64_t len)
{
	struct memfd_seals *s = seals_of(f->inode);

	if (s && !(mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE))) {
		if ((mode & FALLOC_FL_PUNCH_HOLE) &&
		    (s->seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE)))
			return -EPERM;
		if (!(mode & FALLOC_FL_PUNCH_HOLE) && (s->seals & F_SEAL_GROW) &&
		    off + len > f->inode->size)
			return -EPERM;
	}
	return g_tmpfs_reg_fops.fallocate(t, f, mode, off, len);
}

static int memfd_setattr(struct dentry *d, const struct vattr *va)
{
	struct memfd_seals *s = seals_of(d->inode);

	if (s && (va->valid & VA_SIZE)) {
		if ((s->seals & F_SEAL_SHRINK) && va->size < d->inode->size)
			return -EPERM;
		if ((s->seals & F_SEAL_GROW) && va->size > d->inode->size)
			return -EPERM;
	}
	if (s && (va->valid & VA_MODE) && (s->seals & F_SEAL_EXEC) &&
	    ((va->mode ^ d->inode->mode) & 0111))
		return -EPERM;
	return g_tmpfs_iops.setattr(d, va);
}

static void memfd_evict(struct inode *inode)
{
	struct memfd_seals *s = seals_of(inode);

	if (s) {
		list_del(&s->link);
		free(s);
	}
	g_tmpfs_iops.evict(inode);
}

/* The private tmpfs and its mount, made on first use; tmpfs's ops copied so that any
 * operation tmpfs gains later is inherited. */
static void memfd_init(void)
{
	struct super_block *sb;

	if (g_memfd_mnt)
		return;
	g_memfd_fops = g_tmpfs_reg_fops;
	g_memfd_fops.write = memfd_write;
	g_memfd_fops.write_iov = memfd_write_iov;
	g_memfd_fops.fallocate = memfd_fallocate;
	g_memfd_iops = g_tmpfs_iops;
	g_memfd_iops.setattr = memfd_setattr;
	g_memfd_iops.evict = memfd_evict;
	sb = tmpfs_new(S_IFDIR | 01777, 0, 0);
	g_memfd_mnt = xcalloc(1, sizeof(*g_memfd_mnt));
	g_memfd_mnt->id = -1; /* internal: never listed in mountinfo */
	g_memfd_mnt->sb = sb;
	g_memfd_mnt->root = sb->root;
	dget(sb->root);
	list_init(&g_memfd_mnt->link);
}

int memfd_new(struct task *t, const char *name, unsigned flags, struct file **out)
{
	char full[VFS_NAME_MAX + 1];
	struct memfd_seals *s;
	struct inode *inode;
	struct dentry *d;
	struct path p;
	uint32_t mode = S_IFREG | 0777;
	int ret;

	if (flags & ~MFD_KNOWN)
		return -EINVAL;
	if (flags & MFD_HUGETLB)
		return -EINVAL; /* no huge pages in the sandbox */
	if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL))
		return -EINVAL;
	if (strlen(name) > MEMFD_NAME_MAX)
		return -EINVAL;
	memfd_init();
	snprintf(full, sizeof(full), MEMFD_PREFIX "%s", name);
	if (flags & MFD_NOEXEC_SEAL)
		mode = S_IFREG | 0666;
	inode = tmpfs_inode_new(g_memfd_mnt->sb, mode, 0);
	inode->iops = &g_memfd_iops;
	inode->fops = &g_memfd_fops;
	inode->uid = t ? task_fs_creds(t)->fsuid : 0;
	inode->gid = t ? task_fs_creds(t)->fsgid : 0;
	s = xcalloc(1, sizeof(*s));
	s->inode = inode;
	if (flags & MFD_NOEXEC_SEAL)
		s->seals = F_SEAL_EXEC;
	else if (!(flags & MFD_ALLOW_SEALING))
		s->seals = F_SEAL_SEAL;
	list_add(&s->link, &g_memfds);
	/* An unhashed dentry: the name shows in /proc/PID/fd with " (deleted)". */
	d = d_alloc(g_memfd_mnt->root, full, strlen(full));
	d_instantiate(d, inode);
	p.mnt = g_memfd_mnt;
	p.dentry = d;
	ret = vfs_open_path(&p, O_RDWR | O_LARGEFILE, out);
	dput(d);
	return ret;
}

int memfd_add_seals(struct file *f, unsigned seals)
{
	struct memfd_seals *s = seals_of(f->inode);

	if (!s)
		return -EINVAL;
	if (!(f->fmode & FMODE_WRITE))
		return -EPERM;
	if (seals & ~SEALS_KNOWN)
		return -EINVAL;
	if (s->seals & F_SEAL_SEAL)
		return -EPERM;
	s->seals |= seals;
	return 0;
}

int memfd_get_seals(struct file *f)
{
	struct memfd_seals *s = seals_of(f->inode);

	return s ? (int)s->seals : -EINVAL;
}
