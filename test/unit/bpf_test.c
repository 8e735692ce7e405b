/* bpf_test.c: the seccomp BPF checker and interpreter: programs Linux accepts run to the
 * values Linux computes (loads, ALU, jumps, scratch memory, return A), programs Linux
 * refuses are refused, and the fuzz entry point on random and mutated programs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <linux/bpf_common.h>
#include <linux/seccomp.h>

#include "test/fuzz/bpf_fuzz.h"

#define NR(off) offsetof(struct seccomp_data, off)

static struct seccomp_data g_data = {.nr = 39, .arch = 0xc000003e,
				     .args = {0x100000002ULL, 7, 0, 0, 0, 0xffffffffULL}};

static uint32_t run(const struct sock_filter *p, size_t n)
{
	assert_int_equal(bpf_check_seccomp(p, n), 0);
	return bpf_run(p, n, &g_data);
}

static void test_loads_and_alu(void **state)
{
	const struct sock_filter p[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR(args[0]) + 4), /* high word: 1 */
		BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 4),		     /* 16 */
		BPF_STMT(BPF_LDX | BPF_IMM, 3),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_X, 0),		     /* 48 */
		BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 6),		     /* 42 */
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 2),		     /* 21 */
		BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, 1),		     /* 20 */
		BPF_STMT(BPF_ALU | BPF_OR | BPF_K, 0x100),	     /* 0x114 */
		BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff),	     /* 0x14 */
		BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 2),		     /* 5 */
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	const struct sock_filter neg[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
		BPF_STMT(BPF_ALU | BPF_NEG, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	const struct sock_filter divx0[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 9),
		BPF_STMT(BPF_LDX | BPF_IMM, 0),
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};

	assert_int_equal(run(p, 12), 5);
	assert_int_equal(run(neg, 3), (uint32_t)-64);
	assert_int_equal(run(divx0, 4), 0); /* as Linux: the program returns 0 (KILL) */
}

static void test_jumps_and_memory(void **state)
{
	const struct sock_filter p[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR(nr)),	 /* 0: A = 39 */
		BPF_STMT(BPF_ST, 15),				 /* 1 */
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 39, 0, 11),	 /* 2: else 14 */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, NR(args[1])), /* 3: A = 7 */
		BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 6, 0, 9),	 /* 4: else 14 */
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 4, 1, 0),	 /* 5: to 7 */
		BPF_STMT(BPF_JMP | BPF_JA, 7),			 /* 6: to 14 */
		BPF_STMT(BPF_LDX | BPF_IMM, 39),		 /* 7 */
		BPF_STMT(BPF_LD | BPF_MEM, 15),			 /* 8: A = 39 */
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 1),	 /* 9 */
		BPF_STMT(BPF_MISC | BPF_TAX, 0),		 /* 10 */
		BPF_STMT(BPF_MISC | BPF_TXA, 0),		 /* 11 */
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1000),	 /* 12 */
		BPF_STMT(BPF_RET | BPF_A, 0),			 /* 13 */
		BPF_STMT(BPF_RET | BPF_K, 1),			 /* 14 */
	};
	/* Linux's check is by position: a cell stored only on a path that returned before
	 * does not count, even where that path cannot fall through. */
	const struct sock_filter refused[] = {
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2), /* to 1 or 3 */
		BPF_STMT(BPF_ST, 1),
		BPF_STMT(BPF_JMP | BPF_JA, 1),		      /* to 4, cell 1 stored */
		BPF_STMT(BPF_RET | BPF_K, 0),		      /* entered without cell 1 */
		BPF_STMT(BPF_LD | BPF_MEM, 1),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};

	assert_int_equal(run(p, 15), 1039);
	g_data.nr = 1;
	assert_int_equal(run(p, 15), 1);
	g_data.nr = 39;
	assert_int_equal(bpf_check_seccomp(refused, 6), -EINVAL);
}

static void test_refused(void **state)
{
	const struct sock_filter ok = BPF_STMT(BPF_RET | BPF_K, 0);
	const struct sock_filter bad[][2] = {
		{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 64), ok},
		{BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 1), ok},
		{BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 0), ok},
		{BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 0), ok},
		{BPF_STMT(BPF_LDX | BPF_MEM, 2), ok},
		{BPF_STMT(BPF_STX, 16), ok},
		{BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), ok},
		{BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 40), ok},
		{BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1), ok},
		{BPF_STMT(BPF_JMP | BPF_JA, 0xffffffff), ok},
		{ok, BPF_STMT(BPF_MISC | BPF_TAX, 0)},
		{BPF_STMT(0xffff, 0), ok},
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(bpf_check_seccomp(bad[i], 2), -EINVAL);
	assert_int_equal(bpf_check_seccomp(&ok, 0), -EINVAL);
	assert_int_equal(bpf_check_seccomp(NULL, 1), -EINVAL);
	assert_int_equal(bpf_check_seccomp(&ok, BPF_MAXINSNS + 1), -EINVAL);
	assert_int_equal(bpf_check_seccomp(&ok, 1), 0);
}

static uint64_t g_rng = 0x2545f4914f6cdd1dULL;

static uint32_t rnd(void)
{
	g_rng ^= g_rng << 13;
	g_rng ^= g_rng >> 7;
	g_rng ^= g_rng << 17;
	return (uint32_t)g_rng;
}

/* Random programs built mostly from allowed opcodes with small jumps, so that some pass
 * the checker and run; the rest exercise the refusals. */
static void test_fuzz_entry(void **state)
{
	static const uint16_t codes[] = {
		BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_IMM, BPF_LDX | BPF_IMM, BPF_ST, BPF_STX,
		BPF_LD | BPF_MEM, BPF_LDX | BPF_MEM, BPF_ALU | BPF_ADD | BPF_X,
		BPF_ALU | BPF_DIV | BPF_X, BPF_ALU | BPF_LSH | BPF_X, BPF_JMP | BPF_JA,
		BPF_JMP | BPF_JEQ | BPF_K, BPF_JMP | BPF_JSET | BPF_X, BPF_MISC | BPF_TAX,
		BPF_RET | BPF_A, BPF_RET | BPF_K};
	uint8_t buf[64 + 32 * sizeof(struct sock_filter)];
	int accepted = 0;

	for (int run_i = 0; run_i < 20000; run_i++) {
		size_t n = 1 + rnd() % 32;
		struct sock_filter *p = (struct sock_filter *)(buf + 64);

		for (size_t i = 0; i < 64; i++)
			buf[i] = (uint8_t)rnd();
		for (size_t i = 0; i < n; i++) {
			p[i].code = (rnd() % 8) ? codes[rnd() % 16] : (uint16_t)rnd();
			p[i].jt = (uint8_t)(rnd() % 4);
			p[i].jf = (uint8_t)(rnd() % 4);
			p[i].k = (rnd() % 4) ? (rnd() % 16) * 4 % 64 : rnd();
		}
		p[n - 1].code = BPF_RET | BPF_A;
		accepted += bpf_check_seccomp(p, n) == 0;
		bpf_fuzz_one(buf, 64 + n * sizeof(*p));
	}
	assert_true(accepted > 100); /* the run really reached the interpreter */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_loads_and_alu),
		cmocka_unit_test(test_jumps_and_memory),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_fuzz_entry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
