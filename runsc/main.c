/* main.c: runsc: global flags, then one subcommand (runc's command-line shape). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "runsc/runsc.h"

struct runsc_globals g_opts = {
	.root = "/run/runsc",
	.log = "",
	.log_format = "text",
	.platform = "auto",
	.kvm_mode = "auto",
	.network = "sandbox",
	.rootless = "false",
	.overlay2 = "root:memory",
};

static const struct runsc_cmd g_cmds[] = {
	{"create", "create a container from a bundle (it waits for start)", cmd_create},
	{"start", "start a created container", cmd_start},
	{"run", "create and start a container, then wait for it", cmd_run},
	{"exec", "run a new process inside a running container", cmd_exec},
	{"kill", "send a signal to the container's init (or all its processes)", cmd_kill},
	{"delete", "delete a stopped container (--force: any)", cmd_delete},
	{"state", "print a container's OCI state as JSON", cmd_state},
	{"list", "list the containers under --root", cmd_list},
	{"ps", "list the processes inside a container", cmd_ps},
	{"wait", "wait for a container's init and print its exit status", cmd_wait},
	{"events", "print a container's resource statistics", cmd_events},
	{"pause", "freeze every process of a container", cmd_pause},
	{"resume", "thaw a paused container", cmd_resume},
	{"update", "change a container's resource limits", cmd_update},
	{"features", "print what this runtime supports (JSON)", cmd_features},
	{"checkpoint", "checkpoint a container (not supported)", cmd_checkpoint},
	{"restore", "restore a container (not supported)", cmd_restore},
	{"do", "run a host command in a sandbox over the host's root filesystem", cmd_do},
	{"spec", "create a new specification file (config.json)", cmd_spec},
	{"syscalls", "print the syscall table: name, number, status, note", cmd_syscalls},
	{"boot", NULL, cmd_boot},
	{"gofer", NULL, cmd_gofer},
};

static void usage(FILE *out)
{
	fprintf(out,
		"usage: runsc [global flags] COMMAND [flags] [args]\n\n"
		"runsc runs a program in a sandbox: its system calls are served by the Sentry,\n"
		"a Linux kernel in user space, and its files come through the Gofer.\n\n"
		"Commands:\n");
	for (size_t i = 0; i < sizeof(g_cmds) / sizeof(g_cmds[0]); i++)
		if (g_cmds[i].summary)
			fprintf(out, "  %-10s %s\n", g_cmds[i].name, g_cmds[i].summary);
	fprintf(out,
		"\nGlobal flags:\n"
		"  --root DIR            state directory (default /run/runsc)\n"
		"  --log FILE            log file (default: stderr)\n"
		"  --log-format FORMAT   text or json\n"
		"  --debug               log at debug level\n"
		"  --debug-log FILE      write the debug log to FILE\n"
		"  --platform NAME       auto (default), systrap, ptrace, kvm\n"
		"  --kvm-mode MODE       auto (default), exit (exit per trap), ring0 (the\n"
		"                        Sentry in guest ring 0; hardware KVM only)\n"
		"  --network MODE        sandbox (default), host or none; no network stack is\n"
		"                        built yet: AF_INET/AF_INET6 sockets fail with\n"
		"                        EAFNOSUPPORT in every mode (AF_UNIX works)\n"
		"  --strace              log every system call of the sandboxed program\n"
		"  --systemd-cgroup      cgroupsPath is slice:prefix:name (cgroupfs is used)\n"
		"  --rootless VALUE      true, false or auto (rootless mode is not supported)\n"
		"  --overlay2 MODE       root:memory (default): the root filesystem is the host's\n"
		"                        read-only under an in-memory overlay, writes stay in the\n"
		"                        sandbox; none: the Gofer serves the root read-write and\n"
		"                        writes reach the host's files (the bundle's rootfs; for\n"
		"                        `runsc do`, the host's own /!)\n"
		"  --config FILE         `flag = value` lines applied before the command line\n"
		"                        (default: $RUNSC_CONFIG, else /etc/runsc.toml if present)\n"
		"  Unknown --flag=value global flags are accepted with a warning.\n"
		"  --help, --version\n");
}

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_DEBUG_LOG, OPT_PLATFORM,
       OPT_NETWORK, OPT_STRACE, OPT_SECCOMP_PROBE, OPT_HELP, OPT_VERSION, OPT_SYSTEMD_CGROUP,
       OPT_ROOTLESS, OPT_CONFIG, OPT_KVM_MODE, OPT_OVERLAY2 };

static const struct option g_longopts[] = {
	{"root", required_argument, NULL, OPT_ROOT},
	{"log", required_argument, NULL, OPT_LOG},
	{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	{"debug", no_argument, NULL, OPT_DEBUG},
	{"debug-log", required_argument, NULL, OPT_DEBUG_LOG},
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"kvm-mode", required_argument, NULL, OPT_KVM_MODE},
	{"network", required_argument, NULL, OPT_NETWORK},
	{"strace", no_argument, NULL, OPT_STRACE},
	{"debug-seccomp-probe", no_argument, NULL, OPT_SECCOMP_PROBE},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
	{"systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP},
	{"rootless", optional_argument, NULL, OPT_ROOTLESS},
	{"config", required_argument, NULL, OPT_CONFIG},
	{"overlay2", required_argument, NULL, OPT_OVERLAY2},
	{0},
};

static int check_choice(const char *flag, const char *v, const char *const *ok)
{
	for (; *ok; ok++)
		if (!strcmp(v, *ok))
			return 0;
	fprintf(stderr, "runsc: invalid value `%s` for --%s\n", v, flag);
	return -1;
}

static bool g_unknown_warned;
static char g_unknown[8][192];
static int g_nunknown;

/* Apply one global flag (from the command line or the config file). arg: its value, or
 * NULL for a flag without one. Returns 0 or -1 (reported). */
