/* gofer_internal.h: the gofer server's state (fids, nodes) shared by server.c, fid.c and
 * the ops_*.c message handlers. Not used outside gofer/. */
#ifndef RUNSC_GOFER_GOFER_INTERNAL_H
#define RUNSC_GOFER_GOFER_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "gofer/p9/p9.h"
#include "gofer/server.h"

#define GOFER_FID_BUCKETS 1024
#define GOFER_MAX_FIDS (1u << 20) /* bounds the memory a peer can pin with clone walks */

/* One file of the served tree as reached by a walk. Nodes are shared by fids (refs) and
 * by their children (parent), so ".." goes back the way the walk came and never above the
 * root node (parent == NULL). Workers share nodes: refs is atomic, parent and name change
 * (Trenameat) only under the names lock of fid.c; every other field is fixed. */
struct gofer_node {
	int refs; /* atomic */
	int fd;			   /* O_PATH|O_NOFOLLOW: never follows a symlink */
	struct gofer_node *parent; /* holds a reference; NULL at the served root */
	char *name;		   /* name in parent, kept current across Trenameat */
	mode_t type;		   /* S_IFMT bits at walk time */
	dev_t dev;		   /* identity, checked when a name is reopened */
	ino_t ino;
	bool kernfs; /* root of a proc/sys-like mount: seen (a mount point) but never
		      * entered, opened or changed: it would expose the host kernel */
	bool local;  /* on a local disk or memory filesystem (ext4, xfs, tmpfs...): its
		      * metadata calls finish promptly, unlike FUSE's or NFS's, which may
		      * wait on another process or host for ever */
};

/* An xattr fid's state (ops_xattr.c), fixed from creation but for buf and written, which
 * Twrite changes under lock: the value or list Txattrwalk read (size bytes), or the value
 * of size bytes that Twrite fills in order after Txattrcreate and Tclunk sets. */
struct gofer_xattr {
	bool write;	 /* Txattrcreate's: Tclunk commits it */
	uint32_t flags;	 /* P9_XATTR_* of Txattrcreate */
	uint64_t size;	 /* <= P9_XATTR_SIZE_MAX (a list: <= P9_XATTR_LIST_MAX) */
	uint64_t written; /* bytes Twrite has filled, from 0 on */
	pthread_mutex_t lock;
	char name[P9_NAME_MAX + 1]; /* Linux's XATTR_NAME_MAX is 255 too */
	uint8_t buf[];
};

/* A fid as one request sees it. Requests run concurrently, so a fid is reference counted:
 * the table holds one reference and every request using it one more (fid_get), so a Tclunk
 * racing a Tread never frees what the read uses; the open fd is closed with the last
 * reference. node never changes: a walk onto the same fid and Tlcreate put a new fid
 * object in the table under the same number (fid_replace). open_fd and open_flags are set
 * once, by fid_set_open under the server lock. */
struct gofer_fid {
	int refs; /* atomic */
	uint32_t num;
	struct gofer_node *node; /* one reference */
	int open_fd;		 /* from Tlopen/Tlcreate, else -1; read with fid_open_fd */
	uint32_t open_flags;	 /* O_* it was opened with */
	uint32_t uid;		 /* Tattach n_uname, owner of files created through it */
	pthread_mutex_t dir_lock; /* Treaddir's lseek + getdents64 on open_fd */
	struct gofer_xattr *xattr; /* an xattr fid's (set at creation), else NULL */
	struct gofer_fid *next;	 /* hash chain, under the server lock */
};

struct gofer_server {
	struct gofer_node *root;
	bool readonly;
	bool versioned; /* a Tversion succeeded: others are served only after it (atomic) */
	uint32_t msize; /* atomic */
	pthread_mutex_t lock; /* the fid table (fids, nfids, chains) and fid_set_open */
	struct gofer_fid *fids[GOFER_FID_BUCKETS];
	size_t nfids;
	uint8_t *scratch; /* gofer_server_handle's scratch (workers bring their own) */
};

#define GOFER_SCRATCH_SIZE (64 * 1024)

/* What a handler sees: the decoded request, the reply to fill (type preset to the R type),
 * room for Rread/Rreaddir data inside the reply buffer, and an fd to donate. */
struct gofer_call {
	const struct p9_fcall *in;
	struct p9_fcall *out;
	uint8_t *payload;     /* Rread/Rreaddir data goes here (no copy on encode) */
	uint32_t payload_max; /* bytes that fit under msize */
	uint8_t *scratch;     /* GOFER_SCRATCH_SIZE bytes of this thread's (getdents, readlink) */
	int donate_fd;	      /* borrowed fd to send with the reply (SCM_RIGHTS), or -1 */
	struct gofer_fid *hold; /* a reference keeping donate_fd open until the reply is sent */
};

