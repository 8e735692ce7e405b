/* client.c: the 9P client's transport: version negotiation, framing over a stream or
 * seqpacket socket, many requests in flight (tags, replies dispatched by tag), donated
 * fds, and the fid allocator. */
#include "gofer/p9/client_rpc.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

/* One call waiting for its reply: on the caller's stack, linked in c->calls. */
struct p9_call {
	struct p9_call *next;
	uint16_t tag;
	bool done;   /* the reply is in buf (len bytes) */
	size_t len;
	int fd;	     /* donated with the reply, or -1 */
	uint8_t *buf; /* the calling thread's reply buffer (reply_buf) */
};

/* Each thread's reply buffer, grown as needed, freed when the thread exits. */
static pthread_key_t g_buf_key;
static pthread_once_t g_buf_once = PTHREAD_ONCE_INIT;

struct reply_buf {
	uint8_t *p;
	size_t cap;
};

static void reply_buf_free(void *arg)
{
	struct reply_buf *b = arg;

	free(b->p);
	free(b);
}

static void reply_buf_key(void)
{
	if (pthread_key_create(&g_buf_key, reply_buf_free))
		log_fatal("9p: no thread key for reply buffers");
}

static uint8_t *reply_buf(size_t size)
{
	struct reply_buf *b;

	pthread_once(&g_buf_once, reply_buf_key);
	b = pthread_getspecific(g_buf_key);
	if (!b) {
		b = xcalloc(1, sizeof(*b));
		pthread_setspecific(g_buf_key, b);
	}
	if (b->cap < size) {
		b->p = xrealloc(b->p, size);
		b->cap = size;
	}
	return b->p;
}

/* Under c->lock: the connection is unusable; wake every waiter. */
static int peer_gone(struct p9_client *c, int err)
{
	c->broken = true;
	pthread_cond_broadcast(&c->cond);
	return err == -EPIPE || err == -ECONNRESET ? -EPIPE : err;
}

/* Under c->lock: a broken connection's socket is closed once no call uses it (only a
 * thread with a call in c->calls reads or writes c->fd). */
