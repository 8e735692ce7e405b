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

/* Before a walk from f to newfid: -EBADF when newfid is f's and f is open (its open file
 * would no longer match its node) or newfid is another fid in use, else 0. */
static int walk_check_newfid(struct gofer_server *s, struct gofer_fid *f, uint32_t newfid)
{
	struct gofer_fid *used;

	if (newfid == f->num)
		return fid_open_fd(f, NULL) >= 0 ? -EBADF : 0;
	used = fid_get(s, newfid);
	fid_put(used);
	return used ? -EBADF : 0;
}

/* Make newfid hold n (taken, also on error) after a walk from f. */
static int walk_establish(struct gofer_server *s, struct gofer_fid *f, uint32_t newfid,
			  struct gofer_node *n)
{
	struct gofer_fid *nf;
	int ret;

	if (newfid == f->num) {
		ret = fid_replace(s, f, n, -1, 0, &nf);
		if (ret == 0)
			fid_put(nf);
	} else {
		ret = fid_insert(s, newfid, n, f->uid);
	}
	if (ret)
		node_put(n);
	return ret;
}

int gofer_op_walk(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f = fid_get(s, in->twalk.fid);
	struct gofer_node *n;
	int ret;

	if (!f)
		return -EBADF;
	ret = walk_check_newfid(s, f, in->twalk.newfid);
	if (ret)
		goto out_put;
	ret = walk_names(f, in, call->out, &n);
	if (ret) {
		ret = ret > 0 ? 0 : ret; /* a short walk establishes no fid */
		goto out_put;
	}
	ret = walk_establish(s, f, in->twalk.newfid, n);
out_put:
	fid_put(f);
	return ret;
}

/* The last name of a stat-only walk can be looked at by name from its directory (one
 * statx, no node): a plain name in a directory that may be entered. */
static bool stat_by_name(const struct gofer_node *dir, const struct p9_str *name)
{
	return node_is_dir(dir) && !dir->kernfs && gofer_check_name(name, false) == 0;
}

/* Twalkgetattr's steps from f's node: f's attributes, the qids and the attributes of the
 * last file in out, and that file's node in *reached when reached is not NULL (a new fid will hold it).
 * 0 or -errno of the first step that failed. */
static int walkgetattr_names(struct gofer_fid *f, const struct p9_fcall *in, struct p9_fcall *out,
			     struct gofer_node **reached)
{
	struct gofer_node *n = node_get(f->node), *next;
	uint16_t nw = in->twalk.nwname;
	char buf[P9_NAME_MAX + 1];
	int ret = gofer_node_attr(n, &out->rwalkgetattr.dirattr); /* before the walk */

	for (int i = 0; i < nw && ret == 0; i++) {
		const struct p9_str *name = &in->twalk.wnames[i];

		if (!reached && i == nw - 1 && stat_by_name(n, name)) {
			ret = p9_str_copy(name, buf, sizeof(buf));
			if (ret == 0)
				ret = gofer_stat_attr(n->fd, buf, AT_NO_AUTOMOUNT,
						      &out->rwalkgetattr.attr, NULL);
			out->rwalkgetattr.wqids[i] = out->rwalkgetattr.attr.qid;
			node_put(n);
			n = NULL;
			break;
		}
		ret = walk_one(n, name, &next);
		if (ret)
			break;
		node_put(n);
		n = next;
		node_qid(n, &out->rwalkgetattr.wqids[i]);
	}
	if (ret == 0 && n)
		ret = gofer_node_attr(n, &out->rwalkgetattr.attr);
	out->rwalkgetattr.nwqid = nw;
	if (ret == 0 && reached)
		*reached = n;
	else if (n)
		node_put(n);
	return ret;
}

int gofer_op_walkgetattr(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f = fid_get(s, in->twalk.fid);
	bool want_fid = in->twalk.newfid != P9_NOFID;
	struct gofer_node *n = NULL;
	int ret;

	if (!f)
		return -EBADF;
	ret = want_fid ? walk_check_newfid(s, f, in->twalk.newfid) : 0;
	if (ret == 0)
		ret = walkgetattr_names(f, in, call->out, want_fid ? &n : NULL);
	if (ret == 0 && want_fid)
		ret = walk_establish(s, f, in->twalk.newfid, n);
	fid_put(f);
	return ret;
}

int gofer_walkgetattr_prompt(struct gofer_server *s, const struct p9_fcall *in,
			     struct p9_fcall *out)
{
	struct gofer_fid *f;
	char buf[P9_NAME_MAX + 1];
	dev_t dev;
	int ret = 1;

	if (in->twalk.newfid != P9_NOFID || in->twalk.nwname != 1 ||
	    p9_str_copy(&in->twalk.wnames[0], buf, sizeof(buf)))
		return 1;
	f = fid_get(s, in->twalk.fid);
	if (!f)
		return 1; /* the worker says EBADF */
	if (f->node->local && stat_by_name(f->node, &in->twalk.wnames[0])) {
		/* Cached attributes if it is a mount point of a remote or FUSE filesystem:
		 * then (another device) a worker asks again the slow way. Local filesystems
		 * ignore AT_STATX_DONT_SYNC. */
		ret = gofer_node_attr(f->node, &out->rwalkgetattr.dirattr);
		if (ret == 0)
			ret = gofer_stat_attr(f->node->fd, buf,
					      AT_NO_AUTOMOUNT | AT_STATX_DONT_SYNC,
					      &out->rwalkgetattr.attr, &dev);
		if (ret == 0 && dev != f->node->dev)
			ret = 1;
		out->rwalkgetattr.nwqid = 1;
		out->rwalkgetattr.wqids[0] = out->rwalkgetattr.attr.qid;
	}
	fid_put(f);
	return ret;
}

int gofer_op_clunk(struct gofer_server *s, struct gofer_call *call)
{
	struct gofer_fid *f = fid_take(s, call->in->tfid.fid);
	int ret;

	if (!f)
		return -EBADF;
	/* The fid is gone whatever the answer; a Txattrcreate fid's setxattr may fail. */
	ret = gofer_xattr_commit(f);
	fid_put(f); /* requests still using it keep it until they finish */
	return ret;
}

int gofer_op_flush(struct gofer_server *s, struct gofer_call *call)
{
	/* Only gofer_server_handle comes here: it answers each request before the next, so
	 * nothing is in flight. The concurrent server (conn.c) answers Tflush itself. */
	return 0;
}
