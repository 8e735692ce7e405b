/* ipc.h: the x86-64 ABI of System V IPC and POSIX message queues (the kernel's own
 * layouts: ipc64_perm, shmid64_ds, semid64_ds, msqid64_ds, the *info structs, mq_attr). */
#ifndef RUNSC_SENTRY_ABI_IPC_H
#define RUNSC_SENTRY_ABI_IPC_H

#include <stdint.h>

#define IPC_PRIVATE_KEY 0
#define IPC_CREAT_FLAG 01000
#define IPC_EXCL_FLAG 02000
#define IPC_NOWAIT_FLAG 04000

/* ctl commands common to the three kinds */
#define IPC_RMID_CMD 0
#define IPC_SET_CMD 1
#define IPC_STAT_CMD 2
#define IPC_INFO_CMD 3

struct abi_ipc64_perm {
	int32_t key;
	uint32_t uid, gid, cuid, cgid;
	uint16_t mode;
	uint8_t pad1[2];
	uint16_t seq;
	uint16_t pad2;
	uint64_t unused1, unused2;
};

struct abi_shmid64_ds {
	struct abi_ipc64_perm shm_perm;
	uint64_t shm_segsz;
	int64_t shm_atime, shm_dtime, shm_ctime;
	int32_t shm_cpid, shm_lpid;
	uint64_t shm_nattch;
	uint64_t unused4, unused5;
};

struct abi_shminfo64 {
	uint64_t shmmax, shmmin, shmmni, shmseg, shmall;
	uint64_t unused1, unused2, unused3, unused4;
};

struct abi_shm_info {
	int32_t used_ids;
	uint32_t pad;
	uint64_t shm_tot, shm_rss, shm_swp, swap_attempts, swap_successes;
};

struct abi_semid64_ds {
	struct abi_ipc64_perm sem_perm;
	int64_t sem_otime;
	uint64_t unused1;
	int64_t sem_ctime;
	uint64_t unused2;
	uint64_t sem_nsems;
	uint64_t unused3, unused4;
};

struct abi_seminfo {
	int32_t semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem;
};

struct abi_sembuf {
	uint16_t sem_num;
	int16_t sem_op;
	int16_t sem_flg;
};

struct abi_msqid64_ds {
	struct abi_ipc64_perm msg_perm;
	int64_t msg_stime, msg_rtime, msg_ctime;
	uint64_t msg_cbytes, msg_qnum, msg_qbytes;
	int32_t msg_lspid, msg_lrpid;
	uint64_t unused4, unused5;
};

struct abi_msginfo {
	int32_t msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
	uint16_t msgseg;
};

struct abi_mq_attr {
	int64_t mq_flags, mq_maxmsg, mq_msgsize, mq_curmsgs;
	int64_t reserved[4];
};

#endif