static void close_if_idle(struct p9_client *c)
{
	if (c->broken && !c->calls && c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
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

/* Receive one whole message into c->rbuf (the reader's, c->lock not held). Returns its
 * length, -EPIPE or another -errno when the peer is gone, or -EIO for broken framing. */
static ssize_t recv_msg(struct p9_client *c, int *fd)
{
	int fds[2], nfds = 2;
	size_t have = 0;
	uint32_t size;
	ssize_t n;

	if (c->seqpacket) {
		n = fd_recv(c->fd, c->rbuf, c->msize, fds, &nfds);
		if (n <= 0)
			return n == 0 ? -EPIPE : (int)n;
		keep_fd(fd, fds, nfds);
		return n;
	}
	/* Stream: a donated fd rides on the first bytes of its reply. */
	while (have < 4) {
		nfds = 2;
		n = fd_recv(c->fd, c->rbuf + have, 4 - have, fds, &nfds);
		if (n <= 0)
			return n == 0 ? -EPIPE : (int)n;
		keep_fd(fd, fds, nfds);
		have += (size_t)n;
	}
	if (p9_frame_size(c->rbuf, c->msize, &size)) {
		log_warn("9p: reply size field out of range; dropping the connection");
		return -EIO;
	}
	int ret = read_all(c->fd, c->rbuf + 4, size - 4);
	return ret ? ret : (ssize_t)size;
}

/* Under c->lock: hand the message in c->rbuf to the call with its tag. */
static void deliver(struct p9_client *c, size_t len, int fd)
{
	uint16_t tag = len >= P9_HDR_SIZE ? (uint16_t)(c->rbuf[5] | c->rbuf[6] << 8) : P9_NOTAG;

	struct p9_call *to = NULL, *first = NULL;
	int waiting = 0;

	for (struct p9_call *call = c->calls; call && !to; call = call->next) {
		if (call->done)
			continue;
		waiting++;
		if (call->tag == tag)
			to = call;
		else if (!first)
			first = call;
	}
	/* A tag no call waits for: the only waiting call gets it and reports it malformed;
	 * among several none can be matched, so the connection is dropped (as Linux does). */
	if (!to && waiting == 1)
		to = first;
	if (!to) {
		log_warn("9p: reply with tag %u that no call waits for; dropping the connection",
			 tag);
		if (fd >= 0)
			close(fd);
		peer_gone(c, -EIO);
		return;
	}
	memcpy(to->buf, c->rbuf, len);
	to->len = len;
	to->fd = fd;
	to->done = true;
	pthread_cond_broadcast(&c->cond);
}

/* Under c->lock: wait until call's reply arrived, reading for everyone when no other
 * thread does. 0 or -errno when the connection is gone. */
static int await(struct p9_client *c, struct p9_call *call)
{
	while (!call->done && !c->broken) {
		int fd = -1;
		ssize_t n;

		if (c->reading) {
			pthread_cond_wait(&c->cond, &c->lock);
			continue;
		}
		c->reading = true;
		pthread_mutex_unlock(&c->lock);
		n = recv_msg(c, &fd);
		pthread_mutex_lock(&c->lock);
		c->reading = false;
		pthread_cond_broadcast(&c->cond); /* the reader role is free */
		if (n < 0)
			return peer_gone(c, (int)n);
		deliver(c, (size_t)n, fd);
	}
	return call->done ? 0 : -EPIPE;
}

/* Under c->lock: a tag no waiting call uses (P9_NOTAG is Tversion's). */
static uint16_t tag_alloc(struct p9_client *c)
{
	for (;;) {
		uint16_t tag = c->next_tag++;
		bool used = tag == P9_NOTAG;

		for (struct p9_call *call = c->calls; call && !used; call = call->next)
			used = call->tag == tag;
		if (!used)
			return tag;
	}
}

static void call_unlink(struct p9_client *c, struct p9_call *call)
{
	for (struct p9_call **pp = &c->calls; *pp; pp = &(*pp)->next) {
		if (*pp == call) {
			*pp = call->next;
			return;
		}
	}
}

static int errno_of(uint32_t ecode)
{
	if (ecode == 0 || ecode > 4095) {
		log_warn("9p: Rlerror with invalid errno %u", ecode);
		return -EIO;
	}
	return -(int)ecode;
}

/* Encode and send req whole. 0 or -errno. */
static int send_req(struct p9_client *c, const struct p9_fcall *req)
{
	ssize_t len;
	int ret;

	pthread_mutex_lock(&c->wlock);
	len = p9_encode(c->tbuf, c->msize, req);
	ret = len < 0 ? (int)len : write_all(c->fd, c->tbuf, (size_t)len);
	pthread_mutex_unlock(&c->wlock);
	return ret;
}

/* Check a received reply against its request. 0 or -errno. */
static int check_reply(const struct p9_fcall *req, uint8_t want, const struct p9_call *call,
		       uint32_t msize, struct p9_fcall *rep)
{
	int ret = p9_decode(call->buf, call->len, msize, rep);

	if (ret || rep->tag != req->tag) {
		log_warn("9p: malformed reply to type %u (type %u tag %u): %d", req->type,
			 rep->type, rep->tag, ret);
		return -EIO;
	}
	if (rep->type == P9_RLERROR)
		return errno_of(rep->rlerror.ecode);
	if (rep->type != want) {
		log_warn("9p: reply type %u to type %u, wanted %u", rep->type, req->type, want);
		return -EIO;
	}
	return 0;
}

int p9c_rpc(struct p9_client *c, struct p9_fcall *req, uint8_t want, struct p9_fcall *rep,
	    int *hostfd)
{
	struct p9_call call = {.fd = -1, .buf = reply_buf(c->msize)};
	int ret;

	if (hostfd)
		*hostfd = -1;
	pthread_mutex_lock(&c->lock);
	if (c->broken) {
		pthread_mutex_unlock(&c->lock);
		return -EPIPE;
	}
	call.tag = req->type == P9_TVERSION ? P9_NOTAG : tag_alloc(c);
	req->tag = call.tag;
	call.next = c->calls;
	c->calls = &call;
	pthread_mutex_unlock(&c->lock);

	ret = send_req(c, req);
	pthread_mutex_lock(&c->lock);
	if (ret == -EPIPE || ret == -ECONNRESET)
		ret = peer_gone(c, ret);
	else if (ret == 0)
		ret = await(c, &call);
	call_unlink(c, &call);
	close_if_idle(c);
	pthread_mutex_unlock(&c->lock);
	if (ret == 0)
		ret = check_reply(req, want, &call, c->msize, rep);
	if (ret == 0 && hostfd) {
		*hostfd = call.fd;
		call.fd = -1;
	}
	if (call.fd >= 0)
		close(call.fd);
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
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->wlock, NULL);
	pthread_cond_init(&c->cond, NULL);
	ret = negotiate(c);
	if (ret) {
		p9c_close(c);
		*out = NULL;
		return ret;
	}
	*out = c;
	return 0;
}

void p9c_shutdown(struct p9_client *c)
{
	pthread_mutex_lock(&c->lock);
	peer_gone(c, -EPIPE);
	close_if_idle(c);
	pthread_mutex_unlock(&c->lock);
}

void p9c_close(struct p9_client *c)
{
	if (!c)
		return;
	if (c->fd >= 0)
		close(c->fd);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->wlock);
	pthread_cond_destroy(&c->cond);
	free(c->tbuf);
	free(c->rbuf);
	free(c->free_fids);
	free(c);
}

uint32_t p9c_fid_alloc(struct p9_client *c)
{
	uint32_t fid;

	pthread_mutex_lock(&c->lock);
	if (c->nfree > 0)
		fid = c->free_fids[--c->nfree];
	else if (c->next_fid == P9_NOFID)
		fid = P9_NOFID; /* 4 billion live fids: the caller gets an error on use */
	else
		fid = c->next_fid++;
	pthread_mutex_unlock(&c->lock);
	return fid;
}

void p9c_fid_release(struct p9_client *c, uint32_t fid)
{
	if (fid == P9_NOFID)
		return;
	pthread_mutex_lock(&c->lock);
	if (c->nfree == c->free_cap) {
		c->free_cap = c->free_cap ? c->free_cap * 2 : 64;
		c->free_fids = xrealloc(c->free_fids, c->free_cap * sizeof(*c->free_fids));
	}
	c->free_fids[c->nfree++] = fid;
	pthread_mutex_unlock(&c->lock);
}
