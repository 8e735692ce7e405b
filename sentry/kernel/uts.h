/* uts.h: the sandbox's UTS names: one namespace, plus one per pod container whose spec
 * names its own hostname. */
#ifndef RUNSC_SENTRY_KERNEL_UTS_H
#define RUNSC_SENTRY_KERNEL_UTS_H

#include <sys/utsname.h>

/* Container ids (thread_group.cid) that may have their own names: 1 .. UTS_MAX_CID-1. */
#define UTS_MAX_CID 1024

/* Set at boot: the host's release/version/machine, the given hostname. */
void uts_init(const char *hostname);
/* Container cid gets its own names (the sandbox's, with hostname). 0, or -1 for a bad
 * cid. uts_drop_container: it shares the sandbox's again. */
int uts_new_container(int cid, const char *hostname);
void uts_drop_container(int cid);
/* The names of the calling task's container. */
void uts_get(struct utsname *u);
void uts_set_hostname(const char *name);
void uts_set_domainname(const char *name);

#endif
