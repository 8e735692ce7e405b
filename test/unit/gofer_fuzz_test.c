/* gofer_fuzz_test.c: the fuzz entry point of test/fuzz run on a few thousand random and
 * mutated messages with a fixed seed, so CI exercises it under gcc without libFuzzer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test/fuzz/p9_fuzz.h"

#define RUNS 4000

static uint64_t g_rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
	return gt_rand(&g_rng, n);
}

#define S(lit) ((struct p9_str){(lit), sizeof(lit) - 1})

/* A valid request of every kind the server handles, on the primed fids 0..2. */
static size_t seeds(struct p9_fcall *m)
{
	static const char data[] = "fuzz data";
	size_t n = 0;

	m[n++] = (struct p9_fcall){.type = P9_TWALK,
				   .twalk = {0, 3, 2, {S("dir"), S("sub.txt")}}};
	m[n++] = (struct p9_fcall){.type = P9_TWALK, .twalk = {0, 4, 2, {S(".."), S("escape")}}};
	m[n++] = (struct p9_fcall){.type = P9_TWALKGETATTR,
				   .twalk = {0, P9_NOFID, 1, {S("file.txt")}}};
	m[n++] = (struct p9_fcall){.type = P9_TWALKGETATTR,
				   .twalk = {0, 5, 3, {S("dir"), S(".."), S("link")}}};
	m[n++] = (struct p9_fcall){.type = P9_TGETATTR, .tgetattr = {1, P9_GETATTR_ALL}};
	m[n++] = (struct p9_fcall){.type = P9_TREAD, .io = {1, 0, 100, NULL}};
	m[n++] = (struct p9_fcall){.type = P9_TREADDIR, .io = {2, 0, 200, NULL}};
	m[n++] = (struct p9_fcall){.type = P9_TWRITE, .io = {1, 2, sizeof(data), data}};
	m[n++] = (struct p9_fcall){.type = P9_TREADLINK, .tfid = {0}};
	m[n++] = (struct p9_fcall){.type = P9_TSTATFS, .tfid = {0}};
	m[n++] = (struct p9_fcall){.type = P9_TCLUNK, .tfid = {1}};
	m[n++] = (struct p9_fcall){.type = P9_TFLUSH, .tflush = {1}};
	m[n++] = (struct p9_fcall){.type = P9_TLOPEN, .tlopen = {0, 2}};
	m[n++] = (struct p9_fcall){.type = P9_TLCREATE, .tlcreate = {0, S("c"), 2, 0644, 0}};
	m[n++] = (struct p9_fcall){.type = P9_TMKDIR, .tmkdir = {0, S("m"), 0755, 0}};
	m[n++] = (struct p9_fcall){.type = P9_TMKNOD, .tmknod = {0, S("p"), 010644, 0, 0, 0}};
	m[n++] = (struct p9_fcall){.type = P9_TSYMLINK, .tsymlink = {0, S("s"), S("../x"), 0}};
	m[n++] = (struct p9_fcall){.type = P9_TUNLINKAT, .tunlinkat = {0, S("file.txt"), 0}};
	m[n++] = (struct p9_fcall){.type = P9_TRENAMEAT,
				   .trenameat = {0, 0, S("link"), S("l2")}};
	m[n++] = (struct p9_fcall){.type = P9_TSETATTR,
				   .tsetattr = {1, {P9_SETATTR_SIZE | P9_SETATTR_MODE, 0600, 0, 0,
						    3}}};
	m[n++] = (struct p9_fcall){.type = P9_TFSYNC, .tfsync = {1, 1}};
	m[n++] = (struct p9_fcall){.type = P9_TATTACH, .tattach = {5, P9_NOFID, 0, S("u"), S("")}};
	m[n++] = (struct p9_fcall){.type = P9_TXATTRWALK, .txattrwalk = {1, 6, S("user.a")}};
	m[n++] = (struct p9_fcall){.type = P9_TXATTRWALK, .txattrwalk = {0, 7, S("")}};
	m[n++] = (struct p9_fcall){.type = P9_TREAD, .io = {7, 0, 100, NULL}};
	m[n++] = (struct p9_fcall){.type = P9_TXATTRCREATE,
				   .txattrcreate = {0, S("user.f"), 3, P9_XATTR_CREATE}};
	m[n++] = (struct p9_fcall){.type = P9_TXATTRCREATE,
				   .txattrcreate = {0, S("trusted.t"), 0, P9_XATTR_EMPTY}};
	m[n++] = (struct p9_fcall){.type = P9_TWRITE, .io = {0, 0, 3, "abc"}};
	m[n++] = (struct p9_fcall){.type = P9_TCLUNK, .tfid = {0}};
	m[n++] = (struct p9_fcall){.type = P9_TXATTRGET, .txattrget = {1, S("user.f"), 64}};
	m[n++] = (struct p9_fcall){.type = P9_TXATTRGET, .txattrget = {0, S(""), 0}};
	m[n++] = (struct p9_fcall){.type = P9_TXATTRSET,
				   .txattrset = {1, S("user.g"), 0, 3, "xyz"}};
	m[n++] = (struct p9_fcall){.type = P9_TXATTRSET,
				   .txattrset = {0, S("user.g"), P9_XATTR_REPLACE, 0, NULL}};
	m[n++] = (struct p9_fcall){.type = P9_TLOCK,
				   .tlock = {1, 0, {P9_LOCK_TYPE_WRLCK, 0, 10, 1}, S("c")}};
	m[n++] = (struct p9_fcall){.type = P9_TLOCK,
				   .tlock = {1, 1, {P9_LOCK_TYPE_UNLCK, 5, 0, 1}, S("")}};
	m[n++] = (struct p9_fcall){.type = P9_TGETLOCK,
				   .getlock = {1, {P9_LOCK_TYPE_RDLCK, 2, 3, 7}, S("c")}};
	m[n++] = (struct p9_fcall){.type = P9_TRENAME, .trename = {1, 0, S("r")}};
	m[n++] = (struct p9_fcall){.type = P9_TVERSION, .version = {8192, S("9P2000.L")}};
	return n;
}

