/* boot.h: `runsc boot`, the Sentry's entry point. */
#ifndef RUNSC_SENTRY_BOOT_H
#define RUNSC_SENTRY_BOOT_H

#include <stdbool.h>

/* Exit code when the Sentry could not set the sandbox up (the program never ran). */
#define BOOT_EXIT_SETUP 125

struct boot_opts {
	int spec_fd;	    /* JSON boot spec: argv, env, cwd, uid, gid, gids, umask, rlimits,
			     * hostname, overlay, readonly, mounts, masked (see boot.c) */
	int gofer_fd;	    /* 9P connection to the Gofer serving the root */
	const char *platform; /* "auto", "ptrace", ... */
	bool strace;	    /* log every syscall */
	bool seccomp_probe; /* after the filter, make a forbidden syscall (tests) */
	int control_fd;	    /* listening control socket bound by runsc, -1 = none */
	int sync_fd;	    /* runsc create's pipe: one NUL byte when ready, else a message */
	bool wait_start;    /* created, not started: run init on the control `start` */
	const int *mount_fds; /* 9P connections of the spec's bind mounts, in their order */
	int nmount_fds;
};

/* Run the sandbox; returns the process exit code (init's status, 128+signal, 127 for a
 * missing program, BOOT_EXIT_SETUP on set-up failure). */
int boot_main(const struct boot_opts *o);

#endif
