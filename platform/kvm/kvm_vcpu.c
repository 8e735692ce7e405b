/* kvm_vcpu.c: contexts (one vCPU each, bound to the creating host thread): long-mode
 * ring-0 state, per-vCPU GDT/TSS/stack, syscall MSRs, kicks and the FPU. */
#include "platform/kvm/kvm_internal.h"

#include <errno.h>
#include <sched.h>
#include <time.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/log.h"

#define MSR_STAR 0xc0000081
#define MSR_LSTAR 0xc0000082
#define MSR_CSTAR 0xc0000083
#define MSR_SFMASK 0xc0000084
/* Cleared on syscall entry (hardware KVM): TF, IF, DF, IOPL, NT, AC. */
#define SFMASK_VAL 0x47700ULL

#define CR0_PG_PE_MP_ET_NE_WP_AM 0x80050033ULL
#define CR4_PAE_OSFXSR_OSXMMEXCPT 0x620ULL
#define CR4_OSXSAVE (1ULL << 18)
#define EFER_SCE 0x1ULL
#define EFER_LME 0x100ULL
#define EFER_LMA 0x400ULL
#define EFER_NXE 0x800ULL

#define GDT_OFF 0x0
#define GDT_ENTRIES 9
#define TSS_OFF 0x100
/* The TSS is followed by an I/O permission bitmap for ports 0..127 that lets ring 3 use
 * only KVM_SYSCALL_PORT (plus the terminating 0xff byte). */
#define TSS_IOMAP 104
#define TSS_IOMAP_BYTES 16
#define TSS_LIMIT (TSS_IOMAP + TSS_IOMAP_BYTES)

static uint64_t vcpu_page(int id)
{
	return KVM_R0_VCPU_PAGE + 2ULL * (uint64_t)id;
}

/* GDT (Linux layout) and TSS whose RSP0 is the top of the vCPU's ring-0 stack. */
static void vcpu_tables(struct kvm_platform *p, int id)
{
	uint8_t *pg = kvm_r0(p, vcpu_page(id) * KVM_PG);
	uint64_t *gdt = (uint64_t *)(pg + GDT_OFF);
	uint8_t *tss = pg + TSS_OFF;
	uint64_t tss_va = KVM_KVA + vcpu_page(id) * KVM_PG + TSS_OFF;
	uint64_t rsp0 = KVM_KVA + (vcpu_page(id) + 2) * KVM_PG;

	memset(pg, 0, KVM_PG);
	gdt[2] = 0x00af9b000000ffffULL; /* 0x10 kernel code, L */
	gdt[3] = 0x00cf93000000ffffULL; /* 0x18 kernel data */
	gdt[4] = 0x00cffb000000ffffULL; /* 0x23 user code32 */
	gdt[5] = 0x00cff3000000ffffULL; /* 0x2b user data */
	gdt[6] = 0x00affb000000ffffULL; /* 0x33 user code64 */
	gdt[7] = TSS_LIMIT | ((tss_va & 0xffffff) << 16) | (0x89ULL << 40) |
		 (((tss_va >> 24) & 0xff) << 56);
	gdt[8] = tss_va >> 32;
	memcpy(tss + 4, &rsp0, 8);
	memcpy(tss + 36, &rsp0, 8); /* IST 1: the ring-0 mode IDT's stack (kvm_ring0.c) */
	memcpy(tss + 102, &(uint16_t){ TSS_IOMAP }, 2);
	memset(tss + TSS_IOMAP, 0xff, TSS_IOMAP_BYTES + 1);
	tss[TSS_IOMAP + KVM_SYSCALL_PORT / 8] &= (uint8_t)~(1u << (KVM_SYSCALL_PORT % 8));
}

static struct kvm_segment seg(uint16_t sel, uint8_t type, bool code)
{
	struct kvm_segment s = {
		.base = 0, .limit = 0xffffffff, .selector = sel, .type = type,
		.present = 1, .dpl = 0, .db = !code, .s = 1, .l = code, .g = 1,
	};
	return s;
}

