/* ptrace.c: the ptrace platform: probe, create/destroy, seccomp needs, contexts and FPU. */
#include "platform/ptrace/ptrace_internal.h"

#include <errno.h>
#include <sched.h>
#include <seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/seccomp.h>

#include "lib/log.h"
#include "lib/util.h"

/* Can this process trace a child? (A container runtime's seccomp profile or Yama may
 * forbid it.) Forks a child that asks to be traced and stops itself. */
static int ptrace_probe(const char **why)
{
	int status;
	long pid = syscall(SYS_clone, 0UL, NULL, NULL, NULL, 0UL);

	if (pid < 0) {
		*why = "cannot fork a stub process";
		return -errno;
	}
	if (pid == 0) { /* raw syscalls only: the caller may be multi-threaded */
		if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) != 0)
			syscall(SYS_exit_group, 1);
		syscall(SYS_kill, syscall(SYS_getpid), SIGSTOP);
		syscall(SYS_exit_group, 2);
	}
	while (waitpid((pid_t)pid, &status, __WALL) < 0)
		if (errno != EINTR)
			break;
	kill((pid_t)pid, SIGKILL);
	if (WIFSTOPPED(status))
		while (waitpid((pid_t)pid, &status, __WALL) < 0 && errno == EINTR)
			;
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 1) {
		*why = "ptrace not permitted";
		return -EPERM;
	} else {
		*why = "ptrace probe child did not stop";
		return -EPERM;
	}
	*why = "ptrace works";
	return 0;
}

static int ptrace_create(int memfd, struct platform **out)
{
	struct ptrace_platform *p;
	int ret;

	if (memfd < 0)
		return -EBADF;
	p = xcalloc(1, sizeof(*p));
	p->base.ops = &plat_ptrace_ops;
	p->memfd = memfd;
	p->fpu_size = plat_fpu_size();
	pthread_mutex_init(&p->own_lock, NULL);
	ptrace_mgr_init(&p->mgr);
	ret = ptrace_stub_setup(p);
	if (ret) {
		log_err("ptrace: cannot map the stub page: %s", strerror(-ret));
		ptrace_mgr_stop(&p->mgr);
		pthread_mutex_destroy(&p->own_lock);
		free(p);
		return ret;
	}
	log_debug("ptrace: stub page at %#llx", (unsigned long long)p->stub_addr);
	*out = &p->base;
	return 0;
}

static void ptrace_destroy(struct platform *p_)
{
	struct ptrace_platform *p = to_pp(p_);

	if (!p)
		return;
	ptrace_mgr_stop(&p->mgr); /* stubs still alive die with it */
	ptrace_stub_teardown(p);
	pthread_mutex_destroy(&p->own_lock);
	free(p);
}

/* What glibc's pthread_create passes to clone. */
#define MGR_CLONE_FLAGS                                                                    \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM |  \
	 CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID)

#define ALLOW(name, ...)                                                                   \
	do {                                                                               \
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), __VA_ARGS__);   \
		if (ret)                                                                   \
			return ret;                                                        \
	} while (0)

static int ptrace_add_seccomp_rules(struct platform *p, void *scmp_ctx)
{
	scmp_filter_ctx ctx = scmp_ctx;
	int ret;

	/* The tracer side, in the Sentry. */
	ALLOW(ptrace, 0);		/* every stub operation */
	ALLOW(wait4, 0);		/* waitpid(stub, __WALL): stops and reaping */
	ALLOW(tgkill, 0);		/* interrupt(), and flush requests to a running stub */
	ALLOW(kill, 0);			/* SIGKILL a stub process in as_release */
	ALLOW(clone, 1, SCMP_A0(SCMP_CMP_EQ, 0));	/* fork a stub: no flags, no exit signal */
	/* The stub manager thread, started on first use (pthread_create; clone3 must fail
	 * with ENOSYS, as the Sentry's filter makes it, for glibc to fall back to clone). */
	ALLOW(clone, 1, SCMP_A0(SCMP_CMP_EQ, MGR_CLONE_FLAGS));
	ALLOW(set_robust_list, 0);	/* manager thread start */
	ALLOW(futex, 0);		/* manager request queue */
	ALLOW(sched_setaffinity, 0);	/* pin a stub to its tracer's CPU; manager forks */
	ALLOW(sched_getaffinity, 0);	/* manager: restore its mask after a fork */
	ALLOW(getcpu, 0);		/* sched_getcpu fallback when rseq/vDSO cannot answer */
	ALLOW(gettid, 0);		/* binding contexts to threads */
	ALLOW(getpid, 0);		/* the parent pid a new stub checks */
	/* What a forked stub runs under the inherited Sentry filter before adding its own. */
	ALLOW(rt_sigprocmask, 0);	/* unblock all signals in the stub; manager blocks all */
	ALLOW(rt_sigaction, 0);		/* default action for the interrupt signal */
	ALLOW(rseq, 0);			/* unregister the inherited rseq area */
	ALLOW(prctl, 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_PDEATHSIG));	/* die with the tracer */
	ALLOW(prctl, 1, SCMP_A0(SCMP_CMP_EQ, PR_SET_NO_NEW_PRIVS));	/* for seccomp */
	ALLOW(getppid, 0);		/* tracer still alive after PDEATHSIG */
	ALLOW(close_range, 0);		/* close every fd but the memory file */
	ALLOW(seccomp, 1, SCMP_A0(SCMP_CMP_EQ, SECCOMP_SET_MODE_FILTER)); /* stub filter */
	ALLOW(exit_group, 0);		/* stub set-up failure */
	/* Injected into stubs, which also run under the Sentry's inherited filter. */
	ALLOW(munmap, 0);		/* stub set-up and as_unmap; manager stack */
	ALLOW(mmap, 0);			/* as_map: MAP_SHARED|MAP_FIXED of the memory file */
	ALLOW(mprotect, 0);		/* as_protect */
	ALLOW(exit, 0);			/* a stub thread leaving (injected); manager exit */
	ALLOW(clone, 1, SCMP_A0(SCMP_CMP_EQ, PTRACE_CLONE_FLAGS));	/* adding a stub thread */
	ALLOW(pause, 0);		/* where a new stub thread waits to be seized */
	return 0;
}

