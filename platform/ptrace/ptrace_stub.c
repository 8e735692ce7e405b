/* ptrace_stub.c: stub processes and threads: the code page, the fork, injection of syscalls,
 * adding, seizing and ending threads, FPU access.
 *
 * A stub is forked from the calling Sentry thread (the manager, see ptrace_mgr.c) with a
 * raw clone (no atfork handlers, no exit signal), so that thread is its parent and,
 * through PTRACE_TRACEME, its tracer.
 * The Sentry is multi-threaded, so between clone and the jump into the stub page the
 * child makes raw syscalls only: no malloc, no locks, no stdio.
 */
#include "platform/ptrace/ptrace_internal.h"

#include <elf.h>
#include <sched.h>
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
	ptrace_stub_clone_entry[], ptrace_stub_clone_trap[], ptrace_stub_end[];

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
 * as_unmap), mmap (as_map), mprotect (as_protect), exit (a thread leaving), exit_group
 * (set-up failure), clone with exactly PTRACE_CLONE_FLAGS (adding a thread) and pause
 * (where a new thread waits to be seized). Under PTRACE_SYSEMU application syscalls stop
 * before seccomp and never run, so this filter only matters if a tracer bug lets a stub
 * execute one. */
static void build_filter(struct ptrace_platform *p)
{
	static const int allowed[] = { __NR_mmap, __NR_munmap, __NR_mprotect, __NR_exit,
				       __NR_exit_group, __NR_pause };
	struct sock_filter *f = p->filter;
	unsigned n = 0;

#define STMT(c, k) (f[n++] = (struct sock_filter)BPF_STMT(c, k))
#define JEQ(k, jt, jf) (f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, jt, jf))
#define KILL() STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS)
#define ALLOW() STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)
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
		ALLOW();
	}
	/* clone: both halves of the 64-bit flags argument must match. */
	JEQ(__NR_clone, 0, 5);
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]));
	JEQ((uint32_t)PTRACE_CLONE_FLAGS, 0, 3);
	STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]) + 4);
	JEQ(0, 0, 1);
	ALLOW();
	KILL();
#undef STMT
#undef JEQ
#undef KILL
#undef ALLOW
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
		p->stub_clone = a + (uint64_t)(ptrace_stub_clone_entry - ptrace_stub_begin);
		p->stub_clone_trap = a + (uint64_t)(ptrace_stub_clone_trap - ptrace_stub_begin);
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

int ptrace_stub_wait(pid_t tid, int *status)
{
	for (;;) {
		pid_t r = waitpid(tid, status, __WALL);

		if (r == tid)
			break;
		if (r < 0 && errno == EINTR)
			continue;
		return r < 0 ? -errno : -ECHILD;
	}
	if (WIFEXITED(*status)) {
		log_warn("ptrace stub thread %d exited with status %d", tid,
			 WEXITSTATUS(*status));
		return -ECHILD;
	}
	if (WIFSIGNALED(*status)) {
		log_warn("ptrace stub thread %d killed by signal %d", tid, WTERMSIG(*status));
		return -ECHILD;
	}
	return 0;
}

