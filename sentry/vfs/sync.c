/* sync.c: file space and flushing: fallocate's checks (in Linux's order) before the
 * filesystem's op, the RLIMIT_FSIZE check growth shares, and sync/syncfs/sync_file_range
 * over the page caches the Sentry keeps of host files, then each filesystem's sync_fs
 * (writable gofer mounts: Tfsync of the files written). */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/inotify.h>
#include <sys/resource.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/fsnotify.h"

#define FALLOC_MODE_MASK                                                                   \
	(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE |          \
	 FALLOC_FL_INSERT_RANGE | FALLOC_FL_UNSHARE_RANGE)

int vfs_fsize_check(struct task *t, uint64_t size, uint64_t new_size)
{
	uint64_t lim;

	if (!t || new_size <= size)
		return 0;
	lim = t->tg->rlim[RLIMIT_FSIZE].rlim_cur;
	if (lim == RLIM_INFINITY || new_size <= lim)
		return 0;
	task_send_signal(t, SIGXFSZ, NULL);
	return -EFBIG;
}

/* The mode alone (Linux 6.x's vfs_fallocate): EOPNOTSUPP for combinations no filesystem
 * takes. */
static int falloc_mode_check(int mode)
{
	if (mode & ~(FALLOC_MODE_MASK | FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	switch (mode & FALLOC_MODE_MASK) {
	case 0:
	case FALLOC_FL_UNSHARE_RANGE:
	case FALLOC_FL_ZERO_RANGE:
		return 0;
	case FALLOC_FL_PUNCH_HOLE:
		return (mode & FALLOC_FL_KEEP_SIZE) ? 0 : -EOPNOTSUPP;
	case FALLOC_FL_COLLAPSE_RANGE:
	case FALLOC_FL_INSERT_RANGE:
		return (mode & FALLOC_FL_KEEP_SIZE) ? -EOPNOTSUPP : 0;
	default:
		return -EOPNOTSUPP;
	}
}

int vfs_fallocate(struct task *t, struct file *f, int mode, int64_t off, int64_t len)
{
	struct kstat st;
	int ret;

	if (off < 0 || len <= 0)
		return -EINVAL;
	ret = falloc_mode_check(mode);
	if (ret < 0)
		return ret;
	if (!(f->fmode & FMODE_WRITE))
		return -EBADF;
	ret = vfs_fstat(f, &st);
	if (ret < 0)
		return ret;
	if (S_ISFIFO(st.mode))
		return -ESPIPE;
	if (S_ISDIR(st.mode))
		return -EISDIR;
	if (!S_ISREG(st.mode) && !S_ISBLK(st.mode))
		return -ENODEV;
	if (len > INT64_MAX - off)
		return -EFBIG;
	/* 9P2000.L has no fallocate (Linux's 9p client has none either): EOPNOTSUPP. */
	if (!f->ops || !f->ops->fallocate)
		return -EOPNOTSUPP;
	ret = f->ops->fallocate(t, f, mode, (uint64_t)off, (uint64_t)len);
	if (ret == 0 && f->path.dentry)
		fsnotify_parent(f->path.dentry, IN_MODIFY);
	return ret;
}

static bool same_sb(void *arg, struct file *f)
{
	return f && f->inode && f->inode->sb == arg;
}

static int sync_sb(struct super_block *sb)
{
	return sb->ops && sb->ops->sync_fs ? sb->ops->sync_fs(sb) : 0;
}

/* Each filesystem once, though several mounts may show it. */
struct sync_walk {
	struct super_block **done;
	size_t n, cap;
};

static void sync_mount(void *arg, struct mount *m)
{
	struct sync_walk *w = arg;
	struct super_block *sb = m->sb;

	if (!sb || !sb->ops || !sb->ops->sync_fs)
		return;
	for (size_t i = 0; i < w->n; i++)
		if (w->done[i] == sb)
			return;
	if (w->n == w->cap) {
		w->cap = w->cap ? 2 * w->cap : 8;
		w->done = xrealloc(w->done, w->cap * sizeof(*w->done));
	}
	w->done[w->n++] = sb;
	(void)sync_sb(sb);
}

int vfs_sync_all(void)
{
	struct sync_walk w = {0};
	int ret = mm_writeback_shared(NULL, NULL);

	vfs_for_each_mount(sync_mount, &w);
	free(w.done);
	return ret;
}

int vfs_syncfs(struct file *f)
{
	int ret, err;

	if (f->fmode & FMODE_PATH)
		return -EBADF;
	if (!f->inode)
		return 0; /* pipes, sockets: nothing kept */
	ret = mm_writeback_shared(same_sb, f->inode->sb);
	err = sync_sb(f->inode->sb);
	return ret < 0 ? ret : err;
}
