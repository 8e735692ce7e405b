/* boot.c: the hidden `runsc boot` subcommand: flags, then the Sentry (sentry/boot.c). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runsc/runsc.h"
#include "sentry/boot.h"

#define BOOT_MAX_MOUNT_FDS 64

/* --mount-fds=A,B,...: the bind mount connections. */
static int parse_mount_fds(const char *arg, int *fds, int *n)
{
	char *end;

	*n = 0;
	while (*arg) {
		long fd = strtol(arg, &end, 10);
		if (end == arg || fd < 3 || fd > 1 << 20 || *n == BOOT_MAX_MOUNT_FDS ||
		    (*end && *end != ','))
			return -1;
		fds[(*n)++] = (int)fd;
		arg = *end ? end + 1 : end;
	}
	return 0;
}

int cmd_boot(int argc, char **argv)
{
	static int mount_fds[BOOT_MAX_MOUNT_FDS];
	static const struct option opts[] = {
		{"spec-fd", required_argument, NULL, 's'},
		{"gofer-fd", required_argument, NULL, 'g'},
		{"control-fd", required_argument, NULL, 'c'},
		{"sync-fd", required_argument, NULL, 'y'},
		{"wait-start", no_argument, NULL, 'w'},
		{"mount-fds", required_argument, NULL, 'm'},
		{0},
	};
	struct boot_opts bo = {
		.spec_fd = -1,
		.gofer_fd = -1,
		.control_fd = -1,
		.sync_fd = -1,
		.platform = g_opts.platform,
		.strace = g_opts.strace,
		.seccomp_probe = g_opts.seccomp_probe,
	};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 's': bo.spec_fd = atoi(optarg); break;
		case 'g': bo.gofer_fd = atoi(optarg); break;
		case 'c': bo.control_fd = atoi(optarg); break;
		case 'y': bo.sync_fd = atoi(optarg); break;
		case 'w': bo.wait_start = true; break;
		case 'm':
			bo.mount_fds = mount_fds;
			if (parse_mount_fds(optarg, mount_fds, &bo.nmount_fds) == 0)
				break;
			fprintf(stderr, "runsc boot: bad --mount-fds `%s`\n", optarg);
			return 2;
		default:
			fprintf(stderr, "runsc boot: bad flags (this command is for runsc itself)\n");
			return 2;
		}
	}
	if (bo.spec_fd < 0) {
		fprintf(stderr, "runsc boot: --spec-fd is required\n");
		return 2;
	}
	return boot_main(&bo);
}
