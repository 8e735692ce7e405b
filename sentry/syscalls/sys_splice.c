/* sys_splice.c: splice, tee and vmsplice. Our pipe buffers hold copies, so data is copied
 * where Linux moves or links pages; what the application sees (counts, waits, errnos,
 * SIGPIPE, what a fault in its memory costs) follows Linux: a transfer waits for the pipe
 * side only (SPLICE_F_NONBLOCK or O_NONBLOCK on a pipe: EAGAIN), moves what is there, and
 * never waits for more once it has moved something. vmsplice into a pipe makes a buffer
 * of each piece of an application page (copied when it is called) and stops at a page
 * that faults; out of a pipe it keeps a buffer it could not deliver whole. The buffers
 * splice and tee make count as Linux's do (pipe_ring_splice, pipe_buf_add): they never
 * merge into the newest buffer, so a pipe's capacity in buffers fills as on Linux.
 * SPLICE_F_MOVE, SPLICE_F_MORE and SPLICE_F_GIFT change nothing. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "lib/util.h"
#include "sentry/fs/pipe.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/uio.h"
#include "sentry/socket/socket.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define SPLICE_F_ALL (SPLICE_F_MOVE | SPLICE_F_NONBLOCK | SPLICE_F_MORE | SPLICE_F_GIFT)

/* Move (or for tee, copy) what both pipes allow now, after waiting for input, then for
 * room. */
static long pipe_to_pipe(struct task *t, struct pipe *in, struct pipe *out, size_t len,
			 bool nonblock, bool keep)
{
	size_t n;
	int ret = pipe_wait_data(t, in, nonblock);

	if (ret <= 0)
		return ret;
	ret = pipe_wait_space(t, out, nonblock);
	if (ret < 0)
		return ret;
	/* Buffer by buffer while out has free slots, as Linux moves or links them. */
	n = pipe_ring_splice(in, out, len, keep);
	if (!keep)
		pipe_wake_writers(in);
	pipe_wake_readers(out);
	return (long)n;
}

/* Pipe to a file, socket or tty: write what the pipe holds (up to len), consuming only
 * what the file took. off: the file offset to use (pwrite), else the file position. */
static long pipe_to_file(struct task *t, struct pipe *in, struct file *out, uint64_t *off,
			 size_t len, bool nonblock)
{
	ssize_t w;
	size_t n;
	char *buf;
	int ret = pipe_wait_data(t, in, nonblock);

	if (ret <= 0)
		return ret;
	n = MIN(len, in->len);
	buf = xmalloc(n);
	n = pipe_buf_peek(in, buf, n);
	w = off ? vfs_pwrite(t, out, buf, n, *off) : vfs_write(t, out, buf, n);
	free(buf);
	if (w > 0) {
		pipe_buf_consume(in, (size_t)w);
		pipe_wake_writers(in);
		if (off)
			*off += (uint64_t)w;
	}
	return w;
}

/* A file, socket or tty into a pipe: read at most what the pipe's free slots take, into
 * buffers of their own, a page piece each (a regular file's at its offset's place in the
 * page, as Linux's page cache pieces). */
static long file_to_pipe(struct task *t, struct file *in, uint64_t *off, struct pipe *out,
			 size_t len, bool nonblock)
{
	bool regular = in->inode && S_ISREG(in->inode->mode);
	size_t room, page_off;
	ssize_t n;
	char *buf;
	int ret = pipe_wait_space(t, out, nonblock);

	if (ret < 0)
		return ret;
	page_off = regular ? (off ? *off : in->pos) % PIPE_PAGE : 0;
	room = MIN(len, pipe_slot_room(out, page_off));
	buf = xmalloc(room);
	n = off ? vfs_pread(t, in, buf, room, *off) : vfs_read(t, in, buf, room);
	if (n > 0) {
		/* A read that slept may find less room (another writer): wait for the rest. */
		size_t done = pipe_buf_add(out, buf, (size_t)n, page_off);

		while (done < (size_t)n && out->readers > 0) {
			pipe_wake_readers(out);
			if (pipe_wait_space(t, out, false) < 0)
				break;
			done += pipe_buf_add(out, buf + done, (size_t)n - done, page_off + done);
		}
		pipe_wake_readers(out);
		if (off)
			*off += (uint64_t)n;
	}
	free(buf);
	return n;
}

