/* p9_client_test.c: the 9P client against a scripted peer: errors, malformed replies,
 * wrong tags and types, stray fds and hang-ups give -errno and never crash; shutdown
 * ends the connection. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "gofer/p9/client.h"
#include "gofer_test_util.h"
#include "lib/util.h"

/* The scripted peer answers each request with reply(req, out) bytes; a negative return
 * hangs up. donate: fd to attach to the next reply. */
typedef ssize_t (*reply_fn)(const struct p9_fcall *req, uint8_t *out);

struct peer {
	pthread_t thread;
	int sock;
	reply_fn reply;
	int donate;
};

static uint8_t g_req[P9_MAX_MSIZE], g_out[P9_MAX_MSIZE];

static void *peer_main(void *arg)
{
	struct peer *p = arg;
	struct p9_fcall req;
	uint32_t size;

	for (;;) {
		if (read_all(p->sock, g_req, 4) || p9_frame_size(g_req, P9_MAX_MSIZE, &size) ||
		    read_all(p->sock, g_req + 4, size - 4))
			break;
		if (p9_decode(g_req, size, P9_MAX_MSIZE, &req))
			break;
		ssize_t n = p->reply(&req, g_out);
		if (n < 0)
			break;
		if (p->donate >= 0 && req.type != P9_TVERSION) {
			/* Take it before sending: once the reply is out, the test may set the
			 * next one. */
			int fd = p->donate;

			p->donate = -1;
			fd_send(p->sock, g_out, (size_t)n, &fd, 1);
			close(fd);
		} else if (write_all(p->sock, g_out, (size_t)n)) {
			break;
		}
	}
	close(p->sock);
	return NULL;
}

static ssize_t encode(struct p9_fcall *f, uint16_t tag, uint8_t *out)
{
	f->tag = tag;
	return p9_encode(out, P9_MAX_MSIZE, f);
}

/* Every peer answers Tversion properly; the scripts below differ after that. */
static ssize_t version_reply(const struct p9_fcall *req, uint8_t *out)
{
	struct p9_fcall f = {.type = P9_RVERSION};

	f.version.msize = req->version.msize;
	f.version.version = (struct p9_str){P9_VERSION_L, 8};
	return encode(&f, req->tag, out);
}

static struct p9_client *connect_peer(struct peer *p, reply_fn fn)
{
	struct p9_client *c;
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	p->sock = sv[1];
	p->reply = fn;
	p->donate = -1;
	assert_int_equal(pthread_create(&p->thread, NULL, peer_main, p), 0);
	assert_int_equal(p9c_connect(sv[0], 8192, &c), 0);
	return c;
}

static void finish(struct peer *p, struct p9_client *c)
{
	p9c_close(c);
	pthread_join(p->thread, NULL);
}

static ssize_t reply_lerror(const struct p9_fcall *req, uint8_t *out)
{
	struct p9_fcall f = {.type = P9_RLERROR};

	if (req->type == P9_TVERSION)
		return version_reply(req, out);
	f.rlerror.ecode = req->type == P9_TCLUNK ? 0 : req->type == P9_TSTATFS ? 5000 : EACCES;
	return encode(&f, req->tag, out);
}

static void test_rlerror_maps_to_errno(void **state)
{
	struct peer p;
	struct p9_client *c = connect_peer(&p, reply_lerror);
	struct p9_attr a;
	struct p9_statfs st;

	assert_int_equal(p9c_getattr(c, 1, P9_GETATTR_ALL, &a), -EACCES);
	assert_int_equal(p9c_statfs(c, 1, &st), -EIO); /* errno out of range */
	assert_int_equal(p9c_clunk(c, 1), -EIO);	/* errno 0 is not an error */
	finish(&p, c);
}

