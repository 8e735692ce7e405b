/* kvm_sentry.c: the Sentry's own memory as guest memory, the first step of the ring-0
 * Sentry (issue 7; see README.md here).
 *
 * Guest-physical address = host-virtual address + KVM_SENTRY_GPA_OFF, so one fixed offset
 * translates any Sentry pointer. A mapping of the Sentry (a line of /proc/self/maps) gets a
 * memory slot when it is first needed, and its pages go into the kernel page table at
 * their host addresses (supervisor only; writable and executable as the host mapping is).
 * The upper half (the ring-0 area at KVM_KVA) is shared with every application table, as
 * usual. kvm_sentry_map_all does that for every mapping at once (ring-0 mode), and maps
 * the memory file's host view onto its guest chunks. kvm_ring0_call runs a Sentry
 * function in guest ring 0 through that table. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/log.h"

#define PTE_P 0x1ULL
#define PTE_W 0x2ULL
#define PTE_A 0x20ULL
#define PTE_D 0x40ULL
#define PTE_NX (1ULL << 63)

struct maps_line {
	uint64_t start, end;
	int prot;
	char name[64];
};

static bool parse_line(const char *line, struct maps_line *m)
{
	unsigned long s, e;
	char perms[8];
	int n = 0;

	if (sscanf(line, "%lx-%lx %4s %*s %*s %*s %n", &s, &e, perms, &n) < 3)
		return false;
	m->start = s, m->end = e;
	m->prot = (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
		  (perms[2] == 'x' ? PROT_EXEC : 0);
	m->name[0] = 0;
	if (n > 0)
		sscanf(line + n, "%63s", m->name);
	return true;
}

/* /proc/self/maps as text (malloc'd): through the file kept open in ring-0 mode (the
 * seccomp walls refuse opening it later), else opened now. */
