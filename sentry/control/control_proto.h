/* control_proto.h: the control socket protocol between runsc and the Sentry.
 *
 * A SOCK_SEQPACKET unix socket that runsc creates and binds (the Sentry only accepts on
 * the inherited fd). Each message is one packet holding one JSON object. A request has
 * "cmd"; the reply has "ok": true plus results, or "error" (text) and "errno".
 *
 *   {"cmd":"start"}                          start init (a sandbox made by `runsc create`)
 *   {"cmd":"signal","sig":N,"pid":P,"all":B} P = 0: init; all: every process
 *   {"cmd":"exec", <process>}  + fds 0,1,2   -> {"ok":true,"pid":N}, later {"exit":W}
 *   {"cmd":"wait"}                           -> {"exit":W} when init has exited
 *   {"cmd":"ps"}                             -> {"ok":true,"procs":[{pid,ppid,uid,...}]}
 *   {"cmd":"stats"}                          -> {"ok":true,"pids":N,"threads":N}
 *   {"cmd":"update","resources":{...}}       new cgroup limits (the boot spec's keys;
 *                                            absent ones are kept)
 *
 * Pods: a request with "id" is for that container of the sandbox's pod (start, signal,
 * exec, wait, ps, stats, update as above; pid 0 is the container's first process, "all"
 * its processes; update sets its own cgroup's limits), plus:
 *   {"cmd":"create","id":ID,"sandbox":SID,"spec":<boot spec>} + fds 0,1,2, root, binds...
 *                                            a new container, its process not started,
 *                                            in its cgroup /ID (the sandbox's: /SID)
 *   {"cmd":"destroy","id":ID}                kill its processes and forget it
 *
 * W is a wait status as waitpid reports it. <process> carries "args", "env", "cwd",
 * "uid", "gid", "gids", "umask", "rlimits" [{"type","soft","hard"}], like the boot spec;
 * exec's also "nice", the nice value of `runsc exec` that the process starts at. Both
 * may carry "sched" {policy, nice, priority, reset_on_fork} and "ioprio" (the OCI
 * process.scheduler and ioPriority), applied before the program starts.
 */
#ifndef RUNSC_SENTRY_CONTROL_PROTO_H
#define RUNSC_SENTRY_CONTROL_PROTO_H

/* Largest message either side sends or accepts. */
#define CONTROL_MSG_MAX (64 * 1024)
/* Most fds one request carries: a pod container's stdio, root and 64 bind mounts. */
#define CONTROL_MAX_FDS (3 + 1 + 64)

#endif
