/* control_internal.h: shared by the files of sentry/control. */
#ifndef RUNSC_SENTRY_CONTROL_INTERNAL_H
#define RUNSC_SENTRY_CONTROL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

struct pid_ns;
struct task;
struct fdtable;
struct thread_group;
struct mount;
struct sock_filter;
struct cgroup;

/* The container a request is for: the sandbox's own (cid 0) or one of its pod. */
struct control_target {
	int cid;			/* thread_group.cid of its processes */
	struct mount *root;		/* its mount tree; NULL: the sandbox's */
	struct cgroup *cgroup;		/* its cgroup (a reference); NULL: the root's */
	struct sock_filter *seccomp;	/* cid > 0: its OCI profile (NULL: none) */
	size_t seccomp_len;
	bool seccomp_log;
	struct pid_ns *pidns;		/* its processes' pid namespace (a reference); NULL:
					 * the sandbox's */
};

/* The sandbox's own container. */
extern const struct control_target g_control_sandbox;

/* Send obj (reference taken) as one packet. Returns 0 or -errno. */
int control_reply(int conn, json_t *obj);
/* Send {"error": message, "errno": -err}. */
int control_reply_error(int conn, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Whether init has exited (and its wait status). */
bool control_sandbox_exited(int *wait_status);
/* Count a connection that must be answered before the Sentry exits (+1 / -1). */
void control_busy(int delta);

/* Requests (ops.c, exec.c) for container c. fds are taken. init: c's first process
 * (NULL: it has exited). */
int control_do_signal(int conn, json_t *req, const struct control_target *c,
		      struct thread_group *init);
int control_do_ps(int conn, bool stats_only, const struct control_target *c);
/* {"cmd":"update","resources":{...}}: c's cgroup limits (keys as in the boot spec). */
int control_do_update(int conn, json_t *req, const struct control_target *c);
int control_do_exec(int conn, json_t *req, int *fds, int nfds, const struct control_target *c);

/* Pod containers (container.c): requests that name a container "id". */
int control_container_request(int conn, const char *cmd, json_t *req, int *fds, int nfds);

/* Install c's OCI seccomp profile in t (a new process before its execve). Kernel lock
 * held. Returns 0 or -errno. */
int control_enter_seccomp(struct task *t, const struct control_target *c);

/* A new fd table whose 0-2 are the host fds fds[0..2] (taken: set to -1). */
struct fdtable *control_stdio_table(int *fds);

/* execve argv[0] in t, searching PATH from envp when it has no '/' (as execvp does).
 * Kernel lock held. Returns 0 or -errno (-ENOENT when found nowhere). */
int control_execvp(struct task *t, char *const argv[], char *const envp[]);

#endif
