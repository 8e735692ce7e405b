/* seccomp.c: per-task seccomp state, filter install (with TSYNC) and the check made before
 * every syscall: all filters run, the action of highest precedence wins, and it is carried
 * out as Linux does (errno, SIGSYS trap with siginfo, thread or process kill, log). */
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/seccomp.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>

#include <linux/audit.h>
#include <linux/seccomp.h>

#include "lib/log.h"
#include "lib/util.h"
#include "sentry/kernel/bpf.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/task.h"

/* Linux's bound on the instructions of all filters of a task (each counts 4 more). */
#define SECCOMP_MAX_PATH_INSNS 32768
#define SECCOMP_MAX_ERRNO 4095

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a SECCOMP_RET_TRAP SIGSYS */
#endif

/* The OCI profile, installed in each process the runtime starts (NULL: none). */
static struct sock_filter *g_container_prog;
static size_t g_container_len;
static bool g_container_log;

static struct seccomp_filter *filter_get(struct seccomp_filter *f)
{
	if (f)
		f->refs++;
	return f;
}

static void filter_put(struct seccomp_filter *f)
{
	while (f && --f->refs == 0) {
		struct seccomp_filter *prev = f->prev;
		free(f);
		f = prev;
	}
}

int task_seccomp_mode(const struct task *t)
{
	return t->seccomp_mode;
}

void task_seccomp_fork(struct task *child, const struct task *parent)
{
	child->seccomp_mode = parent->seccomp_mode;
	child->seccomp = filter_get(parent->seccomp);
}

void task_seccomp_release(struct task *t)
{
	filter_put(t->seccomp);
	t->seccomp = NULL;
}

/* The action of highest precedence of all filters: the lowest as a signed action. */
static uint32_t run_filters(const struct task *t, const struct seccomp_data *sd, bool *log)
{
	uint32_t ret = SECCOMP_RET_ALLOW;

	*log = false;
	for (const struct seccomp_filter *f = t->seccomp; f; f = f->prev) {
		uint32_t cur = bpf_run(f->insns, f->len, sd);
		if ((int32_t)(cur & SECCOMP_RET_ACTION_FULL) < (int32_t)(ret & SECCOMP_RET_ACTION_FULL))
			ret = cur;
		*log |= f->log;
	}
	return ret;
}

/* SIGSYS that the application cannot block or ignore (force_sig_seccomp). With kill, its
 * handler is reset so the default action (a core-dumping death) happens. */
static void force_sigsys(struct task *t, const struct seccomp_data *sd, uint32_t data, bool kill)
{
	siginfo_t info;

	siginfo_kernel(&info, SIGSYS, SYS_SECCOMP);
	info.si_errno = (int)data;
	info.si_call_addr = (void *)t->regs.rip;
	info.si_syscall = sd->nr;
	info.si_arch = (int)sd->arch;
	if (kill)
		t->tg->sighand->action[SIGSYS - 1].handler = (uint64_t)SIG_DFL;
	signal_force_info(t, &info);
}

/* Strict mode: read, write, exit and rt_sigreturn only (their i386 numbers through int
 * $0x80: 3, 4, 1, sigreturn 119); anything else is SIGKILL. */
static bool strict_check(struct task *t, const struct seccomp_data *sd)
{
	if (sd->arch == AUDIT_ARCH_X86_64 ? (sd->nr == SYS_read || sd->nr == SYS_write ||
					     sd->nr == SYS_exit || sd->nr == SYS_rt_sigreturn)
					  : (sd->nr == 3 || sd->nr == 4 || sd->nr == 1 || sd->nr == 119))
		return false;
	task_send_signal(t, SIGKILL, NULL);
	return true;
}

static void log_action(const struct task *t, const struct seccomp_data *sd, uint32_t action)
{
	/* At debug level, so that a guest cannot flood the default log. */
	log_debug("seccomp: task %d syscall %d (arch %#x): action %#x", t->tid, sd->nr, sd->arch,
		  action);
}

/* What the filters see: the registers as the syscall's ABI reads them. */
static void fill_data(const struct task *t, bool i386, struct seccomp_data *sd)
{
	const plat_regs_t *r = &t->regs;

	sd->instruction_pointer = r->rip;
	if (!i386) {
		const uint64_t args[6] = {r->rdi, r->rsi, r->rdx, r->r10, r->r8, r->r9};
		sd->nr = (int)r->orig_rax;
		sd->arch = AUDIT_ARCH_X86_64;
		memcpy(sd->args, args, sizeof(args));
		return;
	}
	const uint64_t args32[6] = {(uint32_t)r->rbx, (uint32_t)r->rcx, (uint32_t)r->rdx,
				    (uint32_t)r->rsi, (uint32_t)r->rdi, (uint32_t)r->rbp};
	sd->nr = (int)(uint32_t)r->orig_rax;
	sd->arch = AUDIT_ARCH_I386;
	memcpy(sd->args, args32, sizeof(args32));
}

