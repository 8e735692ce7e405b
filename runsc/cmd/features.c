/* features.c: `runsc features` (what this runtime supports, as `runc features` prints
 * it) and `runsc checkpoint` / `runsc restore`, which are not supported. */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "runsc/oci/oci.h"
#include "runsc/runsc.h"

int cmd_features(int argc, char **argv)
{
	json_t *caps = json_array();

	for (int i = 0; oci_cap_name(i); i++)
		json_array_append_new(caps, json_string(oci_cap_name(i)));
	json_t *f = json_pack(
		"{s:s, s:s, s:[s,s,s,s,s,s], s:[s,s,s,s,s,s,s,s,s], s:{s:[s,s,s,s,s,s,s,s],"
		" s:o, s:{s:b, s:b, s:b}, s:{s:b}, s:{s:b}}, s:{s:s, s:s}}",
		"ociVersionMin", "1.0.0", "ociVersionMax", "1.1.0",
		"hooks", "prestart", "createRuntime", "createContainer", "startContainer",
		"poststart", "poststop",
		"mountOptions", "ro", "rw", "nosuid", "nodev", "noexec", "mode", "size", "bind",
		"rbind",
		"linux", "namespaces", "pid", "network", "ipc", "uts", "mount", "user", "cgroup",
		"time", "capabilities", caps, "cgroup", "v1", 1, "v2", 0, "systemd", 0,
		"seccomp", "enabled", 1, "apparmor", "enabled", 0,
		"annotations", "org.opencontainers.runtime-spec.features.runsc.sandbox",
		"gVisor-style user-space kernel (the Sentry)", "io.github.runsc.version",
		RUNSC_VERSION);
	json_dumpf(f, stdout, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(f);
	(void)argc;
	(void)argv;
	return 0;
}

static int not_supported(int argc, char **argv, const char *what)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: runsc %s [flags] ID\n\n"
			       "runsc does not support %s: this command always fails.\n\n"
			       "Flags (accepted for compatibility with runc):\n"
			       "  --image-path DIR     checkpoint image directory\n"
			       "  --work-path DIR      working directory for logs\n"
			       "  --leave-running      leave the container running after checkpoint\n"
			       "  --tcp-established    allow open TCP connections\n"
			       "  --ext-unix-sk        allow external unix sockets\n"
			       "  --shell-job          allow shell jobs\n"
			       "  --file-locks         handle file locks\n"
			       "  --pre-dump           dump memory only\n"
			       "  --manage-cgroups-mode MODE\n",
			       what, what);
			return 0;
		}
	}
	return runsc_fail("%s is not supported by runsc", what);
}

int cmd_checkpoint(int argc, char **argv)
{
	return not_supported(argc, argv, "checkpoint");
}

int cmd_restore(int argc, char **argv)
{
	return not_supported(argc, argv, "restore");
}
