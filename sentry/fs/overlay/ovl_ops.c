/* ovl_ops.c: overlay copy-up (data, mode, owner, times) and namespace changes on the merged
 * view: creates clear whiteouts (a new directory over one becomes opaque), removals of
 * lower objects leave whiteouts, renames copy up first (directories with lower contents
 * give EXDEV, as Linux's overlay does without redirect_dir). */
#include "sentry/fs/overlay/ovl.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"

#define COPY_CHUNK (1 << 20)

static int copy_data(struct dentry *low, struct dentry *up)
{
	struct path lp = {NULL, low}, upp = {NULL, up};
	struct file *lf, *uf;
	char *buf;
	uint64_t off = 0;
	ssize_t n;
	int ret;

	ret = vfs_open_path(&lp, O_RDONLY, &lf);
	if (ret < 0)
		return ret;
	ret = vfs_open_path(&upp, O_WRONLY, &uf);
	if (ret < 0) {
		file_put(lf);
		return ret;
	}
	/* Mappings of the lower file keep seeing the file once it is the upper one. */
	struct shm_obj *cache = lf->ops->take_page_cache ? lf->ops->take_page_cache(lf) : NULL;
	if (cache) {
		ret = uf->ops->adopt_page_cache ? uf->ops->adopt_page_cache(uf, cache) : -EINVAL;
		if (ret < 0)
			shm_obj_put(cache);
		file_put(uf);
		file_put(lf);
		return ret;
	}
	buf = xmalloc(COPY_CHUNK);
	for (;;) {
		n = file_pread_kernel(lf, buf, COPY_CHUNK, off);
		if (n <= 0)
			break;
		n = vfs_pwrite(NULL, uf, buf, (size_t)n, off);
		if (n <= 0)
			break;
		off += (uint64_t)n;
	}
	ret = n < 0 ? (int)n : 0;
	free(buf);
	file_put(uf);
	file_put(lf);
	return ret;
}

/* Create the upper object for d in udir with the lower's type and content. */
static int copy_object(struct dentry *udir, struct dentry *d, const struct kstat *st,
		       struct dentry **up)
{
	struct dentry *low = ovl_i(d)->lower;
	char *target;
	ssize_t n;
	int ret;

	if (S_ISDIR(st->mode))
		return vfsk_mkdir(udir, d->name, st->mode, NULL, up);
	if (S_ISREG(st->mode)) {
		ret = vfsk_create(udir, d->name, st->mode, NULL, up);
		if (ret == 0)
			ret = copy_data(low, *up);
		return ret;
	}
	if (S_ISLNK(st->mode)) {
		target = xmalloc(VFS_PATH_MAX);
		n = low->inode->iops->readlink ?
			    low->inode->iops->readlink(low, target, VFS_PATH_MAX - 1) : -EINVAL;
		if (n >= 0) {
			target[n] = '\0';
			n = vfsk_symlink(udir, d->name, target, NULL, up);
		}
		free(target);
		return (int)n;
	}
	return vfsk_mknod(udir, d->name, st->mode, (dev_t)st->rdev, NULL, up);
}

int ovl_copy_up(struct dentry *d)
{
	struct ovl_inode *oi = ovl_i(d);
	struct vattr va = {.valid = VA_MODE | VA_UID | VA_GID | VA_ATIME | VA_MTIME};
	struct dentry *up = NULL;
	struct kstat st;
	int ret;

	if (oi->upper)
		return 0;
	ret = ovl_copy_up(d->parent);
	if (ret == 0)
		ret = vfs_getattr(oi->lower, &st);
	if (ret == 0)
		ret = copy_object(ovl_i(d->parent)->upper, d, &st, &up);
	if (ret == 0)
		ret = ovl_copy_xattrs(oi->lower, up);
	if (ret < 0) {
		if (up) {
			if (S_ISDIR(st.mode))
				vfsk_rmdir(ovl_i(d->parent)->upper, up);
			else
				vfsk_unlink(ovl_i(d->parent)->upper, up);
			dput(up);
		}
		return ret;
	}
	va.mode = st.mode & 07777;
	va.uid = st.uid;
	va.gid = st.gid;
	va.atime = st.atime;
	va.mtime = st.mtime;
	if (!S_ISLNK(st.mode))
		vfsk_setattr(up, &va);
	oi->upper = up; /* the creation's reference */
	return 0;
}

