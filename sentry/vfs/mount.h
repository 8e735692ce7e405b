/* mount.h: mount namespaces (mnt_ns.c) and the mount(2), umount2(2) and pivot_root(2)
 * operations (mount_ops.c, umount.c). Everything runs under the kernel lock.
 *
 * A namespace is the set of mounts whose ns points at it; g_mounts lists every attached
 * mount of every namespace in mount order (parents before children). Propagation is
 * private only: a mount made in one namespace never appears in another.
 *
 * Unmounted ("detached") mounts leave every list but the struct stays, since a struct
 * path names its mount without a reference; what is released is the filesystem, once no
 * mount of it is attached and none is still used (mount.users). */
#ifndef RUNSC_SENTRY_VFS_MOUNT_H
#define RUNSC_SENTRY_VFS_MOUNT_H

#include <stdbool.h>
#include <stdint.h>

#include "sentry/vfs/vfs_internal.h"

struct mnt_ns {
	int refs;	    /* fs_contexts in it, plus one for the boot namespaces */
	uint64_t ino;	    /* /proc/PID/ns/mnt */
	struct mount *root; /* its root mount */
};

/* The namespace of a new root mount: the sandbox's first one, then one per pod tree. */
struct mnt_ns *mnt_ns_for_root(struct mount *root);
struct mnt_ns *mnt_ns_get(struct mnt_ns *ns);
/* The last user gone: every mount of it is unmounted (lazily, as Linux). */
void mnt_ns_put(struct mnt_ns *ns);
/* CLONE_NEWNS: fs (not shared) moves to a copy of its namespace: every mount copied,
 * its root and cwd moved to the copies. */
void mnt_ns_unshare(struct fs_context *fs);
/* The namespace's /proc/PID/ns/mnt number. */
uint64_t mnt_ns_ino(const struct mnt_ns *ns);

/* Count a user of m (an open file, a root or cwd): umount is EBUSY while any remain.
 * m may be NULL. */
void mnt_hold(struct mount *m);
/* Drop it; the last user of an unmounted mount may release its filesystem. */
void mnt_release(struct mount *m);

/* Attach a new mount of sb with root dentry root (a bind: any dentry of sb) at mp in
 * mp's namespace. source is copied (NULL: none). */
struct mount *mnt_attach(struct path *mp, struct super_block *sb, struct dentry *root,
			 int flags, const char *source);
/* Unmount m and every mount below it (MNT_DETACH, or a namespace going away). */
void mnt_detach_tree(struct mount *m);
/* Hang m (unhooked from any parent, or moved) at mp in parent; NULL parent: a root. */
void mnt_set_mountpoint(struct mount *m, struct mount *parent, struct dentry *mp);
/* Put top and the mounts below it at the end of the mount list, parents first (after
 * MS_MOVE and pivot_root changed who is whose parent). */
void mnt_reorder(struct mount *top);
/* Whether any mount of sb is attached, or unmounted and still used: only then may its
 * filesystem be released. */
bool mnt_sb_in_use(const struct super_block *sb);
/* Whether m has a mount attached below it. */
bool mnt_has_children(const struct mount *m);
/* Call fn on each mount of ns in mount order. */
void mnt_ns_for_each(struct mnt_ns *ns, void (*fn)(void *arg, struct mount *m), void *arg);
/* The attached mounts in list order, in an array the caller frees (*n of them). */
struct mount **mnt_snapshot(size_t *n);
/* The list of attached mounts (mount.c), for the namespace code. */
struct list_head *mnt_list(void);

/* p's name as seen from root, with its NUL: -ENOENT if p is not below root. */
ssize_t vfs_path_name_from(const struct path *root, const struct path *p, char *buf,
			   size_t size);
/* The path of m's root inside its filesystem ("/" unless a bind of a subtree). */
void mnt_root_name(const struct mount *m, char *buf, size_t size);

/* statfs f_flags of a path on m: ST_RDONLY, ST_NOSUID... (0 for NULL). */
unsigned long mnt_statfs_flags(const struct mount *m);

/* mount(2) after the strings are copied in: source, type and data may be NULL. */
int vfs_do_mount(struct task *t, const char *source, const char *target, const char *type,
		 unsigned long flags, const char *data);
/* umount2(2). */
int vfs_umount(struct task *t, const char *target, int flags);
/* pivot_root(2). */
int vfs_pivot_root(struct task *t, const char *new_root, const char *put_old);

/* tmpfs options (sentry/fs/tmpfs/tmpfs_opts.c): a new instance from mount(2)'s data
 * (size=, nr_inodes=, mode=, uid=, gid=; the root is owned by uid:gid unless they say
 * otherwise): -EINVAL for a bad or unknown option. */
int tmpfs_new_with_options(const char *data, uid_t uid, gid_t gid, struct super_block **out);
/* A remount's data: size= and nr_inodes= change (EINVAL below what is in use, or to
 * limit an unlimited instance), mode/uid/gid are ignored as Linux does. */
int tmpfs_remount(struct super_block *sb, const char *data);
/* ",size=...k,nr_inodes=...,mode=..." as Linux's /proc/mounts shows the non-defaults. */
void tmpfs_show_options(struct super_block *sb, char *buf, size_t size);

#endif
