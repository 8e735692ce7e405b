/* run.c: the task loop: run application code until it traps, serve the trap, deliver
 * signals, repeat until the task exits. */
#include "sentry/kernel/task.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"
#include "sentry/kernel/cputime.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

/* Retries of a fault on an already-mapped page before it is a real SIGSEGV. */
#define FAULT_RETRY_MAX 3

static bool is_restart_code(long ret)
{
	return ret == -ERESTARTSYS || ret == -ERESTARTNOINTR || ret == -ERESTARTNOHAND ||
	       ret == -ERESTART_RESTARTBLOCK;
}

/* Source of task.syscall_id; never 0. */
static uint64_t g_syscall_ids;

uint64_t task_syscall_id_latest(void)
{
	return __atomic_load_n(&g_syscall_ids, __ATOMIC_RELAXED);
}

static void handle_syscall(struct task *t, const struct plat_trap *trap)
{
	struct sysargs a = {
		.nr = t->regs.orig_rax,
		.arg = {t->regs.rdi, t->regs.rsi, t->regs.rdx, t->regs.r10, t->regs.r8,
			t->regs.r9},
	};
	long ret;
	bool int80 = trap->entry == PLAT_ENTRY_INT80 ||
		     (trap->entry == PLAT_ENTRY_UNKNOWN && syscall_is_int80(t));

	t->no_restart = false;
	if (t->seccomp_mode && task_seccomp_check(t, int80, &ret)) {
		t->regs.rax = (uint64_t)ret;
		return;
	}
	t->syscall_id = __atomic_add_fetch(&g_syscall_ids, 1, __ATOMIC_RELAXED);
	if (int80)
		ret = syscall_dispatch_int80(t);
	else
		ret = syscall_dispatch(t, &a);
	t->syscall_id = 0;
	t->regs.rax = (uint64_t)ret;
	if (!t->no_restart && is_restart_code(ret))
		t->restart_rax = ret;
}

static void handle_fault(struct task *t, const struct plat_trap *trap)
{
	int code = trap->code;

	if (trap->signo == SIGSEGV) {
		int err = mm_handle_fault(t->mm, trap->addr, trap->access, &code);
		if (err == 0) {
			t->fault_retries = 0;
			return;
		}
		/* Already mapped: a race with another thread, unless it keeps happening at
		 * the same address (then the access really is not allowed). */
		if (err == -EAGAIN) {
			if (trap->addr != t->fault_addr)
				t->fault_retries = 0;
			t->fault_addr = trap->addr;
			if (++t->fault_retries <= FAULT_RETRY_MAX)
				return;
			code = SEGV_ACCERR;
		}
		t->fault_retries = 0;
		signal_force_fault(t, err == -EIO ? SIGBUS : SIGSEGV, code, trap->addr);
		return;
	}
	signal_force_fault(t, trap->signo, trap->code, trap->addr);
}

/* Prepare the platform context on this host thread (first run, after fork/exec). */
static int task_prepare_ctx(struct task *t)
{
	int err;

	if (!t->ctx) {
		err = g_platform->ops->ctx_create(g_platform, &t->ctx);
		if (err)
			return err;
	}
	if (t->pending_fpu) {
		err = g_platform->ops->set_fpu(t->ctx, t->pending_fpu);
		free(t->pending_fpu);
		t->pending_fpu = NULL;
		if (err)
			return err;
	}
	return 0;
}

/* Run application code once. Returns 0 with *trap filled, or -errno (platform failure). */
static int task_switch(struct task *t, struct plat_trap *trap)
{
	struct plat_as *as;
	int err;

	err = mm_platform_as(t->mm, &as);
	if (err)
		return err;
	err = task_prepare_ctx(t);
	if (err)
		return err;
	/* CPU accounting: Sentry time until here is system time, switch_to is user time. */
	cputime_enter_app(t);
	t->in_app = true;
	kernel_unlock();
	err = plat_switch_to(g_platform, t->ctx, as, &t->regs, trap);
	kernel_lock();
	t->in_app = false;
	cputime_leave_app(t);
	/* The pending FPU may have been set by exec while we were out (not possible today,
	 * but keep the context in step if it happens). */
	return err;
}

/* Run t until it exits, or until `until` completes (a vfork child's exec). */
static void task_loop(struct task *t, const struct vfork_completion *until)
{
	struct plat_trap trap;
	int err;

	while (!t->exit_now && !(until && until->done)) {
		signal_deliver(t);
		if (t->exit_now)
			break;
		memset(&trap, 0, sizeof(trap));
		err = task_switch(t, &trap);
		if (err) {
			log_warn("task %d: platform failed (%s); killing its process", t->tid,
				 strerror(-err));
			tg_do_exit_group(t, SIGKILL);
			break;
		}
		switch (trap.kind) {
		case TRAP_SYSCALL:
			/* The retry count is for faults in a row: a retried access that then
			 * worked never traps again to reset it, so the same race once a round
			 * (a thread faulting while another maps the page) added up to SIGSEGV. */
			t->fault_retries = 0;
			handle_syscall(t, &trap);
			break;
		case TRAP_FAULT:
			handle_fault(t, &trap);
			break;
		case TRAP_INTERRUPT:
			break;
		}
	}
}

void task_run(struct task *t)
{
	task_loop(t, NULL);
	task_do_exit(t, t->exit_code);
}

void task_run_vfork_child(struct task *parent, struct task *child, struct vfork_completion *vc)
{
	struct plat_fpu *saved = xmalloc(sizeof(*saved));
	bool have_fpu = g_platform->ops->get_fpu(parent->ctx, saved) == 0;

	/* The parent is suspended until the child execs or exits, so the child borrows the
	 * parent's host thread and platform context, in the address space they share. */
	child->ctx = parent->ctx;
	t_current = child;
	task_loop(child, vc);
	kernel_forget_wakes(child); /* a waker may still be hinting the borrowed context */
	child->ctx = NULL;
	t_current = parent;
	if (child->exit_now || !vc->done)
		task_do_exit(child, child->exit_code);
	else if (task_start(child) < 0)
		log_fatal("cannot start a host thread for task %d", child->tid);
	if (have_fpu)
		g_platform->ops->set_fpu(parent->ctx, saved);
	free(saved);
}