/* A stream socket into a pipe: piece after piece (one send each) while the pipe has free
 * slots, each in buffers of its own, waiting only for the first (Linux's
 * unix_stream_splice_read; SPLICE_F_NONBLOCK, or O_NONBLOCK on either: EAGAIN). */
static long socket_to_pipe(struct task *t, struct file *in, struct pipe *out, size_t len,
			   bool nonblock)
{
	size_t done = 0, room;
	ssize_t n = 0;
	char *buf;
	int ret = pipe_wait_space(t, out, nonblock);

	if (ret < 0)
		return ret;
	buf = xmalloc(MIN(len, pipe_slot_room(out, 0)));
	while (done < len && (room = MIN(len - done, pipe_slot_room(out, 0))) > 0) {
		n = socket_read_piece(t, in, buf, room, nonblock || done);
		if (n <= 0)
			break;
		pipe_buf_add(out, buf, (size_t)n, 0);
		done += (size_t)n;
	}
	free(buf);
	if (done)
		pipe_wake_readers(out);
	return done ? (long)done : n;
}

/* Copy in *off (NULL pointer: no offset). Negative offsets are EINVAL. */
static int read_off(struct task *t, uaddr_t u, int64_t *off)
{
	if (uaddr_is_null(u))
		return 0;
	if (copy_from_user(t, off, u, sizeof(*off)))
		return -EFAULT;
	return 0;
}

/* The non-pipe end of a splice: readable/seekable as the offset demands. */
static int check_file_end(struct file *f, bool has_off, int64_t off, bool writing)
{
	if (f->inode && S_ISDIR(f->inode->mode))
		return -EINVAL;
	if (has_off && !(f->fmode & FMODE_PREAD))
		return -EINVAL;
	if (writing && (f->flags & O_APPEND))
		return -EINVAL;
	if (has_off && off < 0)
		return -EINVAL;
	return 0;
}

static bool socket_is_stream(struct file *f)
{
	struct socket *s = socket_from_file(f);

	return s && s->type == SOCK_STREAM;
}

static long do_splice(struct task *t, struct file *in, uaddr_t uin, struct file *out,
		      uaddr_t uout, size_t len, unsigned flags)
{
	struct pipe *ipipe = pipe_of(in), *opipe = pipe_of(out);
	bool nonblock = flags & SPLICE_F_NONBLOCK, has_in = !uaddr_is_null(uin),
	     has_out = !uaddr_is_null(uout);
	int64_t off = 0;
	long ret;

	if (!(in->fmode & FMODE_READ) || !(out->fmode & FMODE_WRITE))
		return -EBADF;
	if ((ipipe && has_in) || (opipe && has_out))
		return -ESPIPE;
	if (ipipe && opipe) {
		if (ipipe == opipe)
			return -EINVAL;
		nonblock |= ((in->flags | out->flags) & O_NONBLOCK) != 0;
		return pipe_to_pipe(t, ipipe, opipe, len, nonblock, false);
	}
	if (!ipipe && !opipe)
		return -EINVAL;
	ret = read_off(t, ipipe ? uout : uin, &off);
	if (ret == 0)
		ret = ipipe ? check_file_end(out, has_out, off, true) :
			      check_file_end(in, has_in, off, false);
	if (ret < 0)
		return ret;
	if (ipipe) {
		nonblock |= (in->flags & O_NONBLOCK) != 0;
		ret = pipe_to_file(t, ipipe, out, has_out ? (uint64_t *)&off : NULL, len,
				   nonblock);
	} else {
		nonblock |= (out->flags & O_NONBLOCK) != 0;
		if (socket_is_stream(in))
			ret = socket_to_pipe(t, in, opipe, len, nonblock);
		else
			ret = file_to_pipe(t, in, has_in ? (uint64_t *)&off : NULL, opipe, len,
					   nonblock);
	}
	if (ret >= 0 && (has_in || has_out) &&
	    copy_to_user(t, has_in ? uin : uout, &off, sizeof(off)))
		ret = -EFAULT;
	return ret;
}

