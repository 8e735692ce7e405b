/* gofer_lock.c: POSIX and OFD record locks shared with the host on writable mounts.
 *
 * Each file's first lock opens a "lock fid" (read-write, else what the host allows); the
 * gofer holds host OFD locks on its open fd, so the whole sandbox is one host lock owner
 * per file. sentry/vfs/lock.c keeps the sandbox's own owners apart and tells us the
 * combined lock of each range: a host process and the sandbox then see each other's
 * locks. The fid is clunked, dropping the host locks, when the inode is evicted. */
#include "sentry/fs/gofer/gofer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <unistd.h>

static int open_lock_fid(struct inode *inode)
{
	static const int modes[] = {O_RDWR, O_RDONLY, O_WRONLY};
	struct p9_client *pc = gofer_fs(inode->sb)->c;
	struct gofer_inode *gi = inode->priv;
	uint32_t fid;
	int ret;

	if (gi->lock_fid != P9_NOFID)
		return 0;
	fid = p9c_fid_alloc(pc);
	ret = p9c_walk(pc, gi->fid, fid, 0, NULL, NULL, NULL);
	/* A failed open leaves the walked fid usable: try the next mode. */
	for (size_t i = 0; i < ARRAY_SIZE(modes) && (i == 0 ? ret == 0 : ret < 0); i++) {
		int hostfd = -1;

		ret = p9c_lopen(pc, fid, (uint32_t)modes[i], NULL, NULL, &hostfd);
		if (hostfd >= 0)
			close(hostfd);
	}
	if (ret == 0) {
		gi->lock_fid = fid;
		return 0;
	}
	p9c_clunk(pc, fid);
	return ret;
}

static struct p9_lock to_p9(short type, uint64_t start, uint64_t end)
{
	struct p9_lock l = {.start = start};

	l.type = type == F_RDLCK   ? P9_LOCK_TYPE_RDLCK
		 : type == F_WRLCK ? P9_LOCK_TYPE_WRLCK
				   : P9_LOCK_TYPE_UNLCK;
	l.length = end == UINT64_MAX ? 0 : end - start + 1;
	return l;
}

int gofer_host_lock(struct inode *inode, short type, uint64_t start, uint64_t end, bool drop)
{
	struct gofer_inode *gi = inode->priv;
	struct p9_lock l = to_p9(type, start, end);
	uint8_t status = P9_LOCK_ERROR;
	int ret;

	if (!S_ISREG(inode->mode))
		return 0; /* the host's locks are on regular files; the rest stay ours */
	if (type == F_UNLCK && gi->lock_fid == P9_NOFID)
		return 0; /* nothing was ever sent */
	ret = open_lock_fid(inode);
	if (ret == 0) {
		/* The caller's open file holds the inode and so the lock fid. */
		bool dropped = drop && gofer_unlock();

		ret = p9c_lock(gofer_fs(inode->sb)->c, gi->lock_fid, 0, &l, &status);
		gofer_relock(dropped);
	}
	if (ret)
		return ret;
	if (status == P9_LOCK_BLOCKED)
		return -EAGAIN;
	return status == P9_LOCK_SUCCESS ? 0 : -ENOLCK;
}

int gofer_host_getlock(struct inode *inode, struct flock *fl)
{
	struct gofer_inode *gi = inode->priv;
	uint64_t end = fl->l_len ? (uint64_t)(fl->l_start + fl->l_len - 1) : UINT64_MAX;
	struct p9_lock l = to_p9(fl->l_type, (uint64_t)fl->l_start, end);
	int ret;

	if (!S_ISREG(inode->mode)) {
		fl->l_type = F_UNLCK;
		return 0;
	}
	ret = open_lock_fid(inode);
	if (ret == 0)
		ret = p9c_getlock(gofer_fs(inode->sb)->c, gi->lock_fid, &l);
	if (ret)
		return ret;
	if (l.type == P9_LOCK_TYPE_UNLCK || l.start > INT64_MAX || l.length > INT64_MAX) {
		fl->l_type = F_UNLCK;
		return 0;
	}
	fl->l_type = l.type == P9_LOCK_TYPE_RDLCK ? F_RDLCK : F_WRLCK;
	fl->l_whence = SEEK_SET;
	fl->l_start = (off_t)l.start;
	fl->l_len = (off_t)l.length;
	/* The gofer says 0 for a host process (another pid namespace, as Linux reports it)
	 * and UINT32_MAX for a host OFD lock (-1). */
	fl->l_pid = l.proc_id == UINT32_MAX ? -1 : 0;
	return 0;
}
