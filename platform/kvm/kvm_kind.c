/* kvm_kind.c: which kind of KVM this is, and so how application syscalls reach the host.
 *
 * Hardware KVM (VMX/SVM): a ring-3 `syscall` enters guest ring 0 at LSTAR, so LSTAR is a
 * ring-0 `hlt`. PVM (this host's kvm_pvm): a ring-3 `syscall` jumps to LSTAR but stays at
 * CPL 3, so LSTAR is a user stub whose `out` exits. Two sources decide: host facts
 * (plat_kvm_is_hardware: kvm_pvm loaded, vmx/svm flags) and a one-shot guest check made
 * when the VM is created: a tiny ring-3 program runs `syscall` with LSTAR at the ring-0
 * `hlt`; reaching it means ring-0 syscalls work. The check wins when they disagree.
 *
 * The mode (--kvm-mode, plat_kvm_set_mode) is separate from the kind: "exit" is exit per
 * trap, through LSTAR or the stub as the kind requires; "ring0" (the Sentry serving
 * traps in guest ring 0: kvm_bluepill.c, kvm_r0switch.c) needs hardware KVM and is
 * refused elsewhere; "auto" is ring0 on hardware KVM (when its guest-physical address
 * space is wide enough and the Sentry's memory could be mapped), exit elsewhere. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <string.h>

#include "lib/log.h"

#define PROBE_VA 0x10000ULL

static int g_mode; /* 0 auto, 1 exit, 2 ring0 */

int plat_kvm_set_mode(const char *mode)
{
	if (!mode || !strcmp(mode, "auto"))
		g_mode = 0;
	else if (!strcmp(mode, "exit"))
		g_mode = 1;
	else if (!strcmp(mode, "ring0"))
		g_mode = 2;
	else
		return -EINVAL;
	return 0;
}

int kvm_mode_check(const char **why)
{
	if (g_mode == 2 && !plat_kvm_is_hardware()) {
		*why = "--kvm-mode=ring0 needs hardware KVM (VMX/SVM): on PVM guest ring 0 is "
		       "interpreted";
		return -ENOSYS;
	}
	return 0;
}

bool kvm_mode_forced_ring0(void)
{
	return g_mode == 2;
}

/* 1: a user syscall reached the ring-0 LSTAR entry; 0: it faulted instead; -1: the check
 * itself failed. Runs on a vCPU of the pool, which is reset before its next use. */
static int guest_check(struct kvm_platform *p)
{
	static const uint8_t prog[] = { 0xb8, 39, 0, 0, 0, 0x0f, 0x05, 0x0f, 0x0b };
	struct plat_as *as = NULL;
	struct plat_ctx *ctx = NULL;
	struct plat_trap t;
	plat_regs_t r = { .rip = PROBE_VA, .eflags = 0x202 };
	bool hw = p->hw;
	int ret = -1;

	memcpy(kvm_r0(p, KVM_R0_PROBE_PAGE * KVM_PG), prog, sizeof(prog));
	p->hw = true; /* the vCPU's LSTAR: the ring-0 entry */
	if (kvm_as_create(&p->base, &as) == 0 &&
	    kvm_as_map_r0_page((struct kvm_as *)as, PROBE_VA, KVM_R0_PROBE_PAGE) == 0 &&
	    kvm_ctx_create(&p->base, &ctx) == 0 && kvm_switch_to(ctx, as, &r, &t) == 0)
		ret = t.kind == TRAP_SYSCALL && r.orig_rax == 39 && r.rip == PROBE_VA + 7;
	p->hw = hw;
	kvm_ctx_release(ctx);
	kvm_as_release(as);
	return ret;
}

int kvm_detect_kind(struct kvm_platform *p)
{
	const char *why = "";

	p->hw = p->kind_host; /* host facts: set by kvm_create */
	p->kind_guest = guest_check(p);
	if (p->kind_guest >= 0 && p->kind_guest != p->kind_host)
		log_warn("kvm: the host looks like %s KVM, but a guest syscall %s ring 0: "
			 "trusting the guest", p->kind_host ? "hardware" : "PVM",
			 p->kind_guest ? "reaches" : "does not reach");
	if (p->kind_guest >= 0)
		p->hw = p->kind_guest;
	for (int i = 0; i < KVM_STAT_N; i++) /* the check's exits are not the sandbox's */
		atomic_store(&p->stats[i], 0);
	/* ring0 on hardware KVM (auto too), with the 48 guest-physical bits it needs */
	p->ring0 = (g_mode == 2 || (g_mode == 0 && p->phys_bits >= 48)) && p->hw;
	log_debug("kvm: host facts: %s KVM; guest check: %s; syscalls %s",
		  p->kind_host ? "hardware" : "PVM",
		  p->kind_guest < 0 ? "failed" : p->kind_guest ? "ring-0 syscall" : "no ring-0 syscall",
		  p->hw ? "enter ring 0 through LSTAR" : "exit through the user stub");
	if (g_mode == 2 && !p->hw) {
		log_err("kvm: --kvm-mode=ring0: a guest syscall does not reach ring 0 here");
		return -ENOSYS;
	}
	return kvm_mode_check(&why) ? (log_err("kvm: %s", why), -ENOSYS) : 0;
}
