/* conn_fuzz.h: one fuzz input against the gofer's concurrent connection loop (gofer/conn.c
 * and its worker pool): the bytes go through a socketpair to the real loop, split into
 * writes as the input says, while a client thread reads every reply. Shared by the
 * libFuzzer target (gofer_conn_fuzz.c) and the cmocka run under gcc
 * (test/unit/gofer_conn_fuzz_test.c). Aborts when an invariant breaks: a reply that is
 * not a well-formed R-message, more replies than requests, a loop that does not finish
 * once the client hung up (alarm), or an fd still open after the server is freed (a fid,
 * node or donated fd leaked). */
#ifndef RUNSC_TEST_FUZZ_CONN_FUZZ_H
#define RUNSC_TEST_FUZZ_CONN_FUZZ_H

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include "gofer/p9/p9.h"
#include "gofer/server.h"
#include "lib/util.h"
#include "test/unit/gofer_test_util.h"

#define CF_HANG_SECONDS 30 /* a run longer than this is a hang */

/* Input layout: byte 0 flags, byte 1 the write-size seed, then the byte stream. */
#define CF_RW 0x01	  /* a read-write server (else read-only) */
#define CF_SEQPACKET 0x02 /* SOCK_SEQPACKET: one message a packet (else a stream) */
#define CF_RING 0x04	  /* the loop with io_uring (else host I/O on the workers) */

struct conn_fuzz {
	struct gofer_tree tree;
	int rootfd;
	struct gofer_loop *loop[2]; /* [0] without io_uring, [1] with it */
	bool alarm;		    /* catch hangs with alarm(2) (libFuzzer has -timeout) */
	unsigned long runs;
	uint8_t *rbuf; /* the client's reassembly buffer */
};

/* The client side of one run. */
struct cf_client {
	struct conn_fuzz *cf;
	int sock;
	bool seqpacket, rw;
	const uint8_t *data;
	size_t size;
	uint32_t rng; /* write sizes */
	size_t have;  /* stream bytes in cf->rbuf not yet a whole reply */
	size_t replies;
	const char *bad; /* the broken invariant, or NULL */
};

#define CF_RBUF_SIZE (2 * P9_MAX_MSIZE)

static inline void cf_tree(struct conn_fuzz *cf)
{
	gt_make(&cf->tree);
	cf->rootfd = open(cf->tree.root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (cf->rootfd < 0)
		abort();
}

static void cf_alarm(int sig)
{
	static const char msg[] = "conn_fuzz: the connection loop hangs\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	abort();
}

static inline void cf_init(struct conn_fuzz *cf, bool use_alarm)
{
	memset(cf, 0, sizeof(*cf));
	cf->alarm = use_alarm;
	if (use_alarm)
		signal(SIGALRM, cf_alarm);
	cf_tree(cf);
	cf->loop[0] = gofer_loop_new(4, false);
	cf->loop[1] = gofer_loop_new(4, true);
	cf->rbuf = malloc(CF_RBUF_SIZE);
	if (!cf->loop[0] || !cf->loop[1] || !cf->rbuf)
		abort();
}

static inline void cf_fini(struct conn_fuzz *cf)
{
	gofer_loop_free(cf->loop[0]);
	gofer_loop_free(cf->loop[1]);
	close(cf->rootfd);
	gt_destroy(&cf->tree);
	free(cf->rbuf);
}

static inline uint32_t cf_rand(struct cf_client *c)
{
	c->rng ^= c->rng << 13;
	c->rng ^= c->rng >> 17;
	c->rng ^= c->rng << 5;
	return c->rng;
}

static inline uint32_t cf_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The length of the next packet of a seqpacket run, as p9_fuzz.h splits its input: the
 * size field when it fits, else the rest. */
static inline size_t cf_packet(const uint8_t *p, size_t left)
{
	uint32_t len = left >= 4 ? cf_le32(p) : (uint32_t)left;

	return len < 4 || len > left ? left : len;
}

/* Messages the stream holds: at most this many requests reach the loop. */
static inline size_t cf_frames(const uint8_t *p, size_t left, bool seqpacket)
{
	size_t n = 0;

	while (left > 0) {
		size_t len = cf_packet(p, left);

		if (!seqpacket && (left < 4 || len < P9_HDR_SIZE || cf_le32(p) != len))
			break; /* the loop drops the connection here, or waits for more */
		n++;
		p += len, left -= len;
	}
	return n;
}

static inline void cf_check_reply(struct cf_client *c, const uint8_t *msg, size_t len)
{
	struct p9_fcall f;

	c->replies++;
	if (p9_decode(msg, len, P9_MAX_MSIZE, &f) || p9_is_request(f.type))
		c->bad = "a reply that is not a well-formed R-message";
}

/* Read what is waiting: 0, or 1 at EOF. */
static inline int cf_read(struct cf_client *c)
{
	uint8_t *buf = c->cf->rbuf;
	ssize_t n = fd_recv(c->sock, buf + c->have, CF_RBUF_SIZE - c->have, NULL, NULL);

	if (n == -EAGAIN)
		return 0;
	if (n <= 0)
		return 1; /* EOF, or the loop dropped the connection */
	if (c->seqpacket) {
		cf_check_reply(c, buf, (size_t)n);
		return 0;
	}
	c->have += (size_t)n;
	while (c->have >= 4) {
		uint32_t len = cf_le32(buf);

		if (len < P9_HDR_SIZE || len > P9_MAX_MSIZE) {
			c->bad = "a reply with a broken size field";
			return 1;
		}
		if (len > c->have)
			break;
		cf_check_reply(c, buf, len);
		memmove(buf, buf + len, c->have - len);
		c->have -= len;
	}
	return 0;
}

/* Send one message whole and wait for its reply (the setup before the input). */
static inline void cf_call(struct cf_client *c, const struct p9_fcall *m)
{
	uint8_t buf[256];
	ssize_t n = p9_encode(buf, sizeof(buf), m);
	size_t before = c->replies;

	if (n < 0 || fd_send(c->sock, buf, (size_t)n, NULL, 0) != n)
		abort();
	while (c->replies == before && !c->bad) {
		struct pollfd p = {.fd = c->sock, .events = POLLIN};

		if (poll(&p, 1, -1) < 0 || cf_read(c))
			abort();
	}
}

/* Fids 0 (root), 1 (file.txt, open), 2 (root, open for readdir), as p9_fuzz.h has them. */
static inline void cf_prime(struct cf_client *c, bool rw)
{
	struct p9_fcall m[] = {
		{.type = P9_TVERSION, .tag = P9_NOTAG,
		 .version = {P9_MAX_MSIZE, {P9_VERSION_L, 8}}},
		{.type = P9_TATTACH, .tattach = {.fid = 0, .afid = P9_NOFID}},
		{.type = P9_TWALK, .twalk = {.fid = 0, .newfid = 1, .nwname = 1}},
		{.type = P9_TLOPEN, .tlopen = {.fid = 1, .flags = rw ? O_RDWR : O_RDONLY}},
		{.type = P9_TWALK, .twalk = {.fid = 0, .newfid = 2}},
		{.type = P9_TLOPEN, .tlopen = {.fid = 2, .flags = O_RDONLY | O_DIRECTORY}},
	};

	m[2].twalk.wnames[0] = (struct p9_str){"file.txt", 8};
	for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		cf_call(c, &m[i]);
}

/* The next write: a packet, or a stream slice of a size the seed picks (1 byte to 64 KiB,
 * so messages arrive split anywhere and several at once). */
static inline size_t cf_next_write(struct cf_client *c, size_t left)
{
	static const uint32_t sizes[] = {1, 2, 3, 4, 5, 7, 11, 16, 23, 64, 100, 512, 4096, 65536};

	size_t size = sizes[cf_rand(c) % (sizeof(sizes) / sizeof(sizes[0]))];

	if (c->seqpacket)
		return cf_packet(c->data, left);
	return MIN(left, size);
}

/* Write the input while reading replies (the loop blocks on a full socket otherwise),
 * then hang up the writing side and read until the loop is done. */
static void *cf_client_main(void *arg)
{
	struct cf_client *c = arg;
	bool writing = true;

	cf_prime(c, c->rw);
	while (!c->bad) {
		struct pollfd p = {.fd = c->sock, .events = POLLIN | (writing ? POLLOUT : 0)};

		if (writing && c->size == 0) {
			shutdown(c->sock, SHUT_WR);
			writing = false;
			continue;
		}
		if (poll(&p, 1, -1) < 0)
			abort();
		if ((p.revents & POLLIN) && cf_read(c))
			break;
		if (writing && (p.revents & (POLLOUT | POLLERR | POLLHUP))) {
			size_t len = cf_next_write(c, c->size);
			ssize_t n = send(c->sock, c->data, len, MSG_NOSIGNAL | MSG_DONTWAIT);

			if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
				c->size = 0; /* the loop dropped the connection */
			} else if (n > 0) {
				c->data += n;
				c->size -= (size_t)n;
			}
		}
	}
	return NULL;
}

