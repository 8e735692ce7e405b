/* kvm_sentry.c: the Sentry's own memory as guest memory, the first step of the ring-0
 * Sentry (issue 7; see README.md here).
 *
 * Guest-physical address = host-virtual address + KVM_SENTRY_GPA_OFF, so one fixed offset
 * translates any Sentry pointer. A mapping of the Sentry (a line of /proc/self/maps) gets a
 * memory slot when it is first needed, and its pages go into the kernel page table at
 * their host addresses (supervisor only; writable and executable as the host mapping is).
 * The upper half (the ring-0 area at KVM_KVA) is shared with every application table, as
 * usual. kvm_ring0_call runs a Sentry function in guest ring 0 through that table: today
 * a proof that Sentry code and data work at their host addresses in guest mode. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "lib/log.h"

#define PTE_P 0x1ULL
#define PTE_W 0x2ULL
#define PTE_A 0x20ULL
#define PTE_D 0x40ULL
#define PTE_NX (1ULL << 63)

/* The /proc/self/maps line that holds addr: [*start, *end) and its prot. */
static int find_mapping(uint64_t addr, uint64_t *start, uint64_t *end, int *prot)
{
	char line[512], perms[8];
	FILE *f = fopen("/proc/self/maps", "re");
	int ret = -ENOENT;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long s, e;

		if (sscanf(line, "%lx-%lx %4s", &s, &e, perms) != 3 || addr < s || addr >= e)
			continue;
		*start = s, *end = e;
		*prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
			(perms[2] == 'x' ? PROT_EXEC : 0);
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

static bool mapped_already(struct kvm_platform *p, uint64_t start, uint64_t end)
{
	for (int i = 0; i < p->nsentry; i++)
		if (p->sentry[i].start <= start && end <= p->sentry[i].end)
			return true;
	return false;
}

/* A kernel table with the ring-0 area, and no application pages. */
static int kernel_table(struct kvm_platform *p)
{
	struct plat_as *as;
	int ret;

	if (p->kas)
		return 0;
	ret = kvm_as_create(&p->base, &as);
	if (!ret)
		p->kas = (struct kvm_as *)as;
	return ret;
}

int kvm_sentry_map(struct kvm_platform *p, uint64_t addr)
{
	uint64_t start, end, flags = PTE_P | PTE_A;
	int prot, ret;

	if ((ret = find_mapping(addr, &start, &end, &prot)))
		return ret;
	pthread_mutex_lock(&p->sentry_lock);
	if (mapped_already(p, start, end))
		goto out;
	if (p->nsentry == KVM_SENTRY_MAPS || end - start > KVM_SENTRY_MAP_MAX) {
		ret = -ENOSPC;
		goto out;
	}
	if ((ret = kernel_table(p)) ||
	    (ret = kvm_set_slot(p, KVM_SLOT_SENTRY0 + (uint32_t)p->nsentry,
				start + KVM_SENTRY_GPA_OFF, end - start, (void *)(uintptr_t)start)))
		goto out;
	if (prot & PROT_WRITE)
		flags |= PTE_W | PTE_D;
	if (!(prot & PROT_EXEC) && p->nx)
		flags |= PTE_NX;
	ret = kvm_as_map_kernel(p->kas, start, end - start, start + KVM_SENTRY_GPA_OFF, flags);
	if (!ret) {
		p->sentry[p->nsentry].start = start;
		p->sentry[p->nsentry++].end = end;
		log_debug("kvm: Sentry mapping %#llx-%#llx (%c%c%c) at guest-physical +%#llx",
			  (unsigned long long)start, (unsigned long long)end,
			  prot & PROT_READ ? 'r' : '-', prot & PROT_WRITE ? 'w' : '-',
			  prot & PROT_EXEC ? 'x' : '-', (unsigned long long)KVM_SENTRY_GPA_OFF);
	}
out:
	pthread_mutex_unlock(&p->sentry_lock);
	return ret;
}

int kvm_ring0_call(struct kvm_platform *p, long (*fn)(long), long arg, long *result)
{
	return kvm_ring0_call_ex(p, fn, arg, result, NULL, NULL);
}

int kvm_ring0_call_ex(struct kvm_platform *p, long (*fn)(long), long arg, long *result,
		      int (*prepare)(struct kvm_ctx *c, void *cb_arg), void *cb_arg)
{
	struct plat_ctx *cc = NULL;
	struct kvm_ctx *c;
	struct kvm_sregs s;
	struct kvm_regs r;
	uint64_t top, *ret_slot;
	int ret, run;

	if ((ret = kvm_sentry_map(p, (uint64_t)(uintptr_t)fn)) ||
	    (ret = kvm_ctx_create(&p->base, &cc)))
		return ret;
	c = (struct kvm_ctx *)cc;
	/* The vCPU's ring-0 stack (upper half), holding a return address: the ring-0 hlt. */
	top = KVM_KVA + (KVM_R0_VCPU_PAGE + 2ULL * (uint64_t)c->id + 2) * KVM_PG;
	/* Below the top 512 bytes, where exceptions from ring 3 push their frames (RSP0);
	 * rsp + 8 16-byte aligned, as after a call. */
	top -= 512;
	ret_slot = kvm_r0(p, top - 24 - KVM_KVA);
	*ret_slot = KVM_KVA + KVM_R0_CODE_PAGE * KVM_PG + KVM_CODE_RING0_RET;
	ret = -EIO;
	if (ioctl(c->fd, KVM_GET_SREGS, &s))
		goto out;
	s.cr3 = p->kas->root;
	memset(&r, 0, sizeof(r));
	r.rip = (uint64_t)(uintptr_t)fn, r.rdi = (uint64_t)arg;
	r.rsp = top - 24, r.rflags = 2;
	if (ioctl(c->fd, KVM_SET_SREGS, &s) || ioctl(c->fd, KVM_SET_REGS, &r) ||
	    (prepare && (ret = prepare(c, cb_arg))))
		goto out;
	ret = -EIO;
	c->run->kvm_valid_regs = 0;
	run = kvm_vcpu_run(c);
	kvm_stats_count(c, run, errno);
	if (run == 0 && c->run->exit_reason == KVM_EXIT_HLT &&
	    ioctl(c->fd, KVM_GET_REGS, &r) == 0 &&
	    r.rip == KVM_KVA + KVM_R0_CODE_PAGE * KVM_PG + KVM_CODE_RING0_RET + 1) {
		*result = (long)r.rax;
		ret = 0;
	} else {
		log_warn("kvm: ring-0 call stopped: exit %u at %#llx", c->run->exit_reason,
			 (unsigned long long)r.rip);
	}
out:
	c->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	kvm_ctx_release(cc);
	return ret;
}
