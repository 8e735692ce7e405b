/* pipe_ring.c: a pipe's data as Linux keeps it: a ring of page-sized buffers. Where write
 * boundaries fall decides what a fault in the application's memory costs and how many
 * writes fit, so both follow Linux's rules (fs/pipe.c behaviour, measured on Linux):
 * a write appends its sub-page part to the newest buffer when that fits, then fills new
 * pages; a read copies buffer by buffer and keeps a buffer it could not deliver whole. */
#include "sentry/fs/pipe.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/uio.h"

static uint64_t g_pipe_ino;

static unsigned slots_for(size_t cap)
{
	unsigned n = 1;

	while ((size_t)n * PIPE_PAGE < cap)
		n *= 2;
	return n;
}

struct pipe *pipe_new(size_t cap)
{
	struct pipe *p = xcalloc(1, sizeof(*p));

	p->nslots = slots_for(cap);
	p->cap = (size_t)p->nslots * PIPE_PAGE;
	p->pages = xmalloc(p->cap);
	p->slots = xcalloc(p->nslots, sizeof(*p->slots));
	p->ino = ++g_pipe_ino;
	waitq_init(&p->rq);
	waitq_init(&p->wq);
	return p;
}

void pipe_free(struct pipe *p)
{
	free(p->pages);
	free(p->slots);
	free(p);
}

/* Ring index of the i-th buffer from the oldest, and its bytes. */
static unsigned slot_at(const struct pipe *p, unsigned i)
{
	return (p->tail + i) & (p->nslots - 1);
}

static char *slot_data(const struct pipe *p, unsigned idx)
{
	return p->pages + (size_t)idx * PIPE_PAGE + p->slots[idx].off;
}

static size_t io_in(struct pipe_io *io, void *dst, size_t n)
{
	size_t got;

	if (!io->u) {
		memcpy(dst, io->src, n);
		io->src += n;
		return n;
	}
	got = uio_copy_in(io->t, io->u, dst, n);
	if (got < n)
		io->fault = true;
	return got;
}

static size_t io_out(struct pipe_io *io, const void *src, size_t n)
{
	size_t got;

	if (!io->u) {
		memcpy(io->dst, src, n);
		io->dst += n;
		return n;
	}
	got = uio_copy_out(io->t, io->u, src, n);
	if (got < n)
		io->fault = true;
	return got;
}

long pipe_ring_merge(struct pipe *p, struct pipe_io *io, size_t size)
{
	size_t chars = size % PIPE_PAGE;
	struct pipe_slot *s;
	unsigned idx;

	if (chars == 0 || p->used == 0)
		return 0;
	idx = slot_at(p, p->used - 1);
	s = &p->slots[idx];
	if (!s->merge || s->off + s->len + chars > PIPE_PAGE)
		return 0;
	if (io_in(io, slot_data(p, idx) + s->len, chars) < chars)
		return -EFAULT;
	s->len += chars;
	p->len += chars;
	return (long)chars;
}

long pipe_ring_fill(struct pipe *p, struct pipe_io *io, size_t size)
{
	size_t done = 0;

	while (done < size && p->used < p->nslots) {
		unsigned idx = slot_at(p, p->used);
		size_t n = MIN(size - done, (size_t)PIPE_PAGE);

		p->slots[idx] = (struct pipe_slot){.off = 0, .len = 0, .merge = true};
		if (io_in(io, slot_data(p, idx), n) < n)
			return done ? (long)done : -EFAULT;
		p->slots[idx].len = (uint16_t)n;
		p->used++;
		p->len += n;
		done += n;
	}
	return (long)done;
}

/* The oldest buffer lost n bytes from its front; free it when empty. */
static void take_front(struct pipe *p, size_t n)
{
	struct pipe_slot *s = &p->slots[p->tail];

	s->off += (uint16_t)n;
	s->len -= (uint16_t)n;
	p->len -= n;
	if (s->len == 0) {
		p->tail = slot_at(p, 1);
		p->used--;
	}
}

long pipe_ring_drain(struct pipe *p, struct pipe_io *io, size_t size, bool consume)
{
	size_t done = 0;
	unsigned i = 0;

	while (done < size && i < p->used) {
		unsigned idx = slot_at(p, i);
		size_t chars = MIN((size_t)p->slots[idx].len, size - done);

		if (io_out(io, slot_data(p, idx), chars) < chars)
			return done ? (long)done : -EFAULT;
		done += chars;
		if (consume)
			take_front(p, chars);
		else
			i++;
	}
	return (long)done;
}

void pipe_buf_consume(struct pipe *p, size_t n)
{
	n = MIN(n, p->len);
	while (n > 0) {
		size_t step = MIN(n, (size_t)p->slots[p->tail].len);

		take_front(p, step);
		n -= step;
	}
}

