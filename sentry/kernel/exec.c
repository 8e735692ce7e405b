/* exec.c: execve's task half: swap in the loaded image, close-on-exec, reset signals and
 * registers. The loading half is sentry/loader/. */
#include "sentry/kernel/task.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "lib/log.h"
#include "sentry/kernel/futex.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/timer.h"
#include "sentry/loader/loader.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

#define USER_CS 0x33
#define USER_DS 0x2b

void vfork_release(struct task *child)
{
	struct vfork_completion *vc = child->vfork;

	if (!vc)
		return;
	child->vfork = NULL;
	vc->done = true;
	waitq_wake_all(&vc->wq);
	if (--vc->refs == 0)
		free(vc);
}

/* Linux's de_thread: the other threads of the group exit, and the caller takes over the
 * leader's pid. Returns -EINTR if the caller is killed meanwhile. */
static int exec_single_thread(struct task *t)
{
	struct thread_group *tg = t->tg;
	struct list_head *pos;

	if (tg->nr_live > 1) {
		list_for_each(pos, &tg->tasks) {
			struct task *o = list_entry(pos, struct task, tg_link);
			if (o != t && o->state == TASK_RUNNING) {
				o->exit_now = true;
				task_kick(o);
			}
		}
		while (tg->nr_live > 1) {
			if (t->exit_now)
				return -EINTR;
			task_block_killable(t, &tg->thread_exit_wq);
		}
	}
	if (tg->leader != t) {
		struct task *old = tg->leader;
		struct pid *mine = t->pid;

		/* The thread takes the leader's pid (the process's), as on Linux. */
		t->pid = old->pid;
		old->pid = mine;
		t->tid = t->pid->up[0].nr;
		list_del(&old->tg_link);
		task_free(old);
		tg->leader = t;
	}
	return 0;
}

int kernel_execve(struct task *t, const char *path, char *const argv[], char *const envp[])
{
	return kernel_execveat(t, AT_FDCWD, path, 0, argv, envp);
}

int kernel_execveat(struct task *t, int dirfd, const char *path, int at_flags,
		    char *const argv[], char *const envp[])
{
	struct exec_image img;
	struct mm *old;
	int zero = 0, err;

	err = loader_exec(t, dirfd, path, at_flags, argv, envp, &img);
	if (err)
		return err;
	if (t->tg && exec_single_thread(t) < 0) {
		mm_put(img.mm);
		return -EINTR;
	}
	/* Point of no return: the old image is gone. */
	old = t->mm;
	if (old && t->clear_child_tid.v &&
	    mm_copy_out(old, t->clear_child_tid.v, &zero, sizeof(zero)) == 0)
		futex_wake_exit(t, t->clear_child_tid.v);
	t->clear_child_tid = uaddr(0);
	t->robust_list = uaddr(0);
	t->mm = img.mm;
	mm_exec_prefault(img.mm);
	if (old) {
		mm_exec_take_as(img.mm, old);
		mm_put(old);
	}
	if (t->files)
		fdtable_close_on_exec(t->files);
	signal_reset_for_exec(t);
	caps_exec(&t->creds); /* capabilities as Linux computes them for a plain file */
	if (t->tg) {
		/* A new image is dumpable again unless it runs with ids other than the real
		 * ones (Linux: suid_dumpable, 0 by default) or from a file the task cannot
		 * read. */
		t->tg->dumpable = t->creds.euid == t->creds.uid &&
				  t->creds.egid == t->creds.gid && !img.nondump;
		timers_exec(t->tg); /* POSIX timers do not survive execve */
		t->tg->membarrier_private = false; /* registration is per address space */
	}
	memcpy(t->comm, img.comm, sizeof(t->comm));

	memset(&t->regs, 0, sizeof(t->regs));
	t->regs.rip = img.entry;
	t->regs.rsp = img.sp;
	t->regs.cs = USER_CS;
	t->regs.ss = USER_DS;
	t->regs.eflags = 0x202;
	t->regs.orig_rax = (uint64_t)-1;
	if (!t->pending_fpu)
		t->pending_fpu = xmalloc(sizeof(*t->pending_fpu));
	plat_fpu_init(t->pending_fpu);
	vfork_release(t);
	return 0;
}
