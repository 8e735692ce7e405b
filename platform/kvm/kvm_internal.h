/* kvm_internal.h: the KVM platform's private state, guest-physical layout and helpers. */
#ifndef RUNSC_PLATFORM_KVM_INTERNAL_H
#define RUNSC_PLATFORM_KVM_INTERNAL_H

#include <linux/kvm.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "platform/platform.h"

#define KVM_PG 4096ULL
#define KVM_BIG_PG (2ULL << 20)

/* Guest-physical layout. The ring-0 area (IDT, handler code, the user syscall stub page,
 * per-vCPU GDT/TSS/stack) is slot 0 at GPA 0; page-table pages are slot 1 (its first
 * KVM_PT_SLOT0 bytes, grown as the pool fills: kvm_pt.c); the memory file is mapped from
 * KVM_MEM_GPA in slots added on first use: 64 MiB ones for its first GiB (a small sandbox
 * registers one or two: a slot costs KVM metadata per page, made at start and freed at
 * exit), then 1 GiB ones (kvm_mem.c). */
#define KVM_R0_GPA 0x0ULL
#define KVM_R0_SIZE (8ULL << 20) /* 4 pages + 2 per vCPU, mapped by 4 page tables */
#define KVM_PT_GPA (1ULL << 30)
#define KVM_PT_SIZE (1ULL << 30)
#define KVM_PT_SLOT0 (16ULL << 20) /* a slot costs KVM metadata per page, made and freed */
#define KVM_MEM_GPA (1ULL << 36)
#define KVM_MEM_CHUNK (1ULL << 30)
#define KVM_MEM_SMALL (64ULL << 20) /* slot size in the first chunk */
#define KVM_MEM_NSMALL ((int)(KVM_MEM_CHUNK / KVM_MEM_SMALL))
#define KVM_MEM_UNITS (KVM_MEM_NSMALL + 63) /* slots the memory file (64 GiB) may take */
#define KVM_SLOT_R0 0
#define KVM_SLOT_PT 1
#define KVM_SLOT_MEM0 2
/* The Sentry's own mappings (kvm_sentry.c): guest-physical = host-virtual + this offset,
 * one slot per mapping from KVM_SLOT_SENTRY0. Needs 48 guest-physical address bits. */
#define KVM_SENTRY_GPA_OFF (1ULL << 47)
#define KVM_SLOT_SENTRY0 (KVM_SLOT_MEM0 + 80)
#define KVM_SENTRY_MAPS 1024
#define KVM_SENTRY_MAP_MAX (1ULL << 30) /* larger mappings wait for 2 MiB/1 GiB pages */

/* Pages of the ring-0 area. */
#define KVM_R0_IDT_PAGE 0  /* 256 gates */
#define KVM_R0_CODE_PAGE 1 /* one `hlt` per vector, the iretq, the hardware syscall entry */
#define KVM_R0_STUB_PAGE 2 /* user-visible: `int3` reached through LSTAR on PVM */
#define KVM_R0_PROBE_PAGE 3 /* user-visible in the kind check's address space only */
#define KVM_R0_VCPU_PAGE 4 /* two pages per vCPU: GDT+TSS, then the ring-0 stack */
/* One vCPU per application thread: at most this many (or KVM_CAP_MAX_VCPUS). */
#define KVM_MAX_VCPUS ((int)((KVM_R0_SIZE / KVM_PG - KVM_R0_VCPU_PAGE) / 2))

/* Offsets in the code page. */
#define KVM_CODE_VEC_STRIDE 8 /* vector v's handler is a `hlt` at v * stride */
#define KVM_CODE_NVEC 32
#define KVM_CODE_IRET 0x400    /* iretq: the way into ring 3 */
#define KVM_CODE_SYSENTRY 0x480 /* hardware KVM: LSTAR, a `hlt` at CPL 0 */
#define KVM_CODE_INT80 0x500	/* `int $0x80` (DPL-3 gate; PVM raises #UD instead) */
#define KVM_CODE_RING0_RET 0x580 /* where a ring-0 call returns: a `hlt` */

/* The port the user syscall stub writes to: its `out` exits to the host from ring 3. */
#define KVM_SYSCALL_PORT 0x10

/* Where the ring-0 area appears in every address space (PML4 slot 511, not user). */
#define KVM_KVA 0xffffff8000000000ULL
/* The user syscall stub page, just above the application limit. */
#define KVM_STUB_VA PLAT_APP_MAX_ADDR

