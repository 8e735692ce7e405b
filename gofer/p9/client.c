/* client.c: the 9P client's transport: version negotiation, framing over a stream or
 * seqpacket socket, one request in flight, donated fds, and the fid allocator. */
#include "gofer/p9/client_rpc.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

static int peer_gone(struct p9_client *c, int err)
{
	c->broken = true;
	return err == -EPIPE || err == -ECONNRESET ? -EPIPE : err;
}

/* Keep the first received fd in *fd, close any other. */
static void keep_fd(int *fd, const int *got, int n)
{
	for (int i = 0; i < n; i++) {
		if (*fd < 0)
			*fd = got[i];
		else
			close(got[i]);
	}
}

/* Receive one whole message into c->rbuf. Returns its length, -EPIPE, or -EIO. */
static ssize_t recv_msg(struct p9_client *c, int *fd)
{
	int fds[2], nfds = 2;
	size_t have = 0;
	uint32_t size;
	ssize_t n;

	if (c->seqpacket) {
		n = fd_recv(c->fd, c->rbuf, c->msize, fds, &nfds);
		if (n <= 0)
			return peer_gone(c, n == 0 ? -EPIPE : (int)n);
		keep_fd(fd, fds, nfds);
		return n;
	}
	/* Stream: a donated fd rides on the first bytes of its reply. */
	while (have < 4) {
		nfds = 2;
		n = fd_recv(c->fd, c->rbuf + have, 4 - have, fds, &nfds);
		if (n <= 0)
			return peer_gone(c, n == 0 ? -EPIPE : (int)n);
		keep_fd(fd, fds, nfds);
		have += (size_t)n;
	}
	if (p9_frame_size(c->rbuf, c->msize, &size)) {
		log_warn("9p: reply size field out of range; dropping the connection");
		c->broken = true;
		return -EIO;
	}
	int ret = read_all(c->fd, c->rbuf + 4, size - 4);
	if (ret)
		return peer_gone(c, ret);
	return size;
}

static int errno_of(uint32_t ecode)
{
	if (ecode == 0 || ecode > 4095) {
		log_warn("9p: Rlerror with invalid errno %u", ecode);
		return -EIO;
	}
	return -(int)ecode;
}

int p9c_rpc(struct p9_client *c, struct p9_fcall *req, uint8_t want, struct p9_fcall *rep,
	    int *hostfd)
{
	int fd = -1, ret;
	ssize_t len;

	if (hostfd)
		*hostfd = -1;
	if (c->broken)
		return -EPIPE;
	if (req->type != P9_TVERSION) {
		if (++c->tag == P9_NOTAG)
			c->tag = 0;
		req->tag = c->tag;
	}
	len = p9_encode(c->tbuf, c->msize, req);
	if (len < 0)
		return (int)len;
	ret = write_all(c->fd, c->tbuf, (size_t)len);
	if (ret)
		return peer_gone(c, ret);
	len = recv_msg(c, &fd);
	if (len < 0) {
		ret = (int)len;
		goto out_close;
	}
	ret = p9_decode(c->rbuf, (size_t)len, c->msize, rep);
	if (ret || rep->tag != req->tag) {
		log_warn("9p: malformed reply to type %u (type %u tag %u): %d", req->type,
			 rep->type, rep->tag, ret);
		ret = -EIO;
	} else if (rep->type == P9_RLERROR) {
		ret = errno_of(rep->rlerror.ecode);
	} else if (rep->type != want) {
		log_warn("9p: reply type %u to type %u, wanted %u", rep->type, req->type, want);
		ret = -EIO;
	}
	if (ret == 0 && hostfd) {
		*hostfd = fd;
		fd = -1;
	}
out_close:
	if (fd >= 0)
		close(fd);
	return ret;
}

static bool is_seqpacket(int fd)
{
	int type = 0;
	socklen_t len = sizeof(type);

	return getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_SEQPACKET;
}

/* Tversion: agree on 9P2000.L and an msize no larger than ours. */
static int negotiate(struct p9_client *c)
{
	struct p9_fcall req = {.type = P9_TVERSION, .tag = P9_NOTAG}, rep;
	int ret;

	req.version.msize = c->msize;
	req.version.version.s = P9_VERSION_L;
	req.version.version.len = sizeof(P9_VERSION_L) - 1;
	ret = p9c_rpc(c, &req, P9_RVERSION, &rep, NULL);
	if (ret)
		return ret;
	if (!p9_str_eq(&rep.version.version, P9_VERSION_L)) {
		log_warn("9p: server does not speak " P9_VERSION_L);
		return -EPROTONOSUPPORT;
	}
	if (rep.version.msize < P9_MIN_MSIZE || rep.version.msize > c->msize) {
		log_warn("9p: server chose unusable msize %u", rep.version.msize);
		return -EIO;
	}
	c->msize = rep.version.msize;
	return 0;
}

int p9c_connect(int fd, uint32_t msize, struct p9_client **out)
{
	struct p9_client *c = xcalloc(1, sizeof(*c));
	int ret;

	c->fd = fd;
	c->seqpacket = is_seqpacket(fd);
	c->msize = MIN(MAX(msize, P9_MIN_MSIZE), P9_MAX_MSIZE);
	c->tbuf = xmalloc(c->msize);
	c->rbuf = xmalloc(c->msize);
	c->next_fid = 1;
	ret = negotiate(c);
	if (ret) {
		p9c_close(c);
		*out = NULL;
		return ret;
	}
	*out = c;
	return 0;
}

void p9c_close(struct p9_client *c)
{
	if (!c)
		return;
	close(c->fd);
	free(c->tbuf);
	free(c->rbuf);
	free(c->free_fids);
	free(c);
}

uint32_t p9c_fid_alloc(struct p9_client *c)
{
	if (c->nfree > 0)
		return c->free_fids[--c->nfree];
	if (c->next_fid == P9_NOFID)
		return P9_NOFID; /* 4 billion live fids: the caller gets an error on use */
	return c->next_fid++;
}

void p9c_fid_release(struct p9_client *c, uint32_t fid)
{
	if (fid == P9_NOFID)
		return;
	if (c->nfree == c->free_cap) {
		c->free_cap = c->free_cap ? c->free_cap * 2 : 64;
		c->free_fids = xrealloc(c->free_fids, c->free_cap * sizeof(*c->free_fids));
	}
	c->free_fids[c->nfree++] = fid;
}
