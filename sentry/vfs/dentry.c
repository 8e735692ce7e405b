/* dentry.c: the dentry cache: named links from a directory to inodes, hashed by parent and
 * name, with reference counts (see the ownership rules in vfs_internal.h). */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"

/* The hash table: chains of dentries keyed by (parent, name). Grows by doubling. */
static struct dentry **g_dhash;
static size_t g_dhash_size;
static size_t g_dhash_count;

/* Unused dentries of prunable super blocks, oldest first. */
#define DCACHE_UNUSED_MAX 8192
static struct list_head g_dlru = LIST_HEAD_INIT(g_dlru);
static size_t g_dlru_count;

static void lru_del(struct dentry *d)
{
	if (list_empty(&d->lru))
		return;
	list_del(&d->lru);
	g_dlru_count--;
}

/* Drop the oldest unused dentries while there are too many. */
static void lru_prune(void)
{
	while (g_dlru_count > DCACHE_UNUSED_MAX) {
		struct dentry *d = list_first_entry(&g_dlru, struct dentry, lru);

		lru_del(d);
		d_drop(d); /* frees it: only the cache held it */
	}
}

static size_t d_hash(const struct dentry *parent, const char *name, size_t len)
{
	uint64_t h = 1469598103934665603ULL ^ (uintptr_t)parent;

	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)name[i];
		h *= 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 29));
}

static void dhash_insert(struct dentry *d)
{
	size_t i = d_hash(d->parent, d->name, d->name_len) & (g_dhash_size - 1);

	d->hnext = g_dhash[i];
	g_dhash[i] = d;
}

static void dhash_grow(void)
{
	struct dentry **old = g_dhash;
	size_t old_size = g_dhash_size;

	g_dhash_size = old_size ? old_size * 2 : 1024;
	g_dhash = xcalloc(g_dhash_size, sizeof(*g_dhash));
	for (size_t i = 0; i < old_size; i++) {
		struct dentry *d = old[i], *next;

		for (; d; d = next) {
			next = d->hnext;
			dhash_insert(d);
		}
	}
	free(old);
}

static void dhash_remove(struct dentry *d)
{
	size_t i = d_hash(d->parent, d->name, d->name_len) & (g_dhash_size - 1);
	struct dentry **pp;

	for (pp = &g_dhash[i]; *pp; pp = &(*pp)->hnext) {
		if (*pp == d) {
			*pp = d->hnext;
			d->hnext = NULL;
			g_dhash_count--;
			return;
		}
	}
	log_fatal("dentry %s not in the hash", d->name);
}

static void d_set_name(struct dentry *d, const char *name, size_t len)
{
	char *n = xmalloc(len + 1);

	memcpy(n, name, len);
	n[len] = '\0';
	free(d->name);
	d->name = n;
	d->name_len = len;
}

struct dentry *d_alloc(struct dentry *parent, const char *name, size_t len)
{
	struct dentry *d = xcalloc(1, sizeof(*d));

	d->refs = 1;
	d_set_name(d, name, len);
	d->parent = parent;
	dget(parent);
	d->sb = parent->sb;
	list_init(&d->children);
	list_init(&d->sibling);
	list_init(&d->lru);
	return d;
}

struct dentry *d_alloc_root(struct super_block *sb, struct inode *inode)
{
	struct dentry *d = xcalloc(1, sizeof(*d));

	d->refs = 1;
	d_set_name(d, "/", 1);
	d->parent = d;
	d->sb = sb;
	d->inode = inode;
	d->hashed = true;
	list_init(&d->children);
	list_init(&d->sibling);
	list_init(&d->lru);
	return d;
}

void d_instantiate(struct dentry *d, struct inode *inode)
{
	d->inode = inode;
}

void dget(struct dentry *d)
{
	if (d->refs++ == 1)
		lru_del(d);
}

void dput(struct dentry *d)
{
	while (d) {
		struct dentry *parent = d->parent;

		/* The last user of a prunable cached dentry leaves it to the LRU. */
		if (d->refs == 2 && d->hashed && d->sb->prunable && parent != d) {
			d->refs--;
			list_add_tail(&d->lru, &g_dlru);
			g_dlru_count++;
			return;
		}
		if (--d->refs > 0)
			return;
		if (d->hashed && parent != d)
			log_fatal("freeing hashed dentry %s", d->name);
		if (d->inode)
			inode_put(d->inode);
		free(d->name);
		free(d);
		d = parent == d ? NULL : parent;
	}
}

