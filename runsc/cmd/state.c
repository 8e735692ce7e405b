/* state.c: `runsc state` and `runsc list`. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "runsc/container/container.h"
#include "runsc/runsc.h"

int cmd_state(int argc, char **argv)
{
	struct oci_error e = {{0}};
	struct container *c;

	optind = 1;
	if (runsc_getopt(argc, argv, "", (const struct option[]){{0}}) != -1)
		return 1;
	if (optind != argc - 1)
		return runsc_fail("state: expects exactly one container id");
	if (container_open(g_opts.root, argv[optind], &c, &e))
		return runsc_fail("%s", e.msg);
	json_t *o = container_state_json(c, container_status(c));
	container_close(c);
	json_dumpf(o, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(o);
	return 0;
}

int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},
		{0},
	};
	const char *format = "table";
	bool quiet = false;
	char **ids;
	int ch;

	optind = 1;
	while ((ch = runsc_getopt(argc, argv, "f:q", opts)) != -1) {
		if (ch == 'f' && (!strcmp(optarg, "table") || !strcmp(optarg, "json")))
			format = optarg;
		else if (ch == 'q')
			quiet = true;
		else
			return ch == 'f' ? runsc_fail("list: --format is table or json") : 1;
	}
	if (container_list_ids(g_opts.root, &ids) < 0)
		return runsc_fail("list: cannot read `%s`", g_opts.root);
	json_t *arr = json_array();
	if (!quiet && !strcmp(format, "table"))
		printf("%-24s %-8s %-8s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE",
		       "CREATED", "OWNER");
	for (char **id = ids; *id; id++) {
		struct oci_error e;
		struct container *c;
		if (container_open(g_opts.root, *id, &c, &e))
			continue;
		const char *st = container_status(c);
		if (quiet)
			printf("%s\n", c->id);
		else if (!strcmp(format, "table"))
			printf("%-24s %-8d %-8s %-40s %-30s %s\n", c->id,
			       strcmp(st, "stopped") ? c->pid : 0, st, c->bundle, c->created,
			       c->owner[0] ? c->owner : "root");
		else
			json_array_append_new(arr, container_state_json(c, st));
		container_close(c);
	}
	if (!quiet && !strcmp(format, "json")) {
		json_dumpf(arr, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
	}
	json_decref(arr);
	oci_strv_free(ids);
	return 0;
}
