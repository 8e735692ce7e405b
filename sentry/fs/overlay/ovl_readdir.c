/* ovl_readdir.c: the merged directory listing: upper entries win, whiteouts hide lower
 * names, opaque upper dirs hide the whole lower dir; copied-up entries keep lower inode
 * numbers so readdir agrees with stat. */
#include "sentry/fs/overlay/ovl.h"

#include <dirent.h>
#include <errno.h>
#include <string.h>

struct ent {
	char *name;
	uint64_t ino;
	unsigned char type;
	bool whiteout;
};

struct entlist {
	size_t n, cap;
	struct ent *e;
	struct dentry *dir; /* the layer dir, to recognize whiteouts */
};

static int collect(void *arg, const struct vfs_dirent *de)
{
	struct entlist *l = arg;
	struct ent *e;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 32;
		l->e = xrealloc(l->e, l->cap * sizeof(*l->e));
	}
	e = &l->e[l->n++];
	e->name = strndup(de->name, de->name_len);
	if (!e->name) {
		l->n--;
		return -ENOMEM;
	}
	e->ino = de->ino;
	e->type = de->type;
	e->whiteout = false;
	if (de->type == DT_CHR) {
		struct dentry *d = d_lookup_cached(l->dir, e->name, de->name_len);

		if (d) {
			e->whiteout = ovl_is_whiteout(d);
			dput(d);
		}
	}
	return 0;
}

static int ent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct ent *)a)->name, ((const struct ent *)b)->name);
}

static struct ent *find(struct entlist *l, const char *name)
{
	struct ent key = {.name = (char *)name};

	return l->n ? bsearch(&key, l->e, l->n, sizeof(*l->e), ent_cmp) : NULL;
}

static void entlist_free(struct entlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->e[i].name);
	free(l->e);
}

static int read_layer(struct dentry *dir, struct entlist *l)
{
	l->dir = dir;
	if (!dir || !dir->inode->iops->readdir)
		return 0;
	return dir->inode->iops->readdir(dir, collect, l);
}

static int emit(vfs_dirent_fn fn, void *arg, const struct ent *e, uint64_t ino)
{
	struct vfs_dirent de = {
		.name = e->name, .name_len = strlen(e->name), .ino = ino, .type = e->type,
	};

	return fn(arg, &de);
}

int ovl_readdir(struct dentry *dir, vfs_dirent_fn fn, void *arg)
{
	struct ovl_inode *oi = ovl_i(dir);
	struct entlist up = {0}, low = {0};
	bool opaque = oi->upper && (oi->upper->inode->flags & I_OPAQUE);
	int ret;

	ret = read_layer(oi->upper, &up);
	if (ret == 0 && up.n == 0 && !opaque && oi->lower && oi->lower->inode->iops->readdir) {
		/* Nothing above the lower dir (not copied up, or an empty copy): its entries
		 * as they come, with nothing to merge or hide. */
		ret = oi->lower->inode->iops->readdir(oi->lower, fn, arg);
		goto out;
	}
	if (ret == 0 && !opaque)
		ret = read_layer(oi->lower, &low);
	if (ret < 0)
		goto out;
	qsort(up.e, up.n, sizeof(*up.e), ent_cmp);
	qsort(low.e, low.n, sizeof(*low.e), ent_cmp);
	for (size_t i = 0; i < up.n; i++) {
		struct ent *l = find(&low, up.e[i].name);
		uint64_t ino = l ? l->ino : OVL_UPPER_INO(up.e[i].ino);

		if (up.e[i].whiteout)
			continue;
		if (emit(fn, arg, &up.e[i], ino))
			goto out;
	}
	for (size_t i = 0; i < low.n; i++) {
		if (find(&up, low.e[i].name))
			continue;
		if (emit(fn, arg, &low.e[i], low.e[i].ino))
			goto out;
	}
out:
	entlist_free(&up);
	entlist_free(&low);
	return ret;
}
