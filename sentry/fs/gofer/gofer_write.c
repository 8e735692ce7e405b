/* gofer_write.c: writable gofer mounts (OCI read-write bind mounts): create, mkdir,
 * symlink, unlink, rename, setattr and write go to the host through the Gofer, and
 * because the host may change the same files, every use of a cached name looks the name
 * up on the host again (one Twalkgetattr) and a stat fetches the attributes again, unless
 * the same syscall already did (the stat after its own path walk). */
#include "sentry/fs/gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "sentry/kernel/task.h"

#define GOFER_WRITE_CHUNK (64 * 1024)

static struct p9_client *client(struct super_block *sb)
{
	return gofer_fs(sb)->c;
}

static uint32_t gfid(struct dentry *d)
{
	return ((struct gofer_inode *)d->inode->priv)->fid;
}

uint64_t gofer_syscall_id(void)
{
	return t_current ? t_current->syscall_id : 0;
}

/* What the inode holds may no longer be what the host has: a change made through it. */
static void attr_changed(struct inode *inode)
{
	if (inode)
		((struct gofer_inode *)inode->priv)->attr_syscall = 0;
}

void gofer_attr_fetched(struct inode *inode, const struct p9_attr *attr, uint64_t sent_at)
{
	struct gofer_inode *gi = inode->priv;

	if (sent_at < gi->attr_syscall)
		return; /* an answer overtaken by a later request's (the lock was let go) */
	gofer_inode_set_attr(inode, attr);
	gi->attr_syscall = sent_at;
}

/* The attributes were fetched during this syscall (by this task or another): what the
 * host had at some point since it began. */
static bool attr_current(const struct inode *inode)
{
	uint64_t now = gofer_syscall_id();

	return now && ((const struct gofer_inode *)inode->priv)->attr_syscall >= now;
}

/* Fetch the attributes of the inode again. */
static int refresh(struct inode *inode)
{
	struct gofer_inode *gi = inode->priv;
	struct p9_attr attr;
	uint64_t sent_at = task_syscall_id_latest();
	int ret = p9c_getattr(client(inode->sb), gi->fid, GOFER_ATTR_MASK, &attr);

	if (ret == 0)
		gofer_attr_fetched(inode, &attr, sent_at);
	return ret;
}

bool gofer_d_revalidate(struct dentry *d)
{
	char name[VFS_NAME_MAX + 1];
	const char *np = name;
	struct dentry *parent = d->parent;
	struct inode *inode = d->inode;
	struct p9_attr attr, dirattr;
	uint64_t sent_at;
	bool dropped;
	int ret;

	if (!inode || !parent || !parent->inode || d->name_len > VFS_NAME_MAX)
		return false;
	memcpy(name, d->name, d->name_len);
	name[d->name_len] = '\0';
	/* The name may have been removed, renamed away or replaced on the host: look it up
	 * again (one stat by name, no fid made) and keep the dentry only if it still leads
	 * to the inode the fid holds. The kernel lock goes meanwhile (other tasks' walks on
	 * this mount overlap): the caller holds d, d its parent and the parent its fid. */
	sent_at = task_syscall_id_latest();
	dropped = gofer_unlock();
	ret = p9c_walkgetattr(client(d->sb), gfid(parent), P9_NOFID, 1, &np, &attr, &dirattr);
	gofer_relock(dropped);
	if (ret < 0)
		return false;
	/* The parent's too: a search permission check there needs no round trip of its own. */
	gofer_attr_fetched(parent->inode, &dirattr, sent_at);
	/* Dropped, moved or renamed in the Sentry meanwhile: the answer was for another name. */
	if (!d->hashed || d->parent != parent || d->inode != inode ||
	    d->name_len != strlen(name) || memcmp(d->name, name, d->name_len))
		return false;
	if (attr.qid.path != inode->ino || (attr.mode & S_IFMT) != (inode->mode & S_IFMT))
		return false;
	gofer_attr_fetched(inode, &attr, sent_at);
	return true;
}

