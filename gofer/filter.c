/* filter.c: the gofer's seccomp allowlist, one entry per syscall naming who needs it. */
#include "gofer/filter.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>

#include <seccomp.h>

#include "lib/log.h"
#include "lib/util.h"

/* Argument rules for the few syscalls that get one. */
enum arg_rule {
	ARGS_ANY,
	ARGS_NOFOLLOW, /* openat: flags (arg 2) must hold O_NOFOLLOW */
	ARGS_NOEXEC,   /* mmap, mprotect: prot (arg 2) must not hold PROT_EXEC */
	ARGS_OFDLOCK,  /* fcntl: cmd (arg 1) must be F_OFD_SETLK or F_OFD_GETLK */
};

static const struct {
	int nr;
	enum arg_rule rule;
	const char *who;
} g_allow[] = {
	{SCMP_SYS(read), ARGS_ANY, "conn.c: stream framing (read_all), the wake eventfd"},
	{SCMP_SYS(write), ARGS_ANY, "conn.c: waking the loop (eventfd); lib/log.c"},
	{SCMP_SYS(recvfrom), ARGS_ANY, "conn.c: requests (recv)"},
	{SCMP_SYS(sendmsg), ARGS_ANY, "conn.c: replies, some carrying a donated fd (fd_send)"},
	{SCMP_SYS(getsockopt), ARGS_ANY, "conn.c: SO_TYPE of the connection"},
	{SCMP_SYS(ppoll), ARGS_ANY, "conn.c: waiting on the connections, the ring, the wake fd"},
	{SCMP_SYS(futex), ARGS_ANY, "pool.c, conn.c: mutexes and condition variables of workers"},
	{SCMP_SYS(io_uring_enter), ARGS_ANY,
	 "uring.c: submit batched host I/O; the ring was set up and restricted to "
	 "read/write/fsync before the filter, so io_uring_setup/register stay denied"},
	{SCMP_SYS(openat), ARGS_NOFOLLOW, "ops_walk.c walk, fid.c reopen, ops_create.c create"},
	{SCMP_SYS(close), ARGS_ANY, "fid.c: clunk; ops_attr.c: setattr's reopened fds"},
	{SCMP_SYS(fstat), ARGS_ANY, "fid.c: node identity (glibc may use it for fstat)"},
	{SCMP_SYS(newfstatat), ARGS_ANY, "fid.c: node identity (glibc's fstat)"},
	{SCMP_SYS(statx), ARGS_ANY, "ops_attr.c: Tgetattr, Twalkgetattr (by name: no follow)"},
	{SCMP_SYS(fstatfs), ARGS_ANY, "ops_attr.c: Tstatfs"},
	{SCMP_SYS(readlinkat), ARGS_ANY, "ops_attr.c: Treadlink"},
	{SCMP_SYS(fchmod), ARGS_ANY, "ops_attr.c: Tsetattr mode"},
	{SCMP_SYS(fchownat), ARGS_ANY, "ops_attr.c: Tsetattr uid/gid; ops_create.c owners"},
	{SCMP_SYS(ftruncate), ARGS_ANY, "ops_attr.c: Tsetattr size"},
	{SCMP_SYS(utimensat), ARGS_ANY, "ops_attr.c: Tsetattr times"},
	{SCMP_SYS(pread64), ARGS_ANY, "ops_io.c: Tread"},
	{SCMP_SYS(pwrite64), ARGS_ANY, "ops_io.c: Twrite"},
	{SCMP_SYS(lseek), ARGS_ANY, "ops_io.c: Treaddir cookie"},
	{SCMP_SYS(getdents64), ARGS_ANY, "ops_io.c: Treaddir"},
	{SCMP_SYS(fsync), ARGS_ANY, "ops_io.c: Tfsync"},
	{SCMP_SYS(fdatasync), ARGS_ANY, "ops_io.c: Tfsync datasync"},
	/* Tlock/Tgetlock: open file description locks on open fids' fds, and nothing else of
	 * fcntl (no F_SETFL, F_SETOWN, F_SETLKW: the gofer never waits for a lock). */
	{SCMP_SYS(fcntl), ARGS_OFDLOCK, "ops_lock.c: Tlock, Tgetlock (F_OFD_SETLK/GETLK)"},
	{SCMP_SYS(mkdirat), ARGS_ANY, "ops_create.c: Tmkdir"},
	{SCMP_SYS(symlinkat), ARGS_ANY, "ops_create.c: Tsymlink"},
	/* Tmknod: FIFOs and socket files on writable mounts (mkfifo, binding a unix socket
	 * there); ops_create.c refuses device nodes before calling it. */
	{SCMP_SYS(mknodat), ARGS_ANY, "ops_create.c: Tmknod (FIFOs and sockets only)"},
	{SCMP_SYS(unlinkat), ARGS_ANY, "ops_create.c: Tunlinkat, undoing a failed create"},
	{SCMP_SYS(renameat), ARGS_ANY, "ops_create.c: Trenameat (glibc renameat)"},
	{SCMP_SYS(renameat2), ARGS_ANY, "ops_create.c: Trenameat (newer glibc)"},
	{SCMP_SYS(linkat), ARGS_ANY, "ops_create.c: Tlink (flags 0: never follows)"},
	/* Extended attributes, on fds reopened by ops_xattr.c (never by path): it serves the
	 * user.* names alone, so a sandbox cannot set security.* or trusted.* on host files. */
	{SCMP_SYS(fgetxattr), ARGS_ANY, "ops_xattr.c: Txattrwalk of a value (user.* only)"},
	{SCMP_SYS(flistxattr), ARGS_ANY, "ops_xattr.c: Txattrwalk of the list (user.* kept)"},
	{SCMP_SYS(fsetxattr), ARGS_ANY, "ops_xattr.c: Tclunk of a Txattrcreate fid (user.*)"},
	{SCMP_SYS(fremovexattr), ARGS_ANY, "ops_xattr.c: Tclunk of a size-0 Txattrcreate fid"},
	{SCMP_SYS(geteuid), ARGS_ANY, "ops_create.c: owner of new files"},
	{SCMP_SYS(getegid), ARGS_ANY, "ops_create.c: group of new files"},
	{SCMP_SYS(brk), ARGS_ANY, "malloc"},
	{SCMP_SYS(mmap), ARGS_NOEXEC, "malloc of message buffers"},
	{SCMP_SYS(mprotect), ARGS_NOEXEC, "malloc"},
	{SCMP_SYS(munmap), ARGS_ANY, "free of message buffers"},
	{SCMP_SYS(mremap), ARGS_ANY, "realloc"},
	{SCMP_SYS(madvise), ARGS_ANY, "free (glibc trims memory)"},
	{SCMP_SYS(clock_gettime), ARGS_ANY, "lib/log.c timestamps when the vDSO is unusable"},
	{SCMP_SYS(gettid), ARGS_ANY, "lib/log.c thread id"},
	{SCMP_SYS(getpid), ARGS_ANY, "abort() in log_fatal"},
	{SCMP_SYS(tgkill), ARGS_ANY, "abort() in log_fatal"},
	{SCMP_SYS(rt_sigprocmask), ARGS_ANY, "abort() in log_fatal"},
	{SCMP_SYS(rt_sigreturn), ARGS_ANY, "return from any signal handler"},
	{SCMP_SYS(exit), ARGS_ANY, "worker thread exit (pool.c)"},
	{SCMP_SYS(exit_group), ARGS_ANY, "process exit when the Sentry hangs up"},
};

