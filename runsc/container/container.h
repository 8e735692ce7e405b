/* container.h: OCI containers as runsc keeps them: a state directory per container under
 * --root (state.json, a copy of config.json, the control socket, a lock), the lifecycle
 * (create, start, signal, destroy), cgroups, hooks and the console. */
#ifndef RUNSC_CONTAINER_CONTAINER_H
#define RUNSC_CONTAINER_CONTAINER_H

#include <jansson.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "runsc/oci/oci.h"

struct container {
	char id[256];
	char dir[PATH_MAX];	   /* <root>/<id> */
	char bundle[PATH_MAX];
	char rootfs[PATH_MAX];
	char created[40];	   /* RFC 3339, UTC */
	char status[16];	   /* as stored: created, running, paused, stopped */
	pid_t pid, gofer_pid;	   /* host pids of the Sentry and the Gofer */
	unsigned long long pid_start, gofer_start; /* /proc starttime: no pid reuse */
	char cgroup[PATH_MAX];	   /* cgroupfs path below each controller, "" = none */
	char owner[64];
	json_t *annotations;	   /* object (reference held) */
	int lock_fd;		   /* flock held while open, -1 = none */
	/* Pods: a container inside another's sandbox has that sandbox's id ("" = it is a
	 * sandbox); then pid is its host proxy process and gofer_pid its own Gofer. */
	char sandbox[256];
	pid_t sandbox_pid;	   /* the sandbox's Sentry (and its starttime) */
	unsigned long long sandbox_start;
	char ctl_dir[PATH_MAX];	   /* the state directory whose control socket serves it */
};

/* Check an id: [A-Za-z0-9_.+-], 1-255 bytes, not "." or "..". */
int container_check_id(const char *id, struct oci_error *e);

/* Make <root>/<id> (root created 0700 when missing) and lock it. -EEXIST when taken. */
int container_new(const char *root, const char *id, struct container **out,
		  struct oci_error *e);
/* Open and lock an existing container. -ENOENT: "container <id> does not exist". */
int container_open(const char *root, const char *id, struct container **out,
		   struct oci_error *e);
/* Write state.json atomically. */
int container_save(struct container *c, struct oci_error *e);
/* Unlock and free (the directory stays). */
void container_close(struct container *c);
/* Remove the state directory (after destroy). */
void container_remove_dir(struct container *c);

/* The status now: the stored one, or "stopped" when the Sentry is gone (or a zombie). */
const char *container_status(const struct container *c);
bool container_pid_alive(pid_t pid, unsigned long long start);
/* starttime (field 22 of /proc/PID/stat), 0 when gone; *state gets the state letter. */
unsigned long long container_proc_start(pid_t pid, char *state);
/* The OCI state object (runc's fields) for state, list and hooks. */
json_t *container_state_json(const struct container *c, const char *status);
/* The ids under root, sorted (free with oci_strv_free). */
int container_list_ids(const char *root, char ***ids);
/* The saved config.json of the container. */
int container_load_spec(const struct container *c, struct oci_spec **out, struct oci_error *e);

/* One request on the control socket (of the sandbox; a pod container's requests carry
 * its "id"). fds (may be NULL) are sent with it. *reply gets
 * the answer object; an {"error"} answer becomes e and -errno. timeout_ms 0: none.
 * conn_out (optional) keeps the connection open for a later message (exec). */
int container_control(const struct container *c, json_t *req, const int *fds, int nfds,
		      int timeout_ms, json_t **reply, int *conn_out, struct oci_error *e);
/* `runsc update`: r on the sandbox's host cgroup (the sandbox's own container) and on the
 * container's cgroup inside the sandbox (what its cgroupfs shows; pids.max enforced). A
 * pod container has no host cgroup of its own: only the inside changes. */
int container_update(const struct container *c, const struct oci_resources *r,
		     struct oci_error *e);
/* Only send req (no answer read yet): *conn is the connection. */
int container_control_send(const struct container *c, json_t *req, const int *fds, int nfds,
			   int *conn, struct oci_error *e);
