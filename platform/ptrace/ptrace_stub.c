/* ptrace_stub.c: stub processes: the code page, the fork, injection of syscalls, FPU access.
 *
 * A stub is forked from the calling Sentry thread with a raw clone (no atfork handlers,
 * no exit signal), so that thread is its parent and, through PTRACE_TRACEME, its tracer.
 * The Sentry is multi-threaded, so between clone and the jump into the stub page the
 * child makes raw syscalls only: no malloc, no locks, no stdio.
 */
#include "platform/ptrace/ptrace_internal.h"

#include <elf.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/rseq.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/log.h"

/* Symbols of stub_amd64.S. */
extern const char ptrace_stub_begin[], ptrace_stub_init[], ptrace_stub_syscall[],
	ptrace_stub_end[];

#define USER_CS 0x33
#define USER_SS 0x2b
#define EFLAGS_IF 0x200

/* Stub exit codes, one per set-up step, to name the failing step in the log. */
enum { STUB_EXIT_SIGMASK = 90, STUB_EXIT_RSEQ, STUB_EXIT_PARENT, STUB_EXIT_CLOSE,
       STUB_EXIT_TRACEME, STUB_EXIT_SECCOMP };

/* The kernel's struct sigaction for rt_sigaction (glibc's differs). */
struct stub_ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* Allow only what the platform injects, and only from the stub page: munmap (set-up and
 * as_unmap), mmap (as_map), mprotect (as_protect), exit/exit_group (set-up failure).
 * Under PTRACE_SYSEMU application syscalls stop before seccomp and never run, so this
 * filter only matters if a tracer bug lets a stub execute one. */
static void build_filter(struct ptrace_platform *p)
{
	static const int allowed[] = { __NR_mmap, __NR_munmap, __NR_mprotect, __NR_exit,
				       __NR_exit_group };
	struct sock_filter *f = p->filter;
	unsigned n = 0;

#define STMT(c, k) (f[n++] = (struct sock_filter)BPF_STMT(c, k))
#define JEQ(k, jt, jf) (f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf))
#define KILL() STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
	JEQ(AUDIT_ARCH_X86_64, 1, 0);
	KILL();
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4);
	JEQ((uint32_t)(p->stub_addr >> 32), 1, 0);
	KILL();
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer));
	STMT(BPF_ALU | BPF_AND | BPF_K, (uint32_t)~(PTRACE_STUB_SIZE - 1));
	JEQ((uint32_t)p->stub_addr, 1, 0);
	KILL();
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
	for (size_t i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		JEQ((uint32_t)allowed[i], 0, 1);
		STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	}
	KILL();
#undef STMT
#undef JEQ
#undef KILL
	p->prog.len = (unsigned short)n;
	p->prog.filter = p->filter;
}

