/* sys_mempolicy.c: the NUMA calls (set_mempolicy, get_mempolicy, mbind,
 * set_mempolicy_home_node, migrate_pages, move_pages) as Linux answers them on a machine
 * with one memory node, node 0: the same checks of modes, flags and node masks, policies
 * recorded per task and per VMA and reported back, every page on node 0, nothing moved.
 * Masks are read as Linux reads them (maxnode counts one more bit than it reads) with
 * MAX_NUMNODES 1024, the value of Debian's kernels. */
#include <errno.h>
#include <linux/capability.h>

#include "sentry/kernel/caps.h"
#include "sentry/kernel/pidns.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"

enum { MPOL_DEFAULT, MPOL_PREFERRED, MPOL_BIND, MPOL_INTERLEAVE, MPOL_LOCAL,
       MPOL_PREFERRED_MANY, MPOL_WEIGHTED_INTERLEAVE, MPOL_MAX };
#define MPOL_F_STATIC_NODES (1U << 15)
#define MPOL_F_RELATIVE_NODES (1U << 14)
#define MPOL_F_NUMA_BALANCING (1U << 13)
#define MPOL_MODE_FLAGS (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES | MPOL_F_NUMA_BALANCING)
#define MPOL_F_NODE 1U		/* get_mempolicy flags */
#define MPOL_F_ADDR 2U
#define MPOL_F_MEMS_ALLOWED 4U
#define MPOL_MF_STRICT 1U	/* mbind / move_pages flags */
#define MPOL_MF_MOVE 2U
#define MPOL_MF_MOVE_ALL 4U
#define MAX_NUMNODES 1024
#define NODE0 1ULL

/* A node mask from the application: nodes 0..63, and whether any of 64..1023 is set. */
struct nodes {
	uint64_t low;
	bool high;
};

static bool nodes_empty(const struct nodes *n)
{
	return !n->low && !n->high;
}

/* Linux's get_nodes: maxnode - 1 bits from u; bits past MAX_NUMNODES must be clear. */
static int nodes_read(struct task *t, uaddr_t u, uint64_t maxnode, struct nodes *n)
{
	uint64_t bits = maxnode - 1, w;

	n->low = 0;
	n->high = false;
	if (bits == 0 || uaddr_is_null(u))
		return 0;
	if (bits > PAGE_SIZE * 8)
		return -EINVAL;
	for (uint64_t i = 0; i * 64 < bits; i++) {
		if (copy_from_user(t, &w, uaddr_add(u, i * 8), sizeof(w)))
			return -EFAULT;
		if (bits - i * 64 < 64)
			w &= (1ULL << (bits - i * 64)) - 1;
		if (i == 0)
			n->low = w;
		else if (i * 64 < MAX_NUMNODES)
			n->high |= w != 0;
		else if (w)
			return -EINVAL;
	}
	return 0;
}

/* Split mode into mode and MPOL_F_* flags (Linux's sanitize_mpol_flags). */
static int mode_split(int *mode, unsigned *flags)
{
	*flags = (unsigned)*mode & MPOL_MODE_FLAGS;
	*mode &= ~(int)MPOL_MODE_FLAGS;
	if ((unsigned)*mode >= MPOL_MAX)
		return -EINVAL;
	if ((*flags & MPOL_F_STATIC_NODES) && (*flags & MPOL_F_RELATIVE_NODES))
		return -EINVAL;
	if ((*flags & MPOL_F_NUMA_BALANCING) && *mode != MPOL_BIND &&
	    *mode != MPOL_PREFERRED_MANY)
		return -EINVAL;
	return 0;
}

/* Linux's mpol_new and mpol_set_nodemask with node 0 the only node. */
static int policy_make(int mode, unsigned flags, const struct nodes *n, struct mempolicy *p)
{
	bool user_mask = flags & (MPOL_F_STATIC_NODES | MPOL_F_RELATIVE_NODES);

	*p = (struct mempolicy){0};
	if (mode == MPOL_DEFAULT)
		return nodes_empty(n) ? 0 : -EINVAL;
	if (mode == MPOL_PREFERRED && nodes_empty(n)) {
		if (user_mask)
			return -EINVAL;
		mode = MPOL_LOCAL; /* "preferred, no node" is local allocation */
	} else if (mode == MPOL_LOCAL) {
		if (!nodes_empty(n) || user_mask)
			return -EINVAL;
	} else if (nodes_empty(n)) {
		return -EINVAL;
	}
	p->mode = (uint16_t)mode;
	p->flags = (uint16_t)flags;
	if (mode == MPOL_LOCAL)
		return 0;
	/* Relative masks fold onto the nodes there are; others must name node 0. */
	if (!(flags & MPOL_F_RELATIVE_NODES) && !(n->low & NODE0))
		return -EINVAL;
	p->nodes = user_mask ? n->low : NODE0;
	return 0;
}