static const uint8_t g_interesting[] = {0, 1, 2, 0x7f, 0x80, 0xff, 16, 17, '/', '.'};

/* Mutate msg[len] in place (cap bytes of room); returns the new length. */
static size_t mutate(uint8_t *msg, size_t len, size_t cap)
{
	int edits = 1 + (int)rnd(4);

	for (int i = 0; i < edits && len > 0; i++) {
		switch (rnd(5)) {
		case 0:
			msg[rnd((uint32_t)len)] ^= (uint8_t)(1u << rnd(8));
			break;
		case 1:
			msg[rnd((uint32_t)len)] = g_interesting[rnd(sizeof(g_interesting))];
			break;
		case 2:
			len = rnd((uint32_t)len + 1); /* truncate */
			break;
		case 3:
			while (len < cap && rnd(4))
				msg[len++] = (uint8_t)rnd(256); /* extend */
			break;
		default:
			if (len > P9_HDR_SIZE)
				msg[P9_HDR_SIZE + rnd((uint32_t)(len - P9_HDR_SIZE))] = 0xff;
		}
	}
	if (len >= 4 && rnd(2)) { /* keep the size field honest half of the time */
		msg[0] = (uint8_t)len, msg[1] = (uint8_t)(len >> 8);
		msg[2] = (uint8_t)(len >> 16), msg[3] = (uint8_t)(len >> 24);
	}
	return len;
}

static void test_fuzz_entry_mutated_and_random(void **state)
{
	struct p9_fcall m[48];
	size_t nseeds = seeds(m);
	static uint8_t input[8192];
	struct p9_fuzz fz;

	p9_fuzz_init(&fz);
	for (int run = 0; run < RUNS; run++) {
		size_t len = 1;

		input[0] = (uint8_t)rnd(256);
		if (run % 8 == 0) { /* pure noise */
			len += rnd(512);
			for (size_t i = 1; i < len; i++)
				input[i] = (uint8_t)rnd(256);
		} else { /* 1-4 seeds, each maybe mutated */
			for (int k = 1 + (int)rnd(4); k > 0; k--) {
				ssize_t n = p9_encode(input + len, 1024, &m[rnd((uint32_t)nseeds)]);

				assert_true(n > 0);
				if (rnd(3))
					n = (ssize_t)mutate(input + len, (size_t)n, 1024);
				len += (size_t)n;
			}
		}
		p9_fuzz_one(&fz, input, len);
	}
	p9_fuzz_check_outside(&fz);
	p9_fuzz_fini(&fz);
}

static void test_fuzz_entry_unmutated_seeds_work(void **state)
{
	struct p9_fcall m[48];
	size_t nseeds = seeds(m);
	static uint8_t input[4096];
	struct p9_fuzz fz;

	/* Sanity: valid sequences run through both modes without aborting. */
	p9_fuzz_init(&fz);
	for (int mode = 0; mode < 2; mode++) {
		size_t len = 1;

		input[0] = (uint8_t)mode;
		for (size_t i = 0; i < nseeds; i++) {
			ssize_t n = p9_encode(input + len, sizeof(input) - len, &m[i]);

			assert_true(n > 0);
			len += (size_t)n;
		}
		p9_fuzz_one(&fz, input, len);
	}
	p9_fuzz_check_outside(&fz);
	p9_fuzz_fini(&fz);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_entry_unmutated_seeds_work),
		cmocka_unit_test(test_fuzz_entry_mutated_and_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
