/* table.c: the x86-64 syscall table, indexed by number. Each entry names its handler,
 * its support status and a note, so the table is also the compatibility list
 * (`runsc syscalls`). */
#include "sentry/syscalls/syscalls.h"

#include <errno.h>
#include <sys/syscall.h>

#include "lib/log.h"
#include "sentry/abi/unistd_new.h"
#include "sentry/kernel/task.h"

#define OK(n) [__NR_##n] = {#n, sys_##n, SYS_SUPPORTED, NULL}
#define PART(n, note) [__NR_##n] = {#n, sys_##n, SYS_PARTIAL, note}
#define NO(n, note) [__NR_##n] = {#n, NULL, SYS_UNSUPPORTED, note}

const struct syscall_entry g_syscall_table[SYSCALL_MAX] = {
	/* processes */
	OK(getpid), OK(getppid), OK(gettid), OK(exit), OK(exit_group),
	PART(wait4, "rusage is zeroed"),
	OK(waitid),
	PART(clone, "namespace flags other than CLONE_NEWIPC, CLONE_NEWPID and CLONE_NEWNS "
		    "return EINVAL"),
	PART(unshare, "CLONE_NEWIPC, CLONE_NEWPID, CLONE_NEWNS (private propagation only), "
		      "CLONE_FS and CLONE_SYSVSEM; other flags return EINVAL"),
	PART(setns, "no namespace fds exist (/proc/PID/ns links are not openable): EBADF "
		    "for a closed fd, else EINVAL"),
	OK(pidfd_open), OK(pidfd_send_signal),
	OK(pidfd_getfd),
	PART(kcmp, "all types; KCMP_SYSVSEM: an undo list exists from the first SEM_UNDO "
		   "operation or CLONE_SYSVSEM clone, but processes cloned with CLONE_SYSVSEM "
		   "(without CLONE_THREAD) do not share one"),
	OK(fork),
	OK(vfork),
	OK(execve), OK(execveat),
	PART(futex, "private and shared; LOCK_PI/LOCK_PI2/TRYLOCK_PI/UNLOCK_PI keep Linux's "
		    "ownership protocol without priority boosting; WAIT_REQUEUE_PI and "
		    "CMP_REQUEUE_PI return ENOSYS"),
	OK(set_tid_address), OK(set_robust_list), OK(get_robust_list),
	PART(futex_waitv, "32-bit futexes (other sizes EINVAL, as Linux), private or shared; "
			  "FUTEX2_NUMA/FUTEX2_MPOL as on a one-node machine"),
	PART(futex_wake, "32-bit futexes (other sizes EINVAL, as Linux); FUTEX2_NUMA/FUTEX2_MPOL "
			 "as on a one-node machine"),
	PART(futex_wait, "32-bit futexes (other sizes EINVAL, as Linux); FUTEX2_NUMA/FUTEX2_MPOL "
			 "as on a one-node machine"),
	PART(futex_requeue, "32-bit futexes (other sizes EINVAL, as Linux); FUTEX2_NUMA/"
			    "FUTEX2_MPOL as on a one-node machine"),
	PART(clone3, "set_tid and CLONE_INTO_CGROUP return EINVAL; namespaces as clone"),
	/* identity */
	OK(getuid), OK(geteuid), OK(getgid), OK(getegid), OK(getresuid), OK(getresgid),
	OK(getgroups),
	OK(setuid), OK(setgid), OK(setreuid), OK(setregid), OK(setresuid), OK(setresgid),
	OK(setfsuid), OK(setfsgid),
	PART(setgroups, "at most 256 groups (ENOMEM beyond)"), OK(getpgid), OK(setpgid), OK(getpgrp), OK(getsid), OK(setsid),
	/* signals */
	OK(rt_sigaction), OK(rt_sigprocmask), OK(rt_sigreturn), OK(rt_sigpending),
	OK(rt_sigsuspend), OK(rt_sigtimedwait), OK(rt_sigqueueinfo), OK(rt_tgsigqueueinfo), OK(pause), OK(sigaltstack), OK(tkill), OK(tgkill),
	OK(kill),
	/* System V IPC and POSIX message queues (one IPC namespace) */
	OK(shmget), OK(shmat), OK(shmdt),
	PART(shmctl, "SHM_LOCK records the lock (pages are always resident) and checks "
		     "RLIMIT_MEMLOCK against the segment alone"),
	OK(semget), OK(semop), OK(semtimedop), OK(semctl),
	OK(msgget), OK(msgsnd), OK(msgrcv), OK(msgctl),
	OK(mq_open), OK(mq_unlink), OK(mq_timedsend), OK(mq_timedreceive), OK(mq_getsetattr),
	PART(mq_notify, "SIGEV_SIGNAL and SIGEV_NONE; SIGEV_THREAD (a netlink notification "
			"socket) returns EINVAL; a registration survives the owner's execve"),
	/* memory */
	OK(brk), OK(process_vm_readv), OK(process_vm_writev), OK(munmap),
	PART(mmap, "tmpfs and gofer files map through one page cache per file; writable "
		   "MAP_SHARED of other files (host fds) returns ENODEV; MAP_HUGETLB returns "
		   "ENOMEM"),
	PART(mprotect, "adding PROT_WRITE to a shared mapping of a host fd returns ENODEV"),
	PART(madvise, "HWPOISON, SOFT_OFFLINE, COLLAPSE and GUARD_INSTALL/REMOVE return EINVAL; "
		      "REMOVE on a gofer file mapping returns EOPNOTSUPP (as 9p)"),
	PART(process_madvise, "another process takes COLD, PAGEOUT and WILLNEED (hints: no "
			      "effect) and COLLAPSE (EINVAL, as madvise); PTRACE_MODE_READ "
			      "and CAP_SYS_NICE checked as Linux"),
	PART(process_mrelease, "0 for an exiting process, EINVAL otherwise, as Linux; its "
			       "memory is freed as its threads exit, not ahead of them"),
	OK(mremap), OK(mincore), OK(mlock), OK(mlock2), OK(munlock), OK(mlockall),
	PART(mseal, "sealed against munmap, mremap, mprotect, mmap over, brk shrink and "
		    "discarding madvise of read-only anonymous memory (EPERM); shmat/shmdt "
		    "over a sealed range are not checked"),
	OK(munlockall),
	PART(msync, "MS_ASYNC writes back at once, as MS_SYNC; a gofer file's dirty pages "
		    "go to the host, tmpfs pages are the file"),
	/* NUMA: one node (node 0), as a one-node Linux machine (sys_mempolicy.c) */
	PART(set_mempolicy, "every mode and flag checked as Linux on one node and reported back; "
			    "all memory is node 0"),
	OK(get_mempolicy),
	PART(mbind, "policies kept per VMA (a shared mapping's per mapping, not per object); "
		    "MOVE moves nothing: every page is on node 0"),
	PART(set_mempolicy_home_node, "recorded per VMA; no allocation effect"),
	PART(migrate_pages, "checks as Linux; returns 0: every page is on node 0"),
	PART(move_pages, "status: 0 (node 0) for present pages, ENOENT for absent, EFAULT "
			 "unmapped; a page only read is present (Linux: the zero page, EFAULT) "
			 "and a fault brings in up to 16 neighbours (mbind STRICT sees them too)"),
	/* time */
	PART(clock_gettime, "CPU clocks (incl. per-pid/tid) read accounted application time: "
			    "user = wall time inside the platform's switch_to, system = Sentry "
			    "thread CPU time serving the task"),
	OK(clock_getres), OK(gettimeofday), OK(time), OK(nanosleep), OK(restart_syscall),
	PART(clock_nanosleep, "REALTIME, MONOTONIC, BOOTTIME, TAI; process CPU clocks are polled "
			      "every 4 ms; RAW/COARSE return ENOTSUP"),
	OK(getitimer), OK(alarm),
	PART(clock_settime, "EPERM: the sandbox does not set the host clock"),
	PART(settimeofday, "EPERM: the sandbox does not set the host clock"),
	PART(setitimer, "VIRTUAL/PROF follow accounted CPU time, polled every 4 ms"),
	PART(timer_create, "SIGEV_SIGNAL/THREAD_ID/NONE on REALTIME (relative to MONOTONIC), "
			   "MONOTONIC, BOOTTIME, TAI and CPU clocks; at most 256 per process"),
	OK(timer_settime), OK(timer_gettime), OK(timer_getoverrun), OK(timer_delete),
	PART(times, "accounted CPU time (see clock_gettime)"),
	PART(getrusage, "utime/stime accounted as clock_gettime says; other fields are 0"),
	/* system */
	OK(uname), OK(sethostname), OK(setdomainname), OK(getrlimit), OK(setrlimit),
	PART(prlimit64, "enforced: NOFILE, STACK, AS, DATA, CPU (SIGXCPU/SIGKILL), NPROC, FSIZE; "
			"others stored"),
	PART(capget, "no file capabilities"), PART(capset, "no file capabilities"),
	PART(sched_setscheduler, "policy and priority kept with Linux's checks; host threads are "
				 "not rescheduled"),
	OK(sched_getscheduler), PART(sched_setparam, "as sched_setscheduler"), OK(sched_getparam),
	OK(sched_get_priority_max), OK(sched_get_priority_min),
	PART(sched_rr_get_interval, "100 ms for SCHED_RR, 0 otherwise"),
	PART(sched_setaffinity, "the mask is kept and reported; host threads are not pinned"),
	PART(personality, "stored and reported; no flag changes behaviour"),
	PART(sched_setattr, "as sched_setscheduler plus nice; SCHED_DEADLINE returns EPERM; "
			    "utilization clamps are not kept"),
	OK(sched_getattr),
	OK(getpriority), PART(setpriority, "nice values kept and checked; host threads keep "
					 "their priority"),
	PART(ioprio_set, "recorded per task (CLONE_IO shares it) and reported; host I/O is not "
			 "reprioritized"),
	OK(ioprio_get),
	OK(getrandom), OK(arch_prctl),
	PART(seccomp, "strict and filter modes (classic BPF run by the Sentry before each "
		      "syscall; TSYNC, LOG, all actions; TRACE and USER_NOTIF act as with no "
		      "tracer or listener: ENOSYS), GET_ACTION_AVAIL, GET_NOTIF_SIZES; "
		      "FLAG_NEW_LISTENER returns EINVAL"),
	PART(prctl, "names, PDEATHSIG (sent when the parent process exits), DUMPABLE, "
		    "NO_NEW_PRIVS, CHILD_SUBREAPER, "
		    "GET/SET_SECCOMP, CAPBSET_READ/DROP, CAP_AMBIENT, KEEPCAPS, SECUREBITS, TIMERSLACK "
		    "(kept, not applied), GET_TID_ADDRESS; other "
		    "options return EINVAL"),
	PART(sched_yield, "yields the Sentry thread"),
	PART(sched_getaffinity, "the mask set by sched_setaffinity, else every online host CPU"),
	PART(sysinfo, "host memory, load and uptime figures; procs counts the sandbox's threads"),
	PART(syslog, "the sandbox's own kernel log (a short boot log saying it is a sandbox), "
		     "never the host's; CAP_SYSLOG for every action (kernel.dmesg_restrict is 1, "
		     "read-only); console levels kept, no console"),
	PART(getcpu, "reports the CPU of the Sentry thread"),
	NO(rseq, "ENOSYS: glibc runs without restartable sequences"),
	PART(membarrier, "GLOBAL, GLOBAL_EXPEDITED, PRIVATE_EXPEDITED (+ registrations): running "
			 "app threads are interrupted and waited for; SYNC_CORE and RSEQ: EINVAL"),
	/* files and the fd table (sentry/syscalls/sys_file*.c, sys_fd*.c) */
	OK(read), OK(write), OK(pread64), OK(pwrite64), OK(readv), OK(writev),
	OK(preadv), OK(pwritev),
	PART(preadv2, "flags HIPRI (a hint), DSYNC, SYNC; NOWAIT, APPEND, NOAPPEND: EOPNOTSUPP"),
	PART(pwritev2, "flags HIPRI (a hint), DSYNC and SYNC (the file is synced after the write); "
		       "NOWAIT, APPEND, NOAPPEND: EOPNOTSUPP"),
	/* native AIO (sentry/fs/aio.c) */
	OK(io_setup), OK(io_destroy), OK(io_getevents), OK(io_pgetevents),
	PART(io_submit, "PREAD, PWRITE, PREADV, PWRITEV, FSYNC, FDSYNC, run to completion inside "
			"io_submit (as Linux's buffered AIO); aio_rw_flags as pwritev2; "
			"IOCB_CMD_POLL returns EINVAL (as Linux before 4.18)"),
	PART(io_cancel, "requests complete inside io_submit, so none is ever cancellable: EINVAL "
			"(as Linux for a completed request)"),
	OK(open), OK(openat), OK(creat), OK(close), OK(close_range), OK(lseek),
	OK(stat), OK(fstat), OK(lstat), OK(newfstatat), OK(statx),
	OK(access), OK(faccessat), OK(faccessat2), OK(getdents64), OK(getdents),
	OK(readlink), OK(readlinkat), OK(getcwd), OK(chdir), OK(fchdir), OK(chroot),
	OK(mkdir), OK(mkdirat), OK(unlink), OK(unlinkat), OK(rmdir),
	OK(rename), OK(renameat), OK(renameat2), OK(symlink), OK(symlinkat), OK(link), OK(linkat),
	OK(chmod), OK(fchmod), OK(fchmodat), OK(fchmodat2), OK(chown), OK(fchown), OK(lchown), OK(fchownat),
	OK(umask), OK(truncate), OK(ftruncate), OK(utimensat), OK(fsync), OK(fdatasync),
	OK(utime), OK(utimes), OK(futimesat),
	PART(mknod, "FIFOs, sockets and device nodes (CAP_MKNOD) on tmpfs and the overlay; a "
		    "device node opens only the devices the Sentry implements (others ENXIO); "
		    "a writable gofer bind mount makes FIFOs and sockets on the host, device "
		    "nodes EPERM; every FIFO, a host one too, is a pipe in the Sentry"),
	PART(mknodat, "as mknod"),
	PART(mount, "CAP_SYS_ADMIN; tmpfs (size, nr_inodes, mode, uid, gid), proc, sysfs, "
		    "cgroup2, mqueue (the sandbox's one), devpts (a view of the sandbox's one "
		    "set of ptys, as before Linux 4.7's instances; its options ignored), bind "
		    "(MS_REC), remount (tmpfs size/nr_inodes; other filesystems' options "
		    "ignored), MS_MOVE; MS_NOSYMFOLLOW, "
		    "MS_NODIRATIME, MS_STRICTATIME, MS_LAZYTIME, MS_SYNCHRONOUS and MS_DIRSYNC "
		    "are accepted without effect; propagation is private only: MS_SHARED and "
		    "MS_SLAVE are accepted and change nothing, MS_UNBINDABLE is kept; other "
		    "types (ext4, overlay...) ENODEV"),
	PART(umount2, "MNT_DETACH, MNT_EXPIRE, UMOUNT_NOFOLLOW; MNT_FORCE as plain; EBUSY "
		      "while open files, roots, cwds or mounts use it; a namespace's root "
		      "mount EINVAL"),
	PART(pivot_root, "a namespace's root mount may be pivoted though it hangs from no "
			 "parent (Linux's hang from an unseen rootfs)"),
	PART(fsopen, "the types mount(2) supports (others ENODEV); proc, cgroup2 and devpts "
		     "parameters are accepted without effect, as mount(2)'s; tmpfs takes size, "
		     "nr_inodes, mode, uid, gid (others EINVAL); read(2) gives its messages"),
	PART(fsconfig, "SET_FLAG, SET_STRING, CMD_CREATE(_EXCL), CMD_RECONFIGURE as Linux; "
		       "SET_BINARY/PATH/FD are checked, then EINVAL: no type here takes one"),
	OK(fsmount),
	PART(fspick, "reconfigures tmpfs options and ro/rw; other types' options as fsopen"),
	PART(move_mount, "MOVE_MOUNT_SET_GROUP EINVAL (every mount is private, so no "
			 "source is shared or a slave)"),
	OK(open_tree),
	PART(open_tree_attr, "as open_tree, then mount_setattr's rules on the mount"),
	PART(mount_setattr, "propagation is private only: MS_SHARED and MS_SLAVE are "
			    "accepted and change nothing, MS_UNBINDABLE is kept; "
			    "MOUNT_ATTR_NODIRATIME, NOSYMFOLLOW and STRICTATIME are accepted "
			    "without effect; MOUNT_ATTR_IDMAP EBADF/EINVAL (no user namespaces)"),
	PART(statmount, "every field group of Linux 6.18 but the fd form (STATMOUNT_BY_FD, "
			"EINVAL); propagation is private only; MNT_OPTS shows tmpfs's options "
			"(other types' as /proc/PID/mountinfo: none)"),
	OK(listmount),
	OK(statfs), OK(fstatfs), OK(dup), OK(dup2), OK(dup3),
	PART(openat2, "RESOLVE_CACHED walks the dentry cache only: EAGAIN on a miss (no "
		      "negative dentries are kept), on filesystems that revalidate (gofer "
		      "bind mounts, proc), and where Linux leaves its lockless walk (a file "
		      "walked through, a denied search)"),
	PART(fallocate, "tmpfs, memfd and the overlay's upper layer as Linux's tmpfs "
			"(allocate, KEEP_SIZE, PUNCH_HOLE; other modes EOPNOTSUPP); gofer files "
			"EOPNOTSUPP (9P2000.L has no fallocate, as Linux's 9p)"),
	PART(sync, "writes dirty shared mappings of host files to the Gofer; the host's own "
		   "page cache is not flushed (no Tfsync per file)"),
	PART(syncfs, "as sync, for the fd's filesystem"),
	PART(sync_file_range, "SYNC_FILE_RANGE_WRITE fsyncs the whole file"),
	PART(readahead, "checks as Linux, then a hint only: nothing is read ahead"),
	PART(cachestat, "tmpfs/memfd pages present are cached, never dirty (as shmem); a gofer "
			"file counts the pages its mmap page cache holds (none unless mapped), "
			"dirty from a writable mapping's fault to the last unmap (msync does not "
			"clean them); no swap: nothing evicted"),
	PART(fcntl, "O_ASYNC signals readiness of pipes and sockets only (not terminals), "
		    "possibly more often than Linux; lease-break-time is fixed at 45 s; record "
		    "locks on a read-write bind mount are shared with host processes (the "
		    "sandbox is one host OFD owner per file: deadlocks through a host "
		    "process are not detected, F_SETLKW polls a host conflict every 5 ms); "
		    "elsewhere they hold within the sandbox"),
	OK(pipe), OK(pipe2),
	PART(ioctl, "FIONREAD, FIOCLEX/FIONCLEX, FIONBIO, terminal queries on host ttys, and the "
		    "pty ioctls (termios, winsize, TIOCGPTN/SPTLCK, ctty, pgrp); "
		    "other requests return ENOTTY"),
	PART(getxattr, "user.*, trusted.* and security.* stored on tmpfs, memfd and the "
		       "overlay (copy-up carries them) with Linux's checks; gofer mounts "
		       "(host files) serve user.* from the host file, other namespaces "
		       "EOPNOTSUPP; ACLs are not implemented: system.posix_acl_* read as "
		       "absent; procfs reads ENODATA (Linux: EOPNOTSUPP)"),
	PART(lgetxattr, "as getxattr"), PART(fgetxattr, "as getxattr"),
	PART(listxattr, "as getxattr (trusted.* listed only with CAP_SYS_ADMIN)"),
	PART(llistxattr, "as listxattr"), PART(flistxattr, "as listxattr"),
	PART(setxattr, "as getxattr; gofer mounts: user.* set on the host file "
		       "(read-only mounts: EROFS; the overlay root copies up first); "
		       "system.posix_acl_*: "
		       "EOPNOTSUPP (no ACLs); security.capability is stored but execve "
		       "grants no file capabilities"),
	PART(lsetxattr, "as setxattr"), PART(fsetxattr, "as setxattr"),
	PART(removexattr, "as setxattr"),
	PART(lremovexattr, "as removexattr"), PART(fremovexattr, "as removexattr"),
	PART(getxattrat, "as getxattr (Linux 6.13's struct xattr_args; AT_EMPTY_PATH with a "
			 "NULL or empty path: the dirfd)"),
	PART(setxattrat, "as setxattr, with struct xattr_args"),
	PART(listxattrat, "as listxattr"), PART(removexattrat, "as removexattr"),
	OK(sendfile), OK(copy_file_range), OK(fadvise64), OK(poll), OK(ppoll),
	PART(splice, "data is copied, not moved page by page: pipe-to-pipe and file-to-pipe "
		     "counts can differ from Linux's page-granular ones when a pipe is partly full"),
	OK(tee),
	PART(vmsplice, "the pages are copied when called (SPLICE_F_GIFT is accepted): later "
		       "changes to the application's buffer do not reach the pipe"),
	PART(flock, "advisory, within the sandbox (not seen by host processes, even on a "
		    "bind mount: only fcntl record locks reach the host); LOCK_MAND is "
		    "EINVAL"),
	OK(eventfd), OK(eventfd2),
	OK(epoll_create), OK(epoll_create1), OK(epoll_wait), OK(epoll_pwait), OK(epoll_pwait2),
	PART(epoll_ctl, "EPOLLEXCLUSIVE is accepted and wakes every waiter; EPOLLWAKEUP is ignored"),
	OK(select), OK(pselect6),
	PART(timerfd_create, "expiries computed from the clock when read or polled; the alarm "
			     "clocks act as their plain ones"),
	PART(timerfd_settime, "TFD_TIMER_CANCEL_ON_SET is accepted but never cancels"),
	OK(timerfd_gettime),
	OK(signalfd), OK(signalfd4),
	PART(memfd_create, "MFD_HUGETLB is EINVAL; seals are not checked against mmap"),
	OK(inotify_init), OK(inotify_init1), OK(inotify_rm_watch),
	PART(inotify_add_watch, "IN_DELETE_SELF comes at the last unlink, not the last close; "
				"changes made outside the sandbox are not seen"),
	/* sockets */
	PART(socket, "AF_UNIX stream, dgram and seqpacket; other families (AF_INET, AF_INET6, "
		     "AF_NETLINK...) return EAFNOSUPPORT: networking is a later issue"),
	PART(socketpair, "AF_UNIX only (others EAFNOSUPPORT)"),
	OK(bind), OK(listen), OK(accept), OK(accept4), OK(connect), OK(getsockname),
	OK(getpeername), OK(shutdown),
	PART(sendto, "MSG_OOB is EOPNOTSUPP"),
	OK(recvfrom),
	PART(sendmsg, "SCM_RIGHTS and SCM_CREDENTIALS (unix sockets only in flight through "
		      "a cycle are collected when a unix socket is closed, as Linux's unix GC); "
		      "MSG_OOB is EOPNOTSUPP"),
	PART(recvmsg, "MSG_ERRQUEUE is not supported"),
	OK(sendmmsg),
	PART(recvmmsg, "the timeout is checked after each message, as Linux"),
	PART(setsockopt, "SOL_SOCKET: buffers (+FORCE), timeouts, SO_PASSCRED, SO_RCVLOWAT; "
			 "SO_LINGER, SO_PRIORITY and boolean options are stored only; other "
			 "options ENOPROTOOPT, other levels EOPNOTSUPP"),
	PART(getsockopt, "SOL_SOCKET: SO_TYPE, SO_DOMAIN, SO_PROTOCOL, SO_ERROR, buffers, "
			 "SO_PEERCRED, SO_ACCEPTCONN, SO_PASSCRED, timeouts and the stored ones; "
			 "others ENOPROTOOPT"),
};

