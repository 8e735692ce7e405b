/* server.c: the gofer's request loop: framing, decoding, the handler table, Rlerror. */
#include "gofer/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
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
};

static struct gofer_server *server_alloc(struct gofer_node *root, bool readonly)
{
	struct gofer_server *s = xcalloc(1, sizeof(*s));

	s->root = root;
	s->readonly = readonly;
	s->msize = P9_MAX_MSIZE;
	s->scratch = xmalloc(GOFER_SCRATCH_SIZE);
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
static int dispatch(struct gofer_server *s, struct p9_fcall *in, struct gofer_call *call,
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
	if (!s->versioned && in->type != P9_TVERSION)
		return -EPROTO; /* Tversion starts every session */
	return op(s, call);
}

ssize_t gofer_server_handle(struct gofer_server *s, const void *req, size_t len, void *reply,
			    size_t reply_size, int *donate_fd)
{
	struct p9_fcall in, out;
	struct gofer_call call = {.in = &in, .out = &out, .donate_fd = -1};
	uint32_t size;
	ssize_t n;
	int ret;

	*donate_fd = -1;
	if (len < P9_HDR_SIZE || p9_frame_size(req, s->msize, &size) || size != len)
		return -EPROTO;
	if (reply_size < s->msize)
		return -EINVAL;
	ret = p9_decode(req, len, s->msize, &in);
	memset(&out, 0, sizeof(out));
	out.type = in.type + 1;
	out.tag = in.tag;
	call.payload = (uint8_t *)reply + P9_READ_HDR;
	call.payload_max = s->msize - P9_READ_HDR;
	log_debug("9p: <- type %u tag %u", in.type, in.tag);
	ret = dispatch(s, &in, &call, ret);
	if (ret)
		return reply_error(&in, ret, reply, s->msize);
	n = p9_encode(reply, s->msize, &out);
	if (n < 0) {
		log_warn("9p: cannot encode reply type %u: %zd", out.type, n);
		return reply_error(&in, (int)n, reply, s->msize);
	}
	*donate_fd = call.donate_fd;
	return n;
}

/* Receive one request into buf. Returns its length, 0 at EOF, or -errno. */
static ssize_t recv_request(struct gofer_server *s, int sock, bool seqpacket, uint8_t *buf)
{
	uint32_t size;
	ssize_t n;
	int ret;

	if (seqpacket) {
		do
			n = recv(sock, buf, P9_MAX_MSIZE, MSG_TRUNC);
		while (n < 0 && errno == EINTR);
		if (n < 0)
			return -errno;
		return n > P9_MAX_MSIZE ? -EMSGSIZE : n;
	}
	n = read(sock, buf, 4);
	if (n == 0)
		return 0;
	if (n < 0 && errno != EINTR)
		return -errno;
	ret = read_all(sock, buf + MAX(n, 0), (size_t)(4 - MAX(n, 0)));
	if (ret)
		return ret;
	if (p9_frame_size(buf, s->msize, &size))
		return -EPROTO; /* no way to find the next message: drop the connection */
	ret = read_all(sock, buf + 4, size - 4);
	return ret ? ret : (ssize_t)size;
}

/* Send one reply, with fd attached when donating; finishes short stream writes. */
static int send_reply(int sock, const uint8_t *buf, size_t len, int fd)
{
	ssize_t n;

	if (fd < 0)
		return write_all(sock, buf, len);
	n = fd_send(sock, buf, len, &fd, 1);
	if (n < 0)
		return (int)n;
	return write_all(sock, buf + n, len - (size_t)n);
}

/* Answer one request waiting on sock. 0, 1 when the peer hung up, or -errno. */
static int serve_one(struct gofer_server *s, int sock, bool seqpacket, uint8_t *in, uint8_t *out)
{
	ssize_t n = recv_request(s, sock, seqpacket, in);
	int fd;

	if (n <= 0)
		return n == 0 ? 1 : (int)n;
	n = gofer_server_handle(s, in, (size_t)n, out, P9_MAX_MSIZE, &fd);
	if (n < 0) {
		log_warn("9p: malformed request framing; closing the connection");
		return (int)n;
	}
	return send_reply(sock, out, (size_t)n, fd);
}

static bool is_seqpacket(int sock)
{
	int type = 0;
	socklen_t tlen = sizeof(type);

	return getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_SEQPACKET;
}

int gofer_serve_many(struct gofer_server **s, const int *socks, int n)
{
	struct pollfd *p = xcalloc((size_t)n, sizeof(*p));
	bool *seqpacket = xcalloc((size_t)n, sizeof(*seqpacket));
	uint8_t *in = xmalloc(P9_MAX_MSIZE), *out = xmalloc(P9_MAX_MSIZE);
	int ret = 0;

	for (int i = 0; i < n; i++) {
		p[i] = (struct pollfd){.fd = socks[i], .events = POLLIN};
		seqpacket[i] = is_seqpacket(socks[i]);
	}
	while (p[0].fd >= 0) {
		/* ppoll, not poll: after a freeze (runsc pause) poll resumes through
		 * restart_syscall, which the seccomp filter need not allow. */
		if (ppoll(p, (nfds_t)n, NULL, NULL) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		for (int i = 0; i < n; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			int r = serve_one(s[i], p[i].fd, seqpacket[i], in, out);
			if (r == 0)
				continue;
			/* This connection is over; the others go on until the root's ends. */
			if (r < 0 && r != -EPIPE && r != -ECONNRESET && i == 0)
				ret = r;
			if (r < 0 && i > 0)
				log_warn("9p: bind mount connection %d ended with error %d", i, r);
			p[i].fd = -1;
		}
	}
	free(in);
	free(out);
	free(p);
	free(seqpacket);
	return ret;
}

int gofer_serve(struct gofer_server *s, int sock)
{
	return gofer_serve_many(&s, &sock, 1);
}
