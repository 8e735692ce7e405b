/* epoll.c: epoll instances: interest lists keyed by (file, fd), level- and edge-triggered
 * readiness, EPOLLONESHOT, nesting with loop checks. Each item hangs a hook on its file's
 * wait queue that marks it ready and wakes the instance's own queue, so a waiter blocks on
 * one queue however many files it watches. */
#include "sentry/fs/anon.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>

#include "sentry/kernel/sched.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs_internal.h"

#define EP_MAX_NESTS 4		 /* Linux's limit on epoll-in-epoll depth */
#define EP_HASH_SIZE 256	 /* buckets of the file -> items index */
#define EP_SLICE_NS 10000000L	 /* re-poll files without a wait queue every 10 ms */
#define EP_FLAG_BITS (EPOLLET | EPOLLONESHOT | EPOLLEXCLUSIVE | EPOLLWAKEUP)

struct eventpoll {
	struct list_head items;	 /* of epitem.ep_link, least recently reported first */
	struct waitq wq;	 /* epoll_wait callers and outer epolls' hooks */
	uint64_t ino;
};

struct epitem {
	struct list_head ep_link;
	struct list_head hash_link; /* g_ep_hash[file] */
	struct eventpoll *ep;
	struct file *file;	 /* not referenced: the item goes when the file does */
	int fd;
	uint32_t events;	 /* requested events and EP_FLAG_BITS; 0 = ONESHOT spent */
	uint64_t data;
	struct waitq_hook hook;
	struct waitq *hooked;	 /* the queue the hook is on, NULL = none (re-poll) */
	bool ready;		 /* woken since it was last reported (edge trigger) */
};

static struct list_head g_ep_hash[EP_HASH_SIZE];
static int g_ep_items;

static const struct file_ops g_epoll_ops;

static struct list_head *hash_bucket(const struct file *f)
{
	uintptr_t h = (uintptr_t)f >> 4;

	if (!g_ep_hash[0].next)
		for (int i = 0; i < EP_HASH_SIZE; i++)
			list_init(&g_ep_hash[i]);
	return &g_ep_hash[(h ^ (h >> 8)) % EP_HASH_SIZE];
}

bool file_is_epoll(const struct file *f)
{
	return f->ops == &g_epoll_ops;
}

struct file *eventpoll_target(struct file *epf, int fd, uint64_t toff, int *err)
{
	struct list_head *pos;

	*err = -EINVAL;
	if (!file_is_epoll(epf))
		return NULL;
	*err = -ENOENT;
	list_for_each(pos, &((struct eventpoll *)epf->priv)->items) {
		struct epitem *it = list_entry(pos, struct epitem, ep_link);

		if (it->fd == fd && toff-- == 0)
			return it->file;
	}
	return NULL;
}

static void item_woken(struct waitq_hook *h)
{
	struct epitem *it = list_entry(h, struct epitem, hook);

	it->ready = true;
	waitq_wake_all(&it->ep->wq);
}

/* Poll the item's file and keep the hook on the queue the file names now. */
static unsigned item_poll(struct task *t, struct epitem *it)
{
	struct waitq *wq = NULL;
	unsigned mask = vfs_poll(t, it->file, &wq);

	if (wq != it->hooked) {
		if (it->hooked)
			waitq_hook_del(&it->hook);
		if (wq)
			waitq_hook_add(wq, &it->hook);
		it->hooked = wq;
	}
	return mask & (it->events | EPOLLERR | EPOLLHUP);
}

static struct epitem *item_find(struct eventpoll *ep, struct file *f, int fd)
{
	struct list_head *pos;

	list_for_each(pos, hash_bucket(f)) {
		struct epitem *it = list_entry(pos, struct epitem, hash_link);

		if (it->ep == ep && it->file == f && it->fd == fd)
			return it;
	}
	return NULL;
}

static void item_free(struct epitem *it)
{
	if (it->hooked)
		waitq_hook_del(&it->hook);
	list_del(&it->ep_link);
	list_del(&it->hash_link);
	g_ep_items--;
	free(it);
}

