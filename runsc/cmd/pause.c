/* pause.c: `runsc pause`, `runsc resume` (the freezer cgroup of the sandbox) and
 * `runsc update` (its resource limits). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "lib/log.h"
#include "runsc/container/container.h"
#include "runsc/runsc.h"

static int pause_resume(int argc, char **argv, bool pause)
{
	struct oci_error e = {{0}};
	struct container *c;
	int err;

	optind = 1;
	if (runsc_getopt(argc, argv, "", (const struct option[]){{0}}) != -1)
		return 1;
	if (optind != argc - 1)
		return runsc_fail("%s: expects exactly one container id", argv[0]);
	if (container_open(g_opts.root, argv[optind], &c, &e))
		return runsc_fail("%s", e.msg);
	const char *st = container_status(c);
	if (c->sandbox[0]) {
		/* The freezer would stop the whole pod: the Sentry is the sandbox's. */
		runsc_fail("cannot %s container `%s` alone: it runs in the sandbox `%s` (%s "
			   "the sandbox)", argv[0], c->id, c->sandbox, argv[0]);
		container_close(c);
		return 1;
	}
	if (strcmp(st, pause ? "running" : "paused")) {
		runsc_fail("container `%s` is %s, not %s", c->id, st, pause ? "running" : "paused");
		container_close(c);
		return 1;
	}
	err = cgroup_freeze(c->cgroup, pause, &e);
	if (!err) {
		snprintf(c->status, sizeof(c->status), "%s", pause ? "paused" : "running");
		err = container_save(c, &e);
	}
	container_close(c);
	return err ? runsc_fail("%s", e.msg) : 0;
}

int cmd_pause(int argc, char **argv)
{
	return pause_resume(argc, argv, true);
}

int cmd_resume(int argc, char **argv)
{
	return pause_resume(argc, argv, false);
}

int cmd_update(int argc, char **argv)
{
	static const struct option opts[] = {
		{"resources", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *file = NULL;
	struct oci_error e = {{0}};
	struct oci_warnings w = {0};
	struct oci_resources r;
	struct container *c;
	json_error_t jerr;
	int ch, err;

	optind = 1;
	while ((ch = runsc_getopt(argc, argv, "r:", opts)) != -1) {
		if (ch == 'r') {
			file = optarg;
		} else if (ch == 'h') {
			printf("usage: runsc update --resources FILE|- ID\n\nFILE holds an OCI "
			       "linux.resources object (memory, cpu, pids).\n");
			return 0;
		} else {
			return 1;
		}
	}
	if (optind != argc - 1)
		return runsc_fail("update: expects exactly one container id");
	if (!file)
		return runsc_fail("update: --resources FILE (or - for stdin) is required");
	json_t *o = !strcmp(file, "-") ? json_loadf(stdin, 0, &jerr) : json_load_file(file, 0, &jerr);
	if (!o)
		return runsc_fail("update: --resources `%s`: %s", file, jerr.text);
	oci_resources_init(&r);
	err = oci_resources_parse(o, "resources", &r, &w, &e);
	json_decref(o);
	for (int i = 0; i < w.n; i++)
		fprintf(stderr, "runsc: warning: %s\n", w.v[i]);
	oci_warnings_free(&w);
	if (!err && !(err = container_open(g_opts.root, argv[optind], &c, &e))) {
		if (!strcmp(container_status(c), "stopped"))
			err = oci_errorf(&e, "container `%s` is not running", c->id);
		else if (c->sandbox[0])
			log_warn("update: container `%s` shares the host cgroup of its sandbox "
				 "`%s`: its new limits hold inside the sandbox (pids enforced, "
				 "memory and cpu shown)", c->id, c->sandbox);
		if (!err)
			err = container_update(c, &r, &e);
		container_close(c);
	}
	oci_resources_free(&r);
	return err ? runsc_fail("%s", e.msg) : 0;
}
