/* systrap.c: the systrap platform: probe, create/destroy, the Sentry's seccomp needs,
 * contexts and their FPU state. Design: systrap_abi.h (the stub region),
 * systrap_stub.c (processes), systrap_as.c (mappings, threads), systrap_switch.c. */
#include "platform/systrap/systrap_internal.h"

#include <cpuid.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

/* Defaults from measurements on a 2-vCPU VM (see systrap_handoff.c and the unit test's
 * round-trip numbers): spins of 20 us catch the next trap of a syscall-heavy thread,
 * and left alone the scheduler puts two spinning threads on different CPUs, where the
 * hand-off is fastest. With one CPU, spinning only delays the other side. */
static const struct systrap_tune g_tune_smp = {
	.sentry_spin_ns = 20000,
	.stub_spin_ns = 20000,
	.pin = SYSTRAP_PIN_NONE,
	.block_spin_ns = 50000,
};
static const struct systrap_tune g_tune_up = {
	.sentry_spin_ns = 0,
	.stub_spin_ns = 0,
	.pin = SYSTRAP_PIN_NONE,
};

/* ns per `pause`: it ranges from a few cycles to over a hundred across CPUs. */
static unsigned pause_cost(void)
{
	struct timespec a, b;
	uint64_t ns;

	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 2000; i++)
		__builtin_ia32_pause();
	clock_gettime(CLOCK_MONOTONIC, &b);
	ns = (uint64_t)(b.tv_sec - a.tv_sec) * 1000000000ULL + (uint64_t)b.tv_nsec -
	     (uint64_t)a.tv_nsec;
	return ns / 2000 ? (unsigned)(ns / 2000) : 1;
}

/* RUNSC_SYSTRAP_TUNE=SENTRY_NS,STUB_NS,none|same|other[,BLOCK_NS] overrides the
 * tuning: a measurement knob (the Sentry inherits runsc's environment). */
static void tune_from_env(struct systrap_tune *t)
{
	static const char *const names[] = { "none", "same", "other" };
	const char *env = getenv("RUNSC_SYSTRAP_TUNE");
	unsigned a, b, block = 0;
	char pin[16];

	if (!env || sscanf(env, "%u,%u,%15[a-z],%u", &a, &b, pin, &block) < 3)
		return;
	for (unsigned i = 0; i < ARRAY_SIZE(names); i++)
		if (strcmp(pin, names[i]) == 0) {
			*t = (struct systrap_tune){ a, b, (enum systrap_pin)i, block };
			log_info("systrap: tuning from RUNSC_SYSTRAP_TUNE: %s", env);
			return;
		}
}

/* How many CPUs we may run on, and which of CPUs 0-63 they are: a stub thread let run
 * "anywhere" gets that mask, not CPUs 0..n-1 (under a cpuset of CPUs 2-3 those would
 * be refused, and taskset's choice must hold for the stubs too). */
static int online_cpus(uint64_t *mask)
{
	cpu_set_t set;

	*mask = 0;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	for (int c = 0; c < 64; c++)
		if (CPU_ISSET(c, &set))
			*mask |= 1ULL << c;
	return CPU_COUNT(&set);
}

/* Needs seccomp filters (RET_TRAP), pidfds (5.3) and SOCK_SEQPACKET unix sockets. */
static int systrap_probe(const char **why)
{
	int sv[2];

	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0) {
		*why = "seccomp is not available";
		return -ENOSYS;
	}
	if (syscall(SYS_pidfd_send_signal, -1, 0, NULL, 0) == 0 || errno == ENOSYS) {
		*why = "the kernel has no pidfd_send_signal";
		return -ENOSYS;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		*why = "no SOCK_SEQPACKET unix sockets";
		return -errno;
	}
	close(sv[0]);
	close(sv[1]);
	*why = "seccomp traps and pidfds work";
	return 0;
}

