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
	bool anon;	    /* a detached tree's (fsmount, open_tree): no task is in it */
	uint64_t id;	    /* statmount's mnt_ns_id, given when first asked (statmount.c) */
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

/* What mount_ops.c shares with the new mount API (mount_api.c, mount_tree_api.c): a new
 * instance of a type mount(2) supports (-ENODEV for others), the common superblock words
 * taken out of data (caller frees), the writers check of a read-only change, and the
 * MS_REC copy of src's mounts below root under copy (in copy's namespace). */
int mnt_new_sb(struct task *t, const char *type, const char *data, struct super_block **out);
char *mnt_strip_sb_words(const char *data, bool *rdonly);
bool mnt_has_writers(const struct mount *m, bool sb_wide);
void mnt_copy_children(struct mount *src, struct dentry *root, struct mount *copy);

/* The new mount API (mount_tree_api.c). A detached tree (fsmount, open_tree's clone) is
 * an anonymous namespace of its own; its fd's last close unmounts it (mnt_dissolve)
 * unless move_mount attached it. */
struct mnt_ns *mnt_ns_new_anon(struct mount *root);
void mnt_dissolve(struct mount *m);
/* An O_PATH file of m's root that frees m's detached tree on its last close. */
struct file *mnt_detached_file(struct mount *m);
/* move_mount(2), open_tree(2), mount_setattr(2) after the strings are copied in (a NULL
 * path: ""); attr is struct mount_attr's first 32 bytes. */
int vfs_move_mount(struct task *t, int from_dfd, const char *from, int to_dfd, const char *to,
		   unsigned flags);
int vfs_open_tree(struct task *t, int dfd, const char *path, unsigned flags, struct file **out);
struct mount_attr;
int vfs_mount_setattr(struct task *t, int dfd, const char *path, unsigned flags,
		      const struct mount_attr *attr);
/* open_tree_attr(2)'s part: mount_setattr on the mount of open_tree's file f. */
int vfs_file_setattr(struct task *t, struct file *f, bool recursive,
		     const struct mount_attr *attr);
/* move_mount's and MS_MOVE's move of old (a mount's root: attached in t's namespace, or
 * a detached tree's top) to to; beneath: under the mount whose root to is. */
int mnt_move(struct task *t, struct path *old, struct path *to, bool beneath);
/* fsopen(2), fsconfig(2), fsmount(2), fspick(2) (mount_api.c). key and value are copied
 * in (NULL when not given); fsconfig's fd checks come first, then the context's. */
int vfs_fsopen(struct task *t, const char *type, unsigned flags, struct file **out);
bool file_is_fs_context(const struct file *f);
int vfs_fsconfig(struct task *t, struct file *f, unsigned cmd, const char *key,
		 const char *value);
int vfs_fsmount(struct task *t, struct file *f, unsigned flags, unsigned attr,
		struct file **out);
int vfs_fspick(struct task *t, int dfd, const char *path, unsigned flags, struct file **out);
/* MOUNT_ATTR_* bits to MNT_* (the ones kept; NODIRATIME, NOSYMFOLLOW: none). */
int mnt_attr_to_flags(uint64_t attr);

/* The source /proc/mounts shows: mount(2)'s, else "none" or the type's name. */
const char *mnt_source(const struct mount *m);
/* Whether p is at or below from through the mount tree (Linux's is_path_reachable). */
bool mnt_path_reachable(const struct path *p, const struct path *from);

/* statmount(2) and listmount(2) (statmount.c) after the request is copied and checked:
 * sm and its strings (at most cap bytes into str, *str_len used) for a caller's buffer
 * of bufsize bytes; the unique IDs below the request's mount into ids. */
struct abi_mnt_id_req;
struct abi_statmount;
uint64_t mnt_ns_id(struct mnt_ns *ns);
struct mnt_ns *mnt_ns_by_id(uint64_t id);
int vfs_statmount(struct task *t, const struct abi_mnt_id_req *req, size_t bufsize,
		  struct abi_statmount *sm, char *str, size_t cap, size_t *str_len);
ssize_t vfs_listmount(struct task *t, const struct abi_mnt_id_req *req, uint64_t *ids,
		      size_t nr, bool reverse);

/* tmpfs options (sentry/fs/tmpfs/tmpfs_opts.c): a new instance from mount(2)'s data
 * (size=, nr_inodes=, mode=, uid=, gid=; the root is owned by uid:gid unless they say
 * otherwise): -EINVAL for a bad or unknown option. */
int tmpfs_new_with_options(const char *data, uid_t uid, gid_t gid, struct super_block **out);
/* Whether key=value (value NULL: a flag) is a tmpfs option tmpfs_new_with_options takes. */
int tmpfs_check_option(const char *key, const char *value);
/* A remount's data: size= and nr_inodes= change (EINVAL below what is in use, or to
 * limit an unlimited instance), mode/uid/gid are ignored as Linux does. */
int tmpfs_remount(struct super_block *sb, const char *data);
/* ",size=...k,nr_inodes=...,mode=..." as Linux's /proc/mounts shows the non-defaults. */
void tmpfs_show_options(struct super_block *sb, char *buf, size_t size);

#endif
