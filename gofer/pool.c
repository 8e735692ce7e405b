/* pool.c: the gofer's bounded worker pool: a FIFO queue under one mutex, N threads. */
#include "gofer/pool.h"

#include <pthread.h>

#include "gofer/gofer_internal.h"
#include "lib/log.h"
#include "lib/util.h"

struct gofer_pool {
	pthread_mutex_t lock; /* queue, stopping */
	pthread_cond_t cond;  /* work queued or stopping */
	struct list_head queue;
	bool stopping;
	int n;
	int running; /* threads past their start-up (glibc's rseq registration and such) */
	pthread_t threads[GOFER_POOL_MAX];
};

int gofer_pool_size_for(int ncpus)
{
	return MIN(MAX(2 * ncpus, 4), GOFER_POOL_MAX);
}

/* The next item, or NULL once stopping with an empty queue. */
static struct gofer_work *pool_take(struct gofer_pool *p)
{
	struct gofer_work *w = NULL;

	pthread_mutex_lock(&p->lock);
	while (list_empty(&p->queue) && !p->stopping)
		pthread_cond_wait(&p->cond, &p->lock);
	if (!list_empty(&p->queue)) {
		w = list_first_entry(&p->queue, struct gofer_work, link);
		list_del(&w->link);
	}
	pthread_mutex_unlock(&p->lock);
	return w;
}

static void *pool_main(void *arg)
{
	struct gofer_pool *p = arg;
	uint8_t *scratch = xmalloc(GOFER_SCRATCH_SIZE), *reply = xmalloc(P9_MAX_MSIZE);
	struct gofer_work *w;

	pthread_mutex_lock(&p->lock);
	p->running++;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	while ((w = pool_take(p)))
		w->fn(w, scratch, reply);
	free(scratch);
	free(reply);
	return NULL;
}

struct gofer_pool *gofer_pool_new(int n)
{
	struct gofer_pool *p = xcalloc(1, sizeof(*p));
	int ret;

	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->cond, NULL);
	list_init(&p->queue);
	n = MIN(MAX(n, 1), GOFER_POOL_MAX);
	for (p->n = 0; p->n < n; p->n++) {
		ret = pthread_create(&p->threads[p->n], NULL, pool_main, p);
		if (ret) {
			log_warn("gofer: worker thread %d: %d", p->n, -ret);
			break;
		}
	}
	if (p->n == 0) {
		gofer_pool_free(p);
		return NULL;
	}
	/* A thread's start-up makes syscalls (rseq) that the seccomp filter, soon installed
	 * on every thread at once, does not allow: wait until each is in its loop. */
	pthread_mutex_lock(&p->lock);
	while (p->running < p->n)
		pthread_cond_wait(&p->cond, &p->lock);
	pthread_mutex_unlock(&p->lock);
	return p;
}

int gofer_pool_threads(const struct gofer_pool *p)
{
	return p->n;
}

void gofer_pool_submit(struct gofer_pool *p, struct gofer_work *w)
{
	pthread_mutex_lock(&p->lock);
	list_add_tail(&w->link, &p->queue);
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->lock);
}

bool gofer_pool_cancel(struct gofer_pool *p, struct gofer_work *w)
{
	struct list_head *pos;
	bool found = false;

	pthread_mutex_lock(&p->lock);
	list_for_each(pos, &p->queue)
	{
		if (pos == &w->link) {
			list_del(&w->link);
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return found;
}

void gofer_pool_free(struct gofer_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = true;
	pthread_cond_broadcast(&p->cond);
	pthread_mutex_unlock(&p->lock);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->threads[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->cond);
	free(p);
}
