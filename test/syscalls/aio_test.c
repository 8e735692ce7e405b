/* Native AIO (io_setup(2), io_submit(2), io_getevents(2), io_pgetevents, io_cancel(2),
 * io_destroy(2)) through raw syscalls: the ring mapped in the caller and read from user
 * space, PREAD/PWRITE/PREADV/PWRITEV/FSYNC/FDSYNC completions, min_nr and timeouts,
 * signals, eventfd notification, the errors of each call, destroy, munmap, mremap, fork
 * (the child shares the ring mapping but has no context) and exec (contexts dropped). */
#include <linux/aio_abi.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "harness.h"

/* The ring header Linux maps at the aio_context_t (struct aio_ring in fs/aio.c). */
struct aio_ring {
	unsigned id, nr, head, tail;
	unsigned magic, compat_features, incompat_features, header_length;
	struct io_event io_events[];
};

static long io_setup_(unsigned nr, aio_context_t *ctx)
{
	return syscall(SYS_io_setup, nr, ctx);
}

static long io_destroy_(aio_context_t ctx)
{
	return syscall(SYS_io_destroy, ctx);
}

static long io_submit_(aio_context_t ctx, long nr, struct iocb **iocbs)
{
	return syscall(SYS_io_submit, ctx, nr, iocbs);
}

static long io_getevents_(aio_context_t ctx, long min, long nr, struct io_event *ev,
			  struct timespec *ts)
{
	return syscall(SYS_io_getevents, ctx, min, nr, ev, ts);
}

static long io_cancel_(aio_context_t ctx, struct iocb *cb, struct io_event *ev)
{
	return syscall(SYS_io_cancel, ctx, cb, ev);
}

static struct iocb mk_iocb(int opcode, int fd, void *buf, uint64_t n, int64_t off,
			   uint64_t data)
{
	struct iocb cb;

	memset(&cb, 0, sizeof(cb));
	cb.aio_lio_opcode = opcode;
	cb.aio_fildes = fd;
	cb.aio_buf = (uint64_t)(uintptr_t)buf;
	cb.aio_nbytes = n;
	cb.aio_offset = off;
	cb.aio_data = data;
	return cb;
}

/* Submit one iocb; the result of io_submit. */
static long submit1(aio_context_t ctx, struct iocb *cb)
{
	struct iocb *list[1] = {cb};

	return io_submit_(ctx, 1, list);
}

static struct timespec g_zero;

static int open_tmp(const char *name)
{
	return open(h_path(name), O_RDWR | O_CREAT | O_TRUNC, 0600);
}

/* Does the /proc/self/maps line of the mapping at addr end with name? */
static bool maps_line_ends(uint64_t addr, const char *name)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;

	while (f && fgets(line, sizeof(line), f)) {
		size_t n = strlen(line), len = strlen(name);

		if (strtoull(line, NULL, 16) != addr)
			continue;
		line[n - 1] = '\0';
		found = n - 1 >= len && !strcmp(line + n - 1 - len, name);
	}
	if (f)
		fclose(f);
	return found;
}

static void aio_setup_maps_ring_header(void)
{
	aio_context_t ctx = 0, ctx2 = 0;
	struct aio_ring *r;
	unsigned char vec;

	CHECK_OK(io_setup_(8, &ctx));
	CHECK(ctx != 0);
	CHECK_EQ(ctx % 4096, 0);
	r = (struct aio_ring *)ctx;
	CHECK_EQ(r->magic, 0xa10a10a1);
	CHECK_EQ(r->compat_features, 1);
	CHECK_EQ(r->incompat_features, 0);
	CHECK_EQ(r->header_length, sizeof(struct aio_ring));
	CHECK(r->nr >= 8);
	CHECK_EQ(r->head, 0);
	CHECK_EQ(r->tail, 0);
	CHECK_OK(mincore((void *)ctx, 4096, &vec));
	CHECK(maps_line_ends((uint64_t)ctx, "/[aio] (deleted)"));
	CHECK_OK(io_setup_(4, &ctx2));
	CHECK(ctx2 != ctx);
	CHECK(((struct aio_ring *)ctx2)->id != r->id);
	CHECK_OK(io_destroy_(ctx2));
	CHECK_OK(io_destroy_(ctx));
}

