/* conn.c: the gofer's concurrent connection loop. One loop thread reads requests from every
 * connection; host reads, writes and fsyncs of regular files go to the io_uring (one
 * io_uring_enter per batch of requests), everything else to the worker pool. Replies go
 * out whole, one writer at a time per connection, in completion order, as 9P allows.
 * Tflush is answered here: at once if its tag is not in flight, after the flushed reply
 * otherwise, or in its place when the request had not started (cancelled). */
#include "gofer/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gofer/gofer_internal.h"
#include "gofer/pool.h"
#include "gofer/uring.h"
#include "lib/log.h"
#include "lib/util.h"

#define CONN_MAX_INFLIGHT 32 /* a connection's requests in flight: bounds its memory */
#define CONN_BATCH 16	     /* requests read from one connection per wake-up */
#define RING_ENTRIES 64
#define CONN_IBUF (64 * 1024) /* a stream connection's read-ahead */

struct conn;

struct job {
	struct gofer_work work; /* in the pool's queue */
	struct list_head link;	/* conn->inflight, under conn->lock */
	struct conn *conn;
	struct p9_fcall in; /* decoded from req */
	int decode_ret;
	uint8_t *req;	      /* the whole request */
	uint16_t *flush_tags; /* Tflushes waiting for this reply, under conn->lock */
	int nflush;
	struct gofer_fid *fid; /* ring jobs: keeps the fd open until completion */
	uint8_t *rbuf;	       /* ring jobs: the reply (Rread data at P9_READ_HDR) */
	uint32_t rlen;	       /* ring reads: bytes asked of the host */
};

struct conn {
	struct gofer_server *s;
	struct gofer_loop *loop;
	int sock;
	bool seqpacket;
	pthread_mutex_t lock;  /* inflight, ninflight, the jobs' flush_tags; before the pool's */
	pthread_mutex_t wlock; /* one reply on the socket at a time; taken before lock */
	struct list_head inflight;
	int ninflight; /* changed under lock, read without it (inflight()) */
	/* Streams, the loop's alone: bytes read ahead (CONN_IBUF), [ioff, ihave) not yet
	 * taken, so one recv brings in whole requests (often several). */
	uint8_t *ibuf;
	size_t ioff, ihave;
	bool drained; /* the last recv found no more bytes waiting */
};

/* The loop reads the count without the lock: a worker taking a throttled connection below
 * its limit writes the wake fd, so a stale read only delays reading it until then. */
static int inflight(struct conn *c)
{
	return __atomic_load_n(&c->ninflight, __ATOMIC_RELAXED);
}

struct gofer_loop {
	struct gofer_pool *pool;
	struct gofer_ring *ring; /* NULL: host I/O runs on the workers */
	int wakefd;		 /* eventfd: a throttled connection has room again */
	uint8_t *rbuf;		 /* the loop's receive buffer, P9_MAX_MSIZE */
	uint8_t *reply;		 /* the loop's reply buffer for requests it answers itself */
};

static int ncpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set) < 0)
		return 1;
	return MAX(CPU_COUNT(&set), 1);
}

struct gofer_loop *gofer_loop_new(int nworkers, bool use_ring)
{
	struct gofer_loop *l = xcalloc(1, sizeof(*l));

	l->pool = gofer_pool_new(nworkers > 0 ? nworkers : gofer_pool_size_for(ncpus()));
	l->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (!l->pool || l->wakefd < 0) {
		log_err("gofer: cannot start the worker pool");
		gofer_loop_free(l);
		return NULL;
	}
	l->ring = use_ring ? gofer_ring_new(RING_ENTRIES) : NULL;
	l->rbuf = xmalloc(P9_MAX_MSIZE);
	l->reply = xmalloc(P9_MAX_MSIZE);
	log_debug("gofer: %d workers, %s", gofer_pool_threads(l->pool),
		  l->ring ? "io_uring for host I/O" : "host I/O on the workers");
	return l;
}

void gofer_loop_free(struct gofer_loop *l)
{
	if (!l)
		return;
	gofer_pool_free(l->pool);
	gofer_ring_free(l->ring);
	if (l->wakefd >= 0)
		close(l->wakefd);
	free(l->rbuf);
	free(l->reply);
	free(l);
}

