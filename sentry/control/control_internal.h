/* control_internal.h: shared by the files of sentry/control. */
#ifndef RUNSC_SENTRY_CONTROL_INTERNAL_H
#define RUNSC_SENTRY_CONTROL_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>

struct task;

/* Send obj (reference taken) as one packet. Returns 0 or -errno. */
int control_reply(int conn, json_t *obj);
/* Send {"error": message, "errno": -err}. */
int control_reply_error(int conn, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Whether init has exited (and its wait status). */
bool control_sandbox_exited(int *wait_status);
/* Count a connection that must be answered before the Sentry exits (+1 / -1). */
void control_busy(int delta);

/* Requests (ops.c, exec.c). fds are taken. */
int control_do_signal(int conn, json_t *req);
int control_do_ps(int conn, bool stats_only);
int control_do_exec(int conn, json_t *req, int *fds, int nfds);

/* execve argv[0] in t, searching PATH from envp when it has no '/' (as execvp does).
 * Kernel lock held. Returns 0 or -errno (-ENOENT when found nowhere). */
int control_execvp(struct task *t, char *const argv[], char *const envp[]);

#endif
