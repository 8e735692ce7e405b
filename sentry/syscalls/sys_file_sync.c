/* sys_file_sync.c: fallocate, sync, syncfs, sync_file_range, readahead and cachestat. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

long sys_fallocate(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f)
		return -EBADF;
	ret = vfs_fallocate(t, f, arg_int(a, 1), arg_long(a, 2), arg_long(a, 3));
	file_put(f);
	return ret;
}

long sys_sync(struct task *t, const struct sysargs *a)
{
	(void)vfs_sync_all(); /* sync(2) reports nothing */
	return 0;
}

long sys_syncfs(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f)
		return -EBADF;
	ret = vfs_syncfs(f);
	file_put(f);
	return ret;
}

/* The file's type, or -EBADF for O_PATH descriptors (Linux's fdget refuses them). */
static long file_type(struct file *f)
{
	struct kstat st;
	int ret;

	if (f->fmode & FMODE_PATH)
		return -EBADF;
	ret = vfs_fstat(f, &st);
	return ret < 0 ? ret : (long)(st.mode & S_IFMT);
}

/* Linux 6.x: the descriptor first, then the flags and range, then the file type. */
long sys_sync_file_range(struct task *t, const struct sysargs *a)
{
	int64_t off = arg_long(a, 1), nbytes = arg_long(a, 2), end;
	unsigned flags = arg_uint(a, 3);
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f)
		return -EBADF;
	end = (int64_t)((uint64_t)off + (uint64_t)nbytes);
	ret = file_type(f);
	if (ret >= 0 && (flags & ~(SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
				   SYNC_FILE_RANGE_WAIT_AFTER)))
		ret = -EINVAL;
	else if (ret >= 0 && (off < 0 || end < 0 || end < off))
		ret = -EINVAL;
	else if (ret >= 0 && ret != S_IFREG && ret != S_IFBLK && ret != S_IFDIR && ret != S_IFLNK)
		ret = -ESPIPE;
	/* Writing starts the transfer of the range; the Sentry writes the file's pages it
	 * holds (a gofer file's mapped page cache) at once, as fsync does. */
	else if (ret >= 0)
		ret = (flags & SYNC_FILE_RANGE_WRITE) && ret == S_IFREG ? vfs_fsync(f) : 0;
	file_put(f);
	return ret;
}

long sys_readahead(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f || !(f->fmode & FMODE_READ)) {
		if (f)
			file_put(f);
		return -EBADF;
	}
	ret = file_type(f);
	if (ret >= 0 && ret != S_IFREG && ret != S_IFBLK)
		ret = -EINVAL;
	else if (ret >= 0 && arg_long(a, 2) < 0)
		ret = -EINVAL; /* count beyond INT64_MAX, as fadvise's negative length */
	else if (ret >= 0)
		ret = 0; /* a hint: reads fetch what they need */
	file_put(f);
	return ret;
}

/* struct cachestat_range and struct cachestat of cachestat(2). */
struct cachestat_range_abi {
	uint64_t off, len;
};

struct cachestat_abi {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

struct cachestat_walk {
	struct shm_obj *obj;
	struct cachestat_abi *cs;
};

static int cachestat_page(void *arg, uint64_t key, uint64_t val)
{
	struct cachestat_walk *w = arg;

	(void)val;
	w->cs->nr_cache++;
	/* A tmpfs page is the file itself, never dirty (shmem pages carry no dirty tag);
	 * a gofer file's page is dirty from a writable mapping's fault until the cache drops
	 * it at the last unmap (its dirty set is not cleared by a writeback). */
	if (w->obj->backing && pmap_get(&w->obj->dirty, key))
		w->cs->nr_dirty++;
	return 0;
}

/* Count the pages of pages [first, last] that f's page cache holds. Nothing is ever
 * under writeback or evicted (there is no swap). */
static void cachestat_count(struct file *f, uint64_t first, uint64_t last,
			    struct cachestat_abi *cs)
{
	struct cachestat_walk w = {file_page_cache_now(f), cs};
	const uint64_t limit = PMAP_KEY_LIMIT / PAGE_SIZE;

	if (!w.obj || first > last || first >= limit)
		return;
	pmap_for_each(&w.obj->pages, first * PAGE_SIZE,
		      last >= limit - 1 ? PMAP_KEY_LIMIT : (last + 1) * PAGE_SIZE, cachestat_page,
		      &w);
}

/* Linux's can_do_cachestat: opened for writing, owned (or CAP_FOWNER), or writable. */
static bool cachestat_allowed(struct task *t, struct file *f)
{
	struct kstat st;

	if ((f->fmode & FMODE_WRITE) || !f->path.dentry)
		return true;
	if (vfs_getattr(f->path.dentry, &st) == 0 && vfs_is_owner(task_fs_creds(t), &st))
		return true;
	return vfs_permission(task_fs_creds(t), f->path.dentry, MAY_WRITE) == 0;
}

/* cachestat(fd, range, cstat, flags): the page-cache state of a file's range (len 0: to
 * the end). No hugetlbfs exists here, so its EOPNOTSUPP never arises. */
long sys_cachestat(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	struct cachestat_range_abi r;
	struct cachestat_abi cs = {0};
	long ret = 0;

	if (!f || (f->fmode & FMODE_PATH)) {
		if (f)
			file_put(f);
		return -EBADF;
	}
	if (copy_from_user(t, &r, arg_uaddr(a, 1), sizeof(r)))
		ret = -EFAULT;
	else if (!cachestat_allowed(t, f))
		ret = -EPERM;
	else if (arg_uint(a, 3))
		ret = -EINVAL;
	if (!ret) {
		cachestat_count(f, r.off / PAGE_SIZE,
				r.len ? (r.off + r.len - 1) / PAGE_SIZE : UINT64_MAX, &cs);
		if (copy_to_user(t, arg_uaddr(a, 2), &cs, sizeof(cs)))
			ret = -EFAULT;
	}
	file_put(f);
	return ret;
}
