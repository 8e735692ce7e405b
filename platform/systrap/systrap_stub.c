/* systrap_stub.c: the stub code page, stub zero and stub processes.
 *
 * Stubs cannot be forked from the Sentry once its own seccomp filter is in place: the
 * child would inherit it, and its kill-by-default list would kill application syscalls
 * instead of letting the stub's filter trap them. So create() forks "stub zero" first,
 * a small process that forks every stub on request. A request carries the new stub's
 * region memfd and its end of a socketpair (SCM_RIGHTS); the answer carries a pidfd.
 * Stub zero reaps its children itself (SIGCHLD ignored), dies with the Sentry
 * (PDEATHSIG, and EOF on its socket), and keeps no capability. It has no seccomp
 * filter of its own (its children would inherit it) and still holds a copy of the
 * Sentry's memory as of create(); only the Sentry can talk to it. Forked before the
 * Sentry's chroot, it chroots itself into the sandbox's empty root (plat_stub_root), so
 * no stub has a host file in reach, nor a host working directory.
 *
 * Between fork and the jump into the code page, children run raw syscalls only.
 */
#include "platform/systrap/systrap_internal.h"

#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/rseq.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"

extern const char systrap_stub_begin[], systrap_stub_init[], systrap_stub_handler[],
	systrap_stub_restorer[], systrap_stub_code_end[], systrap_stub_end[];

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#define HWCAP2_FSGSBASE (1u << 1)
#define SA_RESTORER 0x04000000

/* The kernel's struct sigaction for rt_sigaction (glibc's differs). */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* Signals the handler takes: traps, faults, and the Sentry's interrupt. */
static const int g_trap_signals[] = { SIGSYS, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP,
				      SYSTRAP_SIG_INTERRUPT };

uint64_t systrap_app_sigmask(void)
{
	uint64_t m = ~0ULL;

	for (size_t i = 0; i < ARRAY_SIZE(g_trap_signals); i++)
		m &= ~(1ULL << (g_trap_signals[i] - 1));
	return m;
}

/* ---- children: raw syscalls only ---- */

static _Noreturn void child_exit(int code)
{
	for (;;)
		syscall(SYS_exit_group, code);
}

static int rseq_unregister(void)
{
	void *area;

	if (__rseq_size == 0)
		return 0;
	area = (char *)__builtin_thread_pointer() + __rseq_offset;
	if (syscall(SYS_rseq, area, __rseq_size, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0)
		return 0;
	return syscall(SYS_rseq, area, 32, RSEQ_FLAG_UNREGISTER, RSEQ_SIG) == 0 ? 0 : -1;
}

/* A new stub, child of stub zero: fds in place, handlers set, all signals blocked (the
 * control thread takes none), then the code page takes over. */
static _Noreturn void stub_child(const struct systrap_platform *p, pid_t zero, int msgfd,
				 int sockfd, int cpu)
{
	struct ksigaction sa = {
		.handler = (void *)(p->region + (uint64_t)(systrap_stub_handler -
							    systrap_stub_begin)),
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER,
		.restorer = (void *)(p->region + (uint64_t)(systrap_stub_restorer -
							     systrap_stub_begin)),
		.mask = ~0ULL,
	};
	uint64_t all = ~0ULL, mask;

	if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    syscall(SYS_getppid) != zero)
		child_exit(20);
	/* Start on the requester's CPU: its first requests then wake us without an IPI. */
	if (cpu >= 0 && cpu < 64) {
		mask = 1ULL << cpu;
		syscall(SYS_sched_setaffinity, 0, sizeof(mask), &mask);
	}
	if (syscall(SYS_dup2, sockfd, SYSTRAP_FD_SOCK) < 0 ||
	    syscall(SYS_dup2, msgfd, SYSTRAP_FD_MSG) < 0 ||
	    syscall(SYS_close_range, SYSTRAP_FD_MSG + 1, ~0u, 0) != 0 ||
	    syscall(SYS_close_range, 0, SYSTRAP_FD_MEM - 1, 0) != 0)
		child_exit(21);
	for (size_t i = 0; i < ARRAY_SIZE(g_trap_signals); i++)
		if (syscall(SYS_rt_sigaction, g_trap_signals[i], &sa, NULL, 8) != 0)
			child_exit(22);
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8) != 0 ||
	    rseq_unregister() != 0)
		child_exit(23);
	__asm__ volatile("jmp *%%rax"
			 :
			 : "a"(p->region + (uint64_t)(systrap_stub_init - systrap_stub_begin)),
			   "D"(p->region)
			 : "memory");
	__builtin_unreachable();
}