int gofer_loop_workers(const struct gofer_loop *l)
{
	return gofer_pool_threads(l->pool);
}

bool gofer_loop_has_ring(const struct gofer_loop *l)
{
	return l->ring != NULL;
}

/* Send one whole reply (with fd attached when donating). Under c->wlock. */
static int send_reply(struct conn *c, const uint8_t *buf, size_t len, int fd)
{
	ssize_t n = fd_send(c->sock, buf, len, &fd, fd >= 0 ? 1 : 0);

	while (n >= 0 && (size_t)n < len) {
		buf += n;
		len -= (size_t)n;
		n = fd_send(c->sock, buf, len, NULL, 0);
	}
	return n < 0 ? (int)n : 0;
}

static void send_rflush(struct conn *c, uint16_t tag)
{
	struct p9_fcall out = {.type = P9_RFLUSH, .tag = tag};
	uint8_t buf[P9_HDR_SIZE];

	if (p9_encode(buf, sizeof(buf), &out) == P9_HDR_SIZE)
		send_reply(c, buf, P9_HDR_SIZE, -1); /* a gone peer is seen by the loop */
}

static void job_free(struct job *j)
{
	fid_put(j->fid);
	free(j->flush_tags);
	free(j->rbuf);
	free(j->req);
	free(j);
}

/* Send j's reply (none if len == 0: cancelled) with fd attached (hold: the fid reference
 * keeping it open, or NULL), then the Rflush of every Tflush that waited for it, and
 * retire j. Any thread. The in-flight count drops last: once it is 0, gofer_loop_serve
 * may return and free c, and the caller may free the server, so nothing of j (its fid
 * references included) may outlive it. */
static void job_finish(struct job *j, const uint8_t *reply, size_t len, int fd,
		       struct gofer_fid *hold)
{
	struct conn *c = j->conn;
	int wakefd = c->loop->wakefd; /* the loop outlives its connections */

	pthread_mutex_lock(&c->wlock);
	if (len)
		send_reply(c, reply, len, fd);
	/* Off the list before the Rflushes go: a later Tflush for this tag then finds nothing
	 * and is answered at once, which the wlock orders after this reply. */
	pthread_mutex_lock(&c->lock);
	list_del(&j->link);
	pthread_mutex_unlock(&c->lock);
	for (int i = 0; i < j->nflush; i++)
		send_rflush(c, j->flush_tags[i]);
	pthread_mutex_unlock(&c->wlock);
	fid_put(hold);
	job_free(j);
	if (__atomic_fetch_sub(&c->ninflight, 1, __ATOMIC_RELEASE) == CONN_MAX_INFLIGHT &&
	    write(wakefd, &(uint64_t){1}, sizeof(uint64_t)) < 0)
		log_warn("gofer: cannot wake the loop: %d", -errno);
}

/* A worker runs a request. */
static void job_run(struct gofer_work *w, uint8_t *scratch, uint8_t *reply)
{
	struct job *j = list_entry(w, struct job, work);
	struct gofer_fid *hold = NULL;
	int fd = -1;
	ssize_t n = gofer_answer(j->conn->s, &j->in, j->decode_ret, reply, scratch, &fd, &hold);

	if (n < 0) {
		log_warn("9p: no reply to type %u tag %u: %zd", j->in.type, j->in.tag, n);
		n = 0;
	}
	job_finish(j, reply, (size_t)n, fd, hold);
}

/* Tflush: a request still queued for a worker is cancelled (never answered; its Rflush
 * goes now); one running or on the ring has its Rflush follow its reply; a tag not in
 * flight is answered at once. */
static void flush(struct gofer_loop *l, struct conn *c, uint16_t tag, uint16_t oldtag)
{
	struct list_head *pos;
	struct job *found = NULL;
	bool cancelled = false;

	pthread_mutex_lock(&c->lock); /* j stays in flight, so alive, while it is held */
	list_for_each(pos, &c->inflight)
	{
		struct job *j = list_entry(pos, struct job, link);

		if (j->in.tag == oldtag) {
			found = j;
			break;
		}
	}
	if (found) {
		found->flush_tags =
		    xrealloc(found->flush_tags, (size_t)(found->nflush + 1) * sizeof(uint16_t));
		found->flush_tags[found->nflush++] = tag;
		cancelled = gofer_pool_cancel(l->pool, &found->work);
	}
	pthread_mutex_unlock(&c->lock);
	if (cancelled) {
		job_finish(found, NULL, 0, -1, NULL); /* ours alone now: off the queue */
	} else if (!found) {
		pthread_mutex_lock(&c->wlock);
		send_rflush(c, tag);
		pthread_mutex_unlock(&c->wlock);
	}
}

