/* ovl_xattr.c: extended attributes on the overlay: read from the upper object once it is
 * copied up, else from the lower; a change copies up first and goes to the upper copy.
 * Copy-up carries the lower's attributes along. trusted.overlay.* belongs to overlayfs
 * itself in Linux: never shown, set or copied (EOPNOTSUPP). */
#include "sentry/fs/overlay/ovl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/vfs/file.h"

#define OVL_PRIVATE "trusted.overlay."

static bool ovl_private(const char *name)
{
	return !strncmp(name, OVL_PRIVATE, sizeof(OVL_PRIVATE) - 1);
}

static ssize_t layer_get(struct dentry *real, const char *name, void *buf, size_t size)
{
	const struct inode_ops *ops = real->inode->iops;

	return ops->getxattr ? ops->getxattr(real, name, buf, size) : -ENODATA;
}

ssize_t ovl_getxattr(struct dentry *d, const char *name, void *buf, size_t size)
{
	if (ovl_private(name))
		return -EOPNOTSUPP;
	return layer_get(ovl_real(d), name, buf, size);
}

/* The real object's list without overlayfs's own names. */
ssize_t ovl_listxattr(struct dentry *d, char *buf, size_t size)
{
	char *all;
	ssize_t len = vfsk_listxattr_all(ovl_real(d), &all), out = 0;

	for (ssize_t i = 0; i < len;) {
		size_t n = strnlen(all + i, (size_t)(len - i));

		if (n && !ovl_private(all + i)) {
			if (size && (size_t)out + n + 1 > size) {
				out = -ERANGE;
				break;
			}
			if (size)
				memcpy(buf + out, all + i, n + 1);
			out += (ssize_t)n + 1;
		}
		i += (ssize_t)n + 1;
	}
	free(all);
	return len < 0 ? len : out;
}

int ovl_setxattr(struct dentry *d, const char *name, const void *value, size_t size,
		 int flags)
{
	struct dentry *up;
	int ret;

	if (ovl_private(name))
		return -EOPNOTSUPP;
	ret = ovl_copy_up(d);
	if (ret < 0)
		return ret;
	up = ovl_i(d)->upper;
	if (!up->inode->iops->setxattr)
		return -EOPNOTSUPP;
	return up->inode->iops->setxattr(up, name, value, size, flags);
}

int ovl_removexattr(struct dentry *d, const char *name)
{
	struct dentry *up;
	int ret;

	if (ovl_private(name))
		return -EOPNOTSUPP;
	/* Removing what is not there changes nothing: no copy-up for it. */
	ret = (int)layer_get(ovl_real(d), name, NULL, 0);
	if (ret < 0)
		return ret;
	ret = ovl_copy_up(d);
	if (ret < 0)
		return ret;
	up = ovl_i(d)->upper;
	if (!up->inode->iops->removexattr)
		return -EOPNOTSUPP;
	return up->inode->iops->removexattr(up, name);
}

/* Copy one attribute of low to up; value is a buffer of XATTR_SIZE_MAX bytes, so one
 * call reads it (a round trip on the gofer). */
static int copy_one(struct dentry *low, struct dentry *up, const char *name, char *value)
{
	ssize_t len = layer_get(low, name, value, XATTR_SIZE_MAX);
	int ret;

	if (len == -ENODATA || len == -EOPNOTSUPP)
		return 0; /* gone meanwhile, or a name the lower cannot read */
	if (len < 0)
		return (int)len;
	ret = up->inode->iops->setxattr(up, name, value, (size_t)len, 0);
	/* As Linux's overlayfs: names the upper cannot store are left behind. */
	return ret == -EOPNOTSUPP || ret == -ENODATA ? 0 : ret;
}

int ovl_copy_xattrs(struct dentry *low, struct dentry *up)
{
	char *all, *value;
	ssize_t len = vfsk_listxattr_all(low, &all);
	int ret = 0;

	if (len <= 0 || !up->inode->iops->setxattr) {
		free(all);
		return len == -EOPNOTSUPP || len > 0 ? 0 : (int)len; /* a lower without xattrs */
	}
	value = xmalloc(XATTR_SIZE_MAX);
	for (ssize_t i = 0; ret == 0 && i < len;) {
		size_t n = strnlen(all + i, (size_t)(len - i));

		/* ACLs (system.*) are not implemented; overlayfs's own names stay below. */
		if (n && !ovl_private(all + i) && strncmp(all + i, "system.", 7))
			ret = copy_one(low, up, all + i, value);
		i += (ssize_t)n + 1;
	}
	free(value);
	free(all);
	return ret;
}
