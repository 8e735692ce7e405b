/* kvm_pt.c: one 4-level page table per application address space, kept in a page pool
 * that is guest-physical memory, with copy-on-write paths so that a shadow MMU never
 * serves a stale entry.
 *
 * Why copy-on-write: under shadow paging (PVM, or KVM without EPT/NPT) the host MMU caches
 * the guest's tables and only notices guest writes to them. Our writes come from the host,
 * so a table a vCPU has loaded must never change in a way that removes or narrows an
 * entry. Filling a not-present entry is safe (a miss re-walks the guest tables). Anything
 * else copies the path from the root down into pages no vCPU has loaded, and the new root
 * is loaded with a CR3 write, which also flushes the TLB on hardware KVM. Replaced pages
 * are dead until a slot flip (re-registering the pool's memory slot) drops every shadow
 * page; only then are they reused. A flip runs once KVM_PT_DEAD_FLIP pages are dead (or
 * the pool is used up), so the pool's host memory stays about the size of the live
 * tables; it closes the run gate first (kvm_vcpu.c): while the slot is gone a running
 * vCPU would walk tables that are not guest memory and shut down.
 *
 * On PVM the slot covers only the pool's first KVM_PT_SLOT0 bytes at first, and a flip
 * doubles it when its pages are all in use: a shadow MMU allocates and zeroes metadata for
 * every page of a slot when it is registered (and frees it at teardown), 1-5 ms for the
 * whole 1 GiB on this PVM host, on the path of every sandbox start; a small program needs
 * a few dozen table pages. Hardware KVM (EPT/NPT) keeps no such metadata: the whole pool
 * is registered at once there. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "lib/util.h"

#define PTE_P 0x1ULL
#define PTE_W 0x2ULL
#define PTE_U 0x4ULL
#define PTE_A 0x20ULL
#define PTE_D 0x40ULL
#define PTE_PS 0x80ULL /* a 2 MiB page in a PD entry (kernel table only) */
#define PTE_SW_NONE 0x200ULL /* software bit: a PROT_NONE page (P clear) */
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL
#define PT_PAGES (KVM_PT_SIZE / KVM_PG)
#define R0_PTS (unsigned)(KVM_R0_SIZE >> 21) /* page tables mapping the ring-0 area */
#define KVM_PT_DEAD_FLIP 2048u /* dead pages (8 MiB) that trigger a flip */

uint32_t kvm_pt_pool_pages;

static inline uint64_t *pg_ptr(struct kvm_platform *p, uint32_t n)
{
	return (uint64_t *)(p->pt + (uint64_t)n * KVM_PG);
}

static inline uint64_t pg_pa(uint32_t n)
{
	return KVM_PT_GPA + (uint64_t)n * KVM_PG;
}

static inline uint32_t pa_pg(uint64_t pa)
{
	return (uint32_t)(((pa & PTE_ADDR) - KVM_PT_GPA) / KVM_PG);
}

/* Drop every shadow page by re-registering the pool slot with `pages` pages (growing it
 * when more; the old size stays if KVM refuses the new one), then recycle dead pages.
 * Caller holds p->lock. */
static int pt_flip(struct kvm_platform *p, uint32_t pages)
{
	uint64_t old = (uint64_t)p->pt_slot * KVM_PG;
	int ret;

	kvm_gate_close(p);
	ret = kvm_set_slot(p, KVM_SLOT_PT, KVM_PT_GPA, 0, p->pt);
	if (!ret && pages != p->pt_slot &&
	    kvm_set_slot(p, KVM_SLOT_PT, KVM_PT_GPA, (uint64_t)pages * KVM_PG, p->pt) == 0)
		p->pt_slot = pages;
	else if (!ret)
		ret = kvm_set_slot(p, KVM_SLOT_PT, KVM_PT_GPA, old, p->pt);
	if (!ret)
		atomic_fetch_add(&p->flips, 1); /* a root may come back: force CR3 loads */
	if (!ret && (p->mem_slots[0] | p->mem_slots[1]))
		kvm_mmu_budget(p); /* a set budget stays: follow the pool's new size */
	kvm_gate_open(p);
	if (ret) {
		log_err("kvm: page-table slot flip failed: %d", ret);
		return ret;
	}
	memcpy(p->pt_free + p->pt_nfree, p->pt_dead, p->pt_ndead * sizeof(uint32_t));
	p->pt_nfree += p->pt_ndead;
	p->pt_ndead = 0;
	return 0;
}

