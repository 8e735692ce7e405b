/* client_xattr.c: the client's extended-attribute requests (Txattrwalk, Txattrcreate) and
 * the whole get/list/set/remove operations, with Linux's results: one round trip each
 * through our Txattrget/Txattrset, the 9P2000.L messages when a value does not fit the
 * msize. */
#include "gofer/p9/client_rpc.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

int p9c_xattrwalk(struct p9_client *c, uint32_t fid, uint32_t newfid, const char *name,
		  uint64_t *size)
{
	struct p9_fcall req = {.type = P9_TXATTRWALK}, rep;
	int ret;

	req.txattrwalk.fid = fid;
	req.txattrwalk.newfid = newfid;
	if (p9c_cstr(name, &req.txattrwalk.name))
		return -ERANGE;
	ret = p9c_rpc(c, &req, P9_RXATTRWALK, &rep, NULL);
	if (ret)
		return ret;
	/* A value or list is at most 64 KiB: more is a broken server. newfid exists now. */
	if (rep.rxattrwalk.size > MAX(P9_XATTR_SIZE_MAX, P9_XATTR_LIST_MAX)) {
		log_warn("9p: Rxattrwalk of %llu bytes", (unsigned long long)rep.rxattrwalk.size);
		return -EIO;
	}
	*size = rep.rxattrwalk.size;
	return 0;
}

int p9c_xattrcreate(struct p9_client *c, uint32_t fid, const char *name, uint64_t size,
		    uint32_t flags)
{
	struct p9_fcall req = {.type = P9_TXATTRCREATE}, rep;

	req.txattrcreate.fid = fid;
	req.txattrcreate.size = size;
	req.txattrcreate.flags = flags;
	if (p9c_cstr(name, &req.txattrcreate.name))
		return -ERANGE;
	return p9c_rpc(c, &req, P9_RXATTRCREATE, &rep, NULL);
}

/* Read size bytes from offset 0 of an xattr fid. 0 or -errno (-EIO if it has fewer). */
static int read_whole(struct p9_client *c, uint32_t fid, void *buf, size_t size)
{
	for (size_t done = 0; done < size;) {
		ssize_t n = p9c_read(c, fid, done, (char *)buf + done, (uint32_t)(size - done));

		if (n < 0)
			return (int)n;
		if (n == 0) {
			log_warn("9p: xattr fid ended after %zu of %zu bytes", done, size);
			return -EIO;
		}
		done += (size_t)n;
	}
	return 0;
}

/* A value (name) or the list (name NULL) into buf[size], as getxattr(2) answers. */
static ssize_t xattr_get(struct p9_client *c, uint32_t fid, const char *name, void *buf,
			 size_t size)
{
	uint32_t xfid = p9c_fid_alloc(c);
	uint64_t len;
	ssize_t ret = p9c_xattrwalk(c, fid, xfid, name, &len);

	if (ret == -EIO || ret == 0) {
		if (ret == 0 && size == 0)
			ret = (ssize_t)len; /* the size alone */
		else if (ret == 0 && len > size)
			ret = -ERANGE;
		else if (ret == 0)
			ret = read_whole(c, xfid, buf, len) ?: (ssize_t)len;
		p9c_clunk(c, xfid);
	} else {
		p9c_fid_release(c, xfid); /* never established */
	}
	return ret;
}

/* Txattrget: as xattr_get in one round trip. *too_big: the value fits buf but not the
 * msize (xattr_get must read it). */
static ssize_t xattr_get_inline(struct p9_client *c, uint32_t fid, const char *name,
				void *buf, size_t size, bool *too_big)
{
	struct p9_fcall req = {.type = P9_TXATTRGET}, rep;
	uint64_t len;
	int ret;

	req.txattrget.fid = fid;
	req.txattrget.count = (uint32_t)MIN(size, (size_t)UINT32_MAX);
	if (p9c_cstr(name, &req.txattrget.name))
		return -ERANGE;
	ret = p9c_rpc(c, &req, P9_RXATTRGET, &rep, NULL);
	if (ret)
		return ret;
	len = rep.rxattrget.size;
	if (len > MAX(P9_XATTR_SIZE_MAX, P9_XATTR_LIST_MAX) ||
	    (rep.rxattrget.count && rep.rxattrget.count != len) ||
	    rep.rxattrget.count > size) {
		log_warn("9p: Rxattrget of %u bytes for a size of %llu", rep.rxattrget.count,
			 (unsigned long long)len);
		return -EIO;
	}
	if (size == 0)
		return (ssize_t)len; /* the size alone */
	if (len > size)
		return -ERANGE;
	*too_big = rep.rxattrget.count != len;
	if (*too_big)
		return -EMSGSIZE;
	memcpy(buf, rep.rxattrget.data, len);
	return (ssize_t)len;
}

