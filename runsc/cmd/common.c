/* common.c: what every OCI subcommand shares: error reporting (stderr and --log) and
 * flag parsing. */
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/util.h"
#include "runsc/runsc.h"

int runsc_fail(const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* containerd reads the last JSON line of --log; conmon (podman) reads stderr even
	 * when it passes --log-format=json --log, so runc writes to both, and so do we. */
	if (log_get_fd() != 2)
		log_err("%s", msg);
	fprintf(stderr, "runsc: %s\n", msg);
	return 1;
}

int runsc_getopt(int argc, char **argv, const char *shortopts, const struct option *opts)
{
	char so[64];
	int c;

	snprintf(so, sizeof(so), "+:%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, so, opts, NULL);
	if (c == '?') {
		runsc_fail("%s: unknown flag `%s`", argv[0], argv[optind - 1]);
		return '?';
	}
	if (c == ':') {
		runsc_fail("%s: flag `%s` needs a value", argv[0], argv[optind - 1]);
		return '?';
	}
	return c;
}

int runsc_json_memfd(const json_t *o, const char *name)
{
	char *text = json_dumps(o, JSON_COMPACT);
	int fd = text ? memfd_create(name, MFD_CLOEXEC) : -1, err;

	if (!text)
		errno = ENOMEM;
	if (fd >= 0 && (err = write_all(fd, text, strlen(text))) < 0) {
		close(fd);
		fd = -1;
		errno = -err;
	}
	free(text);
	return fd;
}
