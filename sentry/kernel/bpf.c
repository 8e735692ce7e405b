/* bpf.c: the classic BPF checker and interpreter behind seccomp filters. */
#include "sentry/kernel/bpf.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

#define OP(c, o, s) (BPF_##c | BPF_##o | BPF_##s)

/* Every opcode seccomp accepts, after BPF_LEN loads became immediates. */
static bool op_allowed(uint16_t code)
{
	switch (code) {
	case BPF_RET | BPF_K: case BPF_RET | BPF_A:
	case OP(ALU, ADD, K): case OP(ALU, ADD, X): case OP(ALU, SUB, K): case OP(ALU, SUB, X):
	case OP(ALU, MUL, K): case OP(ALU, MUL, X): case OP(ALU, DIV, K): case OP(ALU, DIV, X):
	case OP(ALU, AND, K): case OP(ALU, AND, X): case OP(ALU, OR, K): case OP(ALU, OR, X):
	case OP(ALU, XOR, K): case OP(ALU, XOR, X): case OP(ALU, LSH, K): case OP(ALU, LSH, X):
	case OP(ALU, RSH, K): case OP(ALU, RSH, X): case BPF_ALU | BPF_NEG:
	case BPF_LD | BPF_W | BPF_ABS: case BPF_LD | BPF_IMM: case BPF_LDX | BPF_IMM:
	case BPF_LD | BPF_W | BPF_LEN: case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_MISC | BPF_TAX: case BPF_MISC | BPF_TXA:
	case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM: case BPF_ST: case BPF_STX:
	case BPF_JMP | BPF_JA:
	case OP(JMP, JEQ, K): case OP(JMP, JEQ, X): case OP(JMP, JGE, K): case OP(JMP, JGE, X):
	case OP(JMP, JGT, K): case OP(JMP, JGT, X): case OP(JMP, JSET, K): case OP(JMP, JSET, X):
		return true;
	}
	return false;
}

static bool is_cond_jump(uint16_t code)
{
	return BPF_CLASS(code) == BPF_JMP && BPF_OP(code) != BPF_JA;
}

/* The constant operands and jump targets of instruction pc. */
static bool insn_ok(const struct sock_filter *f, size_t pc, size_t len)
{
	size_t left = len - pc - 1; /* instructions after this one */

	if (!op_allowed(f->code))
		return false;
	switch (f->code) {
	case BPF_LD | BPF_W | BPF_ABS:
		return f->k < BPF_SECCOMP_DATA_SIZE && !(f->k & 3);
	case OP(ALU, DIV, K):
		return f->k != 0;
	case OP(ALU, LSH, K): case OP(ALU, RSH, K):
		return f->k < 32;
	case BPF_LD | BPF_MEM: case BPF_LDX | BPF_MEM: case BPF_ST: case BPF_STX:
		return f->k < BPF_MEMWORDS;
	case BPF_JMP | BPF_JA:
		return f->k < left;
	}
	if (is_cond_jump(f->code))
		return f->jt < left && f->jf < left;
	return true;
}

/* Every scratch load must follow a store to that cell on every path reaching it. The
 * cells known stored on entry to each instruction are the intersection over the paths
 * (jumps only go forward, so one pass in order sees every predecessor first). */
static bool stores_before_loads(const struct sock_filter *prog, size_t len)
{
	uint16_t at[BPF_MAXINSNS], valid = 0;

	memset(at, 0xff, len * sizeof(at[0]));
	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &prog[pc];

		valid &= at[pc];
		if (f->code == BPF_ST || f->code == BPF_STX) {
			valid |= (uint16_t)(1u << f->k);
		} else if (f->code == (BPF_LD | BPF_MEM) || f->code == (BPF_LDX | BPF_MEM)) {
			if (!(valid & (1u << f->k)))
				return false;
		} else if (f->code == (BPF_JMP | BPF_JA)) {
			at[pc + 1 + f->k] &= valid;
			valid = 0xffff; /* nothing falls through */
		} else if (is_cond_jump(f->code)) {
			at[pc + 1 + f->jt] &= valid;
			at[pc + 1 + f->jf] &= valid;
			valid = 0xffff;
		}
	}
	return true;
}

int bpf_check_seccomp(const struct sock_filter *prog, size_t len)
{
	uint16_t last;

	if (!prog || len == 0 || len > BPF_MAXINSNS)
		return -EINVAL;
	for (size_t pc = 0; pc < len; pc++)
		if (!insn_ok(&prog[pc], pc, len))
			return -EINVAL;
	last = prog[len - 1].code;
	if (last != (BPF_RET | BPF_K) && last != (BPF_RET | BPF_A))
		return -EINVAL;
	return stores_before_loads(prog, len) ? 0 : -EINVAL;
}

static uint32_t alu(uint16_t op, uint32_t a, uint32_t v, bool *div0)
{
	switch (op) {
	case BPF_ADD: return a + v;
	case BPF_SUB: return a - v;
	case BPF_MUL: return a * v;
	case BPF_DIV:
		if (!v) {
			*div0 = true;
			return 0;
		}
		return a / v;
	case BPF_AND: return a & v;
	case BPF_OR: return a | v;
	case BPF_XOR: return a ^ v;
	case BPF_LSH: return v < 32 ? a << v : 0;
	case BPF_RSH: return v < 32 ? a >> v : 0;
	case BPF_NEG: return -a;
	}
	return a;
}

static bool jump_taken(uint16_t op, uint32_t a, uint32_t v)
{
	switch (op) {
	case BPF_JEQ: return a == v;
	case BPF_JGT: return a > v;
	case BPF_JGE: return a >= v;
	case BPF_JSET: return (a & v) != 0;
	}
	return false;
}

uint32_t bpf_run(const struct sock_filter *prog, size_t len, const void *data)
{
	uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {0};
	const uint8_t *bytes = data;

	for (size_t pc = 0; pc < len; pc++) {
		const struct sock_filter *f = &prog[pc];
		uint32_t v = (BPF_SRC(f->code) == BPF_X) ? x : f->k;
		bool div0 = false;

		switch (BPF_CLASS(f->code)) {
		case BPF_LD:
			if (BPF_MODE(f->code) == BPF_ABS)
				memcpy(&a, bytes + f->k, sizeof(a));
			else if (BPF_MODE(f->code) == BPF_MEM)
				a = mem[f->k];
			else if (BPF_MODE(f->code) == BPF_LEN)
				a = BPF_SECCOMP_DATA_SIZE;
			else
				a = f->k;
			break;
		case BPF_LDX:
			x = BPF_MODE(f->code) == BPF_MEM   ? mem[f->k]
			    : BPF_MODE(f->code) == BPF_LEN ? BPF_SECCOMP_DATA_SIZE
							   : f->k;
			break;
		case BPF_ST: mem[f->k] = a; break;
		case BPF_STX: mem[f->k] = x; break;
		case BPF_ALU:
			a = alu(BPF_OP(f->code), a, v, &div0);
			if (div0)
				return 0;
			break;
		case BPF_JMP:
			if (BPF_OP(f->code) == BPF_JA)
				pc += f->k;
			else
				pc += jump_taken(BPF_OP(f->code), a, v) ? f->jt : f->jf;
			break;
		case BPF_RET:
			return BPF_RVAL(f->code) == BPF_A ? a : f->k;
		case BPF_MISC:
			if (BPF_MISCOP(f->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		}
	}
	return 0; /* unreachable for a checked program: it ends with a return */
}
