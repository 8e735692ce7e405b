/* syscalls.c: `runsc syscalls`: the syscall table as text or Markdown (the project's
 * compatibility list). */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "runsc/runsc.h"
#include "sentry/syscalls/syscalls.h"

int cmd_syscalls(int argc, char **argv)
{
	static const struct option opts[] = {
		{"format", required_argument, NULL, 'f'},
		{"help", no_argument, NULL, 'h'},
		{0},
	};
	const char *format = "text";
	int c, counts[4] = {0};

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'f' && (!strcmp(optarg, "text") || !strcmp(optarg, "markdown"))) {
			format = optarg;
		} else if (c == 'h') {
			printf("usage: runsc syscalls [--format=text|markdown]\n");
			return 0;
		} else {
			fprintf(stderr, "runsc syscalls: --format takes `text` or `markdown`\n");
			return 2;
		}
	}
	bool md = !strcmp(format, "markdown");
	if (md)
		printf("| number | name | status | note |\n|---:|---|---|---|\n");
	for (int nr = 0; nr < SYSCALL_MAX; nr++) {
		const struct syscall_entry *e = &g_syscall_table[nr];
		if (!e->name)
			continue;
		counts[e->status]++;
		if (md)
			printf("| %d | %s | %s | %s |\n", nr, e->name,
			       syscall_status_name(e->status), e->note ? e->note : "");
		else
			printf("%3d  %-20s %-12s %s\n", nr, e->name, syscall_status_name(e->status),
			       e->note ? e->note : "");
	}
	printf("%s%d supported, %d partial, %d unsupported; every other number returns ENOSYS\n",
	       md ? "\n" : "", counts[SYS_SUPPORTED], counts[SYS_PARTIAL],
	       counts[SYS_UNSUPPORTED]);
	return 0;
}
