/* ptrace_extent.c: batches of address-space ops to inject into a stub. */
#include "platform/ptrace/ptrace_internal.h"

#include <string.h>

#include "lib/util.h"

/* Whether op b continues op a: one host call can do both. */
static bool op_extends(const struct ptrace_op *a, const struct ptrace_op *b)
{
	return a->kind == b->kind && a->prot == b->prot && a->addr + a->size == b->addr &&
	       (a->kind != PTRACE_OP_MAP || a->off + a->size == b->off);
}

void ptrace_ops_push(struct ptrace_ops *b, enum ptrace_op_kind kind, uint64_t addr,
		     uint64_t size, uint64_t off, int prot)
{
	struct ptrace_op op = { .kind = kind, .prot = prot, .addr = addr, .size = size,
				.off = off };

	if (b->n && op_extends(&b->v[b->n - 1], &op)) {
		b->v[b->n - 1].size += size;
		return;
	}
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 8;
		b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
	}
	b->v[b->n++] = op;
}

void ptrace_ops_free(struct ptrace_ops *b)
{
	free(b->v);
	b->v = NULL;
	b->n = b->cap = 0;
}
