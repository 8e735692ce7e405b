/* container_internal.h: shared by the files of runsc/container. */
#ifndef RUNSC_CONTAINER_INTERNAL_H
#define RUNSC_CONTAINER_INTERNAL_H

#include "runsc/container/container.h"

/* The process part of a boot spec / exec request (args, env, cwd, ids, rlimits, umask). */
json_t *bootspec_process(const struct oci_process *p);
/* The whole boot spec in a sealed-off memfd for the Sentry. Returns the fd or -errno. */
int bootspec_memfd(const struct oci_spec *s, const char *id, struct oci_error *e);

#endif