long sys_set_mempolicy(struct task *t, const struct sysargs *a)
{
	int mode = arg_int(a, 0), err;
	struct mempolicy p;
	struct nodes n;
	unsigned flags;

	err = mode_split(&mode, &flags);
	if (!err)
		err = nodes_read(t, arg_uaddr(a, 1), arg_u64(a, 2), &n);
	if (!err)
		err = policy_make(mode, flags, &n, &p);
	if (!err)
		t->mempolicy = p;
	return err;
}

/* Linux's copy_nodes_to_user: maxnode - 1 bits, rounded up to longs; past the first long
 * zeroes (at most a page). */
static int nodes_write(struct task *t, uaddr_t u, uint64_t maxnode, uint64_t nodes)
{
	uint64_t size = ((maxnode - 1 + 63) & ~63ULL) / 8;

	if (size > sizeof(nodes)) {
		if (size > PAGE_SIZE)
			return -EINVAL;
		if (clear_user(t, uaddr_add(u, sizeof(nodes)), size - sizeof(nodes)))
			return -EFAULT;
		size = sizeof(nodes);
	}
	return copy_to_user(t, u, &nodes, size) ? -EFAULT : 0;
}

/* get_mempolicy's policy value and policy (Linux's do_get_mempolicy). */
static int policy_query(struct task *t, uint64_t addr, unsigned flags, int *val,
			struct mempolicy *p)
{
	bool own = true;
	int err;

	if (flags & ~(MPOL_F_NODE | MPOL_F_ADDR | MPOL_F_MEMS_ALLOWED))
		return -EINVAL;
	if (flags & MPOL_F_MEMS_ALLOWED) {
		if (flags & (MPOL_F_NODE | MPOL_F_ADDR))
			return -EINVAL;
		*val = 0;
		*p = (struct mempolicy){.nodes = NODE0};
		return 0;
	}
	*p = t->mempolicy;
	if (flags & MPOL_F_ADDR) {
		err = mm_vma_policy(t->mm, addr, p); /* no fallback to the task's */
		if (err)
			return err;
		own = false;
	} else if (addr) {
		return -EINVAL;
	}
	if (!(flags & MPOL_F_NODE)) {
		*val = p->mode | p->flags;
		return 0;
	}
	if (flags & MPOL_F_ADDR) {
		*val = mm_addr_node(t->mm, addr);
		return *val < 0 ? *val : 0;
	}
	/* The node the next interleaved allocation takes: node 0. */
	*val = 0;
	return own && (p->mode == MPOL_INTERLEAVE || p->mode == MPOL_WEIGHTED_INTERLEAVE)
		       ? 0 : -EINVAL;
}

long sys_get_mempolicy(struct task *t, const struct sysargs *a)
{
	uaddr_t upol = arg_uaddr(a, 0), umask = arg_uaddr(a, 1);
	uint64_t maxnode = arg_u64(a, 2);
	struct mempolicy p;
	int val, err;

	if (!uaddr_is_null(umask) && maxnode < 1) /* fewer bits than nodes */
		return -EINVAL;
	err = policy_query(t, arg_u64(a, 3), arg_uint(a, 4), &val, &p);
	if (err)
		return err;
	if (!uaddr_is_null(upol) && copy_to_user(t, upol, &val, sizeof(val)))
		return -EFAULT;
	return uaddr_is_null(umask) ? 0 : nodes_write(t, umask, maxnode, p.nodes);
}

/* [start, start + len rounded up to pages): -EINVAL if start is unaligned or it wraps. */
static int range_get(uint64_t start, uint64_t len, uint64_t *end)
{
	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	*end = start + ((len + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1));
	return *end < start ? -EINVAL : 0;
}

