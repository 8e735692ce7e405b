/* client.h: the Sentry's 9P2000.L client (one connection per gofer mount).
 *
 * Any number of threads may call at once: each call takes a free tag and blocks until its
 * own reply while other calls are in flight on the same connection (the Sentry lets its
 * kernel lock go around the calls that allow it, sentry/fs/gofer). Every function returns
 * 0 (or a byte count) or a negative Linux errno: the server's Rlerror errno, -EIO for a
 * malformed or unexpected reply (logged), -EPIPE when the connection is gone. A bad reply
 * never crashes the client.
 */
#ifndef RUNSC_GOFER_P9_CLIENT_H
#define RUNSC_GOFER_P9_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gofer/p9/p9.h"

struct p9_client;

/* Negotiate 9P2000.L with msize (Tversion). Takes ownership of fd. */
int p9c_connect(int fd, uint32_t msize, struct p9_client **out);
void p9c_close(struct p9_client *c);
/* End the connection but keep c: every call from now on fails with -EPIPE; the socket is
 * closed as soon as no call is in flight (a connection whose peer went away is too). */
void p9c_shutdown(struct p9_client *c);

/* Fids are allocated by the client; p9c_clunk frees the number again. */
uint32_t p9c_fid_alloc(struct p9_client *c);

int p9c_attach(struct p9_client *c, uint32_t fid, const char *uname, uint32_t n_uname,
	       const char *aname, struct p9_qid *qid);
/* Walk nwname names from fid to newfid (newfid may equal fid). On success *nqid = number
 * of qids returned (== nwname on full success; fewer means the walk stopped: then
 * newfid is NOT established and the function returns -ENOENT). nwname <= P9_MAXWELEM. */
int p9c_walk(struct p9_client *c, uint32_t fid, uint32_t newfid, uint16_t nwname,
	     const char *const *names, struct p9_qid *qids, uint16_t *nqid);
int p9c_getattr(struct p9_client *c, uint32_t fid, uint64_t mask, struct p9_attr *attr);
/* Twalkgetattr: walk every name (1..P9_MAXWELEM) from fid and get the attributes of the
 * file reached, and (dirattr, if not NULL) of fid's file, in one round trip. newfid (not
 * fid) becomes that file's fid, or with P9_NOFID no fid is made (a stat by name). Returns
 * 0, or the errno of the step or getattr that failed (newfid then not established).
 * Symlinks are never followed. */
int p9c_walkgetattr(struct p9_client *c, uint32_t fid, uint32_t newfid, uint16_t nwname,
		    const char *const *names, struct p9_attr *attr, struct p9_attr *dirattr);
/* Open fid (flags: Linux O_* bits). If the server donated a host fd for the file, it is
 * returned in *hostfd (else -1); the caller owns it. */
int p9c_lopen(struct p9_client *c, uint32_t fid, uint32_t flags, struct p9_qid *qid,
	      uint32_t *iounit, int *hostfd);
ssize_t p9c_read(struct p9_client *c, uint32_t fid, uint64_t off, void *buf, uint32_t size);
ssize_t p9c_write(struct p9_client *c, uint32_t fid, uint64_t off, const void *buf,
		  uint32_t size);
/* Read directory entries starting at cookie off; calls fn for each, stops early if fn
 * returns non-zero. Returns the number of entries seen (0 = end) or -errno. */
typedef int (*p9_dirent_fn)(void *arg, const struct p9_dirent *ent);
ssize_t p9c_readdir(struct p9_client *c, uint32_t fid, uint64_t off, uint32_t size,
		    p9_dirent_fn fn, void *arg);
ssize_t p9c_readlink(struct p9_client *c, uint32_t fid, char *buf, size_t size);
int p9c_statfs(struct p9_client *c, uint32_t fid, struct p9_statfs *st);
int p9c_clunk(struct p9_client *c, uint32_t fid);

