/* sys_file_rw.c: read, write, pread64, pwrite64, readv, writev, preadv(2), pwritev(2),
 * lseek and sendfile. Data moves through a Sentry bounce buffer in chunks (writes to
 * files with write_iov, tmpfs, copy straight from the application's pinned pages);
 * regular files loop until a short transfer, /dev/zero and /dev/urandom until done or a
 * signal is pending, other files (pipes, ttys) read once so they never block with data
 * in hand. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/uio.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define RW_CHUNK (256 * 1024)
/* A write without a bounce buffer: at most this much, in at most PIN_SEGS runs, per call. */
#define PIN_CHUNK (1024 * 1024)
#define PIN_SEGS 64

/* Pin the next n bytes of u for a write (fewer at a fault or when seg fills: the result is
 * mm_user_pin's), advancing u past the *pinned bytes; *cnt entries of seg are used. */
static int uio_pin(struct task *t, struct uio *u, size_t n, struct iovec *seg, int *cnt,
		   size_t *pinned)
{
	int ret = 0;

	*pinned = 0;
	*cnt = 0;
	while (ret == 0 && n > 0 && u->idx < u->cnt) {
		struct user_iov *v = &u->iov[u->idx];
		size_t step = MIN(n, v->len - u->off), got = 0;

		if (step)
			ret = mm_user_pin(t->mm, v->base + u->off, step, seg, PIN_SEGS, cnt, &got);
		*pinned += got;
		n -= got;
		uio_skip(u, got);
	}
	return ret;
}

/* Of got bytes of records that reached the application before a fault, those kept. */
static size_t record_floor(const struct file *f, size_t got)
{
	unsigned rec = f->ops ? f->ops->fault_record : 0;

	return rec ? got - got % rec : 0;
}

/* Read into u from f (at *off when off is non-NULL, else at the file position). A fault in
 * the buffer ends the read after the bytes before it, as in Linux: a regular file's
 * position goes back over what was read but not delivered; files of records
 * (FMODE_WHOLE_RECORDS) lose the records read from the fault on (fault_record); other files (ttys,
 * devices, host fds) are asked only for what the buffer can take, so they keep the rest.
 * Pipes and sockets have their own rules (read_uio). */
static long do_read(struct task *t, struct file *f, struct uio *u, uint64_t *off)
{
	bool regular = f->inode && S_ISREG(f->inode->mode);
	bool full = f->fmode & FMODE_FULL_READ, records = f->fmode & FMODE_WHOLE_RECORDS;
	size_t done = 0, chunk, got;
	char *kbuf;
	long ret = 0;

	if (u->total == 0)
		return off ? vfs_pread(t, f, NULL, 0, *off) : vfs_read(t, f, NULL, 0);
	if (!off && f->ops && f->ops->read_uio)
		return vfs_read_uio(t, f, u);
	kbuf = xmalloc(MIN(u->total, (size_t)RW_CHUNK));
	while (done < u->total) {
		ssize_t n;

		chunk = MIN(u->total - done, (size_t)RW_CHUNK);
		if (!regular && !records && (chunk = uio_writable(t, u, chunk)) == 0) {
			ret = -EFAULT;
			break;
		}
		n = off ? vfs_pread(t, f, kbuf, chunk, *off + done) : vfs_read(t, f, kbuf, chunk);
		if (n < 0) {
			ret = n;
			break;
		}
		got = n > 0 ? uio_copy_out(t, u, kbuf, (size_t)n) : 0;
		if (got < (size_t)n) {
			if (regular && !off)
				f->pos -= (size_t)n - got;
			done += records ? record_floor(f, got) : got;
			ret = -EFAULT;
			break;
		}
		done += got;
		if ((size_t)n < chunk || !(regular || full) || (full && task_signal_pending(t)))
			break;
	}
	free(kbuf);
	return done ? (long)done : ret;
}

/* RLIMIT_FSIZE: a regular file may not grow past the limit; a write starting at or
 * beyond it raises SIGXFSZ and fails with EFBIG, one crossing it is cut short. */
static long fsize_clamp(struct task *t, struct file *f, const uint64_t *off, size_t *count)
{
	uint64_t lim = t->tg->rlim[RLIMIT_FSIZE].rlim_cur, pos;

	if (lim == RLIM_INFINITY || !f->inode || !S_ISREG(f->inode->mode))
		return 0;
	pos = (f->flags & O_APPEND) ? f->inode->size : off ? *off : f->pos;
	if (pos >= lim) {
		task_send_signal(t, SIGXFSZ, NULL);
		return -EFBIG;
	}
	if (*count > lim - pos)
		*count = (size_t)(lim - pos);
	return 0;
}

/* do_write for files with write_iov: from the application's pinned pages, no bounce
 * buffer. A fault ends the write after the bytes before it, as in Linux. */
