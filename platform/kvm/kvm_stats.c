/* kvm_stats.c: VM exits counted by reason, for the debug log and tests: where the time of
 * a workload goes on this platform (every exit costs a round trip through host KVM). */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <stdio.h>

static const char *const g_vec_names[32] = {
	"#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "vec9", "#TS", "#NP",
	"#SS", "#GP", "#PF", "vec15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

static const char *const g_names[KVM_STAT_N - 32] = {
	[KVM_STAT_INT80 - 32] = "int80",
	[KVM_STAT_SYSCALL_IO - 32] = "syscall (out)",
	[KVM_STAT_SYSCALL_HLT - 32] = "syscall (hlt)",
	[KVM_STAT_KICK - 32] = "kick",
	[KVM_STAT_RING0_RET - 32] = "ring0-call return",
	[KVM_STAT_R0_REDPILL - 32] = "redpill",
	[KVM_STAT_R0_SYSCALL - 32] = "ring-0 host syscall",
	[KVM_STAT_R0_FAULT - 32] = "ring-0 fault",
	[KVM_STAT_OTHER - 32] = "other",
};

/* The handler the vCPU halted in, as a stat index. */
static int halt_reason(struct kvm_ctx *c)
{
	uint64_t code = KVM_KVA + KVM_R0_CODE_PAGE * KVM_PG;
	uint64_t off = c->run->s.regs.regs.rip - 1 - code;

	if (off == KVM_CODE_SYSENTRY)
		return KVM_STAT_SYSCALL_HLT;
	if (off == KVM_CODE_INT80)
		return KVM_STAT_INT80;
	if (off == KVM_CODE_RING0_RET)
		return KVM_STAT_RING0_RET;
	if (off % KVM_CODE_VEC_STRIDE == 0 && off / KVM_CODE_VEC_STRIDE < KVM_CODE_NVEC)
		return (int)(off / KVM_CODE_VEC_STRIDE);
	return KVM_STAT_OTHER;
}

void kvm_stats_count(struct kvm_ctx *c, int ret, int err)
{
	struct kvm_run *run = c->run;
	int r = KVM_STAT_OTHER;

	if ((ret < 0 && err == EINTR) || (ret == 0 && run->exit_reason == KVM_EXIT_INTR))
		r = KVM_STAT_KICK;
	else if (ret == 0 && run->exit_reason == KVM_EXIT_HLT)
		r = halt_reason(c);
	else if (ret == 0 && run->exit_reason == KVM_EXIT_IO && run->io.port == KVM_SYSCALL_PORT &&
		 run->s.regs.regs.rip == KVM_STUB_VA + 2)
		r = KVM_STAT_SYSCALL_IO;
	atomic_fetch_add_explicit(&c->p->stats[r], 1, memory_order_relaxed);
}

size_t kvm_debug_stats(struct platform *pp, char *buf, size_t size)
{
	struct kvm_platform *p = kvm_plat(pp);
	uint64_t v[KVM_STAT_N], total = 0;
	const char *sep = ";";
	size_t n;

	if (!size)
		return 0;
	for (int i = 0; i < KVM_STAT_N; i++)
		total += v[i] = atomic_load(&p->stats[i]);
	n = (size_t)snprintf(buf, size, "kvm exits: %llu", (unsigned long long)total);
	for (int i = 0; i < KVM_STAT_N && n < size; i++) {
		const char *name = i < 32 ? g_vec_names[i] : g_names[i - 32];

		if (!v[i])
			continue;
		if (name)
			n += (size_t)snprintf(buf + n, size - n, "%s %s %llu", sep, name,
					      (unsigned long long)v[i]);
		else
			n += (size_t)snprintf(buf + n, size - n, "%s vec%d %llu", sep, i,
					      (unsigned long long)v[i]);
		sep = ",";
	}
	for (int k = 0, last = -1; k < 3 && n < size; k++) { /* ring-0 mode: the top host syscalls */
		int best = -1;

		for (int i = 0; i < 512; i++)
			if (p->r0_sys[i] && (best < 0 || p->r0_sys[i] > p->r0_sys[best]) &&
			    (last < 0 || p->r0_sys[i] < p->r0_sys[last] ||
			     (p->r0_sys[i] == p->r0_sys[last] && i > last)))
				best = i;
		if (best < 0)
			break;
		n += (size_t)snprintf(buf + n, size - n, "%s host syscall %d: %u", k ? "," : ";",
				      best, (unsigned)p->r0_sys[best]);
		last = best;
	}
	if (n < size) /* pool slot flips: recycling of freed page tables (kvm_pt.c) */
		n += (size_t)snprintf(buf + n, size - n, "; page-table flips %llu",
				      (unsigned long long)atomic_load(&p->flips));
	return n < size ? n : size - 1;
}