void d_add(struct dentry *d)
{
	if (g_dhash_count + 1 > g_dhash_size / 2)
		dhash_grow();
	dhash_insert(d);
	g_dhash_count++;
	d->hashed = true;
	list_add_tail(&d->sibling, &d->parent->children);
	dget(d);
	lru_prune(); /* callers hold references on what they still use */
}

void d_drop(struct dentry *d)
{
	if (!d->hashed || d->parent == d)
		return;
	lru_del(d);
	dhash_remove(d);
	list_del(&d->sibling);
	d->hashed = false;
	dput(d);
}

void d_drop_tree(struct dentry *root)
{
	struct dentry *d = root;

	/* Post-order without recursion: go down to a dentry with no cached child, drop it
	 * (it leaves its parent's children), go back up. Its parent stays: the cache (or,
	 * for root, the caller) holds it. */
	for (;;) {
		if (!list_empty(&d->children)) {
			d = list_first_entry(&d->children, struct dentry, sibling);
			continue;
		}
		if (d == root)
			return;
		struct dentry *parent = d->parent;
		if (d->hashed) {
			d_drop(d);
		} else { /* never on the list unhashed; never loop on one */
			list_del(&d->sibling);
			list_init(&d->sibling);
		}
		d = parent;
	}
}

void sb_release(struct super_block *sb)
{
	if (sb->global)
		return;
	d_drop_tree(sb->root);
	if (sb->ops && sb->ops->release)
		sb->ops->release(sb);
}

void d_move(struct dentry *d, struct dentry *newparent, const char *name, size_t len)
{
	struct dentry *oldparent = d->parent;

	dget(d); /* keep it alive across the drop */
	d_drop(d);
	d_set_name(d, name, len);
	dget(newparent);
	d->parent = newparent;
	d_add(d);
	dput(d);
	dput(oldparent);
}

void d_exchange(struct dentry *a, struct dentry *b)
{
	struct dentry *aparent = a->parent;
	char *aname = a->name;
	size_t alen = a->name_len;

	dget(a); /* keep both alive across the drops */
	dget(b);
	d_drop(a);
	d_drop(b);
	/* The parent references move with the names. */
	a->parent = b->parent;
	a->name = b->name;
	a->name_len = b->name_len;
	b->parent = aparent;
	b->name = aname;
	b->name_len = alen;
	d_add(a);
	d_add(b);
	dput(a);
	dput(b);
}

struct dentry *d_lookup_cached(struct dentry *dir, const char *name, size_t len)
{
	size_t i;
	struct dentry *d;

	if (!g_dhash_size)
		return NULL;
	i = d_hash(dir, name, len) & (g_dhash_size - 1);
	for (d = g_dhash[i]; d; d = d->hnext) {
		if (d->parent == dir && d->name_len == len && !memcmp(d->name, name, len)) {
			dget(d);
			return d;
		}
	}
	return NULL;
}

/* The cached dentry for name in dir, still valid, or NULL. A d_revalidate may let the
 * kernel lock go (a gofer round trip): if another task cached the name again meanwhile,
 * that one is checked in turn (a few times at most), so the name is never cached twice. */
static struct dentry *d_lookup_valid(struct dentry *dir, const char *name, size_t len)
{
	for (int tries = 0; tries < 4; tries++) {
		struct dentry *d = d_lookup_cached(dir, name, len);

		if (!d || !d->sb->ops || !d->sb->ops->d_revalidate || d->sb->ops->d_revalidate(d))
			return d;
		d_drop(d); /* stale: look the name up afresh */
		dput(d);
	}
	return NULL;
}

int d_lookup(struct dentry *dir, const char *name, size_t len, struct dentry **out)
{
	struct dentry *d = d_lookup_valid(dir, name, len);
	struct inode *inode;
	int ret;

	if (d) {
		*out = d;
		return 0;
	}
	if (!dir->inode || !S_ISDIR(dir->inode->mode))
		return -ENOTDIR;
	if (!dir->hashed)
		return -ENOENT; /* a removed directory has no entries */
	if (!dir->inode->iops->lookup)
		return -ENOENT;
	d = d_alloc(dir, name, len);
	ret = dir->inode->iops->lookup(dir, d->name, &inode);
	if (ret < 0) {
		dput(d);
		return ret;
	}
	d_instantiate(d, inode);
	d_add(d);
	*out = d;
	return 0;
}

bool d_is_dir(const struct dentry *d)
{
	return d->inode && S_ISDIR(d->inode->mode);
}

bool d_is_symlink(const struct dentry *d)
{
	return d->inode && S_ISLNK(d->inode->mode);
}

bool d_is_reg(const struct dentry *d)
{
	return d->inode && S_ISREG(d->inode->mode);
}
