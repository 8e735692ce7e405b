/* statmount.h: the ABI of statmount(2) and listmount(2) (Linux 6.8+, fields to 6.18):
 * struct mnt_id_req, struct statmount and their flags, absent from the build host's
 * kernel headers. */
#ifndef RUNSC_SENTRY_ABI_STATMOUNT_H
#define RUNSC_SENTRY_ABI_STATMOUNT_H

#include <stdint.h>

struct abi_mnt_id_req {
	uint32_t size;
	uint32_t spare;
	uint64_t mnt_id;
	uint64_t param;
	uint64_t mnt_ns_id;
};

#define MNT_ID_REQ_SIZE_VER0 24
#define MNT_ID_REQ_SIZE_VER1 32

struct abi_statmount {
	uint32_t size; /* bytes written, strings included */
	uint32_t mnt_opts;
	uint64_t mask;
	uint32_t sb_dev_major, sb_dev_minor;
	uint64_t sb_magic;
	uint32_t sb_flags;
	uint32_t fs_type;
	uint64_t mnt_id, mnt_parent_id;
	uint32_t mnt_id_old, mnt_parent_id_old;
	uint64_t mnt_attr;
	uint64_t mnt_propagation;
	uint64_t mnt_peer_group;
	uint64_t mnt_master;
	uint64_t propagate_from;
	uint32_t mnt_root;
	uint32_t mnt_point;
	uint64_t mnt_ns_id;
	uint32_t fs_subtype;
	uint32_t sb_source;
	uint32_t opt_num;
	uint32_t opt_array;
	uint32_t opt_sec_num;
	uint32_t opt_sec_array;
	uint64_t supported_mask;
	uint32_t mnt_uidmap_num, mnt_uidmap;
	uint32_t mnt_gidmap_num, mnt_gidmap;
	uint64_t spare2[43];
	/* strings follow, at the offsets above from here */
};

#define STATMOUNT_SB_BASIC 0x1
#define STATMOUNT_MNT_BASIC 0x2
#define STATMOUNT_PROPAGATE_FROM 0x4
#define STATMOUNT_MNT_ROOT 0x8
#define STATMOUNT_MNT_POINT 0x10
#define STATMOUNT_FS_TYPE 0x20
#define STATMOUNT_MNT_NS_ID 0x40
#define STATMOUNT_MNT_OPTS 0x80
#define STATMOUNT_FS_SUBTYPE 0x100
#define STATMOUNT_SB_SOURCE 0x200
#define STATMOUNT_OPT_ARRAY 0x400
#define STATMOUNT_OPT_SEC_ARRAY 0x800
#define STATMOUNT_SUPPORTED_MASK 0x1000
#define STATMOUNT_MNT_UIDMAP 0x2000
#define STATMOUNT_MNT_GIDMAP 0x4000

#define LSMT_ROOT 0xffffffffffffffffULL
#define LISTMOUNT_REVERSE 0x1

/* The first unique mount ID is this plus one (Linux's MNT_UNIQUE_ID_OFFSET). */
#define MNT_UNIQUE_ID_OFFSET (1ULL << 31)

#endif
