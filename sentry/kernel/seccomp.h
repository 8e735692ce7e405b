/* seccomp.h: seccomp inside the Sentry: the application's syscalls never reach the host,
 * so the Sentry runs each task's filters (the OCI profile and the ones the application
 * installs with seccomp(2) or prctl) before it dispatches a syscall, as Linux does. */
#ifndef RUNSC_SENTRY_KERNEL_SECCOMP_H
#define RUNSC_SENTRY_KERNEL_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>

#include <linux/filter.h>

#include "sentry/abi/uaddr.h"

struct task;

/* One installed program. Filters form a chain towards the oldest (prev); tasks share
 * chains by reference (fork, TSYNC), so a filter is never changed after install. */
struct seccomp_filter {
	int refs;
	struct seccomp_filter *prev; /* reference held */
	bool log;		     /* SECCOMP_FILTER_FLAG_LOG: log every action but allow */
	size_t len;
	struct sock_filter insns[];
};

/* Kernel lock held for all of these. */

/* Before dispatching t's syscall (from its registers; i386: an int $0x80, whose number,
 * 32-bit arguments and AUDIT_ARCH_I386 the filters see, as on Linux): true when the
 * filters (or strict mode) stop it, with *ret the value for rax (an errno, or the
 * untouched number when a signal kills or traps); the signal, if any, is queued. false:
 * dispatch as usual. */
bool task_seccomp_check(struct task *t, bool i386, long *ret);

/* fork/clone: the child runs under the parent's mode and filters. */
void task_seccomp_fork(struct task *child, const struct task *parent);
/* Drop t's reference on its filters (task exit). */
void task_seccomp_release(struct task *t);

/* Install a checked copy of prog (OCI profile at boot, or from the application). flags:
 * SECCOMP_FILTER_FLAG_TSYNC and _LOG (others: the caller refuses them). Returns 0, a
 * thread id (TSYNC: a thread whose filters diverge), or -EINVAL/-ENOMEM/-EACCES. */
long task_seccomp_add(struct task *t, const struct sock_filter *prog, size_t len,
			unsigned flags);
/* The container's profile (OCI linux.seccomp, compiled by runsc): kept from boot and
 * installed in every process the runtime starts (init and `runsc exec`), as runc installs
 * it before the container process's execve. prog is copied. Returns 0 or -EINVAL. */
int task_seccomp_set_container(const struct sock_filter *prog, size_t len, bool log);
/* Install the container's profile in t (a new task about to exec), if there is one. */
int task_seccomp_enter_container(struct task *t);

/* seccomp(2) and prctl(PR_SET_SECCOMP) (sys_seccomp.c). */
long task_seccomp_strict(struct task *t);
long task_seccomp_filter(struct task *t, unsigned flags, uaddr_t uprog);
/* 0, SECCOMP_MODE_STRICT or SECCOMP_MODE_FILTER. */
int task_seccomp_mode(const struct task *t);

#endif
