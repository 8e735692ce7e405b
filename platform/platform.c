/* platform.c: backend registry, `--platform` selection, and the FPU area layout. */
#include "platform/platform.h"

#include <cpuid.h>
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

#include "lib/log.h"
#include "lib/util.h"

/* Every backend a user may name. The stub is last: it runs nothing and is never chosen
 * by `auto`. */
static const struct platform_ops *const g_backends[] = {
	&plat_ptrace_ops,
	&plat_systrap_ops,
	&plat_kvm_ops,
	&plat_stub_ops,
};

/* What `auto` tries, best first. On hardware KVM kvm will lead (added when it exists);
 * systrap beats ptrace everywhere it runs (~3 us against ~11 us a syscall here). */
static const struct platform_ops *const g_auto_order[] = {
	&plat_systrap_ops,
	&plat_ptrace_ops,
};

const struct platform_ops *plat_find(const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(g_backends); i++)
		if (strcmp(g_backends[i]->name, name) == 0)
			return g_backends[i];
	return NULL;
}

static const struct platform_ops *choose_auto(const char **why)
{
	const char *probe_why = "no platform can run here";
	const char *kvm_why = NULL;

	/* Hardware KVM (VMX/SVM) leads; PVM is slower than systrap here, so never auto. */
	if (plat_kvm_is_hardware()) {
		if (plat_kvm_ops.probe(&kvm_why) == 0 && plat_kvm_try_vm(&kvm_why) == 0) {
			*why = "auto: hardware KVM";
			return &plat_kvm_ops;
		}
		log_info("platform kvm unavailable: %s", kvm_why ? kvm_why : "?");
	}

	for (size_t i = 0; i < ARRAY_SIZE(g_auto_order); i++) {
		const struct platform_ops *ops = g_auto_order[i];
		const char *reason = NULL;

		if (ops->probe(&reason) == 0) {
			*why = i == 0 ? "auto: the fastest platform that works on this host"
				      : "auto: faster platforms cannot run here (see the info log)";
			log_debug("platform %s: %s", ops->name, reason ? reason : "ok");
			return ops;
		}
		log_info("platform %s unavailable: %s", ops->name, reason ? reason : "?");
		probe_why = reason ? reason : probe_why;
	}
	*why = probe_why;
	return NULL;
}

static int g_stub_root = -1;

void plat_set_stub_root(int dirfd)
{
	g_stub_root = dirfd;
}

int plat_stub_root(void)
{
	return g_stub_root;
}

const struct platform_ops *plat_choose(const char *requested, const char **why)
{
	const struct platform_ops *ops;
	const char *reason = NULL;
	const char *dummy;

	if (!why)
		why = &dummy;
	if (!requested || strcmp(requested, "auto") == 0)
		return choose_auto(why);
	ops = plat_find(requested);
	if (!ops) {
		*why = "unknown platform name";
		return NULL;
	}
	if (ops->probe(&reason) != 0) {
		*why = reason ? reason : "platform probe failed";
		return NULL;
	}
	*why = "requested by --platform";
	return ops;
}

/* CPUID.1:ECX bits: XSAVE supported, and the OS enabled it (XCR0 is usable). */
#define CPUID1_ECX_XSAVE (1u << 26)
#define CPUID1_ECX_OSXSAVE (1u << 27)
#define FXSAVE_SIZE 512u

static unsigned fpu_size_cpuid(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid(1, &a, &b, &c, &d))
		return FXSAVE_SIZE;
	if ((c & (CPUID1_ECX_XSAVE | CPUID1_ECX_OSXSAVE)) !=
	    (CPUID1_ECX_XSAVE | CPUID1_ECX_OSXSAVE))
		return FXSAVE_SIZE;
	/* Leaf 0xD subleaf 0, EBX: the standard-format size for the features enabled in
	 * XCR0, which is what the kernel's ptrace XSTATE regset uses. */
	if (!__get_cpuid_count(0xd, 0, &a, &b, &c, &d) || b < FXSAVE_SIZE)
		return FXSAVE_SIZE;
	if (b > PLAT_FPU_MAX) {
		log_warn("XSAVE area of %u bytes exceeds PLAT_FPU_MAX %u", b, PLAT_FPU_MAX);
		return PLAT_FPU_MAX;
	}
	return b;
}

/* Asked on every signal frame, fork and exec: CPUID is a VM exit inside a VM (four of
 * them here), and the answer never changes, so it is computed once. */
unsigned plat_fpu_size(void)
{
	static _Atomic unsigned size;
	unsigned n = atomic_load_explicit(&size, memory_order_relaxed);

	if (!n) {
		n = fpu_size_cpuid();
		atomic_store_explicit(&size, n, memory_order_relaxed);
	}
	return n;
}

/* Offsets in the FXSAVE/XSAVE image. */
#define FPU_OFF_FCW 0
#define FPU_OFF_MXCSR 24
#define FPU_OFF_XSTATE_BV 512
#define XFEATURE_X87_SSE 0x3ull

void plat_fpu_init(struct plat_fpu *fpu)
{
	uint16_t fcw = 0x37f;	  /* all x87 exceptions masked, 64-bit precision */
	uint32_t mxcsr = 0x1f80; /* all SSE exceptions masked, round to nearest */

	memset(fpu->data, 0, sizeof(fpu->data));
	memcpy(fpu->data + FPU_OFF_FCW, &fcw, sizeof(fcw));
	memcpy(fpu->data + FPU_OFF_MXCSR, &mxcsr, sizeof(mxcsr));
	if (plat_fpu_size() > FXSAVE_SIZE) {
		/* Mark x87 and SSE as present so XRSTOR takes FCW from the image. */
		uint64_t bv = XFEATURE_X87_SSE;
		memcpy(fpu->data + FPU_OFF_XSTATE_BV, &bv, sizeof(bv));
	}
}