/* Selectors: Linux's, because PVM runs user mode on the host's 0x33/0x2b anyway. */
#define KVM_SEL_KCODE 0x10
#define KVM_SEL_KDATA 0x18
#define KVM_SEL_UDATA 0x2b
#define KVM_SEL_UCODE 0x33
#define KVM_SEL_TSS 0x38

/* VM exits by reason (kvm_stats.c): the exception vectors 0-31, then these. */
enum {
	KVM_STAT_INT80 = 32,	/* the int $0x80 gate (hardware KVM) */
	KVM_STAT_SYSCALL_IO,	/* syscall: the user stub's `out` (PVM) */
	KVM_STAT_SYSCALL_HLT,	/* syscall: the ring-0 LSTAR `hlt` (hardware KVM) */
	KVM_STAT_KICK,		/* KVM_RUN interrupted: interrupt(), a table change, a signal */
	KVM_STAT_RING0_RET,	/* a ring-0 call of Sentry code returned (kvm_sentry.c) */
	KVM_STAT_R0_REDPILL,	/* a Sentry thread left guest ring 0 (kvm_redpill) */
	KVM_STAT_R0_SYSCALL,	/* a host syscall from ring 0, re-executed on the host */
	KVM_STAT_R0_FAULT,	/* an exception in ring 0 (retried, or replayed on the host) */
	KVM_STAT_OTHER,		/* anything else (an app's own `out`, failures) */
	KVM_STAT_N
};

struct kvm_platform {
	struct platform base;
	int kvm_fd, vm_fd;
	int memfd;
	bool hw;		 /* syscalls enter ring 0 through LSTAR (hardware VMX/SVM);
				  * false: they exit through the user stub (PVM) */
	int kind_host;		 /* host facts: 1 hardware, 0 PVM */
	int kind_guest;		 /* the guest check: 1 ring-0 syscall works, 0 not, -1 ? */
	bool nx;		 /* guest CPUID offers NX */
	uint64_t xfeatures;	 /* XSAVE components KVM_SET_XSAVE takes (CPUID 0xd) */
	bool xsave;		 /* guest CPUID offers XSAVE: CR4.OSXSAVE and XCR0 are set */
	size_t run_size;	 /* mmap size of struct kvm_run */
	struct kvm_cpuid2 *cpuid; /* what KVM supports, given to every vCPU */
	uint8_t *r0;		 /* host view of the ring-0 area */
	uint8_t *pt;		 /* host view of the page-table pool */
	uint8_t *mem;		 /* host view of the memory file (MAP_SHARED) */
	uint64_t mem_size;
	pthread_mutex_t lock;	 /* slots, page-table pool, vCPU ids, the context list */
	uint64_t mem_slots[2];	 /* bitmap of memory-file slots registered (kvm_mem.c) */
	uint32_t *pt_free;	 /* recycled pool pages (page numbers) */
	uint32_t pt_nfree, pt_next, pt_limit;
	uint32_t pt_slot;	 /* pool pages in the slot now (grown by flips up to pt_limit) */
	uint32_t *pt_dead;	 /* freed pages that a shadow MMU may still cache */
	uint32_t pt_ndead;
	_Atomic uint64_t flips;	 /* pool slot flips so far (kvm_pt.c) */
	pthread_mutex_t run_mu;	 /* the run gate: a flip waits until no vCPU is in KVM_RUN */
	pthread_cond_t run_cv;
	_Atomic int nrun;	 /* vCPUs past the gate (inside or entering KVM_RUN) */
	_Atomic bool gate_closed; /* a flip is waiting or running: KVM_RUN callers wait */
	uint8_t *pt_fresh;	 /* per pool page: allocated and never loaded by a vCPU */
	uint64_t kernel_pdpt;	 /* pool PA of the shared upper-half PDPT */
	int next_vcpu;		 /* vCPU ids handed out so far */
	int max_vcpus;		 /* KVM_MAX_VCPUS or KVM's limit, if lower */
	struct kvm_ctx *idle;	 /* released vCPUs (KVM cannot destroy one) */
	struct kvm_ctx *ctxs;	 /* every live context, for kicks on invalidation */
	_Atomic uint64_t stats[KVM_STAT_N]; /* VM exits by reason */
	_Atomic uint32_t r0_sys[512]; /* ring-0 host syscalls by number (debug stats) */
	pthread_mutex_t sentry_lock; /* the Sentry mappings below */
	struct kvm_as *kas;	 /* kernel page table: the Sentry at its host addresses */
	_Atomic bool kas_ready;	 /* kvm_sentry_map_all ran: memory-file chunks go in kas */
	struct { uint64_t start, end; uint32_t slot; } sentry[KVM_SENTRY_MAPS];
	int nsentry;		 /* entries used (a freed one has end 0) */
	int phys_bits;		 /* guest-physical address bits (CPUID 0x80000008) */
	bool ring0;		 /* ring-0 mode: switch_to runs the app from guest ring 0 */
	int maps_fd;		 /* /proc/self/maps, opened at create (ring-0 mode) */
	_Atomic bool vdso_ok;	 /* every vCPU's TSC is the host's: the vDSO may join */
	_Atomic uint64_t sentry_bytes; /* in the Sentry's slots (kvm_mmu_budget counts them) */
	_Atomic int nas;	 /* address spaces alive (kas included) */
};

