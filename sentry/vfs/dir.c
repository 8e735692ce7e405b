/* dir.c: getdents64 (and the old getdents) over a per-open-file snapshot of a directory.
 * Offsets are entry indexes (0 = ".", 1 = "..", then the filesystem's entries), so reading
 * resumes exactly across calls however small the buffer; the snapshot is retaken at
 * offset 0. */
#include "sentry/vfs/dir.h"

#include <dirent.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "sentry/vfs/file.h"

struct snap_ent {
	uint64_t ino;
	uint32_t name_off; /* into dirsnap.names, NUL-terminated there */
	uint16_t name_len;
	unsigned char type;
};

/* One allocation for the entries and one for all their names, however many. */
struct dirsnap {
	size_t n, cap;
	struct snap_ent *ents;
	char *names;
	size_t names_size, names_cap;
};

/* The kernel's struct linux_dirent64 header (the name follows, NUL-terminated). */
struct dirent64_hdr {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
	uint8_t d_type;
} __attribute__((packed));

/* The original struct linux_dirent header (getdents): the name follows. */
struct dirent_old_hdr {
	uint64_t d_ino;
	int64_t d_off;
	uint16_t d_reclen;
} __attribute__((packed));

void dirsnap_free(struct dirsnap *ds)
{
	if (!ds)
		return;
	free(ds->ents);
	free(ds->names);
	free(ds);
}

static int snap_add(struct dirsnap *ds, const char *name, size_t len, uint64_t ino,
		    unsigned char type)
{
	struct snap_ent *e;

	if (len > VFS_NAME_MAX || ds->names_size > UINT32_MAX - VFS_NAME_MAX - 1)
		return -ENOMEM; /* 4 GiB of names in one directory */
	if (ds->n == ds->cap) {
		ds->cap = ds->cap ? ds->cap * 2 : 64;
		ds->ents = xrealloc(ds->ents, ds->cap * sizeof(*ds->ents));
	}
	if (ds->names_size + len + 1 > ds->names_cap) {
		ds->names_cap = MAX(ds->names_cap * 2, ds->names_size + len + 1 + 1024);
		ds->names = xrealloc(ds->names, ds->names_cap);
	}
	e = &ds->ents[ds->n++];
	e->name_off = (uint32_t)ds->names_size;
	e->name_len = (uint16_t)len;
	memcpy(ds->names + ds->names_size, name, len);
	ds->names[ds->names_size + len] = '\0';
	ds->names_size += len + 1;
	e->ino = ino;
	e->type = type;
	return 0;
}

struct snap_emit_state {
	struct dirsnap *ds;
	int err;
};

static int snap_emit(void *arg, const struct vfs_dirent *ent)
{
	struct snap_emit_state *s = arg;

	s->err = snap_add(s->ds, ent->name, ent->name_len, ent->ino, ent->type);
	return s->err;
}

static uint64_t dentry_ino(struct dentry *d)
{
	struct kstat st;

	return vfs_getattr(d, &st) == 0 ? st.ino : 0;
}

/* The directory ".." names, crossing to the mountpoint's parent at a mount root. */
static struct dentry *dotdot_of(const struct path *p)
{
	if (p->dentry == p->mnt->root && p->mnt->parent)
		return p->mnt->mountpoint->parent;
	return p->dentry->parent;
}

static int snap_take(struct file *f)
{
	struct dentry *d = f->path.dentry;
	struct dirsnap *ds = xcalloc(1, sizeof(*ds));
	struct snap_emit_state es = {ds, 0};
	int ret = 0;

	if (d->hashed) {
		snap_add(ds, ".", 1, dentry_ino(d), DT_DIR);
		snap_add(ds, "..", 2, dentry_ino(dotdot_of(&f->path)), DT_DIR);
		if (d->inode->iops->readdir)
			ret = d->inode->iops->readdir(d, snap_emit, &es);
		if (ret == 0)
			ret = es.err;
	}
	if (ret < 0) {
		dirsnap_free(ds);
		return ret;
	}
	dirsnap_free(f->dir);
	f->dir = ds;
	return 0;
}

/* Write e's record at dst (reclen bytes, zeroed): linux_dirent64, or with old the original
 * linux_dirent (d_ino, d_off, d_reclen, the name, and d_type in the record's last byte). */
static void put_dirent(char *dst, const struct snap_ent *e, const char *name, int64_t off,
		       size_t reclen, bool old)
{
	size_t namelen = e->name_len;
	struct dirent64_hdr h = {e->ino, off, (uint16_t)reclen, e->type};
	struct dirent_old_hdr oh = {e->ino, off, (uint16_t)reclen};

	memset(dst, 0, reclen);
	if (old) {
		memcpy(dst, &oh, sizeof(oh));
		memcpy(dst + sizeof(oh), name, namelen);
		dst[reclen - 1] = (char)e->type;
	} else {
		memcpy(dst, &h, sizeof(h));
		memcpy(dst + sizeof(h), name, namelen);
	}
}

static ssize_t getdents_common(struct file *f, void *buf, size_t size, bool old)
{
	size_t done = 0;
	int ret;

	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (!f->path.dentry || !d_is_dir(f->path.dentry))
		return -ENOTDIR;
	if (!f->dir || f->pos == 0) {
		ret = snap_take(f);
		if (ret < 0)
			return ret;
	}
	while (f->pos < f->dir->n) {
		struct snap_ent *e = &f->dir->ents[f->pos];
		const char *name = f->dir->names + e->name_off;
		size_t namelen = e->name_len;
		size_t reclen = old ? ALIGN_UP(sizeof(struct dirent_old_hdr) + namelen + 2, 8)
				    : ALIGN_UP(sizeof(struct dirent64_hdr) + namelen + 1, 8);

		if (done + reclen > size) {
			if (done == 0)
				return -EINVAL;
			break;
		}
		put_dirent((char *)buf + done, e, name, (int64_t)f->pos + 1, reclen, old);
		done += reclen;
		f->pos++;
	}
	return (ssize_t)done;
}

ssize_t vfs_getdents64(struct task *t, struct file *f, void *buf, size_t size)
{
	return getdents_common(f, buf, size, false);
}

ssize_t vfs_getdents(struct task *t, struct file *f, void *buf, size_t size)
{
	return getdents_common(f, buf, size, true);
}

static ssize_t dir_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos)
{
	return -EISDIR;
}

static int64_t dir_llseek(struct file *f, int64_t off, int whence)
{
	int64_t pos;

	switch (whence) {
	case SEEK_SET:
		pos = off;
		break;
	case SEEK_CUR:
		if (__builtin_add_overflow((int64_t)f->pos, off, &pos))
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	if (pos < 0)
		return -EINVAL;
	f->pos = (uint64_t)pos;
	return pos;
}

const struct file_ops g_dir_fops = {
	.read = dir_read,
	.llseek = dir_llseek,
};
