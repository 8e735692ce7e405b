/* aio.c: Linux native AIO: io_setup, io_destroy, io_submit, io_cancel, io_getevents and
 * io_pgetevents (Linux's fs/aio.c).
 *
 * A context is a ring mapped shared into the application (struct aio_ring, then io_event
 * slots) whose address is the aio_context_t, as on Linux, so libaio reaps completions in
 * user space by moving ring->head. Each operation runs to completion inside io_submit,
 * as Linux's own buffered (non-O_DIRECT) AIO does, and its event is posted to the ring
 * before io_submit returns: nothing is ever in flight once io_submit has returned, so
 * io_cancel finds nothing (EINVAL, as for a completed request) and io_destroy waits only
 * for io_submit calls still running (a read of an empty pipe).
 * Contexts belong to an mm (mm->aio): a fork child has none (it shares the ring mapping,
 * as on Linux, but its io_* calls find no context: EINVAL); exec and exit drop them.
 * Kernel lock held throughout.
 */
#include "sentry/fs/aio.h"

#include <errno.h>
#include <linux/aio_abi.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "lib/util.h"
#include "sentry/fs/anon.h"
#include "sentry/kernel/ioprio.h"
#include "sentry/kernel/sched.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/mm/uio.h"
#include "sentry/syscalls/sys_file.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define AIO_RING_MAGIC 0xa10a10a1
#define USER_ADDR_MAX 0x7ffffffff000ULL /* Linux's TASK_SIZE: access_ok's bound */
#define KTIME_SEC_MAX 9223372036LL

/* The ring header the application reads (Linux's struct aio_ring); io_events follow. */
struct aio_ring {
	uint32_t id, nr, head, tail;
	uint32_t magic, compat_features, incompat_features, header_length;
};

struct aio_ctx {
	int refs;		/* the mm's list holds one, and each call using the context */
	struct list_head link;	/* mm->aio while alive */
	uint64_t addr;		/* the ring's address: the aio_context_t */
	uint64_t size;		/* bytes of the ring mapping */
	struct shm_obj *ring;	/* the ring's pages; each VMA mapping it holds a reference */
	unsigned id;		/* ring->id: the context's index among its mm's */
	unsigned nr;		/* io_event slots in the ring */
	unsigned user_nr;	/* io_setup's nr_events, counted in g_aio_nr */
	unsigned tail;		/* next slot to fill; ring->tail mirrors it */
	unsigned inflight;	/* io_submit operations running (blocked on a pipe, say) */
	bool dead;		/* destroyed: waiters return, lookups fail */
	struct waitq wq;	/* io_getevents waiters */
};

static uint64_t g_aio_nr; /* the sandbox's sum of user_nr (Linux's aio_nr) */

static void ctx_put(struct aio_ctx *c)
{
	if (--c->refs > 0)
		return;
	shm_obj_put(c->ring);
	free(c);
}

/* The Sentry's pointer to byte off of the ring (NULL when out of memory). Looked up each
 * time: MADV_REMOVE may have replaced the page. */
static void *ring_at(struct aio_ctx *c, uint64_t off)
{
	int64_t page = shm_obj_page(c->ring, off & ~(PAGE_SIZE - 1));

	if (page < 0)
		return NULL;
	return (char *)memfile_ptr((uint64_t)page) + (off & (PAGE_SIZE - 1));
}

static struct io_event *ring_event(struct aio_ctx *c, unsigned slot)
{
	return ring_at(c, sizeof(struct aio_ring) + (uint64_t)slot * sizeof(struct io_event));
}

/* ring->head as the application left it, brought into range as Linux does. */
static unsigned ring_head(struct aio_ctx *c)
{
	struct aio_ring *r = ring_at(c, 0);

	return r ? __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) % c->nr : c->tail;
}

/* Completions in the ring not yet reaped. */
static unsigned ring_unreaped(struct aio_ctx *c)
{
	return (c->tail + c->nr - ring_head(c)) % c->nr;
}

