/* caps.h: capability sets in struct creds with Linux's rules for set*id, execve, capset,
 * the bounding set, ambient capabilities and securebits (no file capabilities). */
#ifndef RUNSC_SENTRY_KERNEL_CAPS_H
#define RUNSC_SENTRY_KERNEL_CAPS_H

#include <stdbool.h>
#include <stdint.h>

struct creds;
struct task;

#define CAPS_LAST_CAP 40 /* CAP_CHECKPOINT_RESTORE */
#define CAPS_FULL ((1ULL << (CAPS_LAST_CAP + 1)) - 1)

/* Initial sets for a task with these ids: full for root, empty otherwise; full bounding. */
void caps_init(struct creds *c);

/* Does t hold cap in its effective set? */
bool caps_capable(const struct task *t, int cap);
/* Linux's ptrace_may_access(target, PTRACE_MODE_*_REALCREDS) (process_vm_*, kcmp,
 * pidfd_getfd, migrate_pages, move_pages): t's own thread group, t's real uid and gid
 * equal to all of target's and target dumpable, or CAP_SYS_PTRACE. */
bool caps_ptrace_may_access(const struct task *t, const struct task *target);
/* The same with t's filesystem uid and gid (PTRACE_MODE_*_FSCREDS: process_madvise). */
bool caps_ptrace_may_access_fs(const struct task *t, const struct task *target);

/* Do credentials c (a task's fs creds) hold cap in their effective set? */
bool caps_creds_capable(const struct creds *c, int cap);

/* A digest of every id, group and capability set in c: equal for equal credentials (a
 * file's opener's, compared as Linux compares f_cred with current_cred()). */
uint64_t caps_creds_sig(const struct creds *c);

/* Adjust caps after uids changed from old to c (setuid family), as Linux does. */
void caps_fix_setuid(struct creds *c, const struct creds *old);

/* Compute the sets for execve of a file without capabilities or set-id bits. */
void caps_exec(struct creds *c);

/* capset's checks and update; 0 or -EPERM. */
int caps_set(struct creds *c, uint64_t eff, uint64_t prm, uint64_t inh, bool setpcap);

/* prctl options about capabilities and securebits; -EINVAL if opt is not one of them. */
long caps_prctl(struct task *t, int opt, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

#endif