/* Fill up to max events; consume edges and spend ONESHOT items. */
static int ep_collect(struct task *t, struct eventpoll *ep, struct epoll_event *evs, int max,
		      bool *repoll)
{
	struct list_head *pos, *n, reported;
	int count = 0;

	list_init(&reported);
	*repoll = false;
	list_for_each_safe(pos, n, &ep->items) {
		struct epitem *it = list_entry(pos, struct epitem, ep_link);
		bool was_ready;
		unsigned mask;

		if (count == max)
			break;
		if (!(it->events & ~EP_FLAG_BITS))
			continue;
		/* Polled even when not woken: a timerfd folds its expiries (a wake-up) here. */
		was_ready = it->ready;
		mask = item_poll(t, it);
		if (!it->hooked)
			*repoll = true;
		else if ((it->events & EPOLLET) && !was_ready && !it->ready)
			continue;
		it->ready = false;
		if (!mask)
			continue;
		evs[count].events = mask;
		evs[count].data.u64 = it->data;
		count++;
		if (it->events & EPOLLONESHOT)
			it->events &= EP_FLAG_BITS;
		list_del(&it->ep_link);
		list_add_tail(&it->ep_link, &reported);
	}
	/* Reported items go to the back so that a small maxevents still reaches every item. */
	while (!list_empty(&reported)) {
		pos = reported.next;
		list_del(pos);
		list_add_tail(pos, &ep->items);
	}
	return count;
}

static unsigned ep_poll(struct task *t, struct file *f, struct waitq **wq)
{
	struct eventpoll *ep = f->priv;
	struct list_head *pos;

	*wq = &ep->wq;
	list_for_each(pos, &ep->items) {
		struct epitem *it = list_entry(pos, struct epitem, ep_link);

		unsigned mask;

		if (!(it->events & ~EP_FLAG_BITS))
			continue;
		mask = item_poll(t, it);
		if ((it->events & EPOLLET) && !it->ready && it->hooked)
			continue;
		if (mask)
			return POLLIN | POLLRDNORM;
	}
	return 0;
}

static int ep_stat(struct file *f, struct kstat *st)
{
	anon_fill_stat(st, ((struct eventpoll *)f->priv)->ino);
	return 0;
}

static void ep_release(struct file *f)
{
	struct eventpoll *ep = f->priv;

	while (!list_empty(&ep->items))
		item_free(list_first_entry(&ep->items, struct epitem, ep_link));
	free(ep);
}

static const struct file_ops g_epoll_ops = {
	.poll = ep_poll,
	.stat = ep_stat,
	.release = ep_release,
};

int eventpoll_create(struct file **out)
{
	struct eventpoll *ep = xcalloc(1, sizeof(*ep));
	struct file *f = file_alloc(O_RDWR);

	list_init(&ep->items);
	waitq_init(&ep->wq);
	ep->ino = anon_next_ino();
	f->ops = &g_epoll_ops;
	f->priv = ep;
	*out = f;
	return 0;
}

void eventpoll_file_release(struct file *f)
{
	struct list_head *pos, *n, *bucket;

	if (g_ep_items == 0)
		return;
	bucket = hash_bucket(f);
	list_for_each_safe(pos, n, bucket) {
		struct epitem *it = list_entry(pos, struct epitem, hash_link);

		if (it->file == f)
			item_free(it);
	}
}

/* How deep the epoll nesting under ep goes (0: no epoll members); -1 if it reaches
 * target (adding target would close a loop). */
static int ep_depth(struct eventpoll *ep, struct eventpoll *target, int level)
{
	struct list_head *pos;
	int deepest = 0;

	if (ep == target)
		return -1;
	if (level > EP_MAX_NESTS)
		return level;
	list_for_each(pos, &ep->items) {
		struct epitem *it = list_entry(pos, struct epitem, ep_link);
		int d;

		if (!file_is_epoll(it->file))
			continue;
		d = ep_depth(it->file->priv, target, level + 1);
		if (d < 0)
			return -1;
		deepest = MAX(deepest, d + 1);
	}
	return deepest;
}

