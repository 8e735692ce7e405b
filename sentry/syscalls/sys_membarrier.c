/* sys_membarrier.c: membarrier. Every application thread that is running app code when
 * the call starts is interrupted and the call waits until each has left app code (a trap
 * into the host kernel orders its memory accesses); threads inside the Sentry already
 * passed such a point. The sandbox is the whole "system" for MEMBARRIER_CMD_GLOBAL. */
#include <errno.h>
#include <linux/membarrier.h>
#include <unistd.h>

#include "lib/util.h"
#include "sentry/kernel/kernel_internal.h"
#include "sentry/kernel/task.h"
#include "sentry/syscalls/syscalls.h"

#define MB_SUPPORTED                                                              \
	(MEMBARRIER_CMD_GLOBAL | MEMBARRIER_CMD_GLOBAL_EXPEDITED |                \
	 MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED | MEMBARRIER_CMD_PRIVATE_EXPEDITED | \
	 MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)
#define MB_MAX_WAIT 4096

/* Tasks to wait for: their tid and the start of the app run they were in. */
struct mb_ctx {
	struct task *caller;
	bool private_only;
	int n;
	int tid[MB_MAX_WAIT];
	uint64_t since[MB_MAX_WAIT];
};

static void mb_visit(struct task *t, void *arg)
{
	struct mb_ctx *c = arg;

	if (t == c->caller || !t->in_app || (c->private_only && t->mm != c->caller->mm))
		return;
	if (c->n == MB_MAX_WAIT)
		return;
	c->tid[c->n] = t->tid;
	c->since[c->n++] = t->app_since_ns;
	task_kick(t);
}

/* Has every recorded task left the app run it was in (or gone)? */
static bool mb_all_passed(const struct mb_ctx *c)
{
	for (int i = 0; i < c->n; i++) {
		struct task *t = task_find(c->tid[i]);
		if (t && t->in_app && t->app_since_ns == c->since[i])
			return false;
	}
	return true;
}

static long mb_barrier(struct task *t, bool private_only)
{
	struct mb_ctx *c = xcalloc(1, sizeof(*c));

	c->caller = t;
	c->private_only = private_only;
	task_for_each(mb_visit, c);
	while (!mb_all_passed(c) && !t->exit_now) {
		kernel_unlock();
		usleep(20);
		kernel_lock();
	}
	free(c);
	return 0;
}

long sys_membarrier(struct task *t, const struct sysargs *a)
{
	int cmd = arg_int(a, 0);

	if (arg_uint(a, 1))
		return -EINVAL;
	switch (cmd) {
	case MEMBARRIER_CMD_QUERY:
		return MB_SUPPORTED;
	case MEMBARRIER_CMD_GLOBAL:
	case MEMBARRIER_CMD_GLOBAL_EXPEDITED:
		return mb_barrier(t, false);
	case MEMBARRIER_CMD_REGISTER_GLOBAL_EXPEDITED:
		return 0;
	case MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED:
		t->tg->membarrier_private = true;
		return 0;
	case MEMBARRIER_CMD_PRIVATE_EXPEDITED:
		if (!t->tg->membarrier_private)
			return -EPERM;
		return mb_barrier(t, true);
	default:
		return -EINVAL;
	}
}
