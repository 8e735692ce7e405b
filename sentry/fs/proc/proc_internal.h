/* proc_internal.h: procfs internals: every file and directory is a node described by a
 * static entry (struct proc_ent) plus the process, thread or fd it belongs to. Regular
 * files are generated whole when opened (seq-file style), so one open reads one
 * consistent snapshot. Everything runs under the kernel lock. */
#ifndef RUNSC_SENTRY_FS_PROC_PROC_INTERNAL_H
#define RUNSC_SENTRY_FS_PROC_PROC_INTERNAL_H

#include <sched.h>
#include <stdarg.h>

#include "sentry/fs/proc/proc.h"
#include "sentry/vfs/vfs_internal.h"

#define PROC_SUPER_MAGIC 0x9fa0

/* A growing text buffer that generators print into. */
struct proc_buf {
	char *buf;
	size_t len, cap;
};

void pb_printf(struct proc_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pb_write(struct proc_buf *b, const void *data, size_t len);

struct proc_ent;

/* inode->priv of every procfs inode. */
struct proc_node {
	const struct proc_ent *ent;
	int tgid, tid;	   /* the process / thread the node is about; 0 for system nodes */
	int fd;		   /* fd/N and fdinfo/N; -1 otherwise */
	struct file *file; /* anonymous-file stand-ins (fd links to pipes): reference held */
	struct pid_ns *ns; /* the pid namespace this /proc numbers processes in (sb->priv) */
};

struct proc_dir_ops {
	/* Names beyond the static children: 0 with a new inode, or -ENOENT. */
	int (*lookup)(struct super_block *sb, const struct proc_node *dir, const char *name,
		      struct inode **out);
	int (*readdir)(const struct proc_node *dir, vfs_dirent_fn fn, void *arg);
};

/* One kind of file. A table of them ends with a NULL name. */
struct proc_ent {
	const char *name;
	uint32_t mode; /* S_IF* and permission bits */
	/* Regular files: print the content (0 or -errno, e.g. -ESRCH once the task is gone). */
	int (*show)(const struct proc_node *n, struct proc_buf *b);
	/* Writable files: apply one write. Returns bytes consumed or -errno. */
	ssize_t (*write)(const struct proc_node *n, const char *buf, size_t size);
	/* Symlinks: the target text. Returns its length or -errno. */
	ssize_t (*link)(const struct proc_node *n, char *buf, size_t size);
	/* Magic links: the object itself (see inode_ops.get_link). */
	int (*get_link)(struct task *t, const struct path *link, const struct proc_node *n,
			struct path *out);
	const struct proc_ent *children;   /* directories: static entries */
	const struct proc_dir_ops *dops;   /* directories: dynamic entries */
	bool tid_scope;			   /* per-thread entry (lives in task/TID too) */
};

/* A new procfs inode for entry e about (tgid, tid, fd); owner and mode as Linux shows. */
struct inode *proc_inode_new(struct super_block *sb, const struct proc_ent *e, int tgid,
			     int tid, int fd);
/* Emit a directory entry for e under fn. */
int proc_emit(vfs_dirent_fn fn, void *arg, const char *name, const struct proc_ent *e,
	      int tgid, int tid, int fd);
uint64_t proc_ino(const struct proc_ent *e, int tgid, int tid, int fd);

/* read, llseek and release of a file whose f->priv is the struct proc_buf generated at
 * open (procfs's regular files; cgroupfs's control files too). */
ssize_t proc_reg_read(struct task *t, struct file *f, void *buf, size_t size, uint64_t *pos);
int64_t proc_reg_llseek(struct file *f, int64_t off, int whence);
void proc_reg_release(struct file *f);

/* Tables and hooks of the other files. */
extern const struct proc_ent g_proc_root_ent;	/* proc_root.c */
extern const struct proc_ent g_proc_tgid_ent;	/* proc_pid.c: /proc/PID */
extern const struct proc_ent g_proc_tid_ent;	/* proc_pid.c: /proc/PID/task/TID */
extern const struct proc_ent g_proc_fd_ent;	/* proc_fd.c: fd/ */
extern const struct proc_ent g_proc_fdinfo_ent;	/* proc_fd.c: fdinfo/ */
extern const struct proc_ent g_proc_task_ent;	/* proc_fd.c: task/ */
extern const struct proc_ent g_proc_sys_ents[];	/* proc_sys.c: system-wide files */
extern const struct proc_ent g_proc_sysctl_ent;	/* proc_sys.c: /proc/sys */

/* The node of an inode of a procfs dentry. */
static inline const struct proc_node *proc_node_of(const struct dentry *d)
{
	return d->inode->priv;
}

/* A path's name as the viewer (t_current) sees it, into buf. */
ssize_t proc_path_name(const struct path *p, char *buf, size_t size);
/* The text of a fd link for f ("/path", "pipe:[N]", "anon_inode:..."). */
ssize_t proc_file_name(struct file *f, char *buf, size_t size);
/* /proc/mounts and /proc/PID/mountinfo bodies (proc_sys.c). */
int proc_show_mounts(const struct proc_node *n, struct proc_buf *b);
int proc_show_mountinfo(const struct proc_node *n, struct proc_buf *b);
/* The CPUs the sandbox offers (sched_getaffinity at boot): a mask, and "0-N" text. */
unsigned proc_cpu_mask(void);
void proc_print_cpu_list(struct proc_buf *b);
/* A set of numbers in Linux's list form ("0-3,8"), no newline. */
void proc_print_set(struct proc_buf *b, const cpu_set_t *s);
int proc_nr_cpus(void);
/* The host's number of the sandbox's CPU i (CPUs are renumbered from 0), or -1. */
int proc_host_cpu(int i);
/* Boot time, CLOCK_MONOTONIC ns, for stat's start times and uptime. */
uint64_t proc_boot_ns(void);

#endif
