/* int80.c: `int $0x80` from 64-bit code runs the i386 syscall ABI, as on Linux with IA32
 * emulation (Debian's kernels): the number is eax's i386 number, the arguments are ebx,
 * ecx, edx, esi, edi and ebp (32 bits each), the result goes to rax, and every other
 * register is kept (rcx and r11 too, unlike `syscall`).
 *
 * Served: the i386 calls whose arguments are integers, file descriptors or pointers to
 * data laid out the same in both ABIs, mapped to their x86-64 handlers. Every other i386
 * number (structures of another layout: stat64, old mmap, signals, time, sockets...)
 * returns ENOSYS, logged once per number. */
#include "sentry/syscalls/syscalls.h"

#include <errno.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "lib/log.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"

#define I386_MAX 440

/* i386 number -> x86-64 number + 1 (0: not served). */
static const uint16_t g_i386[I386_MAX] = {
#define M(i386, x64) [i386] = (x64) + 1
	M(1, SYS_exit), M(2, SYS_fork), M(3, SYS_read), M(4, SYS_write), M(5, SYS_open),
	M(6, SYS_close), M(8, SYS_creat), M(9, SYS_link), M(10, SYS_unlink),
	M(12, SYS_chdir), M(15, SYS_chmod), M(20, SYS_getpid), M(27, SYS_alarm),
	M(29, SYS_pause), M(33, SYS_access), M(36, SYS_sync), M(37, SYS_kill),
	M(38, SYS_rename), M(39, SYS_mkdir), M(40, SYS_rmdir), M(41, SYS_dup),
	M(42, SYS_pipe), M(45, SYS_brk), M(57, SYS_setpgid), M(60, SYS_umask),
	M(63, SYS_dup2), M(64, SYS_getppid), M(65, SYS_getpgrp), M(66, SYS_setsid),
	M(83, SYS_symlink), M(85, SYS_readlink), M(91, SYS_munmap), M(94, SYS_fchmod),
	M(118, SYS_fsync), M(122, SYS_uname), M(125, SYS_mprotect), M(132, SYS_getpgid),
	M(133, SYS_fchdir), M(143, SYS_flock), M(147, SYS_getsid), M(148, SYS_fdatasync),
	M(158, SYS_sched_yield), M(183, SYS_getcwd), M(190, SYS_vfork),
	M(198, SYS_lchown), M(199, SYS_getuid), M(200, SYS_getgid), M(201, SYS_geteuid),
	M(202, SYS_getegid), M(207, SYS_fchown), M(212, SYS_chown), M(213, SYS_setuid),
	M(214, SYS_setgid), M(219, SYS_madvise), M(224, SYS_gettid), M(238, SYS_tkill),
	M(252, SYS_exit_group), M(270, SYS_tgkill), M(295, SYS_openat), M(296, SYS_mkdirat),
	M(298, SYS_fchownat), M(301, SYS_unlinkat), M(302, SYS_renameat),
	M(303, SYS_linkat), M(304, SYS_symlinkat), M(305, SYS_readlinkat),
	M(306, SYS_fchmodat), M(307, SYS_faccessat), M(318, SYS_getcpu),
	M(328, SYS_eventfd2), M(329, SYS_epoll_create1), M(330, SYS_dup3),
	M(331, SYS_pipe2), M(332, SYS_inotify_init1), M(355, SYS_getrandom),
	M(356, SYS_memfd_create), M(436, SYS_close_range),
#undef M
};

static uint64_t g_logged[I386_MAX / 64 + 1];

bool syscall_is_int80(struct task *t)
{
	uint8_t insn[2];

	return t->regs.rip >= 2 &&
	       mm_copy_in(t->mm, insn, t->regs.rip - 2, sizeof(insn)) == 0 &&
	       insn[0] == 0xcd && insn[1] == 0x80;
}

long syscall_dispatch_int80(struct task *t)
{
	uint32_t nr = (uint32_t)t->regs.orig_rax;
	struct sysargs a = {
		.arg = { (uint32_t)t->regs.rbx, (uint32_t)t->regs.rcx, (uint32_t)t->regs.rdx,
			 (uint32_t)t->regs.rsi, (uint32_t)t->regs.rdi, (uint32_t)t->regs.rbp },
	};

	if (nr >= I386_MAX || !g_i386[nr]) {
		uint32_t idx = nr < I386_MAX ? nr : I386_MAX;

		if (!(g_logged[idx / 64] & (1ULL << (idx % 64)))) {
			g_logged[idx / 64] |= 1ULL << (idx % 64);
			log_info("int $0x80: i386 syscall %u is not supported: returning ENOSYS "
				 "to task %d", nr, t->tid);
		}
		return -ENOSYS;
	}
	a.nr = g_i386[nr] - 1u;
	return syscall_dispatch(t, &a);
}