void ptrace_stub_reap(pid_t tid)
{
	int status;

	if (tid <= 0)
		return;
	for (;;) {
		pid_t r = waitpid(tid, &status, __WALL);

		if (r == tid && (WIFEXITED(status) || WIFSIGNALED(status)))
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
	kill((pid_t)pid, SIGKILL);
	ptrace_stub_reap((pid_t)pid);
	return ret;
}

/* Resume the stopped thread tid at entry with nr(args) and wait for the int3 that
 * should end the sequence at trap_rip; *out gets rax there. */
static int inject_at(pid_t tid, uint64_t entry, uint64_t trap_rip, long nr,
		     const long args[6], long *out)
{
	struct user_regs_struct r = {
		.cs = USER_CS, .ss = USER_SS, .eflags = EFLAGS_IF,
		.rip = entry, .rax = (uint64_t)nr, .orig_rax = (uint64_t)-1,
		.rdi = (uint64_t)args[0], .rsi = (uint64_t)args[1], .rdx = (uint64_t)args[2],
		.r10 = (uint64_t)args[3], .r8 = (uint64_t)args[4], .r9 = (uint64_t)args[5],
	};
	int status, err;

	if (ptrace(PTRACE_SETREGS, tid, 0, &r) != 0 || ptrace(PTRACE_CONT, tid, 0, 0) != 0)
		return -errno;
	for (;;) {
		err = ptrace_stub_wait(tid, &status);
		if (err)
			return err;
		if (WSTOPSIG(status) == SIGTRAP && (status >> 16) == 0)
			break;
		if (WSTOPSIG(status) == SIGSEGV || WSTOPSIG(status) == SIGBUS ||
		    WSTOPSIG(status) == SIGILL) {
			log_err("ptrace stub thread %d: signal %d while injecting syscall %ld",
				tid, WSTOPSIG(status), nr);
			return -EFAULT;
		}
		/* A stale interrupt or a host signal: suppress it and let the call run. */
		if (ptrace(PTRACE_CONT, tid, 0, 0) != 0)
			return -errno;
	}
	if (ptrace(PTRACE_GETREGS, tid, 0, &r) != 0)
		return -errno;
	if (r.rip != trap_rip) {
		log_err("ptrace stub thread %d: injection trapped at %#llx", tid, r.rip);
		return -EIO;
	}
	*out = (long)r.rax;
	return 0;
}

int ptrace_stub_inject(struct ptrace_platform *p, pid_t tid, long nr, const long args[6],
		       long *ret)
{
	/* Past `syscall; int3`. */
	return inject_at(tid, p->stub_syscall, p->stub_syscall + 3, nr, args, ret);
}

int ptrace_stub_clone(struct ptrace_platform *p, pid_t tid, pid_t *child)
{
	long args[6] = { PTRACE_CLONE_FLAGS }, res;
	int ret = inject_at(tid, p->stub_clone, p->stub_clone_trap, SYS_clone, args, &res);

	if (ret)
		return ret;
	if (res <= 0) {
		log_err("ptrace stub thread %d: clone failed: %s", tid, strerror((int)-res));
		return res < 0 && res > -4096 ? (int)res : -EIO;
	}
	*child = (pid_t)res;
	return 0;
}

int ptrace_stub_seize(pid_t tid)
{
	int status, ret;

	if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACESYSGOOD | PTRACE_O_EXITKILL) != 0)
		return -errno;
	if (ptrace(PTRACE_INTERRUPT, tid, 0, 0) != 0)
		return -errno;
	/* Wait for the stop PTRACE_INTERRUPT asked for; let anything else pass. */
	for (;;) {
		ret = ptrace_stub_wait(tid, &status);
		if (ret)
			return ret;
		if ((status >> 16) == PTRACE_EVENT_STOP)
			return 0;
		if (ptrace(PTRACE_CONT, tid, 0, 0) != 0)
			return -errno;
	}
}

int ptrace_stub_thread_exit(struct ptrace_platform *p, pid_t tid)
{
	struct user_regs_struct r = {
		.cs = USER_CS, .ss = USER_SS, .eflags = EFLAGS_IF, .rip = p->stub_syscall,
		.rax = SYS_exit, .orig_rax = (uint64_t)-1,
	};
	int status;

	if (ptrace(PTRACE_SETREGS, tid, 0, &r) != 0 || ptrace(PTRACE_CONT, tid, 0, 0) != 0)
		return -errno;
	for (;;) {
		pid_t w = waitpid(tid, &status, __WALL);

		if (w == tid && (WIFEXITED(status) || WIFSIGNALED(status)))
			return 0;
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return 0; /* reaped already (ECHILD) */
		/* A stale interrupt on its way out: suppress it. */
		if (ptrace(PTRACE_CONT, tid, 0, 0) != 0 && errno != ESRCH)
			return -errno;
	}
}

void ptrace_stub_pin(pid_t tid, int *cpu)
{
	int now = sched_getcpu();
	cpu_set_t set;

	if (now < 0 || now == *cpu)
		return;
	CPU_ZERO(&set);
	CPU_SET(now, &set);
	if (sched_setaffinity(tid, sizeof(set), &set) != 0)
		log_debug("ptrace stub thread %d: sched_setaffinity(%d): %s", tid, now,
			  strerror(errno));
	*cpu = now;
}

int ptrace_stub_get_fpu(struct ptrace_platform *p, pid_t tid, struct plat_fpu *fpu)
{
	struct iovec iov = { .iov_base = fpu->data, .iov_len = p->fpu_size };

	if (!p->no_xstate) {
		if (ptrace(PTRACE_GETREGSET, tid, NT_X86_XSTATE, &iov) == 0)
			return 0;
		if (errno != ENODEV && errno != EINVAL)
			return -errno;
		p->no_xstate = true;
	}
	return ptrace(PTRACE_GETFPREGS, tid, 0, fpu->data) == 0 ? 0 : -errno;
}

int ptrace_stub_set_fpu(struct ptrace_platform *p, pid_t tid, const struct plat_fpu *fpu)
{
	struct iovec iov = { .iov_base = (void *)fpu->data, .iov_len = p->fpu_size };

	if (!p->no_xstate) {
		if (ptrace(PTRACE_SETREGSET, tid, NT_X86_XSTATE, &iov) == 0)
			return 0;
		if (errno != ENODEV)
			return -errno;
		p->no_xstate = true;
	}
	return ptrace(PTRACE_SETFPREGS, tid, 0, fpu->data) == 0 ? 0 : -errno;
}
