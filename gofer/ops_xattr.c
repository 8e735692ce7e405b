/* ops_xattr.c: extended attributes: Txattrwalk (a value or the list of names, read through
 * the new fid), Txattrcreate (a value written through the fid and set by its Tclunk), and
 * our one-round-trip Txattrget and Txattrset, which do the same with the bytes inline.
 *
 * Only the user.* namespace is served: security.*, trusted.* and system.* name host
 * kernel policy (file capabilities, ACLs, LSM labels) that a sandbox must never set, nor
 * read as its own. Held node fds are O_PATH, on which the f*xattr calls fail (EBADF), so
 * the file is reopened for reading by fd, as Tlopen does (node_reopen: no path walk, no
 * symlink followed). Memory is bounded: a value or list is at most 64 KiB, as in Linux,
 * and all xattr fids of the process together hold at most GOFER_XATTR_BUDGET bytes. */
#include "gofer/gofer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "lib/util.h"

#define GOFER_XATTR_BUDGET (16u << 20)
#define XATTR_USER_PREFIX "user."
#define XATTR_USER_PREFIX_LEN (sizeof(XATTR_USER_PREFIX) - 1)

_Static_assert(GOFER_SCRATCH_SIZE >= P9_XATTR_SIZE_MAX && GOFER_SCRATCH_SIZE >= P9_XATTR_LIST_MAX,
	       "a value or list is read into the scratch buffer whole");

static size_t g_xattr_bytes; /* atomic: what every xattr fid holds */

/* A state of size bytes, or NULL when the budget is spent. */
static struct gofer_xattr *xattr_alloc(uint64_t size)
{
	struct gofer_xattr *x;

	if (__atomic_add_fetch(&g_xattr_bytes, size, __ATOMIC_RELAXED) > GOFER_XATTR_BUDGET) {
		__atomic_sub_fetch(&g_xattr_bytes, size, __ATOMIC_RELAXED);
		return NULL;
	}
	x = xcalloc(1, sizeof(*x) + size);
	x->size = size;
	pthread_mutex_init(&x->lock, NULL);
	return x;
}

void gofer_xattr_free(struct gofer_xattr *x)
{
	if (!x)
		return;
	__atomic_sub_fetch(&g_xattr_bytes, x->size, __ATOMIC_RELAXED);
	pthread_mutex_destroy(&x->lock);
	free(x);
}

/* Linux's checks of a name, then ours: 0 with the name in out, -ERANGE (empty or over
 * 255 bytes), -EINVAL (a bare "user."), or -EOPNOTSUPP (not user.*). */
static int xattr_name(const struct p9_str *name, char *out)
{
	if (name->len == 0 || p9_str_copy(name, out, P9_NAME_MAX + 1))
		return -ERANGE;
	if (strncmp(out, XATTR_USER_PREFIX, XATTR_USER_PREFIX_LEN))
		return -EOPNOTSUPP;
	return name->len == XATTR_USER_PREFIX_LEN ? -EINVAL : 0;
}

/* Whether user.* can exist on f's file: Linux keeps them to regular files and
 * directories (others: reads ENODATA, writes EPERM). */
static bool xattr_allowed(const struct gofer_fid *f)
{
	return S_ISREG(f->node->type) || S_ISDIR(f->node->type);
}

/* An fd of f's file on which f*xattr work: f's open fd, or *owned, a reopened one. */
static int xattr_fd(struct gofer_fid *f, int *fd, bool *owned)
{
	*fd = fid_open_fd(f, NULL);
	*owned = *fd < 0;
	return *owned ? node_reopen(f->node, O_RDONLY, fd) : 0;
}

/* The value of name into buf (P9_XATTR_SIZE_MAX bytes): its size or -errno. */
static ssize_t host_get(struct gofer_fid *f, const char *name, uint8_t *buf)
{
	bool owned;
	int fd, ret = xattr_fd(f, &fd, &owned);
	ssize_t n;

	if (ret)
		return ret;
	n = fgetxattr(fd, name, buf, P9_XATTR_SIZE_MAX);
	n = n < 0 ? (errno == ERANGE ? -E2BIG : -errno) : n;
	if (owned)
		close(fd);
	return n;
}

/* The user.* names of f's file into buf (P9_XATTR_LIST_MAX bytes), back to back with
 * their NULs, others left out: the bytes kept or -errno. */
