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

static char g_arm[PATH_MAX], g_go[PATH_MAX], g_blocked[PATH_MAX];

/* Wait while armed and not let go, showing DIR/blocked meanwhile; 30 s at most. */
static void gate(void)
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

static int gate_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	memset(st, 0, sizeof(*st));
	if (!strcmp(path, "/")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, "/slow"))
		return -ENOENT;
	gate();
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_size = 5;
	return 0;
}

static int gate_open(const char *path, struct fuse_file_info *fi)
{
	fi->direct_io = 1;
	return strcmp(path, "/slow") ? -ENOENT : 0;
}

static int gate_read(const char *path, char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	gate();
	if (off >= 5)
		return 0;
	if (size > (size_t)(5 - off))
		size = (size_t)(5 - off);
	memcpy(buf, "slow!" + off, size);
	return (int)size;
}

static void *gate_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->attr_timeout = 0; /* every stat reaches gate_getattr */
	cfg->entry_timeout = 0;
	return NULL;
}

static const struct fuse_operations g_ops = {
	.getattr = gate_getattr, .open = gate_open, .read = gate_read, .init = gate_init,
};

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
	return fuse_main(3, fargv, &g_ops, NULL);
}
