/* statmount.c: statmount(2) and listmount(2) (Linux 6.8+): a mount named by its 64-bit
 * unique ID in the caller's namespace (or one named by its ID), described field group by
 * field group with strings after the struct; the IDs of the mounts below one, in ID
 * order. Checks and layout as Linux's fs/namespace.c. */
#include "sentry/vfs/mount.h"

#include <errno.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include "sentry/abi/statmount.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"

#define SB_RDONLY_FLAG 0x1
/* Every field group this kernel knows; FS_SUBTYPE, OPT_SEC_ARRAY and the idmaps are
 * never filled (no subtypes, no security modules, no idmapped mounts), as on Linux. */
#define STATMOUNT_SUPPORTED                                                                        \
	(STATMOUNT_SB_BASIC | STATMOUNT_MNT_BASIC | STATMOUNT_PROPAGATE_FROM |                     \
	 STATMOUNT_MNT_ROOT | STATMOUNT_MNT_POINT | STATMOUNT_FS_TYPE | STATMOUNT_MNT_NS_ID |      \
	 STATMOUNT_MNT_OPTS | STATMOUNT_FS_SUBTYPE | STATMOUNT_SB_SOURCE | STATMOUNT_OPT_ARRAY |   \
	 STATMOUNT_OPT_SEC_ARRAY | STATMOUNT_SUPPORTED_MASK | STATMOUNT_MNT_UIDMAP |               \
	 STATMOUNT_MNT_GIDMAP)

static uint64_t g_next_ns_id = 1;

uint64_t mnt_ns_id(struct mnt_ns *ns)
{
	if (!ns->id)
		ns->id = g_next_ns_id++;
	return ns->id;
}

struct mnt_ns *mnt_ns_by_id(uint64_t id)
{
	struct list_head *pos;

	list_for_each(pos, mnt_list())
	{
		struct mnt_ns *ns = list_entry(pos, struct mount, link)->ns;

		if (ns && !ns->anon && ns->id == id)
			return ns;
	}
	return NULL;
}

static struct mount *lookup_in_ns(struct mnt_ns *ns, uint64_t id)
{
	struct list_head *pos;

	list_for_each(pos, mnt_list())
	{
		struct mount *m = list_entry(pos, struct mount, link);

		if (m->ns == ns && m->unique_id == id)
			return m;
	}
	return NULL;
}

/* The namespace a request names (its mnt_ns_id, else the caller's): NULL when there is
 * none or the caller may not see it (both ENOENT). */
static struct mnt_ns *request_ns(struct task *t, const struct abi_mnt_id_req *req)
{
	struct mnt_ns *ns = t->fs->mnt_ns;

	if (!req->mnt_ns_id)
		return ns;
	ns = mnt_ns_by_id(req->mnt_ns_id);
	if (ns && ns != t->fs->mnt_ns && !caps_capable(t, CAP_SYS_ADMIN))
		return NULL;
	return ns;
}

/* Linux's grab_requested_root: the caller's root in its own namespace, else the
 * namespace's root. */
static struct path request_root(struct task *t, struct mnt_ns *ns)
{
	struct path root = {ns->root, ns->root ? ns->root->root : NULL};

	if (ns == t->fs->mnt_ns)
		root = t->fs->root;
	return root;
}

static uint64_t mnt_attr_of(const struct mount *m)
{
	return ((m->flags & MNT_READONLY) ? MOUNT_ATTR_RDONLY : 0) |
	       ((m->flags & MNT_NOSUID) ? MOUNT_ATTR_NOSUID : 0) |
	       ((m->flags & MNT_NODEV) ? MOUNT_ATTR_NODEV : 0) |
	       ((m->flags & MNT_NOEXEC) ? MOUNT_ATTR_NOEXEC : 0) |
	       ((m->flags & MNT_NOATIME) ? MOUNT_ATTR_NOATIME : MOUNT_ATTR_RELATIME);
}

struct sm_out {
	struct abi_statmount *sm;
	char *str; /* the strings, a reserved empty one first */
	size_t len, cap;
	size_t bufsize; /* the caller's buffer: strings past it are EOVERFLOW */
};

/* Append one string (n bytes) for field group flag at *off, as Linux's statmount_string:
 * EOVERFLOW past the caller's buffer; an empty string leaves the group unset. */