struct kvm_as {
	struct kvm_platform *p;
	pthread_mutex_t lock;
	uint64_t root;		  /* PA of the PML4; replaced when a live path is copied */
	_Atomic uint64_t gen;	  /* bumped whenever root changes */
	uint32_t *fresh;	  /* pool pages never yet loaded by a vCPU */
	uint32_t nfresh, cap_fresh;
};

struct kvm_ctx {
	struct kvm_platform *p;
	struct kvm_ctx *next;
	int id, fd;
	struct kvm_run *run;
	pid_t tid;		  /* the host thread the context is bound to */
	_Atomic int intr;	  /* interrupt() pending */
	_Atomic int in_run;	  /* inside KVM_RUN */
	_Atomic(struct kvm_as *) cur_as;
	_Atomic uint64_t loaded_gen; /* as->gen that the vCPU's CR3 reflects */
	uint64_t loaded_flips;	  /* p->flips when CR3 was last loaded */
	bool in_user;		  /* the vCPU stopped in ring 3 (kicked), not in a handler */
	bool started;
	uint64_t exits;		  /* KVM_RUN calls, for tests and stats */
	struct kvm_bp_frame *bp;  /* kvm_bluepill's frame and handler stack, once used */
	bool r0_msrs;		  /* LSTAR is the ring-0 mode entry (until the next reset) */
	uint8_t *r0_fpu;	  /* ring-0 mode: the application's XSAVE area (64-aligned) */
	uint64_t r0_xmask;	  /* the XSAVE components it holds */
	uint64_t bp_missing;	  /* a ring-0 #PF on memory the guest lacks: add at entry */
};

static inline struct kvm_platform *kvm_plat(struct platform *p)
{
	return (struct kvm_platform *)p;
}

/* Host pointer for a ring-0 area offset. */
static inline void *kvm_r0(struct kvm_platform *p, uint64_t off)
{
	return p->r0 + off;
}

/* kvm_pt.c: page tables in the pool. Tests may shrink the pool (pages, 0 = all) before
 * create() to exercise recycling. */
extern uint32_t kvm_pt_pool_pages;
int kvm_pt_init(struct kvm_platform *p);
void kvm_pt_fini(struct kvm_platform *p);
int kvm_as_create(struct platform *pp, struct plat_as **out);
void kvm_as_release(struct plat_as *a);
int kvm_as_map(struct plat_as *a, uint64_t addr, uint64_t size, uint64_t off, int prot);
int kvm_as_unmap(struct plat_as *a, uint64_t addr, uint64_t size);
int kvm_as_protect(struct plat_as *a, uint64_t addr, uint64_t size, int prot);
/* Copy n bytes of application memory at va (user-readable pages only). */
int kvm_as_read(struct kvm_as *as, uint64_t va, void *buf, size_t n);
/* Map ring-0 area page pg at va for ring 3 (read, execute): the kind check's code. */
int kvm_as_map_r0_page(struct kvm_as *as, uint64_t va, unsigned pg);
/* Map [va, va+len) to guest-physical gpa.. with PTE flags (kernel table, kvm_sentry.c):
 * 2 MiB pages where both are aligned; entries present already are kept. */
int kvm_as_map_kernel(struct kvm_as *as, uint64_t va, uint64_t len, uint64_t gpa,
		      uint64_t flags);
/* Mark every page of as's tables as loaded (a vCPU is about to use the root). Caller
 * holds as->lock. */
void kvm_as_loaded(struct kvm_as *as);

