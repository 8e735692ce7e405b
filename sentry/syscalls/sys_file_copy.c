/* sys_file_copy.c: copy_file_range (an in-Sentry copy between regular files) and
 * fadvise64 (advice only). */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

#include "lib/util.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define COPY_CHUNK (64 * 1024)

static bool is_regular(const struct file *f)
{
	return f->inode && S_ISREG(f->inode->mode);
}

/* Copy up to count bytes from in at *in_off to out at *out_off, advancing both. Returns
 * bytes or -errno. */
static long copy_range(struct task *t, struct file *in, uint64_t *in_off, struct file *out,
		       uint64_t *out_off, size_t count)
{
	char *buf = xmalloc(COPY_CHUNK);
	size_t done = 0;
	long err = 0;

	while (done < count) {
		ssize_t n = vfs_pread(t, in, buf, MIN(count - done, COPY_CHUNK), *in_off);
		if (n <= 0) {
			err = n;
			break;
		}
		ssize_t w = vfs_pwrite(t, out, buf, (size_t)n, *out_off);
		if (w <= 0) {
			err = w;
			break;
		}
		*in_off += (uint64_t)w;
		*out_off += (uint64_t)w;
		done += (size_t)w;
		if (w < n)
			break;
	}
	free(buf);
	return done ? (long)done : err;
}

static int read_off(struct task *t, uaddr_t u, struct file *f, uint64_t *off)
{
	int64_t v;

	if (uaddr_is_null(u)) {
		*off = f->pos;
		return 0;
	}
	if (copy_from_user(t, &v, u, sizeof(v)))
		return -EFAULT;
	if (v < 0)
		return -EOVERFLOW; /* what Linux answers (the range check overflows) */
	*off = (uint64_t)v;
	return 0;
}

long sys_copy_file_range(struct task *t, const struct sysargs *a)
{
	uaddr_t uin = arg_uaddr(a, 1), uout = arg_uaddr(a, 3);
	size_t count = MIN(arg_u64(a, 4), (uint64_t)MAX_RW_COUNT);
	struct file *in = sys_fd_file(t, arg_int(a, 0)), *out = sys_fd_file(t, arg_int(a, 2));
	uint64_t in_off = 0, out_off = 0;
	long ret;

	if (arg_uint(a, 5) != 0)
		ret = -EINVAL;
	else if (!in || !(in->fmode & FMODE_READ) || !out || !(out->fmode & FMODE_WRITE) ||
		 (out->flags & O_APPEND))
		ret = -EBADF;
	else if ((in->inode && S_ISDIR(in->inode->mode)) || (out->inode && S_ISDIR(out->inode->mode)))
		ret = -EISDIR;
	else if (!is_regular(in) || !is_regular(out))
		ret = -EINVAL;
	else if ((ret = read_off(t, uin, in, &in_off)) == 0 &&
		 (ret = read_off(t, uout, out, &out_off)) == 0) {
		/* Overlapping ranges of one file are refused, as Linux does. */
		if (in->inode == out->inode && in_off < out_off + count && out_off < in_off + count)
			ret = -EINVAL;
		else
			ret = count ? copy_range(t, in, &in_off, out, &out_off, count) : 0;
	}
	if (ret >= 0) {
		if (uaddr_is_null(uin))
			in->pos = in_off;
		else if (copy_to_user(t, uin, &in_off, sizeof(in_off)))
			ret = -EFAULT;
		if (uaddr_is_null(uout))
			out->pos = out_off;
		else if (copy_to_user(t, uout, &out_off, sizeof(out_off)))
			ret = -EFAULT;
	}
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return ret;
}

long sys_fadvise64(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	int advice = arg_int(a, 3);
	long ret = 0;

	if (!f)
		return -EBADF;
	if (!f->inode || S_ISFIFO(f->inode->mode) || !(f->fmode & FMODE_PREAD))
		ret = -ESPIPE;
	else if (advice < POSIX_FADV_NORMAL || advice > POSIX_FADV_NOREUSE || arg_long(a, 2) < 0)
		ret = -EINVAL;
	file_put(f);
	return ret; /* advice only: the Sentry's caches do not change behaviour */
}