size_t gofer_filter_count(void)
{
	return ARRAY_SIZE(g_allow);
}

static int add_rule(scmp_filter_ctx ctx, int nr, enum arg_rule rule)
{
	switch (rule) {
	case ARGS_NOFOLLOW:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A2(SCMP_CMP_MASKED_EQ, O_NOFOLLOW, O_NOFOLLOW));
	case ARGS_NOEXEC:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	case ARGS_OFDLOCK:
		return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A1(SCMP_CMP_EQ, F_OFD_SETLK)) ?:
		       seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 1,
					SCMP_A1(SCMP_CMP_EQ, F_OFD_GETLK));
	case ARGS_ANY:
		break;
	}
	return seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0);
}

int gofer_filter_install(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
	int ret = 0;

	if (!ctx)
		return -ENOMEM;
	/* The worker threads already run (pool.c): the filter goes on all of them at once. */
	ret = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	for (size_t i = 0; i < ARRAY_SIZE(g_allow) && ret == 0; i++) {
		ret = add_rule(ctx, g_allow[i].nr, g_allow[i].rule);
		if (ret)
			log_err("seccomp rule for syscall %d (%s): %d", g_allow[i].nr,
				g_allow[i].who, ret);
	}
	if (ret == 0)
		ret = seccomp_load(ctx);
	seccomp_release(ctx);
	if (ret == 0)
		log_debug("seccomp: %zu syscalls allowed, everything else kills",
			  ARRAY_SIZE(g_allow));
	return ret;
}
