/* ipc_internal.h: what the System V IPC kinds share: the id table (ids as Linux makes
 * them, seq * 32768 + index), permissions, and ipcget's key lookup. Kernel lock held. */
#ifndef RUNSC_SENTRY_IPC_INTERNAL_H
#define RUNSC_SENTRY_IPC_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "sentry/abi/ipc.h"

struct mount;
#include "sentry/ipc/ipc.h"

#define IPC_SEQ_MULT 32768 /* IPCMNI: ids are seq * IPC_SEQ_MULT + index */
#define IPC_SEQ_MAX 65535  /* the seq field of ipc64_perm is 16 bits */

/* The head of every IPC object (Linux's kern_ipc_perm). */
struct ipc_obj {
	int id;
	int32_t key;	  /* IPC_PRIVATE once removed but still alive (shm) */
	uid_t uid, cuid;
	gid_t gid, cgid;
	unsigned mode;	  /* 0777 bits, plus SHM_DEST/SHM_LOCKED for shm */
	uint16_t seq;
	bool deleted;	  /* gone from the table: blocked callers see EIDRM */
};

/* A table of one kind of object. */
struct ipc_ids {
	struct ipc_obj **slots; /* by index; NULL = free */
	int nslots;
	int in_use;
	int limit;		/* SHMMNI, SEMMNI, MSGMNI */
	uint16_t seq;		/* given to the next object */
};

enum { IPC_KIND_SHM, IPC_KIND_SEM, IPC_KIND_MSG, IPC_NKINDS };

/* An IPC namespace: the sandbox's first (for tasks whose ipc_ns is NULL) or one made by
 * clone/unshare(CLONE_NEWIPC). */
struct ipc_ns {
	int tasks;		/* tasks in it; at 0 its objects are removed */
	struct mount *mq_mnt;	/* its mqueue filesystem (internal mount), made on first use */
	struct ipc_ids ids[IPC_NKINDS];
	uint64_t shm_tot;	/* pages of all segments */
	int used_sems;		/* semaphores of all sets */
	int msg_hdrs;		/* messages queued in all queues */
	uint64_t msg_bytes;	/* bytes queued in all queues */
	int mq_queues;		/* live POSIX message queues (a removed namespace waits for 0) */
	/* Its sysctls (ipc_sysctl.c): kernel.shmmax, shmall (pages), msgmax, msgmnb,
	 * sem (semmsl, semmns, semopm, semmni) and fs.mqueue.*; kernel.shmmni, msgmni and
	 * semmni are also the ids[].limit of their kind. A new namespace starts from
	 * IPC_NS_DEFAULTS, as Linux's do. */
	uint64_t shm_ctlmax, shm_ctlall;
	int msg_ctlmax, msg_ctlmnb;
	int sem_ctls[4];
	int mq_queues_max, mq_msg_max, mq_msgsize_max, mq_msg_default, mq_msgsize_default;
};

/* Linux's defaults (include/uapi/linux/{shm,msg,sem}.h, ipc/mqueue.c). */
#define IPC_SHMMAX_DFL (~0ULL - (1ULL << 24))
#define IPC_SHMALL_DFL (~0ULL - (1ULL << 24))
#define IPC_SHMMNI_DFL 4096
#define IPC_MSGMAX_DFL 8192
#define IPC_MSGMNB_DFL 16384
#define IPC_MSGMNI_DFL 32000
#define IPC_SEMMSL_DFL 32000
#define IPC_SEMMNS_DFL 1024000000
#define IPC_SEMOPM_DFL 500
#define IPC_SEMMNI_DFL 32000
#define IPC_NS_DEFAULTS                                                                    \
	.ids = {[IPC_KIND_SHM] = {.limit = IPC_SHMMNI_DFL},                                \
		[IPC_KIND_SEM] = {.limit = IPC_SEMMNI_DFL},                                \
		[IPC_KIND_MSG] = {.limit = IPC_MSGMNI_DFL}},                               \
	.shm_ctlmax = IPC_SHMMAX_DFL, .shm_ctlall = IPC_SHMALL_DFL,                        \
	.msg_ctlmax = IPC_MSGMAX_DFL, .msg_ctlmnb = IPC_MSGMNB_DFL,                        \
	.sem_ctls = {IPC_SEMMSL_DFL, IPC_SEMMNS_DFL, IPC_SEMOPM_DFL, IPC_SEMMNI_DFL},      \
	.mq_queues_max = 256, .mq_msg_max = 10, .mq_msgsize_max = 8192,                    \
	.mq_msg_default = 10, .mq_msgsize_default = 8192

struct ipc_ns *ipc_ns_of(struct task *t);
/* Free ns once no task is in it and no removed segment is still attached. */
void ipc_ns_maybe_free(struct ipc_ns *ns);
/* Remove every object of a namespace its last task left (ipc.c calls the kinds). */
void shm_ns_exit(struct ipc_ns *ns);
void sem_ns_exit(struct ipc_ns *ns);
void msg_ns_exit(struct ipc_ns *ns);
void mqueue_ns_exit(struct ipc_ns *ns);

/* What ipc_get needs from a kind: create a new object (returning its id or -errno) and
 * Linux's extra check on an existing one (shm size, sem count; may be NULL). */
struct ipc_get_ops {
	int (*create)(struct task *t, struct ipc_ns *ns, int32_t key, int flg, long arg);
	int (*more_checks)(struct ipc_obj *o, long arg);
};
/* shmget/semget/msgget: IPC_PRIVATE, IPC_CREAT, IPC_EXCL, ENOENT/EEXIST/EACCES. */
int ipc_get(struct task *t, struct ipc_ns *ns, int kind, int32_t key, int flg,
	    const struct ipc_get_ops *ops, long arg);

/* Give o an index, id and the caller's credentials (mode from flg & 0777). Returns 0 or
 * -ENOSPC when the table is full. */
int ipc_add(struct task *t, struct ipc_ids *ids, struct ipc_obj *o, int32_t key, int flg);
/* Take o out of the table and mark it deleted (the kind frees it). */
void ipc_remove(struct ipc_ids *ids, struct ipc_obj *o);
/* The live object with this id (index and seq), or NULL. */
struct ipc_obj *ipc_lookup(struct ipc_ids *ids, int id);
/* The object at index idx (for *_STAT), or NULL. */
struct ipc_obj *ipc_lookup_index(struct ipc_ids *ids, int idx);
/* The highest index in use, or 0 (what the *_INFO commands return). */
int ipc_max_idx(const struct ipc_ids *ids);

/* Linux's ipcperms: flag holds S_IRUGO/S_IWUGO-style bits; 0 or -EACCES (CAP_IPC_OWNER
 * overrides). */
int ipc_perms(struct task *t, const struct ipc_obj *o, int flag);
/* IPC_SET and IPC_RMID: the caller is the owner or creator, or has CAP_SYS_ADMIN. */
int ipc_check_owner(struct task *t, const struct ipc_obj *o);
void ipc_fill_perm(const struct ipc_obj *o, struct abi_ipc64_perm *p);
/* IPC_SET: uid, gid and the 0777 bits of mode. */
void ipc_set_perm(struct ipc_obj *o, const struct abi_ipc64_perm *p);

/* CLOCK_REALTIME seconds, for the *_time fields. */
int64_t ipc_now(void);
/* The caller's process id as the sandbox sees it. */
int ipc_tgid(const struct task *t);
/* Parse a relative timeout into an absolute CLOCK_MONOTONIC deadline: 0 or -EINVAL. */
struct timespec;
int ipc_deadline(const struct timespec *rel, struct timespec *deadline);

#endif