static long write_pinned(struct task *t, struct file *f, struct uio *u, const uint64_t *off,
			 size_t total)
{
	struct iovec seg[PIN_SEGS];
	size_t done = 0;
	long ret = 0;

	while (done < total) {
		size_t pinned;
		int cnt;
		int err = uio_pin(t, u, MIN(total - done, (size_t)PIN_CHUNK), seg, &cnt, &pinned);
		uint64_t at = off ? *off + done : 0;
		ssize_t n = pinned ? vfs_write_iov(t, f, seg, cnt, pinned, off ? &at : NULL)
				   : -EFAULT;

		mm_user_unpin(seg, cnt);
		if (n < 0) {
			ret = n;
			break;
		}
		done += (size_t)n;
		if ((size_t)n < pinned || err == -EFAULT)
			break;
	}
	return done ? (long)done : ret;
}

/* Write u to f (at *off when non-NULL, else at the position or the end for O_APPEND). */
static long do_write(struct task *t, struct file *f, struct uio *u, uint64_t *off)
{
	size_t done = 0, chunk, total = u->total;
	char *kbuf;
	long ret = 0;

	if (u->total == 0)
		return off ? vfs_pwrite(t, f, NULL, 0, *off) : vfs_write(t, f, NULL, 0);
	ret = fsize_clamp(t, f, off, &total);
	if (ret)
		return ret;
	if (!off && f->ops && f->ops->write_uio)
		return vfs_write_uio(t, f, u);
	if (f->ops && f->ops->write_iov && (f->fmode & FMODE_WRITE))
		return write_pinned(t, f, u, off, total);
	kbuf = xmalloc(MIN(total, (size_t)RW_CHUNK));
	while (done < total) {
		ssize_t n;

		chunk = MIN(total - done, (size_t)RW_CHUNK);
		if (uio_copy_in(t, u, kbuf, chunk) != chunk) {
			ret = -EFAULT;
			break;
		}
		n = off ? vfs_pwrite(t, f, kbuf, chunk, *off + done) : vfs_write(t, f, kbuf, chunk);
		if (n < 0) {
			ret = n;
			break;
		}
		done += (size_t)n;
		if ((size_t)n < chunk)
			break;
	}
	free(kbuf);
	return done ? (long)done : ret;
}

static long rw_single(struct task *t, const struct sysargs *a, bool write, bool positional)
{
	struct user_iov v = {arg_u64(a, 1), MIN(arg_u64(a, 2), (uint64_t)MAX_RW_COUNT)};
	struct uio u = {.iov = &v, .cnt = 1, .total = v.len};
	uint64_t off = arg_u64(a, 3);
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	long ret;

	if (!f)
		return -EBADF;
	if (positional && (int64_t)off < 0)
		ret = -EINVAL;
	else if (write)
		ret = do_write(t, f, &u, positional ? &off : NULL);
	else
		ret = do_read(t, f, &u, positional ? &off : NULL);
	file_put(f);
	return ret;
}

long sys_read(struct task *t, const struct sysargs *a)
{
	return rw_single(t, a, false, false);
}

long sys_write(struct task *t, const struct sysargs *a)
{
	return rw_single(t, a, true, false);
}

long sys_pread64(struct task *t, const struct sysargs *a)
{
	return rw_single(t, a, false, true);
}

long sys_pwrite64(struct task *t, const struct sysargs *a)
{
	return rw_single(t, a, true, true);
}

/* The vector calls: readv/writev (off NULL), preadv/pwritev and the v2 pair. HIPRI is a
 * polling hint with nothing to poll here; DSYNC/SYNC sync the file after a write.
 * NOWAIT, APPEND and NOAPPEND are not supported (EOPNOTSUPP, as Linux answers for a
 * file that can't honour them); unknown bits are EOPNOTSUPP as in Linux. */
static long rw_vector_at(struct task *t, const struct sysargs *a, bool write, uint64_t *off,
			 unsigned rwf)
{
	struct uio u = {0};
	struct file *f;
	long ret;

	f = sys_fd_file(t, arg_int(a, 0));
	if (!f)
		return -EBADF;
	if (off && !(f->fmode & FMODE_PREAD))
		ret = -ESPIPE;
	else
		ret = uio_import(t, arg_uaddr(a, 1), arg_int(a, 2), &u);
	if (ret == 0 && (rwf & ~(unsigned)(RWF_HIPRI | RWF_DSYNC | RWF_SYNC)))
		ret = -EOPNOTSUPP;
	if (ret == 0)
		ret = write ? do_write(t, f, &u, off) : do_read(t, f, &u, off);
	if (ret > 0 && write && (rwf & (RWF_DSYNC | RWF_SYNC))) {
		int err = vfs_fsync(f);

		if (err < 0)
			ret = err;
	}
	free(u.iov);
	file_put(f);
	return ret;
}

