/* pmap.h: sparse map from page-aligned keys below 2^48 to memory-file offsets + 1. */
#ifndef RUNSC_SENTRY_MM_PMAP_H
#define RUNSC_SENTRY_MM_PMAP_H

#include <stdbool.h>
#include <stdint.h>

#define PMAP_KEY_LIMIT (1ULL << 48)

struct pmap_node;

struct pmap {
	struct pmap_node *root;
	uint64_t count; /* present entries (a tmpfs file's block count reads it) */
};

/* Called for each present entry: key and value (memory-file offset + 1). Non-zero stops
 * the walk and is returned. */
typedef int (*pmap_fn)(void *arg, uint64_t key, uint64_t val);

void pmap_init(struct pmap *pm);
/* 0 when absent. */
uint64_t pmap_get(const struct pmap *pm, uint64_t key);
/* Store val (0 removes). */
void pmap_set(struct pmap *pm, uint64_t key, uint64_t val);
/* Visit present entries with key in [start, end), in key order. */
int pmap_for_each(struct pmap *pm, uint64_t start, uint64_t end, pmap_fn fn, void *arg);
/* Remove entries in [start, end), calling fn on each before it goes. */
int pmap_clear(struct pmap *pm, uint64_t start, uint64_t end, pmap_fn fn, void *arg);
void pmap_destroy(struct pmap *pm, pmap_fn fn, void *arg);

#endif
