/* p9.h: 9P2000.L protocol types, constants and the wire codec shared by the Gofer server
 * and the Sentry's client. Protocol only: no I/O, no host files.
 *
 * The codec decodes untrusted bytes: every p9_get_* checks bounds and returns -EPROTO
 * (never reads past the buffer) on short or malformed input.
 */
#ifndef RUNSC_GOFER_P9_P9_H
#define RUNSC_GOFER_P9_P9_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define P9_VERSION_L "9P2000.L"
#define P9_NOTAG 0xffff
#define P9_NOFID 0xffffffffu
#define P9_MAXWELEM 16
#define P9_HDR_SIZE 7 /* size[4] type[1] tag[2] */
#define P9_DEFAULT_MSIZE (128 * 1024 + 64)

enum p9_msg_type {
	P9_TLERROR = 6, P9_RLERROR,
	P9_TSTATFS = 8, P9_RSTATFS,
	P9_TLOPEN = 12, P9_RLOPEN,
	P9_TLCREATE = 14, P9_RLCREATE,
	P9_TSYMLINK = 16, P9_RSYMLINK,
	P9_TMKNOD = 18, P9_RMKNOD,
	P9_TRENAME = 20, P9_RRENAME,
	P9_TREADLINK = 22, P9_RREADLINK,
	P9_TGETATTR = 24, P9_RGETATTR,
	P9_TSETATTR = 26, P9_RSETATTR,
	P9_TXATTRWALK = 30, P9_RXATTRWALK,
	P9_TXATTRCREATE = 32, P9_RXATTRCREATE,
	P9_TREADDIR = 40, P9_RREADDIR,
	P9_TFSYNC = 50, P9_RFSYNC,
	P9_TLOCK = 52, P9_RLOCK,
	P9_TGETLOCK = 54, P9_RGETLOCK,
	P9_TLINK = 70, P9_RLINK,
	P9_TMKDIR = 72, P9_RMKDIR,
	P9_TRENAMEAT = 74, P9_RRENAMEAT,
	P9_TUNLINKAT = 76, P9_RUNLINKAT,
	P9_TVERSION = 100, P9_RVERSION,
	P9_TAUTH = 102, P9_RAUTH,
	P9_TATTACH = 104, P9_RATTACH,
	P9_TERROR = 106, P9_RERROR,
	P9_TFLUSH = 108, P9_RFLUSH,
	P9_TWALK = 110, P9_RWALK,
	P9_TOPEN = 112, P9_ROPEN,
	P9_TCREATE = 114, P9_RCREATE,
	P9_TREAD = 116, P9_RREAD,
	P9_TWRITE = 118, P9_RWRITE,
	P9_TCLUNK = 120, P9_RCLUNK,
	P9_TREMOVE = 122, P9_RREMOVE,
	P9_TSTAT = 124, P9_RSTAT,
	P9_TWSTAT = 126, P9_RWSTAT,
	/* Our extension (the number gVisor's p9 used for the same idea): Twalk's request, and
	 * a reply with the attributes of the file reached; see codec.h. */
	P9_TWALKGETATTR = 128, P9_RWALKGETATTR,
	/* Ours too: an xattr get or set in one round trip, where 9P2000.L takes three
	 * (Txattrwalk, Tread, Tclunk) or four (Twalk, Txattrcreate, Twrite, Tclunk). */
	P9_TXATTRGET = 130, P9_RXATTRGET,
	P9_TXATTRSET = 132, P9_RXATTRSET,
};

/* qid.type bits */
#define P9_QTDIR 0x80
#define P9_QTSYMLINK 0x02
#define P9_QTFILE 0x00

