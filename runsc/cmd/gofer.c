/* gofer.c: the hidden `runsc gofer` subcommand: flags, then the Gofer (gofer/). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "gofer/gofer.h"
#include "runsc/runsc.h"

int cmd_gofer(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"io-fd", required_argument, NULL, 'i'},
		{"readonly", no_argument, NULL, 'R'},
		{0},
	};
	struct gofer_opts go = {.root = "/", .sock_fd = -1, .readonly = false, .walls = true};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': go.root = optarg; break;
		case 'i': go.sock_fd = atoi(optarg); break;
		case 'R': go.readonly = true; break;
		default:
			fprintf(stderr, "runsc gofer: bad flags (this command is for runsc itself)\n");
			return 2;
		}
	}
	if (go.sock_fd < 0) {
		fprintf(stderr, "runsc gofer: --io-fd is required\n");
		return 2;
	}
	return gofer_run(&go);
}
