/* ipc.h: System V IPC (shared memory, semaphores, message queues) and POSIX message
 * queues, per IPC namespace. The syscall handlers live in sentry/ipc/ too; this header
 * is what the rest of the Sentry calls. Kernel lock held throughout. */
#ifndef RUNSC_SENTRY_IPC_IPC_H
#define RUNSC_SENTRY_IPC_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct super_block;
struct task;
struct thread_group;

/* The mqueue filesystem of the (one) IPC namespace, made on first use; vfs_init mounts
 * it at /dev/mqueue. */
struct super_block *mqueue_fs_sb(void);

struct ipc_ns;

/* clone: the child's namespace: a new one (CLONE_NEWIPC) or a reference to the parent's
 * (NULL stands for the sandbox's first namespace). */
struct ipc_ns *ipc_ns_fork(struct ipc_ns *parent, bool new_ns);
/* A task leaves ns (exit, unshare); the last one removes its objects. */
void ipc_ns_put(struct ipc_ns *ns);

/* The IPC sysctls of t's namespace (t NULL: the sandbox's first), by their dotted name
 * ("kernel.msgmax", "kernel.sem", "fs.mqueue.msg_max"). Read: the text /proc/sys shows
 * into buf; returns its length. Write: as a /proc/sys write (Linux's parsing and
 * ranges); returns the bytes consumed or -errno. Both: -ENOENT for another name. */
int ipc_sysctl_read(struct task *t, const char *name, char *buf, size_t size);
ssize_t ipc_sysctl_write(struct task *t, const char *name, const char *buf, size_t size);
bool ipc_sysctl_exists(const char *name);

/* The last thread of tg is gone: apply its SEM_UNDO adjustments and drop them. */
void sem_undo_exit(struct thread_group *tg);

/* /proc/sysvipc/{shm,sem,msg}: the table as Linux prints it, into buf (at most size
 * bytes, NUL-terminated when room). Returns the full length. */
size_t ipc_format_proc_shm(struct task *t, char *buf, size_t size);
size_t ipc_format_proc_sem(struct task *t, char *buf, size_t size);
size_t ipc_format_proc_msg(struct task *t, char *buf, size_t size);

#endif