/* kvm_mem.c: the memory file as guest memory, the ring-0 area. */
int kvm_mem_ensure(struct kvm_platform *p, uint64_t off, uint64_t size);
/* Memory-file slot u: its offset and length in the file (clipped to its size). */
void kvm_mem_unit(const struct kvm_platform *p, int u, uint64_t *off, uint64_t *len);
/* Set the shadow MMU's page budget for the slots registered now. Caller holds p->lock. */
void kvm_mmu_budget(struct kvm_platform *p);
int kvm_set_slot(struct kvm_platform *p, uint32_t slot, uint64_t gpa, uint64_t size,
		 void *host);
void kvm_r0_build(struct kvm_platform *p);
/* Does the CPU push an error code for vector v? */
bool kvm_vec_has_error(unsigned v);

/* kvm_vcpu.c: vCPU creation, interrupt, FPU. */
int kvm_ctx_create(struct platform *pp, struct plat_ctx **out);
void kvm_ctx_release(struct plat_ctx *c);
void kvm_interrupt(struct plat_ctx *c);
/* Close the pooled vCPUs (destroy). */
void kvm_vcpu_pool_free(struct kvm_platform *p);
int kvm_get_fpu(struct plat_ctx *c, struct plat_fpu *fpu);
int kvm_set_fpu(struct plat_ctx *c, const struct plat_fpu *fpu);
/* KVM_RUN through the run gate (returns as ioctl does, errno kept). */
int kvm_vcpu_run(struct kvm_ctx *c);
/* Close the gate: kick every vCPU out of KVM_RUN and hold them at its entry until
 * kvm_gate_open. Caller holds p->lock (and so no vCPU thread waits for it in there). */
void kvm_gate_close(struct kvm_platform *p);
void kvm_gate_open(struct kvm_platform *p);
/* Kick every context running `as` so that it reloads CR3 before running on. */
void kvm_kick_as(struct kvm_platform *p, struct kvm_as *as);
/* The kick signal. */
#define KVM_KICK_SIG (SIGRTMAX - 2)

/* kvm_kind.c: decide p->hw (host facts and a one-shot guest check; needs the ring-0 area
 * and the page-table pool); -ENOSYS for a --kvm-mode that cannot run. */
int kvm_detect_kind(struct kvm_platform *p);
/* Can the --kvm-mode asked for run? 0, or -ENOSYS with *why. */
int kvm_mode_check(const char **why);
bool kvm_mode_forced_ring0(void); /* --kvm-mode=ring0, not auto */

/* kvm_sentry.c: give the Sentry mapping that holds addr a memory slot (guest-physical =
 * host-virtual + KVM_SENTRY_GPA_OFF) and map it in the kernel table at its host address;
 * run fn(arg) in guest ring 0 on a vCPU of the pool through that table. */
int kvm_sentry_map(struct kvm_platform *p, uint64_t addr);
/* Step 1 of the ring-0 mode: every mapping of /proc/self/maps now (not PROT_NONE ones,
 * [vdso]/[vvar], nor ones over KVM_SENTRY_MAP_MAX), and the memory file's registered
 * chunks at their host addresses (its guest-physical chunks, 2 MiB pages). -ENOSYS when
 * the guest has fewer than 48 physical address bits. */
int kvm_sentry_map_all(struct kvm_platform *p);
/* Memory-file slots (bitmap of kvm_mem_unit numbers) just registered: map them in the
 * kernel table. */
void kvm_sentry_mem_chunks(struct kvm_platform *p, const uint64_t units[2]);
int kvm_ring0_call(struct kvm_platform *p, long (*fn)(long), long arg, long *result);
/* The same, with prepare(c, cb_arg) called on the vCPU just before it runs. */
int kvm_ring0_call_ex(struct kvm_platform *p, long (*fn)(long), long arg, long *result,
		      int (*prepare)(struct kvm_ctx *c, void *cb_arg), void *cb_arg);

/* kvm_ring0.c: the ring-0 trampoline (installed in the code page at create), and a
 * hardware-only proof: run the application in `as` from regs, serving getpid (as pid) in
 * guest ring 0 with no VM exit, until it makes another syscall (*last_nr). -ENOSYS on
 * PVM. */
void kvm_ring0_install(struct kvm_platform *p);
int kvm_ring0_getpid_loop(struct kvm_platform *p, struct plat_as *as, const plat_regs_t *regs,
			  long pid, long *served, long *last_nr);
/* The same, also serving page faults at fault_addr in ring 0 (resumed with iretq at the
 * application's r12, rcx and r11 kept): *faults counts them. */
