/* ops_create.c: directory-changing handlers: Tlcreate, Tmkdir, Tmknod, Tsymlink, Tunlinkat,
 * Trenameat, Trename, Tlink. Every one is refused with EROFS on a read-only server. */
#include "gofer/gofer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

/* Checks of the directory f of a mutation and of name as a new entry in it. */
static int check_dir_and_name(struct gofer_server *s, struct gofer_fid *f,
			      const struct p9_str *name, char *buf)
{
	int ret;

	if (s->readonly)
		return -EROFS;
	if (!node_is_dir(f->node))
		return -ENOTDIR;
	if (f->node->kernfs)
		return -EACCES;
	ret = gofer_check_name(name, false);
	if (ret)
		return ret;
	return p9_str_copy(name, buf, P9_NAME_MAX + 1);
}

/* The directory fid dfid of a mutation (with a reference for the caller), and name checked
 * as a new entry in it. */
static int dir_and_name(struct gofer_server *s, uint32_t dfid, const struct p9_str *name,
			char *buf, struct gofer_fid **out)
{
	struct gofer_fid *f = fid_get(s, dfid);
	int ret;

	if (!f)
		return -EBADF;
	ret = check_dir_and_name(s, f, name, buf);
	if (ret) {
		fid_put(f);
		return ret;
	}
	*out = f;
	return 0;
}

/* A node for the entry just made in dir, owned by uid/gid as the request asked (ids of -1
 * or equal to the current owner are left alone). On failure the entry is removed again so
 * a half-made file never stays behind. */
static int new_entry(struct gofer_node *dir, const char *name, uint32_t uid, uint32_t gid,
		     bool is_dir, struct gofer_node **out)
{
	int fd, ret;

	fd = openat(dir->fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (uid == P9_NONUNAME)
		uid = (uint32_t)-1;
	if ((uid != (uint32_t)-1 && uid != geteuid()) || (gid != (uint32_t)-1 && gid != getegid())) {
		if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
			ret = -errno;
			close(fd);
			unlinkat(dir->fd, name, is_dir ? AT_REMOVEDIR : 0);
			return ret;
		}
	}
	return node_new(fd, dir, name, strlen(name), out);
}

/* Create and open name in f's directory: the new node and its open fd. */
static int create_open(struct gofer_server *s, struct gofer_fid *f, const char *name,
		       const struct p9_fcall *in, struct gofer_node **out, int *fdp, int *flagsp)
{
	struct gofer_node *child;
	struct stat st;
	int flags, fd, ret;

	if (fid_open_fd(f, NULL) >= 0)
		return -EINVAL;
	ret = gofer_open_flags(s, in->tlcreate.flags, &flags);
	if (ret)
		return ret;
	flags &= ~O_DIRECTORY;
	/* Always exclusive: the Sentry creates only names it saw missing, and a file that
	 * was there must not be chowned or removed below. */
	fd = openat(f->node->fd, name,
		    flags | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
		    in->tlcreate.mode & 07777);
	if (fd < 0)
		return -errno;
	ret = new_entry(f->node, name, f->uid, in->tlcreate.gid, false, &child);
	if (!ret && (fstat(fd, &st) < 0 || st.st_ino != child->ino || st.st_dev != child->dev)) {
		node_put(child);
		ret = -ESTALE; /* replaced between the two opens */
	}
	if (ret) {
		close(fd);
		return ret;
	}
	*out = child;
	*fdp = fd;
	*flagsp = flags;
	return 0;
}

int gofer_op_lcreate(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	char name[P9_NAME_MAX + 1];
	struct gofer_fid *f, *nf = NULL;
	struct gofer_node *child = NULL;
	int flags = 0, fd = -1, ret;

	ret = dir_and_name(s, in->tlcreate.fid, &in->tlcreate.name, name, &f);
	if (ret)
		return ret;
	ret = create_open(s, f, name, in, &child, &fd, &flags);
	if (ret == 0) {
		/* 9P: the fid now names the new file, opened. */
		ret = fid_replace(s, f, child, fd, flags, &nf);
		if (ret) {
			close(fd);
			node_put(child);
		}
	}
	fid_put(f);
	if (ret)
		return ret;
	gofer_fid_opened(nf, flags, call);
	fid_put(nf);
	return 0;
}

/* The reply to a request that made name in f's directory (made: 0 or -errno): the new
 * entry owned as asked and its qid. Drops f. */
static int reply_made(struct gofer_fid *f, const char *name, int made, uint32_t gid,
		      bool is_dir, struct gofer_call *call)
{
	struct gofer_node *child;
	int ret = made;

	if (!ret)
		ret = new_entry(f->node, name, f->uid, gid, is_dir, &child);
	fid_put(f);
	if (ret)
		return ret;
	node_qid(child, &call->out->rqid.qid);
	node_put(child);
	return 0;
}

int gofer_op_mkdir(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	char name[P9_NAME_MAX + 1];
	struct gofer_fid *f;
	int ret;

	ret = dir_and_name(s, in->tmkdir.dfid, &in->tmkdir.name, name, &f);
	if (ret)
		return ret;
	ret = mkdirat(f->node->fd, name, in->tmkdir.mode & 07777) < 0 ? -errno : 0;
	return reply_made(f, name, ret, in->tmkdir.gid, true, call);
}

/* Tmknod: FIFOs and sockets only (a socket file is what binding a unix socket leaves).
 * Device nodes are never made on the host: EPERM. The mode is exact (the Gofer runs with
 * umask 0: the Sentry applied the application's), since a FIFO is never reopened here for
 * a later chmod. */
