/* buf.c: 9P wire primitives: little-endian puts and bounds-checked gets, strings, dirents. */
#include "gofer/p9/p9.h"

#include <errno.h>
#include <string.h>

void p9_wbuf_init(struct p9_wbuf *w, void *buf, size_t size)
{
	w->data = buf;
	w->size = size;
	w->pos = 0;
	w->err = 0;
}

void p9_rbuf_init(struct p9_rbuf *r, const void *buf, size_t size)
{
	r->data = buf;
	r->size = size;
	r->pos = 0;
	r->err = 0;
}

/* Reserve size bytes; NULL (and a sticky error) when they do not fit. */
static uint8_t *wbuf_take(struct p9_wbuf *w, size_t size)
{
	uint8_t *p;

	if (w->err)
		return NULL;
	if (size > w->size - w->pos) {
		w->err = -EMSGSIZE;
		return NULL;
	}
	p = w->data + w->pos;
	w->pos += size;
	return p;
}

static void put_le(struct p9_wbuf *w, uint64_t v, size_t size)
{
	uint8_t *p = wbuf_take(w, size);

	if (!p)
		return;
	for (size_t i = 0; i < size; i++, v >>= 8)
		p[i] = (uint8_t)v;
}

void p9_put_u8(struct p9_wbuf *w, uint8_t v)
{
	put_le(w, v, 1);
}

void p9_put_u16(struct p9_wbuf *w, uint16_t v)
{
	put_le(w, v, 2);
}

void p9_put_u32(struct p9_wbuf *w, uint32_t v)
{
	put_le(w, v, 4);
}

void p9_put_u64(struct p9_wbuf *w, uint64_t v)
{
	put_le(w, v, 8);
}

void p9_put_bytes(struct p9_wbuf *w, const void *src, size_t size)
{
	uint8_t *p = wbuf_take(w, size);

	if (p && size && p != src)
		memmove(p, src, size);
}

void p9_put_strn(struct p9_wbuf *w, const char *s, size_t len)
{
	if (len > P9_MAX_STR) {
		if (!w->err)
			w->err = -ENAMETOOLONG;
		return;
	}
	p9_put_u16(w, (uint16_t)len);
	p9_put_bytes(w, s, len);
}

void p9_put_str(struct p9_wbuf *w, const struct p9_str *s)
{
	p9_put_strn(w, s->s, s->len);
}

void p9_put_cstr(struct p9_wbuf *w, const char *s)
{
	p9_put_strn(w, s ? s : "", s ? strlen(s) : 0);
}

void p9_put_qid(struct p9_wbuf *w, const struct p9_qid *q)
{
	p9_put_u8(w, q->type);
	p9_put_u32(w, q->version);
	p9_put_u64(w, q->path);
}

/* Point at the next size bytes; NULL (and a sticky -EPROTO) when the input is short. */
static const uint8_t *rbuf_take(struct p9_rbuf *r, size_t size)
{
	const uint8_t *p;

	if (r->err)
		return NULL;
	if (size > r->size - r->pos) {
		r->err = -EPROTO;
		return NULL;
	}
	p = r->data + r->pos;
	r->pos += size;
	return p;
}

static int get_le(struct p9_rbuf *r, size_t size, uint64_t *out)
{
	const uint8_t *p = rbuf_take(r, size);
	uint64_t v = 0;

	*out = 0;
	if (!p)
		return -EPROTO;
	for (size_t i = size; i > 0; i--)
		v = (v << 8) | p[i - 1];
	*out = v;
	return 0;
}

int p9_get_u8(struct p9_rbuf *r, uint8_t *out)
{
	uint64_t v;
	int ret = get_le(r, 1, &v);

	*out = (uint8_t)v;
	return ret;
}

int p9_get_u16(struct p9_rbuf *r, uint16_t *out)
{
	uint64_t v;
	int ret = get_le(r, 2, &v);

	*out = (uint16_t)v;
	return ret;
}

int p9_get_u32(struct p9_rbuf *r, uint32_t *out)
{
	uint64_t v;
	int ret = get_le(r, 4, &v);

	*out = (uint32_t)v;
	return ret;
}

int p9_get_u64(struct p9_rbuf *r, uint64_t *out)
{
	return get_le(r, 8, out);
}

int p9_get_bytes(struct p9_rbuf *r, size_t size, const void **out)
{
	const uint8_t *p = rbuf_take(r, size);

	*out = p;
	return p ? 0 : -EPROTO;
}

int p9_get_str(struct p9_rbuf *r, struct p9_str *out)
{
	const void *p;
	uint16_t len;

	out->s = "";
	out->len = 0;
	if (p9_get_u16(r, &len) || p9_get_bytes(r, len, &p))
		return -EPROTO;
	if (memchr(p, '\0', len)) {
		r->err = -EPROTO;
		return -EPROTO;
	}
	out->s = p;
	out->len = len;
	return 0;
}

int p9_get_qid(struct p9_rbuf *r, struct p9_qid *out)
{
	p9_get_u8(r, &out->type);
	p9_get_u32(r, &out->version);
	p9_get_u64(r, &out->path);
	return r->err ? -EPROTO : 0;
}

int p9_dirent_put(struct p9_wbuf *w, const struct p9_dirent *d)
{
	size_t start = w->pos;

	if (w->err)
		return w->err;
	if ((size_t)P9_DIRENT_HDR + d->name_len > w->size - w->pos)
		return -EMSGSIZE;
	p9_put_qid(w, &d->qid);
	p9_put_u64(w, d->offset);
	p9_put_u8(w, d->type);
	p9_put_strn(w, d->name, d->name_len);
	if (w->err) {
		w->pos = start;
		w->err = 0;
		return -EMSGSIZE;
	}
	return 0;
}

int p9_dirent_next(struct p9_rbuf *r, struct p9_dirent *d)
{
	struct p9_str name;

	memset(d, 0, sizeof(*d));
	if (r->err)
		return -EPROTO;
	if (p9_rbuf_left(r) == 0)
		return 0;
	p9_get_qid(r, &d->qid);
	p9_get_u64(r, &d->offset);
	p9_get_u8(r, &d->type);
	if (p9_get_str(r, &name) || !p9_str_is_name(&name)) {
		r->err = -EPROTO;
		return -EPROTO;
	}
	d->name = name.s;
	d->name_len = name.len;
	return 1;
}

bool p9_str_is_name(const struct p9_str *s)
{
	return s->len > 0 && s->len <= P9_NAME_MAX && !memchr(s->s, '/', s->len);
}

bool p9_str_eq(const struct p9_str *s, const char *c)
{
	size_t n = strlen(c);

	return n == s->len && memcmp(s->s, c, n) == 0;
}

int p9_str_copy(const struct p9_str *s, char *out, size_t size)
{
	if ((size_t)s->len >= size)
		return -ENAMETOOLONG;
	memcpy(out, s->s, s->len);
	out[s->len] = '\0';
	return 0;
}