static long do_tee(struct task *t, struct file *in, struct file *out, size_t len,
		   unsigned flags)
{
	struct pipe *ipipe = pipe_of(in), *opipe = pipe_of(out);

	if (!(in->fmode & FMODE_READ) || !(out->fmode & FMODE_WRITE))
		return -EBADF;
	if (!ipipe || !opipe || ipipe == opipe)
		return -EINVAL;
	return pipe_to_pipe(t, ipipe, opipe, len,
			    (flags & SPLICE_F_NONBLOCK) || ((in->flags | out->flags) & O_NONBLOCK),
			    true);
}

/* splice and tee check, in Linux's order, len (0 returns 0 at once), the flags, then
 * both fds, before do_splice (uin, uout: the offsets) or do_tee (tee) runs. */
static long splice_or_tee(struct task *t, int fd_in, uaddr_t uin, int fd_out, uaddr_t uout,
			  uint64_t len, unsigned flags, bool tee)
{
	struct file *in, *out;
	long ret;

	len = MIN(len, (uint64_t)MAX_RW_COUNT);
	if (len == 0)
		return 0;
	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	in = sys_fd_file(t, fd_in);
	if (!in)
		return -EBADF;
	out = sys_fd_file(t, fd_out);
	if (!out)
		ret = -EBADF;
	else if (tee)
		ret = do_tee(t, in, out, (size_t)len, flags);
	else
		ret = do_splice(t, in, uin, out, uout, (size_t)len, flags);
	if (out)
		file_put(out);
	file_put(in);
	return ret;
}

long sys_splice(struct task *t, const struct sysargs *a)
{
	return splice_or_tee(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), arg_uaddr(a, 3),
			     arg_u64(a, 4), arg_uint(a, 5), false);
}

long sys_tee(struct task *t, const struct sysargs *a)
{
	return splice_or_tee(t, arg_int(a, 0), uaddr(0), arg_int(a, 1), uaddr(0), arg_u64(a, 2),
			     arg_uint(a, 3), true);
}

/* User memory into the pipe once there is room: a buffer per piece of an application
 * page, as Linux links the pages; stops when the pipe is full or at a page that faults. */
static long vmsplice_to_pipe(struct task *t, struct pipe *p, struct uio *u, bool nonblock)
{
	struct pipe_io io = {.t = t};
	size_t done = 0;
	long n = pipe_wait_space(t, p, nonblock);

	for (int i = 0; n >= 0 && i < u->cnt && p->used < p->nslots && !io.fault; i++) {
		n = pipe_ring_add_user(p, &io, u->iov[i].base, u->iov[i].len);
		done += n > 0 ? (size_t)n : 0;
	}
	if (done)
		pipe_wake_readers(p);
	return done ? (long)done : n;
}

/* The pipe into user memory, as read(2) would (a fault costs the buffer it falls in) but
 * without waiting once data came. */
static long vmsplice_to_user(struct task *t, struct pipe *p, struct uio *u, bool nonblock)
{
	struct pipe_io io = {.t = t, .u = u};
	long n = pipe_wait_data(t, p, nonblock);

	if (n <= 0)
		return n;
	n = pipe_ring_drain(p, &io, uio_left(u), true);
	if (n > 0)
		pipe_wake_writers(p);
	return n;
}

long sys_vmsplice(struct task *t, const struct sysargs *a)
{
	unsigned long cnt = arg_u64(a, 2);
	unsigned flags = arg_uint(a, 3);
	struct uio u = {0};
	struct file *f;
	struct pipe *p;
	bool nonblock;
	long ret;

	if (flags & ~SPLICE_F_ALL)
		return -EINVAL;
	f = sys_fd_file(t, arg_int(a, 0));
	if (!f)
		return -EBADF;
	if (!(f->fmode & (FMODE_READ | FMODE_WRITE))) {
		file_put(f);
		return -EBADF;
	}
	ret = cnt > UIO_MAXIOV ? -EINVAL : uio_import(t, arg_uaddr(a, 1), (int)cnt, &u);
	p = pipe_of(f);
	nonblock = (flags & SPLICE_F_NONBLOCK) || (f->flags & O_NONBLOCK);
	if (ret == 0 && u.total == 0)
		ret = 0;
	else if (ret == 0 && !p)
		ret = -EBADF;
	else if (ret == 0 && (f->fmode & FMODE_WRITE))
		ret = vmsplice_to_pipe(t, p, &u, nonblock);
	else if (ret == 0)
		ret = vmsplice_to_user(t, p, &u, nonblock);
	free(u.iov);
	file_put(f);
	return ret;
}
