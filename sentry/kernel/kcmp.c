/* kcmp.c: kcmp(2): do two processes share a kernel resource (memory, fd table, fs info,
 * signal handlers, I/O context, SysV undo list, an open file, an epoll target)? 0 when
 * the same; otherwise 1 or 2 by an order of obfuscated addresses (a random key per
 * sandbox and type, as Linux's, so no Sentry address shows). Both tasks need the
 * caller's ptrace read access. */
#include <errno.h>
#include <stdint.h>
#include <sys/random.h>

#include "sentry/fs/anon.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/ioprio.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

enum { KCMP_FILE, KCMP_VM, KCMP_FILES, KCMP_FS, KCMP_SIGHAND, KCMP_IO, KCMP_SYSVSEM,
       KCMP_EPOLL_TFD, KCMP_TYPES };

struct kcmp_epoll_slot {
	uint32_t efd, tfd;
	uint64_t toff;
};

static uint64_t g_kcmp_key[KCMP_TYPES][2];

static uint64_t kcmp_obfuscate(const void *p, int type)
{
	if (!g_kcmp_key[0][1]) {
		if (getrandom(g_kcmp_key, sizeof(g_kcmp_key), GRND_NONBLOCK) !=
		    (ssize_t)sizeof(g_kcmp_key))
			g_kcmp_key[0][0] = (uintptr_t)&g_kcmp_key ^ kernel_now_ns();
		for (int i = 0; i < KCMP_TYPES; i++)
			g_kcmp_key[i][1] |= 1; /* odd: the product stays one-to-one */
	}
	return ((uintptr_t)p ^ g_kcmp_key[type][0]) * g_kcmp_key[type][1];
}

static long kcmp_ptr(const void *a, const void *b, int type)
{
	uint64_t x = kcmp_obfuscate(a, type), y = kcmp_obfuscate(b, type);

	return x == y ? 0 : x < y ? 1 : 2;
}

/* An open file of t's fd table, not referenced (the kernel lock keeps it). Linux takes
 * the index as an unsigned int. */
static struct file *kcmp_file(struct task *t, unsigned fd)
{
	struct file *f = t->files && fd <= INT32_MAX ? fdtable_get(t->files, (int)fd) : NULL;

	if (f)
		file_put(f); /* still in the table */
	return f;
}

static long kcmp_epoll(struct task *t, struct task *t1, struct task *t2, unsigned fd,
		       uaddr_t uslot)
{
	struct file *f = kcmp_file(t1, fd), *ep, *target;
	struct kcmp_epoll_slot slot;
	int err;

	if (!f)
		return -EBADF;
	if (copy_from_user(t, &slot, uslot, sizeof(slot)))
		return -EFAULT;
	ep = kcmp_file(t2, slot.efd);
	if (!ep)
		return -EBADF;
	target = eventpoll_target(ep, (int)slot.tfd, slot.toff, &err);
	return target ? kcmp_ptr(f, target, KCMP_FILE) : err;
}

long sys_kcmp(struct task *t, const struct sysargs *a)
{
	struct task *t1 = task_find(pid_from_vnr(t, arg_int(a, 0)));
	struct task *t2 = task_find(pid_from_vnr(t, arg_int(a, 1)));
	uint64_t idx1 = arg_u64(a, 3), idx2 = arg_u64(a, 4);
	int type = arg_int(a, 2);

	if (!t1 || !t2)
		return -ESRCH;
	if (!caps_ptrace_may_access(t, t1) || !caps_ptrace_may_access(t, t2))
		return -EPERM;
	switch (type) {
	case KCMP_FILE: {
		struct file *f1 = kcmp_file(t1, (unsigned)idx1);
		struct file *f2 = kcmp_file(t2, (unsigned)idx2);
		return f1 && f2 ? kcmp_ptr(f1, f2, type) : -EBADF;
	}
	case KCMP_VM: return kcmp_ptr(t1->mm, t2->mm, type);
	case KCMP_FILES: return kcmp_ptr(t1->files, t2->files, type);
	case KCMP_FS: return kcmp_ptr(t1->fs, t2->fs, type);
	case KCMP_SIGHAND: return kcmp_ptr(t1->tg->sighand, t2->tg->sighand, type);
	case KCMP_IO: return kcmp_ptr(t1->io, t2->io, type);
	case KCMP_SYSVSEM:
		/* Linux's undo list: none until a SEM_UNDO operation or a CLONE_SYSVSEM
		 * clone, then one per process (processes do not share one here). */
		return kcmp_ptr(t1->tg->sem_undo_list ? t1->tg : NULL,
				t2->tg->sem_undo_list ? t2->tg : NULL, type);
	case KCMP_EPOLL_TFD:
		return kcmp_epoll(t, t1, t2, (unsigned)idx1, uaddr(idx2));
	default:
		return -EINVAL;
	}
}