#undef ALLOW

static int ptrace_ctx_create(struct platform *p, struct plat_ctx **out)
{
	struct ptrace_ctx *ctx = aligned_alloc(64, ALIGN_UP(sizeof(*ctx), 64));

	if (!ctx)
		return -ENOMEM;
	memset(ctx, 0, sizeof(*ctx));
	ctx->p = to_pp(p);
	ctx->tid = ptrace_gettid();
	list_init(&ctx->threads);
	plat_fpu_init(&ctx->fpu);
	*out = (struct plat_ctx *)ctx;
	return 0;
}

/* On its own thread, the context's stub threads exit (see ptrace_thread.c); released
 * elsewhere, they stay as orphans for the next context of that thread. */
static void ptrace_ctx_release(struct plat_ctx *ctx_)
{
	struct ptrace_ctx *ctx = to_pctx(ctx_);
	struct list_head *pos, *n;
	bool own;

	if (!ctx)
		return;
	own = ptrace_gettid() == ctx->tid;
	pthread_mutex_lock(&ctx->p->own_lock);
	list_for_each_safe(pos, n, &ctx->threads) {
		struct ptrace_thread *th = list_entry(pos, struct ptrace_thread, ctx_link);
		struct ptrace_as *as = th->as;

		pthread_mutex_lock(&as->lock);
		if (own) {
			ptrace_thread_remove(th);
		} else {
			log_warn("ptrace: context of thread %d released on thread %d: stub "
				 "thread %d stays", ctx->tid, ptrace_gettid(), th->tid);
			list_del(&th->ctx_link);
			th->ctx = NULL;
		}
		pthread_mutex_unlock(&as->lock);
	}
	pthread_mutex_unlock(&ctx->p->own_lock);
	free(ctx);
}

static int ptrace_get_fpu(struct plat_ctx *ctx_, struct plat_fpu *fpu)
{
	struct ptrace_ctx *ctx = to_pctx(ctx_);
	int ret = 0;

	if (ptrace_gettid() != ctx->tid)
		return -EPERM;
	pthread_mutex_lock(&ctx->p->own_lock);
	if (ctx->fpu_th && ctx->fpu_th->as->pid > 0)
		ret = ptrace_stub_get_fpu(ctx->p, ctx->fpu_th->tid, fpu);
	else
		memcpy(fpu->data, ctx->fpu.data, ctx->p->fpu_size);
	pthread_mutex_unlock(&ctx->p->own_lock);
	return ret;
}

/* With a stub, the kernel checks the image at once (a bad XSAVE header from a sigreturn
 * frame is -EINVAL here, not a failed switch later). */
static int ptrace_set_fpu(struct plat_ctx *ctx_, const struct plat_fpu *fpu)
{
	struct ptrace_ctx *ctx = to_pctx(ctx_);
	int ret = 0;

	if (ptrace_gettid() != ctx->tid)
		return -EPERM;
	pthread_mutex_lock(&ctx->p->own_lock);
	if (ctx->fpu_th && ctx->fpu_th->as->pid > 0)
		ret = ptrace_stub_set_fpu(ctx->p, ctx->fpu_th->tid, fpu);
	if (ret == 0)
		memcpy(ctx->fpu.data, fpu->data, ctx->p->fpu_size);
	pthread_mutex_unlock(&ctx->p->own_lock);
	return ret == -EFAULT ? -EINVAL : ret;
}

const struct platform_ops plat_ptrace_ops = {
	.name = "ptrace",
	.probe = ptrace_probe,
	.create = ptrace_create,
	.add_seccomp_rules = ptrace_add_seccomp_rules,
	.as_create = ptrace_as_create,
	.as_release = ptrace_as_release,
	.as_map = ptrace_as_map,
	.as_unmap = ptrace_as_unmap,
	.as_protect = ptrace_as_protect,
	.ctx_create = ptrace_ctx_create,
	.ctx_release = ptrace_ctx_release,
	.switch_to = ptrace_switch_to,
	.interrupt = ptrace_interrupt,
	.get_fpu = ptrace_get_fpu,
	.set_fpu = ptrace_set_fpu,
	.destroy = ptrace_destroy,
};
