/* fuse_slow_ops.h: the FUSE operations of a filesystem holding one file, `slow` (5 bytes,
 * "slow!"), whose getattr and read first call slow_gate(): the includer defines it, to
 * make those calls wait until its test lets them go. Shared by the host FUSE filesystem of
 * the *_fuse_test programs (fuse_gate.c) and test/unit/gofer_conc_test.c. Include it once,
 * after <fuse.h> with FUSE_USE_VERSION 31. */
#ifndef RUNSC_TEST_FUSE_SLOW_OPS_H
#define RUNSC_TEST_FUSE_SLOW_OPS_H

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

static void slow_gate(void);

static int slow_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	memset(st, 0, sizeof(*st));
	if (!strcmp(path, "/")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, "/slow"))
		return -ENOENT;
	slow_gate();
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_size = 5;
	return 0;
}

static int slow_open(const char *path, struct fuse_file_info *fi)
{
	fi->direct_io = 1; /* every read reaches slow_read */
	return strcmp(path, "/slow") ? -ENOENT : 0;
}

static int slow_read(const char *path, char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	slow_gate();
	if (off >= 5)
		return 0;
	if (size > (size_t)(5 - off))
		size = (size_t)(5 - off);
	memcpy(buf, "slow!" + off, size);
	return (int)size;
}

static void *slow_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	cfg->attr_timeout = 0; /* every stat reaches slow_getattr */
	cfg->entry_timeout = 0;
	return NULL;
}

static const struct fuse_operations g_slow_ops = {
	.getattr = slow_getattr,
	.open = slow_open,
	.read = slow_read,
	.init = slow_init,
};

#endif
