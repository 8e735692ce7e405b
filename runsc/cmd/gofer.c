/* gofer.c: the hidden `runsc gofer` subcommand: flags, then the Gofer (gofer/). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gofer/gofer.h"
#include "runsc/runsc.h"

/* --bind=FD:ro|rw:PATH */
static int parse_bind(char *arg, struct gofer_opts *go)
{
	struct gofer_bind *b = &go->binds[go->nbinds];
	char *end;

	if (go->nbinds == GOFER_MAX_BINDS)
		return -1;
	b->sock_fd = (int)strtol(arg, &end, 10);
	if (end == arg || b->sock_fd < 0 || (strncmp(end, ":ro:", 4) && strncmp(end, ":rw:", 4)))
		return -1;
	b->readonly = end[2] == 'o';
	b->source = end + 4;
	if (b->source[0] != '/')
		return -1;
	go->nbinds++;
	return 0;
}

int cmd_gofer(int argc, char **argv)
{
	static const struct option opts[] = {
		{"root", required_argument, NULL, 'r'},
		{"io-fd", required_argument, NULL, 'i'},
		{"readonly", no_argument, NULL, 'R'},
		{"bind", required_argument, NULL, 'b'},
		{0},
	};
	static struct gofer_opts go = {.root = "/", .sock_fd = -1, .walls = true};
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r': go.root = optarg; break;
		case 'i': go.sock_fd = atoi(optarg); break;
		case 'R': go.readonly = true; break;
		case 'b':
			if (parse_bind(optarg, &go) == 0)
				break;
			fprintf(stderr, "runsc gofer: bad --bind `%s` (FD:ro|rw:/PATH)\n", optarg);
			return 2;
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
