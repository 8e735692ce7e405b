/* uring.h: the gofer's io_uring: host reads, writes and fsyncs of already-open fds queued
 * by the connection loop and sent to the kernel together, one io_uring_enter per batch of
 * requests. The ring accepts nothing else (registered restrictions), so it can never open
 * or resolve a path: names are walked only by the workers, by fd, with O_NOFOLLOW.
 * Single-threaded: only the loop thread uses a ring. */
#ifndef RUNSC_GOFER_URING_H
#define RUNSC_GOFER_URING_H

#include <stdbool.h>
#include <stdint.h>

struct gofer_ring;

/* A restricted ring of entries slots, or NULL when the kernel refuses io_uring (a sysctl,
 * seccomp, an old kernel): the caller then does the same I/O with plain syscalls. Logs one
 * line either way. Call before the seccomp filter: setting the ring up needs
 * io_uring_setup and io_uring_register, which the filter does not allow. */
struct gofer_ring *gofer_ring_new(unsigned entries);
void gofer_ring_free(struct gofer_ring *r);
/* Pollable: readable when completions wait. */
int gofer_ring_fd(const struct gofer_ring *r);
/* Can one more operation be queued (a free slot, completions room)? */
bool gofer_ring_has_room(const struct gofer_ring *r);
/* Queue one operation whose completion carries data. Call only when gofer_ring_has_room. */
void gofer_ring_read(struct gofer_ring *r, int fd, void *buf, uint32_t len, uint64_t off,
		     void *data);
void gofer_ring_write(struct gofer_ring *r, int fd, const void *buf, uint32_t len, uint64_t off,
		      void *data);
void gofer_ring_fsync(struct gofer_ring *r, int fd, bool datasync, void *data);
/* Hand every queued operation to the kernel with one io_uring_enter. 0 or -errno. */
int gofer_ring_submit(struct gofer_ring *r);
/* One finished operation: true with its data and result (bytes or -errno); false if none
 * is ready. Never blocks. */
bool gofer_ring_reap(struct gofer_ring *r, void **data, int *res);
/* Operations submitted or queued and not yet reaped. */
unsigned gofer_ring_busy(const struct gofer_ring *r);

#endif