static int rw_getattr(struct dentry *d, struct kstat *st)
{
	struct gofer_inode *gi = d->inode->priv;
	struct p9_attr attr;
	uint64_t sent_at;
	bool dropped;
	int ret;

	/* Fetched during this syscall (its path walk revalidated the name): current. */
	if (attr_current(d->inode)) {
		inode_fill_kstat(d->inode, st);
		return 0;
	}
	/* stat holds the dentry: the inode and its fid stay while the lock is let go. */
	sent_at = task_syscall_id_latest();
	dropped = gofer_unlock();
	ret = p9c_getattr(client(d->sb), gi->fid, GOFER_ATTR_MASK, &attr);
	gofer_relock(dropped);
	if (ret < 0)
		return ret;
	gofer_attr_fetched(d->inode, &attr, sent_at);
	inode_fill_kstat(d->inode, st);
	return 0;
}

/* After a create in dir: walk to the new name, own it as creds say, and fill d. */
static int instantiate(struct dentry *dir, struct dentry *d, uint32_t mode,
		       const struct creds *c)
{
	struct p9_client *pc = client(dir->sb);
	struct p9_setattr sa = {0};
	const char *name = d->name;
	struct p9_attr attr;
	uint32_t fid = p9c_fid_alloc(pc);
	int ret = p9c_walkgetattr(pc, gfid(dir), fid, 1, &name, &attr, NULL);

	attr_changed(dir->inode); /* a new entry: its mtime and maybe nlink moved */
	if (ret < 0) {
		p9c_clunk(pc, fid);
		return ret;
	}
	/* The Gofer creates as itself: give the file the caller's ids and exact mode (the
	 * Gofer's umask must not apply twice), as a Linux filesystem would. */
	if (c && attr.uid != c->fsuid)
		sa.valid |= P9_SETATTR_UID, sa.uid = c->fsuid;
	if (!S_ISLNK(mode) && (attr.mode & 07777) != (mode & 07777))
		sa.valid |= P9_SETATTR_MODE, sa.mode = mode & 07777;
	if (sa.valid && p9c_setattr(pc, fid, &sa) == 0)
		ret = p9c_getattr(pc, fid, GOFER_ATTR_MASK, &attr);
	if (ret < 0) {
		p9c_clunk(pc, fid);
		return ret;
	}
	d_instantiate(d, gofer_inode_new(dir->sb, fid, &attr));
	return 0;
}

/* The group a new file gets: the directory's when it is setgid, else the caller's. */
static uint32_t new_gid(struct dentry *dir, const struct creds *c)
{
	if (dir->inode->mode & S_ISGID)
		return dir->inode->gid;
	return c ? c->fsgid : 0;
}

static int rw_create(struct dentry *dir, struct dentry *d, uint32_t mode, const struct creds *c)
{
	struct p9_client *pc = client(dir->sb);
	uint32_t fid = p9c_fid_alloc(pc);
	int hostfd = -1, ret;

	/* Tlcreate turns the fid it is sent on into the new open file: use a clone. */
	ret = p9c_walk(pc, gfid(dir), fid, 0, NULL, NULL, NULL);
	if (ret == 0)
		ret = p9c_lcreate(pc, fid, d->name, O_RDONLY, mode & 07777, new_gid(dir, c), NULL,
				  NULL, &hostfd);
	if (hostfd >= 0)
		close(hostfd);
	p9c_clunk(pc, fid);
	return ret < 0 ? ret : instantiate(dir, d, S_IFREG | mode, c);
}

static int rw_mkdir(struct dentry *dir, struct dentry *d, uint32_t mode, const struct creds *c)
{
	int ret = p9c_mkdir(client(dir->sb), gfid(dir), d->name, mode & 07777, new_gid(dir, c),
			    NULL);

	return ret < 0 ? ret : instantiate(dir, d, S_IFDIR | mode, c);
}

static int rw_mknod(struct dentry *dir, struct dentry *d, uint32_t mode, dev_t rdev,
		    const struct creds *c)
{
	int ret;

	if (S_ISREG(mode))
		return rw_create(dir, d, mode, c);
	/* FIFOs and socket files are made on the host (opening such a FIFO still gives a
	 * pipe in the Sentry: fifo.c); device nodes never are. */
	if (!S_ISFIFO(mode) && !S_ISSOCK(mode))
		return -EPERM;
	ret = p9c_mknod(client(dir->sb), gfid(dir), d->name, mode, new_gid(dir, c), NULL);
	return ret < 0 ? ret : instantiate(dir, d, mode, c);
}

