/* vfs.h: what the rest of the Sentry uses of the VFS: set-up, fd tables, per-task
 * filesystem context, and kernel-side file access for the loader and mm.
 *
 * The VFS owns mounts, dentries, path walk and open file descriptions (struct file);
 * the filesystems under sentry/fs/ implement them. All of it runs under the kernel lock
 * (sentry/kernel/sched.h); code that blocks on the host for long drops it.
 */
#ifndef RUNSC_SENTRY_VFS_VFS_H
#define RUNSC_SENTRY_VFS_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/util.h"

struct task;
struct file;
struct fdtable;
struct fs_context;
struct mount;

/* Sandbox filesystem configuration from the boot spec. */
struct vfs_config {
	int root_gofer_fd;	/* 9P connection to the Gofer serving the root, -1 = none */
	bool root_overlay;	/* tmpfs upper layer over the gofer root (default true);
				 * false: the gofer root read-write (--overlay2=none) */
	bool root_readonly;	/* no writes at all to / (OCI root.readonly) */
	bool tmp_tmpfs;		/* mount a fresh tmpfs at /tmp */
};

/* Build the mount tree: root (gofer, overlaid), /dev, /tmp. Kernel lock held. */
int vfs_init(const struct vfs_config *cfg) __must_check;
/* Another such tree, for a container of a pod (its own mount namespace: nothing in it is
 * reachable from another tree). The sandbox's root stays vfs_init's. */
int vfs_new_tree(const struct vfs_config *cfg, struct mount **root) __must_check;
/* Unmount such a tree whole (its container is deleted): its mounts leave the mount list,
 * and the filesystems mounted nowhere else are released: cached dentries and inodes
 * dropped (their host fds closed, fids clunked, tmpfs memory freed), Gofer connections
 * closed. What open files still hold stays valid until closed (a read then fails with
 * EPIPE or finds the files empty). Kernel lock held. */
void vfs_release_tree(struct mount *root);

/* ---- open files ---- */

void file_get(struct file *f);
void file_put(struct file *f);
/* O_ACCMODE bits and status flags the file was opened with. */
int file_flags(const struct file *f);
/* Read into a Sentry buffer at an offset (loader, mm page-in). Returns bytes or -errno. */
ssize_t file_pread_kernel(struct file *f, void *buf, size_t size, uint64_t off);
/* Whether f lives on a noexec mount (mmap refuses PROT_EXEC with EPERM). */
bool file_on_noexec_mount(const struct file *f);
/* Size in bytes and whether it is a regular file (mmap, exec checks). */
int file_stat_size(struct file *f, uint64_t *size, bool *is_regular);
/* The shared-memory object holding f's data if its filesystem keeps one in the memory
 * file (tmpfs), for MAP_SHARED mappings coherent with read/write; else NULL. No new
 * reference is taken. */
struct shm_obj *file_page_cache(struct file *f);
/* The page cache f has now (none made on demand), or NULL. */
struct shm_obj *file_page_cache_now(struct file *f);
/* What mmap of f maps (struct file_ops.mmap_as). */
enum file_mmap { FILE_MMAP_CONTENTS, FILE_MMAP_ANON, FILE_MMAP_NONE };
enum file_mmap file_mmap_as(const struct file *f);
/* Wrap a host fd (the sandbox's stdio) as a file. Takes ownership of hostfd. Returns NULL
 * (hostfd closed) only if the host fd cannot be queried (fcntl/fstat fail). */
struct file *hostfd_file_new(int hostfd);

/* ---- fd tables (CLONE_FILES shares one) ---- */

struct fdtable *fdtable_new(void);
/* fork: share (CLONE_FILES: same table, refs++) or copy. */
struct fdtable *fdtable_fork(struct fdtable *old, bool share);
void fdtable_put(struct fdtable *ft);
/* Install f at exactly fd (replacing), taking a new reference. Returns fd or -errno. */
int fdtable_install_at(struct fdtable *ft, int fd, struct file *f, bool cloexec);
/* Close every close-on-exec fd (execve). */
void fdtable_close_on_exec(struct fdtable *ft);
/* Look up fd and take a reference, NULL if not open. */
struct file *fdtable_get(struct fdtable *ft, int fd);

/* ---- per-task root, cwd and umask (CLONE_FS shares one) ---- */

struct fs_context *fs_context_new_root(void);
/* Root and cwd at the root of the mount tree root (a pod container's). */
struct fs_context *fs_context_new_at(struct mount *root);
struct fs_context *fs_context_fork(struct fs_context *old, bool share);
void fs_context_put(struct fs_context *fs);
/* unshare(CLONE_FS): fs itself if no one shares it, else a private copy (the caller's
 * reference to fs moves to it). */
struct fs_context *fs_context_unshare(struct fs_context *fs);
/* CLONE_NEWNS: fs (not shared) moves to a copy of its mount namespace. */
void fs_context_unshare_ns(struct fs_context *fs);
/* Set cwd by an absolute path (boot: the spec's cwd). Returns 0 or -errno. */
int fs_context_chdir(struct fs_context *fs, const char *path) __must_check;

/* ---- exec ---- */

/* Open path (relative to t's cwd, following symlinks) for execve: checks search and
 * execute permission and that it is a regular file (EACCES otherwise). */
int vfs_open_exec(struct task *t, const char *path, struct file **out) __must_check;
/* The same relative to dirfd, with execveat's AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW. */
int vfs_open_exec_at(struct task *t, int dirfd, const char *path, int at_flags,
		     struct file **out) __must_check;
/* Whether t may read the file f was opened from (execve's would_dump check). */
bool vfs_exec_readable(struct task *t, struct file *f);

#endif
