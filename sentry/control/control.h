/* control.h: the Sentry side of the control socket (runsc start/kill/exec/ps/wait). The
 * server runs in its own Sentry threads; protocol in control_proto.h. */
#ifndef RUNSC_SENTRY_CONTROL_CONTROL_H
#define RUNSC_SENTRY_CONTROL_CONTROL_H

#include <stdbool.h>

struct task;

/* Serve the listening socket listen_fd (already bound by runsc) from a new thread.
 * init is the sandbox's first task; wait_start: it has not been started yet and waits
 * for a `start` request. Returns 0 or -errno. */
int control_start(int listen_fd, struct task *init, bool wait_start);

/* Main thread, when wait_start: block until a `start` request (returns 0, init's host
 * thread is running) or a SIGKILL before start (returns SIGKILL). */
int control_wait_start(void);

/* Main thread, after init exited with wait_status: answer every `wait` request, give
 * the server a moment to send them, and stop serving. */
void control_init_exited(int wait_status);

/* Parse and run one request (exposed for tests). fds: received descriptors (taken).
 * reply_fd: where the answer goes. Returns 0, or -errno when the connection must end. */
int control_handle(int conn, const char *msg, int len, int *fds, int nfds);

#endif
