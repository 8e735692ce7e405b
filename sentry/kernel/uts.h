/* uts.h: the sandbox's UTS names (one UTS namespace for now). */
#ifndef RUNSC_SENTRY_KERNEL_UTS_H
#define RUNSC_SENTRY_KERNEL_UTS_H

#include <sys/utsname.h>

/* Set at boot: the host's release/version/machine, the given hostname. */
void uts_init(const char *hostname);
void uts_get(struct utsname *u);
void uts_set_hostname(const char *name);
void uts_set_domainname(const char *name);

#endif
