/* gofer_internal.h: the gofer server's state (fids, nodes) shared by server.c, fid.c and
 * the ops_*.c message handlers. Not used outside gofer/. */
#ifndef RUNSC_GOFER_GOFER_INTERNAL_H
#define RUNSC_GOFER_GOFER_INTERNAL_H

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
 * root node (parent == NULL). */
struct gofer_node {
	int refs;
	int fd;			   /* O_PATH|O_NOFOLLOW: never follows a symlink */
	struct gofer_node *parent; /* holds a reference; NULL at the served root */
	char *name;		   /* name in parent, kept current across Trenameat */
	mode_t type;		   /* S_IFMT bits at walk time */
	dev_t dev;		   /* identity, checked when a name is reopened */
	ino_t ino;
	bool kernfs; /* root of a proc/sys-like mount: seen (a mount point) but never
		      * entered, opened or changed: it would expose the host kernel */
};

struct gofer_fid {
	uint32_t num;
	struct gofer_node *node; /* one reference */
	int open_fd;		 /* from Tlopen/Tlcreate, else -1 */
	uint32_t open_flags;	 /* O_* it was opened with */
	uint32_t uid;		 /* Tattach n_uname, owner of files created through it */
	struct gofer_fid *next;	 /* hash chain */
};

struct gofer_server {
	struct gofer_node *root;
	bool readonly;
	bool versioned; /* a Tversion succeeded: other messages are served only after it */
	uint32_t msize;
	struct gofer_fid *fids[GOFER_FID_BUCKETS];
	size_t nfids;
	uint8_t *scratch; /* getdents64 and readlink buffer, GOFER_SCRATCH_SIZE bytes */
};

#define GOFER_SCRATCH_SIZE (64 * 1024)

/* What a handler sees: the decoded request, the reply to fill (type preset to the R type),
 * room for Rread/Rreaddir data inside the reply buffer, and an fd to donate. */
struct gofer_call {
	const struct p9_fcall *in;
	struct p9_fcall *out;
	uint8_t *payload;     /* Rread/Rreaddir data goes here (no copy on encode) */
	uint32_t payload_max; /* bytes that fit under msize */
	int donate_fd;	      /* borrowed fd to send with the reply (SCM_RIGHTS), or -1 */
};

/* Handlers return 0 (reply in call->out) or -errno (sent as Rlerror). */
typedef int (*gofer_op_fn)(struct gofer_server *s, struct gofer_call *call);

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

struct gofer_fid *fid_lookup(struct gofer_server *s, uint32_t num);
/* Add fid num holding node (takes the reference). -EBADF if num is in use or NOFID. */
int fid_insert(struct gofer_server *s, uint32_t num, struct gofer_node *node, uint32_t uid);
int fid_remove(struct gofer_server *s, uint32_t num);
void fid_remove_all(struct gofer_server *s);
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
void gofer_fid_opened(struct gofer_fid *f, int fd, int flags, struct gofer_call *call);

/* ops_*.c: one handler per message. */
int gofer_op_version(struct gofer_server *s, struct gofer_call *call);
int gofer_op_attach(struct gofer_server *s, struct gofer_call *call);
int gofer_op_walk(struct gofer_server *s, struct gofer_call *call);
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
int gofer_op_symlink(struct gofer_server *s, struct gofer_call *call);
int gofer_op_unlinkat(struct gofer_server *s, struct gofer_call *call);
int gofer_op_renameat(struct gofer_server *s, struct gofer_call *call);
int gofer_op_link(struct gofer_server *s, struct gofer_call *call);
int gofer_op_setattr(struct gofer_server *s, struct gofer_call *call);

#endif
