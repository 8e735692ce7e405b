/* tmpfs_xattr.c: extended attributes of tmpfs (and memfd) inodes, a short list per inode
 * in the Sentry's heap. The VFS (sentry/vfs/xattr.c) has checked the name, namespace and
 * permissions. As Linux's tmpfs, a new value needs room in the instance's inode space
 * (nr_inodes=, tmpfs_free_ispace) before the old one gives its room back, else ENOSPC;
 * and their heap memory is capped per instance (TMPFS_XATTR_BYTES_MAX, ENOSPC too). */
#include "sentry/fs/tmpfs/tmpfs.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#define TMPFS_XATTR_BYTES_MAX (64ULL << 20)

struct tmpfs_xattr {
	struct tmpfs_xattr *next;
	size_t size;
	char *value;
	char name[]; /* NUL-terminated */
};

static struct tmpfs_sb *tsb(struct inode *inode)
{
	return inode->sb->priv;
}

/* What one attribute costs the Sentry's heap. */
static uint64_t xattr_cost(size_t name_len, size_t size)
{
	return sizeof(struct tmpfs_xattr) + name_len + 1 + size;
}

/* Its inode space as Linux counts it (simple_xattr_space). */
static uint64_t xattr_ispace(size_t name_len, size_t size)
{
	return 40 + name_len + size;
}

static struct tmpfs_xattr **xattr_find(struct inode *inode, const char *name)
{
	struct tmpfs_xattr **pp = &inode->xattrs;

	while (*pp && strcmp((*pp)->name, name))
		pp = &(*pp)->next;
	return pp;
}

ssize_t tmpfs_getxattr(struct dentry *d, const char *name, void *buf, size_t size)
{
	struct tmpfs_xattr *x = *xattr_find(d->inode, name);

	if (!x)
		return -ENODATA;
	if (size && size < x->size)
		return -ERANGE;
	if (size)
		memcpy(buf, x->value, x->size);
	return (ssize_t)x->size;
}

ssize_t tmpfs_listxattr(struct dentry *d, char *buf, size_t size)
{
	size_t len = 0;

	for (struct tmpfs_xattr *x = d->inode->xattrs; x; x = x->next) {
		size_t n = strlen(x->name) + 1;

		if (size && len + n > size)
			return -ERANGE;
		if (size)
			memcpy(buf + len, x->name, n);
		len += n;
	}
	return (ssize_t)len;
}

static void xattr_free(struct inode *inode, struct tmpfs_xattr *x)
{
	size_t len = strlen(x->name);

	tsb(inode)->xattr_bytes -= xattr_cost(len, x->size);
	tsb(inode)->xattr_ispace -= xattr_ispace(len, x->size);
	free(x->value);
	free(x);
}

int tmpfs_setxattr(struct dentry *d, const char *name, const void *value, size_t size,
		   int flags)
{
	struct inode *inode = d->inode;
	struct tmpfs_xattr **pp = xattr_find(inode, name);
	struct tmpfs_xattr *old = *pp, *x;
	size_t len = strlen(name);
	uint64_t cost = xattr_cost(len, size), freed = old ? xattr_cost(len, old->size) : 0;

	if (old && (flags & XATTR_CREATE))
		return -EEXIST;
	if (!old && (flags & XATTR_REPLACE))
		return -ENODATA;
	if (tmpfs_free_ispace(inode->sb) < xattr_ispace(len, size))
		return -ENOSPC;
	if (cost > freed && tsb(inode)->xattr_bytes + cost - freed > TMPFS_XATTR_BYTES_MAX)
		return -ENOSPC;
	x = xmalloc(sizeof(*x) + len + 1);
	memcpy(x->name, name, len + 1);
	x->size = size;
	x->value = xmalloc(size ? size : 1);
	memcpy(x->value, value, size);
	tsb(inode)->xattr_bytes += cost;
	tsb(inode)->xattr_ispace += xattr_ispace(len, size);
	/* A replaced value keeps its place in the list. */
	x->next = old ? old->next : NULL;
	*pp = x;
	if (old)
		xattr_free(inode, old);
	inode_touch(inode, VA_CTIME);
	return 0;
}

int tmpfs_removexattr(struct dentry *d, const char *name)
{
	struct inode *inode = d->inode;
	struct tmpfs_xattr **pp = xattr_find(inode, name);
	struct tmpfs_xattr *x = *pp;

	if (!x)
		return -ENODATA;
	*pp = x->next;
	xattr_free(inode, x);
	inode_touch(inode, VA_CTIME);
	return 0;
}

void tmpfs_xattrs_free(struct inode *inode)
{
	while (inode->xattrs) {
		struct tmpfs_xattr *x = inode->xattrs;

		inode->xattrs = x->next;
		xattr_free(inode, x);
	}
}