/* Stub zero's request loop on fd 4; the memory file is fd 3. */
static _Noreturn void zero_loop(const struct systrap_platform *p)
{
	pid_t self = (pid_t)syscall(SYS_getpid);

	for (;;) {
		char cbuf[CMSG_SPACE(2 * sizeof(int))];
		int cpu = -1;
		struct iovec iov = { &cpu, sizeof(cpu) };
		struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
				     .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm;
		int fds[2] = { -1, -1 }, pidfd = -1, res;
		long n = syscall(SYS_recvmsg, SYSTRAP_FD_SOCK, &mh, MSG_CMSG_CLOEXEC);

		if (n <= 0)
			child_exit(0);
		cm = CMSG_FIRSTHDR(&mh);
		if (cm && cm->cmsg_type == SCM_RIGHTS &&
		    cm->cmsg_len == CMSG_LEN(2 * sizeof(int)))
			memcpy(fds, CMSG_DATA(cm), sizeof(fds));
		res = -EINVAL;
		if (fds[0] >= 0 && fds[1] >= 0) {
			long pid = syscall(SYS_clone, CLONE_PIDFD | SIGCHLD, NULL, &pidfd,
					   NULL, 0UL);
			if (pid == 0)
				stub_child(p, self, fds[0], fds[1], cpu);
			res = pid < 0 ? (int)-errno : (int)pid;
		}
		for (int i = 0; i < 2; i++)
			if (fds[i] >= 0)
				syscall(SYS_close, fds[i]);
		memset(cbuf, 0, sizeof(cbuf));
		iov = (struct iovec){ &res, sizeof(res) };
		mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };
		if (pidfd >= 0) {
			mh.msg_control = cbuf;
			mh.msg_controllen = CMSG_SPACE(sizeof(int));
			cm = CMSG_FIRSTHDR(&mh);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &pidfd, sizeof(int));
		}
		n = syscall(SYS_sendmsg, SYSTRAP_FD_SOCK, &mh, MSG_NOSIGNAL);
		if (pidfd >= 0)
			syscall(SYS_close, pidfd);
		if (n < 0)
			child_exit(0);
	}
}