int ptrace_stub_setup(struct ptrace_platform *p)
{
	size_t code_size = (size_t)(ptrace_stub_end - ptrace_stub_begin);

	if (code_size > PTRACE_STUB_SIZE)
		return -E2BIG;
	/* Any free page between the application limit and the end of user space. */
	for (uint64_t a = PLAT_APP_MAX_ADDR; a + PTRACE_STUB_SIZE <= PTRACE_USER_END;
	     a += PTRACE_STUB_SIZE) {
		void *m = mmap((void *)a, PTRACE_STUB_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (m == MAP_FAILED) {
			if (errno == EEXIST)
				continue;
			return -errno;
		}
		if ((uint64_t)m != a) { /* a kernel that ignores NOREPLACE */
			munmap(m, PTRACE_STUB_SIZE);
			continue;
		}
		memcpy(m, ptrace_stub_begin, code_size);
		if (mprotect(m, PTRACE_STUB_SIZE, PROT_READ | PROT_EXEC) != 0) {
			int err = -errno;
			munmap(m, PTRACE_STUB_SIZE);
			return err;
		}
		p->stub_addr = a;
		p->stub_init = a + (uint64_t)(ptrace_stub_init - ptrace_stub_begin);
		p->stub_syscall = a + (uint64_t)(ptrace_stub_syscall - ptrace_stub_begin);
		build_filter(p);
		return 0;
	}
	return -ENOMEM;
}

void ptrace_stub_teardown(struct ptrace_platform *p)
{
	if (p->stub_addr)
		munmap((void *)p->stub_addr, PTRACE_STUB_SIZE);
	p->stub_addr = 0;
}

static _Noreturn void stub_exit(int code)
{
	for (;;)
		syscall(SYS_exit_group, code);
}

/* Drop the rseq registration glibc made for the forking thread: once its area is
 * unmapped the kernel would SIGSEGV the stub on the next preemption. */
static int stub_rseq_unregister(void)
{
	void *area;

	if (__rseq_size == 0)
		return 0;
	area = (char *)__builtin_thread_pointer() + __rseq_offset;
	if (syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0)
		return 0;
	/* glibc >= 2.40 reports the feature size but registers at least 32 bytes. */
	return syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0 ? 0 : -1;
}

/* The child side of the fork: raw syscalls only (see the top of the file). */
static _Noreturn void stub_child(const struct ptrace_platform *p, pid_t parent)
{
	uint64_t none = 0;
	struct stub_ksigaction dfl = { .handler = SIG_DFL };
	unsigned fd = (unsigned)p->memfd;

	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, sizeof(none)) != 0 ||
	    syscall(SYS_rt_sigaction, PTRACE_SIG_INTERRUPT, &dfl, NULL, sizeof(none)) != 0)
		stub_exit(STUB_EXIT_SIGMASK);
	if (stub_rseq_unregister() != 0)
		stub_exit(STUB_EXIT_RSEQ);
	/* Die with the tracer thread; if it is already gone, do not start at all. */
	if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    syscall(SYS_getppid) != parent)
		stub_exit(STUB_EXIT_PARENT);
	if ((fd > 0 && syscall(SYS_close_range, 0, fd - 1, 0) != 0) ||
	    syscall(SYS_close_range, fd + 1, ~0u, 0) != 0)
		stub_exit(STUB_EXIT_CLOSE);
	if (syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0) != 0)
		stub_exit(STUB_EXIT_TRACEME);
	if (syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p->prog) != 0)
		stub_exit(STUB_EXIT_SECCOMP);
	/* Continue in the stub page: it unmaps everything else, then traps. */
	__asm__ volatile("jmp *%%rax"
			 :
			 : "a"(p->stub_init), "D"(p->stub_addr), "S"(PTRACE_STUB_SIZE),
			   "d"(PTRACE_USER_END)
			 : "memory");
	__builtin_unreachable();
}

int ptrace_stub_wait(pid_t pid, int *status)
{
	for (;;) {
		pid_t r = waitpid(pid, status, __WALL);

		if (r == pid)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -errno : -ECHILD;
	}
	if (WIFEXITED(*status)) {
		log_warn("ptrace stub %d exited with status %d", pid, WEXITSTATUS(*status));
		return -ECHILD;
	}
	if (WIFSIGNALED(*status)) {
		log_warn("ptrace stub %d killed by signal %d", pid, WTERMSIG(*status));
		return -ECHILD;
	}
	return 0;
}

void ptrace_stub_kill(pid_t pid)
{
	int status;

	if (pid <= 0)
		return;
	kill(pid, SIGKILL);
	for (;;) {
		pid_t r = waitpid(pid, &status, __WALL);

		if (r == pid && (WIFEXITED(status) || WIFSIGNALED(status)))
			return;
		if (r < 0 && errno != EINTR)
			return; /* already reaped (ECHILD) */
	}
}

