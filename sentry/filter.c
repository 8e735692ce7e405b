/* filter.c: the Sentry's seccomp allowlist. Every host syscall the Sentry makes after
 * boot is listed here with the code that needs it; anything else kills the process. */
#include "sentry/filter.h"

#include <errno.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>

#include "lib/log.h"
#include "lib/util.h"
#include "platform/platform.h"
#include "sentry/mm/mm.h"

struct allowed {
	int nr;
	const char *who;
};

static const struct allowed g_allow[] = {
	{SCMP_SYS(read), "9P replies, host-fd stdio, pipes of the Sentry"},
	{SCMP_SYS(write), "logging, host-fd stdio"},
	{SCMP_SYS(readv), "host-fd stdio (readv)"},
	{SCMP_SYS(writev), "host-fd stdio (writev)"},
	{SCMP_SYS(pread64), "donated host file fds (gofer)"},
	{SCMP_SYS(pwrite64), "donated host file fds (gofer)"},
	{SCMP_SYS(pwritev), "tmpfs fills new memory-file pages (runs of the source)"},
	{SCMP_SYS(lseek), "host-fd files"},
	{SCMP_SYS(close), "closing host fds (9P donations, stdio)"},
	{SCMP_SYS(fstat), "host-fd stat, glibc"},
	{SCMP_SYS(newfstatat), "glibc fstat (AT_EMPTY_PATH)"},
	{SCMP_SYS(fcntl), "host-fd flags, F_DUPFD_CLOEXEC"},
	{SCMP_SYS(poll), "host-fd readiness"},
	{SCMP_SYS(ppoll), "host-fd readiness"},
	{SCMP_SYS(sendmsg), "9P requests, control socket replies"},
	{SCMP_SYS(recvmsg), "9P replies with donated fds, control requests with stdio fds"},
	{SCMP_SYS(getsockopt), "9P client: SO_TYPE of the gofer connection (p9c_connect)"},
	{SCMP_SYS(fsync), "fsync of host-fd stdio redirected to a regular file"},
	{SCMP_SYS(mmap), "glibc malloc, thread stacks"},
	{SCMP_SYS(munmap), "glibc malloc, thread stacks"},
	{SCMP_SYS(mprotect), "glibc thread stack guards"},
	{SCMP_SYS(madvise), "glibc malloc trimming; memfile_drop_view (MADV_DONTNEED)"},
	{SCMP_SYS(mremap), "glibc realloc of large blocks"},
	{SCMP_SYS(brk), "glibc malloc"},
	{SCMP_SYS(fallocate), "memory file: punching freed pages"},
	{SCMP_SYS(ftruncate), "memory file"},
	{SCMP_SYS(futex), "pthread mutexes and condition variables (kernel lock, waits)"},
	{SCMP_SYS(set_robust_list), "glibc thread start"},
	{SCMP_SYS(rseq), "glibc thread start"},
	{SCMP_SYS(clone), "task threads (pthread_create)"},
	{SCMP_SYS(exit), "task thread exit"},
	{SCMP_SYS(exit_group), "Sentry exit"},
	{SCMP_SYS(rt_sigaction), "signal set-up"},
	{SCMP_SYS(rt_sigprocmask), "glibc, pthread_create"},
	{SCMP_SYS(rt_sigreturn), "host signal handlers"},
	{SCMP_SYS(sigaltstack), "glibc"},
	{SCMP_SYS(restart_syscall), "restarted sleeps"},
	{SCMP_SYS(sched_yield), "sched_yield from the application"},
	{SCMP_SYS(sched_getaffinity), "sysconf(_SC_NPROCESSORS_ONLN), getcpu"},
	{SCMP_SYS(getcpu), "sched_getcpu fallback"},
	{SCMP_SYS(getpid), "logging, glibc"},
	{SCMP_SYS(gettid), "logging"},
	{SCMP_SYS(tgkill), "glibc abort/raise"},
	{SCMP_SYS(clock_gettime), "time syscalls, timeouts"},
	{SCMP_SYS(clock_getres), "clock_getres"},
	{SCMP_SYS(gettimeofday), "gettimeofday"},
	{SCMP_SYS(time), "time"},
	{SCMP_SYS(nanosleep), "glibc"},
	{SCMP_SYS(clock_nanosleep), "glibc"},
	{SCMP_SYS(getrandom), "AT_RANDOM, getrandom, /dev/urandom"},
	{SCMP_SYS(sysinfo), "sysinfo"},
	{SCMP_SYS(uname), "glibc"},
	{SCMP_SYS(dup), "host-fd files"},
	{SCMP_SYS(prlimit64), "glibc"},
};

static int g_control_fd = -1;

void sentry_filter_set_control_fd(int fd)
{
	g_control_fd = fd;
}

/* The control socket: accept4 only on the one listening fd runsc bound and passed in;
 * connections then use recvmsg/sendmsg/close, already listed. No socket, bind or
 * connect: the Sentry never makes sockets of its own. */
static int add_control_rules(scmp_filter_ctx ctx)
{
	if (g_control_fd < 0)
		return 0;
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(accept4), 1,
				SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)g_control_fd));
}

static int add_ioctl_rules(scmp_filter_ctx ctx)
{
	/* Terminal queries passed through to host-fd stdio, nothing else. */
	static const unsigned long reqs[] = {TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ,
					     TIOCSWINSZ, FIONREAD};
	for (size_t i = 0; i < ARRAY_SIZE(reqs); i++) {
		int err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
					   SCMP_A1(SCMP_CMP_EQ, reqs[i]));
		if (err)
			return err;
	}
	return 0;
}

int sentry_filter_install(struct platform *plat)
{
	scmp_filter_ctx ctx;
	int err;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	if (!ctx)
		return -ENOMEM;
	for (size_t i = 0; i < ARRAY_SIZE(g_allow); i++) {
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, g_allow[i].nr, 0);
		if (err)
			goto out;
	}
	/* clone3 is answered ENOSYS so glibc falls back to clone, which is listed. */
	err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
	/* The Sentry opens no host paths, but glibc does on its own: malloc reads
	 * /proc/sys/vm/overcommit_memory the first time a thread arena shrinks. EACCES
	 * makes it fall back instead of killing the Sentry (it is chrooted anyway). */
	if (!err)
		err = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EACCES), SCMP_SYS(openat), 0);
	if (!err)
		err = add_ioctl_rules(ctx);
	if (!err)
		err = add_control_rules(ctx);
	/* Copy-on-write copies pages inside the memory file in the kernel (memfile_copy):
	 * from the memory file to itself only. */
	if (!err)
		err = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(copy_file_range), 2,
				       SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)memfile_fd()),
				       SCMP_A2(SCMP_CMP_EQ, (scmp_datum_t)memfile_fd()));
	if (!err && plat->ops->add_seccomp_rules)
		err = plat->ops->add_seccomp_rules(plat, ctx);
	if (!err)
		err = seccomp_load(ctx);
out:
	seccomp_release(ctx);
	return err;
}