static long read_long(const char *path)
{
	char buf[32] = {0};
	int fd = open(path, O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0)
		return -1;
	close(fd);
	return strtol(buf, NULL, 10);
}

/* /proc/sys/fs/aio-max-nr is Linux's default; aio-nr counts live contexts' nr_events
 * (system-wide natively: other processes may hold some too). */
static void aio_proc_sys_counts(void)
{
	aio_context_t ctx = 0;

	CHECK_EQ(read_long("/proc/sys/fs/aio-max-nr"), 65536);
	CHECK_OK(io_setup_(300, &ctx));
	CHECK(read_long("/proc/sys/fs/aio-nr") >= 300);
	CHECK_OK(io_destroy_(ctx));
}

static void aio_setup_errors(void)
{
	aio_context_t ctx = 1;

	CHECK_ERR(io_setup_(8, &ctx), EINVAL); /* *ctxp must be 0 */
	ctx = 0;
	CHECK_ERR(io_setup_(0, &ctx), EINVAL);
	CHECK_ERR(io_setup_(0x800000, &ctx), EINVAL); /* the ring would be too large */
	CHECK_ERR(io_setup_(65537, &ctx), EAGAIN);    /* above fs.aio-max-nr */
	/* Linux doubles nr in 32 bits: 2^31 wraps to 0 (EAGAIN), 2^31 + 2^23 to 2^24
	 * (too large, EINVAL), 2^31 + 1 to 2 (fine, but above aio-max-nr). */
	CHECK_ERR(io_setup_(0x80000000u, &ctx), EAGAIN);
	CHECK_ERR(io_setup_(0x80800000u, &ctx), EINVAL);
	CHECK_ERR(io_setup_(0x80000001u, &ctx), EAGAIN);
	CHECK_ERR(io_setup_(0xffffffffu, &ctx), EINVAL);
	CHECK_EQ(ctx, 0);
	CHECK_ERR(io_setup_(8, (aio_context_t *)8), EFAULT);
}

static void aio_pwrite_pread_complete_in_ring(void)
{
	int fd = CHECK_OK(open_tmp("rw"));
	char out[] = "hello, aio", in[32] = {0};
	aio_context_t ctx = 0;
	struct iocb w = mk_iocb(IOCB_CMD_PWRITE, fd, out, 10, 4, 111);
	struct iocb r = mk_iocb(IOCB_CMD_PREAD, fd, in, sizeof(in), 4, 222);
	struct iocb *list[2] = {&w, &r};
	struct io_event ev[4];
	struct aio_ring *ring;

	CHECK_OK(io_setup_(8, &ctx));
	ring = (struct aio_ring *)ctx;
	w.aio_key = 0x1234;
	CHECK_EQ(io_submit_(ctx, 2, list), 2);
	CHECK_EQ(w.aio_key, 0); /* KIOCB_KEY written back */
	CHECK_EQ(io_getevents_(ctx, 2, 4, ev, NULL), 2);
	CHECK_EQ(ev[0].data, 111);
	CHECK_EQ(ev[0].obj, (uint64_t)(uintptr_t)&w);
	CHECK_EQ(ev[0].res, 10);
	CHECK_EQ(ev[0].res2, 0);
	CHECK_EQ(ev[1].data, 222);
	CHECK_EQ(ev[1].obj, (uint64_t)(uintptr_t)&r);
	CHECK_EQ(ev[1].res, 10); /* the file is 14 bytes */
	CHECK_STR(in, "hello, aio");
	CHECK_EQ(ring->head, 2);
	CHECK_EQ(ring->tail, 2);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 0); /* positional: the offset is untouched */
	CHECK_OK(io_destroy_(ctx));
	close(fd);
}