/* MXCSR bits the CPU accepts (FXSAVE's mask; 0 there means the old default), and XCR0. */
static void fpu_limits(struct systrap_platform *p)
{
	uint8_t area[512] __attribute__((aligned(16))) = { 0 };
	unsigned a, b, c, d;
	uint32_t mask;

	__asm__ volatile("fxsave64 %0" : "=m"(area));
	memcpy(&mask, area + 28, 4);
	p->mxcsr_mask = mask ? mask : 0xffbf;
	p->xcr0 = 0;
	if (__get_cpuid(1, &a, &b, &c, &d) && (c & (1u << 27))) {
		uint32_t lo, hi;

		__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
		p->xcr0 = (uint64_t)hi << 32 | lo;
	}
}

static int systrap_create(int memfd, struct platform **out)
{
	struct systrap_platform *p;
	int ret;

	if (memfd < 0)
		return -EBADF;
	p = xcalloc(1, sizeof(*p));
	p->base.ops = &plat_systrap_ops;
	p->memfd = memfd;
	p->factory_sock = -1;
	p->fpu_size = plat_fpu_size();
	p->ncpus = online_cpus(&p->cpus);
	p->tune = p->ncpus > 1 ? g_tune_smp : g_tune_up;
	tune_from_env(&p->tune);
	p->pause_ns = pause_cost();
	fpu_limits(p);
	pthread_mutex_init(&p->factory_lock, NULL);
	pthread_mutex_init(&p->own_lock, NULL);
	pthread_mutex_init(&p->pool_lock, NULL);
	ret = systrap_stub_setup(p);
	if (ret) {
		log_err("systrap: cannot set up the stub page and stub zero: %s",
			strerror(-ret));
		pthread_mutex_destroy(&p->factory_lock);
		pthread_mutex_destroy(&p->own_lock);
		pthread_mutex_destroy(&p->pool_lock);
		free(p);
		return ret;
	}
	log_debug("systrap: stub region at %#llx, stub zero %d, fsgsbase %s, rdpid %s, "
		  "%d CPUs, pause %u ns", (unsigned long long)p->region, p->factory_pid,
		  p->fsgsbase ? "yes" : "no", p->rdpid ? "yes" : "no", p->ncpus, p->pause_ns);
	*out = &p->base;
	return 0;
}

static void systrap_destroy(struct platform *p_)
{
	struct systrap_platform *p = to_sp(p_);

	if (!p)
		return;
	systrap_pool_drain(p);
	systrap_stub_teardown(p);
	pthread_mutex_destroy(&p->factory_lock);
	pthread_mutex_destroy(&p->own_lock);
	pthread_mutex_destroy(&p->pool_lock);
	free(p);
}

#define ALLOW(name, ...)                                                                   \
	do {                                                                               \
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), __VA_ARGS__);   \
		if (ret)                                                                   \
			return ret;                                                        \
	} while (0)

static int systrap_add_seccomp_rules(struct platform *p, void *scmp_ctx)
{
	scmp_filter_ctx ctx = scmp_ctx;
	int ret;

	ALLOW(memfd_create, 0);		/* a region file per stub */
	ALLOW(socketpair, 0);		/* a control socket per stub */
	ALLOW(sendmsg, 0);		/* stub zero requests (fds attached) */
	ALLOW(recvmsg, 0);		/* stub zero answers (pidfd attached) */
	ALLOW(sendto, 0);		/* doorbells to a control thread (MSG_NOSIGNAL) */
	ALLOW(read, 0);			/* control thread answers */
	ALLOW(poll, 0);			/* is a stub alive (its pidfd) */
	ALLOW(pidfd_send_signal, 1, SCMP_A1(SCMP_CMP_EQ, SIGKILL)); /* as_release */
	ALLOW(tgkill, 0);		/* interrupt() */
	ALLOW(futex, 0);		/* hand-offs with stub threads */
	ALLOW(getcpu, 0);		/* pinning stub threads (sched_getcpu fallback) */
	ALLOW(sched_setaffinity, 0);	/* moving a sleeping stub thread before its wake-up */
	ALLOW(kill, 1, SCMP_A1(SCMP_CMP_EQ, SIGKILL)); /* destroy: stub zero */
	ALLOW(wait4, 0);		/* destroy: reap stub zero */
	return 0;
}

#undef ALLOW

