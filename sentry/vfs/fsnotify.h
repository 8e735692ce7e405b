/* fsnotify.h: the VFS's filesystem-event hooks, consumed by inotify (sentry/fs/inotify.c).
 * Every hook returns at once when nobody watches anything. Kernel lock held. */
#ifndef RUNSC_SENTRY_VFS_FSNOTIFY_H
#define RUNSC_SENTRY_VFS_FSNOTIFY_H

#include <stdint.h>

struct dentry;
struct file;
struct vattr;

/* An event on d's own inode and, named by d, on its parent directory (IN_MODIFY,
 * IN_ACCESS, IN_ATTRIB, IN_OPEN, IN_CLOSE_*). IN_ISDIR is added for directories. */
void fsnotify_parent(struct dentry *d, uint32_t mask);
/* A directory event naming child (IN_CREATE, IN_DELETE, IN_MOVED_FROM/TO with cookie). */
void fsnotify_dir(struct dentry *dir, struct dentry *child, const char *name, uint32_t mask,
		  uint32_t cookie);
/* child was unlinked or removed from dir: IN_DELETE on dir, and IN_DELETE_SELF (then
 * IN_IGNORED) on its inode if that was the last link. */
void fsnotify_delete(struct dentry *dir, struct dentry *child);
/* od, once named oldname in odir, is now in ndir (its name already updated). */
void fsnotify_move(struct dentry *odir, const char *oldname, struct dentry *ndir,
		   struct dentry *od);
/* The events a setattr causes (IN_ATTRIB, IN_MODIFY, IN_ACCESS). */
void fsnotify_setattr(struct dentry *d, const struct vattr *va);
/* Open and final close of an open file description with a path. */
void fsnotify_open(struct file *f);
void fsnotify_close(struct file *f);
/* Whether any watch exists (callers may skip work when not). */
int fsnotify_active(void);

#endif
