/* limits.c: address-space accounting against RLIMIT_AS, RLIMIT_DATA and RLIMIT_MEMLOCK,
 * counted from the VMAs as Linux counts total_vm, data_vm and locked_vm. */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <linux/capability.h>
#include <sys/resource.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/task.h"

bool vma_is_data(const struct vma *v)
{
	return vma_is_private(v) && (v->prot & PROT_WRITE) && !(v->flags & MAP_GROWSDOWN);
}

void mm_count(struct mm *mm, uint64_t start, uint64_t end, struct mm_counts *c)
{
	struct list_head *pos;

	c->total = c->data = c->locked = 0;
	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		if (v->start >= end)
			break;
		if (v->end <= start)
			continue;
		uint64_t size = MIN(v->end, end) - MAX(v->start, start);
		c->total += size;
		if (vma_is_data(v))
			c->data += size;
		if (v->vflags & VMA_LOCKED)
			c->locked += size;
	}
}

int mm_may_expand(struct mm *mm, uint64_t start, uint64_t len, bool data)
{
	struct mm_counts all, gone;
	uint64_t as = mm_rlimit(mm, RLIMIT_AS), dl = mm_rlimit(mm, RLIMIT_DATA);

	if (as == RLIM_INFINITY && (!data || dl == RLIM_INFINITY))
		return 0;
	mm_count(mm, 0, MM_TASK_SIZE, &all);
	/* What a MAP_FIXED mapping replaces no longer counts. */
	mm_count(mm, start, start + len, &gone);
	if (all.total - gone.total + len > as)
		return -ENOMEM;
	if (data && all.data - gone.data + len > dl)
		return -ENOMEM;
	return 0;
}

bool mm_capable_ipc_lock(void)
{
	return !t_current || caps_capable(t_current, CAP_IPC_LOCK);
}

int mm_may_lock(struct mm *mm, uint64_t add, uint64_t already)
{
	uint64_t lim = mm_rlimit(mm, RLIMIT_MEMLOCK);
	struct mm_counts c;

	if (mm_capable_ipc_lock())
		return 0;
	if (lim == 0)
		return -EPERM;
	mm_count(mm, 0, MM_TASK_SIZE, &c);
	if (lim != RLIM_INFINITY && c.locked - already + add > lim)
		return -ENOMEM;
	return 0;
}
