/* platform.h: the contract between the Sentry and a platform (ptrace, systrap, kvm, stub).
 *
 * A platform runs application code and returns to the Sentry at every trap: a syscall, a
 * fault, or an interrupt requested by the Sentry. The Sentry owns all application memory
 * (the memory file, one memfd); a platform only maps ranges of that file into application
 * address spaces. Every entry returns 0 or a negative Linux errno unless it says otherwise.
 *
 * Threading: a `plat_ctx` belongs to the host thread that created it; only that thread may
 * call switch_to/get_fpu/set_fpu on it. Address-space operations (map/unmap/protect) may be
 * called from any thread; the Sentry serializes them per address space (the mm lock).
 */
#ifndef RUNSC_PLATFORM_H
#define RUNSC_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/user.h>

struct platform;
struct plat_as;	 /* one application address space */
struct plat_ctx; /* one application thread's execution context, bound to a host thread */

/* Register file of an application thread: the x86-64 user_regs_struct as ptrace sees it,
 * including orig_rax (the syscall number at a syscall trap), fs_base and gs_base. */
typedef struct user_regs_struct plat_regs_t;

/* FPU/SSE/AVX state in the standard XSAVE layout (the first 512 bytes are FXSAVE). The size
 * used is plat_fpu_size(); the buffer is 64-byte aligned. */
#define PLAT_FPU_MAX 16384 /* room for AMX-sized XSAVE areas */
struct plat_fpu {
	uint8_t data[PLAT_FPU_MAX];
} __attribute__((aligned(64)));

enum plat_trap_kind {
	TRAP_SYSCALL = 1, /* regs.orig_rax holds the number, regs.rip is past the instruction */
	TRAP_FAULT,	  /* a synchronous fault: see signo/code/addr */
	TRAP_INTERRUPT,	  /* plat_interrupt() was called, or a host signal must be looked at */
};

/* Access type bits for faults. */
#define PLAT_ACCESS_READ 1
#define PLAT_ACCESS_WRITE 2
#define PLAT_ACCESS_EXEC 4

struct plat_trap {
	enum plat_trap_kind kind;
	int signo;	 /* TRAP_FAULT: SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP */
	int code;	 /* TRAP_FAULT: si_code as the host reported it (SEGV_MAPERR...) */
	uint64_t addr;	 /* TRAP_FAULT: si_addr (faulting data address for SIGSEGV/SIGBUS) */
	int access;	 /* TRAP_FAULT SIGSEGV: PLAT_ACCESS_* if known, else 0 */
	int trapno;	 /* TRAP_FAULT: the x86 exception vector if known, else -1 */
	int entry;	 /* TRAP_SYSCALL: PLAT_ENTRY_* */
};

/* How a TRAP_SYSCALL entered. `int $0x80` runs the i386 ABI even from 64-bit code, as
 * on Linux with IA32 emulation: number in eax, arguments in ebx, ecx, edx, esi, edi, ebp;
 * rip is past the 2-byte instruction either way. A platform that cannot tell leaves
 * UNKNOWN and the Sentry looks at the instruction before rip. */
#define PLAT_ENTRY_UNKNOWN 0
#define PLAT_ENTRY_SYSCALL 1 /* `syscall` */
#define PLAT_ENTRY_INT80 2   /* `int $0x80` */

/* Protection bits are PROT_READ/PROT_WRITE/PROT_EXEC from <sys/mman.h>. */

struct platform_ops {
	const char *name;

	/* Probe whether this platform can run here. Returns 0 or -errno with *why set to a
	 * static string for the log ("no /dev/kvm", "ptrace not permitted"...). Cheap. */
	int (*probe)(const char **why);

	/* Create the platform instance. memfd is the Sentry's memory file; the platform keeps
	 * it (the caller must not close it while the platform lives). Called once, before
	 * the Sentry installs its seccomp filter, so it may do set-up that needs syscalls
	 * the filter forbids later. */
	int (*create)(int memfd, struct platform **out);

	/* Extra syscalls this platform needs the Sentry's seccomp allowlist to permit.
	 * Adds rules to the libseccomp context `scmp_ctx` (a scmp_filter_ctx). */
	int (*add_seccomp_rules)(struct platform *p, void *scmp_ctx);

	/* Address spaces. as_create returns an empty address space (no application
	 * mappings). as_release frees it: every context that last ran in it must have been
	 * released or switched away. */
	int (*as_create)(struct platform *p, struct plat_as **out);
	void (*as_release)(struct plat_as *as);