static inline void cf_one(struct conn_fuzz *cf, const uint8_t *data, size_t size)
{
	struct cf_client c = {.cf = cf};
	struct gofer_server *s;
	pthread_t client;
	int sv[2], fds = gt_count_fds();
	size_t frames;
	uint8_t flags;

	if (size < 2)
		return;
	flags = data[0];
	c.rng = 0x9e3779b9u ^ data[1];
	c.data = data + 2;
	c.size = size - 2;
	c.seqpacket = flags & CF_SEQPACKET;
	c.rw = flags & CF_RW;
	frames = cf_frames(c.data, c.size, c.seqpacket);
	if (socketpair(AF_UNIX, (c.seqpacket ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_CLOEXEC, 0,
		       sv))
		abort();
	c.sock = sv[0];
	if (gofer_server_new(cf->rootfd, !(flags & CF_RW), &s))
		abort();
	if (cf->alarm)
		alarm(CF_HANG_SECONDS);
	if (pthread_create(&client, NULL, cf_client_main, &c))
		abort();
	gofer_loop_serve(cf->loop[(flags & CF_RING) ? 1 : 0], &s, &sv[1], 1);
	close(sv[1]);
	pthread_join(client, NULL);
	if (cf->alarm)
		alarm(0);
	close(sv[0]);
	gofer_server_free(s);
	if (c.bad) {
		fprintf(stderr, "conn_fuzz: %s\n", c.bad);
		abort();
	}
	if (c.replies > frames + 6) {
		fprintf(stderr, "conn_fuzz: %zu replies to %zu requests; input:", c.replies,
			frames + 6);
		for (size_t i = 0; i < size; i++)
			fprintf(stderr, " %02x", data[i]);
		fprintf(stderr, "\n");
		abort();
	}
	if (gt_count_fds() != fds) {
		fprintf(stderr, "conn_fuzz: %d fds open, %d before\n", gt_count_fds(), fds);
		abort();
	}
	if ((flags & CF_RW) && ++cf->runs % 256 == 0) {
		/* Start again from a fresh tree so what the inputs made does not pile up. */
		close(cf->rootfd);
		gt_destroy(&cf->tree);
		cf_tree(cf);
	}
}

#endif
