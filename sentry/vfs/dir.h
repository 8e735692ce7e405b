/* dir.h: directory file operations shared by every filesystem: a snapshot of the entries
 * taken when reading starts (or after a rewind) and getdents64 over it. */
#ifndef RUNSC_SENTRY_VFS_DIR_H
#define RUNSC_SENTRY_VFS_DIR_H

#include "sentry/vfs/vfs_internal.h"

/* Directory files: read is EISDIR, lseek SEEK_SET/SEEK_CUR on the entry index. */
extern const struct file_ops g_dir_fops;

void dirsnap_free(struct dirsnap *ds);

#endif