/* Write side (the gofer may refuse with EROFS when serving read-only). */
int p9c_lcreate(struct p9_client *c, uint32_t fid, const char *name, uint32_t flags,
		uint32_t mode, uint32_t gid, struct p9_qid *qid, uint32_t *iounit, int *hostfd);
int p9c_mkdir(struct p9_client *c, uint32_t dfid, const char *name, uint32_t mode,
	      uint32_t gid, struct p9_qid *qid);
/* Tmknod of a FIFO or socket (mode carries the type); devices are refused by the Gofer. */
int p9c_mknod(struct p9_client *c, uint32_t dfid, const char *name, uint32_t mode,
	      uint32_t gid, struct p9_qid *qid);
int p9c_symlink(struct p9_client *c, uint32_t dfid, const char *name, const char *target,
		uint32_t gid, struct p9_qid *qid);
int p9c_unlinkat(struct p9_client *c, uint32_t dfid, const char *name, uint32_t flags);
int p9c_renameat(struct p9_client *c, uint32_t olddfid, const char *oldname, uint32_t newdfid,
		 const char *newname);
/* A hard link: name in directory dfid for the (non-directory) file of fid. */
int p9c_link(struct p9_client *c, uint32_t dfid, uint32_t fid, const char *name);
int p9c_setattr(struct p9_client *c, uint32_t fid, const struct p9_setattr *sa);
int p9c_fsync(struct p9_client *c, uint32_t fid);

/* Byte range locks on open fid's file, owned by that open fid (client_lock.c). Tlock sets
 * or clears *lock; *status is P9_LOCK_SUCCESS, or P9_LOCK_BLOCKED when another owner's
 * lock conflicts (the gofer never waits: a P9_LOCK_FLAGS_BLOCK caller retries). Tgetlock
 * replaces *lock by the first conflicting lock, or sets its type to P9_LOCK_TYPE_UNLCK. */
int p9c_lock(struct p9_client *c, uint32_t fid, uint32_t flags, const struct p9_lock *lock,
	     uint8_t *status);
int p9c_getlock(struct p9_client *c, uint32_t fid, struct p9_lock *lock);
/* Trename: move fid's file into directory dfid as name; fid stays the file's. */
int p9c_rename(struct p9_client *c, uint32_t fid, uint32_t dfid, const char *name);

/* Extended attributes (client_xattr.c; the gofer serves user.* alone: others EOPNOTSUPP).
 * Txattrwalk: newfid reads name's value, or with name NULL or "" the list of names, of
 * size *size (read it with p9c_read, then p9c_clunk it; on error newfid is not made). */
int p9c_xattrwalk(struct p9_client *c, uint32_t fid, uint32_t newfid, const char *name,
		  uint64_t *size);
/* Txattrcreate: fid (walked, not open) becomes a fid that p9c_write fills with size bytes
 * from offset 0 on; its p9c_clunk sets name (P9_XATTR_* flags) and answers with the
 * result. Size 0 removes name unless flags hold P9_XATTR_EMPTY. */
int p9c_xattrcreate(struct p9_client *c, uint32_t fid, const char *name, uint64_t size,
		    uint32_t flags);
/* Whole operations on fid's file as the syscalls answer them (fid itself is kept):
 * getxattr's value into buf[size] (size 0: its length only; too small: -ERANGE; none:
 * -ENODATA), listxattr's NUL-terminated names, setxattr (flags XATTR_CREATE/REPLACE)
 * and removexattr (-ENODATA when there is none). */
ssize_t p9c_getxattr(struct p9_client *c, uint32_t fid, const char *name, void *buf,
		     size_t size);
ssize_t p9c_listxattr(struct p9_client *c, uint32_t fid, char *buf, size_t size);
int p9c_setxattr(struct p9_client *c, uint32_t fid, const char *name, const void *value,
		 size_t size, int flags);
int p9c_removexattr(struct p9_client *c, uint32_t fid, const char *name);

#endif
