/* container_internal.h: shared by the files of runsc/container. */
#ifndef RUNSC_CONTAINER_INTERNAL_H
#define RUNSC_CONTAINER_INTERNAL_H

#include "runsc/container/container.h"
#include "runsc/sandbox/sandbox.h"

/* The process part of a boot spec / exec request (args, env, cwd, ids, rlimits, umask). */
json_t *bootspec_process(const struct oci_process *p);
/* linux.resources as cgroup v2 values for the container's cgroup inside the sandbox
 * (runc's v1-to-v2 conversions: swap.max = swap - limit, weight from shares). */
json_t *bootspec_resources(const struct oci_resources *r);
/* The whole boot spec (hostname: the spec's, else id). */
json_t *bootspec_json(const struct oci_spec *s, const char *id);
/* The whole boot spec in a sealed-off memfd for the Sentry. Returns the fd or -errno. */
int bootspec_memfd(const struct oci_spec *s, const char *id, struct oci_error *e);

/* lifecycle.c: the spec's bind mounts, in order, for a Gofer (the count or -errno);
 * wait until pid is gone (reaping it when it is our child). */
int bind_list(const struct oci_spec *s, struct sandbox_bind *binds, struct oci_error *e);
void container_wait_gone(pid_t pid, unsigned long long start);

/* Host proxies (pod.c; exec's too): end like a process that ended with wait status,
 * and give up the container's stdio. */
_Noreturn void proxy_exit_like(int status);
/* Read a proxy's answer on fd until EOF (NUL-terminated in buf); closes fd. */
size_t proxy_read_sync(int fd, char *buf, size_t size);
void proxy_quiet_stdio(void);

#endif
