/* ops_lock.c: Tlock and Tgetlock: byte range locks on an open fid's host file.
 *
 * The host lock is an open file description (OFD) lock on the fid's open fd, so its owner
 * is that open fid: two fids conflict with each other and with host processes, as two
 * opens of a file do on Linux, and the lock goes with the fd when the fid is clunked. The
 * gofer never waits for a lock (F_OFD_SETLK, not SETLKW): a conflict answers
 * P9_LOCK_BLOCKED and a client that wants to wait (P9_LOCK_FLAGS_BLOCK) retries, as the
 * Linux v9fs client does. */
#include "gofer/gofer_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

/* The open fd of fid num with a reference on the fid, or -EBADF. */
static int lock_fid(struct gofer_server *s, uint32_t num, struct gofer_fid **out)
{
	struct gofer_fid *f = fid_get(s, num);

	if (f && fid_open_fd(f, NULL) >= 0) {
		*out = f;
		return 0;
	}
	fid_put(f);
	return -EBADF;
}

/* A 9P lock as a struct flock. -EINVAL for an unknown type or a start or length that
 * does not fit off_t (a negative offset on the host side). */
static int to_flock(const struct p9_lock *l, struct flock *fl)
{
	static const short types[] = {[P9_LOCK_TYPE_RDLCK] = F_RDLCK,
				      [P9_LOCK_TYPE_WRLCK] = F_WRLCK,
				      [P9_LOCK_TYPE_UNLCK] = F_UNLCK};

	if (l->type > P9_LOCK_TYPE_UNLCK || l->start > INT64_MAX || l->length > INT64_MAX)
		return -EINVAL;
	*fl = (struct flock){.l_type = types[l->type],
			     .l_whence = SEEK_SET,
			     .l_start = (off_t)l->start,
			     .l_len = (off_t)l->length};
	return 0; /* l_pid stays 0: OFD locks require it */
}

int gofer_op_lock(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f;
	struct flock fl;
	int ret;

	if (in->tlock.flags & ~(P9_LOCK_FLAGS_BLOCK | P9_LOCK_FLAGS_RECLAIM))
		return -EINVAL;
	ret = to_flock(&in->tlock.lock, &fl);
	if (ret)
		return ret;
	ret = lock_fid(s, in->tlock.fid, &f);
	if (ret)
		return ret;
	/* A read-only server still locks: a read lock needs only a readable fd, and a write
	 * lock a writable one, which the host checks (EBADF) and a read-only server never
	 * opens. */
	ret = fcntl(f->open_fd, F_OFD_SETLK, &fl) < 0 ? -errno : 0;
	fid_put(f);
	if (ret == -EAGAIN || ret == -EACCES) {
		call->out->rlock.status = P9_LOCK_BLOCKED;
		return 0;
	}
	if (ret)
		return ret; /* EBADF (access mode), EOVERFLOW (start + length), ENOLCK */
	call->out->rlock.status = P9_LOCK_SUCCESS;
	return 0;
}

int gofer_op_getlock(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct p9_lock *out = &call->out->getlock.lock;
	struct gofer_fid *f;
	struct flock fl;
	int ret;

	ret = to_flock(&in->getlock.lock, &fl);
	if (ret)
		return ret;
	/* The Linux client asks with type UNLCK meaning "any lock": test for a write lock,
	 * which every other owner's lock conflicts with. */
	if (fl.l_type == F_UNLCK)
		fl.l_type = F_WRLCK;
	ret = lock_fid(s, in->getlock.fid, &f);
	if (ret)
		return ret;
	ret = fcntl(f->open_fd, F_OFD_GETLK, &fl) < 0 ? -errno : 0;
	fid_put(f);
	if (ret)
		return ret;
	*out = in->getlock.lock;
	call->out->getlock.client_id = (struct p9_str){"", 0}; /* the holder's is not known */
	if (fl.l_type == F_UNLCK) {
		out->type = P9_LOCK_TYPE_UNLCK;
		return 0;
	}
	out->type = fl.l_type == F_RDLCK ? P9_LOCK_TYPE_RDLCK : P9_LOCK_TYPE_WRLCK;
	out->start = (uint64_t)fl.l_start;
	out->length = (uint64_t)fl.l_len; /* 0: to the end of the file */
	/* An OFD lock's holder has no pid (-1, as Linux reports it); a host process is in
	 * another pid namespace than the sandbox, where Linux reports 0. */
	out->proc_id = fl.l_pid == -1 ? UINT32_MAX : 0;
	return 0;
}