static int vcpu_sregs(struct kvm_ctx *c)
{
	struct kvm_platform *p = c->p;
	struct kvm_sregs s;

	if (ioctl(c->fd, KVM_GET_SREGS, &s))
		return -errno;
	s.cs = seg(KVM_SEL_KCODE, 11, true);
	s.ss = seg(KVM_SEL_KDATA, 3, false);
	s.ds = s.es = s.fs = s.gs = seg(0, 3, false);
	s.tr = (struct kvm_segment){
		.base = KVM_KVA + vcpu_page(c->id) * KVM_PG + TSS_OFF, .limit = TSS_LIMIT,
		.selector = KVM_SEL_TSS, .type = 11, .present = 1,
	};
	s.ldt = (struct kvm_segment){ .type = 2, .present = 0, .unusable = 1 };
	s.gdt.base = KVM_KVA + vcpu_page(c->id) * KVM_PG + GDT_OFF;
	s.gdt.limit = GDT_ENTRIES * 8 - 1;
	s.idt.base = KVM_KVA + KVM_R0_IDT_PAGE * KVM_PG;
	s.idt.limit = 256 * 16 - 1;
	s.cr0 = CR0_PG_PE_MP_ET_NE_WP_AM;
	s.cr4 = CR4_PAE_OSFXSR_OSXMMEXCPT | (p->xsave ? CR4_OSXSAVE : 0);
	s.efer = EFER_SCE | EFER_LME | EFER_LMA | (p->nx ? EFER_NXE : 0);
	s.cr3 = p->kernel_pdpt; /* any table; switch_to loads the address space's */
	return ioctl(c->fd, KVM_SET_SREGS, &s) ? -errno : 0;
}

static int vcpu_msrs(struct kvm_ctx *c)
{
	struct {
		struct kvm_msrs h;
		struct kvm_msr_entry e[4];
	} m = { .h.nmsrs = 4 };
	uint64_t lstar = c->p->hw ? KVM_KVA + KVM_R0_CODE_PAGE * KVM_PG + KVM_CODE_SYSENTRY
				  : KVM_STUB_VA;

	m.e[0] = (struct kvm_msr_entry){ .index = MSR_STAR,
					 .data = (0x23ULL << 48) | ((uint64_t)KVM_SEL_KCODE << 32) };
	m.e[1] = (struct kvm_msr_entry){ .index = MSR_LSTAR, .data = lstar };
	m.e[2] = (struct kvm_msr_entry){ .index = MSR_CSTAR, .data = lstar };
	m.e[3] = (struct kvm_msr_entry){ .index = MSR_SFMASK, .data = SFMASK_VAL };
	return ioctl(c->fd, KVM_SET_MSRS, &m) == 4 ? 0 : -EIO;
}

/* With XSAVE in the guest CPUID (hardware KVM), enable every component the vCPU can
 * save, so ring 3 may use AVX as CPUID tells it. PVM offers no XSAVE: its ring 3 runs on
 * the host's XCR0 already. */
static int vcpu_xcr0(struct kvm_ctx *c)
{
	struct kvm_xcrs x = { .nr_xcrs = 1 };

	if (!c->p->xsave)
		return 0;
	x.xcrs[0].xcr = 0;
	x.xcrs[0].value = c->p->xfeatures;
	return ioctl(c->fd, KVM_SET_XCRS, &x) ? -errno : 0;
}

