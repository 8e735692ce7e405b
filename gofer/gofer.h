/* gofer.h: the gofer process: serve a host directory over 9P2000.L behind its walls
 * (own mount namespace with an empty root, no_new_privs, seccomp allowlist). */
#ifndef RUNSC_GOFER_GOFER_H
#define RUNSC_GOFER_GOFER_H

#include <stdbool.h>

#define GOFER_MAX_BINDS 64

/* An OCI bind mount served on a connection of its own. */
struct gofer_bind {
	const char *source; /* host path, canonical (runsc resolved it); its last component is
			     * not followed */
	int sock_fd;	    /* connected socket to the Sentry */
	bool readonly;	    /* EROFS for every mutation; the host mount is read-only too */
};

struct gofer_opts {
	const char *root; /* host directory to serve ("/" for `runsc do`) */
	int sock_fd;	  /* connected socket to the Sentry (stream or seqpacket) */
	bool readonly;	  /* refuse every mutation with EROFS, mount the tree read-only */
	bool walls;	  /* mount namespace + pivot_root, fd cleanup, seccomp; off in tests */
	struct gofer_bind binds[GOFER_MAX_BINDS];
	int nbinds;
	int workers;	/* worker threads; 0: from the CPU count (pool.h) */
	bool no_uring;	/* host I/O on the workers even where io_uring works (tests) */
};

/* Serve o->root on o->sock_fd until the Sentry hangs up. With walls, the process first
 * enters a new mount namespace whose root is an empty read-only tmpfs (the served tree is
 * reached only through a held fd of a detached, optionally read-only, copy of its mounts),
 * closes every fd but stdio, the log fd and the socket, sets no_new_privs and installs the
 * seccomp filter of filter.c: call it in a process of its own. Each bind source is opened
 * before the walls go up (a directory as a detached copy of its mounts, read-only when
 * asked; a file through its directory) and served on its own connection; a source that
 * cannot be opened fails the start. Returns a process exit
 * code: 0 when the peer hung up, 1 on a setup or connection error (logged). */
int gofer_run(const struct gofer_opts *o);

#endif