/* Remove a whiteout named name in udir if there is one; *had says whether there was. */
static int clear_whiteout(struct dentry *udir, const char *name, bool *had)
{
	struct dentry *wh = d_lookup_cached(udir, name, strlen(name));
	int ret = 0;

	*had = false;
	if (!wh)
		return 0;
	if (ovl_is_whiteout(wh)) {
		ret = vfsk_unlink(udir, wh);
		*had = ret == 0;
	} else {
		ret = -EEXIST;
	}
	dput(wh);
	return ret;
}

static int make_whiteout(struct dentry *udir, const char *name)
{
	return vfsk_mknod(udir, name, S_IFCHR, 0, NULL, NULL);
}

/* Remove the whiteouts left in an upper dir whose merged view is empty. */
static int clear_dir_whiteouts(struct dentry *udir)
{
	struct list_head *pos, *n;
	int ret;

	list_for_each_safe(pos, n, &udir->children) {
		struct dentry *c = list_entry(pos, struct dentry, sibling);

		if (!ovl_is_whiteout(c))
			return -ENOTEMPTY;
		ret = vfsk_unlink(udir, c);
		if (ret < 0)
			return ret;
	}
	return 0;
}

struct make_args {
	uint32_t mode;
	dev_t rdev;
	const char *target;
};

static int ovl_make(struct dentry *dir, struct dentry *d, const struct make_args *a,
		    const struct creds *c)
{
	struct dentry *udir, *up = NULL;
	bool had;
	int ret = ovl_copy_up(dir);

	if (ret < 0)
		return ret;
	udir = ovl_i(dir)->upper;
	ret = clear_whiteout(udir, d->name, &had);
	if (ret < 0)
		return ret;
	if (S_ISDIR(a->mode))
		ret = vfsk_mkdir(udir, d->name, a->mode, c, &up);
	else if (S_ISLNK(a->mode))
		ret = vfsk_symlink(udir, d->name, a->target, c, &up);
	else if (S_ISREG(a->mode))
		ret = vfsk_create(udir, d->name, a->mode, c, &up);
	else
		ret = vfsk_mknod(udir, d->name, a->mode, a->rdev, c, &up);
	if (ret < 0) {
		if (had)
			make_whiteout(udir, d->name);
		return ret;
	}
	/* A new directory where a lower one was deleted must not show its old entries. */
	if (S_ISDIR(a->mode) && had)
		up->inode->flags |= I_OPAQUE;
	d_instantiate(d, ovl_inode_new(dir->sb, up, NULL));
	dput(up);
	return 0;
}

int ovl_create(struct dentry *dir, struct dentry *d, uint32_t mode, const struct creds *c)
{
	struct make_args a = {.mode = mode};

	return ovl_make(dir, d, &a, c);
}

int ovl_mknod(struct dentry *dir, struct dentry *d, uint32_t mode, dev_t rdev,
	      const struct creds *c)
{
	struct make_args a = {.mode = mode, .rdev = rdev};

	/* A 0:0 character device in the upper layer is a whiteout: never the app's (Linux's
	 * overlayfs refuses it too). */
	if (S_ISCHR(mode) && rdev == 0)
		return -EPERM;
	return ovl_make(dir, d, &a, c);
}

int ovl_symlink(struct dentry *dir, struct dentry *d, const char *target, const struct creds *c)
{
	struct make_args a = {.mode = S_IFLNK | 0777, .target = target};

	return ovl_make(dir, d, &a, c);
}

/* An unnamed file in the upper copy of dir, wrapped as an upper-only overlay inode. */
int ovl_tmpfile(struct dentry *dir, uint32_t mode, const struct creds *c, struct inode **out)
{
	struct dentry *up;
	int ret = ovl_copy_up(dir);

	if (ret == 0)
		ret = vfsk_tmpfile(ovl_i(dir)->upper, mode, c, &up);
	if (ret < 0)
		return ret;
	*out = ovl_inode_new(dir->sb, up, NULL);
	(*out)->mode = up->inode->mode;
	dput(up);
	return 0;
}

int ovl_link(struct dentry *old, struct dentry *dir, struct dentry *d)
{
	struct dentry *udir, *ud;
	bool had;
	int ret = ovl_copy_up(old);

	if (ret == 0)
		ret = ovl_copy_up(dir);
	if (ret < 0)
		return ret;
	udir = ovl_i(dir)->upper;
	ret = clear_whiteout(udir, d->name, &had);
	if (ret < 0)
		return ret;
	ud = d_alloc(udir, d->name, d->name_len);
	ret = udir->inode->iops->link(ovl_i(old)->upper, udir, ud);
	if (ret == 0) {
		d_add(ud);
		d_instantiate(d, ovl_inode_new(dir->sb, ud, NULL));
	} else if (had) {
		make_whiteout(udir, d->name);
	}
	dput(ud);
	return ret;
}