static ssize_t host_list(struct gofer_fid *f, uint8_t *buf)
{
	bool owned;
	int fd, ret = xattr_fd(f, &fd, &owned);
	ssize_t n;
	size_t kept = 0;

	if (ret)
		return ret;
	n = flistxattr(fd, (char *)buf, P9_XATTR_LIST_MAX);
	n = n < 0 ? (errno == ERANGE ? -E2BIG : -errno) : n;
	if (owned)
		close(fd);
	for (size_t pos = 0; n > 0 && pos < (size_t)n;) {
		const char *name = (const char *)buf + pos;
		size_t len = strnlen(name, (size_t)n - pos);

		if (len > XATTR_USER_PREFIX_LEN && pos + len < (size_t)n &&
		    !strncmp(name, XATTR_USER_PREFIX, XATTR_USER_PREFIX_LEN)) {
			memmove(buf + kept, name, len + 1);
			kept += len + 1;
		}
		pos += len + 1;
	}
	return n < 0 ? n : (ssize_t)kept;
}

/* name's value (name "": the list) of f's file into scratch: its size or -errno. */
static ssize_t xattr_read(struct gofer_fid *f, const struct p9_str *name, uint8_t *scratch)
{
	char cname[P9_NAME_MAX + 1];
	int ret = 0;

	if (f->xattr || f->node->kernfs)
		return f->xattr ? -EINVAL : -EACCES;
	if (name->len)
		ret = xattr_name(name, cname);
	if (ret)
		return ret;
	if (!xattr_allowed(f))
		return name->len ? -ENODATA : 0; /* an empty list */
	return name->len ? host_get(f, cname, scratch) : host_list(f, scratch);
}

/* Read what Txattrwalk asks of f into a new state. */
static int xattr_read_all(struct gofer_fid *f, const struct p9_str *name, uint8_t *scratch,
			  struct gofer_xattr **out)
{
	ssize_t n = xattr_read(f, name, scratch);

	if (n < 0)
		return (int)n;
	*out = xattr_alloc((uint64_t)n);
	if (!*out)
		return -ENOMEM;
	memcpy((*out)->buf, scratch, (size_t)n);
	return 0;
}

int gofer_op_xattrwalk(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f = fid_get(s, in->txattrwalk.fid);
	struct gofer_xattr *x = NULL;
	int ret;

	if (!f)
		return -EBADF;
	ret = xattr_read_all(f, &in->txattrwalk.name, call->scratch, &x);
	if (ret == 0) {
		ret = fid_insert_xattr(s, in->txattrwalk.newfid, node_get(f->node), f->uid, x);
		if (ret) {
			node_put(f->node);
			gofer_xattr_free(x);
		} else {
			call->out->rxattrwalk.size = x->size;
		}
	}
	fid_put(f);
	return ret;
}

/* The checks of Txattrcreate and Txattrset, in Linux's order where it has one. */
static int create_check(struct gofer_server *s, const struct p9_str *pname, uint64_t size,
			uint32_t flags, char *name)
{
	int ret;

	if (s->readonly)
		return -EROFS;
	if (flags & ~(P9_XATTR_CREATE | P9_XATTR_REPLACE | P9_XATTR_EMPTY))
		return -EINVAL;
	if ((flags & P9_XATTR_EMPTY) && size)
		return -EINVAL;
	ret = xattr_name(pname, name);
	if (ret)
		return ret;
	return size > P9_XATTR_SIZE_MAX ? -E2BIG : 0;
}

/* Whether f may have name set through it (after create_check). 0 or -errno. */
static int set_allowed(struct gofer_fid *f)
{
	if (f->xattr || fid_open_fd(f, NULL) >= 0)
		return -EINVAL; /* only a walked fid becomes an xattr fid or sets one */
	if (f->node->kernfs || !xattr_allowed(f))
		return -EPERM;
	return 0;
}

int gofer_op_xattrcreate(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f, *nf;
	struct gofer_xattr *x;
	char name[P9_NAME_MAX + 1];
	int ret = create_check(s, &in->txattrcreate.name, in->txattrcreate.size,
			       in->txattrcreate.flags, name);

	if (ret)
		return ret;
	f = fid_get(s, in->txattrcreate.fid);
	if (!f)
		return -EBADF;
	ret = set_allowed(f);
	x = ret ? NULL : xattr_alloc(in->txattrcreate.size);
	if (!ret && !x)
		ret = -ENOMEM;
	if (x) {
		x->write = true;
		x->flags = in->txattrcreate.flags;
		memcpy(x->name, name, sizeof(name));
		ret = fid_replace_xattr(s, f, x, &nf);
		if (ret)
			gofer_xattr_free(x);
		else
			fid_put(nf);
	}
	fid_put(f);
	return ret;
}

