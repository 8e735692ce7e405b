/* signal_internal.h: signal frame construction and sigreturn (sigframe.c). */
#ifndef RUNSC_SENTRY_KERNEL_SIGNAL_INTERNAL_H
#define RUNSC_SENTRY_KERNEL_SIGNAL_INTERNAL_H

#include "sentry/kernel/task.h"

/* Build an rt_sigframe for sig on t's stack and point the registers at the handler.
 * Returns 0 or -EFAULT (the caller forces SIGSEGV). */
int sigframe_setup(struct task *t, int sig, const siginfo_t *info, struct ksigaction *ka);
/* rt_sigreturn: restore registers, mask and FPU from the frame at rsp-8. Returns the
 * restored rax, or -EFAULT after forcing SIGSEGV. */
long sigframe_return(struct task *t);

#endif