/* A zeroed, fresh page recorded in as's fresh list; 0 on exhaustion (page 0 is never
 * handed out: it is the shared kernel PDPT). */
static uint32_t pt_alloc(struct kvm_as *as)
{
	struct kvm_platform *p = as->p;
	uint32_t n = 0;

	if (as->nfresh == as->cap_fresh) {
		uint32_t cap = as->cap_fresh ? as->cap_fresh * 2 : 64;
		uint32_t *f = realloc(as->fresh, cap * sizeof(*f));

		if (!f)
			return 0;
		as->fresh = f;
		as->cap_fresh = cap;
	}
	pthread_mutex_lock(&p->lock);
	if (p->pt_ndead >= KVM_PT_DEAD_FLIP)
		pt_flip(p, p->pt_slot);
	else if (!p->pt_nfree && p->pt_next >= p->pt_slot &&
		 (p->pt_ndead || p->pt_slot < p->pt_limit)) /* full: grow, recycle or both */
		pt_flip(p, p->pt_slot < p->pt_limit / 2 ? p->pt_slot * 2 : p->pt_limit);
	if (p->pt_nfree)
		n = p->pt_free[--p->pt_nfree];
	else if (p->pt_next < p->pt_slot)
		n = p->pt_next++;
	pthread_mutex_unlock(&p->lock);
	if (!n)
		return 0;
	memset(pg_ptr(p, n), 0, KVM_PG);
	p->pt_fresh[n] = 1;
	as->fresh[as->nfresh++] = n;
	return n;
}

static void pt_free(struct kvm_platform *p, uint32_t n)
{
	pthread_mutex_lock(&p->lock);
	if (p->pt_fresh[n])
		p->pt_free[p->pt_nfree++] = n;
	else
		p->pt_dead[p->pt_ndead++] = n;
	p->pt_fresh[n] = 0;
	pthread_mutex_unlock(&p->lock);
}

/* A fresh copy of page n, which becomes dead. */
static uint32_t pt_copy(struct kvm_as *as, uint32_t n)
{
	uint32_t c = pt_alloc(as);

	if (!c)
		return 0;
	memcpy(pg_ptr(as->p, c), pg_ptr(as->p, n), KVM_PG);
	pt_free(as->p, n);
	return c;
}

/* The leaf entry for va, or NULL (no table and !alloc, or out of pool: *err). With cow,
 * every table on the path is made fresh first, so the entry may change freely. */
static uint64_t *pt_walk_lv(struct kvm_as *as, uint64_t va, int leaf, bool alloc, bool cow,
			    int *err)
{
	struct kvm_platform *p = as->p;
	uint32_t n = pa_pg(as->root);

	*err = 0;
	if (cow && !p->pt_fresh[n]) {
		if (!(n = pt_copy(as, n)))
			goto nomem;
		as->root = pg_pa(n);
		atomic_fetch_add(&as->gen, 1);
	}
	for (int level = 3; level > leaf; level--) {
		uint64_t *t = pg_ptr(p, n);
		unsigned idx = (va >> (12 + 9 * level)) & 511;
		uint64_t e = t[idx];
		uint32_t c;

		if ((e & PTE_PS) && level == 1) { /* a 2 MiB page holds va already */
			*err = -EEXIST;
			return NULL;
		}
		if (!(e & PTE_P)) {
			if (!alloc)
				return NULL;
			if (!(c = pt_alloc(as)))
				goto nomem;
			t[idx] = pg_pa(c) | PTE_P | PTE_W | PTE_U | PTE_A;
			/* Linked into a loaded table: a running vCPU may walk it now. */
			if (!p->pt_fresh[n])
				p->pt_fresh[c] = 0;
		} else {
			c = pa_pg(e);
			if (cow && !p->pt_fresh[c]) {
				if (!(c = pt_copy(as, c)))
					goto nomem;
				t[idx] = pg_pa(c) | (e & ~PTE_ADDR);
			}
		}
		n = c;
	}
	return &pg_ptr(p, n)[(va >> (12 + 9 * leaf)) & 511];
nomem:
	*err = -ENOMEM;
	return NULL;
}