static int apply_global(int c, const char *arg)
{
	static const char *const formats[] = {"text", "json", NULL};
	static const char *const networks[] = {"sandbox", "host", "none", NULL};
	static const char *const rootless[] = {"true", "false", "auto", NULL};
	/* gVisor's --overlay2 values we have: the in-memory upper, or none at all. */
	static const char *const overlay2[] = {"root:memory", "none", NULL};
	bool on = !arg || strcmp(arg, "false");

	switch (c) {
	case OPT_ROOT: g_opts.root = arg; break;
	case OPT_LOG: g_opts.log = arg; break;
	case OPT_LOG_FORMAT:
		if (check_choice("log-format", arg, formats))
			return -1;
		g_opts.log_format = arg;
		break;
	case OPT_DEBUG: g_opts.debug = on; break;
	case OPT_DEBUG_LOG: g_opts.debug_log = arg; break;
	case OPT_PLATFORM: g_opts.platform = arg; break;
	case OPT_KVM_MODE:
		if (plat_kvm_set_mode(arg)) {
			fprintf(stderr, "runsc: invalid value `%s` for --kvm-mode\n", arg);
			return -1;
		}
		g_opts.kvm_mode = arg;
		break;
	case OPT_NETWORK:
		if (check_choice("network", arg, networks))
			return -1;
		if (!strcmp(arg, "host"))
			fprintf(stderr, "runsc: warning: --network=host: the sandbox has no "
					"host networking yet; AF_INET sockets fail with EAFNOSUPPORT\n");
		g_opts.network = arg;
		break;
	case OPT_STRACE: g_opts.strace = on; break;
	case OPT_SECCOMP_PROBE: g_opts.seccomp_probe = on; break;
	case OPT_SYSTEMD_CGROUP: g_opts.systemd_cgroup = on; break;
	case OPT_ROOTLESS:
		if (check_choice("rootless", arg ? arg : "true", rootless))
			return -1;
		g_opts.rootless = arg ? arg : "true";
		break;
	case OPT_CONFIG: g_opts.config = arg; break;
	case OPT_OVERLAY2:
		if (check_choice("overlay2", arg, overlay2)) {
			fprintf(stderr, "runsc: --overlay2 takes root:memory or none\n");
			return -1;
		}
		g_opts.overlay2 = arg;
		break;
	case OPT_HELP: usage(stdout); exit(0);
	case OPT_VERSION:
		printf("runsc version %s\nspec: 1.1.0\n", RUNSC_VERSION);
		exit(0);
	}
	return 0;
}

/* Remember an unknown --name=value flag; it is reported once the log is set up. */
static void note_unknown(const char *flag)
{
	if (g_nunknown < 8)
		snprintf(g_unknown[g_nunknown++], sizeof(g_unknown[0]), "%s", flag);
}

/* The config file: `name = value` lines (TOML-like: quotes stripped, [sections] and #
 * comments skipped); each becomes --name=value before the command line's flags. */
static int load_config(const char *path, bool must_exist)
{
	char line[1024];
	FILE *f = fopen(path, "re");
	int err = 0;

	if (!f) {
		if (!must_exist && errno == ENOENT)
			return 0;
		fprintf(stderr, "runsc: cannot read the config file `%s`: %s\n", path,
			strerror(errno));
		return -1;
	}
	while (!err && fgets(line, sizeof(line), f)) {
		char *k = line + strspn(line, " \t"), *eq = strchr(k, '='), *v, *end;
		if (*k == '#' || *k == '[' || *k == '\n' || !*k)
			continue;
		if (!eq) {
			fprintf(stderr, "runsc: %s: not a `name = value` line: %s", path, line);
			err = -1;
			break;
		}
		for (end = eq; end > k && (end[-1] == ' ' || end[-1] == '\t'); end--)
			;
		*end = '\0';
		v = eq + 1 + strspn(eq + 1, " \t");
		v[strcspn(v, "\r\n#")] = '\0';
		size_t vl = strlen(v);
		while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
			v[--vl] = '\0';
		if (vl >= 2 && (v[0] == '"' || v[0] == '\'') && v[vl - 1] == v[0]) {
			v[vl - 1] = '\0';
			v++;
		}
		const struct option *o = g_longopts;
		while (o->name && strcmp(o->name, k))
			o++;
		if (!o->name || o->val == OPT_CONFIG) {
			char flag[160];
			snprintf(flag, sizeof(flag), "--%s=%s", k, v);
			note_unknown(flag);
			continue;
		}
		err = apply_global(o->val, o->has_arg == no_argument && !strcmp(v, "true")
						   ? NULL : strdup(v));
	}
	fclose(f);
	return err;
}

