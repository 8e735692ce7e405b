/* gofer_conn_fuzz_test.c: the connection-loop fuzz entry of test/fuzz (conn_fuzz.h) run
 * under gcc without libFuzzer, on inputs made with a fixed seed: streams of valid and
 * mutated requests with duplicate tags, Tflushes of tags in flight and of unknown ones,
 * huge and tiny size fields, noise, split into writes of every size, over stream and
 * seqpacket sockets, read-only and read-write, with io_uring and without. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "lib/log.h"
#include "test/fuzz/conn_fuzz.h"

#define RUNS 1500
#define CONN_INPUT_MAX (64 * 1024)

static uint64_t g_rng = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(uint32_t n)
{
	return gt_rand(&g_rng, n);
}

#define S(lit) ((struct p9_str){(lit), sizeof(lit) - 1})

/* One request on the primed fids 0..2 (and fids 3..5 the stream may make). */
static struct p9_fcall request(void)
{
	static const char data[] = "conn fuzz data";
	uint32_t fid = rnd(6), newfid = rnd(4) ? 3 + rnd(3) : P9_NOFID;
	struct p9_fcall m = {.tag = (uint16_t)rnd(8)}; /* few tags: duplicates in flight */

	switch (rnd(14)) {
	case 0:
		m.type = P9_TWALK, m.twalk = (typeof(m.twalk)){fid, newfid, 2, {S("dir"), S("sub.txt")}};
		break;
	case 1:
		m.type = P9_TWALKGETATTR;
		m.twalk = (typeof(m.twalk)){0, newfid, 1, {rnd(2) ? S("file.txt") : S("missing")}};
		break;
	case 2:
		m.type = P9_TGETATTR, m.tgetattr = (typeof(m.tgetattr)){fid, P9_GETATTR_ALL};
		break;
	case 3:
		m.type = P9_TREAD, m.io = (typeof(m.io)){fid, rnd(16), rnd(2) ? 64 : 1u << 20, NULL};
		break;
	case 4:
		m.type = P9_TWRITE, m.io = (typeof(m.io)){fid, rnd(32), sizeof(data), data};
		break;
	case 5:
		m.type = P9_TREADDIR, m.io = (typeof(m.io)){2, 0, 200 + rnd(4000), NULL};
		break;
	case 6:
	case 7: /* Tflush of a tag that may be in flight, or of one that never was */
		m.type = P9_TFLUSH, m.tflush.oldtag = (uint16_t)(rnd(2) ? rnd(8) : 100 + rnd(100));
		break;
	case 8:
		m.type = P9_TCLUNK, m.tfid.fid = fid;
		break;
	case 9:
		m.type = P9_TLOPEN, m.tlopen = (typeof(m.tlopen)){fid, rnd(2) ? O_RDONLY : O_RDWR};
		break;
	case 10:
		m.type = P9_TFSYNC, m.tfsync = (typeof(m.tfsync)){1, rnd(2)};
		break;
	case 11:
		m.type = P9_TLCREATE, m.tlcreate = (typeof(m.tlcreate)){fid, S("c"), 2, 0644, 0};
		break;
	case 12:
		m.type = P9_TSTATFS, m.tfid.fid = fid;
		break;
	default:
		m.type = P9_TVERSION, m.tag = P9_NOTAG;
		m.version = (typeof(m.version)){rnd(2) ? 8192 : P9_MAX_MSIZE, S("9P2000.L")};
	}
	return m;
}

/* Append one message, maybe broken, at in[len]; returns the new length. */
static size_t add_message(uint8_t *in, size_t len)
{
	struct p9_fcall m = request();
	ssize_t n = p9_encode(in + len, CONN_INPUT_MAX - len, &m);

	assert_true(n > 0);
	switch (rnd(24)) {
	case 0: /* a huge size field: the loop drops the connection */
		in[len + 3] = 0xff;
		break;
	case 1: /* a size field under the header */
		in[len] = (uint8_t)rnd(P9_HDR_SIZE), in[len + 1] = in[len + 2] = in[len + 3] = 0;
		break;
	case 2: /* a byte flipped in the body */
		in[len + rnd((uint32_t)n)] ^= 0x40;
		break;
	case 3: /* an unknown type */
		in[len + 4] = (uint8_t)(130 + 2 * rnd(60));
		break;
	case 4: /* noise with an honest size field */
		n = P9_HDR_SIZE + rnd(64);
		for (ssize_t i = 4; i < n; i++)
			in[len + (size_t)i] = (uint8_t)rnd(256);
		in[len] = (uint8_t)n, in[len + 1] = in[len + 2] = in[len + 3] = 0;
		break;
	}
	return len + (size_t)n;
}

static size_t make_input(uint8_t *in)
{
	size_t len = 2;
	int count = 1 + (int)rnd(rnd(4) ? 12 : 60); /* sometimes past the in-flight limit */

	in[0] = (uint8_t)rnd(8); /* CF_RW | CF_SEQPACKET | CF_RING */
	in[1] = (uint8_t)rnd(256);
	for (int i = 0; i < count && len < CONN_INPUT_MAX - 512; i++)
		len = add_message(in, len);
	if (rnd(8) == 0)
		len -= rnd((uint32_t)(len - 2)); /* cut short, maybe mid-message */
	return len;
}

static void test_conn_fuzz_generated(void **state)
{
	static uint8_t input[CONN_INPUT_MAX];
	struct conn_fuzz cf;

	cf_init(&cf, true);
	for (int run = 0; run < RUNS; run++)
		cf_one(&cf, input, make_input(input));
	cf_fini(&cf);
}

/* Messages split byte by byte, and many requests behind one that waits for a worker. */
static void test_conn_fuzz_split_and_flush(void **state)
{
	static uint8_t input[CONN_INPUT_MAX];
	struct conn_fuzz cf;
	size_t len = 2;

	cf_init(&cf, true);
	for (int i = 0; i < 40; i++) {
		struct p9_fcall m = {.type = P9_TREAD, .tag = (uint16_t)i};
		ssize_t n;

		m.io = (typeof(m.io)){1, 0, 4096, NULL};
		if (i % 2)
			m = (struct p9_fcall){.type = P9_TFLUSH, .tag = (uint16_t)(100 + i),
					      .tflush.oldtag = (uint16_t)(i - 1)};
		n = p9_encode(input + len, sizeof(input) - len, &m);
		assert_true(n > 0);
		len += (size_t)n;
	}
	for (int flags = 0; flags < 8; flags++) {
		input[0] = (uint8_t)flags;
		input[1] = 0; /* write sizes vary from one byte up */
		cf_one(&cf, input, len);
	}
	cf_fini(&cf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_conn_fuzz_split_and_flush),
		cmocka_unit_test(test_conn_fuzz_generated),
	};

	log_set_level(LOG_ERR); /* malformed input is the point: keep warnings quiet */
	return cmocka_run_group_tests(tests, NULL, NULL);
}
