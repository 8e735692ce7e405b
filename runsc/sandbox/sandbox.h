/* sandbox.h: starting a sandbox's processes: the Gofer and the Sentry. */
#ifndef RUNSC_SANDBOX_H
#define RUNSC_SANDBOX_H

#include <stdbool.h>

struct sandbox_opts {
	const char *root;  /* host directory the Gofer serves as / */
	int spec_fd;	   /* boot spec (memfd) for the Sentry */
	bool readonly;	   /* the Gofer refuses writes */
};

/* Start the Gofer and the Sentry, wait for the Sentry, and return the exit status to
 * report: the program's, 128+N for a signal, or 125/1 for set-up failures. */
int sandbox_run(const struct sandbox_opts *o);

#endif
