/* fork.c: clone, fork and vfork: a new task and thread group copied from the caller. */
#include "sentry/kernel/task.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <string.h>

#include "lib/log.h"
#include "sentry/fs/cgroup/cgroup.h"
#include "sentry/ipc/ipc.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/ioprio.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/timer.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

#define CLONE_NS_FLAGS (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | \
			CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWTIME)

struct clone_args_k {
	uint64_t flags, newsp, tls;
	uaddr_t ptid, ctid;
	uaddr_t pidfd; /* CLONE_PIDFD: where the pidfd goes */
};

/* Linux's flag combination rules, and what is not supported yet. */
static int clone_check_flags(struct task *t, uint64_t flags)
{
	if ((flags & (CLONE_NEWNS | CLONE_FS)) == (CLONE_NEWNS | CLONE_FS))
		return -EINVAL;
	if ((flags & CLONE_THREAD) && !(flags & CLONE_SIGHAND))
		return -EINVAL;
	if ((flags & CLONE_SIGHAND) && !(flags & CLONE_VM))
		return -EINVAL;
	if ((flags & CLONE_PARENT) && tg_is_ns_init(t->tg))
		return -EINVAL;
	/* A thread shares its process's pid namespace: none new, none from unshare. */
	if ((flags & CLONE_THREAD) && ((flags & CLONE_NEWPID) || t->pidns_children))
		return -EINVAL;
	/* A vfork child sharing memory runs on the parent's thread: the parent must
	 * have a platform context to lend. */
	if ((flags & CLONE_VM) && (flags & CLONE_VFORK) && !t->ctx)
		return -EINVAL;
	if (flags & CLONE_NS_FLAGS & ~(CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNS))
		return -EINVAL;
	/* A new IPC namespace cannot share the parent's SEM_UNDO list. */
	if ((flags & (CLONE_NEWIPC | CLONE_SYSVSEM)) == (CLONE_NEWIPC | CLONE_SYSVSEM))
		return -EINVAL;
	if ((flags & (CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNS)) &&
	    !caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	/* After unshare(CLONE_NEWPID) the children's namespace is already a new one. */
	if ((flags & CLONE_NEWPID) && t->pidns_children)
		return -EINVAL;
	/* clone() returns the pidfd where the parent tid would go: not both. */
	if ((flags & CLONE_PIDFD) && (flags & CLONE_THREAD))
		return -EINVAL;
	return 0;
}

static struct sighand *sighand_copy(const struct sighand *old)
{
	struct sighand *sh = xmalloc(sizeof(*sh));

	*sh = *old;
	sh->refs = 1;
	return sh;
}

/* The child's thread group: the caller's (CLONE_THREAD) or a new process. */
static void clone_join_group(struct task *t, struct task *c, uint64_t flags)
{
	struct thread_group *tg;

	if (flags & CLONE_THREAD) {
		tg = t->tg;
		c->tg = tg;
		list_add_tail(&c->tg_link, &tg->tasks);
		tg->nr_live++;
		return;
	}
	tg = tg_alloc(c, (flags & CLONE_PARENT) ? t->tg->parent : t->tg);
	if (tg->cgroup != t->tg->cgroup) { /* CLONE_PARENT: still the caller's cgroup */
		cgroup_put(tg->cgroup);
		tg->cgroup = cgroup_get(t->tg->cgroup);
	}
	if (flags & CLONE_SIGHAND) {
		tg->sighand = t->tg->sighand;
		tg->sighand->refs++;
	} else {
		tg->sighand = sighand_copy(t->tg->sighand);
	}
	tg_set_pgid(tg, t->tg->pgid);
	tg_set_sid(tg, t->tg->sid);
	tg->cid = t->tg->cid;
	memcpy(tg->rlim, t->tg->rlim, sizeof(tg->rlim));
	tg->oom_score_adj = t->tg->oom_score_adj;
	tg->oom_score_adj_min = t->tg->oom_score_adj_min;
	timers_rlimit_cpu_changed(tg); /* RLIMIT_CPU applies to the child's own time */
	tg->exit_signal = (int)(flags & CSIGNAL);
}

/* Undo clone_join_group and free c (the mm failed). */
static void clone_abort(struct task *c, uint64_t flags)
{
	struct thread_group *tg = c->tg;

	list_del(&c->tg_link);
	if (flags & CLONE_THREAD) {
		tg->nr_live--;
	} else {
		list_del(&tg->sibling);
		tg_put(tg);
	}
	task_free(c);
}

/* The child's task with its pid: in the caller's namespace for children, or in a new
 * one below it (CLONE_NEWPID), where it is pid 1. */
static int clone_alloc(struct task *t, uint64_t flags, struct task **out)
{
	struct pid_ns *ns = t->pidns_children ?: task_active_pidns(t), *new_ns = NULL;
	int err;

	if (flags & CLONE_NEWPID) {
		err = pidns_new(ns, &new_ns);
		if (err)
			return err;
		ns = new_ns;
	}
	err = task_alloc(ns, out);
	pidns_put(new_ns); /* the pid holds it now */
	return err;
}

/* Build the child task (not yet running). */
static int clone_task(struct task *t, const struct clone_args_k *ca, struct task **out)
{
	struct task *c;
	int err = clone_alloc(t, ca->flags, &c);

	if (err)
		return err;
	clone_join_group(t, c, ca->flags);
	if (ca->flags & CLONE_VM) {
		mm_get(t->mm);
		c->mm = t->mm;
		err = 0;
	} else {
		/* The stack and TLS around the forking thread are written first, and so is
		 * the program's data and bss (a static libc's stdio, malloc and locale
		 * state): a copy now instead of a fault on each side. */
		uint64_t hot[5] = { t->regs.rsp, t->regs.fs_base, t->mm->start_data,
				    t->mm->end_data - 1, ALIGN_UP(t->mm->end_data, PAGE_SIZE) };

		err = mm_fork_hot(t->mm, &c->mm, hot, t->mm->end_data ? 5 : 2);
	}
	if (err) {
		clone_abort(c, ca->flags);
		return err;
	}
	c->ipc_ns = ipc_ns_fork(t->ipc_ns, ca->flags & CLONE_NEWIPC);
	if (ca->flags & CLONE_SYSVSEM)
		t->tg->sem_undo_list = c->tg->sem_undo_list = true;
	c->files = fdtable_fork(t->files, ca->flags & CLONE_FILES);
	c->fs = fs_context_fork(t->fs, ca->flags & CLONE_FS);
	if (ca->flags & CLONE_NEWNS)
		fs_context_unshare_ns(c->fs); /* not shared: CLONE_FS with it is EINVAL */
	c->creds = t->creds;
	/* Scheduling attributes and personality are inherited (sys_sched.c). */
	c->sched_policy = t->sched_policy;
	c->sched_prio = t->sched_prio;
	c->nice = t->nice;
	c->affinity = t->affinity;
	if (c->sched_policy & SCHED_RESET_ON_FORK) {
		/* Linux: real-time becomes normal, negative nice 0, the flag is cleared. */
		int p = c->sched_policy & ~SCHED_RESET_ON_FORK;
		c->sched_policy = (p == SCHED_FIFO || p == SCHED_RR) ? SCHED_OTHER : p;
		c->sched_prio = 0;
		if (c->nice < 0)
			c->nice = 0;
	}
	c->personality = t->personality;
	c->no_new_privs = t->no_new_privs;
	task_seccomp_fork(c, t);
	c->timer_slack_ns = t->timer_slack_ns;
	c->io = ioprio_fork(t->io, ca->flags & CLONE_IO);
	c->mempolicy = t->mempolicy;
	c->sigmask = t->sigmask;
	memcpy(c->comm, t->comm, sizeof(c->comm));
	/* A child sharing memory but not waiting for exec gets no alternate stack. */
	if (!((ca->flags & CLONE_VM) && !(ca->flags & CLONE_VFORK))) {
		c->altstack_sp = t->altstack_sp;
		c->altstack_size = t->altstack_size;
		c->altstack_flags = t->altstack_flags;
	}

	c->regs = t->regs;
	c->regs.rax = 0;
	if (ca->newsp)
		c->regs.rsp = ca->newsp;
	if (ca->flags & CLONE_SETTLS)
		c->regs.fs_base = ca->tls;
	c->pending_fpu = xmalloc(sizeof(*c->pending_fpu));
	err = g_platform->ops->get_fpu(t->ctx, c->pending_fpu);
	if (err)
		plat_fpu_init(c->pending_fpu);
	if (ca->flags & CLONE_CHILD_SETTID) {
		int own = pid_nr_ns(c->pid, pid_ns_of(c->pid)); /* as the child sees itself */
		ignore_result(mm_copy_out(c->mm, ca->ctid.v, &own, sizeof(own)));
	}
	if (ca->flags & CLONE_CHILD_CLEARTID)
		c->clear_child_tid = ca->ctid;
	*out = c;
	return 0;
}

static long do_clone(struct task *t, const struct clone_args_k *ca)
{
	struct vfork_completion *vc = NULL;
	struct task *c;
	int err, tid;

	err = clone_check_flags(t, ca->flags);
	if (err)
		return err;
	/* RLIMIT_NPROC: tasks of the real uid, root and CAP_SYS_RESOURCE/ADMIN exempt. */
	if (t->creds.uid != 0 && !caps_capable(t, CAP_SYS_RESOURCE) &&
	    !caps_capable(t, CAP_SYS_ADMIN) &&
	    (uint64_t)task_count_user(t->creds.uid) >= t->tg->rlim[RLIMIT_NPROC].rlim_cur)
		return -EAGAIN;
	/* The platform runs at most so many threads in one address space. */
	if ((ca->flags & CLONE_VM) && !(ca->flags & CLONE_VFORK) &&
	    g_platform->ops->max_ctx_per_as &&
	    (unsigned)task_count_mm(t->mm) >= g_platform->ops->max_ctx_per_as)
		return -EAGAIN;
	err = cgroup_can_fork(t->tg->cgroup); /* pids.max: EAGAIN, as Linux's pids controller */
	if (err)
		return err;
	err = clone_task(t, ca, &c);
	if (err)
		return err;
	tid = pid_nr_ns(c->pid, task_active_pidns(t)); /* as the caller sees it */
	if (ca->flags & CLONE_PIDFD) {
		int pfd = pidfd_create(t, c->tg, 0);
		if (pfd >= 0)
			ignore_result(copy_to_user(t, ca->pidfd, &pfd, sizeof(pfd)));
	}
	if (ca->flags & CLONE_PARENT_SETTID)
		ignore_result(copy_to_user(t, ca->ptid, &tid, sizeof(tid)));
	if (ca->flags & CLONE_VFORK) {
		vc = xcalloc(1, sizeof(*vc));
		vc->refs = 2;
		waitq_init(&vc->wq);
		c->vfork = vc;
	}
	if (vc && (ca->flags & CLONE_VM)) {
		task_run_vfork_child(t, c, vc);
	} else {
		err = task_start(c);
		if (err)
			log_fatal("cannot start a host thread for task %d: %s", tid, strerror(-err));
		while (vc && !vc->done && !t->exit_now)
			task_block_killable(t, &vc->wq);
	}
	if (vc && --vc->refs == 0)
		free(vc);
	return tid;
}

long sys_clone(struct task *t, const struct sysargs *a)
{
	/* x86-64 order: flags, newsp, parent_tid, child_tid, tls. */
	struct clone_args_k ca = {
		.flags = arg_u64(a, 0),
		.newsp = arg_u64(a, 1),
		.ptid = arg_uaddr(a, 2),
		.ctid = arg_uaddr(a, 3),
		.tls = arg_u64(a, 4),
		.pidfd = arg_uaddr(a, 2),
	};

	if ((ca.flags & CLONE_PIDFD) && (ca.flags & CLONE_PARENT_SETTID))
		return -EINVAL;
	return do_clone(t, &ca);
}

long sys_fork(struct task *t, const struct sysargs *a)
{
	struct clone_args_k ca = {.flags = SIGCHLD};

	return do_clone(t, &ca);
}

long sys_vfork(struct task *t, const struct sysargs *a)
{
	struct clone_args_k ca = {.flags = CLONE_VM | CLONE_VFORK | SIGCHLD};

	return do_clone(t, &ca);
}

/* struct clone_args as clone3 takes it (VER0 is 64 bytes, VER2 88). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
	uint64_t set_tid, set_tid_size, cgroup;
};

long sys_clone3(struct task *t, const struct sysargs *a)
{
	struct clone3_args u = {0};
	uint64_t size = arg_u64(a, 1);

	if (size < 64)
		return -EINVAL;
	if (size > 4096)
		return -E2BIG;
	if (copy_from_user(t, &u, arg_uaddr(a, 0), MIN(size, sizeof(u))))
		return -EFAULT;
	/* A larger struct from a newer libc must have zeros in what we don't know. */
	for (uint64_t off = sizeof(u); off < size; off += 8) {
		uint64_t w = 0;
		if (copy_from_user(t, &w, uaddr_add(arg_uaddr(a, 0), off), MIN(8, size - off)))
			return -EFAULT;
		if (w)
			return -E2BIG;
	}
	if (u.exit_signal > SENTRY_NSIG || (u.flags & CSIGNAL))
		return -EINVAL;
	if ((u.flags & CLONE_THREAD) && u.exit_signal)
		return -EINVAL;
	if ((u.stack == 0) != (u.stack_size == 0))
		return -EINVAL;
	/* set_tid needs CAP_SYS_ADMIN over the pid namespace; cgroups come with the OCI work. */
	if (u.set_tid || u.set_tid_size || (u.flags & (1ULL << 33 /* CLONE_INTO_CGROUP */)))
		return -EINVAL;
	struct clone_args_k ca = {
		.flags = u.flags | u.exit_signal,
		.newsp = u.stack ? u.stack + u.stack_size : 0,
		.tls = u.tls,
		.ptid = uaddr(u.parent_tid),
		.ctid = uaddr(u.child_tid),
		.pidfd = uaddr(u.pidfd),
	};
	return do_clone(t, &ca);
}

