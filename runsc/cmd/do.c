/* do.c: `runsc do CMD [ARGS...]`: run a host command in a sandbox whose root is the
 * host's `/`, served read-only by a Gofer, with a tmpfs overlay for writes; with the
 * global --overlay2=none, served read-write: the program's writes change the host. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runsc/runsc.h"
#include "runsc/sandbox/sandbox.h"

extern char **environ;

static void do_usage(FILE *out)
{
	fprintf(out, "usage: runsc [global flags] do [--cwd DIR] [--hostname NAME] "
		     "[--volume HOST[:DEST[:ro]]]... [--no-overlay] CMD [ARGS...]\n\n"
		     "Runs CMD in a sandbox over the host's root filesystem (read-only, with an\n"
		     "in-memory overlay: writes never reach the host). The current directory,\n"
		     "environment and resource limits are carried over. The exit status is\n"
		     "CMD's, or 128+N when a signal N ended it. --volume bind-mounts the host\n"
		     "directory or file HOST at DEST (default: the same path), read-write unless\n"
		     ":ro: writes there reach the host.\n\n"
		     "WARNING: with the global flag --overlay2=none (`runsc --overlay2=none do\n"
		     "...`) there is no overlay: the Gofer serves the host's / read-write and\n"
		     "every write, rename or unlink the program makes changes the host's files.\n"
		     "--no-overlay is refused: write-through must be asked for by that flag.\n");
}

/* One --volume: a bind mount the Gofer serves. */
struct volume {
	char source[PATH_MAX];
	char dest[PATH_MAX];
	bool readonly, dir;
};

/* HOST[:DEST[:ro]] into v (HOST made canonical). 0, or -1 after a message. */
static int parse_volume(const char *arg, struct volume *v)
{
	char host[PATH_MAX], *colon;
	struct stat st;

	snprintf(host, sizeof(host), "%s", arg);
	v->readonly = false;
	v->dest[0] = '\0';
	colon = strchr(host, ':');
	if (colon) {
		*colon = '\0';
		snprintf(v->dest, sizeof(v->dest), "%s", colon + 1);
		colon = strchr(v->dest, ':');
		if (colon) {
			*colon = '\0';
			if (strcmp(colon + 1, "ro") && strcmp(colon + 1, "rw")) {
				fprintf(stderr, "runsc do: --volume `%s`: unknown mode `%s`\n",
					arg, colon + 1);
				return -1;
			}
			v->readonly = !strcmp(colon + 1, "ro");
		}
	}
	if (!realpath(host, v->source) || stat(v->source, &st) < 0) {
		fprintf(stderr, "runsc do: --volume `%s`: %s\n", arg, strerror(errno));
		return -1;
	}
	if (!v->dest[0])
		memcpy(v->dest, v->source, sizeof(v->dest));
	if (v->dest[0] != '/') {
		fprintf(stderr, "runsc do: --volume `%s`: the destination must be absolute\n", arg);
		return -1;
	}
	v->dir = S_ISDIR(st.st_mode);
	return 0;
}

static json_t *volumes_json(const struct volume *v, int n)
{
	json_t *a = json_array();

	for (int i = 0; i < n; i++)
		json_array_append_new(
			a, json_pack("{s:s, s:s, s:[], s:s, s:b, s:b, s:b, s:b, s:b, s:b}",
				     "destination", v[i].dest, "type", "bind", "options", "data",
				     "", "readonly", v[i].readonly, "nosuid", 0, "nodev", 0,
				     "noexec", 0, "bind", 1, "dir", v[i].dir));
	return a;
}

/* The caller's resource limits, so the program runs under the limits it has natively
 * (`ulimit -n`, getconf OPEN_MAX and CHILD_MAX agree with the host). */
static json_t *host_rlimits(void)
{
	json_t *arr = json_array();
	struct rlimit rl;

	for (int i = 0; i < RLIM_NLIMITS; i++) {
		if (getrlimit(i, &rl) < 0)
			continue;
		json_array_append_new(arr, json_pack("{s:i, s:I, s:I}", "type", i, "soft",
						     (json_int_t)rl.rlim_cur, "hard",
						     (json_int_t)rl.rlim_max));
	}
	return arr;
}

/* The caller's /proc/self/oom_score_adj, which the sandbox's init starts with (as a
 * forked child would). 0 when it cannot be read. */