static int sm_string(struct sm_out *o, uint64_t flag, uint32_t *off, const char *s, size_t n)
{
	if (o->len == 0)
		o->str[o->len++] = '\0';
	if (sizeof(*o->sm) + o->len + n >= o->bufsize || o->len + n + 1 > o->cap)
		return -EOVERFLOW;
	if (n == 0)
		return 0;
	memcpy(o->str + o->len, s, n);
	*off = (uint32_t)o->len;
	o->len += n;
	o->str[o->len++] = '\0';
	o->sm->mask |= flag;
	return 0;
}

/* The filesystem's own options, as mountinfo's super options after "rw"/"ro". */
static void fs_opts(const struct mount *m, char *buf, size_t size)
{
	buf[0] = '\0';
	if (!strcmp(m->sb->type, "tmpfs"))
		tmpfs_show_options(m->sb, buf, size);
}

static int sm_opts(struct sm_out *o, const struct mount *m, uint64_t mask)
{
	char opts[256];
	const char *s;
	int ret = 0;

	fs_opts(m, opts, sizeof(opts));
	s = opts[0] == ',' ? opts + 1 : opts;
	if (mask & STATMOUNT_MNT_OPTS)
		ret = sm_string(o, STATMOUNT_MNT_OPTS, &o->sm->mnt_opts, s, strlen(s));
	if (ret == 0 && (mask & STATMOUNT_OPT_ARRAY)) {
		/* The options one NUL-terminated string each: commas become NULs. */
		char arr[256];
		size_t n = strlen(s);

		memcpy(arr, s, n + 1);
		o->sm->opt_num = 0;
		for (size_t i = 0; i < n; i++)
			if (arr[i] == ',')
				arr[i] = '\0';
		if (n)
			for (size_t i = 0; i <= n; i++)
				o->sm->opt_num += arr[i] == '\0';
		ret = sm_string(o, STATMOUNT_OPT_ARRAY, &o->sm->opt_array, arr, n);
	}
	return ret;
}

static int sm_paths(struct sm_out *o, const struct mount *m, const struct path *root, uint64_t mask)
{
	char *buf = xmalloc(VFS_PATH_MAX);
	struct path p = {(struct mount *)m, m->root};
	ssize_t n;
	int ret = 0;

	if (mask & STATMOUNT_MNT_ROOT) {
		mnt_root_name(m, buf, VFS_PATH_MAX);
		ret = sm_string(o, STATMOUNT_MNT_ROOT, &o->sm->mnt_root, buf, strlen(buf));
	}
	if (ret == 0 && (mask & STATMOUNT_MNT_POINT)) {
		n = vfs_path_name_from(root, &p, buf, VFS_PATH_MAX);
		/* A mount outside the caller's root has no point to show. */
		ret = sm_string(o, STATMOUNT_MNT_POINT, &o->sm->mnt_point, buf,
				n > 0 ? (size_t)n - 1 : 0);
	}
	free(buf);
	return ret;
}

static void sm_basic(struct abi_statmount *sm, struct mount *m, uint64_t mask)
{
	if (mask & STATMOUNT_SB_BASIC) {
		sm->mask |= STATMOUNT_SB_BASIC;
		sm->sb_dev_major = major(m->sb->dev);
		sm->sb_dev_minor = minor(m->sb->dev);
		sm->sb_magic = m->sb->magic;
		sm->sb_flags = m->sb->rdonly ? SB_RDONLY_FLAG : 0;
	}
	if (mask & STATMOUNT_MNT_BASIC) {
		struct mount *parent = m->parent ? m->parent : m; /* a root is its own */

		sm->mask |= STATMOUNT_MNT_BASIC;
		sm->mnt_id = m->unique_id;
		sm->mnt_parent_id = parent->unique_id;
		sm->mnt_id_old = (uint32_t)m->id;
		sm->mnt_parent_id_old = (uint32_t)parent->id;
		sm->mnt_attr = mnt_attr_of(m);
		/* Propagation is private only (mount.h). */
		sm->mnt_propagation = (m->flags & MNT_UNBINDABLE) ? MS_UNBINDABLE : MS_PRIVATE;
	}
	if (mask & STATMOUNT_PROPAGATE_FROM)
		sm->mask |= STATMOUNT_PROPAGATE_FROM; /* no slaves: 0 */
}