	/* Map [addr, addr+size) to memory-file bytes [file_off, file_off+size) with prot,
	 * replacing whatever was mapped there (MAP_FIXED semantics). addr, size and file_off
	 * are page aligned; addr+size is below the application address limit. MAP_SHARED:
	 * the Sentry implements copy-on-write itself by mapping read-only and handling the
	 * write fault. */
	int (*as_map)(struct plat_as *as, uint64_t addr, uint64_t size, uint64_t file_off,
		      int prot);
	/* Remove any mapping in [addr, addr+size); a later access faults (SEGV_MAPERR). */
	int (*as_unmap)(struct plat_as *as, uint64_t addr, uint64_t size);
	/* Change protection of mapped pages in the range (unmapped pages stay unmapped). */
	int (*as_protect)(struct plat_as *as, uint64_t addr, uint64_t size, int prot);
	/* Optional (NULL: nothing to gain). Between as_batch_begin and as_batch_end, unmap
	 * and protect may take effect as late as as_batch_end, which applies everything
	 * before it returns (0 or the first error). For a run of changes that each cost a
	 * round trip to the address space (fork write-protecting every private VMA). */
	void (*as_batch_begin)(struct plat_as *as);
	int (*as_batch_end)(struct plat_as *as);
	/* Optional (NULL: exec always makes a new address space). Remove every application
	 * mapping, leaving an address space that is empty as as_create's but keeps what
	 * was costly to make (systrap: the stub process and its threads). The Sentry calls
	 * it at execve on the old image's address space when no other task uses it, and
	 * gives it to the new image. Returns 0, or -errno (the Sentry then releases it). */
	int (*as_reset)(struct plat_as *as);

	/* Contexts. ctx_create binds a new context to the calling host thread. */
	int (*ctx_create)(struct platform *p, struct plat_ctx **out);
	void (*ctx_release)(struct plat_ctx *ctx);

	/* Run application code in `as` with `regs` until it traps, then store the new
	 * registers in *regs and what happened in *trap. Returns 0, or -errno when the
	 * platform itself failed (the Sentry then kills the task's thread group with
	 * SIGKILL and logs it). The FPU state stays with the context between calls: a
	 * context that switches to a different address space carries its FPU state along.
	 * Must be called on the context's own host thread. */
	int (*switch_to)(struct plat_ctx *ctx, struct plat_as *as, plat_regs_t *regs,
			 struct plat_trap *trap);

	/* Make a switch_to running (or about to run) on ctx return TRAP_INTERRUPT as soon as
	 * possible. Callable from any thread; idempotent until switch_to returns. */
	void (*interrupt)(struct plat_ctx *ctx);

	/* Optional (NULL: nothing to gain). The task that runs ctx was woken from a wait in
	 * the Sentry and will soon switch_to ctx again: get its application thread ready
	 * (systrap: wake the stub thread to spin for the resume, in parallel with the
	 * wake-up of the task's own host thread). Called by the waking thread, just after it
	 * dropped the kernel lock (or with it held), for a task that was blocked when woken:
	 * ctx stays allocated meanwhile, but the task's own thread may already run again. */
	void (*wake_hint)(struct plat_ctx *ctx);

	/* Optional (NULL: sleep at once). The task that runs ctx is about to wait in the
	 * Sentry (a wait queue): how long its host thread should spin for the wake-up
	 * before it sleeps, in ns (0: sleep at once). A spin keeps the vCPU from halting,
	 * and a halted vCPU is slow to wake on a VM. Then block_end says how long that wait
	 * lasted (from the block to the wake-up seen), spun or not. Both are called on the
	 * task's own thread with the kernel lock held. */
	uint64_t (*block_spin_ns)(struct plat_ctx *ctx);
	void (*block_end)(struct plat_ctx *ctx, uint64_t ns);

	/* Read or replace the context's FPU state (XSAVE layout, plat_fpu_size() bytes).
	 * Used for signal frames, sigreturn, fork and exec. Context's own thread only. */
	int (*get_fpu)(struct plat_ctx *ctx, struct plat_fpu *fpu);
	int (*set_fpu)(struct plat_ctx *ctx, const struct plat_fpu *fpu);

	/* Return the platform's host resources (stub processes, fds). */
	void (*destroy)(struct platform *p);

