/* main.c: runsc: global flags, then one subcommand (runc's command-line shape). */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lib/log.h"
#include "runsc/runsc.h"

struct runsc_globals g_opts = {
	.root = "/run/runsc",
	.log = "",
	.log_format = "text",
	.platform = "auto",
	.network = "sandbox",
};

static const struct runsc_cmd g_cmds[] = {
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
		"  --platform NAME       auto, ptrace (default auto)\n"
		"  --network MODE        sandbox, host or none\n"
		"  --strace              log every system call of the sandboxed program\n"
		"  --help, --version\n");
}

enum { OPT_ROOT = 256, OPT_LOG, OPT_LOG_FORMAT, OPT_DEBUG, OPT_DEBUG_LOG, OPT_PLATFORM,
       OPT_NETWORK, OPT_STRACE, OPT_SECCOMP_PROBE, OPT_HELP, OPT_VERSION };

static const struct option g_longopts[] = {
	{"root", required_argument, NULL, OPT_ROOT},
	{"log", required_argument, NULL, OPT_LOG},
	{"log-format", required_argument, NULL, OPT_LOG_FORMAT},
	{"debug", no_argument, NULL, OPT_DEBUG},
	{"debug-log", required_argument, NULL, OPT_DEBUG_LOG},
	{"platform", required_argument, NULL, OPT_PLATFORM},
	{"network", required_argument, NULL, OPT_NETWORK},
	{"strace", no_argument, NULL, OPT_STRACE},
	{"debug-seccomp-probe", no_argument, NULL, OPT_SECCOMP_PROBE},
	{"help", no_argument, NULL, OPT_HELP},
	{"version", no_argument, NULL, OPT_VERSION},
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

static int parse_globals(int argc, char **argv)
{
	static const char *const formats[] = {"text", "json", NULL};
	static const char *const networks[] = {"sandbox", "host", "none", NULL};
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, "+", g_longopts, NULL)) != -1) {
		switch (c) {
		case OPT_ROOT: g_opts.root = optarg; break;
		case OPT_LOG: g_opts.log = optarg; break;
		case OPT_LOG_FORMAT:
			if (check_choice("log-format", optarg, formats))
				return -1;
			g_opts.log_format = optarg;
			break;
		case OPT_DEBUG: g_opts.debug = true; break;
		case OPT_DEBUG_LOG: g_opts.debug_log = optarg; break;
		case OPT_PLATFORM: g_opts.platform = optarg; break;
		case OPT_NETWORK:
			if (check_choice("network", optarg, networks))
				return -1;
			g_opts.network = optarg;
			break;
		case OPT_STRACE: g_opts.strace = true; break;
		case OPT_SECCOMP_PROBE: g_opts.seccomp_probe = true; break;
		case OPT_HELP: usage(stdout); exit(0);
		case OPT_VERSION:
			printf("runsc version %s\nspec: 1.1.0\n", RUNSC_VERSION);
			exit(0);
		default:
			fprintf(stderr, "runsc: unknown or incomplete flag `%s`\n", argv[optind - 1]);
			fprintf(stderr, "Run 'runsc --help' for usage.\n");
			return -1;
		}
	}
	return 0;
}

int runsc_global_args(const char **argv)
{
	int n = 0;

	argv[n++] = "--platform";
	argv[n++] = g_opts.platform;
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
		optind++;
		return g_cmds[i].run(argc - optind + 1, argv + optind - 1);
	}
	fprintf(stderr, "runsc: unknown command `%s`\nRun 'runsc --help' for usage.\n", name);
	return 2;
}
