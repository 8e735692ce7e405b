/* ps.c: `runsc ps`, `runsc wait` and `runsc events`: what runs inside a container, its
 * end, and its resource use. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "runsc/container/container.h"
#include "runsc/runsc.h"

/* Open id and check that its sandbox runs. Returns NULL after reporting. */
static struct container *open_running(const char *id, const char *what)
{
	struct oci_error e = {{0}};
	struct container *c;

	if (container_open(g_opts.root, id, &c, &e)) {
		runsc_fail("%s", e.msg);
		return NULL;
	}
	if (!strcmp(container_status(c), "stopped")) {
		runsc_fail("%s: container not running", what);
		container_close(c);
		return NULL;
	}
	return c;
}

static int one_id(int argc, char **argv, const struct option *opts, const char *so,
		  const char **format)
{
	int ch;

	optind = 1;
	while ((ch = runsc_getopt(argc, argv, so, opts)) != -1) {
		if (ch == 'f' && format && (!strcmp(optarg, "table") || !strcmp(optarg, "json")))
			*format = optarg;
		else if (ch == 'f') {
			runsc_fail("%s: --format is table or json", argv[0]);
			return -1;
		} else {
			return -1;
		}
	}
	if (optind != argc - 1) {
		runsc_fail("%s: expects exactly one container id", argv[0]);
		return -1;
	}
	return optind;
}

static void print_ps_table(json_t *procs)
{
	struct timespec now;
	size_t i;
	json_t *p;

	clock_gettime(CLOCK_MONOTONIC, &now);
	printf("%-8s %-8s %-8s %-3s %-8s %-10s %s\n", "UID", "PID", "PPID", "C", "STIME",
	       "TIME", "CMD");
	json_array_foreach(procs, i, p) {
		long long start = json_integer_value(json_object_get(p, "start_ns"));
		time_t ago = (time_t)(now.tv_sec - start / 1000000000LL), t = time(NULL) - ago;
		struct tm tm;
		char stime[16];
		localtime_r(&t, &tm);
		strftime(stime, sizeof(stime), "%H:%M", &tm);
		printf("%-8lld %-8lld %-8lld %-3d %-8s %-10s %s\n",
		       json_integer_value(json_object_get(p, "uid")),
		       json_integer_value(json_object_get(p, "pid")),
		       json_integer_value(json_object_get(p, "ppid")), 0, stime, "00:00:00",
		       json_string_value(json_object_get(p, "comm")) ?: "?");
	}
}

int cmd_ps(int argc, char **argv)
{
	static const struct option opts[] = {{"format", required_argument, NULL, 'f'}, {0}};
	const char *format = "table";
	struct oci_error e = {{0}};
	json_t *req, *reply = NULL;
	int i = one_id(argc, argv, opts, "f:", &format), err;

	if (i < 0)
		return 1;
	struct container *c = open_running(argv[i], "ps");
	if (!c)
		return 1;
	req = json_pack("{s:s}", "cmd", "ps");
	err = container_control(c, req, NULL, 0, 10000, &reply, NULL, &e);
	json_decref(req);
	container_close(c);
	if (err)
		return runsc_fail("%s", e.msg);
	json_t *procs = json_object_get(reply, "procs");
	if (!strcmp(format, "json")) {
		/* Sandbox-internal pids, as gVisor's shim and containerd expect. */
		json_t *pids = json_array();
		size_t k;
		json_t *p;
		json_array_foreach(procs, k, p)
			json_array_append(pids, json_object_get(p, "pid"));
		json_dumpf(pids, stdout, JSON_COMPACT);
		putchar('\n');
		json_decref(pids);
	} else {
		print_ps_table(procs);
	}
	json_decref(reply);
	return 0;
}

int cmd_wait(int argc, char **argv)
{
	struct oci_error e = {{0}};
	json_t *req, *reply = NULL;
	int i = one_id(argc, argv, (const struct option[]){{0}}, "", NULL), err;

	if (i < 0)
		return 1;
	struct container *c = open_running(argv[i], "wait");
	if (!c)
		return 1;
	/* No lock while waiting: kill and delete must work meanwhile. */
	close(c->lock_fd);
	c->lock_fd = -1;
	req = json_pack("{s:s}", "cmd", "wait");
	err = container_control(c, req, NULL, 0, 0, &reply, NULL, &e);
	json_decref(req);
	if (err) {
		container_close(c);
		return runsc_fail("%s", e.msg);
	}
	int st = (int)json_integer_value(json_object_get(reply, "exit"));
	int code = (st & 0x7f) ? 128 + (st & 0x7f) : (st >> 8) & 0xff;
	printf("{\"id\":\"%s\",\"exitStatus\":%d}\n", c->id, code);
	json_decref(reply);
	container_close(c);
	return 0;
}

/* Host-side figures for the sandbox: cgroup counters (cpu, memory) and the Sentry's
 * process count inside. */
static json_t *stats_json(struct container *c, struct oci_error *e)
{
	json_t *req = json_pack("{s:s}", "cmd", "stats"), *reply = NULL;
	int err = container_control(c, req, NULL, 0, 10000, &reply, NULL, e);
	long long cpu = cgroup_read_num(c->cgroup, "cpuacct", "cpuacct.usage");
	long long mem = cgroup_read_num(c->cgroup, "memory", "memory.usage_in_bytes");
	long long limit = cgroup_read_num(c->cgroup, "memory", "memory.limit_in_bytes");
	long long maxu = cgroup_read_num(c->cgroup, "memory", "memory.max_usage_in_bytes");

	json_decref(req);
	if (err)
		return NULL;
	json_t *data = json_pack(
		"{s:{s:{s:I}}, s:{s:{s:I, s:I, s:I}}, s:{s:I}}", "cpu", "usage", "total",
		(json_int_t)(cpu < 0 ? 0 : cpu), "memory", "usage", "usage",
		(json_int_t)(mem < 0 ? 0 : mem), "limit", (json_int_t)(limit < 0 ? 0 : limit),
		"max", (json_int_t)(maxu < 0 ? 0 : maxu), "pids", "current",
		json_integer_value(json_object_get(reply, "pids")));
	json_decref(reply);
	return json_pack("{s:s, s:s, s:o}", "type", "stats", "id", c->id, "data", data);
}

int cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
		{"stats", no_argument, NULL, 's'},
		{"interval", required_argument, NULL, 'i'},
		{0},
	};
	struct oci_error e = {{0}};
	bool once = false;
	int interval = 5, ch;

	optind = 1;
	while ((ch = runsc_getopt(argc, argv, "", opts)) != -1) {
		if (ch == 's') {
			once = true;
		} else if (ch == 'i') {
			char *end;
			interval = (int)strtol(optarg, &end, 10);
			if (interval <= 0 || (*end && strcmp(end, "s")))
				return runsc_fail("events: --interval `%s` is not a number of seconds",
						  optarg);
		} else {
			return 1;
		}
	}
	if (optind != argc - 1)
		return runsc_fail("events: expects exactly one container id");
	for (;;) {
		struct container *c = open_running(argv[optind], "events");
		if (!c)
			return 1;
		json_t *ev = stats_json(c, &e);
		container_close(c);
		if (!ev)
			return runsc_fail("%s", e.msg);
		json_dumpf(ev, stdout, JSON_COMPACT | JSON_PRESERVE_ORDER);
		putchar('\n');
		fflush(stdout);
		json_decref(ev);
		if (once)
			return 0;
		sleep((unsigned)interval);
	}
}
