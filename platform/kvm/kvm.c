/* kvm.c: the KVM platform: probe, VM creation, seccomp needs, the ops table.
 *
 * Design (exit per trap). One VM per sandbox. Guest-physical memory is: the ring-0 area
 * (slot 0: IDT, handler code, the user syscall stub, per-vCPU GDT/TSS/stack), a pool of
 * page-table pages (slot 1), and the Sentry's memory file from KVM_MEM_GPA in slots
 * registered on first use (64 MiB ones in its first GiB, then 1 GiB ones; the memfd
 * mapped MAP_SHARED by create()). Every address space
 * has its own 4-level table: application pages in the lower half with the User bit, and
 * the ring-0 area at KVM_KVA (PML4 slot 511, supervisor only) shared by all. Each context
 * owns a vCPU while it lives, bound to the thread that created it; KVM cannot destroy a
 * vCPU, so released ones wait in an idle pool for the next ctx_create.
 *
 * Application code runs in ring 3, and every trap exits to the Sentry thread at once;
 * registers travel through KVM_CAP_SYNC_REGS, never through register ioctls.
 * - A `syscall` goes to LSTAR. On PVM (this host's kvm_pvm) it stays at CPL 3 there, so
 *   LSTAR is a read-only user stub page (KVM_STUB_VA) holding `out %al, $port`: the TSS
 *   I/O bitmap lets ring 3 use that one port, so the vCPU exits (KVM_EXIT_IO) without
 *   entering ring 0, and returns by just getting the app's registers back. (int3 follows
 *   as a fallback: a #GP on the `out` or the #BP at stub + 3 are decoded as syscalls.)
 *   On hardware KVM, LSTAR is a ring-0 `hlt`.
 * - Exceptions reach ring-0 handlers that are one `hlt` each: on PVM ring-0 code is
 *   interpreted (~0.6 us an instruction), so one instruction is the budget. The vector
 *   comes from where the vCPU halted, the iret frame from the ring-0 stack (host
 *   memory), CR2 from the synced sregs. The way back is an iretq from a frame the host
 *   wrote. vmcall is never used (it never completes on PVM).
 * Page tables are written by the host, so under shadow paging a loaded table may only
 * gain entries; any other change copies the path to fresh pages and loads a new root
 * (kvm_pt.c), which on hardware KVM also flushes the TLB. interrupt() sets
 * immediate_exit and signals the context's thread (tgkill); a table change kicks the
 * contexts running the address space the same way and waits until each has loaded the
 * new root, as munmap must.
 *
 * Measured here (PVM, 2 busy cores): a getpid round trip through switch_to is ~26 us,
 * of which ~25 us is the bare `out` exit and re-entry; under `runsc do` ~37-45 us
 * (ptrace ~16-22 us at the same time). It passes the syscall suite and runs busybox,
 * bash and python3. The hardware path passes platform/kvm/tcg/run.sh (nested TCG-SVM).
 *
 * FPU: the vCPU keeps the application's whole XSAVE state (x87, SSE, AVX, AVX-512: every
 * component of CPUID 0xd that fits KVM_SET_XSAVE). On PVM ring 3 runs on the host's XCR0
 * (the guest CPUID has no XSAVE, yet apps see and use AVX); on hardware KVM CR4.OSXSAVE
 * and XCR0 are set from the guest CPUID.
 *
 * `int $0x80` is a syscall of the i386 ABI (PLAT_ENTRY_INT80): its DPL-3 gate on hardware
 * KVM; on PVM it raises #UD, recognized by the instruction's bytes.
 *
 * Missing: the ring-0 Sentry (bluepill, issue 7; README.md here has what exists and the
 * plan), so every syscall costs a VM exit; PCID (neither this host nor TCG offers it); AMX
 * state; CPUID faulting; huge pages; an app `out` to the syscall port is reported as a
 * #GP SIGSEGV whose RIP is past the instruction; one vCPU per thread, capped at
 * KVM_MAX_VCPUS (1020) or KVM's own limit (ctx_create then fails with EAGAIN), so a
 * sandbox has at most that many threads. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

bool plat_kvm_is_hardware(void)
{
	FILE *f;
	char line[4096];
	bool hw = false;

	if (access("/sys/module/kvm_pvm", F_OK) == 0)
		return false;
	f = fopen("/proc/cpuinfo", "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "flags", 5) == 0) {
			hw = strstr(line, " vmx") || strstr(line, " svm");
			break;
		}
	fclose(f);
	return hw;
}

static int kvm_open_checked(const char **why)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		*why = errno == ENOENT ? "no /dev/kvm" : "cannot open /dev/kvm";
		return -errno;
	}
	if (ioctl(fd, KVM_GET_API_VERSION, 0) != KVM_API_VERSION) {
		*why = "unsupported KVM API version";
		goto fail;
	}
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_SYNC_REGS) <= 0) {
		*why = "KVM lacks KVM_CAP_SYNC_REGS";
		goto fail;
	}
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_IMMEDIATE_EXIT) <= 0) {
		*why = "KVM lacks KVM_CAP_IMMEDIATE_EXIT";
		goto fail;
	}
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_XSAVE) <= 0) {
		*why = "KVM lacks KVM_CAP_XSAVE";
		goto fail;
	}
	if (ioctl(fd, KVM_CHECK_EXTENSION, KVM_CAP_NR_MEMSLOTS) < KVM_SLOT_MEM0 + KVM_MEM_UNITS) {
		*why = "KVM offers too few memory slots";
		goto fail;
	}
	return fd;
fail:
	close(fd);
	return -ENODEV;
}

/* /dev/kvm's checks, without a VM: making one only to close it costs a VM teardown (an
 * SRCU grace period for the MMU notifier, 0.3-4 ms on this PVM host), and runsc probes
 * before it starts the sandbox, whose Sentry probes right before it creates the real VM.
 * A KVM_CREATE_VM that fails there fails create() with a clear error; `auto` instead
 * tries a VM first (plat_kvm_try_vm), so that it can fall back to another platform. */