static uint64_t *pt_walk(struct kvm_as *as, uint64_t va, bool alloc, bool cow, int *err)
{
	return pt_walk_lv(as, va, 0, alloc, cow, err);
}

static uint64_t pte_flags(struct kvm_platform *p, int prot)
{
	uint64_t f = PTE_P | PTE_U | PTE_A;

	if (prot == PROT_NONE)
		return PTE_SW_NONE;
	if (prot & PROT_WRITE)
		f |= PTE_W | PTE_D;
	if (!(prot & PROT_EXEC) && p->nx)
		f |= PTE_NX;
	return f;
}

/* Store val in the entry for va: in place when the entry is not present (and was no
 * PROT_NONE placeholder), else through a fresh path. */
static int pt_set(struct kvm_as *as, uint64_t va, uint64_t val)
{
	int err;
	uint64_t *e = pt_walk(as, va, val != 0, false, &err);

	if (!e)
		return err;
	if (*e == val)
		return 0;
	if (*e & (PTE_P | PTE_SW_NONE)) {
		e = pt_walk(as, va, true, true, &err);
		if (!e)
			return err;
	}
	*e = val;
	return 0;
}

int kvm_as_map(struct plat_as *a, uint64_t addr, uint64_t size, uint64_t off, int prot)
{
	struct kvm_as *as = (struct kvm_as *)a;
	uint64_t f = pte_flags(as->p, prot);
	uint64_t old_gen;
	int ret;

	if (addr + size > PLAT_APP_MAX_ADDR || addr + size < addr || off + size > as->p->mem_size)
		return -EINVAL;
	ret = kvm_mem_ensure(as->p, off, size);
	if (ret)
		return ret;
	pthread_mutex_lock(&as->lock);
	old_gen = atomic_load(&as->gen);
	for (uint64_t i = 0; i < size && !ret; i += KVM_PG)
		ret = pt_set(as, addr + i, (KVM_MEM_GPA + off + i) | f);
	pthread_mutex_unlock(&as->lock);
	if (atomic_load(&as->gen) != old_gen)
		kvm_kick_as(as->p, as);
	return ret;
}

/* Unmap, or re-protect, every entry that exists in [addr, addr+size). */
static int pt_change(struct kvm_as *as, uint64_t addr, uint64_t size, int prot, bool unmap)
{
	uint64_t f = pte_flags(as->p, prot), old_gen;
	int ret = 0, err;

	if (addr + size > PLAT_APP_MAX_ADDR || addr + size < addr)
		return -EINVAL;
	pthread_mutex_lock(&as->lock);
	old_gen = atomic_load(&as->gen);
	for (uint64_t va = addr; va < addr + size && !ret;) {
		uint64_t *e = pt_walk(as, va, false, false, &err);

		if (!e) { /* no leaf table: skip to the next 2 MiB */
			va = (va | 0x1fffffULL) + 1;
			continue;
		}
		if (*e & (PTE_P | PTE_SW_NONE))
			ret = pt_set(as, va, unmap ? 0 : (*e & PTE_ADDR) | f);
		va += KVM_PG;
	}
	pthread_mutex_unlock(&as->lock);
	if (atomic_load(&as->gen) != old_gen)
		kvm_kick_as(as->p, as);
	return ret;
}

int kvm_as_unmap(struct plat_as *a, uint64_t addr, uint64_t size)
{
	return pt_change((struct kvm_as *)a, addr, size, 0, true);
}

int kvm_as_protect(struct plat_as *a, uint64_t addr, uint64_t size, int prot)
{
	return pt_change((struct kvm_as *)a, addr, size, prot, false);
}