/* unshare(CLONE_NEWPID): the caller stays where it is; its next child is pid 1 of a
 * new namespace below the caller's, and its later children join that one. */
static int unshare_pidns(struct task *t)
{
	if (t->pidns_children)
		return -EINVAL; /* Linux: the children's namespace must still be the caller's */
	return pidns_new(task_active_pidns(t), &t->pidns_children);
}

/* unshare(CLONE_FS, and CLONE_NEWNS which implies it): a private root, cwd and umask,
 * then a copy of the mount namespace. */
static void unshare_fs(struct task *t, uint64_t flags)
{
	t->fs = fs_context_unshare(t->fs);
	if (flags & CLONE_NEWNS)
		fs_context_unshare_ns(t->fs);
}

/* unshare(2): a new IPC namespace (CLONE_NEWIPC, which implies CLONE_SYSVSEM: the
 * process's SEM_UNDO adjustments are applied, as at exit), a new pid namespace for
 * the children (CLONE_NEWPID), a new mount namespace (CLONE_NEWNS) and a private fs
 * context (CLONE_FS). Other flags: EINVAL. */
long sys_unshare(struct task *t, const struct sysargs *a)
{
	uint64_t flags = arg_u64(a, 0);
	struct ipc_ns *old;
	int err;

	if (flags & ~(uint64_t)(CLONE_NEWIPC | CLONE_SYSVSEM | CLONE_NEWPID | CLONE_NEWNS |
				CLONE_FS))
		return -EINVAL;
	if ((flags & (CLONE_NEWIPC | CLONE_NEWPID | CLONE_NEWNS)) &&
	    !caps_capable(t, CAP_SYS_ADMIN))
		return -EPERM;
	if (flags & CLONE_NEWPID) {
		err = unshare_pidns(t);
		if (err)
			return err;
	}
	if (flags & (CLONE_NEWNS | CLONE_FS))
		unshare_fs(t, flags);
	if ((flags & (CLONE_NEWIPC | CLONE_SYSVSEM)) && t->tg->nr_live == 1)
		sem_undo_exit(t->tg);
	if (flags & CLONE_NEWIPC) {
		old = t->ipc_ns;
		t->ipc_ns = ipc_ns_fork(NULL, true);
		ipc_ns_put(old);
	}
	return 0;
}

/* setns(2): the Sentry hands out no namespace fds (its /proc/PID/ns entries are plain
 * links), so no open fd refers to a namespace: EINVAL, as Linux says of such an fd. */
long sys_setns(struct task *t, const struct sysargs *a)
{
	struct file *f = fdtable_get(t->files, arg_int(a, 0));

	if (!f)
		return -EBADF;
	file_put(f);
	return -EINVAL;
}
