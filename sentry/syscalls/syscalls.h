/* syscalls.h: the syscall handler shape, argument accessors, and the x86-64 table.
 *
 * Every handler is `long sys_NAME(struct task *t, const struct sysargs *a)` and returns
 * the result or a negative errno. Handlers that must not return to the normal path
 * (execve success, rt_sigreturn) say so through the task (see syscall_dispatch).
 */
#ifndef RUNSC_SENTRY_SYSCALLS_H
#define RUNSC_SENTRY_SYSCALLS_H

#include <stdbool.h>
#include <stdint.h>

#include "sentry/abi/uaddr.h"

struct task;

struct sysargs {
	uint64_t nr;
	uint64_t arg[6];
};

static inline int arg_int(const struct sysargs *a, int i)
{
	return (int)a->arg[i];
}
static inline unsigned arg_uint(const struct sysargs *a, int i)
{
	return (unsigned)a->arg[i];
}
static inline long arg_long(const struct sysargs *a, int i)
{
	return (long)a->arg[i];
}
static inline uint64_t arg_u64(const struct sysargs *a, int i)
{
	return a->arg[i];
}
static inline uaddr_t arg_uaddr(const struct sysargs *a, int i)
{
	return uaddr(a->arg[i]);
}

typedef long (*syscall_fn)(struct task *t, const struct sysargs *a);

enum syscall_status {
	SYS_UNKNOWN = 0,  /* not in the table: ENOSYS, logged once */
	SYS_SUPPORTED,	  /* does what Linux does */
	SYS_PARTIAL,	  /* some flags or cases return an errno; see the note */
	SYS_UNSUPPORTED,  /* always returns an errno (ENOSYS unless the note says) */
};

struct syscall_entry {
	const char *name;
	syscall_fn fn;
	enum syscall_status status;
	const char *note;
};

#define SYSCALL_MAX 512
extern const struct syscall_entry g_syscall_table[SYSCALL_MAX];
/* Every x86-64 syscall name by number, implemented or not (names_amd64.c). */
extern const char *const g_syscall_names[SYSCALL_MAX];

/* Run the handler for a->nr. Returns the value for rax. */
long syscall_dispatch(struct task *t, const struct sysargs *a);
const char *syscall_name(uint64_t nr);
/* `int $0x80` (int80.c): was the trapping instruction one, and serve it (i386 ABI). */
bool syscall_is_int80(struct task *t);
long syscall_dispatch_int80(struct task *t);
const char *syscall_status_name(enum syscall_status s);

/* Kernel-internal restart codes (never seen by the application). */
#define ERESTARTSYS 512
#define ERESTARTNOINTR 513
#define ERESTARTNOHAND 514
#define ERESTART_RESTARTBLOCK 516

#define DECLARE_SYSCALL(name) long sys_##name(struct task *t, const struct sysargs *a)
#include "sentry/syscalls/handlers.h"
#undef DECLARE_SYSCALL

#endif