static void aio_vectored_and_sync(void)
{
	int fd = CHECK_OK(open_tmp("vec"));
	char a[] = "abc", b[] = "defg", x[3], y[4];
	struct iovec wv[2] = {{a, 3}, {b, 4}}, rv[2] = {{x, 3}, {y, 4}};
	struct iocb w = mk_iocb(IOCB_CMD_PWRITEV, fd, wv, 2, 0, 1);
	struct iocb s = mk_iocb(IOCB_CMD_FSYNC, fd, NULL, 0, 0, 2);
	struct iocb d = mk_iocb(IOCB_CMD_FDSYNC, fd, NULL, 0, 0, 3);
	struct iocb r = mk_iocb(IOCB_CMD_PREADV, fd, rv, 2, 0, 4);
	struct iocb *list[4] = {&w, &s, &d, &r};
	struct io_event ev[4];
	aio_context_t ctx = 0;

	CHECK_OK(io_setup_(8, &ctx));
	CHECK_EQ(io_submit_(ctx, 4, list), 4);
	CHECK_EQ(io_getevents_(ctx, 4, 4, ev, NULL), 4);
	for (int i = 0; i < 4; i++) { /* Linux completes the syncs later, from a worker */
		CHECK(ev[i].data >= 1 && ev[i].data <= 4);
		CHECK_EQ(ev[i].obj, (uint64_t)(uintptr_t)list[(ev[i].data - 1) & 3]);
		CHECK_EQ(ev[i].res, (ev[i].data == 1 || ev[i].data == 4) ? 7 : 0);
	}
	CHECK_MEM(x, "abc", 3);
	CHECK_MEM(y, "defg", 4);
	s.aio_nbytes = 1; /* fsync takes no buffer, length or offset */
	CHECK_ERR(submit1(ctx, &s), EINVAL);
	r.aio_nbytes = 1025; /* more than UIO_MAXIOV iovecs */
	CHECK_ERR(submit1(ctx, &r), EINVAL);
	r = mk_iocb(IOCB_CMD_PREADV, fd, (void *)8, 1, 0, 4);
	CHECK_ERR(submit1(ctx, &r), EFAULT); /* the iovec array itself is unreadable */
	CHECK_OK(io_destroy_(ctx));
	close(fd);
}

static void aio_ring_is_reaped_from_user_space(void)
{
	int fd = CHECK_OK(open_tmp("user"));
	char buf[8] = "12345678";
	struct iocb w = mk_iocb(IOCB_CMD_PWRITE, fd, buf, 8, 0, 77);
	struct io_event ev;
	aio_context_t ctx = 0;
	struct aio_ring *ring;
	unsigned head;

	CHECK_OK(io_setup_(8, &ctx));
	ring = (struct aio_ring *)ctx;
	for (int i = 0; i < 3 * (int)ring->nr; i++) { /* wrap the ring a few times */
		w.aio_data = (uint64_t)i;
		CHECK_EQ(submit1(ctx, &w), 1);
		head = __atomic_load_n(&ring->head, __ATOMIC_ACQUIRE);
		CHECK_EQ(__atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE), (head + 1) % ring->nr);
		ev = ring->io_events[head];
		CHECK_EQ(ev.data, (uint64_t)i);
		CHECK_EQ(ev.res, 8);
		CHECK_EQ(ev.obj, (uint64_t)(uintptr_t)&w);
		__atomic_store_n(&ring->head, (head + 1) % ring->nr, __ATOMIC_RELEASE);
		if (g_case_fails)
			break;
	}
	CHECK_EQ(io_getevents_(ctx, 0, 1, &ev, &g_zero), 0); /* all reaped already */
	CHECK_OK(io_destroy_(ctx));
	close(fd);
}