/* Read one more message on a kept connection (the exec's exit). */
int container_control_recv(int conn, json_t **reply, struct oci_error *e);
/* Path of the control socket (usable with connect/bind whatever the root's length). */
void container_control_path(const struct container *c, char *buf, size_t size, int dirfd);

/* ---- lifecycle (lifecycle.c) ---- */

struct create_opts {
	const char *root, *id, *bundle;
	const char *pid_file;		/* NULL: none */
	const char *console_socket;	/* NULL: none */
	bool foreground;		/* runsc run: a terminal may use our own stdio */
	bool systemd_cgroup;
};

/* runsc create: everything up to a sandbox waiting for `start`. On failure nothing is
 * left behind (state directory, processes, cgroup). *out stays locked. */
int container_create(const struct create_opts *o, struct container **out, struct oci_error *e);
/* runsc start: startContainer hooks, `start`, status running, poststart hooks. */
int container_start(struct container *c, struct oci_error *e);
/* Signal init (pid 0), a process (pid), or all. */
int container_signal(struct container *c, int sig, int pid, bool all, struct oci_error *e);
/* Kill the sandbox, wait for it, run poststop hooks, remove the cgroup and the state
 * directory. c is closed. */
int container_destroy(struct container *c, struct oci_error *e);
/* Run the hooks of one kind with the state on stdin. */
int container_run_hooks(const struct container *c, const struct oci_spec *s, int kind,
			const char *status, struct oci_error *e);

/* ---- pods (pod.c): containers joining another's sandbox (CRI annotations) ---- */

/* The sandbox id the spec's CRI / CRI-O annotations name for a container that joins a
 * sandbox: 0 and *sandbox set, or 0 and NULL (a sandbox of its own), or an error for
 * annotations that contradict each other. */
int pod_sandbox_id(const struct oci_spec *s, const char *id, const char **sandbox,
		   struct oci_error *e);
/* Open (locked) the sandbox a container joins: it must exist, be a sandbox and run. */
int pod_open_sandbox(const char *root, const char *id, struct container **sb,
		     struct oci_error *e);
/* create for such a container: its Gofer, the container in the running sandbox, and its
 * proxy process (c->pid). sb: the sandbox's container (open). */
int pod_create(const struct create_opts *o, struct container *c, const struct oci_spec *s,
	       const struct container *sb, struct oci_error *e);
/* destroy for such a container: its processes in the sandbox, its Gofer and proxy. */
void pod_destroy(struct container *c);

/* ---- cgroups (cgroup.c), cgroup v1 hierarchies under /sys/fs/cgroup ---- */

/* The cgroupfs path for a spec's cgroupsPath ("" / NULL: /runsc/<id>); systemd form
 * "slice:prefix:name" -> /slice/prefix-name.scope. */
void cgroup_path_for(const char *spec_path, const char *id, bool systemd, char *out,
		     size_t size);
/* Create the cgroup in every controller present, apply r, and return the cgroup.procs
 * files to join (NULL-terminated, free with oci_strv_free). */
int cgroup_create(const char *path, const struct oci_resources *r, char ***procs,
		  struct oci_error *e);
int cgroup_apply(const char *path, const struct oci_resources *r, struct oci_error *e);
int cgroup_freeze(const char *path, bool frozen, struct oci_error *e);
/* Remove the cgroup directories (waiting a little for exiting tasks). */
void cgroup_destroy(const char *path);
/* Read a number from a controller file; -1 when missing. */
long long cgroup_read_num(const char *path, const char *ctrl, const char *file);

/* ---- console (tty.c) ---- */

/* A new pty pair (slave opened O_NOCTTY) with the given size (0: leave). */
int tty_open(int *master, int *slave, unsigned rows, unsigned cols, struct oci_error *e);
/* Send master over the unix socket at path (SCM_RIGHTS, the pty name as payload). */
int tty_send_master(const char *path, int master, struct oci_error *e);

#endif