/* Handlers return 0 (reply in call->out) or -errno (sent as Rlerror). */
typedef int (*gofer_op_fn)(struct gofer_server *s, struct gofer_call *call);

/* server.c: answer the decoded request in (decode_ret: p9_decode's result) into reply
 * (P9_MAX_MSIZE bytes), using scratch (GOFER_SCRATCH_SIZE). Returns the reply length (an
 * Rlerror for every problem) or a negative encode error. *donate_fd is an fd to send with
 * the reply or -1; *hold, if set, is a fid reference keeping it open: fid_put it after the
 * send. Any thread. */
ssize_t gofer_answer(struct gofer_server *s, const struct p9_fcall *in, int decode_ret,
		     uint8_t *reply, uint8_t *scratch, int *donate_fd, struct gofer_fid **hold);

/* fid.c: nodes and the fid table. */
struct gofer_node *node_get(struct gofer_node *n);
void node_put(struct gofer_node *n);
/* A node for fd (taken over; closed on error), child of parent (NULL for the root).
 * Returns 0 or -errno from fstat. */
int node_new(int fd, struct gofer_node *parent, const char *name, size_t name_len,
	     struct gofer_node **out);
void node_qid(const struct gofer_node *n, struct p9_qid *qid);
bool node_is_dir(const struct gofer_node *n);
/* Open the node's file again with flags (O_NOFOLLOW|O_CLOEXEC|O_NOCTTY|O_NONBLOCK added):
 * directories through their own fd, other files through parent fd + name. Only regular
 * files and directories; the result must be the same inode (else -ESTALE). */
int node_reopen(const struct gofer_node *n, int flags, int *fd);

/* Fid num with a new reference, or NULL. Takes the server lock. */
struct gofer_fid *fid_get(struct gofer_server *s, uint32_t num);
/* Another reference to f (held already). */
struct gofer_fid *fid_ref(struct gofer_fid *f);
/* Drop a reference; the last closes the open fd and puts the node. Any thread, no lock. */
void fid_put(struct gofer_fid *f);
/* The open fd (-1 if not open) and its flags, as fid_set_open published them. */
int fid_open_fd(const struct gofer_fid *f, uint32_t *flags);
/* Record f's open fd once: -EINVAL (fd left to the caller) if it is open already. */
int fid_set_open(struct gofer_server *s, struct gofer_fid *f, int fd, int flags);
/* Add fid num holding node (takes the reference). -EBADF if num is in use or NOFID. */
int fid_insert(struct gofer_server *s, uint32_t num, struct gofer_node *node, uint32_t uid);
/* Put a new fid in old's place (same number and uid) holding node (taken) and, if fd >= 0,
 * open with fd/flags (taken). -EBADF (nothing taken) if old is no longer in the table. On
 * success *out is the new fid with a reference for the caller. */
int fid_replace(struct gofer_server *s, struct gofer_fid *old, struct gofer_node *node, int fd,
		int flags, struct gofer_fid **out);
/* The same for xattr fids: fid num (or old's place) holding node (or old's node) and x,
 * taken on success (on failure the caller keeps node and x). */
int fid_insert_xattr(struct gofer_server *s, uint32_t num, struct gofer_node *node,
		     uint32_t uid, struct gofer_xattr *x);
int fid_replace_xattr(struct gofer_server *s, struct gofer_fid *old, struct gofer_xattr *x,
		      struct gofer_fid **out);
/* Take fid num out of the table: the table's reference for the caller, or NULL. */
struct gofer_fid *fid_take(struct gofer_server *s, uint32_t num);
void fid_remove_all(struct gofer_server *s);
/* n's parent with a new reference (NULL at the root) and a copy of its name in buf
 * (P9_NAME_MAX + 1 bytes), read together under the names lock. */
struct gofer_node *node_parent(const struct gofer_node *n, char *buf);
/* After a rename in the host tree, point every node named oldname in olddir at its new
 * parent and name, so later reopens find the file. */
void fid_renamed(struct gofer_server *s, struct gofer_node *olddir, const struct p9_str *oldname,
		 struct gofer_node *newdir, const struct p9_str *newname);

/* Checks a name from a request: 0, -EINVAL (empty, '/', or "."/".." when !dots), or
 * -ENAMETOOLONG. */
int gofer_check_name(const struct p9_str *name, bool dots);