static void aio_getevents_min_nr_and_timeout(void)
{
	int fd = CHECK_OK(open_tmp("min"));
	char buf[4] = "abcd";
	struct iocb w = mk_iocb(IOCB_CMD_PWRITE, fd, buf, 4, 0, 5);
	struct iocb *list[3] = {&w, &w, &w};
	struct timespec ts = {0, 20 * 1000 * 1000};
	struct io_event ev[4];
	aio_context_t ctx = 0;

	CHECK_OK(io_setup_(8, &ctx));
	CHECK_EQ(io_getevents_(ctx, 1, 4, ev, &ts), 0); /* times out with none */
	CHECK_EQ(io_getevents_(ctx, 0, 4, ev, NULL), 0); /* min_nr 0: at once */
	CHECK_EQ(io_submit_(ctx, 3, list), 3);
	CHECK_EQ(io_getevents_(ctx, 0, 0, ev, NULL), 0);
	CHECK_EQ(io_getevents_(ctx, 1, 2, ev, NULL), 2); /* at most nr */
	CHECK_EQ(io_getevents_(ctx, 2, 4, ev, &ts), 1);	 /* short: the timeout */
	CHECK_EQ(ev[0].res, 4);
	CHECK_ERR(io_getevents_(ctx, 2, 1, ev, NULL), EINVAL); /* min_nr > nr */
	CHECK_ERR(io_getevents_(ctx, -1, 1, ev, NULL), EINVAL);
	CHECK_ERR(io_getevents_(ctx, 0, 1, ev, (struct timespec *)8), EFAULT);
	CHECK_EQ(submit1(ctx, &w), 1);
	CHECK_ERR(io_getevents_(ctx, 1, 1, (struct io_event *)8, NULL), EFAULT);
	CHECK_EQ(io_getevents_(ctx, 1, 1, ev, NULL), 1); /* still there after the fault */
	CHECK_OK(io_destroy_(ctx));
	close(fd);
}

struct late_submit {
	aio_context_t ctx;
	struct iocb cb;
};

static void *submit_later(void *arg)
{
	struct late_submit *ls = arg;

	usleep(50 * 1000);
	submit1(ls->ctx, &ls->cb);
	return NULL;
}

static void aio_getevents_blocks_until_a_completion(void)
{
	int fd = CHECK_OK(open_tmp("block"));
	static char buf[2] = "xy";
	struct late_submit ls = {0};
	struct io_event ev;
	pthread_t th;

	CHECK_OK(io_setup_(8, &ls.ctx));
	ls.cb = mk_iocb(IOCB_CMD_PWRITE, fd, buf, 2, 0, 99);
	CHECK_EQ(pthread_create(&th, NULL, submit_later, &ls), 0);
	CHECK_EQ(io_getevents_(ls.ctx, 1, 1, &ev, NULL), 1);
	CHECK_EQ(ev.data, 99);
	CHECK_EQ(ev.res, 2);
	pthread_join(th, NULL);
	CHECK_OK(io_destroy_(ls.ctx));
	close(fd);
}

static void *submit_now(void *arg)
{
	struct late_submit *ls = arg;

	return (void *)(intptr_t)submit1(ls->ctx, &ls->cb);
}

/* A read of an empty pipe runs inside io_submit (as Linux's buffered AIO) until data
 * comes; its slot is held meanwhile. */
static void aio_pipe_read_waits_inside_submit(void)
{
	static char buf[4];
	struct late_submit ls = {0};
	struct io_event ev;
	pthread_t th;
	void *ret;
	int p[2];

	CHECK_OK(pipe(p));
	CHECK_OK(io_setup_(8, &ls.ctx));
	ls.cb = mk_iocb(IOCB_CMD_PREAD, p[0], buf, sizeof(buf), 0, 42);
	CHECK_EQ(pthread_create(&th, NULL, submit_now, &ls), 0);
	usleep(50 * 1000);
	CHECK_EQ(write(p[1], "pipe", 4), 4);
	CHECK_EQ(pthread_join(th, &ret), 0);
	CHECK_EQ((intptr_t)ret, 1);
	CHECK_EQ(io_getevents_(ls.ctx, 1, 1, &ev, NULL), 1);
	CHECK_EQ(ev.data, 42);
	CHECK_EQ(ev.res, 4);
	CHECK_MEM(buf, "pipe", 4);
	CHECK_OK(io_destroy_(ls.ctx));
	close(p[0]);
	close(p[1]);
}

static volatile sig_atomic_t g_alarms;

static void on_alarm(int sig)
{
	g_alarms++;
}

static void arm_alarm(void)
{
	struct itimerval it = {{0, 0}, {0, 50 * 1000}};
	struct sigaction sa = {0};

	sa.sa_handler = on_alarm; /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	g_alarms = 0;
	setitimer(ITIMER_REAL, &it, NULL);
}