/* Post one completion: the slot at tail, then ring->tail, then the waiters and resfd. */
static void ctx_post(struct aio_ctx *c, const struct io_event *ev, struct file *efd)
{
	struct io_event *slot = ring_event(c, c->tail);
	struct aio_ring *r;

	if (slot)
		*slot = *ev;
	c->tail = (c->tail + 1) % c->nr;
	r = ring_at(c, 0);
	if (r)
		__atomic_store_n(&r->tail, c->tail, __ATOMIC_RELEASE);
	waitq_wake_all(&c->wq);
	if (efd)
		eventfd_signal(efd);
}

/* The live context whose ring is at addr, with a reference; NULL when there is none.
 * Like Linux's lookup_ioctx, which reads the ring's id through addr, this finds a ring
 * that mremap moved (the context follows it), and not one unmapped or moved away (its
 * context stays, unusable, until exit). */
static struct aio_ctx *ctx_lookup(struct mm *mm, uint64_t addr)
{
	struct list_head *pos;

	list_for_each(pos, &mm->aio) {
		struct aio_ctx *c = list_entry(pos, struct aio_ctx, link);

		if (!mm_maps_obj_at(mm, addr, c->ring))
			continue;
		c->addr = addr;
		c->refs++;
		return c;
	}
	return NULL;
}

/* Kill c: waiters return, it leaves mm (and, when unmap, its ring mapping goes). */
static void ctx_kill(struct mm *mm, struct aio_ctx *c, bool unmap)
{
	c->dead = true;
	list_del(&c->link);
	g_aio_nr -= c->user_nr;
	waitq_wake_all(&c->wq);
	if (unmap && mm_maps_obj_at(mm, c->addr, c->ring))
		(void)mm_munmap(mm, c->addr, c->size); /* Linux ignores its failure too */
	ctx_put(c);
}

void aio_mm_release(struct mm *mm)
{
	while (!list_empty(&mm->aio))
		ctx_kill(mm, list_entry(mm->aio.next, struct aio_ctx, link), false);
}

unsigned long aio_nr_total(void)
{
	return (unsigned long)g_aio_nr;
}

/* The lowest ring id no live context of mm uses (Linux's ioctx table slot). */
static unsigned ctx_free_id(struct mm *mm)
{
	struct list_head *pos;
	unsigned id = 0;

again:
	list_for_each(pos, &mm->aio) {
		if (list_entry(pos, struct aio_ctx, link)->id == id) {
			id++;
			goto again;
		}
	}
	return id;
}

/* Slots for nr requested events, as Linux sizes them: room for four per CPU at least,
 * doubled (in 32 bits, wrapping as Linux's unsigned arithmetic does), plus two, rounded
 * up to whole pages. Returns the slot count, -EINVAL (too many) or -EAGAIN (none, or
 * more than aio-max-nr). */
static long ring_slots(unsigned nr, uint64_t *size)
{
	static unsigned ncpu;
	uint32_t events;
	uint64_t bytes;

	if (!ncpu)
		ncpu = (unsigned)MAX(sysconf(_SC_NPROCESSORS_ONLN), 1L);
	events = MAX(nr, 4 * ncpu) * 2u;
	if (events > 0x10000000U / sizeof(struct io_event))
		return -EINVAL;
	if (events == 0 || nr > AIO_MAX_NR)
		return -EAGAIN;
	bytes = sizeof(struct aio_ring) + sizeof(struct io_event) * ((uint64_t)events + 2);
	*size = ALIGN_UP(bytes, PAGE_SIZE);
	return (long)((*size - sizeof(struct aio_ring)) / sizeof(struct io_event));
}

static void ring_init(struct aio_ctx *c)
{
	struct aio_ring *r = ring_at(c, 0);

	if (!r)
		return;
	*r = (struct aio_ring){.id = c->id, .nr = c->nr, .magic = AIO_RING_MAGIC,
			       .compat_features = 1, .header_length = sizeof(*r)};
}

