/* mqueue.h: POSIX message queues shared by the queue logic (mqueue.c) and the mqueue
 * filesystem (mqueue_fs.c). A queue is the private data of an inode of the mqueue
 * filesystem; its descriptors are open files of that inode. Kernel lock held. */
#ifndef RUNSC_SENTRY_IPC_MQUEUE_H
#define RUNSC_SENTRY_IPC_MQUEUE_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/list.h"
#include "sentry/abi/ipc.h"
#include "sentry/kernel/sched.h"

struct file;
struct ipc_ns;
struct task;
struct inode;

#define MQ_PRIO_MAX_ 32768
/* The other limits are the IPC namespace's fs.mqueue.* sysctls (struct ipc_ns). */
#define MQ_HARD_MAXMSG 65536	    /* with CAP_SYS_RESOURCE; fs.mqueue.msg_max's top */
#define MQ_HARD_MSGSIZE (16 << 20)  /* and fs.mqueue.msgsize_max's */
#define MQ_MIN_MSGSIZE 128	    /* fs.mqueue.msgsize_max's bottom */

struct mqueue {
	struct abi_mq_attr attr; /* mq_maxmsg, mq_msgsize, mq_curmsgs (mq_flags per file) */
	uint64_t qsize;		 /* bytes of the queued messages (QSIZE) */
	struct list_head msgs;	 /* highest priority first, arrival order within one */
	struct waitq wq;	 /* senders, receivers and pollers */
	int receivers;		 /* blocked in mq_timedreceive */
	/* mq_notify registration: owner is a process id, 0 for none. */
	int notify_owner;
	int notify_kind;	 /* SIGEV_NONE or SIGEV_SIGNAL */
	int notify_signo;
	union sigval notify_value;
	/* RLIMIT_MSGQUEUE: what this queue charges to its creator. */
	uid_t charged_uid;
	uint64_t charged;
	struct ipc_ns *ns;	 /* counts it in mq_queues (and outlives it) */
};

/* Check attr (NULL: the defaults) as Linux's mqueue_get_inode does and charge the
 * queue's worst-case size to t's user under RLIMIT_MSGQUEUE. On success *q is a new
 * empty queue. -EINVAL, -EOVERFLOW, -EMFILE, -ENOSPC. */
int mqueue_new(struct task *t, const struct abi_mq_attr *attr, struct mqueue **out);
void mqueue_free(struct mqueue *q);
/* The queue behind an open file, or NULL if f is not a message queue descriptor. */
struct mqueue *mqueue_of_file(struct file *f);
/* A descriptor of the queue is closed by t's process: its notification goes too. */
void mqueue_file_release(struct task *t, struct mqueue *q);
/* What reading the queue's file shows (QSIZE:...); returns the length. */
int mqueue_describe(struct mqueue *q, char *buf, size_t size);
/* Ready events of the queue (POLLIN/POLLOUT...). */
unsigned mqueue_poll_events(struct mqueue *q);

/* mqueue_fs.c: open or create the queue name (no '/') of t's IPC namespace as
 * mq_open does; *out is the open file. */
int mqueue_fs_open(struct task *t, const char *name, int oflag, uint32_t mode,
		   const struct abi_mq_attr *attr, struct file **out);
int mqueue_fs_unlink(struct task *t, const char *name);

#endif