bool task_seccomp_check(struct task *t, bool i386, long *ret)
{
	struct seccomp_data sd;
	uint32_t r, data;
	bool log;

	fill_data(t, i386, &sd);
	*ret = (long)t->regs.orig_rax;
	if (t->seccomp_mode == SECCOMP_MODE_STRICT)
		return strict_check(t, &sd);
	if (t->seccomp_mode != SECCOMP_MODE_FILTER)
		return false;
	r = run_filters(t, &sd, &log);
	data = r & SECCOMP_RET_DATA;
	if (log && (r & SECCOMP_RET_ACTION_FULL) != SECCOMP_RET_ALLOW)
		log_action(t, &sd, r);
	switch (r & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
		return false;
	case SECCOMP_RET_LOG:
		log_action(t, &sd, r);
		return false;
	case SECCOMP_RET_ERRNO:
		*ret = -(long)MIN(data, SECCOMP_MAX_ERRNO);
		return true;
	case SECCOMP_RET_TRACE:
	case SECCOMP_RET_USER_NOTIF:
		/* No tracer and no listener can exist in the sandbox: as Linux without one. */
		*ret = -ENOSYS;
		return true;
	case SECCOMP_RET_TRAP:
		force_sigsys(t, &sd, data, false);
		return true;
	case SECCOMP_RET_KILL_THREAD:
		if (t->tg->nr_live > 1) {
			t->exit_now = true;
			t->exit_code = SIGSYS;
			return true;
		}
		/* The last thread: the process dies of SIGSYS, as for KILL_PROCESS. */
		/* fallthrough */
	default: /* KILL_PROCESS, and unknown actions */
		force_sigsys(t, &sd, data, true);
		return true;
	}
}

static size_t path_insns(const struct seccomp_filter *f)
{
	size_t n = 0;

	for (; f; f = f->prev)
		n += f->len + 4;
	return n;
}

/* TSYNC: every other thread must run the caller's filters or an older part of them. */
static int tsync_check(struct task *t)
{
	struct list_head *pos;

	list_for_each(pos, &t->tg->tasks) {
		struct task *o = list_entry(pos, struct task, tg_link);
		const struct seccomp_filter *f = t->seccomp;

		if (o == t || o->state == TASK_EXITING)
			continue;
		if (o->seccomp_mode == SECCOMP_MODE_STRICT)
			return task_vnr(t, o);
		while (f && f != o->seccomp)
			f = f->prev;
		if (f != o->seccomp)
			return task_vnr(t, o);
	}
	return 0;
}

static void tsync_apply(struct task *t)
{
	struct list_head *pos;

	list_for_each(pos, &t->tg->tasks) {
		struct task *o = list_entry(pos, struct task, tg_link);

		if (o == t || o->state == TASK_EXITING)
			continue;
		filter_put(o->seccomp);
		o->seccomp = filter_get(t->seccomp);
		o->seccomp_mode = SECCOMP_MODE_FILTER;
		if (t->no_new_privs)
			o->no_new_privs = true;
	}
}

long task_seccomp_add(struct task *t, const struct sock_filter *prog, size_t len,
			unsigned flags)
{
	struct seccomp_filter *f;
	int tid;

	if (t->seccomp_mode == SECCOMP_MODE_STRICT)
		return -EINVAL;
	if (bpf_check_seccomp(prog, len) < 0)
		return -EINVAL;
	if (path_insns(t->seccomp) + len + 4 > SECCOMP_MAX_PATH_INSNS)
		return -ENOMEM;
	if ((flags & SECCOMP_FILTER_FLAG_TSYNC) && (tid = tsync_check(t)) != 0)
		return tid;
	f = xmalloc(sizeof(*f) + len * sizeof(f->insns[0]));
	f->refs = 1;
	f->prev = t->seccomp; /* the task's reference moves to the new filter */
	f->log = flags & SECCOMP_FILTER_FLAG_LOG;
	f->len = len;
	memcpy(f->insns, prog, len * sizeof(f->insns[0]));
	t->seccomp = f;
	t->seccomp_mode = SECCOMP_MODE_FILTER;
	if (flags & SECCOMP_FILTER_FLAG_TSYNC)
		tsync_apply(t);
	return 0;
}

int task_seccomp_set_container(const struct sock_filter *prog, size_t len, bool log)
{
	if (bpf_check_seccomp(prog, len) < 0)
		return -EINVAL;
	free(g_container_prog);
	g_container_prog = xmalloc(len * sizeof(*prog));
	memcpy(g_container_prog, prog, len * sizeof(*prog));
	g_container_len = len;
	g_container_log = log;
	return 0;
}

int task_seccomp_enter_container(struct task *t)
{
	long ret;

	if (!g_container_prog || t->seccomp)
		return 0;
	ret = task_seccomp_add(t, g_container_prog, g_container_len,
			       g_container_log ? SECCOMP_FILTER_FLAG_LOG : 0);
	return ret < 0 ? (int)ret : 0;
}