size_t pipe_room(const struct pipe *p)
{
	size_t room = (size_t)(p->nslots - p->used) * PIPE_PAGE;

	if (p->used > 0) {
		const struct pipe_slot *s = &p->slots[slot_at(p, p->used - 1)];

		if (s->merge)
			room += PIPE_PAGE - s->off - s->len;
	}
	return room;
}

size_t pipe_buf_write(struct pipe *p, const void *src, size_t size)
{
	struct pipe_io io = {.src = src};
	long merged = pipe_ring_merge(p, &io, size);

	return (size_t)merged + (size_t)pipe_ring_fill(p, &io, size - (size_t)merged);
}

size_t pipe_buf_read(struct pipe *p, void *dst, size_t size)
{
	struct pipe_io io = {.dst = dst};

	return (size_t)pipe_ring_drain(p, &io, size, true);
}

size_t pipe_buf_peek(struct pipe *p, void *dst, size_t size)
{
	struct pipe_io io = {.dst = dst};

	return (size_t)pipe_ring_drain(p, &io, size, false);
}

size_t pipe_ring_splice(struct pipe *in, struct pipe *out, size_t size, bool keep)
{
	size_t done = 0;
	unsigned i = 0;

	while (done < size && i < in->used && out->used < out->nslots) {
		unsigned from = slot_at(in, i), to = slot_at(out, out->used);
		const struct pipe_slot *s = &in->slots[from];
		size_t n = MIN((size_t)s->len, size - done);

		out->slots[to] = (struct pipe_slot){
			.off = s->off, .len = (uint16_t)n, .merge = !keep && n == s->len && s->merge};
		memcpy(slot_data(out, to), slot_data(in, from), n);
		out->used++;
		out->len += n;
		done += n;
		if (keep)
			i++;
		else
			take_front(in, n);
	}
	return done;
}

size_t pipe_buf_add(struct pipe *p, const void *src, size_t size, size_t page_off)
{
	size_t done = 0;

	while (done < size && p->used < p->nslots) {
		size_t off = (page_off + done) % PIPE_PAGE, n = MIN(size - done, PIPE_PAGE - off);
		unsigned idx = slot_at(p, p->used);

		p->slots[idx] = (struct pipe_slot){.off = (uint16_t)off, .len = (uint16_t)n};
		memcpy(slot_data(p, idx), (const char *)src + done, n);
		p->used++;
		p->len += n;
		done += n;
	}
	return done;
}

size_t pipe_slot_room(const struct pipe *p, size_t page_off)
{
	size_t free = p->nslots - p->used;

	return free ? free * PIPE_PAGE - page_off % PIPE_PAGE : 0;
}

long pipe_ring_add_user(struct pipe *p, struct pipe_io *io, uint64_t addr, size_t len)
{
	size_t done = 0;

	while (done < len && p->used < p->nslots) {
		uint64_t a = addr + done;
		size_t off = a % PIPE_PAGE, n = MIN(len - done, PIPE_PAGE - off);
		unsigned idx = slot_at(p, p->used);

		p->slots[idx] = (struct pipe_slot){.off = (uint16_t)off, .len = 0, .merge = false};
		if (copy_from_user(io->t, slot_data(p, idx), uaddr(a), n)) {
			io->fault = true;
			return done ? (long)done : -EFAULT;
		}
		p->slots[idx].len = (uint16_t)n;
		p->used++;
		p->len += n;
		done += n;
	}
	return (long)done;
}

long pipe_buf_resize(struct pipe *p, unsigned long size, bool privileged)
{
	unsigned nslots;
	char *pages;
	struct pipe_slot *slots;

	if (size > PIPE_LIMIT_SIZE)
		return -EINVAL;
	nslots = slots_for(size);
	if (nslots > p->nslots && size > PIPE_MAX_SIZE && !privileged)
		return -EPERM;
	if (nslots < p->used)
		return -EBUSY;
	/* A privileged app may ask for up to 2 GiB: refuse what the host will not give. */
	pages = malloc((size_t)nslots * PIPE_PAGE);
	slots = calloc(nslots, sizeof(*slots));
	if (!pages || !slots) {
		free(pages);
		free(slots);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < p->used; i++) {
		unsigned idx = slot_at(p, i);

		slots[i] = p->slots[idx];
		memcpy(pages + (size_t)i * PIPE_PAGE, p->pages + (size_t)idx * PIPE_PAGE,
		       PIPE_PAGE);
	}
	free(p->pages);
	free(p->slots);
	p->pages = pages;
	p->slots = slots;
	p->nslots = nslots;
	p->cap = (size_t)nslots * PIPE_PAGE;
	p->tail = 0;
	return (long)p->cap;
}