	/* Optional (NULL: nothing to do): the sandbox's init has exited and the Sentry is
	 * about to exit. Release now, if nothing uses them any more, host resources whose
	 * teardown the process exit would make slower (kvm: the VM). Later calls of the
	 * other ops may then fail cleanly; stats stay readable. */
	void (*sandbox_done)(struct platform *p);

	/* Optional (NULL: none): a one-line summary of the platform's counters for the
	 * debug log (kvm: VM exits by reason), NUL-terminated in buf; returns its length. */
	size_t (*debug_stats)(struct platform *p, char *buf, size_t size);

	/* Contexts that can run in one address space at once (0: no limit of its own).
	 * The Sentry refuses a clone sharing memory beyond it with EAGAIN, as Linux does
	 * when a thread limit is hit, instead of failing the switch and the process. */
	unsigned max_ctx_per_as;
};

/* A platform instance: the ops plus the backend's private state after it. */
struct platform {
	const struct platform_ops *ops;
};

/* The highest application address + 1 on this platform (stub pages sit above it). */
#define PLAT_APP_MAX_ADDR 0x00007fffff000000ULL

/* Registered backends, in the order `auto` tries them after kvm on hardware KVM. */
extern const struct platform_ops plat_ptrace_ops;
extern const struct platform_ops plat_systrap_ops;
extern const struct platform_ops plat_stub_ops;
extern const struct platform_ops plat_kvm_ops;
/* Is /dev/kvm hardware VMX/SVM (not PVM)? Decides whether `auto` tries kvm first. */
bool plat_kvm_is_hardware(void);
/* --kvm-mode: "auto" (default), "exit" (exit per trap: every application trap leaves the
 * VM; the only mode today) or "ring0" (the Sentry serves traps in guest ring 0: not built
 * yet, create fails with -ENOSYS). -EINVAL for anything else. Call before create. */
int plat_kvm_set_mode(const char *mode);
/* Make and close a VM: whether KVM_CREATE_VM works at all (kvm's probe does not try, to
 * keep VM teardowns off the start path); `auto` asks before it picks kvm. 0 or -errno
 * with *why set. */
int plat_kvm_try_vm(const char **why);

/* The sandbox's empty root: a directory (empty and read-only) that stub processes forked
 * before the Sentry chroots into it (systrap's stub zero, in create) chroot into as well,
 * so that a program escaping a stub sees no host file; stubs forked later inherit the
 * Sentry's root. -1 (the default; unit tests): stubs keep the root they are forked with. */
void plat_set_stub_root(int dirfd);
int plat_stub_root(void);

/* Find a backend by name ("ptrace", "stub", ...); NULL if unknown. */
const struct platform_ops *plat_find(const char *name);

/* Choose a backend for `requested` ("auto" or a name). On success *why says why (for the
 * one log line). Returns NULL with *why set when the requested platform cannot run. */
const struct platform_ops *plat_choose(const char *requested, const char **why);

/* Size of the FPU area in bytes as this CPU's XSAVE reports (512 without XSAVE). */
unsigned plat_fpu_size(void);
/* Fill fpu with the initial state a new process sees (FCW 0x37f, MXCSR 0x1f80). */
void plat_fpu_init(struct plat_fpu *fpu);

/* Convenience wrappers so callers read as layer crossings (plat_ prefix). */
static inline int plat_as_map(struct platform *p, struct plat_as *as, uint64_t addr,
			      uint64_t size, uint64_t off, int prot)
{
	return p->ops->as_map(as, addr, size, off, prot);
}
static inline int plat_as_unmap(struct platform *p, struct plat_as *as, uint64_t addr,
				uint64_t size)
{
	return p->ops->as_unmap(as, addr, size);
}
static inline int plat_as_protect(struct platform *p, struct plat_as *as, uint64_t addr,
				  uint64_t size, int prot)
{
	return p->ops->as_protect(as, addr, size, prot);
}
static inline void plat_as_batch_begin(struct platform *p, struct plat_as *as)
{
	if (p->ops->as_batch_begin)
		p->ops->as_batch_begin(as);
}
static inline int plat_as_batch_end(struct platform *p, struct plat_as *as)
{
	return p->ops->as_batch_end ? p->ops->as_batch_end(as) : 0;
}
static inline int plat_switch_to(struct platform *p, struct plat_ctx *ctx, struct plat_as *as,
				 plat_regs_t *regs, struct plat_trap *trap)
{
	return p->ops->switch_to(ctx, as, regs, trap);
}

#endif
