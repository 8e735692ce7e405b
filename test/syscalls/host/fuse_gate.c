/* fuse_gate: a host FUSE filesystem for *_fuse_test programs (with_fuse_gate.sh). Mounted
 * at DIR/fuse, it holds one file, `slow` (5 bytes, "slow!"). Once DIR/arm exists and until
 * DIR/go does, every getattr and read of `slow` waits, with DIR/blocked present meanwhile:
 * a host call that blocks until the test inside lets it go. A wait gives up after 30 s, so a sandbox that cannot go on while
 * one call blocks fails its test by the order of events instead of hanging.
 *
 * usage: fuse_gate DIR   (runs in the foreground until unmounted)
 */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fcntl.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuse_slow_ops.h"

static char g_arm[PATH_MAX], g_go[PATH_MAX], g_blocked[PATH_MAX];

/* fuse_slow_ops.h's gate: wait while armed and not let go, showing DIR/blocked
 * meanwhile; 30 s at most. */
static void slow_gate(void)
{
	if (access(g_arm, F_OK) || !access(g_go, F_OK))
		return;
	int fd = open(g_blocked, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);

	if (fd >= 0)
		close(fd);
	for (int i = 0; i < 3000 && access(g_go, F_OK); i++)
		usleep(10000);
	unlink(g_blocked);
}

int main(int argc, char **argv)
{
	char mnt[PATH_MAX];

	if (argc != 2) {
		fprintf(stderr, "usage: fuse_gate DIR\n");
		return 64;
	}
	snprintf(g_arm, sizeof(g_arm), "%s/arm", argv[1]);
	snprintf(g_go, sizeof(g_go), "%s/go", argv[1]);
	snprintf(g_blocked, sizeof(g_blocked), "%s/blocked", argv[1]);
	snprintf(mnt, sizeof(mnt), "%s/fuse", argv[1]);
	char *fargv[] = {argv[0], "-f", mnt, NULL};
	return fuse_main(3, fargv, &g_slow_ops, NULL);
}
