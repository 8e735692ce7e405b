/* pmap.c: a sparse 4-level radix map from page-aligned 48-bit keys (application addresses,
 * or offsets in a shared-memory object) to memory-file offsets. Empty subtrees cost
 * nothing, so huge reservations (PROT_NONE, brk probes) are free until touched. */
#include "sentry/mm/pmap.h"

#include <string.h>

#include "lib/util.h"

#define LEVELS 4
#define BITS 9
#define FANOUT (1 << BITS)
#define KEY_SHIFT(level) (12 + BITS * (LEVELS - 1 - (level)))

struct pmap_node {
	void *slot[FANOUT]; /* inner: child nodes; leaf (level 3): uint64_t entries */
	unsigned used;	    /* non-empty slots */
};

void pmap_init(struct pmap *pm)
{
	pm->root = NULL;
	pm->count = 0;
}

static unsigned idx(uint64_t key, int level)
{
	return (unsigned)(key >> KEY_SHIFT(level)) & (FANOUT - 1);
}

uint64_t pmap_get(const struct pmap *pm, uint64_t key)
{
	const struct pmap_node *n = pm->root;

	for (int level = 0; n && level < LEVELS - 1; level++)
		n = n->slot[idx(key, level)];
	return n ? (uint64_t)(uintptr_t)n->slot[idx(key, LEVELS - 1)] : 0;
}

void pmap_set(struct pmap *pm, uint64_t key, uint64_t val)
{
	struct pmap_node **np = &pm->root;

	for (int level = 0; level < LEVELS; level++) {
		if (!*np) {
			if (!val)
				return;
			*np = xcalloc(1, sizeof(struct pmap_node));
		}
		if (level == LEVELS - 1)
			break;
		struct pmap_node *n = *np;
		void **child = &n->slot[idx(key, level)];
		if (!*child && val)
			n->used++;
		np = (struct pmap_node **)child;
	}
	struct pmap_node *leaf = *np;
	void **s = &leaf->slot[idx(key, LEVELS - 1)];
	if (!*s && val) {
		leaf->used++;
		pm->count++;
	} else if (*s && !val) {
		leaf->used--;
		pm->count--;
	}
	*s = (void *)(uintptr_t)val;
}

/* Visit present entries of node n (covering keys from base) within [start, end), removing
 * them from clear when it is not NULL. */
static int walk(struct pmap_node *n, int level, uint64_t base, uint64_t start, uint64_t end,
		pmap_fn fn, void *arg, struct pmap *clear)
{
	uint64_t span = 1ULL << KEY_SHIFT(level), top = base + FANOUT * span;
	/* Only the slots that overlap [start, end): a fork or a fault-around looks at a
	 * few pages of a node, not at all 512 of its slots. */
	unsigned first = start > base ? (unsigned)((start - base) / span) : 0;
	unsigned last = end < top ? (unsigned)((end - 1 - base) / span) : FANOUT - 1;

	if (end <= base || start >= top)
		return 0;
	for (unsigned i = first; i <= last; i++) {
		uint64_t lo = base + i * span;
		if (!n->slot[i])
			continue;
		if (level == LEVELS - 1) {
			uint64_t val = (uint64_t)(uintptr_t)n->slot[i];
			if (clear) {
				n->slot[i] = NULL;
				n->used--;
				clear->count--;
			}
			int r = fn ? fn(arg, lo, val) : 0;
			if (r)
				return r;
			continue;
		}
		struct pmap_node *c = n->slot[i];
		int r = walk(c, level + 1, lo, start, end, fn, arg, clear);
		if (clear && c->used == 0) {
			free(c);
			n->slot[i] = NULL;
			n->used--;
		}
		if (r)
			return r;
	}
	return 0;
}

int pmap_for_each(struct pmap *pm, uint64_t start, uint64_t end, pmap_fn fn, void *arg)
{
	return pm->root ? walk(pm->root, 0, 0, start, end, fn, arg, NULL) : 0;
}

int pmap_clear(struct pmap *pm, uint64_t start, uint64_t end, pmap_fn fn, void *arg)
{
	if (!pm->root)
		return 0;
	int r = walk(pm->root, 0, 0, start, end, fn, arg, pm);
	if (pm->root->used == 0) {
		free(pm->root);
		pm->root = NULL;
	}
	return r;
}

void pmap_destroy(struct pmap *pm, pmap_fn fn, void *arg)
{
	pmap_clear(pm, 0, PMAP_KEY_LIMIT, fn, arg);
}