/* Stub zero: a fork of the Sentry before its walls go up, so it drops what it can. */
static _Noreturn void zero_main(const struct systrap_platform *p, pid_t parent, int sock,
				 int root)
{
	struct ksigaction ign = { .handler = SIG_IGN };
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct caps[2] = { { 0 } };
	uint64_t none = 0;
	int mem, s;

	if (syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 ||
	    syscall(SYS_getppid) != parent)
		child_exit(30);
	/* The sandbox's empty root, as the Sentry's will be: every stub inherits it. */
	if (root >= 0 && (syscall(SYS_fchdir, root) != 0 || syscall(SYS_chroot, ".") != 0 ||
			  syscall(SYS_chdir, "/") != 0))
		child_exit(34);
	mem = (int)syscall(SYS_fcntl, p->memfd, F_DUPFD, 16);
	s = (int)syscall(SYS_fcntl, sock, F_DUPFD, 16);
	if (mem < 0 || s < 0 || syscall(SYS_dup2, mem, SYSTRAP_FD_MEM) < 0 ||
	    syscall(SYS_dup2, s, SYSTRAP_FD_SOCK) < 0 ||
	    syscall(SYS_close_range, SYSTRAP_FD_SOCK + 1, ~0u, 0) != 0 ||
	    syscall(SYS_close_range, 0, SYSTRAP_FD_MEM - 1, 0) != 0)
		child_exit(31);
	if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &none, NULL, 8) != 0 ||
	    syscall(SYS_rt_sigaction, SIGCHLD, &ign, NULL, 8) != 0)
		child_exit(32);
	for (int cap = 0; cap <= 63; cap++)
		syscall(SYS_prctl, PR_CAPBSET_DROP, cap, 0, 0, 0);
	if (syscall(SYS_capset, &hdr, caps) != 0 ||
	    syscall(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		child_exit(33);
	zero_loop(p);
}

/* ---- the Sentry side ---- */

/* Whether the CPU has rdpid and the kernel keeps the CPU number in TSC_AUX (bits 0-11),
 * as the stub reads it to tell whether its Sentry thread shares its CPU. */
static bool cpu_has_rdpid(void)
{
	unsigned a, b, c, d;

	if (!__get_cpuid_count(7, 0, &a, &b, &c, &d) || !(c & (1u << 22)))
		return false;
	for (int i = 0; i < 3; i++) {
		int before = sched_getcpu(), after;
		uint64_t aux;

		__asm__ volatile("rdpid %0" : "=r"(aux));
		after = sched_getcpu();
		if (before >= 0 && before == after)
			return (int)(aux & 0xfff) == before;
	}
	return false;
}

static int find_region(struct systrap_platform *p, uint8_t **page)
{
	for (uint64_t a = PLAT_APP_MAX_ADDR; a + SYSTRAP_REGION_SIZE <= SYSTRAP_USER_END;
	     a += SYSTRAP_PAGE) {
		void *m = mmap((void *)a, SYSTRAP_PAGE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		if (m == MAP_FAILED) {
			if (errno == EEXIST)
				continue;
			return -errno;
		}
		if ((uint64_t)m != a) {
			munmap(m, SYSTRAP_PAGE);
			continue;
		}
		p->region = a;
		*page = m;
		return 0;
	}
	return -ENOMEM;
}

/* RUNSC_SYSTRAP_SAMECPU=0 turns the same-CPU spin rules (systrap_handoff.c) off: a
 * measurement knob, as RUNSC_SYSTRAP_TUNE (the Sentry inherits runsc's environment). */
static bool samecpu_rules(void)
{
	const char *env = getenv("RUNSC_SYSTRAP_SAMECPU");

	return !env || strcmp(env, "0") != 0;
}

int systrap_stub_setup(struct systrap_platform *p)
{
	size_t size = (size_t)(systrap_stub_end - systrap_stub_begin);
	uint8_t *page = NULL;
	int sv[2], ret, root;
	pid_t self;
	long pid;

	if (size != SYSTRAP_PAGE)
		return -E2BIG;
	p->fsgsbase = (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE) != 0;
	p->rdpid = cpu_has_rdpid() && samecpu_rules();
	ret = find_region(p, &page);
	if (ret)
		return ret;
	memcpy(page, systrap_stub_begin, size);
	ret = systrap_params_fill(p, page);
	if (ret == 0 && mprotect(page, SYSTRAP_PAGE, PROT_READ | PROT_EXEC) != 0)
		ret = -errno;
	if (ret == 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0)
		ret = -errno;
	if (ret) {
		munmap(page, SYSTRAP_PAGE);
		return ret;
	}
	self = getpid();
	root = plat_stub_root();
	pid = syscall(SYS_clone, 0UL, NULL, NULL, NULL, 0UL);
	if (pid == 0)
		zero_main(p, self, sv[1], root);
	close(sv[1]);
	if (pid < 0) {
		ret = -errno;
		close(sv[0]);
		munmap(page, SYSTRAP_PAGE);
		return ret;
	}
	p->factory_pid = (pid_t)pid;
	p->factory_sock = sv[0];
	return 0;
}

void systrap_stub_teardown(struct systrap_platform *p)
{
	if (p->factory_sock >= 0)
		close(p->factory_sock);
	p->factory_sock = -1;
	if (p->factory_pid > 0) {
		kill(p->factory_pid, SIGKILL);
		while (waitpid(p->factory_pid, NULL, __WALL) < 0 && errno == EINTR)
			;
	}
	p->factory_pid = 0;
	if (p->region)
		munmap((void *)p->region, SYSTRAP_PAGE);
	p->region = 0;
}

/* Ask stub zero for a stub holding msgfd and sockfd. Returns 0 with *pid and *pidfd. */
static int zero_request(struct systrap_platform *p, int msgfd, int sockfd, pid_t *pid,
			int *pidfd)
{
	char cbuf[CMSG_SPACE(2 * sizeof(int))] = { 0 };
	int fds[2] = { msgfd, sockfd }, res = -EIO, cpu = sched_getcpu();
	struct iovec iov = { &cpu, sizeof(cpu) };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			     .msg_controllen = sizeof(cbuf) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
	ssize_t n;
	int ret = 0;

	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(fds));
	memcpy(CMSG_DATA(cm), fds, sizeof(fds));
	pthread_mutex_lock(&p->factory_lock);
	for (int tries = 0;; tries++) {
		const struct timespec ms = { 0, 1000000 };

		if (sendmsg(p->factory_sock, &mh, MSG_NOSIGNAL) == sizeof(cpu))
			break;
		ret = -errno;
		/* ETOOMANYREFS: the host counts every fd in flight in unix sockets per user,
		 * against the sender's RLIMIT_NOFILE; other jobs of the same user can fill
		 * that for a moment (seen with several sandboxes' tests running at once). */
		if ((ret != -ETOOMANYREFS && ret != -EINTR && ret != -EAGAIN) || tries >= 200)
			goto out;
		if (ret != -EINTR)
			nanosleep(&ms, NULL);
		ret = 0;
	}
	memset(cbuf, 0, sizeof(cbuf));
	iov = (struct iovec){ &res, sizeof(res) };
	mh = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf,
			      .msg_controllen = sizeof(cbuf) };
	do
		n = recvmsg(p->factory_sock, &mh, MSG_CMSG_CLOEXEC);
	while (n < 0 && errno == EINTR);
	if (n != sizeof(res)) {
		ret = n < 0 ? -errno : -EPIPE;
		goto out;
	}
	cm = CMSG_FIRSTHDR(&mh);
	if (res <= 0 || !cm || cm->cmsg_type != SCM_RIGHTS) {
		ret = res < 0 ? res : -EIO;
		goto out;
	}
	memcpy(pidfd, CMSG_DATA(cm), sizeof(int));
	*pid = res;
out:
	pthread_mutex_unlock(&p->factory_lock);
	if (ret)
		log_err("systrap: stub zero could not fork a stub: %s", strerror(-ret));
	return ret;
}