/* Replies that lie: wrong tag, wrong type, truncated bodies, oversized counts. */
static ssize_t reply_malformed(const struct p9_fcall *req, uint8_t *out)
{
	struct p9_fcall f = {0};
	ssize_t n;

	switch (req->type) {
	case P9_TVERSION:
		return version_reply(req, out);
	case P9_TGETATTR: /* wrong tag */
		f.type = P9_RGETATTR;
		return encode(&f, (uint16_t)(req->tag + 1), out);
	case P9_TSTATFS: /* wrong type */
		f.type = P9_RGETATTR;
		return encode(&f, req->tag, out);
	case P9_TREAD: /* more than asked */
		f.type = P9_RREAD;
		f.rdata.count = req->io.count + 1;
		f.rdata.data = g_req;
		return encode(&f, req->tag, out);
	case P9_TWRITE:
		f.type = P9_RWRITE;
		f.rwrite.count = req->io.count + 1;
		return encode(&f, req->tag, out);
	case P9_TWALK: /* more qids than names */
		f.type = P9_RWALK;
		f.rwalk.nwqid = (uint16_t)(req->twalk.nwname + 1);
		return encode(&f, req->tag, out);
	case P9_TREADDIR: { /* one good entry, then a truncated one */
		static uint8_t ents[128];
		struct p9_wbuf w;
		struct p9_dirent d = {.name = "good", .name_len = 4};

		p9_wbuf_init(&w, ents, sizeof(ents));
		p9_dirent_put(&w, &d);
		p9_dirent_put(&w, &d);
		f.type = P9_RREADDIR;
		f.rdata.count = (uint32_t)w.pos - 3;
		f.rdata.data = ents;
		return encode(&f, req->tag, out);
	}
	case P9_TCLUNK: /* a header whose size field is cut short of the body */
		f.type = P9_RCLUNK;
		n = encode(&f, req->tag, out);
		out[0] = 5;
		return n;
	default: /* truncated body with an honest size field */
		f.type = (uint8_t)(req->type + 1);
		n = encode(&f, req->tag, out);
		out[0] = 8, out[7] = 0;
		return n > 8 ? 8 : n;
	}
}

static int count_calls(void *arg, const struct p9_dirent *d)
{
	(*(int *)arg)++;
	return 0;
}

static void test_malformed_replies_are_eio(void **state)
{
	struct peer p;
	struct p9_client *c = connect_peer(&p, reply_malformed);
	struct p9_attr a;
	struct p9_statfs st;
	struct p9_qid qids[P9_MAXWELEM], qid;
	const char *names[] = {"a"};
	uint16_t nqid;
	char buf[64];
	int calls = 0;

	assert_int_equal(p9c_getattr(c, 1, P9_GETATTR_ALL, &a), -EIO);
	assert_int_equal(p9c_statfs(c, 1, &st), -EIO);
	assert_int_equal(p9c_read(c, 1, 0, buf, sizeof(buf)), -EIO);
	assert_int_equal(p9c_write(c, 1, 0, buf, sizeof(buf)), -EIO);
	assert_int_equal(p9c_walk(c, 1, 2, 1, names, qids, &nqid), -EIO);
	assert_int_equal(p9c_readdir(c, 1, 0, 4096, count_calls, &calls), -EIO);
	assert_int_equal(calls, 0); /* nothing delivered from a bad reply */
	assert_int_equal(p9c_attach(c, 1, "u", 0, "", &qid), -EIO);
	assert_int_equal(p9c_readlink(c, 1, buf, sizeof(buf)), -EIO);
	/* A lying size field on a stream loses the framing: the connection is done. */
	assert_int_equal(p9c_clunk(c, 1), -EIO);
	assert_int_equal(p9c_getattr(c, 1, P9_GETATTR_ALL, &a), -EPIPE);
	finish(&p, c);
}

static ssize_t reply_hangup(const struct p9_fcall *req, uint8_t *out)
{
	return req->type == P9_TVERSION ? version_reply(req, out) : -1;
}

static void test_hangup_is_epipe(void **state)
{
	struct peer p;
	struct p9_client *c = connect_peer(&p, reply_hangup);
	struct p9_attr a;

	assert_int_equal(p9c_getattr(c, 1, P9_GETATTR_ALL, &a), -EPIPE);
	assert_int_equal(p9c_getattr(c, 1, P9_GETATTR_ALL, &a), -EPIPE);
	finish(&p, c);
}