/* Queue j's host I/O on the ring if it is a read, write or fsync of an open regular file
 * that passes the same checks as ops_io.c. false: let a worker do it. */
static bool ring_queue(struct gofer_loop *l, struct job *j)
{
	const struct p9_fcall *in = &j->in;
	struct gofer_server *s = j->conn->s;
	uint32_t msize = __atomic_load_n(&s->msize, __ATOMIC_RELAXED);
	int acc = in->type == P9_TREAD ? O_RDONLY : O_WRONLY;

	if (!l->ring || !gofer_ring_has_room(l->ring) || j->decode_ret ||
	    !__atomic_load_n(&s->versioned, __ATOMIC_ACQUIRE))
		return false;
	if (in->type == P9_TFSYNC) {
		j->fid = fid_get(s, in->tfsync.fid);
		if (!j->fid || fid_open_fd(j->fid, NULL) < 0 || !S_ISREG(j->fid->node->type))
			goto out_worker;
		/* Logged as server.c logs what workers serve (sync tests count these). */
		log_debug("9p: <- type %u tag %u (ring)", in->type, in->tag);
		gofer_ring_fsync(l->ring, j->fid->open_fd, in->tfsync.datasync, j);
		return true;
	}
	if ((in->type != P9_TREAD && in->type != P9_TWRITE) || in->io.offset > INT64_MAX ||
	    (in->type == P9_TWRITE && s->readonly) || gofer_io_fd(s, in->io.fid, acc, &j->fid))
		return false;
	if (!S_ISREG(j->fid->node->type))
		goto out_worker;
	if (in->type == P9_TWRITE) {
		gofer_ring_write(l->ring, j->fid->open_fd, in->io.data, in->io.count, in->io.offset,
				 j);
		return true;
	}
	j->rlen = MIN(in->io.count, msize - P9_READ_HDR);
	j->rbuf = xmalloc(P9_READ_HDR + j->rlen);
	gofer_ring_read(l->ring, j->fid->open_fd, j->rbuf + P9_READ_HDR, j->rlen, in->io.offset, j);
	return true;
out_worker:
	fid_put(j->fid);
	j->fid = NULL;
	return false;
}

/* A ring operation finished: its reply, as ops_io.c would have made it. */
static void ring_done(struct gofer_loop *l, struct job *j, int res)
{
	struct p9_fcall out = {.type = j->in.type + 1, .tag = j->in.tag};
	uint8_t small[64];
	uint8_t *buf = j->rbuf ? j->rbuf : small;
	size_t size = j->rbuf ? P9_READ_HDR + j->rlen : sizeof(small);
	ssize_t n;

	if (res == -EAGAIN) {
		/* io_uring honours the O_NONBLOCK the gofer opens files with, so it may say
		 * EAGAIN where pread(2) on a regular file waits for the disk: let a worker do
		 * it the blocking way. */
		j->work.fn = job_run;
		gofer_pool_submit(l->pool, &j->work);
		return;
	}
	if (res < 0) {
		out = (struct p9_fcall){.type = P9_RLERROR, .tag = j->in.tag};
		out.rlerror.ecode = (uint32_t)-res;
	} else if (out.type == P9_RREAD) {
		out.rdata.count = (uint32_t)res;
		out.rdata.data = j->rbuf + P9_READ_HDR;
	} else if (out.type == P9_RWRITE) {
		out.rwrite.count = (uint32_t)res;
	}
	n = p9_encode(buf, size, &out);
	if (n < 0) {
		log_warn("9p: cannot encode reply type %u: %zd", out.type, n);
		n = 0;
	}
	job_finish(j, buf, (size_t)n, -1, NULL);
}

static void ring_reap(struct gofer_loop *l)
{
	void *data;
	int res;

	while (l->ring && gofer_ring_reap(l->ring, &data, &res))
		ring_done(l, data, res);
}