static int kvm_probe(const char **why)
{
	int fd;

	if (kvm_mode_check(why))
		return -ENOSYS;
	fd = kvm_open_checked(why);
	if (fd < 0)
		return fd;
	close(fd);
	*why = plat_kvm_is_hardware() ? "hardware KVM" : "PVM (software KVM): exit per trap";
	return 0;
}

int plat_kvm_try_vm(const char **why)
{
	int fd = kvm_open_checked(why), vm;

	if (fd < 0)
		return fd;
	vm = ioctl(fd, KVM_CREATE_VM, 0);
	close(fd);
	if (vm < 0) {
		*why = "KVM_CREATE_VM failed";
		return -ENODEV;
	}
	close(vm);
	return 0;
}

/* KVM_GET_SUPPORTED_CPUID, growing the table until it fits. On a host that is itself a
 * VM every CPUID leaf KVM reads exits to the outer hypervisor: ~0.3 ms here, so create()
 * runs it on a thread of its own while it makes the VM and its memory (cpuid_start). */
static int cpuid_fetch(int kvm_fd, struct kvm_cpuid2 **out)
{
	struct kvm_cpuid2 *c;
	int n = 256;

	for (;;) {
		c = calloc(1, sizeof(*c) + (size_t)n * sizeof(c->entries[0]));
		if (!c)
			return -ENOMEM;
		c->nent = (uint32_t)n;
		if (ioctl(kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			break;
		free(c);
		if (errno != E2BIG || n > 4096)
			return -errno;
		n *= 2;
	}
	*out = c;
	return 0;
}

struct cpuid_job {
	pthread_t th;
	bool started;
	int kvm_fd, err;
	struct kvm_cpuid2 *cpuid;
};

static void *cpuid_thread(void *arg)
{
	struct cpuid_job *j = arg;

	j->err = cpuid_fetch(j->kvm_fd, &j->cpuid);
	return NULL;
}

static void cpuid_start(struct cpuid_job *j, int kvm_fd)
{
	j->kvm_fd = kvm_fd;
	j->started = pthread_create(&j->th, NULL, cpuid_thread, j) == 0;
}

/* The supported CPUID (fetched here if the thread could not start), and what the
 * platform reads from it. */
static int cpuid_finish(struct kvm_platform *p, struct cpuid_job *j)
{
	if (j->started)
		pthread_join(j->th, NULL);
	else
		j->err = cpuid_fetch(p->kvm_fd, &j->cpuid);
	j->started = false;
	if (j->err)
		return j->err;
	p->cpuid = j->cpuid;
	p->xfeatures = 3; /* x87 and SSE, always */
	for (uint32_t i = 0; i < p->cpuid->nent; i++) {
		struct kvm_cpuid_entry2 *e = &p->cpuid->entries[i];

		if (e->function == 0x80000001)
			p->nx = e->edx & (1u << 20);
		if (e->function == 1)
			p->xsave = e->ecx & (1u << 26);
		/* Components that fit KVM_SET_XSAVE's 4 KiB (not AMX's tiles, bits 17-18). */
		if (e->function == 0x80000008)
			p->phys_bits = (int)(e->eax & 0xff);
		if (e->function == 0xd && e->index == 0)
			p->xfeatures |= (e->eax | ((uint64_t)e->edx << 32)) & 0x1ffffULL;
	}
	return 0;
}

/* The memory file at a 1 GiB-aligned address, so that its host addresses and its
 * guest-physical chunks agree modulo large pages (the kernel table maps it with them). */
static void *map_aligned(int memfd, uint64_t size)
{
	uint8_t *r = mmap(NULL, size + KVM_MEM_CHUNK, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uint8_t *a;

	if (r == MAP_FAILED)
		return r;
	a = (uint8_t *)(((uintptr_t)r + KVM_MEM_CHUNK - 1) & ~(uintptr_t)(KVM_MEM_CHUNK - 1));
	if (mmap(a, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE | MAP_FIXED, memfd,
		 0) == MAP_FAILED) {
		munmap(r, size + KVM_MEM_CHUNK);
		return MAP_FAILED;
	}
	if (a > r)
		munmap(r, (size_t)(a - r));
	munmap(a + size, (size_t)(r + KVM_MEM_CHUNK - a));
	return a;
}

static void kvm_destroy(struct platform *pp)
{
	struct kvm_platform *p = kvm_plat(pp);

	if (!p)
		return;
	if (kvm_in_guest())
		kvm_redpill();
	kvm_vcpu_pool_free(p);
	if (p->maps_fd >= 0)
		close(p->maps_fd);
	if (p->kas)
		kvm_as_release((struct plat_as *)p->kas);
	if (p->vm_fd >= 0)
		close(p->vm_fd);
	if (p->kvm_fd >= 0)
		close(p->kvm_fd);
	kvm_pt_fini(p);
	if (p->r0)
		munmap(p->r0, KVM_R0_SIZE);
	if (p->mem)
		munmap(p->mem, p->mem_size);
	free(p->cpuid);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->sentry_lock);
	pthread_mutex_destroy(&p->run_mu);
	pthread_cond_destroy(&p->run_cv);
	free(p);
}

/* The sandbox is over: close the VM now if no context or address space is left. At
 * process exit the kernel would tear it down after the Sentry's memory, paying an extra
 * SRCU grace period (the MMU notifier's release, then its unregistration), all before
 * the parent sees the exit: a VM closed first left the exit 0.5-1 ms sooner (median, a
 * loaded 2-core PVM host). Memory stays mapped: a late caller fails on the closed fds. */
static void kvm_sandbox_done(struct platform *pp)
{
	struct kvm_platform *p = kvm_plat(pp);
	int vm, kvm;

	if (p->ring0)
		return; /* Sentry threads may still be in guest mode: closed at exit */
	pthread_mutex_lock(&p->lock);
	if (p->ctxs || atomic_load(&p->nas) > (p->kas ? 1 : 0)) {
		pthread_mutex_unlock(&p->lock);
		log_debug("kvm: the VM is still in use: closed at exit");
		return;
	}
	kvm_vcpu_pool_free(p);
	p->max_vcpus = 0; /* no new vCPU either */
	vm = p->vm_fd, kvm = p->kvm_fd;
	p->vm_fd = p->kvm_fd = -1;
	pthread_mutex_unlock(&p->lock);
	if (vm >= 0)
		close(vm);
	if (kvm >= 0)
		close(kvm);
}

static int kvm_create(int memfd, struct platform **out)
{
	struct kvm_platform *p = calloc(1, sizeof(*p));
	struct cpuid_job cj = { .started = false };
	const char *why = "";
	struct stat st;
	int ret;

	if (!p)
		return -ENOMEM;
	p->base.ops = &plat_kvm_ops;
	p->vm_fd = -1;
	p->maps_fd = -1;
	p->memfd = memfd;
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->sentry_lock, NULL);
	pthread_mutex_init(&p->run_mu, NULL);
	pthread_cond_init(&p->run_cv, NULL);
	p->kvm_fd = kvm_open_checked(&why);
	if (p->kvm_fd < 0) {
		log_err("kvm: %s", why);
		ret = p->kvm_fd;
		goto fail;
	}
	cpuid_start(&cj, p->kvm_fd);
	p->vm_fd = ioctl(p->kvm_fd, KVM_CREATE_VM, 0);
	if (p->vm_fd < 0) {
		ret = -errno;
		log_err("kvm: KVM_CREATE_VM failed: %s", strerror(errno));
		goto fail;
	}
	ret = ioctl(p->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (ret <= 0) {
		ret = -errno;
		goto fail;
	}
	p->run_size = (size_t)ret;
	ret = ioctl(p->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MAX_VCPUS);
	p->max_vcpus = ret > 0 && ret < KVM_MAX_VCPUS ? ret : KVM_MAX_VCPUS;
	if (fstat(memfd, &st)) {
		ret = -errno;
		goto fail;
	}
	p->mem_size = (uint64_t)st.st_size & ~(KVM_PG - 1);
	p->mem = map_aligned(memfd, p->mem_size);
	p->r0 = mmap(NULL, KVM_R0_SIZE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p->mem == MAP_FAILED || p->r0 == MAP_FAILED) {
		ret = -errno;
		if (p->mem == MAP_FAILED)
			p->mem = NULL;
		if (p->r0 == MAP_FAILED)
			p->r0 = NULL;
		goto fail;
	}
	kvm_r0_build(p);
	kvm_ring0_install(p);
	p->kind_host = plat_kvm_is_hardware(); /* kvm_pt_init sizes the pool slot by it */
	if ((ret = kvm_set_slot(p, KVM_SLOT_R0, KVM_R0_GPA, KVM_R0_SIZE, p->r0)) ||
	    (ret = cpuid_finish(p, &cj)) || (ret = kvm_pt_init(p)) || (ret = kvm_detect_kind(p)))
		goto fail;
	if (p->ring0) { /* before the seccomp walls: the maps file stays open for later */
		atomic_store(&p->vdso_ok, true); /* until a vCPU's TSC cannot follow the host's */
		p->maps_fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
		if (p->maps_fd < 0 || (ret = kvm_sentry_map_all(p))) {
			ret = p->maps_fd < 0 ? -errno : ret;
			if (kvm_mode_forced_ring0())
				goto fail;
			log_warn("kvm: ring-0 mode unavailable (%d): exit per trap", ret);
			p->ring0 = false;
		}
	}
	log_debug("kvm: mode %s", p->ring0 ? "ring0 (traps served in guest ring 0)"
					  : "exit (a VM exit per trap)");
	log_debug("kvm: VM created (%s, NX %d, memory file %llu MiB)",
		  p->hw ? "hardware" : "PVM", p->nx, (unsigned long long)(p->mem_size >> 20));
	*out = &p->base;
	return 0;
fail:
	log_err("kvm: create failed: %d", ret);
	if (cj.started) /* the thread uses the kvm fd: joined before it closes */
		pthread_join(cj.th, NULL);
	free(cj.cpuid == p->cpuid ? NULL : cj.cpuid);
	kvm_destroy(&p->base);
	return ret;
}

#define ALLOW(name, ...)                                                                   \
	do {                                                                               \
		ret = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(name), __VA_ARGS__);   \
		if (ret)                                                                   \
			return ret;                                                        \
	} while (0)

static int kvm_add_seccomp_rules(struct platform *p, void *scmp_ctx)
{
	scmp_filter_ctx ctx = scmp_ctx;
	int ret;

	(void)p;
	ALLOW(ioctl, 0);	/* KVM_RUN, KVM_CREATE_VCPU, sregs/xsave/slots (fd-specific) */
	ALLOW(tgkill, 0);	/* interrupt(): kick a vCPU thread */
	ALLOW(rt_sigaction, 0); /* the kick signal's handler, per context */
	ALLOW(rt_sigprocmask, 0); /* unblock the kick signal on a context's thread */
	ALLOW(mmap, 0);		/* map a new vCPU's kvm_run */
	ALLOW(munmap, 0);
	ALLOW(getpid, 0);	/* pthread_kill */
	ALLOW(gettid, 0);
	return 0;
}

const struct platform_ops plat_kvm_ops = {
	.name = "kvm",
	.probe = kvm_probe,
	.create = kvm_create,
	.add_seccomp_rules = kvm_add_seccomp_rules,
	.as_create = kvm_as_create,
	.as_release = kvm_as_release,
	.as_map = kvm_as_map,
	.as_unmap = kvm_as_unmap,
	.as_protect = kvm_as_protect,
	.ctx_create = kvm_ctx_create,
	.ctx_release = kvm_ctx_release,
	.switch_to = kvm_switch_to,
	.interrupt = kvm_interrupt,
	.get_fpu = kvm_get_fpu,
	.set_fpu = kvm_set_fpu,
	.destroy = kvm_destroy,
	.sandbox_done = kvm_sandbox_done,
	.debug_stats = kvm_debug_stats,
};
