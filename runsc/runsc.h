/* runsc.h: global flags and the subcommand table of the runsc command. */
#ifndef RUNSC_RUNSC_H
#define RUNSC_RUNSC_H

#include <stdbool.h>

struct runsc_globals {
	const char *root;	  /* --root: state directory */
	const char *log;	  /* --log: log file ("" = stderr) */
	const char *log_format;	  /* --log-format: text|json */
	const char *debug_log;	  /* --debug-log: debug log file */
	const char *platform;	  /* --platform: auto|ptrace|... */
	const char *network;	  /* --network: sandbox|host|none */
	bool debug;		  /* --debug */
	bool strace;		  /* --strace */
	bool seccomp_probe;	  /* --debug-seccomp-probe (hidden, tests) */
	const char *self;	  /* argv[0] */
};

extern struct runsc_globals g_opts;

/* Build the global flags again for a child runsc (boot, gofer). Returns the count
 * appended to argv (which must have room for 16). */
int runsc_global_args(const char **argv);

struct runsc_cmd {
	const char *name;
	const char *summary;	/* NULL = hidden */
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

int cmd_do(int argc, char **argv);
int cmd_spec(int argc, char **argv);
int cmd_syscalls(int argc, char **argv);
int cmd_boot(int argc, char **argv);
int cmd_gofer(int argc, char **argv);

#endif