static void aio_getevents_interrupted_by_signal(void)
{
	struct io_event ev;
	aio_context_t ctx = 0;

	CHECK_OK(io_setup_(8, &ctx));
	arm_alarm();
	CHECK_ERR(io_getevents_(ctx, 1, 1, &ev, NULL), EINTR);
	CHECK_EQ(g_alarms, 1);
	CHECK_OK(io_destroy_(ctx));
	signal(SIGALRM, SIG_DFL);
}

struct aio_sigset {
	const sigset_t *sigmask;
	size_t sigsetsize;
};

static void aio_pgetevents_masks_while_waiting(void)
{
	struct timespec ts = {0, 200 * 1000 * 1000};
	struct io_event ev;
	aio_context_t ctx = 0;
	sigset_t block;
	struct aio_sigset ss = {&block, 8}, bad = {&block, 4};

	sigemptyset(&block);
	sigaddset(&block, SIGALRM);
	CHECK_OK(io_setup_(8, &ctx));
	CHECK_ERR(syscall(SYS_io_pgetevents, ctx, 1, 1, &ev, &ts, &bad), EINVAL);
	arm_alarm();
	/* SIGALRM stays blocked through the wait: the call times out, and the signal is
	 * delivered once the old mask is back. */
	CHECK_EQ(syscall(SYS_io_pgetevents, ctx, 1, 1, &ev, &ts, &ss), 0);
	CHECK_EQ(g_alarms, 1);
	arm_alarm();
	CHECK_ERR(syscall(SYS_io_pgetevents, ctx, 1, 1, &ev, NULL, NULL), EINTR);
	CHECK_EQ(g_alarms, 1);
	CHECK_OK(io_destroy_(ctx));
	signal(SIGALRM, SIG_DFL);
}

static void aio_resfd_counts_completions(void)
{
	int fd = CHECK_OK(open_tmp("efd")), efd = CHECK_OK(eventfd(0, EFD_NONBLOCK));
	int p[2];
	char buf[4] = "abcd";
	struct iocb a = mk_iocb(IOCB_CMD_PWRITE, fd, buf, 4, 0, 1);
	struct iocb b = mk_iocb(IOCB_CMD_PREAD, fd, buf, 4, 0, 2);
	struct iocb *list[2] = {&a, &b};
	struct io_event ev[2];
	aio_context_t ctx = 0;
	uint64_t n = 0;

	CHECK_OK(pipe(p));
	CHECK_OK(io_setup_(8, &ctx));
	a.aio_flags = b.aio_flags = IOCB_FLAG_RESFD;
	a.aio_resfd = b.aio_resfd = efd;
	CHECK_EQ(io_submit_(ctx, 2, list), 2);
	CHECK_EQ(read(efd, &n, 8), 8);
	CHECK_EQ(n, 2);
	CHECK_EQ(io_getevents_(ctx, 2, 2, ev, NULL), 2);
	a.aio_resfd = 999;
	CHECK_ERR(submit1(ctx, &a), EBADF);
	a.aio_resfd = p[0]; /* not an eventfd */
	CHECK_ERR(submit1(ctx, &a), EINVAL);
	CHECK_ERR(read(efd, &n, 8), EAGAIN);
	CHECK_OK(io_destroy_(ctx));
	close(p[0]);
	close(p[1]);
	close(efd);
	close(fd);
}