const char *syscall_status_name(enum syscall_status s)
{
	switch (s) {
	case SYS_SUPPORTED: return "supported";
	case SYS_PARTIAL: return "partial";
	case SYS_UNSUPPORTED: return "unsupported";
	default: return "unknown";
	}
}

const char *syscall_name(uint64_t nr)
{
	if (nr < SYSCALL_MAX && g_syscall_table[nr].name)
		return g_syscall_table[nr].name;
	if (nr < SYSCALL_MAX && g_syscall_names[nr])
		return g_syscall_names[nr];
	return NULL;
}

/* One log line per unknown syscall number (a guest can call them in a loop). */
static uint64_t g_logged[SYSCALL_MAX / 64 + 1];
bool g_strace;

static void log_unsupported(const struct task *t, uint64_t nr)
{
	uint64_t idx = nr < SYSCALL_MAX ? nr : SYSCALL_MAX;

	if (g_logged[idx / 64] & (1ULL << (idx % 64)))
		return;
	g_logged[idx / 64] |= 1ULL << (idx % 64);
	/* Info level: the default log is the program's own stderr. */
	if (nr < SYSCALL_MAX && g_syscall_table[nr].name)
		log_info("syscall %s (%lu) is not supported: %s", g_syscall_table[nr].name,
			 (unsigned long)nr, g_syscall_table[nr].note);
	else if (syscall_name(nr))
		log_info("syscall %s (%lu) is not implemented: returning ENOSYS to task %d",
			 syscall_name(nr), (unsigned long)nr, t->tid);
	else
		log_info("unknown syscall number %lu from task %d: returning ENOSYS",
			 (unsigned long)nr, t->tid);
}

long syscall_dispatch(struct task *t, const struct sysargs *a)
{
	const struct syscall_entry *e = a->nr < SYSCALL_MAX ? &g_syscall_table[a->nr] : NULL;
	long ret;

	if (!e || !e->fn) {
		log_unsupported(t, a->nr);
		ret = -ENOSYS;
	} else {
		ret = e->fn(t, a);
	}
	if (g_strace)
		log_info("[%d] %s(%#lx, %#lx, %#lx, %#lx, %#lx, %#lx) = %ld", t->tid,
			 syscall_name(a->nr) ? syscall_name(a->nr) : "?", (unsigned long)a->arg[0],
			 (unsigned long)a->arg[1], (unsigned long)a->arg[2],
			 (unsigned long)a->arg[3], (unsigned long)a->arg[4],
			 (unsigned long)a->arg[5], ret);
	return ret;
}