/* Tgetattr request mask bits */
#define P9_GETATTR_MODE 0x00000001ULL
#define P9_GETATTR_NLINK 0x00000002ULL
#define P9_GETATTR_UID 0x00000004ULL
#define P9_GETATTR_GID 0x00000008ULL
#define P9_GETATTR_RDEV 0x00000010ULL
#define P9_GETATTR_ATIME 0x00000020ULL
#define P9_GETATTR_MTIME 0x00000040ULL
#define P9_GETATTR_CTIME 0x00000080ULL
#define P9_GETATTR_INO 0x00000100ULL
#define P9_GETATTR_SIZE 0x00000200ULL
#define P9_GETATTR_BLOCKS 0x00000400ULL
#define P9_GETATTR_BTIME 0x00000800ULL
#define P9_GETATTR_GEN 0x00001000ULL
#define P9_GETATTR_DATA_VERSION 0x00002000ULL
#define P9_GETATTR_BASIC 0x000007ffULL
#define P9_GETATTR_ALL 0x00003fffULL

/* Tsetattr valid bits */
#define P9_SETATTR_MODE 0x00000001U
#define P9_SETATTR_UID 0x00000002U
#define P9_SETATTR_GID 0x00000004U
#define P9_SETATTR_SIZE 0x00000008U
#define P9_SETATTR_ATIME 0x00000010U
#define P9_SETATTR_MTIME 0x00000020U
#define P9_SETATTR_CTIME 0x00000040U
#define P9_SETATTR_ATIME_SET 0x00000080U
#define P9_SETATTR_MTIME_SET 0x00000100U

/* Txattrcreate flags: Linux's setxattr flags (XATTR_CREATE, XATTR_REPLACE), and one bit
 * of ours. An attr_size of 0 removes the attribute (the Linux v9fs client's convention),
 * unless P9_XATTR_EMPTY asks for an attribute with an empty value instead. */
#define P9_XATTR_CREATE 0x1u
#define P9_XATTR_REPLACE 0x2u
#define P9_XATTR_EMPTY 0x80000000u /* our extension: set "", do not remove */
#define P9_XATTR_SIZE_MAX 65536u   /* a value, as Linux XATTR_SIZE_MAX */
#define P9_XATTR_LIST_MAX 65536u   /* a list of names, as Linux XATTR_LIST_MAX */

/* Tlock and Tgetlock (the values of the Linux v9fs client): a lock type, Tlock's flags
 * (BLOCK: the caller will wait, so a conflict answers BLOCKED and it retries; the server
 * itself never waits), and Rlock's status. */
#define P9_LOCK_TYPE_RDLCK 0
#define P9_LOCK_TYPE_WRLCK 1
#define P9_LOCK_TYPE_UNLCK 2
#define P9_LOCK_FLAGS_BLOCK 0x1u
#define P9_LOCK_FLAGS_RECLAIM 0x2u
#define P9_LOCK_SUCCESS 0
#define P9_LOCK_BLOCKED 1
#define P9_LOCK_ERROR 2
#define P9_LOCK_GRACE 3

/* A byte range lock as Tlock/Tgetlock carry it: length 0 runs to the end of the file. */
struct p9_lock {
	uint8_t type; /* P9_LOCK_TYPE_* */
	uint64_t start, length;
	uint32_t proc_id;
};

struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

struct p9_attr {
	uint64_t valid;
	struct p9_qid qid;
	uint32_t mode, uid, gid;
	uint64_t nlink, rdev, size, blksize, blocks;
	uint64_t atime_sec, atime_nsec, mtime_sec, mtime_nsec, ctime_sec, ctime_nsec;
	uint64_t btime_sec, btime_nsec, gen, data_version;
};

struct p9_setattr {
	uint32_t valid, mode, uid, gid;
	uint64_t size, atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

struct p9_statfs {
	uint32_t type, bsize;
	uint64_t blocks, bfree, bavail, files, ffree, fsid;
	uint32_t namelen;
};

struct p9_dirent {
	struct p9_qid qid;
	uint64_t offset; /* cookie of the next entry */
	uint8_t type;	 /* DT_* */
	uint16_t name_len;
	const char *name; /* NOT NUL-terminated; points into the message buffer */
};

/* The codec (gofer/p9/p9.c) is declared below this line by its owner. */
#include "gofer/p9/codec.h"

#endif
