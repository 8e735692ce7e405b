/* delete.c: `runsc kill` and `runsc delete`. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsc/container/container.h"
#include "runsc/runsc.h"

int cmd_kill(int argc, char **argv)
{
	static const struct option opts[] = {
		{"all", no_argument, NULL, 'a'},
		{"pid", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct oci_error e = {{0}};
	struct container *c;
	bool all = false;
	int pid = 0, sig = SIGTERM, ch, err;

	optind = 1;
	while ((ch = runsc_getopt(argc, argv, "a", opts)) != -1) {
		switch (ch) {
		case 'a': all = true; break;
		case 'p':
			pid = atoi(optarg);
			if (pid <= 0)
				return runsc_fail("kill: --pid `%s` is not a process id", optarg);
			break;
		case 'h':
			printf("usage: runsc kill [--all] [--pid PID] ID [SIGNAL]\n\nSIGNAL: a number "
			       "or a name (KILL, SIGKILL); default SIGTERM.\n");
			return 0;
		default: return 1;
		}
	}
	if (optind != argc - 1 && optind != argc - 2)
		return runsc_fail("kill: expects a container id and an optional signal");
	if (optind == argc - 2 && (sig = oci_signal_from_name(argv[argc - 1])) < 0)
		return runsc_fail("kill: invalid signal `%s`", argv[argc - 1]);
	if (all && pid)
		return runsc_fail("kill: --all and --pid cannot be used together");
	if (container_open(g_opts.root, argv[optind], &c, &e))
		return runsc_fail("%s", e.msg);
	err = container_signal(c, sig, pid, all, &e);
	container_close(c);
	return err ? runsc_fail("%s", e.msg) : 0;
}

int cmd_delete(int argc, char **argv)
{
	static const struct option opts[] = {
		{"force", no_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	struct oci_error e = {{0}};
	struct container *c;
	bool force = false;
	int ch, err;

	optind = 1;
	while ((ch = runsc_getopt(argc, argv, "f", opts)) != -1) {
		if (ch == 'f') {
			force = true;
		} else if (ch == 'h') {
			printf("usage: runsc delete [--force] ID\n");
			return 0;
		} else {
			return 1;
		}
	}
	if (optind != argc - 1)
		return runsc_fail("delete: expects exactly one container id");
	err = container_open(g_opts.root, argv[optind], &c, &e);
	if (err == -ENOENT && force)
		return 0; /* containerd deletes twice: the second must succeed */
	if (err)
		return runsc_fail("%s", e.msg);
	const char *st = container_status(c);
	if (!force && strcmp(st, "stopped") && strcmp(st, "created")) {
		runsc_fail("cannot delete container %s that is not stopped: %s", c->id, st);
		container_close(c);
		return 1;
	}
	err = container_destroy(c, &e);
	return err ? runsc_fail("%s", e.msg) : 0;
}
