/* do.c: `runsc do CMD [ARGS...]`: run a host command in a sandbox whose root is the
 * host's `/`, served read-only by a Gofer, with a tmpfs overlay for writes. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runsc/runsc.h"
#include "runsc/sandbox/sandbox.h"

extern char **environ;

static void do_usage(FILE *out)
{
	fprintf(out, "usage: runsc [global flags] do [--cwd DIR] [--hostname NAME] "
		     "[--no-overlay] CMD [ARGS...]\n\n"
		     "Runs CMD in a sandbox over the host's root filesystem (read-only, with an\n"
		     "in-memory overlay: writes never reach the host). The current directory\n"
		     "and environment are carried over. The exit status is CMD's, or 128+N\n"
		     "when a signal N ended it.\n");
}

/* The boot spec handed to the Sentry: program, environment, cwd, identity. */
static int write_spec(char **argv, const char *cwd, const char *hostname, bool overlay)
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
	json_object_set_new(root, "overlay", json_boolean(overlay));
	/* The host's /tmp shows through the overlay: runsc do works from any directory,
	 * and writes stay in the sandbox's memory all the same. */
	json_object_set_new(root, "tmpfs_tmp", json_false());
	fd = memfd_create("runsc-spec", MFD_CLOEXEC);
	if (fd < 0 || json_dumpfd(root, fd, JSON_COMPACT) < 0) {
		json_decref(root);
		if (fd >= 0)
			close(fd);
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
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	char cwd[PATH_MAX], hostname[65];
	bool overlay = true;
	int c;

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
		/* Writing through to the host is the filesystems issue's flag. */
		fprintf(stderr, "runsc do: --no-overlay is not supported yet\n");
		return 2;
	}
	int spec_fd = write_spec(argv + optind, cwd, hostname, overlay);
	if (spec_fd < 0) {
		fprintf(stderr, "runsc do: cannot write the boot spec: %s\n", strerror(errno));
		return 1;
	}
	struct sandbox_opts so = {.root = "/", .spec_fd = spec_fd, .readonly = true};
	int status = sandbox_run(&so);
	close(spec_fd);
	return status;
}
