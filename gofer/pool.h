/* pool.h: the gofer's bounded worker pool. A few threads take work items in FIFO order, so
 * one slow host call (a large read, an fsync on a slow disk) holds one worker, not the
 * connection. Used by conn.c; no 9P knowledge here. */
#ifndef RUNSC_GOFER_POOL_H
#define RUNSC_GOFER_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/list.h"

#define GOFER_POOL_MAX 16 /* threads at most, whatever the CPU count */

struct gofer_pool;

/* One piece of work, embedded in the caller's struct. fn runs on a worker with that
 * worker's scratch buffer (GOFER_SCRATCH_SIZE bytes) and reply buffer (P9_MAX_MSIZE). */
struct gofer_work {
	struct list_head link; /* in the pool's queue, under its lock */
	void (*fn)(struct gofer_work *w, uint8_t *scratch, uint8_t *reply);
};

/* Workers for a CPU count: 2 per CPU, at least 4 (a few blocked host calls still leave
 * room), at most GOFER_POOL_MAX. */
int gofer_pool_size_for(int ncpus);

/* A pool of n threads (1..GOFER_POOL_MAX), started now: create it before the seccomp
 * filter goes up so thread creation needs no clone in the allowlist. NULL if no thread
 * could be started (logged). */
struct gofer_pool *gofer_pool_new(int n);
int gofer_pool_threads(const struct gofer_pool *p);
/* Queue w; a worker calls w->fn soon. w stays the caller's and must live until fn runs. */
void gofer_pool_submit(struct gofer_pool *p, struct gofer_work *w);
/* Take w back if no worker has taken it yet: true (w->fn will not run), else false. */
bool gofer_pool_cancel(struct gofer_pool *p, struct gofer_work *w);
/* Run every queued item, stop the threads and free the pool. */
void gofer_pool_free(struct gofer_pool *p);

#endif
