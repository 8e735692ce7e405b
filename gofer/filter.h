/* filter.h: the gofer's own kill-by-default seccomp allowlist. */
#ifndef RUNSC_GOFER_FILTER_H
#define RUNSC_GOFER_FILTER_H

#include <stddef.h>

/* Install the gofer's filter on the calling process (all threads). Call after the mount
 * walls are up and fds are closed: from then on only the serving loop's syscalls work and
 * anything else kills the process. Every openat must carry O_NOFOLLOW, mmap and mprotect
 * may not make memory executable. Returns 0 or -errno. */
int gofer_filter_install(void);

/* Number of syscalls the filter allows (for logs and tests). */
size_t gofer_filter_count(void);

#endif