/* A new context of nr events for mm, its ring mapped. */
static long ctx_new(struct mm *mm, unsigned nr, struct aio_ctx **out)
{
	struct aio_ctx *c;
	uint64_t size;
	long slots = ring_slots(nr, &size);
	int64_t addr;

	if (slots < 0)
		return slots;
	if (g_aio_nr + nr > AIO_MAX_NR)
		return -EAGAIN;
	c = xcalloc(1, sizeof(*c));
	c->ring = shm_obj_new(size);
	addr = mm_map_ring(mm, c->ring, "/[aio]"); /* maps: "/[aio] (deleted)" */
	if (addr < 0) {
		shm_obj_put(c->ring);
		free(c);
		return addr;
	}
	c->refs = 1;
	c->addr = (uint64_t)addr;
	c->size = size;
	c->nr = (unsigned)slots;
	c->user_nr = nr;
	c->id = ctx_free_id(mm);
	waitq_init(&c->wq);
	ring_init(c);
	g_aio_nr += nr;
	list_add_tail(&c->link, &mm->aio);
	*out = c;
	return 0;
}

long sys_io_setup(struct task *t, const struct sysargs *a)
{
	unsigned nr = arg_uint(a, 0);
	uaddr_t uctx = arg_uaddr(a, 1);
	struct aio_ctx *c;
	uint64_t ctx;
	long ret;

	if (copy_from_user(t, &ctx, uctx, sizeof(ctx)))
		return -EFAULT;
	if (ctx || nr == 0)
		return -EINVAL;
	ret = ctx_new(t->mm, nr, &c);
	if (ret)
		return ret;
	if (copy_to_user(t, uctx, &c->addr, sizeof(c->addr))) {
		ctx_kill(t->mm, c, true);
		return -EFAULT;
	}
	return 0;
}

long sys_io_destroy(struct task *t, const struct sysargs *a)
{
	struct aio_ctx *c = ctx_lookup(t->mm, arg_u64(a, 0));

	if (!c)
		return -EINVAL;
	ctx_kill(t->mm, c, true);
	/* As Linux, wait (uninterruptibly) for operations still running in io_submit. */
	while (c->inflight && !t->exit_now)
		task_block_killable(t, &c->wq);
	ctx_put(c);
	return 0;
}

/* ---- io_submit ---- */

/* An interrupted operation completes with EINTR (Linux's aio_rw_done). */
static int64_t rw_result(long ret)
{
	if (ret == -ERESTARTSYS || ret == -ERESTARTNOHAND || ret == -ERESTARTNOINTR)
		return -EINTR;
	return ret;
}

/* The buffers of cb as a uio: one (PREAD/PWRITE, checked as access_ok) or the iovec
 * array at aio_buf of aio_nbytes entries (PREADV/PWRITEV). u->iov is the caller's to
 * free when vectored. */
static long rw_import(struct task *t, const struct iocb *cb, bool vectored, struct uio *u,
		      struct user_iov *one)
{
	if (vectored) {
		if (cb->aio_nbytes > UIO_MAXIOV)
			return -EINVAL;
		return uio_import(t, uaddr(cb->aio_buf), (int)cb->aio_nbytes, u);
	}
	if (cb->aio_buf > USER_ADDR_MAX || cb->aio_nbytes > USER_ADDR_MAX - cb->aio_buf)
		return -EFAULT;
	*one = (struct user_iov){cb->aio_buf, MIN(cb->aio_nbytes, (uint64_t)MAX_RW_COUNT)};
	*u = (struct uio){.iov = one, .cnt = 1, .total = one->len};
	return 0;
}

/* PREAD, PWRITE, PREADV, PWRITEV: checks in Linux's order (aio_prep_rw, the file's mode,
 * the buffers, rw_verify_area), then the transfer; its result is the event's res. */