/* Twalkgetattr of one name without a fid (a stat by name), answered here if it can be
 * without waiting (gofer_walkgetattr_prompt). */
static bool answer_walkgetattr_here(struct gofer_loop *l, struct job *j)
{
	struct p9_fcall out = {.type = P9_RWALKGETATTR, .tag = j->in.tag};
	int ret = gofer_walkgetattr_prompt(j->conn->s, &j->in, &out);
	ssize_t n;

	if (ret > 0)
		return false;
	if (ret < 0) {
		out = (struct p9_fcall){.type = P9_RLERROR, .tag = j->in.tag};
		out.rlerror.ecode = (uint32_t)-ret;
	}
	n = p9_encode(l->reply, P9_MAX_MSIZE, &out);
	job_finish(j, l->reply, n < 0 ? 0 : (size_t)n, -1, NULL);
	return true;
}

/* Tgetattr and Tstatfs of a file on a local filesystem, and a stat by name in a local
 * directory, finish promptly: the loop answers them itself, saving the hand-off to a
 * worker (a wake-up and a context switch each way, which on a busy host cost more than
 * the call). Anything that may wait (FUSE, NFS, opens, directory changes) still goes to
 * a worker. */
static bool answer_here(struct gofer_loop *l, struct job *j)
{
	struct gofer_server *s = j->conn->s;
	struct gofer_fid *f, *hold;
	bool local;
	ssize_t n;
	int fd;

	if (j->decode_ret || !__atomic_load_n(&s->versioned, __ATOMIC_ACQUIRE))
		return false;
	if (j->in.type == P9_TWALKGETATTR)
		return answer_walkgetattr_here(l, j);
	if (j->in.type != P9_TGETATTR && j->in.type != P9_TSTATFS)
		return false;
	f = fid_get(s, j->in.type == P9_TGETATTR ? j->in.tgetattr.fid : j->in.tfid.fid);
	local = f && f->node->local && !f->node->kernfs;
	fid_put(f);
	if (!local)
		return false;
	n = gofer_answer(s, &j->in, 0, l->reply, NULL, &fd, &hold);
	job_finish(j, l->reply, n < 0 ? 0 : (size_t)n, fd, hold);
	return true;
}

/* Take one framed request of len bytes at msg. */
static void take_request(struct gofer_loop *l, struct conn *c, const uint8_t *msg, size_t len)
{
	uint32_t msize = __atomic_load_n(&c->s->msize, __ATOMIC_RELAXED);
	struct job *j = xcalloc(1, sizeof(*j));

	j->conn = c;
	j->req = xmalloc(len);
	memcpy(j->req, msg, len);
	j->decode_ret = p9_decode(j->req, len, msize, &j->in);
	if (j->decode_ret == 0 && j->in.type == P9_TFLUSH &&
	    __atomic_load_n(&c->s->versioned, __ATOMIC_ACQUIRE)) {
		flush(l, c, j->in.tag, j->in.tflush.oldtag);
		job_free(j);
		return;
	}
	pthread_mutex_lock(&c->lock);
	list_add_tail(&j->link, &c->inflight);
	__atomic_add_fetch(&c->ninflight, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&c->lock);
	if (answer_here(l, j))
		return;
	if (!ring_queue(l, j)) {
		j->work.fn = job_run;
		gofer_pool_submit(l->pool, &j->work);
	}
}

/* A seqpacket connection: one request, one packet, into l->rbuf. */
static ssize_t recv_packet(struct gofer_loop *l, struct conn *c, uint32_t msize)
{
	uint32_t size;
	ssize_t n;

	do
		n = recv(c->sock, l->rbuf, P9_MAX_MSIZE, MSG_DONTWAIT | MSG_TRUNC);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return n == 0 ? 0 : -errno;
	if (n > P9_MAX_MSIZE || n < 4 || p9_frame_size(l->rbuf, msize, &size) ||
	    size != (size_t)n)
		return -EPROTO;
	return n;
}

/* A stream request of size bytes larger than the read-ahead: what is buffered, then the
 * rest, which the peer is writing and which follows promptly, into l->rbuf. */
static ssize_t recv_large(struct gofer_loop *l, struct conn *c, uint32_t size)
{
	size_t have = c->ihave - c->ioff;
	int ret;

	memcpy(l->rbuf, c->ibuf + c->ioff, have);
	c->ioff = c->ihave = 0;
	ret = read_all(c->sock, l->rbuf + have, size - have);
	return ret ? ret : (ssize_t)size;
}

