/* sys_seccomp.c: seccomp(2) and the seccomp half of prctl: strict mode, filter mode (with
 * TSYNC, LOG, the no_new_privs rule), and the queries GET_ACTION_AVAIL and
 * GET_NOTIF_SIZES. The filters run in sentry/kernel/seccomp.c. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <linux/capability.h>
#include <linux/seccomp.h>

#include "lib/util.h"
#include "sentry/kernel/caps.h"
#include "sentry/kernel/seccomp.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

/* struct sock_fprog as x86-64 lays it out. */
struct user_fprog {
	uint16_t len;
	uint16_t pad[3];
	uint64_t filter;
};

long task_seccomp_strict(struct task *t)
{
	if (t->seccomp_mode == SECCOMP_MODE_FILTER)
		return -EINVAL;
	t->seccomp_mode = SECCOMP_MODE_STRICT;
	return 0;
}

long task_seccomp_filter(struct task *t, unsigned flags, uaddr_t uprog)
{
	const unsigned known = SECCOMP_FILTER_FLAG_TSYNC | SECCOMP_FILTER_FLAG_LOG |
			       SECCOMP_FILTER_FLAG_SPEC_ALLOW | SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
	struct user_fprog fp;
	struct sock_filter *prog;
	long ret;

	if (flags & SECCOMP_FILTER_FLAG_NEW_LISTENER)
		return -EINVAL; /* user notification: no listener fds in the Sentry yet */
	if (flags & ~known)
		return -EINVAL;
	if (copy_from_user(t, &fp, uprog, sizeof(fp)))
		return -EFAULT;
	/* Linux: without no_new_privs, only CAP_SYS_ADMIN may install a filter. */
	if (!t->no_new_privs && !caps_capable(t, CAP_SYS_ADMIN))
		return -EACCES;
	if (fp.len == 0 || fp.len > BPF_MAXINSNS)
		return -EINVAL;
	prog = xmalloc(fp.len * sizeof(*prog));
	if (copy_from_user(t, prog, uaddr(fp.filter), fp.len * sizeof(*prog))) {
		free(prog);
		return -EFAULT;
	}
	ret = task_seccomp_add(t, prog, fp.len, flags);
	free(prog);
	if (ret > 0 && (flags & SECCOMP_FILTER_FLAG_TSYNC_ESRCH))
		ret = -ESRCH;
	return ret;
}

static long get_action_avail(struct task *t, uaddr_t uaction)
{
	uint32_t action;

	if (copy_from_user(t, &action, uaction, sizeof(action)))
		return -EFAULT;
	switch (action) {
	case SECCOMP_RET_KILL_PROCESS: case SECCOMP_RET_KILL_THREAD: case SECCOMP_RET_TRAP:
	case SECCOMP_RET_ERRNO: case SECCOMP_RET_USER_NOTIF: case SECCOMP_RET_TRACE:
	case SECCOMP_RET_LOG: case SECCOMP_RET_ALLOW:
		return 0;
	}
	return -EOPNOTSUPP;
}

long sys_seccomp(struct task *t, const struct sysargs *a)
{
	unsigned op = arg_uint(a, 0), flags = arg_uint(a, 1);
	uaddr_t uargs = arg_uaddr(a, 2);

	switch (op) {
	case SECCOMP_SET_MODE_STRICT:
		if (flags || uargs.v)
			return -EINVAL;
		return task_seccomp_strict(t);
	case SECCOMP_SET_MODE_FILTER:
		return task_seccomp_filter(t, flags, uargs);
	case SECCOMP_GET_ACTION_AVAIL:
		return flags ? -EINVAL : get_action_avail(t, uargs);
	case SECCOMP_GET_NOTIF_SIZES: {
		struct seccomp_notif_sizes sz = {sizeof(struct seccomp_notif),
						 sizeof(struct seccomp_notif_resp),
						 sizeof(struct seccomp_data)};
		if (flags)
			return -EINVAL;
		return copy_to_user(t, uargs, &sz, sizeof(sz)) ? -EFAULT : 0;
	}
	}
	return -EINVAL;
}