/* ops_io.c helpers shared with Tlcreate: the client's O_* flags filtered to what may be
 * asked (-EINVAL for O_ACCMODE == 3, -EROFS for writing opens when read-only), and the
 * bookkeeping of a newly opened fid (donates fd with the reply for read-only regular
 * files, so the Sentry can read and map them without round trips). */
int gofer_open_flags(struct gofer_server *s, uint32_t flags, int *out);
void gofer_fid_opened(struct gofer_fid *f, int flags, struct gofer_call *call);

/* Fid num with a reference if it is open for acc (O_RDONLY: readable, O_WRONLY:
 * writable); its open_fd is then >= 0. -EBADF otherwise. */
int gofer_io_fd(struct gofer_server *s, uint32_t num, int acc, struct gofer_fid **out);

/* ops_attr.c: the attributes of name in dirfd (statx with flags | AT_SYMLINK_NOFOLLOW;
 * "" with AT_EMPTY_PATH for dirfd's own file), qid made from them; *dev (if not NULL) the
 * device they are on. 0 or -errno. */
int gofer_stat_attr(int dirfd, const char *name, int flags, struct p9_attr *a, dev_t *dev);
/* The attributes of n's file, with n's qid. 0 or -errno. */
int gofer_node_attr(const struct gofer_node *n, struct p9_attr *a);

/* ops_walk.c: Twalkgetattr of one name with no new fid from a directory on a local
 * filesystem, answered without waiting on anything but the local disk (the connection
 * loop calls it): 0 with the reply in out, -errno for Rlerror, or 1 when it cannot be
 * answered so (a worker must: other cases, or a name that is a mount point). */
int gofer_walkgetattr_prompt(struct gofer_server *s, const struct p9_fcall *in,
			     struct p9_fcall *out);

/* ops_xattr.c: Tread and Twrite of xattr fids (ops_io.c hands over the fids that are not
 * open files), Tclunk's commit of a Txattrcreate fid (0 or the host's -errno; other fids:
 * 0), and freeing an xattr fid's state. */
int gofer_xattr_read(struct gofer_server *s, struct gofer_call *call);
int gofer_xattr_write(struct gofer_server *s, struct gofer_call *call);
int gofer_xattr_commit(struct gofer_fid *f);
void gofer_xattr_free(struct gofer_xattr *x);

/* ops_*.c: one handler per message. */
int gofer_op_version(struct gofer_server *s, struct gofer_call *call);
int gofer_op_attach(struct gofer_server *s, struct gofer_call *call);
int gofer_op_walk(struct gofer_server *s, struct gofer_call *call);
int gofer_op_walkgetattr(struct gofer_server *s, struct gofer_call *call);
int gofer_op_clunk(struct gofer_server *s, struct gofer_call *call);
int gofer_op_flush(struct gofer_server *s, struct gofer_call *call);
int gofer_op_getattr(struct gofer_server *s, struct gofer_call *call);
int gofer_op_statfs(struct gofer_server *s, struct gofer_call *call);
int gofer_op_readlink(struct gofer_server *s, struct gofer_call *call);
int gofer_op_lopen(struct gofer_server *s, struct gofer_call *call);
int gofer_op_read(struct gofer_server *s, struct gofer_call *call);
int gofer_op_readdir(struct gofer_server *s, struct gofer_call *call);
int gofer_op_write(struct gofer_server *s, struct gofer_call *call);
int gofer_op_fsync(struct gofer_server *s, struct gofer_call *call);
int gofer_op_lcreate(struct gofer_server *s, struct gofer_call *call);
int gofer_op_mkdir(struct gofer_server *s, struct gofer_call *call);
int gofer_op_mknod(struct gofer_server *s, struct gofer_call *call);
int gofer_op_symlink(struct gofer_server *s, struct gofer_call *call);
int gofer_op_unlinkat(struct gofer_server *s, struct gofer_call *call);
int gofer_op_renameat(struct gofer_server *s, struct gofer_call *call);
int gofer_op_link(struct gofer_server *s, struct gofer_call *call);
int gofer_op_rename(struct gofer_server *s, struct gofer_call *call);
int gofer_op_lock(struct gofer_server *s, struct gofer_call *call);
int gofer_op_getlock(struct gofer_server *s, struct gofer_call *call);
int gofer_op_setattr(struct gofer_server *s, struct gofer_call *call);
int gofer_op_xattrwalk(struct gofer_server *s, struct gofer_call *call);
int gofer_op_xattrcreate(struct gofer_server *s, struct gofer_call *call);
int gofer_op_xattrget(struct gofer_server *s, struct gofer_call *call);
int gofer_op_xattrset(struct gofer_server *s, struct gofer_call *call);

#endif