static int ep_add(struct task *t, struct eventpoll *ep, int fd, struct file *target,
		  const struct epoll_event *ev)
{
	struct epitem *it;

	if (item_find(ep, target, fd))
		return -EEXIST;
	if (file_is_epoll(target)) {
		int d = ep_depth(target->priv, ep, 0);

		if (d < 0 || d + 1 > EP_MAX_NESTS)
			return -ELOOP;
	}
	it = xcalloc(1, sizeof(*it));
	it->ep = ep;
	it->file = target;
	it->fd = fd;
	it->events = ev->events;
	it->data = ev->data.u64;
	it->hook.fn = item_woken;
	it->ready = true; /* a file ready at ADD counts as an edge */
	list_add_tail(&it->ep_link, &ep->items);
	list_add(&it->hash_link, hash_bucket(target));
	g_ep_items++;
	if (item_poll(t, it))
		waitq_wake_all(&ep->wq);
	return 0;
}

int eventpoll_ctl(struct task *t, struct file *epf, int op, int fd, struct file *target,
		  const struct epoll_event *ev)
{
	struct eventpoll *ep;
	struct epitem *it;

	if (!target->ops || !target->ops->poll || (target->fmode & FMODE_PATH))
		return -EPERM;
	if (op != EPOLL_CTL_DEL && (ev->events & EPOLLEXCLUSIVE)) {
		const uint32_t ok = EPOLLEXCLUSIVE | EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP |
				    EPOLLWAKEUP | EPOLLET | EPOLLRDNORM | EPOLLWRNORM;

		if (op == EPOLL_CTL_MOD || (ev->events & ~ok) || file_is_epoll(target))
			return -EINVAL;
	}
	if (!file_is_epoll(epf) || epf == target)
		return -EINVAL;
	ep = epf->priv;
	switch (op) {
	case EPOLL_CTL_ADD:
		return ep_add(t, ep, fd, target, ev);
	case EPOLL_CTL_MOD:
		it = item_find(ep, target, fd);
		if (!it)
			return -ENOENT;
		if (it->events & EPOLLEXCLUSIVE)
			return -EINVAL;
		it->events = ev->events;
		it->data = ev->data.u64;
		it->ready = true;
		if (item_poll(t, it))
			waitq_wake_all(&ep->wq);
		return 0;
	case EPOLL_CTL_DEL:
		it = item_find(ep, target, fd);
		if (!it)
			return -ENOENT;
		item_free(it);
		return 0;
	default:
		return -EINVAL;
	}
}

static bool ts_passed(const struct timespec *now, const struct timespec *deadline)
{
	return now->tv_sec > deadline->tv_sec ||
	       (now->tv_sec == deadline->tv_sec && now->tv_nsec >= deadline->tv_nsec);
}

int eventpoll_wait(struct task *t, struct file *epf, struct epoll_event *evs, int max,
		   const struct timespec *deadline)
{
	struct eventpoll *ep = epf->priv;

	for (;;) {
		struct timespec now, until, slice, noted;
		bool repoll, timed = deadline != NULL;
		int n, ret;

		poll_deadline_reset();
		n = ep_collect(t, ep, evs, max, &repoll);
		if (n > 0)
			return n;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (deadline && ts_passed(&now, deadline))
			return 0;
		if (deadline)
			until = *deadline;
		slice = now;
		slice.tv_nsec += EP_SLICE_NS;
		if (slice.tv_nsec >= 1000000000L) {
			slice.tv_nsec -= 1000000000L;
			slice.tv_sec++;
		}
		if (repoll && (!timed || ts_passed(&until, &slice))) {
			until = slice;
			timed = true;
		}
		if (poll_deadline_get(&noted) && (!timed || ts_passed(&until, &noted))) {
			until = noted;
			timed = true;
		}
		ret = task_block(t, &ep->wq, timed ? &until : NULL);
		if (ret == -EINTR)
			return -EINTR;
	}
}
