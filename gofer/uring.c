/* uring.c: the gofer's io_uring (liburing), restricted to read, write and fsync. */
#include "gofer/uring.h"

#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <liburing.h>

#include "lib/log.h"
#include "lib/util.h"

struct gofer_ring {
	struct io_uring ring;
	unsigned entries; /* SQ slots; the CQ has twice as many */
	unsigned busy;	  /* queued or in the kernel, not reaped */
};

/* io_uring_register directly: Debian's liburing 2.3 declares the restriction helpers but
 * does not export them. */
static int ring_register(struct io_uring *ring, unsigned op, void *arg, unsigned nr)
{
	return syscall(SYS_io_uring_register, ring->ring_fd, op, arg, nr) < 0 ? -errno : 0;
}

/* Allow only what the loop queues, with no SQE flags (no fixed files, links, buffers). */
static int ring_restrict(struct io_uring *ring)
{
	struct io_uring_restriction res[] = {
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_READ},
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_WRITE},
	    {.opcode = IORING_RESTRICTION_SQE_OP, .sqe_op = IORING_OP_FSYNC},
	    {.opcode = IORING_RESTRICTION_SQE_FLAGS_ALLOWED, .sqe_flags = 0},
	};
	int ret = ring_register(ring, IORING_REGISTER_RESTRICTIONS, res, ARRAY_SIZE(res));

	return ret ? ret : ring_register(ring, IORING_REGISTER_ENABLE_RINGS, NULL, 0);
}

struct gofer_ring *gofer_ring_new(unsigned entries)
{
	struct io_uring_params p = {.flags = IORING_SETUP_R_DISABLED};
	struct gofer_ring *r = xcalloc(1, sizeof(*r));
	int ret;

	ret = io_uring_queue_init_params(entries, &r->ring, &p);
	if (ret == 0) {
		ret = ring_restrict(&r->ring);
		if (ret)
			io_uring_queue_exit(&r->ring);
	}
	if (ret) {
		log_info("gofer: io_uring unavailable (%d): host I/O runs on the workers", ret);
		free(r);
		return NULL;
	}
	r->entries = p.sq_entries;
	log_debug("gofer: io_uring of %u entries for host reads, writes and fsyncs", r->entries);
	return r;
}

void gofer_ring_free(struct gofer_ring *r)
{
	if (!r)
		return;
	io_uring_queue_exit(&r->ring);
	free(r);
}

int gofer_ring_fd(const struct gofer_ring *r)
{
	return r->ring.ring_fd;
}

bool gofer_ring_has_room(const struct gofer_ring *r)
{
	/* busy <= SQ size keeps completions within the CQ (twice as large). */
	return r->busy < r->entries && io_uring_sq_space_left(&r->ring) > 0;
}

static struct io_uring_sqe *ring_sqe(struct gofer_ring *r, void *data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	if (!sqe)
		log_fatal("gofer: io_uring slot taken without room");
	r->busy++;
	io_uring_sqe_set_data(sqe, data);
	return sqe;
}

void gofer_ring_read(struct gofer_ring *r, int fd, void *buf, uint32_t len, uint64_t off,
		     void *data)
{
	io_uring_prep_read(ring_sqe(r, data), fd, buf, len, off);
}

void gofer_ring_write(struct gofer_ring *r, int fd, const void *buf, uint32_t len, uint64_t off,
		      void *data)
{
	io_uring_prep_write(ring_sqe(r, data), fd, buf, len, off);
}

void gofer_ring_fsync(struct gofer_ring *r, int fd, bool datasync, void *data)
{
	io_uring_prep_fsync(ring_sqe(r, data), fd, datasync ? IORING_FSYNC_DATASYNC : 0);
}

int gofer_ring_submit(struct gofer_ring *r)
{
	int ret;

	do
		ret = io_uring_submit(&r->ring);
	while (ret == -EINTR);
	return ret < 0 ? ret : 0;
}

bool gofer_ring_reap(struct gofer_ring *r, void **data, int *res)
{
	struct io_uring_cqe *cqe;

	if (io_uring_peek_cqe(&r->ring, &cqe) != 0 || !cqe)
		return false;
	*data = io_uring_cqe_get_data(cqe);
	*res = cqe->res;
	io_uring_cqe_seen(&r->ring, cqe);
	r->busy--;
	return true;
}

unsigned gofer_ring_busy(const struct gofer_ring *r)
{
	return r->busy;
}
