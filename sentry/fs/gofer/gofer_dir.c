/* gofer_dir.c: directory listings of the gofer filesystem. A listing is read from the
 * host whole (Treaddir until the end) into one array, then reported. On a read-only mount
 * the array is kept in the inode for the sandbox's life, as its dentries and attributes
 * are: the lower tree never changes, so a second listing costs no round trip. A writable
 * mount reads the host each time, through an open fid the directory keeps (a Treaddir at
 * offset 0 starts over), so a listing costs its Treaddirs only. */
#include "sentry/fs/gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#define GOFER_READDIR_SIZE (64 * 1024)

struct gofer_dent {
	uint64_t ino;
	uint32_t name_off; /* into gofer_dirents.names */
	uint16_t name_len;
	unsigned char type;
};

struct gofer_dirents {
	size_t n, cap;
	struct gofer_dent *e;
	char *names;
	size_t names_size, names_cap;
};

void gofer_dirents_free(struct gofer_dirents *ds)
{
	if (!ds)
		return;
	free(ds->e);
	free(ds->names);
	free(ds);
}

static void dents_add(struct gofer_dirents *ds, const struct p9_dirent *de)
{
	struct gofer_dent *e;

	if (ds->n == ds->cap) {
		ds->cap = ds->cap ? ds->cap * 2 : 64;
		ds->e = xrealloc(ds->e, ds->cap * sizeof(*ds->e));
	}
	if (ds->names_size + de->name_len > ds->names_cap) {
		ds->names_cap = MAX(ds->names_cap * 2, ds->names_size + de->name_len + 1024);
		ds->names = xrealloc(ds->names, ds->names_cap);
	}
	e = &ds->e[ds->n++];
	e->ino = de->qid.path;
	e->type = de->type;
	e->name_off = (uint32_t)ds->names_size;
	e->name_len = de->name_len;
	memcpy(ds->names + ds->names_size, de->name, de->name_len);
	ds->names_size += de->name_len;
}

struct fetch_state {
	struct gofer_dirents *ds;
	uint64_t next_off;
};

static int fetch_one(void *arg, const struct p9_dirent *de)
{
	struct fetch_state *s = arg;

	s->next_off = de->offset;
	if ((de->name_len == 1 && de->name[0] == '.') ||
	    (de->name_len == 2 && de->name[0] == '.' && de->name[1] == '.'))
		return 0;
	if (de->name_len == 0 || de->name_len > VFS_NAME_MAX || memchr(de->name, '/', de->name_len))
		return 0; /* a name no directory can hold: ignore it */
	if (s->ds->names_size > UINT32_MAX - VFS_NAME_MAX)
		return 1; /* 4 GiB of names: no host directory is that big; stop */
	dents_add(s->ds, de);
	return 0;
}

/* The directory's open fid, opened by its first listing and kept until eviction. */
static int dir_open_fid(struct dentry *dir, uint32_t *out)
{
	struct gofer_fs *fs = gofer_fs(dir->sb);
	struct gofer_inode *gi = dir->inode->priv;
	uint32_t fid;
	int hostfd = -1, ret;

	if (gi->open_fid == P9_NOFID) {
		fid = p9c_fid_alloc(fs->c);
		ret = p9c_walk(fs->c, gi->fid, fid, 0, NULL, NULL, NULL);
		if (ret == 0)
			ret = p9c_lopen(fs->c, fid, O_RDONLY | O_DIRECTORY, NULL, NULL, &hostfd);
		if (hostfd >= 0)
			close(hostfd); /* entries come through Treaddir */
		if (ret < 0) {
			p9c_clunk(fs->c, fid);
			return ret;
		}
		gi->open_fid = fid;
	}
	*out = gi->open_fid;
	return 0;
}

/* Every entry of the directory on the host, into a new array. */
static int dents_fetch(struct dentry *dir, struct gofer_dirents **out)
{
	struct gofer_fs *fs = gofer_fs(dir->sb);
	struct fetch_state s = {.ds = xcalloc(1, sizeof(*s.ds))};
	uint32_t fid = P9_NOFID;
	ssize_t n;
	int ret = dir_open_fid(dir, &fid);

	while (ret == 0) {
		uint64_t off = s.next_off;

		n = p9c_readdir(fs->c, fid, off, GOFER_READDIR_SIZE, fetch_one, &s);
		if (n < 0)
			ret = (int)n;
		if (n <= 0 || s.next_off == off)
			break; /* the end, or a server that does not advance */
	}
	if (ret < 0) {
		gofer_dirents_free(s.ds);
		return ret;
	}
	*out = s.ds;
	return 0;
}

static int dents_report(const struct gofer_dirents *ds, vfs_dirent_fn fn, void *arg)
{
	for (size_t i = 0; i < ds->n; i++) {
		const struct gofer_dent *e = &ds->e[i];
		struct vfs_dirent ent = {
			.name = ds->names + e->name_off, .name_len = e->name_len,
			.ino = e->ino, .type = e->type,
		};

		if (fn(arg, &ent))
			break;
	}
	return 0;
}

int gofer_readdir(struct dentry *dir, vfs_dirent_fn fn, void *arg)
{
	struct gofer_inode *gi = dir->inode->priv;
	struct gofer_dirents *ds = gi->dents;
	int ret;

	if (ds)
		return dents_report(ds, fn, arg);
	ret = dents_fetch(dir, &ds);
	if (ret < 0)
		return ret;
	ret = dents_report(ds, fn, arg);
	if (gofer_fs(dir->sb)->writable || gi->dents)
		gofer_dirents_free(ds);
	else
		gi->dents = ds;
	return ret;
}