static void aio_submit_partial_and_iocb_errors(void)
{
	int fd = CHECK_OK(open_tmp("err")), p[2];
	int ro = CHECK_OK(open(h_path("err"), O_RDONLY));
	char buf[8] = "abcdefgh";
	struct iocb ok = mk_iocb(IOCB_CMD_PWRITE, fd, buf, 8, 0, 1);
	struct iocb bad = mk_iocb(IOCB_CMD_PWRITE, 999, buf, 8, 0, 2);
	struct iocb *list[3] = {&ok, &bad, &ok}, *badp[1] = {(struct iocb *)8};
	struct iocb cb;
	struct io_event ev[4];
	aio_context_t ctx = 0;

	CHECK_OK(pipe(p));
	CHECK_OK(io_setup_(8, &ctx));
	CHECK_EQ(io_submit_(ctx, 3, list), 1); /* stops at the bad one, counts the first */
	CHECK_EQ(io_getevents_(ctx, 0, 4, ev, &g_zero), 1);
	CHECK_ERR(io_submit_(ctx, 1, &list[1]), EBADF);
	CHECK_EQ(io_submit_(ctx, 0, list), 0);
	CHECK_ERR(io_submit_(ctx, -1, list), EINVAL);
	CHECK_ERR(io_submit_(ctx + 4096, 1, list), EINVAL);
	CHECK_ERR(io_submit_(0, 1, list), EINVAL);
	CHECK_ERR(io_submit_(ctx, 1, (struct iocb **)8), EFAULT);
	CHECK_ERR(io_submit_(ctx, 1, badp), EFAULT);
	cb = ok;
	cb.aio_lio_opcode = 99;
	CHECK_ERR(submit1(ctx, &cb), EINVAL);
	cb = ok;
	cb.aio_reserved2 = 1;
	CHECK_ERR(submit1(ctx, &cb), EINVAL);
	cb = ok;
	cb.aio_nbytes = (uint64_t)-1;
	CHECK_ERR(submit1(ctx, &cb), EINVAL);
	cb = ok;
	cb.aio_offset = -1;
	CHECK_ERR(submit1(ctx, &cb), EINVAL);
	cb = ok;
	cb.aio_rw_flags = 0x40000000;
	CHECK_ERR(submit1(ctx, &cb), EOPNOTSUPP);
	cb = ok;
	cb.aio_fildes = ro; /* write to a read-only descriptor */
	CHECK_ERR(submit1(ctx, &cb), EBADF);
	cb = mk_iocb(IOCB_CMD_PREAD, p[1], buf, 8, 0, 3); /* read from a write end */
	CHECK_ERR(submit1(ctx, &cb), EBADF);
	cb = mk_iocb(IOCB_CMD_FSYNC, p[1], NULL, 0, 0, 3);
	CHECK_ERR(submit1(ctx, &cb), EINVAL); /* a pipe has no fsync */
	cb = mk_iocb(IOCB_CMD_PREAD, fd, (void *)(0x800000000000ULL - 4096), 8, 0, 3);
	CHECK_ERR(submit1(ctx, &cb), EFAULT); /* beyond the user address space */
	CHECK_EQ(io_getevents_(ctx, 0, 4, ev, &g_zero), 0); /* none posted */
	/* An unmapped buffer is the operation's failure, reported in the event. */
	cb = mk_iocb(IOCB_CMD_PREAD, fd, (void *)4096, 8, 0, 4);
	CHECK_EQ(submit1(ctx, &cb), 1);
	CHECK_EQ(io_getevents_(ctx, 1, 4, ev, NULL), 1);
	CHECK_EQ(ev[0].data, 4);
	CHECK_EQ(ev[0].res, -EFAULT);
	/* A pipe works too: its data is there, so the read completes at once. */
	CHECK_EQ(write(p[1], "pq", 2), 2);
	cb = mk_iocb(IOCB_CMD_PREAD, p[0], buf, 8, 0, 5);
	CHECK_EQ(submit1(ctx, &cb), 1);
	CHECK_EQ(io_getevents_(ctx, 1, 4, ev, NULL), 1);
	CHECK_EQ(ev[0].res, 2);
	CHECK_OK(io_destroy_(ctx));
	close(p[0]);
	close(p[1]);
	close(ro);
	close(fd);
}