/* The xattr fid num with a reference, if it is one for writing (write) or reading. */
static struct gofer_fid *xattr_fid(struct gofer_server *s, uint32_t num, bool write)
{
	struct gofer_fid *f = fid_get(s, num);

	if (f && (!f->xattr || f->xattr->write != write)) {
		fid_put(f);
		return NULL;
	}
	return f;
}

int gofer_xattr_read(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f = xattr_fid(s, in->io.fid, false);
	uint64_t size, n = 0;

	if (!f)
		return -EBADF;
	size = f->xattr->size;
	if (in->io.offset < size)
		n = MIN(MIN((uint64_t)in->io.count, size - in->io.offset), call->payload_max);
	memcpy(call->payload, f->xattr->buf + (n ? in->io.offset : 0), n);
	fid_put(f);
	call->out->rdata.count = (uint32_t)n;
	call->out->rdata.data = call->payload;
	return 0;
}

int gofer_xattr_write(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f = xattr_fid(s, in->io.fid, true);
	struct gofer_xattr *x;
	int ret = 0;

	if (!f)
		return -EBADF;
	x = f->xattr;
	pthread_mutex_lock(&x->lock);
	/* In order and within the size Txattrcreate gave, as the Linux client writes. */
	if (in->io.offset != x->written || in->io.count > x->size - x->written) {
		ret = -EINVAL;
	} else {
		memcpy(x->buf + x->written, in->io.data, in->io.count);
		x->written += in->io.count;
	}
	pthread_mutex_unlock(&x->lock);
	fid_put(f);
	if (ret == 0)
		call->out->rwrite.count = in->io.count;
	return ret;
}

/* Set name of f's file to value[size] (size 0 without P9_XATTR_EMPTY: remove it). */
static int host_set(struct gofer_fid *f, const char *name, const void *value, size_t size,
		    uint32_t flags)
{
	bool owned;
	int fd, ret = xattr_fd(f, &fd, &owned);

	if (ret)
		return ret;
	if (size == 0 && !(flags & P9_XATTR_EMPTY))
		ret = fremovexattr(fd, name);
	else
		ret = fsetxattr(fd, name, value, size,
				(int)(flags & (P9_XATTR_CREATE | P9_XATTR_REPLACE)));
	ret = ret < 0 ? -errno : 0;
	if (owned)
		close(fd);
	return ret;
}

int gofer_xattr_commit(struct gofer_fid *f)
{
	struct gofer_xattr *x = f->xattr;
	bool done;

	if (!x || !x->write)
		return 0;
	pthread_mutex_lock(&x->lock);
	done = x->written == x->size;
	pthread_mutex_unlock(&x->lock);
	if (!done)
		return -EINVAL; /* fewer bytes written than Txattrcreate announced */
	return host_set(f, x->name, x->buf, x->size, x->flags);
}

/* Rxattrget: the header before the data (size[4] type[1] tag[2] size[8] count[4]). */
#define XATTRGET_HDR 19u

int gofer_op_xattrget(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f = fid_get(s, in->txattrget.fid);
	size_t room = call->payload_max + P9_READ_HDR - XATTRGET_HDR; /* msize - header */
	ssize_t n;

	if (!f)
		return -EBADF;
	n = xattr_read(f, &in->txattrget.name, call->scratch);
	fid_put(f);
	if (n < 0)
		return (int)n;
	call->out->rxattrget.size = (uint64_t)n;
	/* The bytes only when the caller has room and they fit the msize: else it knows
	 * the size (a size query, ERANGE) or reads the value through Txattrwalk. */
	if ((size_t)n <= in->txattrget.count && (size_t)n <= room) {
		call->out->rxattrget.count = (uint32_t)n;
		call->out->rxattrget.data = call->scratch;
	}
	return 0;
}

int gofer_op_xattrset(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f;
	char name[P9_NAME_MAX + 1];
	int ret = create_check(s, &in->txattrset.name, in->txattrset.count, in->txattrset.flags,
			       name);

	if (ret)
		return ret;
	f = fid_get(s, in->txattrset.fid);
	if (!f)
		return -EBADF;
	ret = set_allowed(f);
	if (ret == 0)
		ret = host_set(f, name, in->txattrset.data, in->txattrset.count,
			       in->txattrset.flags);
	fid_put(f);
	return ret;
}