/* Whether dir's lower layer shows name, so that the name needs a whiteout once its upper
 * object goes (d's own lower pointer is not enough: renames move overlay dentries). */
static bool lower_has(struct dentry *dir, const char *name)
{
	struct ovl_inode *poi = ovl_i(dir);
	struct dentry *low;
	int ret;

	if (!poi->lower || !d_is_dir(poi->lower) ||
	    (poi->upper && (poi->upper->inode->flags & I_OPAQUE)))
		return false;
	ret = d_lookup(poi->lower, name, strlen(name), &low);
	if (ret == 0)
		dput(low);
	return ret != -ENOENT; /* on an error, a spare whiteout is the safe side */
}

/* Remove d's upper object (if any) and hide its lower one (if any). */
static int ovl_remove(struct dentry *dir, struct dentry *d, bool isdir)
{
	struct ovl_inode *oi = ovl_i(d);
	struct dentry *udir;
	int ret = ovl_copy_up(dir);

	if (ret < 0)
		return ret;
	udir = ovl_i(dir)->upper;
	if (oi->upper) {
		if (isdir) {
			ret = clear_dir_whiteouts(oi->upper);
			if (ret == 0)
				ret = vfsk_rmdir(udir, oi->upper);
		} else {
			ret = vfsk_unlink(udir, oi->upper);
		}
		if (ret < 0)
			return ret;
	}
	if (lower_has(dir, d->name))
		ret = make_whiteout(udir, d->name);
	return ret;
}

int ovl_unlink(struct dentry *dir, struct dentry *d)
{
	return ovl_remove(dir, d, false);
}

int ovl_rmdir(struct dentry *dir, struct dentry *d)
{
	return ovl_remove(dir, d, true);
}

int ovl_rename(struct dentry *odir, struct dentry *od, struct dentry *ndir, struct dentry *nd)
{
	struct ovl_inode *ooi = ovl_i(od);
	struct dentry *uodir, *undir;
	bool opaque, had = false;
	int ret;

	if (d_is_dir(od) && ooi->lower)
		return -EXDEV;
	ret = ovl_copy_up(od);
	if (ret == 0)
		ret = ovl_copy_up(ndir);
	if (ret < 0)
		return ret;
	uodir = ovl_i(odir)->upper;
	undir = ovl_i(ndir)->upper;
	opaque = lower_has(ndir, nd->name);
	if (nd->inode) {
		struct ovl_inode *noi = ovl_i(nd);

		if (noi->upper && d_is_dir(nd))
			ret = clear_dir_whiteouts(noi->upper);
	} else {
		ret = clear_whiteout(undir, nd->name, &had);
	}
	if (ret == 0)
		ret = vfsk_rename(uodir, ooi->upper, undir, nd->name);
	if (ret < 0) {
		if (had)
			make_whiteout(undir, nd->name);
		return ret;
	}
	if (d_is_dir(od) && opaque)
		ooi->upper->inode->flags |= I_OPAQUE;
	if (lower_has(odir, od->name))
		ret = make_whiteout(uodir, od->name);
	return ret;
}

/* Both objects are copied up and their upper dentries swapped; directories with lower
 * contents give EXDEV as for rename. A directory landing on a name the lower layer has
 * becomes opaque. */
int ovl_exchange(struct dentry *odir, struct dentry *od, struct dentry *ndir, struct dentry *nd)
{
	struct ovl_inode *ooi = ovl_i(od), *noi = ovl_i(nd);
	bool oopaque, nopaque;
	int ret;

	if ((d_is_dir(od) && ooi->lower) || (d_is_dir(nd) && noi->lower))
		return -EXDEV;
	ret = ovl_copy_up(od);
	if (ret == 0)
		ret = ovl_copy_up(nd);
	if (ret < 0)
		return ret;
	oopaque = d_is_dir(od) && lower_has(ndir, nd->name);
	nopaque = d_is_dir(nd) && lower_has(odir, od->name);
	ret = vfsk_exchange(ovl_i(odir)->upper, ooi->upper, ovl_i(ndir)->upper, noi->upper);
	if (ret < 0)
		return ret;
	if (oopaque)
		ooi->upper->inode->flags |= I_OPAQUE;
	if (nopaque)
		noi->upper->inode->flags |= I_OPAQUE;
	return 0;
}
