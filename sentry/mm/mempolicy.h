/* mempolicy.h: NUMA memory policies (man 2 set_mempolicy, mbind) as a one-node machine
 * keeps them: node 0 holds every page, so a policy changes no placement; the Sentry
 * records what a task or a range of its address space was given, to report it back. */
#ifndef RUNSC_SENTRY_MM_MEMPOLICY_H
#define RUNSC_SENTRY_MM_MEMPOLICY_H

#include <stdbool.h>
#include <stdint.h>

struct mm;

/* A policy by value (a zeroed one is MPOL_DEFAULT): in struct task and struct vma. */
struct mempolicy {
	uint16_t mode;	/* MPOL_*; MPOL_PREFERRED with no node is kept as MPOL_LOCAL */
	uint16_t flags;	/* MPOL_F_STATIC_NODES, _RELATIVE_NODES, _NUMA_BALANCING */
	int32_t home;	/* set_mempolicy_home_node's node + 1; 0 = none */
	uint64_t nodes;	/* what get_mempolicy reports (nodes 0..63): the caller's mask
			 * with STATIC/RELATIVE_NODES, else the nodes in use ({0}) */
};

static inline bool mempolicy_equal(const struct mempolicy *a, const struct mempolicy *b)
{
	return a->mode == b->mode && a->flags == b->flags && a->home == b->home &&
	       a->nodes == b->nodes;
}

/* Give [start, end) policy p (mbind), splitting and merging VMAs. Unless discontig_ok, a
 * hole in the range is -EFAULT; a range with no VMA always is. strict: pages already
 * present are off the caller's nodes, so -EIO if any is (MPOL_MF_STRICT). Nothing changes
 * on an error. Kernel lock held. */
int mm_mbind(struct mm *mm, uint64_t start, uint64_t end, const struct mempolicy *p,
	     bool discontig_ok, bool strict);
/* The policy of the VMA at addr into *out: 0, or -EFAULT with no VMA there. */
int mm_vma_policy(struct mm *mm, uint64_t addr, struct mempolicy *out);
/* The node of the page at addr (get_mempolicy MPOL_F_NODE|MPOL_F_ADDR): 0, or -EFAULT
 * when it is unmapped or not readable. */
int mm_addr_node(struct mm *mm, uint64_t addr);
/* set_mempolicy_home_node on the VMAs of [start, end) that have a policy: -ENOENT if none
 * has, -EOPNOTSUPP at one whose mode is not BIND or PREFERRED_MANY (earlier ones keep
 * the change). */
int mm_set_home_node(struct mm *mm, uint64_t start, uint64_t end, int node);
/* move_pages' status of the page at addr: 0 (node 0) when present, -ENOENT when not,
 * -EFAULT with no VMA. */
int mm_page_node(struct mm *mm, uint64_t addr);

#endif
