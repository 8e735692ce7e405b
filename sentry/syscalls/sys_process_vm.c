/* sys_process_vm.c: process_vm_readv / process_vm_writev between processes of the
 * sandbox: iovec lists on both sides, partial transfers as Linux reports them, and the
 * ptrace access check (same real/effective ids as the target, or CAP_SYS_PTRACE);
 * process_madvise and process_mrelease on a process named by a pidfd. */
#include <errno.h>
#include <linux/capability.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "lib/util.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/pidfd.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

#define VM_IOV_MAX 1024
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif
#define VM_CHUNK 4096 /* a page */

static int copy_iovs(struct task *t, uaddr_t u, unsigned long n, struct iovec **out)
{
	if (n > VM_IOV_MAX)
		return -EINVAL;
	*out = xcalloc(n ? n : 1, sizeof(**out));
	if (n && copy_from_user(t, *out, u, n * sizeof(**out))) {
		free(*out);
		return -EFAULT;
	}
	for (unsigned long i = 0; i < n; i++)
		if ((ssize_t)(*out)[i].iov_len < 0) {
			free(*out);
			return -EINVAL;
		}
	return 0;
}

/* Move bytes between the caller's local iovecs and the target's remote ones, a page piece
 * at a time. Returns the bytes moved; a fault on either side ends the transfer at that
 * page (EFAULT only when nothing moved), as Linux does. */
static long transfer(struct task *t, struct mm *rmm, const struct iovec *lv, unsigned long ln,
		     const struct iovec *rv, unsigned long rn, bool write)
{
	uint8_t buf[VM_CHUNK];
	unsigned long li = 0, ri = 0;
	size_t loff = 0, roff = 0;
	long done = 0;

	while (li < ln && ri < rn) {
		uint64_t la = (uint64_t)(uintptr_t)lv[li].iov_base + loff;
		uint64_t ra = (uint64_t)(uintptr_t)rv[ri].iov_base + roff;
		/* Within one page on both sides: a fault loses no byte before it. */
		size_t n = MIN(MIN(lv[li].iov_len - loff, rv[ri].iov_len - roff),
			       MIN(VM_CHUNK - la % VM_CHUNK, VM_CHUNK - ra % VM_CHUNK));
		int err;

		if (n) {
			if (write) {
				err = copy_from_user(t, buf, uaddr(la), n);
				if (!err)
					err = mm_copy_out(rmm, ra, buf, n);
			} else {
				err = mm_copy_in(rmm, buf, ra, n);
				if (!err)
					err = copy_to_user(t, uaddr(la), buf, n);
			}
			if (err)
				return done ? done : -EFAULT;
			done += (long)n;
		}
		loff += n;
		roff += n;
		if (loff == lv[li].iov_len) {
			li++;
			loff = 0;
		}
		if (roff == rv[ri].iov_len) {
			ri++;
			roff = 0;
		}
	}
	return done;
}

static long process_vm(struct task *t, const struct sysargs *a, bool write)
{
	int pid = arg_int(a, 0);
	unsigned long ln = arg_u64(a, 2), rn = arg_u64(a, 4);
	struct iovec *lv = NULL, *rv = NULL;
	struct thread_group *tg;
	struct task *target;
	long r;

	if (arg_u64(a, 5) != 0)
		return -EINVAL;
	r = copy_iovs(t, arg_uaddr(a, 1), ln, &lv);
	if (r)
		return r;
	r = copy_iovs(t, arg_uaddr(a, 3), rn, &rv);
	if (r) {
		free(lv);
		return r;
	}
	tg = pid > 0 ? tg_find(pid_from_vnr(t, pid)) : NULL;
	target = tg ? task_find(tg->tgid) : NULL;
	if (!target || !target->mm)
		r = -ESRCH;
	else if (!caps_ptrace_may_access(t, target))
		r = -EPERM;
	else
		r = transfer(t, target->mm, lv, ln, rv, rn, write);
	free(lv);
	free(rv);
	return r;
}

long sys_process_vm_readv(struct task *t, const struct sysargs *a)
{
	return process_vm(t, a, false);
}

long sys_process_vm_writev(struct task *t, const struct sysargs *a)
{
	return process_vm(t, a, true);
}

/* Advice another process may be given: hints that destroy no data (Linux:
 * process_madvise_remote_valid). The caller's own process takes any madvise advice. */
static bool remote_advice(int advice)
{
	return advice == MADV_COLD || advice == MADV_PAGEOUT || advice == MADV_WILLNEED ||
	       advice == MADV_COLLAPSE;
}

/* madvise over each range in turn; the bytes advised before a range fails, or its error
 * when none was (Linux: vector_madvise). */
static long advise_ranges(struct mm *mm, const struct iovec *v, unsigned long n, int advice)
{
	long done = 0;

	for (unsigned long i = 0; i < n; i++) {
		int err = mm_madvise(mm, (uint64_t)(uintptr_t)v[i].iov_base, v[i].iov_len, advice);
		if (err)
			return done ? done : err;
		done += (long)v[i].iov_len;
	}
	return done;
}

/* process_madvise(pidfd, iovec, vlen, advice, flags): for another process, only
 * non-destructive advice, with PTRACE_MODE_READ_FSCREDS access (EACCES) and
 * CAP_SYS_NICE (EPERM). */
long sys_process_madvise(struct task *t, const struct sysargs *a)
{
	unsigned long n = arg_u64(a, 2);
	int advice = arg_int(a, 3);
	struct iovec *v = NULL;
	struct task *target;
	long r;

	if (arg_uint(a, 4))
		return -EINVAL;
	r = copy_iovs(t, arg_uaddr(a, 1), n, &v);
	if (r)
		return r;
	r = pidfd_mm_task(t, arg_int(a, 0), &target);
	if (!r && target->mm != t->mm) {
		if (!caps_ptrace_may_access_fs(t, target))
			r = -EACCES;
		else if (!remote_advice(advice))
			r = -EINVAL;
		else if (!caps_capable(t, CAP_SYS_NICE))
			r = -EPERM;
	}
	if (!r)
		r = advise_ranges(target->mm, v, n, advice);
	free(v);
	return r;
}

/* process_mrelease(pidfd, flags): 0 for a process that is exiting (exit_group or a fatal
 * signal) while it still has its memory, EINVAL for one that is not. The memory goes as
 * the process's threads exit, not ahead of them as Linux's reaper takes it. */
long sys_process_mrelease(struct task *t, const struct sysargs *a)
{
	struct task *target;
	int r;

	if (arg_uint(a, 1))
		return -EINVAL;
	r = pidfd_mm_task(t, arg_int(a, 0), &target);
	if (r)
		return r;
	return target->tg->exiting ? 0 : -EINVAL;
}