int gofer_op_mknod(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	uint32_t type = in->tmknod.mode & S_IFMT;
	char name[P9_NAME_MAX + 1];
	struct gofer_fid *f;
	int ret;

	if (type != S_IFIFO && type != S_IFSOCK)
		return type == S_IFCHR || type == S_IFBLK ? -EPERM : -EINVAL;
	ret = dir_and_name(s, in->tmknod.dfid, &in->tmknod.name, name, &f);
	if (ret)
		return ret;
	ret = mknodat(f->node->fd, name, type | (in->tmknod.mode & 07777), 0) < 0 ? -errno : 0;
	return reply_made(f, name, ret, in->tmknod.gid, false, call);
}

int gofer_op_symlink(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	char name[P9_NAME_MAX + 1], target[P9_PATH_MAX + 1];
	struct gofer_fid *f;
	int ret;

	if (in->tsymlink.target.len == 0)
		return -ENOENT; /* as symlink(2) with an empty target */
	if (p9_str_copy(&in->tsymlink.target, target, sizeof(target)))
		return -ENAMETOOLONG;
	ret = dir_and_name(s, in->tsymlink.dfid, &in->tsymlink.name, name, &f);
	if (ret)
		return ret;
	/* The target is stored, never resolved here: the Sentry interprets it. */
	ret = symlinkat(target, f->node->fd, name) < 0 ? -errno : 0;
	return reply_made(f, name, ret, in->tsymlink.gid, false, call);
}

int gofer_op_unlinkat(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	char name[P9_NAME_MAX + 1];
	struct gofer_fid *f;
	int ret;

	ret = dir_and_name(s, in->tunlinkat.dfid, &in->tunlinkat.name, name, &f);
	if (ret)
		return ret;
	if (in->tunlinkat.flags & ~(uint32_t)AT_REMOVEDIR)
		ret = -EINVAL;
	else if (unlinkat(f->node->fd, name, (int)in->tunlinkat.flags) < 0)
		ret = -errno;
	fid_put(f);
	return ret;
}

/* Link n as name in dir. 0 or -errno. */
static int link_node(const struct gofer_node *n, const struct gofer_node *dir, const char *name)
{
	char oldname[P9_NAME_MAX + 1];
	struct gofer_node *parent;
	struct stat st;
	int ret;

	if (node_is_dir(n))
		return -EPERM; /* as link(2) on a directory */
	parent = node_parent(n, oldname);
	if (n->kernfs || !parent) {
		node_put(parent);
		return -EACCES;
	}
	/* By the name the walk came through (no AT_EMPTY_PATH: it needs
	 * CAP_DAC_READ_SEARCH), then checked to be the same file, as node_reopen does. */
	ret = linkat(parent->fd, oldname, dir->fd, name, 0) < 0 ? -errno : 0;
	node_put(parent);
	if (ret)
		return ret;
	if (fstatat(dir->fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != n->dev ||
	    st.st_ino != n->ino) {
		unlinkat(dir->fd, name, 0);
		return -ESTALE;
	}
	return 0;
}

int gofer_op_link(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	char name[P9_NAME_MAX + 1];
	struct gofer_fid *dir, *f;
	int ret;

	ret = dir_and_name(s, in->tlink.dfid, &in->tlink.name, name, &dir);
	if (ret)
		return ret;
	f = fid_get(s, in->tlink.fid);
	ret = f ? link_node(f->node, dir->node, name) : -EBADF;
	fid_put(f);
	fid_put(dir);
	return ret;
}

int gofer_op_renameat(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	char oldname[P9_NAME_MAX + 1], newname[P9_NAME_MAX + 1];
	struct gofer_fid *olddir, *newdir;
	int ret;

	ret = dir_and_name(s, in->trenameat.olddfid, &in->trenameat.oldname, oldname, &olddir);
	if (ret)
		return ret;
	ret = dir_and_name(s, in->trenameat.newdfid, &in->trenameat.newname, newname, &newdir);
	if (ret) {
		fid_put(olddir);
		return ret;
	}
	ret = renameat(olddir->node->fd, oldname, newdir->node->fd, newname) < 0 ? -errno : 0;
	if (!ret)
		fid_renamed(s, olddir->node, &in->trenameat.oldname, newdir->node,
			    &in->trenameat.newname);
	fid_put(olddir);
	fid_put(newdir);
	return ret;
}

/* Trename: fid's file, by the name its walk came through in its parent, into dfid as
 * name. The name is checked to still be fid's file first (the host tree may have changed
 * under it), as node_reopen does; the root of the tree cannot move (EBUSY, as a mount
 * point on Linux). */
int gofer_op_rename(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	char oldname[P9_NAME_MAX + 1], newname[P9_NAME_MAX + 1];
	struct gofer_node *parent = NULL;
	struct gofer_fid *f, *dir;
	struct stat st;
	int ret;

	ret = dir_and_name(s, in->trename.dfid, &in->trename.name, newname, &dir);
	if (ret)
		return ret;
	f = fid_get(s, in->trename.fid);
	if (!f)
		ret = -EBADF;
	else if (f->node->kernfs)
		ret = -EACCES;
	else if (!(parent = node_parent(f->node, oldname)))
		ret = -EBUSY;
	else if (fstatat(parent->fd, oldname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		ret = -errno;
	else if (st.st_dev != f->node->dev || st.st_ino != f->node->ino)
		ret = -ESTALE;
	else if (renameat(parent->fd, oldname, dir->node->fd, newname) < 0)
		ret = -errno;
	else
		fid_renamed(s, parent, &(struct p9_str){oldname, (uint16_t)strlen(oldname)},
			    dir->node, &in->trename.name);
	node_put(parent);
	fid_put(f);
	fid_put(dir);
	return ret;
}