static int systrap_ctx_create(struct platform *p, struct plat_ctx **out)
{
	struct systrap_ctx *ctx = aligned_alloc(64, ALIGN_UP(sizeof(*ctx), 64));

	if (!ctx)
		return -ENOMEM;
	memset(ctx, 0, sizeof(*ctx));
	ctx->p = to_sp(p);
	ctx->wake_score = SPIN_SCORE_MAX;
	ctx->sentry_score = SPIN_SCORE_MAX;
	for (int i = 0; i < SPIN_KEYS; i++)
		ctx->stub_score[i] = SPIN_SCORE_MAX;
	plat_fpu_init(&ctx->fpu);
	*out = (struct plat_ctx *)ctx;
	return 0;
}

/* Its stub thread stays in the address space for the next context. */
static void systrap_ctx_release(struct plat_ctx *ctx_)
{
	struct systrap_ctx *ctx = to_sctx(ctx_);

	if (!ctx)
		return;
	pthread_mutex_lock(&ctx->p->own_lock);
	if (ctx->thr) {
		ctx->thr->owner = NULL;
		ctx->thr = NULL;
	}
	pthread_mutex_unlock(&ctx->p->own_lock);
	free(ctx);
}

static int systrap_get_fpu(struct plat_ctx *ctx_, struct plat_fpu *fpu)
{
	struct systrap_ctx *ctx = to_sctx(ctx_);
	int ret = 0;

	pthread_mutex_lock(&ctx->p->own_lock);
	if (ctx->thr && !ctx->fpu_dirty)
		ret = systrap_frame_get_fpu(ctx->thr, fpu);
	else
		memcpy(fpu->data, ctx->fpu.data, ctx->p->fpu_size);
	pthread_mutex_unlock(&ctx->p->own_lock);
	return ret;
}

/* The task sleeps in the Sentry and was woken: its stub thread may spin for the resume.
 * own_lock keeps the binding (and so the address space) from going away meanwhile. */
static void systrap_wake_hint(struct plat_ctx *ctx_)
{
	struct systrap_ctx *ctx = to_sctx(ctx_);

	pthread_mutex_lock(&ctx->p->own_lock);
	if (ctx->thr && ctx->thr->ready)
		systrap_handoff_wake(ctx, ctx->thr);
	pthread_mutex_unlock(&ctx->p->own_lock);
}

static uint64_t systrap_block_spin_ns(struct plat_ctx *ctx)
{
	return systrap_handoff_block_spin(to_sctx(ctx));
}

static void systrap_block_end(struct plat_ctx *ctx, uint64_t ns)
{
	systrap_handoff_block_end(to_sctx(ctx), ns);
}

/* Checked now, as the kernel would check it at sigreturn; applied at the next switch. */
static int systrap_set_fpu(struct plat_ctx *ctx_, const struct plat_fpu *fpu)
{
	struct systrap_ctx *ctx = to_sctx(ctx_);
	int ret = systrap_fpu_check(ctx->p, fpu);

	if (ret)
		return ret;
	pthread_mutex_lock(&ctx->p->own_lock);
	memcpy(ctx->fpu.data, fpu->data, ctx->p->fpu_size);
	ctx->fpu_dirty = true;
	pthread_mutex_unlock(&ctx->p->own_lock);
	return 0;
}

const struct platform_ops plat_systrap_ops = {
	.name = "systrap",
	.probe = systrap_probe,
	.create = systrap_create,
	.add_seccomp_rules = systrap_add_seccomp_rules,
	.as_create = systrap_as_create,
	.as_release = systrap_as_release,
	.as_map = systrap_as_map,
	.as_unmap = systrap_as_unmap,
	.as_protect = systrap_as_protect,
	.as_batch_begin = systrap_as_batch_begin,
	.as_batch_end = systrap_as_batch_end,
	.as_reset = systrap_as_reset,
	.ctx_create = systrap_ctx_create,
	.ctx_release = systrap_ctx_release,
	.switch_to = systrap_switch_to,
	.interrupt = systrap_interrupt,
	.wake_hint = systrap_wake_hint,
	.block_spin_ns = systrap_block_spin_ns,
	.block_end = systrap_block_end,
	.get_fpu = systrap_get_fpu,
	.set_fpu = systrap_set_fpu,
	.destroy = systrap_destroy,
	.max_ctx_per_as = SYSTRAP_NSLOTS, /* a slot of the stub region per stub thread */
};