/* Receive one request: its length with *msg pointing at it, -EAGAIN if no whole one is
 * waiting, 0 at EOF, or -errno (-EPROTO: framing lost, drop the connection). Called when
 * poll says the socket is readable, and again until -EAGAIN. */
static ssize_t recv_request(struct gofer_loop *l, struct conn *c, const uint8_t **msg)
{
	uint32_t size = 0, msize = __atomic_load_n(&c->s->msize, __ATOMIC_RELAXED);
	ssize_t n;

	if (c->seqpacket) {
		*msg = l->rbuf;
		return recv_packet(l, c, msize);
	}
	for (;;) {
		size_t have = c->ihave - c->ioff;

		if (have >= 4 && p9_frame_size(c->ibuf + c->ioff, msize, &size))
			return -EPROTO; /* no way to find the next message: drop the connection */
		if (have >= 4 && size <= have) {
			*msg = c->ibuf + c->ioff;
			c->ioff += size;
			return size;
		}
		if (have >= 4 && size > CONN_IBUF) {
			*msg = l->rbuf;
			return recv_large(l, c, size);
		}
		if (c->drained) {
			c->drained = false; /* poll says when more comes */
			return -EAGAIN;
		}
		memmove(c->ibuf, c->ibuf + c->ioff, have);
		c->ioff = 0;
		c->ihave = have;
		do
			n = recv(c->sock, c->ibuf + have, CONN_IBUF - have, MSG_DONTWAIT);
		while (n < 0 && errno == EINTR);
		if (n <= 0)
			return n == 0 ? 0 : -errno;
		c->ihave += (size_t)n;
		/* A short read emptied the socket: stop after what it brought. */
		c->drained = (size_t)n < CONN_IBUF - have;
	}
}

/* Read what c has waiting, up to CONN_BATCH requests or its in-flight limit. 0 while the
 * connection lasts, 1 when the peer hung up, or -errno. */
static int conn_read(struct gofer_loop *l, struct conn *c)
{
	for (int i = 0; i < CONN_BATCH; i++) {
		const uint8_t *msg = NULL;
		ssize_t n;

		if (inflight(c) >= CONN_MAX_INFLIGHT)
			return 0;
		n = recv_request(l, c, &msg);
		if (n == -EAGAIN)
			return 0;
		if (n == 0)
			return 1;
		if (n < 0) {
			if (n == -EPROTO)
				log_warn("9p: malformed request framing; closing the connection");
			return (int)n;
		}
		take_request(l, c, msg, (size_t)n);
	}
	return 0;
}

static bool is_seqpacket(int sock)
{
	int type = 0;
	socklen_t tlen = sizeof(type);

	return getsockopt(sock, SOL_SOCKET, SO_TYPE, &type, &tlen) == 0 && type == SOCK_SEQPACKET;
}

/* A stream connection with room has a whole request (or broken framing) read ahead:
 * read it without waiting for poll, which knows only the socket. */
static bool has_request(struct conn *c)
{
	size_t have = c->ihave - c->ioff;
	uint32_t size = 0, msize = __atomic_load_n(&c->s->msize, __ATOMIC_RELAXED);

	if (c->seqpacket || have < 4 || inflight(c) >= CONN_MAX_INFLIGHT)
		return false;
	return p9_frame_size(c->ibuf + c->ioff, msize, &size) || size <= have;
}

/* The poll set: wake fd, ring fd (or -1), then the live connections that have room.
 * Returns whether one has a request read ahead already (then poll must not wait). */
static bool poll_set(struct gofer_loop *l, struct conn *c, const bool *live, int n,
		     struct pollfd *p)
{
	bool ready = false;

	p[0] = (struct pollfd){.fd = l->wakefd, .events = POLLIN};
	p[1] = (struct pollfd){.fd = l->ring ? gofer_ring_fd(l->ring) : -1, .events = POLLIN};
	for (int i = 0; i < n; i++) {
		bool room = inflight(&c[i]) < CONN_MAX_INFLIGHT;

		/* A throttled connection is left out (even its hang-up): the wake fd says when
		 * it has room again. */
		p[2 + i] = (struct pollfd){.fd = live[i] && room ? c[i].sock : -1, .events = POLLIN};
		ready |= live[i] && has_request(&c[i]);
	}
	return ready;
}