static int host_oom_score_adj(void)
{
	char buf[16] = "";
	int fd = open("/proc/self/oom_score_adj", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;

	if (fd >= 0)
		close(fd);
	return n > 0 ? atoi(buf) : 0;
}

/* The boot spec handed to the Sentry: program, environment, cwd, identity, limits,
 * volumes. */
static int write_spec(char **argv, const char *cwd, const char *hostname, bool overlay,
		      const struct volume *vols, int nvols)
{
	json_t *root = json_object(), *av = json_array(), *env = json_array();
	int fd;

	for (int i = 0; argv[i]; i++)
		json_array_append_new(av, json_string(argv[i]));
	for (char **e = environ; e && *e; e++)
		json_array_append_new(env, json_string(*e));
	json_object_set_new(root, "argv", av);
	json_object_set_new(root, "env", env);
	json_object_set_new(root, "cwd", json_string(cwd));
	json_object_set_new(root, "hostname", json_string(hostname));
	json_object_set_new(root, "uid", json_integer(getuid()));
	json_object_set_new(root, "gid", json_integer(getgid()));
	json_object_set_new(root, "rlimits", host_rlimits());
	json_object_set_new(root, "oom_score_adj", json_integer(host_oom_score_adj()));
	json_object_set_new(root, "overlay", json_boolean(overlay));
	/* The host's /tmp shows through the overlay: runsc do works from any directory,
	 * and writes stay in the sandbox's memory all the same (or, with --overlay2=none,
	 * reach the host's /tmp like every other write). */
	json_object_set_new(root, "tmpfs_tmp", json_false());
	json_t *mounts = volumes_json(vols, nvols);
	/* The sandbox's cgroup v2 hierarchy where container engines mount it, writable. */
	json_array_insert_new(mounts, 0, json_pack("{s:s, s:s}", "destination",
						   "/sys/fs/cgroup", "type", "cgroup2"));
	json_object_set_new(root, "mounts", mounts);
	fd = runsc_json_memfd(root, "runsc-spec");
	if (fd < 0) {
		json_decref(root);
		return -1;
	}
	json_decref(root);
	return fd;
}

int cmd_do(int argc, char **argv)
{
	static const struct option opts[] = {
		{"cwd", required_argument, NULL, 'C'},
		{"hostname", required_argument, NULL, 'H'},
		{"no-overlay", no_argument, NULL, 'O'},
		{"volume", required_argument, NULL, 'v'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	char cwd[PATH_MAX], hostname[65];
	static struct volume vols[SANDBOX_MAX_BINDS];
	struct sandbox_bind binds[SANDBOX_MAX_BINDS];
	bool overlay = true;
	int c, nvols = 0;

	if (!getcwd(cwd, sizeof(cwd)))
		snprintf(cwd, sizeof(cwd), "/");
	if (gethostname(hostname, sizeof(hostname)) < 0)
		snprintf(hostname, sizeof(hostname), "runsc");
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
		switch (c) {
		case 'C': snprintf(cwd, sizeof(cwd), "%s", optarg); break;
		case 'H': snprintf(hostname, sizeof(hostname), "%s", optarg); break;
		case 'O': overlay = false; break;
		case 'v':
			if (nvols == SANDBOX_MAX_BINDS) {
				fprintf(stderr, "runsc do: at most %d volumes\n", SANDBOX_MAX_BINDS);
				return 2;
			}
			if (parse_volume(optarg, &vols[nvols]) < 0)
				return 2;
			binds[nvols].source = vols[nvols].source;
			binds[nvols].readonly = vols[nvols].readonly;
			nvols++;
			break;
		case 'h': do_usage(stdout); return 0;
		default:
			fprintf(stderr, "runsc do: unknown flag `%s`\n", argv[optind - 1]);
			do_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "runsc do: no command given\n");
		do_usage(stderr);
		return 2;
	}
	if (!overlay) {
		/* Writing through to the host's own / is too dangerous for a do-flag that
		 * reads like a tuning knob: it takes the global --overlay2=none. */
		fprintf(stderr, "runsc do: --no-overlay is refused; to let the program write "
				"to the host's / use `runsc --overlay2=none do ...`\n");
		return 2;
	}
	overlay = !runsc_write_through();
	if (!overlay)
		log_warn("runsc do: --overlay2=none: the host's / is served read-write; the "
			 "program's writes change the host");
	int spec_fd = write_spec(argv + optind, cwd, hostname, overlay, vols, nvols);
	if (spec_fd < 0) {
		fprintf(stderr, "runsc do: cannot write the boot spec: %s\n", strerror(errno));
		return 1;
	}
	struct sandbox_opts so = {.root = "/", .spec_fd = spec_fd, .readonly = overlay,
				  .binds = binds, .nbinds = nvols};
	int status = sandbox_run(&so);
	close(spec_fd);
	return status;
}