static void aio_cancel_finds_no_active_request(void)
{
	int fd = CHECK_OK(open_tmp("cancel"));
	char buf[4] = "abcd";
	struct iocb w = mk_iocb(IOCB_CMD_PWRITE, fd, buf, 4, 0, 1);
	struct io_event ev;
	aio_context_t ctx = 0;

	CHECK_OK(io_setup_(8, &ctx));
	CHECK_EQ(submit1(ctx, &w), 1);
	CHECK_ERR(io_cancel_(ctx, &w, &ev), EINVAL); /* already completed */
	w.aio_key = 5;
	CHECK_ERR(io_cancel_(ctx, &w, &ev), EINVAL); /* not a key io_submit wrote */
	CHECK_ERR(io_cancel_(ctx, (struct iocb *)8, &ev), EFAULT);
	w.aio_key = 0;
	CHECK_ERR(io_cancel_(ctx + 4096, &w, &ev), EINVAL);
	CHECK_EQ(io_getevents_(ctx, 1, 1, &ev, NULL), 1);
	CHECK_EQ(ev.res, 4);
	CHECK_OK(io_destroy_(ctx));
	close(fd);
}

static void aio_full_ring_refuses_until_reaped(void)
{
	int fd = CHECK_OK(open_tmp("full"));
	char buf[1] = "z";
	struct iocb w = mk_iocb(IOCB_CMD_PWRITE, fd, buf, 1, 0, 1);
	struct io_event ev;
	aio_context_t ctx = 0;
	unsigned nr, n = 0;
	long ret;

	CHECK_OK(io_setup_(1, &ctx));
	nr = ((struct aio_ring *)ctx)->nr;
	errno = 0;
	while ((ret = submit1(ctx, &w)) == 1 && n <= nr)
		n++;
	CHECK_EQ(ret, -1);
	CHECK_EQ(errno, EAGAIN);
	CHECK(n > 0 && n < nr); /* never more completions than slots */
	CHECK_EQ(io_getevents_(ctx, 1, 1, &ev, NULL), 1);
	CHECK_EQ(submit1(ctx, &w), 1); /* a slot is free again */
	CHECK_OK(io_destroy_(ctx));
	close(fd);
}

static void aio_destroy_then_use_is_einval(void)
{
	aio_context_t ctx = 0;
	struct io_event ev;
	unsigned char vec;
	struct iocb cb = mk_iocb(IOCB_CMD_FSYNC, 0, NULL, 0, 0, 0), *list[1] = {&cb};

	CHECK_OK(io_setup_(8, &ctx));
	CHECK_OK(io_destroy_(ctx));
	CHECK_ERR(mincore((void *)ctx, 4096, &vec), ENOMEM); /* the ring is unmapped */
	CHECK_ERR(io_getevents_(ctx, 0, 1, &ev, &g_zero), EINVAL);
	CHECK_ERR(io_submit_(ctx, 1, list), EINVAL);
	CHECK_ERR(io_destroy_(ctx), EINVAL);
	CHECK_ERR(io_destroy_(0), EINVAL);
	CHECK_ERR(io_destroy_(12345), EINVAL);
}

static void aio_munmap_of_ring_kills_context(void)
{
	aio_context_t ctx = 0;
	struct io_event ev;

	CHECK_OK(io_setup_(8, &ctx));
	CHECK_OK(munmap((void *)ctx, 4096));
	CHECK_ERR(io_getevents_(ctx, 0, 1, &ev, &g_zero), EINVAL);
	CHECK_ERR(io_destroy_(ctx), EINVAL);
	ctx = 0; /* a new ring may land where the old one was: it is the one found there */
	CHECK_OK(io_setup_(8, &ctx));
	CHECK_EQ(io_getevents_(ctx, 0, 1, &ev, &g_zero), 0);
	CHECK_OK(io_destroy_(ctx));
}

static void aio_mremap_moves_the_context(void)
{
	aio_context_t ctx = 0;
	struct io_event ev;
	size_t size;
	void *to;

	CHECK_OK(io_setup_(8, &ctx));
	size = sizeof(struct aio_ring) + ((struct aio_ring *)ctx)->nr * sizeof(struct io_event);
	to = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(to != MAP_FAILED);
	CHECK_EQ((uint64_t)(uintptr_t)mremap((void *)ctx, size, size, MREMAP_MAYMOVE | MREMAP_FIXED,
					   to), (uint64_t)(uintptr_t)to);
	CHECK_ERR(io_getevents_(ctx, 0, 1, &ev, &g_zero), EINVAL);
	CHECK_EQ(((struct aio_ring *)to)->magic, 0xa10a10a1);
	CHECK_EQ(io_getevents_((aio_context_t)to, 0, 1, &ev, &g_zero), 0);
	CHECK_OK(io_destroy_((aio_context_t)to));
	CHECK_ERR(io_destroy_((aio_context_t)to), EINVAL);
}