static int rw_symlink(struct dentry *dir, struct dentry *d, const char *target,
		      const struct creds *c)
{
	int ret = p9c_symlink(client(dir->sb), gfid(dir), d->name, target, new_gid(dir, c),
			      NULL);

	return ret < 0 ? ret : instantiate(dir, d, S_IFLNK | 0777, c);
}

static int rw_link(struct dentry *old, struct dentry *dir, struct dentry *d)
{
	struct inode *inode = old->inode;
	int ret;

	if (inode->sb != dir->sb)
		return -EXDEV;
	ret = p9c_link(client(dir->sb), gfid(dir), gfid(old), d->name);
	if (ret < 0)
		return ret;
	attr_changed(dir->inode);
	refresh(inode); /* nlink and ctime as the host has them now */
	inode_get(inode);
	d_instantiate(d, inode);
	return 0;
}

static int rw_unlink(struct dentry *dir, struct dentry *d)
{
	attr_changed(dir->inode);
	attr_changed(d->inode);
	return p9c_unlinkat(client(dir->sb), gfid(dir), d->name, 0);
}

static int rw_rmdir(struct dentry *dir, struct dentry *d)
{
	attr_changed(dir->inode);
	attr_changed(d->inode);
	return p9c_unlinkat(client(dir->sb), gfid(dir), d->name, AT_REMOVEDIR);
}

static int rw_rename(struct dentry *odir, struct dentry *od, struct dentry *ndir,
		     struct dentry *nd)
{
	attr_changed(odir->inode);
	attr_changed(ndir->inode);
	attr_changed(od->inode);
	attr_changed(nd->inode);
	return p9c_renameat(client(odir->sb), gfid(odir), od->name, gfid(ndir), nd->name);
}

static int rw_setattr(struct dentry *d, const struct vattr *va)
{
	struct p9_setattr sa = {0};
	int ret;

	if (va->valid & VA_MODE)
		sa.valid |= P9_SETATTR_MODE, sa.mode = va->mode & 07777;
	if (va->valid & VA_UID)
		sa.valid |= P9_SETATTR_UID, sa.uid = va->uid;
	if (va->valid & VA_GID)
		sa.valid |= P9_SETATTR_GID, sa.gid = va->gid;
	if (va->valid & VA_SIZE)
		sa.valid |= P9_SETATTR_SIZE, sa.size = va->size;
	if (va->valid & VA_ATIME) {
		sa.valid |= P9_SETATTR_ATIME | P9_SETATTR_ATIME_SET;
		sa.atime_sec = (uint64_t)va->atime.tv_sec;
		sa.atime_nsec = (uint64_t)va->atime.tv_nsec;
	}
	if (va->valid & VA_MTIME) {
		sa.valid |= P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET;
		sa.mtime_sec = (uint64_t)va->mtime.tv_sec;
		sa.mtime_nsec = (uint64_t)va->mtime.tv_nsec;
	}
	if (va->valid & VA_CTIME)
		sa.valid |= P9_SETATTR_CTIME;
	ret = p9c_setattr(client(d->sb), gfid(d), &sa);
	if (ret < 0)
		return ret;
	return refresh(d->inode);
}

int gofer_open_write_fid(struct inode *inode)
{
	struct p9_client *pc = client(inode->sb);
	struct gofer_inode *gi = inode->priv;
	uint32_t fid;
	int hostfd = -1, ret;

	if (gi->write_fid != P9_NOFID)
		return 0;
	fid = p9c_fid_alloc(pc);
	ret = p9c_walk(pc, gi->fid, fid, 0, NULL, NULL, NULL);
	if (ret == 0)
		ret = p9c_lopen(pc, fid, O_WRONLY, NULL, NULL, &hostfd);
	if (hostfd >= 0)
		close(hostfd);
	if (ret < 0) {
		p9c_clunk(pc, fid);
		return ret;
	}
	gi->write_fid = fid;
	list_add(&gi->wlink, &gofer_fs(inode->sb)->writers);
	return 0;
}

