/* server.c: the gofer's servers: creation, decoding, the handler table, Rlerror. The
 * connection loop that feeds them is conn.c. */
#include "gofer/server.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "gofer/gofer_internal.h"
#include "lib/log.h"
#include "lib/util.h"

/* One handler per T-message; anything else is answered with EOPNOTSUPP. */
static const gofer_op_fn g_ops[256] = {
	[P9_TVERSION] = gofer_op_version,   [P9_TATTACH] = gofer_op_attach,
	[P9_TWALK] = gofer_op_walk,	    [P9_TCLUNK] = gofer_op_clunk,
	[P9_TFLUSH] = gofer_op_flush,	    [P9_TGETATTR] = gofer_op_getattr,
	[P9_TSTATFS] = gofer_op_statfs,	    [P9_TREADLINK] = gofer_op_readlink,
	[P9_TLOPEN] = gofer_op_lopen,	    [P9_TREAD] = gofer_op_read,
	[P9_TREADDIR] = gofer_op_readdir,   [P9_TWRITE] = gofer_op_write,
	[P9_TFSYNC] = gofer_op_fsync,	    [P9_TLCREATE] = gofer_op_lcreate,
	[P9_TMKDIR] = gofer_op_mkdir,	    [P9_TSYMLINK] = gofer_op_symlink,
	[P9_TUNLINKAT] = gofer_op_unlinkat, [P9_TRENAMEAT] = gofer_op_renameat,
	[P9_TSETATTR] = gofer_op_setattr,   [P9_TLINK] = gofer_op_link,
	[P9_TWALKGETATTR] = gofer_op_walkgetattr, [P9_TMKNOD] = gofer_op_mknod,
	[P9_TXATTRWALK] = gofer_op_xattrwalk, [P9_TXATTRCREATE] = gofer_op_xattrcreate,
	[P9_TXATTRGET] = gofer_op_xattrget, [P9_TXATTRSET] = gofer_op_xattrset,
	[P9_TRENAME] = gofer_op_rename,	    [P9_TLOCK] = gofer_op_lock,
	[P9_TGETLOCK] = gofer_op_getlock,
};

static struct gofer_server *server_alloc(struct gofer_node *root, bool readonly)
{
	struct gofer_server *s = xcalloc(1, sizeof(*s));

	s->root = root;
	s->readonly = readonly;
	s->msize = P9_MAX_MSIZE;
	s->scratch = xmalloc(GOFER_SCRATCH_SIZE);
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

int gofer_server_new(int rootfd, bool readonly, struct gofer_server **out)
{
	struct gofer_node *root;
	int fd, ret;

	fd = openat(rootfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = node_new(fd, NULL, NULL, 0, &root);
	if (ret)
		return ret;
	*out = server_alloc(root, readonly);
	return 0;
}

int gofer_server_new_file(int dirfd, const char *name, bool readonly,
			  struct gofer_server **out)
{
	struct gofer_node *dir, *root;
	int fd, ret;

	fd = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = node_new(fd, NULL, NULL, 0, &dir);
	if (ret)
		return ret;
	fd = openat(dirfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	ret = fd < 0 ? -errno : node_new(fd, dir, name, strlen(name), &root);
	node_put(dir); /* root holds it as its parent, for reopening by name */
	if (ret)
		return ret;
	if (!S_ISREG(root->type)) {
		node_put(root);
		return -EINVAL; /* a symlink swapped in since runsc checked the source */
	}
	*out = server_alloc(root, readonly);
	return 0;
}

void gofer_server_free(struct gofer_server *s)
{
	if (!s)
		return;
	fid_remove_all(s);
	node_put(s->root);
	pthread_mutex_destroy(&s->lock);
	free(s->scratch);
	free(s);
}

static ssize_t reply_error(const struct p9_fcall *in, int err, void *reply, size_t size)
{
	struct p9_fcall out = {.type = P9_RLERROR, .tag = in->tag};

	out.rlerror.ecode = (uint32_t)(err < 0 ? -err : EIO);
	return p9_encode(reply, size, &out);
}

/* Decode, check the session state, and run the handler. 0 or -errno for Rlerror. */
static int dispatch(struct gofer_server *s, const struct p9_fcall *in, struct gofer_call *call,
		    int decode_ret)
{
	gofer_op_fn op;

	if (!p9_is_request(in->type))
		return -EOPNOTSUPP;
	if (decode_ret)
		return decode_ret == -EOPNOTSUPP ? -EOPNOTSUPP : -EINVAL;
	op = g_ops[in->type];
	if (!op)
		return -EOPNOTSUPP;
	if (!__atomic_load_n(&s->versioned, __ATOMIC_ACQUIRE) && in->type != P9_TVERSION)
		return -EPROTO; /* Tversion starts every session */
	return op(s, call);
}

ssize_t gofer_answer(struct gofer_server *s, const struct p9_fcall *in, int decode_ret,
		     uint8_t *reply, uint8_t *scratch, int *donate_fd, struct gofer_fid **hold)
{
	uint32_t msize = __atomic_load_n(&s->msize, __ATOMIC_RELAXED);
	struct p9_fcall out = {.type = in->type + 1, .tag = in->tag};
	struct gofer_call call = {.in = in, .out = &out, .donate_fd = -1, .scratch = scratch};
	ssize_t n;
	int ret;

	*donate_fd = -1;
	*hold = NULL;
	call.payload = reply + P9_READ_HDR;
	call.payload_max = msize - P9_READ_HDR;
	log_debug("9p: <- type %u tag %u", in->type, in->tag);
	ret = dispatch(s, in, &call, decode_ret);
	if (ret)
		return reply_error(in, ret, reply, msize);
	/* A Tversion answers in the msize it just chose, never above the old one. */
	n = p9_encode(reply, MAX(msize, __atomic_load_n(&s->msize, __ATOMIC_RELAXED)), &out);
	if (n < 0) {
		log_warn("9p: cannot encode reply type %u: %zd", out.type, n);
		fid_put(call.hold);
		return reply_error(in, (int)n, reply, msize);
	}
	*donate_fd = call.donate_fd;
	*hold = call.hold;
	return n;
}

ssize_t gofer_server_handle(struct gofer_server *s, const void *req, size_t len, void *reply,
			    size_t reply_size, int *donate_fd)
{
	uint32_t size, msize = __atomic_load_n(&s->msize, __ATOMIC_RELAXED);
	struct gofer_fid *hold;
	struct p9_fcall in;
	ssize_t n;
	int ret;

	*donate_fd = -1;
	if (len < P9_HDR_SIZE || p9_frame_size(req, msize, &size) || size != len)
		return -EPROTO;
	if (reply_size < P9_MAX_MSIZE)
		return -EINVAL;
	ret = p9_decode(req, len, msize, &in);
	n = gofer_answer(s, &in, ret, reply, s->scratch, donate_fd, &hold);
	/* One request at a time here: nothing can clunk the fid before the caller sends. */
	fid_put(hold);
	return n;
}
