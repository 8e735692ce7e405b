/* sys_caps.c: capget and capset (versions 1, 2 and 3 of the header). */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

struct kcap_header {
	uint32_t version;
	int pid;
};

struct kcap_data {
	uint32_t effective, permitted, inheritable;
};

/* Check the header; on a bad version write the preferred one back and fail. Returns the
 * number of data words (1 or 2), or -errno. */
static int cap_header(struct task *t, uaddr_t uh, struct kcap_header *h)
{
	if (copy_from_user(t, h, uh, sizeof(*h)))
		return -EFAULT;
	switch (h->version) {
	case _LINUX_CAPABILITY_VERSION_1:
		return 1;
	case _LINUX_CAPABILITY_VERSION_2:
	case _LINUX_CAPABILITY_VERSION_3:
		return 2;
	default:
		h->version = _LINUX_CAPABILITY_VERSION_3;
		if (copy_to_user(t, uh, &h->version, sizeof(h->version)))
			return -EFAULT;
		return -EINVAL;
	}
}

long sys_capget(struct task *t, const struct sysargs *a)
{
	struct kcap_header h;
	struct kcap_data d[2];
	const struct creds *c;
	struct task *target;
	int n = cap_header(t, arg_uaddr(a, 0), &h);

	/* A NULL data pointer asks for the preferred version only. */
	if (uaddr_is_null(arg_uaddr(a, 1)))
		return n == -EINVAL ? 0 : (n < 0 ? n : 0);
	if (n < 0)
		return n;
	if (h.pid < 0)
		return -EINVAL;
	target = h.pid ? task_find(pid_from_vnr(t, h.pid)) : t;
	if (!target)
		return -ESRCH;
	c = &target->creds;
	for (int i = 0; i < 2; i++) {
		d[i].effective = (uint32_t)(c->cap_effective >> (32 * i));
		d[i].permitted = (uint32_t)(c->cap_permitted >> (32 * i));
		d[i].inheritable = (uint32_t)(c->cap_inheritable >> (32 * i));
	}
	return copy_to_user(t, arg_uaddr(a, 1), d, sizeof(d[0]) * (size_t)n);
}

long sys_capset(struct task *t, const struct sysargs *a)
{
	struct kcap_header h;
	struct kcap_data d[2];
	uint64_t eff = 0, prm = 0, inh = 0;
	int n = cap_header(t, arg_uaddr(a, 0), &h);

	if (n < 0)
		return n;
	/* Only the caller's own capabilities can be set. */
	if (h.pid != 0 && h.pid != task_vnr(t, t))
		return -EPERM;
	memset(d, 0, sizeof(d));
	if (copy_from_user(t, d, arg_uaddr(a, 1), sizeof(d[0]) * (size_t)n))
		return -EFAULT;
	for (int i = 0; i < n; i++) {
		eff |= (uint64_t)d[i].effective << (32 * i);
		prm |= (uint64_t)d[i].permitted << (32 * i);
		inh |= (uint64_t)d[i].inheritable << (32 * i);
	}
	/* Version 1 carries only the low 32 capabilities: the high ones stay as they are. */
	if (n == 1) {
		eff |= t->creds.cap_effective & ~0xffffffffULL;
		prm |= t->creds.cap_permitted & ~0xffffffffULL;
		inh |= t->creds.cap_inheritable & ~0xffffffffULL;
	}
	return caps_set(&t->creds, eff, prm, inh, caps_capable(t, CAP_SETPCAP));
}
