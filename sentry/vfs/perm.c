/* perm.c: Unix permission checks: owner/group/other bits, then the capabilities that
 * override them (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER), as Linux's
 * generic_permission, inode_owner_or_capable and check_sticky. */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <linux/capability.h>

#include "sentry/kernel/caps.h"
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

/* What CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH allow that the mode bits did not. */
static int dac_capable(const struct creds *c, const struct kstat *st, int mask)
{
	if (S_ISDIR(st->mode)) {
		if (!(mask & MAY_WRITE) && caps_creds_capable(c, CAP_DAC_READ_SEARCH))
			return 0;
		return caps_creds_capable(c, CAP_DAC_OVERRIDE) ? 0 : -EACCES;
	}
	/* Executing needs someone's execute bit even with CAP_DAC_OVERRIDE. */
	if ((!(mask & MAY_EXEC) || (st->mode & 0111)) &&
	    caps_creds_capable(c, CAP_DAC_OVERRIDE))
		return 0;
	if (mask == MAY_READ && caps_creds_capable(c, CAP_DAC_READ_SEARCH))
		return 0;
	return -EACCES;
}

static int mode_permission(const struct creds *c, const struct kstat *st, int mask)
{
	unsigned bits;

	if (!c)
		return 0;
	if (c->fsuid == st->uid)
		bits = (st->mode >> 6) & 7;
	else if (creds_in_group(c, st->gid))
		bits = (st->mode >> 3) & 7;
	else
		bits = st->mode & 7;
	if (((int)bits & mask) == mask)
		return 0;
	return dac_capable(c, st, mask);
}

bool vfs_may_skip_dac(const struct creds *c, const struct dentry *d, int mask)
{
	return !c || (d->inode && (!(mask & MAY_EXEC) || S_ISDIR(d->inode->mode)) &&
		      caps_creds_capable(c, CAP_DAC_OVERRIDE));
}

int vfs_permission(const struct creds *c, struct dentry *d, int mask)
{
	struct kstat st;
	int ret;

	/* CAP_DAC_OVERRIDE's answer does not depend on the mode bits here (the file type never
	 * changes): no need to fetch attributes, which on a writable gofer mount is a round
	 * trip. */
	if (vfs_may_skip_dac(c, d, mask))
		return 0;
	ret = vfs_getattr(d, &st);
	if (ret < 0)
		return ret;
	return mode_permission(c, &st, mask);
}

bool vfs_is_owner(const struct creds *c, const struct kstat *st)
{
	return !c || c->fsuid == st->uid || caps_creds_capable(c, CAP_FOWNER);
}

int vfs_check_sticky(const struct creds *c, struct dentry *dir, struct dentry *victim)
{
	struct kstat dst, vst;

	if (!c)
		return 0;
	if (vfs_getattr(dir, &dst) < 0 || !(dst.mode & S_ISVTX))
		return 0;
	if (vfs_getattr(victim, &vst) < 0)
		return 0;
	if (c->fsuid == dst.uid || c->fsuid == vst.uid || caps_creds_capable(c, CAP_FOWNER))
		return 0;
	return -EPERM;
}
