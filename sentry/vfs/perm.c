/* perm.c: Unix permission checks (owner/group/other bits; fsuid 0 has CAP_DAC_OVERRIDE,
 * CAP_DAC_READ_SEARCH and CAP_FOWNER, as the sandbox's root has them). */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>

#include "sentry/kernel/task.h"

bool creds_in_group(const struct creds *c, gid_t gid)
{
	if (c->fsgid == gid)
		return true;
	for (int i = 0; i < c->ngroups && i < (int)ARRAY_SIZE(c->groups); i++)
		if (c->groups[i] == gid)
			return true;
	return false;
}

static int mode_permission(const struct creds *c, const struct kstat *st, int mask)
{
	unsigned bits;

	if (!c)
		return 0;
	if (c->fsuid == 0) {
		/* Root may execute only what someone may execute; directories are searchable. */
		if (!(mask & MAY_EXEC) || S_ISDIR(st->mode) || (st->mode & 0111))
			return 0;
		return -EACCES;
	}
	if (c->fsuid == st->uid)
		bits = (st->mode >> 6) & 7;
	else if (creds_in_group(c, st->gid))
		bits = (st->mode >> 3) & 7;
	else
		bits = st->mode & 7;
	return ((int)bits & mask) == mask ? 0 : -EACCES;
}

int vfs_permission(const struct creds *c, struct dentry *d, int mask)
{
	struct kstat st;
	int ret;

	if (!c)
		return 0;
	/* Root's answer does not depend on the mode bits here (the file type never changes):
	 * no need to fetch attributes, which on a writable gofer mount is a round trip. */
	if (c->fsuid == 0 && d->inode && (!(mask & MAY_EXEC) || S_ISDIR(d->inode->mode)))
		return 0;
	ret = vfs_getattr(d, &st);
	if (ret < 0)
		return ret;
	return mode_permission(c, &st, mask);
}

bool vfs_is_owner(const struct creds *c, const struct kstat *st)
{
	return !c || c->fsuid == 0 || c->fsuid == st->uid;
}

int vfs_check_sticky(const struct creds *c, struct dentry *dir, struct dentry *victim)
{
	struct kstat dst, vst;

	if (!c || c->fsuid == 0)
		return 0;
	if (vfs_getattr(dir, &dst) < 0 || !(dst.mode & S_ISVTX))
		return 0;
	if (vfs_getattr(victim, &vst) < 0)
		return 0;
	if (c->fsuid == dst.uid || c->fsuid == vst.uid)
		return 0;
	return -EPERM;
}