ssize_t p9c_getxattr(struct p9_client *c, uint32_t fid, const char *name, void *buf,
		     size_t size)
{
	bool too_big = false;
	ssize_t ret;

	if (!name || !*name)
		return -ERANGE;
	ret = xattr_get_inline(c, fid, name, buf, size, &too_big);
	return too_big ? xattr_get(c, fid, name, buf, size) : ret;
}

ssize_t p9c_listxattr(struct p9_client *c, uint32_t fid, char *buf, size_t size)
{
	bool too_big = false;
	ssize_t ret = xattr_get_inline(c, fid, NULL, buf, size, &too_big);

	return too_big ? xattr_get(c, fid, NULL, buf, size) : ret;
}

/* Clone fid, make the clone an xattr fid for name, write value[size] through it and clunk
 * it, which sets the value (or removes name: remove). */
static int xattr_put(struct p9_client *c, uint32_t fid, const char *name, const void *value,
		     size_t size, uint32_t flags)
{
	uint32_t xfid = p9c_fid_alloc(c);
	int ret = p9c_walk(c, fid, xfid, 0, NULL, NULL, NULL), cret;

	if (ret) {
		p9c_fid_release(c, xfid);
		return ret;
	}
	ret = p9c_xattrcreate(c, xfid, name, size, flags);
	for (size_t done = 0; ret == 0 && done < size;) {
		ssize_t n = p9c_write(c, xfid, done, (const char *)value + done,
				      (uint32_t)(size - done));

		if (n <= 0)
			ret = n < 0 ? (int)n : -EIO;
		done += n > 0 ? (size_t)n : 0;
	}
	cret = p9c_clunk(c, xfid); /* the setxattr itself: its error is the answer */
	return ret ? ret : cret;
}

/* Txattrset in one round trip when the message fits the msize, else xattr_put. */
static int xattr_set(struct p9_client *c, uint32_t fid, const char *name, const void *value,
		     size_t size, uint32_t flags)
{
	struct p9_fcall req = {.type = P9_TXATTRSET}, rep;

	req.txattrset.fid = fid;
	req.txattrset.flags = flags;
	req.txattrset.count = (uint32_t)size;
	req.txattrset.data = value;
	if (p9c_cstr(name, &req.txattrset.name))
		return -ERANGE;
	/* size[4] type[1] tag[2] fid[4] name[2+n] flags[4] count[4] data[count] */
	if (P9_HDR_SIZE + 16u + req.txattrset.name.len + size > c->msize)
		return xattr_put(c, fid, name, value, size, flags);
	return p9c_rpc(c, &req, P9_RXATTRSET, &rep, NULL);
}

int p9c_setxattr(struct p9_client *c, uint32_t fid, const char *name, const void *value,
		 size_t size, int flags)
{
	if (!name || !*name)
		return -ERANGE;
	if (size > P9_XATTR_SIZE_MAX)
		return -E2BIG;
	if (flags & ~(int)(P9_XATTR_CREATE | P9_XATTR_REPLACE))
		return -EINVAL;
	/* Size 0 on the wire removes: an empty value says so with our flag. */
	return xattr_set(c, fid, name, value, size,
			 (uint32_t)flags | (size == 0 ? P9_XATTR_EMPTY : 0));
}

int p9c_removexattr(struct p9_client *c, uint32_t fid, const char *name)
{
	if (!name || !*name)
		return -ERANGE;
	return xattr_set(c, fid, name, NULL, 0, P9_XATTR_REPLACE);
}