/* Create the vCPU: KVM cannot destroy one, so it is kept in the idle pool after use. */
static int vcpu_open(struct kvm_ctx *c)
{
	struct kvm_platform *p = c->p;

	c->fd = ioctl(p->vm_fd, KVM_CREATE_VCPU, (unsigned long)c->id);
	if (c->fd < 0)
		return -errno;
	c->run = mmap(NULL, p->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
	if (c->run == MAP_FAILED) {
		c->run = NULL;
		return -errno;
	}
	if (ioctl(c->fd, KVM_SET_CPUID2, p->cpuid))
		return -errno;
	vcpu_tables(p, c->id);
	return 0;
}

/* Put the vCPU in its initial ring-0 state with a FINIT FPU (a fresh or reused one). */
static int vcpu_reset(struct kvm_ctx *c)
{
	struct kvm_regs r = { .rflags = 2 };
	struct plat_fpu *fpu;
	int ret;

	if ((ret = vcpu_sregs(c)) || (ret = vcpu_xcr0(c)) || (ret = vcpu_msrs(c)))
		return ret;
	if (ioctl(c->fd, KVM_SET_REGS, &r))
		return -errno;
	c->run->kvm_valid_regs = KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS;
	c->run->kvm_dirty_regs = 0;
	c->run->immediate_exit = 0;
	c->started = false;
	c->in_user = false;
	c->r0_msrs = false;
	atomic_store(&c->intr, 0);
	atomic_store(&c->cur_as, NULL);
	if (c->p->ring0) /* the vCPU's FPU is the Sentry's (kvm_bluepill), the app's apart */
		return 0;
	fpu = aligned_alloc(64, sizeof(*fpu));
	if (!fpu)
		return -ENOMEM;
	plat_fpu_init(fpu);
	ret = kvm_set_fpu((struct plat_ctx *)c, fpu);
	free(fpu);
	return ret;
}

static void vcpu_close(struct kvm_platform *p, struct kvm_ctx *c)
{
	if (c->run)
		munmap(c->run, p->run_size);
	if (c->fd >= 0)
		close(c->fd);
	free(c->bp);
	free(c->r0_fpu);
	free(c);
}

/* Close every pooled vCPU (platform teardown). */
void kvm_vcpu_pool_free(struct kvm_platform *p)
{
	while (p->idle) {
		struct kvm_ctx *c = p->idle;

		p->idle = c->next;
		vcpu_close(p, c);
	}
}

/* An idle vCPU, or a new one; NULL with *err. */
static struct kvm_ctx *vcpu_get(struct kvm_platform *p, int *err)
{
	struct kvm_ctx *c;

	pthread_mutex_lock(&p->lock);
	c = p->idle;
	if (c) {
		p->idle = c->next;
	} else if (p->next_vcpu < p->max_vcpus && (c = calloc(1, sizeof(*c)))) {
		c->id = p->next_vcpu++;
		c->fd = -1;
	}
	pthread_mutex_unlock(&p->lock);
	if (!c) {
		*err = -EAGAIN;
		return NULL;
	}
	c->p = p;
	if (c->fd < 0 && (*err = vcpu_open(c))) {
		log_warn("kvm: vCPU %d creation failed: %d", c->id, *err);
		vcpu_close(p, c); /* its id stays used: KVM may hold it */
		return NULL;
	}
	return c;
}

/* tgkill, not pthread_kill: the thread may be gone, and then this is a no-op. */
static void kick(struct kvm_ctx *c)
{
	syscall(SYS_tgkill, getpid(), c->tid, KVM_KICK_SIG);
}

static void kick_handler(int sig)
{
	(void)sig; /* only here so that the signal interrupts KVM_RUN */
}

int kvm_ctx_create(struct platform *pp, struct plat_ctx **out)
{
	struct kvm_platform *p = kvm_plat(pp);
	struct sigaction sa = { .sa_handler = kick_handler };
	struct kvm_ctx *c;
	sigset_t set;
	int ret = 0;

	sigaction(KVM_KICK_SIG, &sa, NULL); /* no SA_RESTART: KVM_RUN returns EINTR */
	sigemptyset(&set);
	sigaddset(&set, KVM_KICK_SIG);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	c = vcpu_get(p, &ret);
	if (!c)
		return ret;
	c->tid = (pid_t)syscall(SYS_gettid);
	ret = vcpu_reset(c);
	if (!ret && p->ring0)
		ret = kvm_ring0_ctx_init(c);
	pthread_mutex_lock(&p->lock);
	if (ret) {
		log_warn("kvm: vCPU %d reset failed: %d", c->id, ret);
		c->next = p->idle;
		p->idle = c;
	} else {
		c->next = p->ctxs;
		p->ctxs = c;
	}
	pthread_mutex_unlock(&p->lock);
	if (!ret)
		*out = (struct plat_ctx *)c;
	return ret;
}

void kvm_ctx_release(struct plat_ctx *cc)
{
	struct kvm_ctx *c = (struct kvm_ctx *)cc;
	struct kvm_platform *p;

	if (!c)
		return;
	p = c->p;
	if (kvm_in_guest())
		kvm_redpill(); /* leave the vCPU before it goes back to the pool */
	pthread_mutex_lock(&p->lock);
	for (struct kvm_ctx **pp = &p->ctxs; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	c->next = p->idle;
	p->idle = c;
	pthread_mutex_unlock(&p->lock);
}

void kvm_interrupt(struct plat_ctx *cc)
{
	struct kvm_ctx *c = (struct kvm_ctx *)cc;

	atomic_store(&c->intr, 1);
	c->run->immediate_exit = 1; /* covers the window before KVM_RUN */
	kick(c);
}

void kvm_kick_as(struct kvm_platform *p, struct kvm_as *as)
{
	uint64_t gen = atomic_load(&as->gen);
	struct kvm_ctx *c;

	pthread_mutex_lock(&p->lock);
	for (c = p->ctxs; c; c = c->next)
		if (atomic_load(&c->cur_as) == as && atomic_load(&c->loaded_gen) != gen) {
			c->run->immediate_exit = 1; /* in case it is just entering KVM_RUN */
			kick(c);
		}
	pthread_mutex_unlock(&p->lock);
	/* Like munmap, return only once no vCPU can still use the old tables. Contexts are
	 * pooled, never freed before destroy, so the list can be walked unlocked. */
	for (c = p->ctxs; c; c = c->next) {
		struct timespec start, now;

		clock_gettime(CLOCK_MONOTONIC, &start);
		while (atomic_load(&c->cur_as) == as && atomic_load(&c->in_run) &&
		       atomic_load(&c->loaded_gen) < gen) {
			sched_yield();
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (now.tv_sec - start.tv_sec > 1) {
				log_warn("kvm: vCPU %d did not take a table change", c->id);
				break;
			}
		}
	}
}

/* The run gate. A vCPU counts itself in before it checks the gate, and the closer
 * closes it before it reads the count (both sequentially consistent), so either the vCPU
 * sees the gate closed and waits, or the closer sees it counted and kicks it out. */
int kvm_vcpu_run(struct kvm_ctx *c)
{
	struct kvm_platform *p = c->p;
	int ret, err;

	for (;;) {
		atomic_fetch_add(&p->nrun, 1);
		if (!atomic_load(&p->gate_closed))
			break;
		atomic_fetch_sub(&p->nrun, 1);
		pthread_mutex_lock(&p->run_mu);
		while (atomic_load(&p->gate_closed))
			pthread_cond_wait(&p->run_cv, &p->run_mu);
		pthread_mutex_unlock(&p->run_mu);
	}
	ret = ioctl(c->fd, KVM_RUN, 0);
	err = errno;
	atomic_fetch_sub(&p->nrun, 1);
	errno = err;
	return ret;
}

/* Kick out every vCPU past the gate. immediate_exit is set again on every round: a
 * vCPU's switch_to clears it. Ring-0 calls (no address space) are short: waited for. */
void kvm_gate_close(struct kvm_platform *p)
{
	struct timespec pause = { .tv_nsec = 20000 };

	atomic_store(&p->gate_closed, true);
	for (unsigned i = 0; atomic_load(&p->nrun); i++) {
		if (i % 16 == 0)
			for (struct kvm_ctx *c = p->ctxs; c; c = c->next) {
				if (!atomic_load(&c->cur_as))
					continue;
				c->run->immediate_exit = 1;
				if (atomic_load(&c->in_run))
					kick(c);
			}
		nanosleep(&pause, NULL);
	}
}

void kvm_gate_open(struct kvm_platform *p)
{
	pthread_mutex_lock(&p->run_mu);
	atomic_store(&p->gate_closed, false);
	pthread_cond_broadcast(&p->run_cv);
	pthread_mutex_unlock(&p->run_mu);
}

#define XSTATE_BV_OFF 512
#define X87_SSE 3ULL

int kvm_get_fpu(struct plat_ctx *cc, struct plat_fpu *fpu)
{
	struct kvm_ctx *c = (struct kvm_ctx *)cc;
	struct kvm_xsave *x = calloc(1, sizeof(*x));
	unsigned n = plat_fpu_size();
	int ret = 0;

	if (c->p->ring0) {
		free(x);
		kvm_ring0_get_fpu(c, fpu);
		return 0;
	}
	if (!x)
		return -ENOMEM;
	if (ioctl(c->fd, KVM_GET_XSAVE, x)) {
		ret = -errno;
	} else {
		memset(fpu->data, 0, n);
		memcpy(fpu->data, x->region, n < sizeof(x->region) ? n : sizeof(x->region));
	}
	free(x);
	return ret;
}

int kvm_set_fpu(struct plat_ctx *cc, const struct plat_fpu *fpu)
{
	struct kvm_ctx *c = (struct kvm_ctx *)cc;
	struct kvm_xsave *x = calloc(1, sizeof(*x));
	unsigned n = plat_fpu_size();
	uint64_t bv = X87_SSE;
	int ret = 0;

	if (c->p->ring0) {
		free(x);
		kvm_ring0_set_fpu(c, fpu);
		return 0;
	}
	if (!x)
		return -ENOMEM;
	memcpy(x->region, fpu->data, n < sizeof(x->region) ? n : sizeof(x->region));
	/* Standard format; keep the components the vCPU has (AVX and AVX-512 included:
	 * guest user code runs on the host's XCR0 under PVM), drop any others. */
	if (n > XSTATE_BV_OFF)
		memcpy(&bv, fpu->data + XSTATE_BV_OFF, 8);
	bv &= c->p->xfeatures;
	memset((uint8_t *)x->region + XSTATE_BV_OFF, 0, 64); /* XCOMP_BV 0: standard */
	memcpy((uint8_t *)x->region + XSTATE_BV_OFF, &bv, 8);
	if (ioctl(c->fd, KVM_SET_XSAVE, x))
		ret = -errno;
	free(x);
	return ret;
}