int kvm_as_map_kernel(struct kvm_as *as, uint64_t va, uint64_t len, uint64_t gpa,
		      uint64_t flags)
{
	int err = 0;

	pthread_mutex_lock(&as->lock);
	for (uint64_t i = 0, step; i < len && !err; i += step) {
		bool big = !((va + i) & (KVM_BIG_PG - 1)) && !((gpa + i) & (KVM_BIG_PG - 1)) &&
			   len - i >= KVM_BIG_PG;
		uint64_t *e = pt_walk_lv(as, va + i, big ? 1 : 0, true, false, &err);

		if (big && e && (*e & (PTE_P | PTE_PS)) == PTE_P) { /* a table: 4 KiB pages */
			big = false;
			e = pt_walk_lv(as, va + i, 0, true, false, &err);
		}
		step = big ? KVM_BIG_PG : KVM_PG;
		if (e && !(*e & PTE_P))
			*e = (gpa + i) | flags | (big ? PTE_PS : 0);
		if (err == -EEXIST) /* inside a 2 MiB page: mapped already */
			err = 0;
	}
	pthread_mutex_unlock(&as->lock);
	return err;
}

int kvm_as_map_r0_page(struct kvm_as *as, uint64_t va, unsigned pg)
{
	int err;
	uint64_t *e;

	pthread_mutex_lock(&as->lock);
	e = pt_walk(as, va, true, false, &err);
	if (e)
		*e = (KVM_R0_GPA + pg * KVM_PG) | PTE_P | PTE_U | PTE_A;
	pthread_mutex_unlock(&as->lock);
	return e ? 0 : err;
}

int kvm_as_read(struct kvm_as *as, uint64_t va, void *buf, size_t n)
{
	struct kvm_platform *p = as->p;
	int ret = 0, err;

	pthread_mutex_lock(&as->lock);
	for (size_t i = 0; i < n && !ret; i++) {
		uint64_t *e = pt_walk(as, va + i, false, false, &err), off;

		if (!e || (*e & (PTE_P | PTE_U)) != (PTE_P | PTE_U) ||
		    (*e & PTE_ADDR) < KVM_MEM_GPA) {
			ret = -EFAULT;
			break;
		}
		off = (*e & PTE_ADDR) - KVM_MEM_GPA + ((va + i) & (KVM_PG - 1));
		((uint8_t *)buf)[i] = off < p->mem_size ? p->mem[off] : 0;
	}
	pthread_mutex_unlock(&as->lock);
	return ret;
}

void kvm_as_loaded(struct kvm_as *as)
{
	for (uint32_t i = 0; i < as->nfresh; i++)
		as->p->pt_fresh[as->fresh[i]] = 0;
	as->nfresh = 0;
}

int kvm_as_create(struct platform *pp, struct plat_as **out)
{
	struct kvm_platform *p = kvm_plat(pp);
	struct kvm_as *as = calloc(1, sizeof(*as));
	uint32_t root;
	int err;
	uint64_t *e;

	if (!as)
		return -ENOMEM;
	as->p = p;
	atomic_fetch_add(&p->nas, 1);
	pthread_mutex_init(&as->lock, NULL);
	if (!(root = pt_alloc(as)))
		goto nomem;
	as->root = pg_pa(root);
	pg_ptr(p, root)[511] = p->kernel_pdpt | PTE_P | PTE_W | PTE_A;
	/* The syscall stub: user, read-only, executable. */
	e = pt_walk(as, KVM_STUB_VA, true, false, &err);
	if (!e)
		goto nomem;
	*e = (KVM_R0_GPA + KVM_R0_STUB_PAGE * KVM_PG) | PTE_P | PTE_U | PTE_A;
	*out = (struct plat_as *)as;
	return 0;
nomem:
	kvm_as_release((struct plat_as *)as);
	return -ENOMEM;
}

static void pt_free_tree(struct kvm_platform *p, uint32_t n, int level)
{
	uint64_t *t = pg_ptr(p, n);

	if (level > 1)
		for (unsigned i = 0; i < (level == 4 ? 256u : 512u); i++)
			if ((t[i] & (PTE_P | PTE_PS)) == PTE_P)
				pt_free_tree(p, pa_pg(t[i]), level - 1);
	pt_free(p, n);
}