static int parse_globals(int argc, char **argv)
{
	const char *cfg = getenv("RUNSC_CONFIG");
	bool explicit = cfg != NULL;
	int c;

	/* The config file first, so that the command line wins. */
	for (int i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strncmp(argv[i], "--config=", 9)) {
			cfg = argv[i] + 9;
			explicit = true;
		} else if (!strcmp(argv[i], "--config") && i + 1 < argc) {
			cfg = argv[i + 1];
			explicit = true;
		}
	}
	if (load_config(cfg ? cfg : "/etc/runsc.toml", explicit) < 0)
		return -1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", g_longopts, NULL)) != -1) {
		const char *flag = argv[optind - 1];
		if (c == '?' && !strncmp(flag, "--", 2) && strchr(flag, '=')) {
			/* Another runtime's flag (podman --runtime-flag, runsc_config). */
			note_unknown(flag);
			continue;
		}
		if (c == '?') {
			fprintf(stderr, "runsc: unknown or incomplete flag `%s`\n", flag);
			fprintf(stderr, "Run 'runsc --help' for usage.\n");
			return -1;
		}
		if (apply_global(c, optarg) < 0)
			return -1;
	}
	return 0;
}

int runsc_global_args(const char **argv)
{
	int n = 0;

	argv[n++] = "--platform";
	argv[n++] = g_opts.platform;
	argv[n++] = "--kvm-mode";
	argv[n++] = g_opts.kvm_mode;
	argv[n++] = "--log-format";
	argv[n++] = g_opts.log_format;
	if (g_opts.log[0]) {
		argv[n++] = "--log";
		argv[n++] = g_opts.log;
	}
	if (g_opts.debug_log) {
		argv[n++] = "--debug-log";
		argv[n++] = g_opts.debug_log;
	}
	if (g_opts.debug)
		argv[n++] = "--debug";
	if (g_opts.strace)
		argv[n++] = "--strace";
	if (g_opts.seccomp_probe)
		argv[n++] = "--debug-seccomp-probe";
	/* No config file for the children: they get every flag explicitly. */
	argv[n++] = "--config=/dev/null";
	return n;
}

/* Open the log destination the flags name; stderr otherwise. */
static void setup_log(const char *component)
{
	const char *file = g_opts.debug_log ? g_opts.debug_log : g_opts.log;
	int fd = 2;

	if (file && file[0]) {
		fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
		if (fd < 0) {
			fprintf(stderr, "runsc: cannot open log file `%s`: %s\n", file,
				strerror(errno));
			fd = 2;
		}
	}
	/* A log file gets info lines too; stderr (shared with the program) only warnings. */
	log_init(fd, g_opts.debug || g_opts.strace ? LOG_DEBUG : fd != 2 ? LOG_INFO : LOG_WARN,
		 !strcmp(g_opts.log_format, "json"), component);
}

/* Warnings about global flags, once the log is set up. */
static void report_globals(void)
{
	for (int i = 0; i < g_nunknown && !g_unknown_warned; i++)
		log_warn("unknown global flag `%s` ignored", g_unknown[i]);
	g_unknown_warned = true;
	if (!strcmp(g_opts.rootless, "true"))
		log_warn("--rootless=true: rootless mode is not supported; running as is");
}

/* A platform named with --platform that cannot run here: say so and fail (exit 1) before
 * any process of a sandbox starts. `auto` always finds one. */
static int check_platform(const char *cmd)
{
	static const char *const starters[] = {"do", "run", "create"};
	const char *why = NULL;

	if (!strcmp(g_opts.platform, "auto"))
		return 0;
	for (size_t i = 0; i < sizeof(starters) / sizeof(starters[0]); i++) {
		if (strcmp(cmd, starters[i]))
			continue;
		if (plat_choose(g_opts.platform, &why))
			return 0;
		fprintf(stderr, "runsc: platform `%s` cannot run here: %s\n", g_opts.platform,
			why ? why : "unknown reason");
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	g_opts.self = argv[0];
	if (parse_globals(argc, argv) < 0)
		return 2;
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	const char *name = argv[optind];
	for (size_t i = 0; i < sizeof(g_cmds) / sizeof(g_cmds[0]); i++) {
		if (strcmp(g_cmds[i].name, name))
			continue;
		setup_log(!strcmp(name, "boot") ? "sentry" : !strcmp(name, "gofer") ? "gofer"
										 : "runsc");
		report_globals();
		if (check_platform(name) < 0)
			return 1;
		optind++;
		return g_cmds[i].run(argc - optind + 1, argv + optind - 1);
	}
	fprintf(stderr, "runsc: unknown command `%s`\nRun 'runsc --help' for usage.\n", name);
	return 2;
}
