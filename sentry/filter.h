/* filter.h: the Sentry's own seccomp allowlist. */
#ifndef RUNSC_SENTRY_FILTER_H
#define RUNSC_SENTRY_FILTER_H

struct platform;

/* Set no_new_privs and install the kill-by-default allowlist, plus the platform's own
 * rules. Returns 0 or -errno. After this, any other host syscall kills the Sentry. */
int sentry_filter_install(struct platform *plat);

/* Before sentry_filter_install: also admit accept4 on this listening socket (the control
 * socket runsc bound for us). */
void sentry_filter_set_control_fd(int fd);

#endif
