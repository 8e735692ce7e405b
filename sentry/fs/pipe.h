/* pipe.h: anonymous pipes: a ring buffer shared by a read end and a write end. The buffer
 * functions are pure (no blocking) so unit tests can drive them directly. */
#ifndef RUNSC_SENTRY_FS_PIPE_H
#define RUNSC_SENTRY_FS_PIPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sentry/kernel/sched.h"

#define PIPE_DEFAULT_SIZE 65536
#define PIPE_MAX_SIZE (1 << 20) /* Linux's default fs.pipe-max-size */
#define PIPE_LIMIT_SIZE (1ul << 31) /* the most F_SETPIPE_SZ rounds to */
#define PIPE_ATOMIC 4096	/* PIPE_BUF: writes up to this size are never split */
#define PIPE_PAGE 4096		/* one buffer of the ring */

/* One buffer: bytes [off, off + len) of its page. As in Linux, a write appends to the
 * newest buffer only when that buffer allows it (merge) and the part of the write that is
 * not a whole page fits there; otherwise each write starts new buffers. A read takes
 * buffer by buffer and a fault in the reader's memory costs the whole buffer it falls in. */
struct pipe_slot {
	uint16_t off, len;
	bool merge;	/* written by write(2): later writes may append */
};

struct pipe {
	char *pages;		/* nslots pages: the slot at ring index i keeps its bytes in page i */
	struct pipe_slot *slots;
	unsigned nslots;	/* ring size: a power of two */
	unsigned tail, used;	/* ring index of the oldest buffer; buffers holding data */
	size_t cap;		/* capacity in bytes: nslots pages */
	size_t len;		/* bytes buffered */
	int readers, writers;	/* open ends */
	uint64_t ino;
	uint64_t r_counter, w_counter; /* opens of each side so far (FIFO open waits) */
	struct pipe **owner;	/* a FIFO's: the inode's pointer, cleared when it goes */
	struct waitq rq;	/* readers wait here for data or the last writer going */
	struct waitq wq;	/* writers wait here for space or the last reader going */
};

struct uio;

/* Where a transfer's bytes come from or go to: application memory through u (copies stop
 * at a fault, which sets fault), or else a Sentry buffer (src for writes, dst for reads). */
struct pipe_io {
	struct task *t;
	struct uio *u;
	const char *src;
	char *dst;
	bool fault;
};

/* ---- the ring (pipe_ring.c): pure, never blocks ---- */

struct pipe *pipe_new(size_t cap);
void pipe_free(struct pipe *p);
/* Append the first size % PIPE_PAGE bytes of a write to the newest buffer, if the pipe is
 * not empty and that buffer takes them whole. Returns the bytes appended (0 or that
 * many), or -EFAULT when the source faults (nothing is appended). */
long pipe_ring_merge(struct pipe *p, struct pipe_io *io, size_t size);
/* Fill new buffers, a page each, with up to size bytes while there are free slots.
 * Returns the bytes added; a page whose source faults is dropped and ends the fill
 * (io->fault), -EFAULT when that happens before any byte was added. */
long pipe_ring_fill(struct pipe *p, struct pipe_io *io, size_t size);
/* Take up to size bytes out buffer by buffer (consume false: copy only). A buffer whose
 * part does not reach the destination whole stays (io->fault): returns the bytes of the
 * buffers before it, -EFAULT if there are none. */
long pipe_ring_drain(struct pipe *p, struct pipe_io *io, size_t size, bool consume);
/* Drop n (at most len) bytes from the front. */
void pipe_buf_consume(struct pipe *p, size_t n);
/* Bytes a write could add now: the free slots' pages and the newest buffer's free tail. */
size_t pipe_room(const struct pipe *p);
/* Sentry-buffer forms of the above: a write as write(2) places it, without waiting
 * (returns the bytes added, 0 when full); a read or peek of up to size bytes. */
size_t pipe_buf_write(struct pipe *p, const void *src, size_t size);
size_t pipe_buf_read(struct pipe *p, void *dst, size_t size);
size_t pipe_buf_peek(struct pipe *p, void *dst, size_t size);
/* Add len bytes of application memory at addr as vmsplice does: one buffer per piece of
 * an application page, at that page's offset, never merged into. Returns the bytes added
 * (stopping when the pipe fills or at a page that faults: io->fault), -EFAULT if none. */
long pipe_ring_add_user(struct pipe *p, struct pipe_io *io, uint64_t addr, size_t len);
/* Buffers as splice and tee make them (Linux's pipe_buffers moved, linked or filled by a
 * file), never merged into the newest buffer. pipe_ring_splice: up to size bytes of in's
 * buffers become buffers of out while out has free slots, each at its page offset; splice
 * (keep false) consumes them and a buffer moved whole keeps its merge flag, tee (keep)
 * leaves them and its copies take no merges, nor does a partial buffer. Returns bytes. */
size_t pipe_ring_splice(struct pipe *in, struct pipe *out, size_t size, bool keep);
/* size bytes of a file's data in new buffers a page piece each, the first piece starting
 * at page_off in its page (a regular file's offset in its page cache page, else 0), while
 * there are free slots; no merges. Returns the bytes added. */
size_t pipe_buf_add(struct pipe *p, const void *src, size_t size, size_t page_off);
/* Bytes pipe_buf_add could add now at page_off. */
size_t pipe_slot_room(const struct pipe *p, size_t page_off);
/* Change the capacity (rounded up to a power of two pages; 0 is one page). Returns the new
 * capacity, -EINVAL above 2 GiB, -EPERM growing above PIPE_MAX_SIZE unless privileged
 * (CAP_SYS_RESOURCE), -EBUSY if more buffers are in use, -ENOMEM if the ring cannot be
 * allocated. */
long pipe_buf_resize(struct pipe *p, unsigned long size, bool privileged);

/* ---- for splice, tee and vmsplice (sentry/syscalls/sys_splice.c); kernel lock held ---- */

struct file;
struct task;

/* Make f an end of p (f->fmode says which; the caller counted it in readers/writers). */
void pipe_file_init(struct file *f, struct pipe *p);
/* The pipe behind f, or NULL if f is not a pipe. No reference is taken (f holds one). */
struct pipe *pipe_of(struct file *f);
/* Wait until p holds data. Returns 1 (data), 0 (empty and no writer left: EOF), -EAGAIN
 * (nonblock) or -ERESTARTSYS (a signal). */
int pipe_wait_data(struct task *t, struct pipe *p, bool nonblock);
/* Wait until p has free space. Returns 0, -EPIPE (no reader left; SIGPIPE was sent to t),
 * -EAGAIN (nonblock) or -ERESTARTSYS. */
int pipe_wait_space(struct task *t, struct pipe *p, bool nonblock);
/* Wake the waiters after bytes went in (readers) or out (writers). */
void pipe_wake_readers(struct pipe *p);
void pipe_wake_writers(struct pipe *p);

#endif