int kvm_ring0_serve_loop(struct kvm_platform *p, struct plat_as *as, const plat_regs_t *regs,
			 long pid, uint64_t fault_addr, long *served, long *faults, long *last_nr);

/* kvm_ring0.c, for kvm_bluepill.c: the vCPU's ring-0 block (GS base in ring 0), the
 * ring-0 IDT (KVM_R0_IDT_GATES gates on IST 1), LSTAR and KERNEL_GS_BASE for ring-0 mode,
 * the `hlt` a host syscall from ring 0 stops at, the vector of an exception `hlt` (or -1),
 * and the host view of the exception frame on the IST stack (rip, cs, rflags, rsp, ss). */
/* The ring-0 block (per vCPU, GS base in ring 0; kvm_ring0.c's trampoline): the
 * application's registers, CR3s, the Sentry's callee-saved registers, the trap. */
enum { B_RAX, B_RBX, B_RCX, B_RDX, B_RSI, B_RDI, B_RBP, B_RSP, B_R8, B_R9, B_R10, B_R11,
       B_R12, B_R13, B_R14, B_R15, B_RIP, B_RFLAGS, B_UCR3, B_KCR3, B_SRSP, B_SRBX,
       B_SRBP, B_SR12, B_SR13, B_SR14, B_SR15, B_CR2, B_VEC, B_ERR, B_IRET, B_UFS, B_UGS,
       B_SFS, B_STACK, B_WORDS };
#define BLOCK_OFF 0x800 /* in the vCPU's GDT/TSS page */
#define KVM_R0_IDT_GATES 0x81
#define KVM_R0_VECS 34		/* gates: the 32 exceptions, the kick (32) and int $0x80 */
#define KVM_R0_KICK_VEC 32	/* injected (KVM_INTERRUPT) to bring ring 3 back to ring 0 */
#define KVM_R0_SYSCALL 256	/* kvm_r0_switch_user's value for a syscall */
uint64_t kvm_ring0_block(struct kvm_ctx *c);
uint64_t kvm_ring0_idt(void);
int kvm_ring0_prepare(struct kvm_ctx *c);
uint64_t kvm_ring0_ksys(void);
int kvm_ring0_kvec(uint64_t hlt_va);
const uint64_t *kvm_ring0_frame(struct kvm_ctx *c);

/* kvm_bluepill.c: the calling Sentry thread (c's own) continues in guest ring 0: true
 * when it now runs there. Hardware KVM, after kvm_sentry_map_all. kvm_redpill leaves
 * (nothing in host mode); kvm_in_guest: running in guest ring 0? */
bool kvm_bluepill(struct kvm_ctx *c);
void kvm_redpill(void);
bool kvm_in_guest(void);

/* kvm_stats.c: count one exit of KVM_RUN (its return value and errno), and the debug
 * summary: "kvm exits: N; syscall (out) N, #PF N, ...". */
void kvm_stats_count(struct kvm_ctx *c, int ret, int err);
size_t kvm_debug_stats(struct platform *pp, char *buf, size_t size);

/* kvm_switch.c */
int kvm_switch_to(struct plat_ctx *c, struct plat_as *a, plat_regs_t *regs,
		  struct plat_trap *trap);
int kvm_vector_to_fault(unsigned v, uint64_t err, uint64_t rip, uint64_t cr2,
			struct plat_trap *t);

/* kvm_r0switch.c: switch_to in ring-0 mode (the Sentry thread in guest ring 0 enters
 * the application and serves its trap there; no VM exit), and the application's FPU
 * state, which the vCPU shares with the Sentry there, kept in the context. */
int kvm_switch_ring0(struct kvm_ctx *c, struct kvm_as *as, plat_regs_t *regs,
		     struct plat_trap *trap);
int kvm_ring0_ctx_init(struct kvm_ctx *c);
void kvm_ring0_get_fpu(struct kvm_ctx *c, struct plat_fpu *fpu);
void kvm_ring0_set_fpu(struct kvm_ctx *c, const struct plat_fpu *fpu);
/* The block's words kvm_r0switch.c fills (kvm_ring0.c's layout). */
uint64_t *kvm_ring0_block_ptr(struct kvm_ctx *c);
uint64_t kvm_ring0_stack(struct kvm_ctx *c); /* top of the vCPU's ring-0 (IST) stack */
uint64_t kvm_ring0_switch_va(void);

#endif