long sys_mbind(struct task *t, const struct sysargs *a)
{
	uint64_t start = arg_u64(a, 0), end;
	int mode = arg_int(a, 2), err;
	unsigned flags = arg_uint(a, 5), mflags;
	struct mempolicy p;
	struct nodes n;

	err = mode_split(&mode, &mflags);
	if (!err)
		err = nodes_read(t, arg_uaddr(a, 3), arg_u64(a, 4), &n);
	if (err)
		return err;
	if (flags & ~(MPOL_MF_STRICT | MPOL_MF_MOVE | MPOL_MF_MOVE_ALL))
		return -EINVAL;
	if ((flags & MPOL_MF_MOVE_ALL) && !caps_capable(t, CAP_SYS_NICE))
		return -EPERM;
	err = range_get(start, arg_u64(a, 1), &end);
	if (err || end == start)
		return err;
	err = policy_make(mode, mflags, &n, &p);
	if (err)
		return err;
	/* STRICT: present pages off the caller's mask (node 0 not in it) stay where they
	 * are, unless MOVE moves them (to node 0, where they already are). */
	return mm_mbind(t->mm, start, end, &p, mode == MPOL_DEFAULT,
			mode != MPOL_DEFAULT && (flags & MPOL_MF_STRICT) &&
				!(flags & (MPOL_MF_MOVE | MPOL_MF_MOVE_ALL)) && !(n.low & NODE0));
}

long sys_set_mempolicy_home_node(struct task *t, const struct sysargs *a)
{
	uint64_t start = arg_u64(a, 0), end;
	int err;

	if (start & (PAGE_SIZE - 1))
		return -EINVAL;
	if (arg_u64(a, 3) || arg_u64(a, 2) != 0) /* flags; the only online node is 0 */
		return -EINVAL;
	err = range_get(start, arg_u64(a, 1), &end);
	if (err || end == start)
		return err;
	return mm_set_home_node(t->mm, start, end, 0);
}

/* The task a migrate_pages/move_pages pid names, if the caller may read its memory. */
static struct task *mem_target(struct task *t, int pid, long *err)
{
	struct task *target = pid ? task_find(pid_from_vnr(t, pid)) : t;

	*err = -ESRCH;
	if (!target)
		return NULL;
	*err = -EPERM;
	if (!caps_ptrace_may_access(t, target))
		return NULL;
	*err = -EINVAL;
	return target->mm ? target : NULL;
}

long sys_migrate_pages(struct task *t, const struct sysargs *a)
{
	uint64_t maxnode = arg_u64(a, 1);
	struct nodes from, to;
	long err;

	err = nodes_read(t, arg_uaddr(a, 2), maxnode, &from);
	if (!err)
		err = nodes_read(t, arg_uaddr(a, 3), maxnode, &to);
	if (err)
		return err;
	if (!mem_target(t, arg_int(a, 0), &err))
		return err;
	if (((to.low & ~NODE0) || to.high) && !caps_capable(t, CAP_SYS_NICE))
		return -EPERM;
	/* Every page is on node 0 already: none is left unmoved. */
	return (to.low & NODE0) ? 0 : -EINVAL;
}

/* move_pages: each page's node (nodes NULL) or its move to nodes[i] (only 0 exists). */
long sys_move_pages(struct task *t, const struct sysargs *a)
{
	uint64_t count = arg_u64(a, 1);
	uaddr_t upages = arg_uaddr(a, 2), unodes = arg_uaddr(a, 3), ustat = arg_uaddr(a, 4);
	unsigned flags = arg_uint(a, 5);
	struct task *target;
	long err;

	if (flags & ~(MPOL_MF_MOVE | MPOL_MF_MOVE_ALL))
		return -EINVAL;
	if ((flags & MPOL_MF_MOVE_ALL) && !caps_capable(t, CAP_SYS_NICE))
		return -EPERM;
	target = mem_target(t, arg_int(a, 0), &err);
	if (!target)
		return err;
	for (uint64_t i = 0; i < count; i++) {
		uint64_t addr;
		int node = 0, status;

		if (copy_from_user(t, &addr, uaddr_add(upages, i * 8), sizeof(addr)))
			return -EFAULT;
		if (!uaddr_is_null(unodes)) {
			if (copy_from_user(t, &node, uaddr_add(unodes, i * 4), sizeof(node)))
				return -EFAULT;
			if (node != 0) /* negative, past MAX_NUMNODES, or without memory */
				return -ENODEV;
		}
		status = mm_page_node(target->mm, addr);
		if (copy_to_user(t, uaddr_add(ustat, i * 4), &status, sizeof(status)))
			return -EFAULT;
	}
	return 0;
}
