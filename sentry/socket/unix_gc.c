/* unix_gc.c: garbage collection of unix sockets kept alive only by SCM_RIGHTS messages
 * queued on each other (or on themselves), after Linux's unix_gc:
 *  1. candidates: in-flight sockets whose file has no reference but in-flight ones;
 *  2. each candidate's queue (and, for a listener, its embryos' queues) gives back one
 *     reference to every candidate it holds;
 *  3. candidates with references left are reachable from outside, and so is every
 *     candidate their queues hold, transitively;
 *  4. the rest are garbage: their queues are purged, which drops the last references
 *     of their files and releases them.
 * Everything runs under the kernel lock, so no reference can appear midway. A cycle can
 * only be closed by queuing an in-flight socket's file on a socket that is itself in
 * flight (or an embryo of a listener): until that happens the collector has nothing to
 * find and stays idle, so long acyclic chains of sockets cost nothing. */
#include "sentry/socket/unix_internal.h"

#include <stdlib.h>
#include <sys/socket.h>

#include "sentry/vfs/file.h"

enum { GC_NONE, GC_CANDIDATE, GC_ALIVE };

static struct list_head g_inflight = LIST_HEAD_INIT(g_inflight); /* of unix_sock.gc_link */
static bool g_gc_running;
static bool g_maybe_cyclic; /* set by unix_gc_queued, cleared when nothing is in flight */

static struct unix_sock *unix_of(struct file *f)
{
	struct socket *s = socket_from_file(f);

	return s && s->family == AF_UNIX ? unix_sk(s) : NULL;
}

void unix_inflight_add(struct file *f)
{
	struct unix_sock *u = unix_of(f);

	if (!u)
		return;
	if (u->inflight++ == 0) {
		u->gc_file = f;
		list_add_tail(&u->gc_link, &g_inflight);
	}
}

void unix_inflight_del(struct file *f)
{
	struct unix_sock *u = unix_of(f);

	if (!u || u->inflight == 0)
		return;
	if (--u->inflight == 0) {
		list_del(&u->gc_link);
		list_init(&u->gc_link);
		u->gc_file = NULL;
		if (list_empty(&g_inflight))
			g_maybe_cyclic = false;
	}
}

void unix_gc_queued(struct unix_sock *to, const struct unix_skb *skb)
{
	if (g_maybe_cyclic || (to->inflight == 0 && list_empty(&to->accept_link)))
		return;
	for (int i = 0; i < skb->nfds; i++)
		if (unix_of(skb->fds[i]))
			g_maybe_cyclic = true;
}

typedef void (*skb_file_fn)(struct unix_sock *held, void *arg);

/* Call fn on every unix socket whose file u's queue holds (a listener: its embryos'). */
static void for_each_held(struct unix_sock *u, skb_file_fn fn, void *arg)
{
	struct list_head *pos, *epos;

	list_for_each(pos, &u->rxq) {
		struct unix_skb *skb = list_entry(pos, struct unix_skb, link);

		for (int i = 0; i < skb->nfds; i++) {
			struct unix_sock *held = unix_of(skb->fds[i]);

			if (held)
				fn(held, arg);
		}
	}
	if (u->state != UNIX_LISTENING)
		return;
	list_for_each(epos, &u->acceptq)
		for_each_held(list_entry(epos, struct unix_sock, accept_link), fn, arg);
}

static void drop_internal_ref(struct unix_sock *held, void *arg)
{
	if (held->gc_state == GC_CANDIDATE)
		held->gc_refs--;
}

struct alive_stack {
	struct unix_sock **v;
	size_t n, cap;
};

static void push_alive(struct unix_sock *u, void *arg)
{
	struct alive_stack *st = arg;

	if (u->gc_state != GC_CANDIDATE)
		return;
	u->gc_state = GC_ALIVE;
	if (st->n == st->cap) {
		st->cap = st->cap ? st->cap * 2 : 16;
		st->v = xrealloc(st->v, st->cap * sizeof(*st->v));
	}
	st->v[st->n++] = u;
}

/* Move the queued messages of garbage u (and of its embryos) to hit. */
static void collect(struct unix_sock *u, struct list_head *hit)
{
	struct list_head *pos;

	while (!list_empty(&u->rxq)) {
		struct unix_skb *skb = list_first_entry(&u->rxq, struct unix_skb, link);

		unix_unqueue(u, skb);
		list_add_tail(&skb->link, hit);
	}
	if (u->state == UNIX_LISTENING)
		list_for_each(pos, &u->acceptq)
			collect(list_entry(pos, struct unix_sock, accept_link), hit);
}

static void mark(void)
{
	struct alive_stack st = {0};
	struct list_head *pos;

	list_for_each(pos, &g_inflight) {
		struct unix_sock *u = list_entry(pos, struct unix_sock, gc_link);

		u->gc_refs = u->gc_file->refs;
		u->gc_state = u->gc_refs == u->inflight ? GC_CANDIDATE : GC_NONE;
	}
	list_for_each(pos, &g_inflight) {
		struct unix_sock *u = list_entry(pos, struct unix_sock, gc_link);

		if (u->gc_state == GC_CANDIDATE)
			for_each_held(u, drop_internal_ref, NULL);
	}
	list_for_each(pos, &g_inflight) {
		struct unix_sock *u = list_entry(pos, struct unix_sock, gc_link);

		if (u->gc_state == GC_CANDIDATE && u->gc_refs > 0)
			push_alive(u, &st);
	}
	while (st.n > 0)
		for_each_held(st.v[--st.n], push_alive, &st);
	free(st.v);
}

void unix_gc(void)
{
	struct list_head hit = LIST_HEAD_INIT(hit);
	struct list_head *pos;

	if (g_gc_running || !g_maybe_cyclic || list_empty(&g_inflight))
		return;
	g_gc_running = true;
	mark();
	list_for_each(pos, &g_inflight) {
		struct unix_sock *u = list_entry(pos, struct unix_sock, gc_link);

		if (u->gc_state == GC_CANDIDATE)
			collect(u, &hit);
	}
	/* Freeing drops the garbage files' last references: they release their sockets,
	 * whose queues are empty now, and leave g_inflight. */
	while (!list_empty(&hit)) {
		struct unix_skb *skb = list_first_entry(&hit, struct unix_skb, link);

		list_del(&skb->link);
		unix_skb_free(skb);
	}
	g_gc_running = false;
}