static char *read_maps(struct kvm_platform *p)
{
	int fd = p->maps_fd >= 0 ? p->maps_fd : open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	size_t cap = 16384, len = 0;
	char *buf = NULL, *nb;
	ssize_t n;

	if (fd < 0 || (fd == p->maps_fd && lseek(fd, 0, SEEK_SET) != 0) ||
	    !(buf = malloc(cap)))
		goto fail;
	for (;;) {
		if (len + 1 >= cap) {
			if (!(nb = realloc(buf, cap * 2)))
				goto fail;
			buf = nb, cap *= 2;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			goto fail;
		if (n == 0)
			break;
		len += (size_t)n;
	}
	buf[len] = 0;
	goto out;
fail:
	free(buf);
	buf = NULL;
out:
	if (fd >= 0 && fd != p->maps_fd)
		close(fd);
	return buf;
}

/* The next line of text (NUL-terminated in place), or NULL. */
static char *next_line(char **cur)
{
	char *l = *cur, *nl;

	if (!l || !*l)
		return NULL;
	nl = strchr(l, '\n');
	if (nl)
		*nl = 0;
	*cur = nl ? nl + 1 : NULL;
	return l;
}

/* The /proc/self/maps line that holds addr. */
static int find_mapping(struct kvm_platform *p, uint64_t addr, struct maps_line *m)
{
	char *text = read_maps(p), *cur = text, *line;
	int ret = -ENOENT;

	if (!text)
		return -EIO;
	while ((line = next_line(&cur)))
		if (parse_line(line, m) && addr >= m->start && addr < m->end) {
			ret = 0;
			break;
		}
	free(text);
	return ret;
}

/* The end of the slot holding addr, or 0. */
static uint64_t slot_end_at(struct kvm_platform *p, uint64_t addr)
{
	for (int i = 0; i < p->nsentry; i++)
		if (p->sentry[i].start <= addr && addr < p->sentry[i].end)
			return p->sentry[i].end;
	return 0;
}

/* Where the first slot starting in (addr, end) starts, or end. */
static uint64_t next_slot_start(struct kvm_platform *p, uint64_t addr, uint64_t end)
{
	for (int i = 0; i < p->nsentry; i++)
		if (p->sentry[i].end && addr < p->sentry[i].start && p->sentry[i].start < end)
			end = p->sentry[i].start;
	return end;
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

/* A new entry of p->sentry. Slots are never deleted: another vCPU may be using one
 * right now (the [heap] line grows, a thread's arena grows by mprotect, /proc/self/maps
 * merges neighbours), and a vCPU touching guest memory that lost its slot takes an MMIO
 * exit, whose store never reaches memory (KVM hands it to us and retires it), or an
 * emulation failure (exit 17: an AVX access). A slot whose host mapping is gone only
 * makes KVM_RUN fail with EFAULT there, which is replayed in host mode. */
static int sentry_entry(struct kvm_platform *p)
{
	if (p->nsentry == KVM_SENTRY_MAPS)
		return -ENOSPC;
	p->sentry[p->nsentry].slot = KVM_SLOT_SENTRY0 + (uint32_t)p->nsentry;
	return p->nsentry++;
}

/* Give [start, end) of m, which no slot covers, a slot and kernel-table entries. */
static int sentry_add_range(struct kvm_platform *p, const struct maps_line *m, uint64_t start,
			    uint64_t end)
{
	uint64_t flags = PTE_P | PTE_A, gpa = start + KVM_SENTRY_GPA_OFF;
	int i, ret;

	if ((i = sentry_entry(p)) < 0)
		return i;
	ret = kvm_set_slot(p, p->sentry[i].slot, gpa, end - start, (void *)(uintptr_t)start);
	if (ret) {
		p->nsentry--; /* the entry just taken, given back */
		return ret;
	}
	if (m->prot & PROT_WRITE)
		flags |= PTE_W | PTE_D;
	if (!(m->prot & PROT_EXEC) && p->nx)
		flags |= PTE_NX;
	p->sentry[i].start = start;
	p->sentry[i].end = end;
	atomic_fetch_add(&p->sentry_bytes, end - start);
	pthread_mutex_lock(&p->lock); /* after sentry_lock, never before it */
	if (p->mem_slots[0] | p->mem_slots[1])
		kvm_mmu_budget(p); /* a budget once set no longer follows the slots */
	pthread_mutex_unlock(&p->lock);
	ret = kvm_as_map_kernel(p->kas, start, end - start, gpa, flags);
	if (ret)
		return ret;
	log_debug("kvm: Sentry mapping %#llx-%#llx (%c%c%c %s) at guest-physical +%#llx",
		  (unsigned long long)start, (unsigned long long)end,
		  m->prot & PROT_READ ? 'r' : '-', m->prot & PROT_WRITE ? 'w' : '-',
		  m->prot & PROT_EXEC ? 'x' : '-', m->name, (unsigned long long)KVM_SENTRY_GPA_OFF);
	return 0;
}

/* Give the parts of m that no slot covers yet slots and kernel-table entries (a mapping
 * that grew gets one more slot for its new part). Caller holds sentry_lock. */
static int sentry_add(struct kvm_platform *p, const struct maps_line *m)
{
	uint64_t addr = m->start, next;
	int ret;

	if (m->end - m->start > KVM_SENTRY_MAP_MAX || m->end > KVM_SENTRY_GPA_OFF)
		return -ENOSPC;
	if ((ret = kernel_table(p)))
		return ret;
	while (addr < m->end) {
		if ((next = slot_end_at(p, addr))) {
			addr = next;
			continue;
		}
		next = next_slot_start(p, addr, m->end);
		if ((ret = sentry_add_range(p, m, addr, next)))
			return ret;
		addr = next;
	}
	return 0;
}

/* Mappings that get no slot: holes, the memory file (its chunks), and the vDSO unless
 * every vCPU's TSC reads as the host's (else it would read the host's clock data with
 * the guest's TSC); the vDSO joins on its first ring-0 fault, after the vCPUs exist. */
static bool sentry_skip(struct kvm_platform *p, const struct maps_line *m, bool lazy)
{
	uint64_t mem = (uint64_t)(uintptr_t)p->mem;
	bool vdso = !strcmp(m->name, "[vdso]") || !strncmp(m->name, "[vvar", 5);

	return m->prot == PROT_NONE || m->end > KVM_SENTRY_GPA_OFF ||
	       (vdso && (!lazy || !atomic_load(&p->vdso_ok))) ||
	       (m->start < mem + p->mem_size && mem < m->end);
}

int kvm_sentry_map(struct kvm_platform *p, uint64_t addr)
{
	struct maps_line m;
	int ret;

	if ((ret = find_mapping(p, addr, &m)))
		return ret;
	if (sentry_skip(p, &m, true))
		return -ENOENT; /* touched from host mode only */
	pthread_mutex_lock(&p->sentry_lock);
	ret = sentry_add(p, &m);
	pthread_mutex_unlock(&p->sentry_lock);
	return ret;
}

void kvm_sentry_mem_chunks(struct kvm_platform *p, const uint64_t units[2])
{
	for (int u = 0; u < KVM_MEM_UNITS; u++) {
		uint64_t off, len;

		if (!(units[u / 64] & (1ULL << (u % 64))))
			continue;
		kvm_mem_unit(p, u, &off, &len);
		if (len && kvm_as_map_kernel(p->kas, (uint64_t)(uintptr_t)p->mem + off, len,
				      KVM_MEM_GPA + off,
				      PTE_P | PTE_W | PTE_A | PTE_D | (p->nx ? PTE_NX : 0)))
			log_warn("kvm: memory-file slot %d not in the kernel table", u);
	}
}

int kvm_sentry_map_all(struct kvm_platform *p)
{
	char *text, *cur, *line;
	struct maps_line m;
	int ret = 0, n = 0;

	if (p->phys_bits < 48) {
		log_err("kvm: ring-0 mode needs 48 guest-physical address bits, this KVM has %d",
			p->phys_bits);
		return -ENOSYS;
	}
	if (!(cur = text = read_maps(p)))
		return -EIO;
	pthread_mutex_lock(&p->sentry_lock);
	while (!ret && (line = next_line(&cur))) {
		if (!parse_line(line, &m) || sentry_skip(p, &m, false))
			continue;
		ret = sentry_add(p, &m);
		if (ret == -ENOSPC) { /* too large: touched only from host mode */
			log_debug("kvm: Sentry mapping %#lx-%#lx stays out of guest memory",
				  (unsigned long)m.start, (unsigned long)m.end);
			ret = 0;
		}
		n++;
	}
	if (!ret)
		ret = kernel_table(p);
	pthread_mutex_unlock(&p->sentry_lock);
	free(text);
	if (ret)
		return ret;
	atomic_store(&p->kas_ready, true);
	pthread_mutex_lock(&p->lock);
	uint64_t units[2] = { p->mem_slots[0], p->mem_slots[1] };
	pthread_mutex_unlock(&p->lock);
	kvm_sentry_mem_chunks(p, units);
	log_debug("kvm: %d Sentry mappings in guest memory", n);
	return 0;
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
