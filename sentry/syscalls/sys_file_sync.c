/* sys_file_sync.c: fallocate, sync, syncfs, sync_file_range and readahead. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "sentry/kernel/task.h"
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