static void aio_fork_child_has_no_context(void)
{
	int fd = CHECK_OK(open_tmp("fork"));
	char buf[2] = "ab";
	struct iocb w = mk_iocb(IOCB_CMD_PWRITE, fd, buf, 2, 0, 1);
	struct io_event ev;
	aio_context_t ctx = 0;
	int status;
	pid_t pid;

	CHECK_OK(io_setup_(8, &ctx));
	pid = CHECK_OK(fork());
	if (pid == 0) {
		unsigned char vec;
		aio_context_t mine = 0;
		int bad = 0;

		bad |= io_getevents_(ctx, 0, 1, &ev, &g_zero) != -1 || errno != EINVAL;
		bad |= (submit1(ctx, &w) != -1 || errno != EINVAL) << 1;
		/* The ring mapping is inherited (shared), its context is not. */
		bad |= (mincore((void *)ctx, 4096, &vec) != 0 ||
			((struct aio_ring *)ctx)->magic != 0xa10a10a1) << 2;
		bad |= (io_setup_(8, &mine) != 0) << 3; /* the child may make its own */
		bad |= (submit1(mine, &w) != 1) << 4;
		bad |= (io_getevents_(mine, 1, 1, &ev, NULL) != 1 || ev.res != 2) << 5;
		_exit(bad);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_EQ(submit1(ctx, &w), 1); /* the parent's context is untouched */
	CHECK_EQ(io_getevents_(ctx, 1, 1, &ev, NULL), 1);
	CHECK_OK(io_destroy_(ctx));
	close(fd);
}

/* After exec (argv: exec-check CTX): the old image's contexts and rings are gone. */
static int exec_check(const char *arg)
{
	aio_context_t ctx = strtoull(arg, NULL, 0);
	struct io_event ev;
	unsigned char vec;

	if (io_getevents_(ctx, 0, 1, &ev, &g_zero) != -1 || errno != EINVAL)
		return 1;
	if (mincore((void *)ctx, 4096, &vec) != -1 || errno != ENOMEM)
		return 2;
	return 0;
}

static void aio_exec_drops_contexts(void)
{
	aio_context_t ctx = 0;
	char arg[32];
	int status;
	pid_t pid;

	CHECK_OK(io_setup_(8, &ctx));
	snprintf(arg, sizeof(arg), "%#llx", (unsigned long long)ctx);
	pid = CHECK_OK(fork());
	if (pid == 0) {
		execl("/proc/self/exe", "aio_test", "exec-check", arg, (char *)NULL);
		_exit(3);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_OK(io_destroy_(ctx));
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "exec-check"))
		return exec_check(argv[2]);
	h_begin();
	h_setup_tmpdir();
	RUN(aio_setup_maps_ring_header);
	RUN(aio_setup_errors);
	RUN(aio_proc_sys_counts);
	RUN(aio_pwrite_pread_complete_in_ring);
	RUN(aio_vectored_and_sync);
	RUN(aio_ring_is_reaped_from_user_space);
	RUN(aio_getevents_min_nr_and_timeout);
	RUN(aio_getevents_blocks_until_a_completion);
	RUN(aio_pipe_read_waits_inside_submit);
	RUN(aio_getevents_interrupted_by_signal);
	RUN(aio_pgetevents_masks_while_waiting);
	RUN(aio_resfd_counts_completions);
	RUN(aio_submit_partial_and_iocb_errors);
	RUN(aio_cancel_finds_no_active_request);
	RUN(aio_full_ring_refuses_until_reaped);
	RUN(aio_destroy_then_use_is_einval);
	RUN(aio_munmap_of_ring_kills_context);
	RUN(aio_mremap_moves_the_context);
	RUN(aio_fork_child_has_no_context);
	RUN(aio_exec_drops_contexts);
	return h_end();
}
