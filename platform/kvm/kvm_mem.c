/* kvm_mem.c: guest-physical memory (memory slots for the memory file) and the ring-0
 * area's shared contents: the IDT, the one-instruction handlers and the syscall stub. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>

#include "lib/log.h"

int kvm_set_slot(struct kvm_platform *p, uint32_t slot, uint64_t gpa, uint64_t size,
		 void *host)
{
	struct kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	return ioctl(p->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) ? -errno : 0;
}

/* The memory file's slots: 64 MiB ones for its first GiB, then 1 GiB ones. A small
 * sandbox registers one or two small slots: each costs KVM metadata per page (a reverse
 * map made at registration and freed at VM teardown), so a 1 GiB one cost ~0.4 ms at
 * start and more at exit. */
static int mem_unit_of(uint64_t off)
{
	if (off < KVM_MEM_CHUNK)
		return (int)(off / KVM_MEM_SMALL);
	return KVM_MEM_NSMALL - 1 + (int)(off / KVM_MEM_CHUNK);
}

void kvm_mem_unit(const struct kvm_platform *p, int u, uint64_t *off, uint64_t *len)
{
	if (u < KVM_MEM_NSMALL)
		*off = (uint64_t)u * KVM_MEM_SMALL, *len = KVM_MEM_SMALL;
	else
		*off = (uint64_t)(u - KVM_MEM_NSMALL + 1) * KVM_MEM_CHUNK, *len = KVM_MEM_CHUNK;
	if (*off >= p->mem_size)
		*len = 0;
	else if (*off + *len > p->mem_size)
		*len = p->mem_size - *off;
}

/* KVM sizes a shadow MMU's page budget by the guest memory in slots (2% of its pages),
 * and past the budget it zaps the oldest shadow pages. Small memory-file slots would
 * shrink it to a few hundred pages: with hundreds of vCPUs, each zap kicks them all and
 * they rebuild at once, a livelock (thread_limit_test: a table change not taken for
 * seconds). So the budget is set as if the memory file's first GiB were one slot, as it
 * used to be; it follows the slots on, the Sentry's own too (ring-0 mode): once set, KVM
 * no longer grows it as slots come. Ignored by a TDP MMU (hardware EPT/NPT). */
void kvm_mmu_budget(struct kvm_platform *p)
{
	uint64_t gib = 0, pages;
	bool small = false;

	for (int u = 0; u < KVM_MEM_UNITS; u++)
		if (p->mem_slots[u / 64] & (1ULL << (u % 64))) {
			small |= u < KVM_MEM_NSMALL;
			gib += u >= KVM_MEM_NSMALL;
		}
	gib += small;
	pages = KVM_R0_SIZE / KVM_PG + p->pt_slot + gib * (KVM_MEM_CHUNK / KVM_PG) +
		atomic_load(&p->sentry_bytes) / KVM_PG; /* ring-0 mode: the Sentry's slots */
	pages = pages * 20 / 1000; /* KVM's own share: KVM_PERMILLE_MMU_PAGES */
	if (ioctl(p->vm_fd, KVM_SET_NR_MMU_PAGES, (unsigned long)(pages < 64 ? 64 : pages)))
		log_debug("kvm: KVM_SET_NR_MMU_PAGES: %d", -errno);
}

/* Register the slots of the memory file that [off, off+size) touches. */
int kvm_mem_ensure(struct kvm_platform *p, uint64_t off, uint64_t size)
{
	uint64_t added[2] = { 0, 0 };
	int first, last, ret = 0;

	if (!size)
		return 0;
	first = mem_unit_of(off);
	last = mem_unit_of(off + size - 1);
	if (last >= KVM_MEM_UNITS)
		return -ENOMEM; /* beyond the Sentry's memory file (64 GiB) */
	pthread_mutex_lock(&p->lock);
	for (int u = first; u <= last && !ret; u++) {
		uint64_t bit = 1ULL << (u % 64), uoff, len;

		if (p->mem_slots[u / 64] & bit)
			continue;
		kvm_mem_unit(p, u, &uoff, &len);
		if (!len) {
			ret = -ENOMEM;
			break;
		}
		ret = kvm_set_slot(p, KVM_SLOT_MEM0 + (uint32_t)u, KVM_MEM_GPA + uoff, len,
				   p->mem + uoff);
		if (!ret)
			p->mem_slots[u / 64] |= bit, added[u / 64] |= bit;
		else
			log_err("kvm: memory slot %d (file offset %#llx): %d", u,
				(unsigned long long)uoff, ret);
	}
	if (added[0] | added[1])
		kvm_mmu_budget(p);
	pthread_mutex_unlock(&p->lock);
	/* the Sentry's view in the kernel table */
	if ((added[0] | added[1]) && atomic_load(&p->kas_ready))
		kvm_sentry_mem_chunks(p, added);
	return ret;
}

bool kvm_vec_has_error(unsigned v)
{
	return v == 8 || (v >= 10 && v <= 14) || v == 17 || v == 21 || v == 29 || v == 30;
}

static void idt_gate(uint8_t *g, uint64_t target, unsigned dpl)
{
	memset(g, 0, 16);
	g[0] = (uint8_t)target;
	g[1] = (uint8_t)(target >> 8);
	g[2] = KVM_SEL_KCODE;
	g[5] = (uint8_t)(0x8e | (dpl << 5)); /* present, 64-bit interrupt gate */
	g[6] = (uint8_t)(target >> 16);
	g[7] = (uint8_t)(target >> 24);
	memcpy(g + 8, &(uint32_t){ (uint32_t)(target >> 32) }, 4);
}

/* Every handler is one `hlt`: the host reads the vector from where the vCPU stopped and
 * the frame from the ring-0 stack. On PVM ring-0 code is interpreted (~0.6 us an
 * instruction), so one instruction is the whole budget. int3 and into are DPL 3. */
void kvm_r0_build(struct kvm_platform *p)
{
	uint8_t *idt = kvm_r0(p, KVM_R0_IDT_PAGE * KVM_PG);
	uint8_t *code = kvm_r0(p, KVM_R0_CODE_PAGE * KVM_PG);
	uint8_t *stub = kvm_r0(p, KVM_R0_STUB_PAGE * KVM_PG);
	uint64_t code_va = KVM_KVA + KVM_R0_CODE_PAGE * KVM_PG;

	memset(code, 0xcc, KVM_PG);
	for (unsigned v = 0; v < KVM_CODE_NVEC; v++) {
		code[v * KVM_CODE_VEC_STRIDE] = 0xf4; /* hlt */
		idt_gate(idt + v * 16, code_va + v * KVM_CODE_VEC_STRIDE,
			 (v == 3 || v == 4) ? 3 : 0);
	}
	code[KVM_CODE_IRET] = 0x48; /* iretq */
	code[KVM_CODE_IRET + 1] = 0xcf;
	code[KVM_CODE_SYSENTRY] = 0xf4; /* hlt */
	code[KVM_CODE_INT80] = 0xf4;	/* hlt */
	code[KVM_CODE_RING0_RET] = 0xf4; /* hlt */
	idt_gate(idt + 0x80 * 16, code_va + KVM_CODE_INT80, 3);
	/* The user stub: `out %al, $port` exits to the host straight from ring 3 (the TSS
	 * I/O bitmap allows that one port); int3 (through the DPL-3 gate) if it would not. */
	memset(stub, 0xcc, KVM_PG);
	stub[0] = 0xe6;
	stub[1] = KVM_SYSCALL_PORT;
	stub[2] = 0xcc;
}