int systrap_stub_spawn(struct systrap_as *as)
{
	struct systrap_platform *p = as->p;
	int msgfd, sv[2] = { -1, -1 }, pidfd = -1, ret;
	void *view = MAP_FAILED;
	pid_t pid = 0;

	msgfd = memfd_create("systrap-region", MFD_CLOEXEC);
	if (msgfd < 0)
		return -errno;
	if (ftruncate(msgfd, SYSTRAP_FILE_SIZE) != 0 ||
	    (view = mmap(NULL, SYSTRAP_FILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, msgfd,
			 0)) == MAP_FAILED ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) != 0) {
		ret = -errno;
		goto fail;
	}
	ret = zero_request(p, msgfd, sv[1], &pid, &pidfd);
	if (ret)
		goto fail;
	close(msgfd);
	close(sv[1]);
	as->pid = pid;
	as->pidfd = pidfd;
	as->sock = sv[0];
	as->view = view;
	return 0;
fail:
	if (view != MAP_FAILED)
		munmap(view, SYSTRAP_FILE_SIZE);
	if (sv[0] >= 0) {
		close(sv[0]);
		close(sv[1]);
	}
	close(msgfd);
	return ret;
}

void systrap_stub_kill(struct systrap_as *as)
{
	if (as->pidfd >= 0) {
		syscall(SYS_pidfd_send_signal, as->pidfd, SIGKILL, NULL, 0);
		close(as->pidfd);
	}
	if (as->sock >= 0)
		close(as->sock);
	as->pidfd = as->sock = -1;
	if (as->pid > 0)
		as->pid = -1;
}

bool systrap_stub_alive(const struct systrap_as *as)
{
	struct pollfd pfd = { .fd = as->pidfd, .events = POLLIN };

	if (as->pidfd < 0)
		return false;
	return poll(&pfd, 1, 0) == 0;
}