int ptrace_stub_spawn(struct ptrace_platform *p, pid_t *out)
{
	pid_t parent = getpid();
	int status, ret;
	long pid;

	/* No exit signal: only __WALL waits see the stub, and no SIGCHLD reaches the
	 * Sentry for it. */
	pid = syscall(SYS_clone, 0UL, NULL, NULL, NULL, 0UL);
	if (pid < 0)
		return -errno;
	if (pid == 0)
		stub_child(p, parent);

	ret = ptrace_stub_wait((pid_t)pid, &status);
	if (ret)
		return ret; /* already reaped */
	if (!WIFSTOPPED(status) || WSTOPSIG(status) != SIGTRAP) {
		log_err("ptrace stub %ld: unexpected first stop, status %#x", pid, status);
		ret = -EIO;
		goto out_kill;
	}
	if (ptrace(PTRACE_SETOPTIONS, (pid_t)pid, 0,
		   PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) != 0) {
		ret = -errno;
		log_err("ptrace stub %ld: PTRACE_SETOPTIONS: %s", pid, strerror(-ret));
		goto out_kill;
	}
	*out = (pid_t)pid;
	return 0;

out_kill:
	ptrace_stub_kill((pid_t)pid);
	return ret;
}

int ptrace_stub_inject(struct ptrace_platform *p, pid_t pid, long nr, const long args[6],
		       long *ret)
{
	struct user_regs_struct r = {
		.cs = USER_CS, .ss = USER_SS, .eflags = EFLAGS_IF,
		.rip = p->stub_syscall, .rax = (uint64_t)nr, .orig_rax = (uint64_t)-1,
		.rdi = (uint64_t)args[0], .rsi = (uint64_t)args[1], .rdx = (uint64_t)args[2],
		.r10 = (uint64_t)args[3], .r8 = (uint64_t)args[4], .r9 = (uint64_t)args[5],
	};
	int status, err;

	if (ptrace(PTRACE_SETREGS, pid, 0, &r) != 0 || ptrace(PTRACE_CONT, pid, 0, 0) != 0)
		return -errno;
	for (;;) {
		err = ptrace_stub_wait(pid, &status);
		if (err)
			return err;
		if (WSTOPSIG(status) == SIGTRAP)
			break;
		if (WSTOPSIG(status) == SIGSEGV || WSTOPSIG(status) == SIGBUS ||
		    WSTOPSIG(status) == SIGILL) {
			log_err("ptrace stub %d: signal %d while injecting syscall %ld", pid,
				WSTOPSIG(status), nr);
			return -EFAULT;
		}
		/* A stale interrupt or a host signal: suppress it and let the call run. */
		if (ptrace(PTRACE_CONT, pid, 0, 0) != 0)
			return -errno;
	}
	if (ptrace(PTRACE_GETREGS, pid, 0, &r) != 0)
		return -errno;
	if (r.rip != p->stub_syscall + 3) { /* past `syscall; int3` */
		log_err("ptrace stub %d: injection trapped at %#llx", pid, r.rip);
		return -EIO;
	}
	*ret = (long)r.rax;
	return 0;
}

int ptrace_stub_get_fpu(struct ptrace_platform *p, pid_t pid, struct plat_fpu *fpu)
{
	struct iovec iov = { .iov_base = fpu->data, .iov_len = p->fpu_size };

	if (!p->no_xstate) {
		if (ptrace(PTRACE_GETREGSET, pid, NT_X86_XSTATE, &iov) == 0)
			return 0;
		if (errno != ENODEV && errno != EINVAL)
			return -errno;
		p->no_xstate = true;
	}
	return ptrace(PTRACE_GETFPREGS, pid, 0, fpu->data) == 0 ? 0 : -errno;
}

int ptrace_stub_set_fpu(struct ptrace_platform *p, pid_t pid, const struct plat_fpu *fpu)
{
	struct iovec iov = { .iov_base = (void *)fpu->data, .iov_len = p->fpu_size };

	if (!p->no_xstate) {
		if (ptrace(PTRACE_SETREGSET, pid, NT_X86_XSTATE, &iov) == 0)
			return 0;
		if (errno != ENODEV)
			return -errno;
		p->no_xstate = true;
	}
	return ptrace(PTRACE_SETFPREGS, pid, 0, fpu->data) == 0 ? 0 : -errno;
}