/* Read every ready connection, then hand the batch's host I/O to the kernel at once.
 * Returns the root's error when it ended, 1 when it hung up, else 0. */
static int loop_round(struct gofer_loop *l, struct conn *c, bool *live, int n,
		      const struct pollfd *p)
{
	uint64_t v;
	int ret = 0;

	if ((p[0].revents & POLLIN) && read(l->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		log_warn("gofer: wake fd: %d", -errno);
	ring_reap(l);
	for (int i = 0; i < n; i++) {
		if (!live[i] || (!p[2 + i].revents && !has_request(&c[i])))
			continue;
		int r = conn_read(l, &c[i]);
		if (r == 0)
			continue;
		/* This connection is over; the others go on until the root's ends. */
		live[i] = false;
		if (i == 0)
			ret = r < 0 && r != -EPIPE && r != -ECONNRESET ? r : 1;
		else if (r < 0)
			log_warn("9p: bind mount connection %d ended with error %d", i, r);
	}
	if (l->ring && gofer_ring_submit(l->ring) < 0)
		log_warn("gofer: io_uring submit failed");
	return ret;
}

/* Wait for every request in flight on c to be answered. */
static void drain(struct gofer_loop *l, struct conn *c, int n)
{
	for (int i = 0; i < n; i++) {
		for (;;) {
			/* Acquire: pairs with job_finish's last step. */
			if (__atomic_load_n(&c[i].ninflight, __ATOMIC_ACQUIRE) == 0)
				break;
			if (l->ring && gofer_ring_busy(l->ring)) {
				struct pollfd p = {.fd = gofer_ring_fd(l->ring), .events = POLLIN};

				ppoll(&p, 1, NULL, NULL);
				ring_reap(l);
			} else {
				struct pollfd p = {.fd = l->wakefd, .events = POLLIN};
				struct timespec ts = {0, 1000000};

				ppoll(&p, 1, &ts, NULL); /* a worker finishing: check again */
			}
		}
	}
}

int gofer_loop_serve(struct gofer_loop *l, struct gofer_server **s, const int *socks, int n)
{
	struct conn *c = xcalloc((size_t)n, sizeof(*c));
	struct pollfd *p = xcalloc((size_t)n + 2, sizeof(*p));
	bool *live = xcalloc((size_t)n, sizeof(*live));
	int ret = 0;

	for (int i = 0; i < n; i++) {
		c[i] = (struct conn){.s = s[i], .loop = l, .sock = socks[i]};
		c[i].seqpacket = is_seqpacket(socks[i]);
		if (!c[i].seqpacket)
			c[i].ibuf = xmalloc(CONN_IBUF);
		pthread_mutex_init(&c[i].lock, NULL);
		pthread_mutex_init(&c[i].wlock, NULL);
		list_init(&c[i].inflight);
		live[i] = true;
	}
	while (ret == 0) {
		bool ready = poll_set(l, c, live, n, p);

		/* ppoll, not poll: after a freeze (runsc pause) poll resumes through
		 * restart_syscall, which the seccomp filter need not allow. */
		if (ppoll(p, (nfds_t)n + 2, ready ? &(struct timespec){0, 0} : NULL, NULL) < 0) {
			if (errno != EINTR)
				ret = -errno;
			continue;
		}
		ret = loop_round(l, c, live, n, p);
	}
	drain(l, c, n);
	for (int i = 0; i < n; i++) {
		pthread_mutex_destroy(&c[i].lock);
		pthread_mutex_destroy(&c[i].wlock);
		free(c[i].ibuf);
	}
	free(c);
	free(p);
	free(live);
	return ret == 1 ? 0 : ret;
}

int gofer_serve_many(struct gofer_server **s, const int *socks, int n)
{
	struct gofer_loop *l = gofer_loop_new(0, true);
	int ret;

	if (!l)
		return -ENOMEM;
	ret = gofer_loop_serve(l, s, socks, n);
	gofer_loop_free(l);
	return ret;
}

int gofer_serve(struct gofer_server *s, int sock)
{
	return gofer_serve_many(&s, &sock, 1);
}
