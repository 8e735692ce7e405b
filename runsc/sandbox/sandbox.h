/* sandbox.h: starting a sandbox's processes: the Gofer and the Sentry. */
#ifndef RUNSC_SANDBOX_H
#define RUNSC_SANDBOX_H

#include <stdbool.h>
#include <sys/types.h>

/* At most this many bind mounts, each its own Gofer connection. */
#define SANDBOX_MAX_BINDS 64

/* One OCI bind mount the Gofer serves (config.json order of bind mounts). */
struct sandbox_bind {
	const char *source; /* canonical host path (oci_mounts_resolve) */
	bool readonly;
};

struct sandbox_opts {
	const char *root;  /* host directory the Gofer serves as / */
	int spec_fd;	   /* boot spec (memfd) for the Sentry */
	bool readonly;	   /* the Gofer refuses writes */
	/* For runsc create/run (0 / NULL for runsc do): */
	int stdio_fd;	   /* > 0: becomes the Sentry's fds 0-2 (a pty slave); else inherit */
	int control_fd;	   /* > 0: listening control socket for the Sentry */
	int sync_fd;	   /* > 0: write end of the readiness pipe for the Sentry */
	bool wait_start;   /* the Sentry waits for `start` on the control socket */
	bool new_session;  /* setsid in both children (they outlive runsc create) */
	char **cgroup_procs; /* NULL-terminated cgroup.procs files both children join */
	const struct sandbox_bind *binds; /* nbinds entries, served in this order */
	int nbinds;
	/* process.oomScoreAdj: written to both children's /proc/self/oom_score_adj before
	 * they exec, so the Sentry's platform stubs inherit it (runc sets its init's). */
	bool set_oom_score_adj;
	int oom_score_adj;
};

struct sandbox {
	pid_t sentry;	   /* the Sentry: pid 1 of its pid namespace; its status = init's */
	pid_t gofer;
};

/* Start the Gofer and the Sentry as children of the caller. Returns 0 or -errno. */
int sandbox_start(const struct sandbox_opts *o, struct sandbox *sb);

/* Start only a Gofer (for a container joining a running sandbox): sentry_ends gets the
 * other ends of its 1 + o->nbinds connections (root first). Returns 0 or -errno. */
int sandbox_start_gofer(const struct sandbox_opts *o, pid_t *gofer, int *sentry_ends);

/* SIGKILL both processes (when still running); reap them if they are our children. */
void sandbox_kill(const struct sandbox *sb, bool reap);

/* Turn the Sentry's wait status into an exit code (128+N for a signal), explaining
 * a SIGSYS (seccomp) death on stderr. */
int sandbox_exit_code(int wait_status);

/* Start the Gofer and the Sentry, wait for the Sentry, and return the exit status to
 * report: the program's, 128+N for a signal, or 125/1 for set-up failures. */
int sandbox_run(const struct sandbox_opts *o);

#endif
