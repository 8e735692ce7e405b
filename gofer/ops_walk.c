/* ops_walk.c: session and name handlers: Tversion, Tattach, Twalk, Tclunk, Tflush. */
#include "gofer/gofer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

int gofer_op_version(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct p9_fcall *out = call->out;

	if (in->version.msize < P9_MIN_MSIZE)
		return -EINVAL;
	/* A new session: every fid of the old one is gone. */
	fid_remove_all(s);
	out->version.msize = MIN(in->version.msize, P9_MAX_MSIZE);
	if (!p9_str_eq(&in->version.version, P9_VERSION_L)) {
		out->version.version = (struct p9_str){"unknown", 7};
		__atomic_store_n(&s->versioned, false, __ATOMIC_RELEASE);
		return 0;
	}
	out->version.version = (struct p9_str){P9_VERSION_L, sizeof(P9_VERSION_L) - 1};
	__atomic_store_n(&s->msize, out->version.msize, __ATOMIC_RELAXED);
	__atomic_store_n(&s->versioned, true, __ATOMIC_RELEASE);
	return 0;
}

int gofer_op_attach(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	int ret;

	/* One tree per connection and no auth: aname is not interpreted. */
	if (in->tattach.afid != P9_NOFID)
		return -EINVAL;
	ret = fid_insert(s, in->tattach.fid, node_get(s->root), in->tattach.n_uname);
	if (ret) {
		node_put(s->root);
		return ret;
	}
	node_qid(s->root, &call->out->rqid.qid);
	return 0;
}

/* One step of a walk from n. Returns 0 with a new reference in *out, or -errno. */
static int walk_one(struct gofer_node *n, const struct p9_str *name, struct gofer_node **out)
{
	int fd, ret = gofer_check_name(name, true);
	char buf[P9_NAME_MAX + 1];

	if (ret)
		return ret;
	if (!node_is_dir(n))
		return -ENOTDIR;
	if (p9_str_eq(name, ".")) {
		*out = node_get(n);
		return 0;
	}
	if (p9_str_eq(name, "..")) {
		/* Back the way the walk came; the root is its own parent. */
		*out = node_parent(n, buf);
		if (!*out)
			*out = node_get(n);
		return 0;
	}
	if (n->kernfs)
		return -EACCES; /* see struct gofer_node */
	ret = p9_str_copy(name, buf, sizeof(buf));
	if (ret)
		return ret;
	fd = openat(n->fd, buf, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	return node_new(fd, n, name->s, name->len, out);
}

/* The walk's steps from f's node: 0 with the reached node in *reached, 1 for a short walk
 * (a later step failed), or -errno when the first step failed. */
static int walk_names(struct gofer_fid *f, const struct p9_fcall *in, struct p9_fcall *out,
		      struct gofer_node **reached)
{
	struct gofer_node *n = node_get(f->node);
	int ret = 0, i;

	for (i = 0; i < in->twalk.nwname; i++) {
		struct gofer_node *next;

		ret = walk_one(n, &in->twalk.wnames[i], &next);
		if (ret)
			break;
		node_put(n);
		n = next;
		node_qid(n, &out->rwalk.wqids[i]);
	}
	out->rwalk.nwqid = (uint16_t)i;
	if (ret) {
		node_put(n);
		/* A failed first step is an error; a later one is a short Rwalk. */
		return i == 0 ? ret : 1;
	}
	*reached = n;
	return 0;
}

int gofer_op_walk(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f = fid_get(s, in->twalk.fid), *nf;
	struct gofer_node *n;
	int ret;

	if (!f)
		return -EBADF;
	if (in->twalk.newfid == in->twalk.fid && fid_open_fd(f, NULL) >= 0) {
		ret = -EBADF; /* its open file would no longer match its node */
		goto out_put;
	}
	if (in->twalk.newfid != in->twalk.fid) {
		struct gofer_fid *used = fid_get(s, in->twalk.newfid);

		fid_put(used);
		ret = used ? -EBADF : 0;
		if (ret)
			goto out_put;
	}
	ret = walk_names(f, in, call->out, &n);
	if (ret) {
		ret = ret > 0 ? 0 : ret; /* a short walk establishes no fid */
		goto out_put;
	}
	if (in->twalk.newfid == in->twalk.fid) {
		ret = fid_replace(s, f, n, -1, 0, &nf);
		if (ret == 0)
			fid_put(nf);
	} else {
		ret = fid_insert(s, in->twalk.newfid, n, f->uid);
	}
	if (ret)
		node_put(n);
out_put:
	fid_put(f);
	return ret;
}

int gofer_op_clunk(struct gofer_server *s, struct gofer_call *call)
{
	return fid_remove(s, call->in->tfid.fid);
}

int gofer_op_flush(struct gofer_server *s, struct gofer_call *call)
{
	/* Only gofer_server_handle comes here: it answers each request before the next, so
	 * nothing is in flight. The concurrent server (conn.c) answers Tflush itself. */
	return 0;
}