void kvm_as_release(struct plat_as *a)
{
	struct kvm_as *as = (struct kvm_as *)a;

	if (!as)
		return;
	if (as->root)
		pt_free_tree(as->p, pa_pg(as->root), 4);
	atomic_fetch_sub(&as->p->nas, 1);
	free(as->fresh);
	pthread_mutex_destroy(&as->lock);
	free(as);
}

/* The pool, and the shared upper half: PDPT (page 0) -> PD -> PTs mapping the ring-0
 * area at KVM_KVA, supervisor only; only the code page is executable. */
int kvm_pt_init(struct kvm_platform *p)
{
	uint64_t *pdpt, *pd, *pt;
	int ret;

	/* Between two PROT_NONE guard pages. What raced (the ring-0 hang of 2026-11-22):
	 * the pool is private, anonymous and MAP_NORESERVE, like a glibc thread arena, and
	 * Linux merges such neighbours into one VMA. When create()'s cpuid thread made its
	 * arena before this mmap, the pool landed right below it and /proc/self/maps showed
	 * one line of 1 GiB + the arena's first pages: over KVM_SENTRY_MAP_MAX, so neither
	 * joined guest memory. A later task thread reused that arena, and its first ring-0
	 * switch faulted on its own state there on every round (kvm_r0switch.c). */
	uint8_t *g = mmap(NULL, KVM_PT_SIZE + 2 * KVM_PG, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (g == MAP_FAILED)
		return -errno;
	if (mprotect(g + KVM_PG, KVM_PT_SIZE, PROT_READ | PROT_WRITE)) {
		ret = -errno;
		munmap(g, KVM_PT_SIZE + 2 * KVM_PG);
		return ret;
	}
	p->pt = g + KVM_PG;
	p->pt_free = calloc(PT_PAGES, sizeof(uint32_t));
	p->pt_dead = calloc(PT_PAGES, sizeof(uint32_t));
	p->pt_fresh = calloc(PT_PAGES, 1);
	if (!p->pt_free || !p->pt_dead || !p->pt_fresh)
		return -ENOMEM;
	p->pt_limit = kvm_pt_pool_pages && kvm_pt_pool_pages < PT_PAGES ? kvm_pt_pool_pages
									 : PT_PAGES;
	/* Hardware KVM keeps no per-page metadata for a slot under EPT/NPT: the whole pool. */
	p->pt_slot =
	    p->kind_host ? p->pt_limit : MIN(p->pt_limit, (uint32_t)(KVM_PT_SLOT0 / KVM_PG));
	ret = kvm_set_slot(p, KVM_SLOT_PT, KVM_PT_GPA, (uint64_t)p->pt_slot * KVM_PG, p->pt);
	if (ret)
		return ret;
	pdpt = pg_ptr(p, 0);
	pd = pg_ptr(p, 1);
	pt = pg_ptr(p, 2); /* R0_PTS consecutive pages */
	p->pt_next = 2 + R0_PTS;
	p->kernel_pdpt = pg_pa(0);
	pdpt[0] = pg_pa(1) | PTE_P | PTE_W | PTE_A;
	for (unsigned i = 0; i < R0_PTS; i++)
		pd[i] = pg_pa(2 + i) | PTE_P | PTE_W | PTE_A;
	for (unsigned i = 0; i < KVM_R0_SIZE / KVM_PG; i++) {
		pt[i] = (KVM_R0_GPA + i * KVM_PG) | PTE_P | PTE_W | PTE_A | PTE_D;
		if (i != KVM_R0_CODE_PAGE && p->nx)
			pt[i] |= PTE_NX;
	}
	return 0;
}

void kvm_pt_fini(struct kvm_platform *p)
{
	if (p->pt)
		munmap(p->pt - KVM_PG, KVM_PT_SIZE + 2 * KVM_PG); /* with its guards */
	free(p->pt_free);
	free(p->pt_dead);
	free(p->pt_fresh);
}