int gofer_sync_fs(struct super_block *sb)
{
	struct gofer_fs *fs = gofer_fs(sb);
	struct list_head *pos;
	int ret = 0;

	/* The lock stays held: no inode on the list can be evicted (and clunk its fid)
	 * under the loop. sync(2) is rare; the host's fsyncs are what it is for. */
	list_for_each(pos, &fs->writers) {
		struct gofer_inode *gi = list_entry(pos, struct gofer_inode, wlink);
		int err = p9c_fsync(fs->c, gi->write_fid);

		if (err < 0 && ret == 0)
			ret = err;
	}
	return ret;
}

int gofer_rw_open_reg(struct inode *inode, unsigned fmode)
{
	int ret = attr_current(inode) ? 0 : refresh(inode);

	if (ret == 0 && (fmode & FMODE_READ))
		ret = gofer_inode_open(inode);
	if (ret == 0 && (fmode & FMODE_WRITE))
		ret = gofer_open_write_fid(inode);
	return ret;
}

static ssize_t rw_write(struct task *t, struct file *f, const void *buf, size_t size,
			uint64_t *pos)
{
	struct inode *inode = f->inode;
	struct gofer_inode *gi = inode->priv;
	size_t done = 0;

	/* Appends go to the host file's end, which another writer may have moved. */
	if ((f->flags & O_APPEND) && refresh(inode) == 0)
		*pos = inode->size;
	while (done < size) {
		size_t chunk = MIN(size - done, GOFER_WRITE_CHUNK);
		ssize_t n = p9c_write(client(inode->sb), gi->write_fid, *pos + done,
				      (const char *)buf + done, (uint32_t)chunk);
		if (n < 0) {
			if (done)
				break;
			return n;
		}
		gofer_cache_wrote(inode, (const char *)buf + done, (size_t)n, *pos + done);
		done += (size_t)n;
		if (n == 0 || (size_t)n < chunk)
			break;
	}
	*pos += done;
	if (*pos > inode->size)
		inode->size = *pos;
	inode_touch(inode, VA_MTIME | VA_CTIME);
	attr_changed(inode); /* the host's times, not ours */
	return (ssize_t)done;
}

static int rw_fsync(struct file *f)
{
	struct gofer_inode *gi = f->inode->priv;
	uint32_t fid;
	int ret = gofer_cache_sync(f->inode); /* pages written through mappings first */

	fid = gi->write_fid != P9_NOFID ? gi->write_fid : gi->open_fid;
	if (ret == 0 && fid != P9_NOFID) {
		/* The open file holds the inode and its fids; a host fsync may take long. */
		bool dropped = gofer_unlock();

		ret = p9c_fsync(client(f->inode->sb), fid);
		gofer_relock(dropped);
	}
	return ret;
}

static int64_t rw_llseek(struct file *f, int64_t off, int whence)
{
	/* SEEK_END and SEEK_DATA/HOLE need the host file's current size. */
	if (whence != SEEK_SET && whence != SEEK_CUR)
		refresh(f->inode);
	return generic_llseek(f, off, whence);
}

const struct file_ops g_gofer_rw_reg_fops = {
	.read = gofer_read,
	.write = rw_write,
	.llseek = rw_llseek,
	.fsync = rw_fsync,
	.page_cache = gofer_page_cache,
	.page_cache_now = gofer_page_cache_now,
};

const struct inode_ops g_gofer_rw_iops = {
	.lookup = gofer_lookup,
	.create = rw_create,
	.mkdir = rw_mkdir,
	.mknod = rw_mknod,
	.symlink = rw_symlink,
	.link = rw_link,
	.unlink = rw_unlink,
	.rmdir = rw_rmdir,
	.rename = rw_rename,
	.readdir = gofer_readdir,
	.readlink = gofer_readlink,
	.getattr = rw_getattr,
	.setattr = rw_setattr,
	.open = gofer_open,
	.evict = gofer_evict,
	.getxattr = gofer_getxattr,
	.listxattr = gofer_listxattr,
	.setxattr = gofer_setxattr,
	.removexattr = gofer_removexattr,
	.host_lock = gofer_host_lock,
	.host_getlock = gofer_host_getlock,
};