int vfs_statmount(struct task *t, const struct abi_mnt_id_req *req, size_t bufsize,
		  struct abi_statmount *sm, char *str, size_t cap, size_t *str_len)
{
	struct mnt_ns *ns = request_ns(t, req);
	struct sm_out o = {sm, str, 0, cap, bufsize};
	uint64_t mask = req->param;
	struct path root;
	struct mount *m;
	int ret = 0;

	memset(sm, 0, sizeof(*sm));
	*str_len = 0;
	if (!ns)
		return -ENOENT;
	m = lookup_in_ns(ns, req->mnt_id);
	if (!m)
		return -ENOENT;
	root = request_root(t, ns);
	if (!mnt_path_reachable(&(struct path){m, m->root}, &root) &&
	    !caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	sm_basic(sm, m, mask);
	if (mask & STATMOUNT_FS_TYPE)
		ret = sm_string(&o, STATMOUNT_FS_TYPE, &sm->fs_type, m->sb->type,
				strlen(m->sb->type));
	if (ret == 0)
		ret = sm_paths(&o, m, &root, mask);
	if (ret == 0)
		ret = sm_opts(&o, m, mask);
	if (ret == 0 && (mask & STATMOUNT_SB_SOURCE))
		ret = sm_string(&o, STATMOUNT_SB_SOURCE, &sm->sb_source, mnt_source(m),
				strlen(mnt_source(m)));
	if (ret == 0 && (mask & STATMOUNT_MNT_NS_ID)) {
		sm->mask |= STATMOUNT_MNT_NS_ID;
		sm->mnt_ns_id = mnt_ns_id(ns);
	}
	if (ret == 0 && (mask & STATMOUNT_SUPPORTED_MASK)) {
		sm->mask |= STATMOUNT_SUPPORTED_MASK;
		sm->supported_mask = STATMOUNT_SUPPORTED;
	}
	*str_len = o.len;
	return ret;
}

static int by_unique_id(const void *a, const void *b)
{
	uint64_t x = (*(struct mount *const *)a)->unique_id;
	uint64_t y = (*(struct mount *const *)b)->unique_id;

	return x < y ? -1 : x > y;
}

/* ns's mounts in unique-ID order (*n of them; the caller frees the array). */
static struct mount **ns_mounts_by_id(struct mnt_ns *ns, size_t *n)
{
	size_t all;
	struct mount **ms = mnt_snapshot(&all);

	*n = 0;
	for (size_t i = 0; i < all; i++)
		if (ms[i]->ns == ns)
			ms[(*n)++] = ms[i];
	qsort(ms, *n, sizeof(*ms), by_unique_id);
	return ms;
}

/* Linux's do_listmount: the mounts below orig, after last (0: from the start). */
static ssize_t list_below(struct mnt_ns *ns, const struct path *orig, uint64_t parent_id,
			  uint64_t last, uint64_t *ids, size_t nr, bool reverse)
{
	size_t n, got = 0;
	struct mount **ms = ns_mounts_by_id(ns, &n);

	for (size_t k = 0; k < n && got < nr; k++) {
		struct mount *r = ms[reverse ? n - 1 - k : k];

		if (last && (reverse ? r->unique_id >= last : r->unique_id <= last))
			continue;
		if (r->unique_id == parent_id)
			continue;
		if (!mnt_path_reachable(&(struct path){r, r->root}, orig))
			continue;
		ids[got++] = r->unique_id;
	}
	free(ms);
	return (ssize_t)got;
}

ssize_t vfs_listmount(struct task *t, const struct abi_mnt_id_req *req, uint64_t *ids, size_t nr,
		      bool reverse)
{
	struct mnt_ns *ns = request_ns(t, req);
	struct path root, orig;

	if (!ns)
		return -ENOENT;
	root = request_root(t, ns);
	orig = root;
	if (req->mnt_id != LSMT_ROOT) {
		orig.mnt = lookup_in_ns(ns, req->mnt_id);
		if (!orig.mnt)
			return -ENOENT;
		orig.dentry = orig.mnt->root;
	}
	if (!mnt_path_reachable(&orig, &root) && !caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	return list_below(ns, &orig, req->mnt_id, req->param, ids, nr, reverse);
}
