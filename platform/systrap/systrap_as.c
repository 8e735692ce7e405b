/* systrap_as.c: address spaces of the systrap platform: queued mapping changes, the
 * control thread that applies them, and the stub threads that run application code.
 *
 * Mapping changes are made by the stub's control thread, which is never running
 * application code, so any Sentry thread can have them applied at any time. They are
 * queued and sent as one batch through the request page (read-only to the stub): maps
 * wait until the next switch into the address space or the next unmap/protect;
 * unmap and protect are applied before the call returns, because the Sentry may reuse
 * the pages right after (inside as_batch_begin/end: before the end returns, so fork's
 * write-protection of N VMAs is one round trip, not N). The answer comes back over the stub's socket, which only the
 * control thread can write (filter B kills a write from an application thread), so the
 * application can neither forge a completion nor replay a batch.
 *
 * Before the stub exists only the extent set changes; the first switch forks the stub
 * and maps the final extents as one batch.
 */
#include "platform/systrap/systrap_internal.h"

#include <errno.h>
#include <linux/futex.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

int systrap_as_create(struct platform *p, struct plat_as **out)
{
	struct systrap_as *as = xcalloc(1, sizeof(*as));

	as->p = to_sp(p);
	as->pidfd = as->sock = -1;
	as->ctl_cpu = -1;
	pthread_mutex_init(&as->lock, NULL);
	*out = (struct plat_as *)as;
	return 0;
}