static ssize_t reply_bad_version(const struct p9_fcall *req, uint8_t *out)
{
	struct p9_fcall f = {.type = P9_RVERSION};

	f.version.msize = req->version.msize;
	f.version.version = (struct p9_str){"9P2000.u", 8};
	if (req->version.msize == 8192) {
		f.version.version.s = P9_VERSION_L;
		f.version.msize = 1u << 30; /* larger than asked: refused */
	}
	return encode(&f, req->tag, out);
}

static void test_version_negotiation_checked(void **state)
{
	struct peer p;
	struct p9_client *c;
	int sv[2];

	for (uint32_t msize = 8192; msize <= 16384; msize += 8192) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
		p.sock = sv[1];
		p.reply = reply_bad_version;
		p.donate = -1;
		assert_int_equal(pthread_create(&p.thread, NULL, peer_main, &p), 0);
		assert_int_equal(p9c_connect(sv[0], msize, &c),
				 msize == 8192 ? -EIO : -EPROTONOSUPPORT);
		assert_null(c);
		pthread_join(p.thread, NULL);
	}
}

static ssize_t reply_open_ok(const struct p9_fcall *req, uint8_t *out)
{
	struct p9_fcall f = {0};

	if (req->type == P9_TVERSION)
		return version_reply(req, out);
	f.type = (uint8_t)(req->type + 1);
	if (req->type == P9_TLOPEN)
		f.ropen.qid.type = P9_QTFILE;
	return encode(&f, req->tag, out);
}

/* A donated fd reaches p9c_lopen's caller; one attached to any other reply is closed. */
static void test_donated_fds_never_leak(void **state)
{
	/* Counted around the whole exchange: the peer thread closes its copy of a donated fd
	 * only after sending it, possibly after our call has returned. */
	int before = gt_count_fds(), hostfd = -1;
	struct peer p;
	struct p9_client *c = connect_peer(&p, reply_open_ok);
	struct p9_attr a;

	p.donate = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(p9c_lopen(c, 1, O_RDONLY, NULL, NULL, &hostfd), 0);
	assert_true(hostfd >= 0);
	close(hostfd);
	p.donate = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(p9c_lopen(c, 1, O_RDONLY, NULL, NULL, NULL), 0); /* not wanted */
	p.donate = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_int_equal(p9c_getattr(c, 1, P9_GETATTR_ALL, &a), 0); /* not expected */
	assert_int_equal(p9c_lopen(c, 1, O_RDONLY, NULL, NULL, &hostfd), 0);
	assert_int_equal(hostfd, -1);
	finish(&p, c);
	assert_int_equal(gt_count_fds(), before);
}

/* p9c_shutdown: every later call is -EPIPE, the socket is closed at once (no call in
 * flight), so the peer sees the end; p9c_close after it is still fine. */
static void test_shutdown_closes_the_connection(void **state)
{
	struct peer p;
	struct p9_client *c = connect_peer(&p, reply_lerror);
	struct p9_attr a;

	assert_int_equal(p9c_getattr(c, 1, P9_GETATTR_ALL, &a), -EACCES);
	p9c_shutdown(c);
	assert_int_equal(p9c_getattr(c, 1, P9_GETATTR_ALL, &a), -EPIPE);
	assert_int_equal(p9c_clunk(c, 1), -EPIPE);
	pthread_join(p.thread, NULL); /* the peer read EOF: our end is closed */
	p9c_close(c);
}

static void test_fid_allocator_reuses_clunked(void **state)
{
	struct peer p;
	struct p9_client *c = connect_peer(&p, reply_open_ok);
	uint32_t a = p9c_fid_alloc(c), b = p9c_fid_alloc(c);

	assert_int_not_equal(a, b);
	assert_int_not_equal(a, P9_NOFID);
	assert_int_equal(p9c_clunk(c, a), 0);
	assert_int_equal(p9c_fid_alloc(c), a);
	assert_int_not_equal(p9c_fid_alloc(c), b);
	finish(&p, c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rlerror_maps_to_errno),
		cmocka_unit_test(test_malformed_replies_are_eio),
		cmocka_unit_test(test_hangup_is_epipe),
		cmocka_unit_test(test_version_negotiation_checked),
		cmocka_unit_test(test_donated_fds_never_leak),
		cmocka_unit_test(test_fid_allocator_reuses_clunked),
		cmocka_unit_test(test_shutdown_closes_the_connection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
