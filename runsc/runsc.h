/* runsc.h: global flags and the subcommand table of the runsc command. */
#ifndef RUNSC_RUNSC_H
#define RUNSC_RUNSC_H

#include <getopt.h>
#include <stdbool.h>
#include <string.h>

struct runsc_globals {
	const char *root;	  /* --root: state directory */
	const char *log;	  /* --log: log file ("" = stderr) */
	const char *log_format;	  /* --log-format: text|json */
	const char *debug_log;	  /* --debug-log: debug log file */
	const char *platform;	  /* --platform: auto|ptrace|... */
	const char *kvm_mode;	  /* --kvm-mode: auto|exit|ring0 (platform kvm) */
	const char *network;	  /* --network: sandbox|host|none */
	bool debug;		  /* --debug */
	bool strace;		  /* --strace */
	bool seccomp_probe;	  /* --debug-seccomp-probe (hidden, tests) */
	bool systemd_cgroup;	  /* --systemd-cgroup: cgroupsPath is slice:prefix:name */
	const char *rootless;	  /* --rootless: true|false|auto (only false/auto work) */
	const char *config;	  /* --config: file of `flag = value` lines */
	const char *overlay2;	  /* --overlay2: root:memory (default) | none (write through) */
	const char *self;	  /* argv[0] */
};

extern struct runsc_globals g_opts;

/* --overlay2=none: the root filesystem is served read-write, writes reach the host. */
static inline bool runsc_write_through(void)
{
	return g_opts.overlay2 && !strcmp(g_opts.overlay2, "none");
}

/* Build the global flags again for a child runsc (boot, gofer). Returns the count
 * appended to argv (which must have room for 16). */
int runsc_global_args(const char **argv);

/* A memfd (close-on-exec) holding o as compact JSON, written in one call
 * (json_dumpfd writes token by token: 700 syscalls for a boot spec). Returns the fd, or
 * -1 with errno set. */
struct json_t;
int runsc_json_memfd(const struct json_t *o, const char *name);

struct runsc_cmd {
	const char *name;
	const char *summary;	/* NULL = hidden */
	int (*run)(int argc, char **argv); /* argv[0] is the subcommand name */
};

/* Report a failed command: on stderr, and as the last line of --log (JSON for
 * containerd, which reads it back). Returns 1, the exit status. */
int runsc_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Parse "--flag[=v]" style flags for a subcommand with getopt_long ("+": stop at the
 * first positional), reporting unknown ones. Returns the option or -1 at the end, '?'
 * after reporting an error. */
int runsc_getopt(int argc, char **argv, const char *shortopts, const struct option *opts);

int cmd_do(int argc, char **argv);
int cmd_create(int argc, char **argv);
int cmd_start(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_exec(int argc, char **argv);
int cmd_kill(int argc, char **argv);
int cmd_delete(int argc, char **argv);
int cmd_state(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_ps(int argc, char **argv);
int cmd_wait(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_pause(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_update(int argc, char **argv);
int cmd_features(int argc, char **argv);
int cmd_checkpoint(int argc, char **argv);
int cmd_restore(int argc, char **argv);
int cmd_spec(int argc, char **argv);
int cmd_syscalls(int argc, char **argv);
int cmd_boot(int argc, char **argv);
int cmd_gofer(int argc, char **argv);

#endif