void systrap_as_release(struct plat_as *as_)
{
	struct systrap_as *as = to_sas(as_);
	struct systrap_platform *p;

	if (!as)
		return;
	p = as->p;
	pthread_mutex_lock(&p->own_lock);
	for (unsigned i = 0; i < as->nthreads; i++)
		if (as->threads[i].owner)
			systrap_ctx_unbind(as->threads[i].owner);
	pthread_mutex_unlock(&p->own_lock);
	plat_ext_free(&as->ext);
	free(as->ops);
	as->ops = NULL;
	as->nops = as->ops_cap = 0;
	if (systrap_pool_put(as))
		return; /* the next address space takes over the stub (systrap_pool.c) */
	systrap_stub_kill(as);
	if (as->view)
		munmap(as->view, SYSTRAP_FILE_SIZE);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

static bool op_extends(const struct systrap_op *a, const struct systrap_op *b)
{
	return a->kind == b->kind && a->prot == b->prot && a->addr + a->size == b->addr &&
	       (a->kind != OPK_MAP || a->off + a->size == b->off);
}

static void queue_op(struct systrap_as *as, uint32_t kind, uint64_t addr, uint64_t size,
		     uint64_t off, int prot)
{
	struct systrap_op op = { .kind = kind, .prot = (uint32_t)prot, .addr = addr,
				 .size = size, .off = off };

	if (as->nops && kind != OPK_CLONE && op_extends(&as->ops[as->nops - 1], &op)) {
		as->ops[as->nops - 1].size += size;
		return;
	}
	if (as->nops == as->ops_cap) {
		as->ops_cap = as->ops_cap ? as->ops_cap * 2 : 16;
		as->ops = xrealloc(as->ops, as->ops_cap * sizeof(*as->ops));
	}
	as->ops[as->nops++] = op;
}

/* A failure of the stub: it no longer matches the Sentry's view, so it goes. */
static void as_fail(struct systrap_as *as, int err)
{
	if (!as->err)
		as->err = err;
	systrap_stub_kill(as);
}

/* Keep the control thread on the caller's CPU: the caller blocks until it answers, and
 * a wake-up across CPUs costs 50-140 us on a VM against ~5 us on one CPU. The Sentry
 * moves the sleeping control thread (the stub's first thread: its tid is the pid) before
 * the doorbell, so even the first wake-up after a change of CPU (a pooled stub's new
 * user, a Sentry thread the host moved) is local; if that fails, it moves itself. (A
 * stub that died unnoticed may have had its pid reused: the worst is a moved affinity.) */
static void ctl_pin(struct systrap_as *as, uint8_t *req)
{
	int32_t cpu = -1;
	uint64_t mask = 0;

	if (as->p->ncpus > 1) {
		int c = sched_getcpu();

		if (c >= 0 && c < 64 && c != as->ctl_cpu) {
			mask = 1ULL << c;
			as->ctl_cpu = c;
			if (syscall(SYS_sched_setaffinity, as->pid, sizeof(mask), &mask) != 0)
				cpu = c;
		}
	}
	memcpy(req + REQ_CPU, &cpu, 4);
	memcpy(req + REQ_CPUMASK, &mask, 8);
}

/* Send one batch of at most REQ_MAX_OPS ops and wait for the control thread's answer. */
static int send_batch(struct systrap_as *as, const struct systrap_op *ops, uint32_t n)
{
	uint8_t *req = as->view; /* the request page is the memfd's first page */
	char buf[SYSTRAP_PAGE];
	ssize_t r;

	for (uint32_t i = 0; i < n; i++) {
		uint8_t *o = req + REQ_OPS + (size_t)i * OP_SIZE;

		memcpy(o + OP_KIND, &ops[i].kind, 4);
		memcpy(o + OP_PROT, &ops[i].prot, 4);
		memcpy(o + OP_ADDR, &ops[i].addr, 8);
		memcpy(o + OP_LEN, &ops[i].size, 8);
		memcpy(o + OP_OFF, &ops[i].off, 8);
	}
	memcpy(req + REQ_NOPS, &n, 4);
	ctl_pin(as, req);
	if (send(as->sock, "x", 1, MSG_NOSIGNAL) != 1)
		return errno == EPIPE || errno == ECONNRESET ? -ESRCH : -errno;
	do
		r = read(as->sock, buf, sizeof(buf));
	while (r < 0 && errno == EINTR);
	if (r <= 0)
		return r == 0 || errno == ECONNRESET ? -ESRCH : -errno;
	if (r > 1)
		log_warn("systrap stub %d: a mapping change failed: %s", as->pid,
			 strerror((int)r - 1));
	return (int)(1 - r);
}

/* Apply every queued op (as->lock held, stub alive). */
static int flush(struct systrap_as *as)
{
	size_t done = 0;
	int ret = 0;

	while (done < as->nops && ret == 0) {
		uint32_t n = (uint32_t)MIN(as->nops - done, (size_t)REQ_MAX_OPS);

		ret = send_batch(as, as->ops + done, n);
		done += n;
	}
	as->nops = 0;
	if (ret)
		as_fail(as, ret);
	return ret;
}

int systrap_as_ready(struct systrap_as *as)
{
	int ret;

	if (as->err)
		return as->err;
	if (as->pid == 0) {
		bool reused = systrap_pool_take(as) == 0;

		ret = reused ? 0 : systrap_stub_spawn(as);
		if (ret) {
			as->err = ret;
			return ret;
		}
		as->nops = 0;
		if (reused) /* nothing of the stub's last address space stays mapped */
			queue_op(as, OPK_UNMAP, 0, PLAT_APP_MAX_ADDR, 0, 0);
		for (size_t i = 0; i < as->ext.n; i++) {
			const struct plat_extent *e = &as->ext.v[i];

			queue_op(as, OPK_MAP, e->start, e->end - e->start, e->off, e->prot);
		}
		/* A new stub: the caller gets a thread next, its clone goes in the same
		 * batch. A reused one has parked threads: the maps go now. */
		if (!reused)
			return 0;
	}
	return as->nops ? flush(as) : 0;
}

/* Queue a change for a live stub; unmap and protect are flushed at once. */
static int commit(struct systrap_as *as, bool now)
{
	if (as->err)
		return as->err;
	if (as->pid == 0)
		return 0;
	if ((now && !as->batch) || as->nops >= REQ_MAX_OPS)
		return flush(as);
	return 0;
}

void systrap_as_batch_begin(struct plat_as *as_)
{
	struct systrap_as *as = to_sas(as_);

	pthread_mutex_lock(&as->lock);
	as->batch++;
	pthread_mutex_unlock(&as->lock);
}

int systrap_as_batch_end(struct plat_as *as_)
{
	struct systrap_as *as = to_sas(as_);
	int ret = 0;

	pthread_mutex_lock(&as->lock);
	if (as->batch && --as->batch == 0)
		ret = commit(as, true);
	pthread_mutex_unlock(&as->lock);
	return ret;
}

/* exec keeps the stub, its threads and the binding of the exec'ing context: spawning a
 * stub and cloning its first thread cost more than the rest of a small exec. Nothing of
 * the old image survives in the stub but what the Sentry rewrites at every resume (the
 * frames, the message blocks): the application could make no host syscall to leave
 * anything else behind. The unmap of everything goes out with the new image's first
 * maps: no application code runs in the stub before that batch (exec left one thread,
 * parked in the handler, and every switch applies queued ops before it resumes). */
int systrap_as_reset(struct plat_as *as_)
{
	struct systrap_as *as = to_sas(as_);
	int ret;

	pthread_mutex_lock(&as->lock);
	ret = as->err;
	plat_ext_free(&as->ext);
	as->nops = 0;
	if (ret == 0 && as->pid > 0)
		queue_op(as, OPK_UNMAP, 0, PLAT_APP_MAX_ADDR, 0, 0);
	pthread_mutex_unlock(&as->lock);
	return ret;
}

static bool range_ok(uint64_t addr, uint64_t size)
{
	return IS_ALIGNED(addr, SYSTRAP_PAGE) && IS_ALIGNED(size, SYSTRAP_PAGE) &&
	       addr + size >= addr && addr + size <= PLAT_APP_MAX_ADDR;
}

static bool prot_ok(int prot)
{
	return (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) == 0;
}

int systrap_as_map(struct plat_as *as_, uint64_t addr, uint64_t size, uint64_t off, int prot)
{
	struct systrap_as *as = to_sas(as_);
	int ret;

	if (!range_ok(addr, size) || !IS_ALIGNED(off, SYSTRAP_PAGE) || !prot_ok(prot))
		return -EINVAL;
	if (size == 0)
		return 0;
	pthread_mutex_lock(&as->lock);
	plat_ext_remove(&as->ext, addr, addr + size);
	plat_ext_insert(&as->ext, addr, addr + size, off, prot);
	if (as->pid > 0)
		queue_op(as, OPK_MAP, addr, size, off, prot);
	ret = commit(as, false);
	pthread_mutex_unlock(&as->lock);
	return ret;
}

int systrap_as_unmap(struct plat_as *as_, uint64_t addr, uint64_t size)
{
	struct systrap_as *as = to_sas(as_);
	int ret;

	if (!range_ok(addr, size))
		return -EINVAL;
	if (size == 0)
		return 0;
	pthread_mutex_lock(&as->lock);
	plat_ext_remove(&as->ext, addr, addr + size);
	if (as->pid > 0)
		queue_op(as, OPK_UNMAP, addr, size, 0, 0);
	ret = commit(as, true);
	pthread_mutex_unlock(&as->lock);
	return ret;
}

struct protect_arg {
	struct systrap_as *as;
	int prot;
};

static int queue_protect(void *arg, uint64_t start, uint64_t end)
{
	struct protect_arg *pa = arg;

	if (pa->as->pid > 0)
		queue_op(pa->as, OPK_PROTECT, start, end - start, 0, pa->prot);
	return 0;
}

int systrap_as_protect(struct plat_as *as_, uint64_t addr, uint64_t size, int prot)
{
	struct systrap_as *as = to_sas(as_);
	struct protect_arg pa = { .as = as, .prot = prot };
	int ret;

	if (!range_ok(addr, size) || !prot_ok(prot))
		return -EINVAL;
	if (size == 0)
		return 0;
	pthread_mutex_lock(&as->lock);
	plat_ext_protect(&as->ext, addr, addr + size, prot, queue_protect, &pa);
	ret = commit(as, true);
	pthread_mutex_unlock(&as->lock);
	return ret;
}

static int futex(_Atomic uint32_t *w, int op, uint32_t val, const struct timespec *ts)
{
	return (int)syscall(SYS_futex, w, op, val, ts, NULL, 0);
}

int systrap_wait_trap(struct systrap_as *as, int slot, unsigned spin)
{
	_Atomic uint32_t *state = msg_word(as, slot, M_STATE);
	_Atomic uint32_t *waiting = msg_word(as, slot, M_SENTRY_WAIT);
	const struct timespec tick = { 0, 200 * 1000000L };

	for (unsigned i = 0; i < spin; i++) {
		if (atomic_load_explicit(state, memory_order_acquire) == ST_TRAP)
			return 1;
		__builtin_ia32_pause();
	}
	for (;;) {
		uint32_t v;

		atomic_exchange(waiting, 1);
		v = atomic_load(state);
		if (v == ST_TRAP)
			break;
		if (futex(state, FUTEX_WAIT, v, &tick) != 0 && errno == ETIMEDOUT &&
		    !systrap_stub_alive(as)) {
			atomic_store(waiting, 0);
			return -ESRCH;
		}
	}
	atomic_store(waiting, 0);
	return 0;
}

/* Clone a new stub thread into the next slot and wait until it traps. */
static int new_thread(struct systrap_as *as, struct systrap_thread **out)
{
	struct systrap_platform *p = as->p;
	int slot = (int)as->nthreads, ret;
	struct systrap_thread *thr = &as->threads[slot];
	uint8_t *msg = slot_view(as, slot);
	uint64_t unset = ~0ULL; /* no fs/gs base applied yet: the first resume sets them */
	uint64_t all = p->cpus ? p->cpus : ~0ULL;
	int32_t none = -1, first = 0;
	uint32_t tid;

	if (as->nthreads == SYSTRAP_NSLOTS)
		return -EAGAIN;
	memset(msg, 0, M_SIZE);
	/* It inherits the control thread's single CPU: its first resume lets it run
	 * anywhere (unless systrap_handoff_resume pins it). */
	memcpy(msg + M_CPUMASK, &all, 8);
	memcpy(msg + M_WANT_CPU, &first, 4);
	memcpy(msg + M_CUR_CPU, &none, 4);
	memcpy(msg + M_FS_SET, &unset, 8);
	memcpy(msg + M_GS_SET, &unset, 8);
	queue_op(as, OPK_CLONE, slot_addr(p, slot), 0, slot_addr(p, slot) + SYSTRAP_SLOT_SIZE, 0);
	ret = flush(as);
	if (ret == 0)
		ret = systrap_wait_trap(as, slot, 0);
	if (ret) {
		as_fail(as, ret);
		return ret;
	}
	memcpy(&tid, msg + M_TID, 4);
	*thr = (struct systrap_thread){ .as = as, .slot = slot, .tid = (pid_t)tid, .cpu = -1 };
	/* The tid came through writable memory: use it for affinity only if it is one of
	 * the stub's threads (tgkill checks the thread group). */
	thr->tid_ok = tid > 0 && syscall(SYS_tgkill, as->pid, (pid_t)tid, 0) == 0;
	ret = systrap_frame_locate(thr);
	if (ret) {
		as_fail(as, ret);
		return ret;
	}
	thr->ready = true;
	as->nthreads++;
	*out = thr;
	return 0;
}

int systrap_as_get_thread(struct systrap_as *as, struct systrap_thread **out)
{
	for (unsigned i = 0; i < as->nthreads; i++) {
		struct systrap_thread *thr = &as->threads[i];

		if (thr->ready && !thr->owner) {
			*out = thr;
			return 0;
		}
	}
	return new_thread(as, out);
}