static long op_rw(struct task *t, struct file *f, const struct iocb *cb, bool write,
		  bool vectored, int64_t *res)
{
	unsigned rwf = cb->aio_rw_flags;
	struct user_iov one;
	struct uio u = {0};
	uint64_t off = cb->aio_offset;
	long ret;

	if (cb->aio_flags & IOCB_FLAG_IOPRIO) {
		ret = ioprio_check(t, cb->aio_reqprio);
		if (ret)
			return ret;
	}
	if (rwf & ~(unsigned)(RWF_HIPRI | RWF_DSYNC | RWF_SYNC))
		return -EOPNOTSUPP; /* as preadv2: NOWAIT and APPEND are not supported */
	if (!(f->fmode & (write ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	if (!f->ops || (f->inode && S_ISDIR(f->inode->mode)))
		return -EINVAL; /* no read_iter/write_iter */
	ret = rw_import(t, cb, vectored, &u, &one);
	if (ret == 0 && ((int64_t)off < 0 || (int64_t)(off + u.total) < 0))
		ret = -EINVAL;
	if (ret == 0)
		*res = rw_result(sys_file_rw_uio(t, f, &u, (f->fmode & FMODE_PREAD) ? &off : NULL,
						 write, rwf));
	if (vectored)
		free(u.iov);
	return ret;
}

/* FSYNC, FDSYNC: no buffer, offset or flags; files with an fsync (regular files and
 * directories; pipes, sockets, eventfds and devices have none: EINVAL). */
static long op_fsync(struct file *f, const struct iocb *cb, int64_t *res)
{
	if (cb->aio_buf || cb->aio_offset || cb->aio_nbytes || cb->aio_rw_flags)
		return -EINVAL;
	if (!f->inode || !(S_ISREG(f->inode->mode) || S_ISDIR(f->inode->mode)))
		return -EINVAL;
	*res = vfs_fsync(f);
	return 0;
}

/* Check and perform cb on f: 0 with the completion's res in *res, or the -errno
 * io_submit returns for an iocb Linux refuses at submission. */
static long op_run(struct task *t, struct file *f, const struct iocb *cb, int64_t *res)
{
	switch (cb->aio_lio_opcode) {
	case IOCB_CMD_PREAD:
		return op_rw(t, f, cb, false, false, res);
	case IOCB_CMD_PWRITE:
		return op_rw(t, f, cb, true, false, res);
	case IOCB_CMD_PREADV:
		return op_rw(t, f, cb, false, true, res);
	case IOCB_CMD_PWRITEV:
		return op_rw(t, f, cb, true, true, res);
	case IOCB_CMD_FSYNC:
	case IOCB_CMD_FDSYNC:
		return op_fsync(f, cb, res);
	default:
		return -EINVAL; /* IOCB_CMD_POLL too: not supported (see the table) */
	}
}

/* op_run counted in c->inflight, so slots stay reserved and io_destroy can wait. */
static long op_run_counted(struct task *t, struct aio_ctx *c, struct file *f,
			   const struct iocb *cb, int64_t *res)
{
	long ret;

	c->inflight++;
	ret = op_run(t, f, cb, res);
	c->inflight--;
	if (c->dead)
		waitq_wake_all(&c->wq);
	return ret;
}

/* IOCB_FLAG_RESFD: the eventfd to signal, with a reference (EBADF, or EINVAL when the
 * descriptor is not an eventfd). */
static long resfd_get(struct task *t, const struct iocb *cb, struct file **out)
{
	struct file *e;

	*out = NULL;
	if (!(cb->aio_flags & IOCB_FLAG_RESFD))
		return 0;
	e = sys_fd_file(t, (int)cb->aio_resfd);
	if (!e)
		return -EBADF;
	if (!file_is_eventfd(e)) {
		file_put(e);
		return -EINVAL;
	}
	*out = e;
	return 0;
}

/* One iocb, checked in the order of Linux's io_submit_one. 0 when its completion is in
 * the ring, else the -errno for io_submit (no event is posted). */
static long submit_one(struct task *t, struct aio_ctx *c, uint64_t uiocb)
{
	struct io_event ev = {0};
	struct file *f, *efd;
	uint32_t key = 0; /* KIOCB_KEY */
	struct iocb cb;
	int64_t res = 0;
	long ret;

	if (copy_from_user(t, &cb, uaddr(uiocb), sizeof(cb)))
		return -EFAULT;
	if (cb.aio_reserved2 || (int64_t)cb.aio_nbytes < 0)
		return -EINVAL;
	if (ring_unreaped(c) + c->inflight >= c->nr - 1)
		return -EAGAIN; /* each request holds its slot until reaped */
	f = sys_fd_file(t, (int)cb.aio_fildes);
	if (!f)
		return -EBADF;
	ret = (f->fmode & FMODE_PATH) ? -EBADF : resfd_get(t, &cb, &efd);
	if (ret)
		goto out_put_file;
	if (copy_to_user(t, uaddr(uiocb + offsetof(struct iocb, aio_key)), &key, sizeof(key)))
		ret = -EFAULT;
	else
		ret = op_run_counted(t, c, f, &cb, &res);
	if (ret == 0) {
		ev.data = cb.aio_data;
		ev.obj = uiocb;
		ev.res = res;
		ctx_post(c, &ev, efd);
	}
	if (efd)
		file_put(efd);
out_put_file:
	file_put(f);
	return ret;
}

long sys_io_submit(struct task *t, const struct sysargs *a)
{
	long nr = arg_long(a, 1), i, ret = 0;
	uaddr_t list = arg_uaddr(a, 2);
	struct aio_ctx *c;

	if (nr < 0)
		return -EINVAL;
	c = ctx_lookup(t->mm, arg_u64(a, 0));
	if (!c)
		return -EINVAL;
	nr = MIN(nr, (long)c->nr);
	for (i = 0; i < nr; i++) {
		uint64_t uiocb;

		if (copy_from_user(t, &uiocb, uaddr_add(list, (uint64_t)i * 8), sizeof(uiocb))) {
			ret = -EFAULT;
			break;
		}
		ret = submit_one(t, c, uiocb);
		if (ret)
			break;
	}
	ctx_put(c);
	return i ? i : ret;
}

long sys_io_cancel(struct task *t, const struct sysargs *a)
{
	uint64_t uiocb = arg_u64(a, 1);
	struct aio_ctx *c;
	uint32_t key;

	if (copy_from_user(t, &key, uaddr(uiocb + offsetof(struct iocb, aio_key)), sizeof(key)))
		return -EFAULT;
	if (key != 0)
		return -EINVAL;
	c = ctx_lookup(t->mm, arg_u64(a, 0));
	if (!c)
		return -EINVAL;
	ctx_put(c);
	return -EINVAL; /* every request completed inside io_submit: none is active */
}

/* ---- io_getevents ---- */

/* Copy up to max completions from the ring to events, moving ring->head past them.
 * Returns the count, or -EFAULT when the first copy faults. */
static long ring_reap(struct task *t, struct aio_ctx *c, uaddr_t events, long max)
{
	unsigned head = ring_head(c);
	struct aio_ring *r;
	long n = 0;

	while (n < max && head != c->tail) {
		struct io_event *ev = ring_event(c, head);

		if (!ev || copy_to_user(t, uaddr_add(events, (uint64_t)n * sizeof(*ev)), ev,
					sizeof(*ev)))
			break;
		head = (head + 1) % c->nr;
		n++;
	}
	if (n == 0)
		return head != c->tail && max > 0 ? -EFAULT : 0;
	r = ring_at(c, 0);
	if (r)
		__atomic_store_n(&r->head, head, __ATOMIC_RELEASE);
	return n;
}

/* The CLOCK_MONOTONIC deadline of a relative timeout as Linux's ktime: false when it
 * has already passed (no wait at all); *forever for one too large to represent. */
static bool timeout_deadline(const struct timespec *ts, struct timespec *deadline,
			     bool *forever)
{
	int64_t ns;

	*forever = ts->tv_sec >= KTIME_SEC_MAX;
	if (*forever)
		return true;
	if (ts->tv_sec <= -KTIME_SEC_MAX)
		return false;
	ns = ts->tv_sec * 1000000000LL + ts->tv_nsec;
	if (ns <= 0)
		return false;
	clock_gettime(CLOCK_MONOTONIC, deadline);
	ns += deadline->tv_nsec;
	deadline->tv_sec += ns / 1000000000LL;
	deadline->tv_nsec = ns % 1000000000LL;
	return true;
}

/* Linux's do_io_getevents: reap events as they come until min_nr, the timeout (NULL:
 * none) or a signal. Returns the count (possibly short), -EINVAL, or -EFAULT. */
static long do_getevents(struct task *t, uint64_t ctx, long min_nr, long nr, uaddr_t events,
			 const struct timespec *timeout)
{
	struct aio_ctx *c = ctx_lookup(t->mm, ctx);
	struct timespec deadline;
	bool wait = true, forever = !timeout, done = false;
	long got = 0;

	if (!c)
		return -EINVAL;
	if (min_nr > nr || min_nr < 0) {
		ctx_put(c);
		return -EINVAL;
	}
	if (timeout)
		wait = timeout_deadline(timeout, &deadline, &forever);
	for (;;) {
		long n = ring_reap(t, c, uaddr_add(events, (uint64_t)got * sizeof(struct io_event)),
				   nr - got);

		if (n < 0) {
			got = got ? got : n;
			break;
		}
		got += n;
		if (got >= min_nr || c->dead || !wait || done)
			break;
		done = task_block(t, &c->wq, forever ? NULL : &deadline) != 0;
	}
	if (c->dead && got == 0)
		got = -EINVAL;
	ctx_put(c);
	return got;
}

long sys_io_getevents(struct task *t, const struct sysargs *a)
{
	uaddr_t uts = arg_uaddr(a, 4);
	struct timespec ts;
	long ret;

	if (!uaddr_is_null(uts) && copy_from_user(t, &ts, uts, sizeof(ts)))
		return -EFAULT;
	ret = do_getevents(t, arg_u64(a, 0), arg_long(a, 1), arg_long(a, 2), arg_uaddr(a, 3),
			   uaddr_is_null(uts) ? NULL : &ts);
	if (ret == 0 && task_signal_pending(t))
		ret = -EINTR;
	return ret;
}

/* io_pgetevents: io_getevents with a signal mask in place while it waits (struct
 * __aio_sigset: a sigset pointer and its size). */
long sys_io_pgetevents(struct task *t, const struct sysargs *a)
{
	uaddr_t uts = arg_uaddr(a, 4), usig = arg_uaddr(a, 5);
	struct {
		uint64_t mask, size;
	} sig = {0};
	struct timespec ts;
	bool interrupted;
	long ret;

	if (!uaddr_is_null(uts) && copy_from_user(t, &ts, uts, sizeof(ts)))
		return -EFAULT;
	if (!uaddr_is_null(usig) && copy_from_user(t, &sig, usig, sizeof(sig)))
		return -EFAULT;
	ret = signal_begin_wait_mask(t, uaddr(sig.mask), sig.size);
	if (ret)
		return ret;
	ret = do_getevents(t, arg_u64(a, 0), arg_long(a, 1), arg_long(a, 2), arg_uaddr(a, 3),
			   uaddr_is_null(uts) ? NULL : &ts);
	interrupted = task_signal_pending(t);
	if (interrupted && ret == 0)
		ret = -ERESTARTNOHAND;
	/* A signal that interrupted the wait is delivered under the temporary mask. */
	signal_end_wait_mask(t, interrupted ? -ERESTARTNOHAND : ret);
	return ret;
}
