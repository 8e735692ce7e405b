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

/* Register the 1 GiB chunks of the memory file that [off, off+size) touches. Slots cost
 * KVM metadata per page, so only chunks in use are registered. */
int kvm_mem_ensure(struct kvm_platform *p, uint64_t off, uint64_t size)
{
	uint64_t first = off / KVM_MEM_CHUNK, last = (off + size - 1) / KVM_MEM_CHUNK, added = 0;
	int ret = 0;

	if (!size)
		return 0;
	if (last >= 64)
		return -ENOMEM; /* the bitmap covers 64 GiB, the Sentry's memory file size */
	pthread_mutex_lock(&p->lock);
	for (uint64_t c = first; c <= last && !ret; c++) {
		uint64_t len = KVM_MEM_CHUNK;

		if (p->mem_slots & (1ULL << c))
			continue;
		if (c * KVM_MEM_CHUNK + len > p->mem_size)
			len = p->mem_size - c * KVM_MEM_CHUNK;
		ret = kvm_set_slot(p, KVM_SLOT_MEM0 + (uint32_t)c, KVM_MEM_GPA + c * KVM_MEM_CHUNK,
				   len, p->mem + c * KVM_MEM_CHUNK);
		if (!ret)
			p->mem_slots |= 1ULL << c, added |= 1ULL << c;
		else
			log_err("kvm: memory slot for chunk %llu: %d", (unsigned long long)c, ret);
	}
	pthread_mutex_unlock(&p->lock);
	if (added && atomic_load(&p->kas_ready)) /* the Sentry's view in the kernel table */
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
