/* oci.h: the OCI runtime spec (config.json) parsed with jansson into C structs. Every
 * error names the field it is about (`process.args[2]: ...`); every field runsc does
 * not apply is either an error or one warning line naming it (oci_spec.warnings). */
#ifndef RUNSC_OCI_OCI_H
#define RUNSC_OCI_OCI_H

#include <jansson.h>
#include <linux/filter.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/* A formatted error message; functions that fill one return -EINVAL (or -errno). */
struct oci_error {
	char msg[512];
};

/* Record a message in e (may be NULL) and return -EINVAL. */
int oci_errorf(struct oci_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A list of warning lines (owned strings). */
struct oci_warnings {
	char **v;
	int n;
};

void oci_warn(struct oci_warnings *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void oci_warnings_free(struct oci_warnings *w);

#define OCI_MAX_GIDS 32

enum oci_capset { OCI_CAP_BOUNDING, OCI_CAP_EFFECTIVE, OCI_CAP_INHERITABLE, OCI_CAP_PERMITTED,
		  OCI_CAP_AMBIENT, OCI_CAP_NSETS };

struct oci_rlimit {
	int type;	    /* RLIMIT_* */
	uint64_t soft, hard;
};

/* process: also the whole of an `exec --process` file. */
struct oci_process {
	bool terminal;
	unsigned console_height, console_width;
	uid_t uid;
	gid_t gid;
	int ngids;
	gid_t gids[OCI_MAX_GIDS];
	int umask;		/* -1: not given (0022 applies) */
	char **args;		/* NULL-terminated, at least one */
	char **env;		/* NULL-terminated */
	char *cwd;		/* absolute */
	bool has_caps;
	uint64_t caps[OCI_CAP_NSETS]; /* bit N = capability N */
	int nrlimits;
	struct oci_rlimit rlimits[RLIM_NLIMITS];
	bool no_new_privs;
	bool has_oom_score_adj;	/* oomScoreAdj given: the Sentry's, the Gofer's and init's */
	int oom_score_adj;	/* -1000..1000 */
	/* process.scheduler (SCHED_DEADLINE is not applied) and process.ioPriority, set
	 * before the program starts, as runc does. */
	bool has_sched, sched_reset_on_fork;
	int sched_policy, sched_nice, sched_prio;
	int ioprio;		/* IOPRIO_PRIO_VALUE(class, priority); 0: not given */
};

struct oci_mount {
	char *destination;	/* absolute */
	char *type;		/* "" when absent */
	char *source;		/* "" when absent */
	char **options;		/* NULL-terminated */
	bool bind;		/* type "bind" or a bind/rbind option */
	bool readonly;		/* "ro" option (the last of ro/rw wins) */
	unsigned long flags;	/* MS_* from the options (MS_RDONLY, MS_NOEXEC, MS_BIND...) */
	char *data;		/* filesystem options ("size=65536k,mode=755"), "" if none */
	/* Bind mounts, set by oci_spec_load: the source as a canonical host path. */
	char *source_path;
	bool source_is_dir;	/* else a regular file */
};

enum oci_hook_kind { OCI_HOOK_PRESTART, OCI_HOOK_CREATE_RUNTIME, OCI_HOOK_CREATE_CONTAINER,
		     OCI_HOOK_START_CONTAINER, OCI_HOOK_POSTSTART, OCI_HOOK_POSTSTOP,
		     OCI_HOOK_NKINDS };

struct oci_hook {
	char *path;		/* absolute */
	char **args;		/* NULL-terminated; may be empty (then argv[0] = path) */
	char **env;		/* NULL-terminated */
	int timeout;		/* seconds, 0 = none */
};

struct oci_hooks {
	struct oci_hook *v[OCI_HOOK_NKINDS];
	int n[OCI_HOOK_NKINDS];
};

/* linux.resources: -1 / 0 / NULL mean "not given". */
struct oci_resources {
	int64_t memory_limit;	  /* bytes, -1 = unset (and -1 in the spec = unlimited) */
	int64_t memory_swap;
	int64_t memory_reservation;
	uint64_t cpu_shares;
	int64_t cpu_quota;	  /* -1 unset */
	uint64_t cpu_period;
	char *cpuset_cpus, *cpuset_mems;
	int64_t pids_limit;	  /* 0 unset, -1 unlimited */
};

/* linux.seccomp compiled to classic BPF (prog NULL: no profile). */
struct oci_seccomp {
	struct sock_filter *prog;
	size_t len;
	bool log; /* SECCOMP_FILTER_FLAG_LOG */
};

/* A linux.sysctl entry the Sentry applies (dotted key). */
struct oci_sysctl {
	char *key, *value;
};

struct oci_annotation {
	char *key, *value;
};

struct oci_spec {
	char *oci_version;
	bool has_process;
	struct oci_process process;
	char *root_path;	/* as written; oci_spec_load makes it absolute */
	bool root_readonly;
	char *hostname;		/* NULL: not given */
	int nmounts;
	struct oci_mount *mounts;
	struct oci_hooks hooks;
	int nannotations;
	struct oci_annotation *annotations;
	unsigned long namespaces; /* CLONE_NEW* bits listed */
	bool pid_ns_joined;	  /* the pid namespace has a path: a pod container shares
				   * its sandbox's (CRI's shareProcessNamespace) */
	char *cgroups_path;	  /* NULL: not given */
	struct oci_resources resources;
	char **masked_paths;	  /* NULL-terminated */
	char **readonly_paths;
	struct oci_seccomp seccomp;
	int nsysctls;
	struct oci_sysctl *sysctls; /* the Sentry's keys, in config.json order */
	struct oci_warnings warnings;
};

/* Parse config.json text. On success *out is a new spec (free with oci_spec_free);
 * on failure e holds a message naming the field and -EINVAL is returned. */
int oci_spec_parse(const char *text, size_t size, struct oci_spec **out, struct oci_error *e);

/* Read and parse BUNDLE/config.json, and make root.path absolute (relative paths are
 * relative to the bundle) and check that it is a directory; resolve every bind mount's
 * source (an error naming the mount when it does not exist). */
int oci_spec_load(const char *bundle, struct oci_spec **out, struct oci_error *e);

void oci_spec_free(struct oci_spec *s);

/* Parse one OCI `process` object (config.json's, or an exec --process file). prefix
 * names it in errors ("process"). Warnings for fields not applied go to w. */
int oci_process_parse(json_t *obj, const char *prefix, struct oci_process *p,
		      struct oci_warnings *w, struct oci_error *e);
void oci_process_free(struct oci_process *p);

/* Parse a linux.resources object (config.json, `update --resources`). */
int oci_resources_parse(json_t *obj, const char *prefix, struct oci_resources *r,
			struct oci_warnings *w, struct oci_error *e);
void oci_resources_init(struct oci_resources *r);
void oci_resources_free(struct oci_resources *r);

/* Names: "CAP_SYS_ADMIN" -> 21, "RLIMIT_NOFILE" -> 7, "9"/"KILL"/"SIGKILL"/"SIGRTMIN+1"
 * -> signal number. Return -EINVAL for unknown names. */
int oci_cap_from_name(const char *name);
const char *oci_cap_name(int cap);
int oci_rlimit_from_name(const char *name);
const char *oci_rlimit_name(int type);
int oci_signal_from_name(const char *name);

/* A NULL-terminated copy of a JSON array of strings; prefix names it in errors. */
int oci_strv(json_t *arr, const char *prefix, char ***out, struct oci_error *e);
void oci_strv_free(char **v);

#endif
