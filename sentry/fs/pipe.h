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
#define PIPE_ATOMIC 4096	/* PIPE_BUF: writes up to this size are never split */

struct pipe {
	char *buf;
	size_t cap;		/* capacity in bytes */
	size_t head;		/* index of the oldest byte */
	size_t len;		/* bytes buffered */
	int readers, writers;	/* open ends */
	uint64_t ino;
	struct waitq rq;	/* readers wait here for data or the last writer going */
	struct waitq wq;	/* writers wait here for space or the last reader going */
};

struct pipe *pipe_new(size_t cap);
void pipe_free(struct pipe *p);
/* Copy up to size bytes in; returns the count (0 when full). */
size_t pipe_buf_write(struct pipe *p, const void *src, size_t size);
/* Copy up to size bytes out; returns the count (0 when empty). */
size_t pipe_buf_read(struct pipe *p, void *dst, size_t size);
/* Change the capacity (rounded up to a power of two pages). Returns the new capacity,
 * -EBUSY if more is buffered, -EPERM above PIPE_MAX_SIZE, -EINVAL for 0 overflow. */
long pipe_buf_resize(struct pipe *p, unsigned long size);
/* Copy up to size bytes out without consuming them; returns the count. */
size_t pipe_buf_peek(const struct pipe *p, void *dst, size_t size);
/* Drop n (at most len) bytes from the front. */
void pipe_buf_consume(struct pipe *p, size_t n);

/* ---- for splice, tee and vmsplice (sentry/syscalls/sys_splice.c); kernel lock held ---- */

struct file;
struct task;

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