long sys_file_rw_uio(struct task *t, struct file *f, struct uio *u, uint64_t *off,
		     bool write, unsigned rwf)
{
	long ret = write ? do_write(t, f, u, off) : do_read(t, f, u, off);

	if (ret > 0 && write && (rwf & (RWF_DSYNC | RWF_SYNC))) {
		int err = vfs_fsync(f);

		if (err < 0)
			ret = err;
	}
	return ret;
}

long sys_readv(struct task *t, const struct sysargs *a)
{
	return rw_vector_at(t, a, false, NULL, 0);
}

long sys_writev(struct task *t, const struct sysargs *a)
{
	return rw_vector_at(t, a, true, NULL, 0);
}

/* preadv/pwritev: on x86-64 pos_l (arg 3) holds the whole offset; pos_h is unused. */
static long rw_vector_pos(struct task *t, const struct sysargs *a, bool write, bool v2)
{
	int64_t pos = (int64_t)arg_u64(a, 3);
	uint64_t off = (uint64_t)pos;
	unsigned rwf = v2 ? (unsigned)arg_u64(a, 5) : 0;

	if (v2 && pos == -1)
		return rw_vector_at(t, a, write, NULL, rwf);
	if (pos < 0)
		return -EINVAL;
	return rw_vector_at(t, a, write, &off, rwf);
}

long sys_preadv(struct task *t, const struct sysargs *a)
{
	return rw_vector_pos(t, a, false, false);
}

long sys_pwritev(struct task *t, const struct sysargs *a)
{
	return rw_vector_pos(t, a, true, false);
}

long sys_preadv2(struct task *t, const struct sysargs *a)
{
	return rw_vector_pos(t, a, false, true);
}

long sys_pwritev2(struct task *t, const struct sysargs *a)
{
	return rw_vector_pos(t, a, true, true);
}

long sys_lseek(struct task *t, const struct sysargs *a)
{
	struct file *f = sys_fd_file(t, arg_int(a, 0));
	unsigned whence = arg_uint(a, 2);
	long ret;

	if (!f)
		return -EBADF;
	if (whence > SEEK_HOLE)
		ret = -EINVAL;
	else
		ret = vfs_lseek(f, arg_long(a, 1), (int)whence);
	file_put(f);
	return ret;
}

/* Copy up to count bytes from in (at *off or its position) to out. */
static long sendfile_copy(struct task *t, struct file *out, struct file *in, uint64_t *off,
			  size_t count)
{
	size_t done = 0;
	char *kbuf = xmalloc(MIN(count, (size_t)RW_CHUNK));
	long ret = 0;

	while (done < count) {
		size_t chunk = MIN(count - done, (size_t)RW_CHUNK);
		ssize_t n = off ? vfs_pread(t, in, kbuf, chunk, *off) : vfs_read(t, in, kbuf, chunk);
		ssize_t w;

		if (n <= 0) {
			ret = n;
			break;
		}
		w = vfs_write(t, out, kbuf, (size_t)n);
		if (w < 0) {
			ret = w;
			w = 0;
		}
		/* Give back what was read but not written. */
		if (off)
			*off += (uint64_t)w;
		else if (w < n && (in->fmode & FMODE_LSEEK))
			in->pos -= (uint64_t)(n - w);
		done += (size_t)w;
		if (w < n || ret < 0)
			break;
	}
	free(kbuf);
	return done ? (long)done : ret;
}

long sys_sendfile(struct task *t, const struct sysargs *a)
{
	uaddr_t uoff = arg_uaddr(a, 2);
	size_t count = MIN(arg_u64(a, 3), (uint64_t)MAX_RW_COUNT);
	struct file *in = NULL, *out = NULL;
	int64_t off = 0;
	long ret;

	if (!uaddr_is_null(uoff) && copy_from_user(t, &off, uoff, sizeof(off)))
		return -EFAULT;
	in = sys_fd_file(t, arg_int(a, 1));
	out = sys_fd_file(t, arg_int(a, 0));
	if (!in || !(in->fmode & FMODE_READ) || !out || !(out->fmode & FMODE_WRITE))
		ret = -EBADF;
	else if (!uaddr_is_null(uoff) && !(in->fmode & FMODE_PREAD))
		ret = -ESPIPE;
	else if (off < 0)
		ret = -EINVAL;
	else if ((out->flags & O_APPEND) || (in->inode && S_ISDIR(in->inode->mode)))
		ret = -EINVAL;
	else if (count == 0)
		ret = 0;
	else
		ret = sendfile_copy(t, out, in, uaddr_is_null(uoff) ? NULL : (uint64_t *)&off,
				    count);
	if (ret >= 0 && !uaddr_is_null(uoff) && copy_to_user(t, uoff, &off, sizeof(off)))
		ret = -EFAULT;
	if (in)
		file_put(in);
	if (out)
		file_put(out);
	return ret;
}
