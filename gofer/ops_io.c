/* ops_io.c: open-file handlers: Tlopen, Tread, Twrite, Treaddir, Tfsync. */
#include "gofer/gofer_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "lib/util.h"

/* The O_* bits a client may ask for; the rest (O_CREAT, O_PATH, O_TMPFILE, O_ASYNC,
 * O_DIRECT...) are dropped and the server adds its own safety flags in node_reopen. */
#define GOFER_OPEN_FLAGS                                                                    \
	(O_ACCMODE | O_TRUNC | O_APPEND | O_DIRECTORY | O_DSYNC | O_SYNC | O_NOATIME |      \
	 O_LARGEFILE)

int gofer_open_flags(struct gofer_server *s, uint32_t flags, int *out)
{
	int f = (int)(flags & GOFER_OPEN_FLAGS);

	if ((f & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	if (s->readonly && ((f & O_ACCMODE) != O_RDONLY || (f & O_TRUNC)))
		return -EROFS;
	*out = f;
	return 0;
}

void gofer_fid_opened(struct gofer_fid *f, int fd, int flags, struct gofer_call *call)
{
	f->open_fd = fd;
	f->open_flags = (uint32_t)flags;
	node_qid(f->node, &call->out->ropen.qid);
	call->out->ropen.iounit = 0; /* the client uses msize */
	if (S_ISREG(f->node->type) && (flags & O_ACCMODE) == O_RDONLY)
		call->donate_fd = fd;
}

int gofer_op_lopen(struct gofer_server *s, struct gofer_call *call)
{
	struct gofer_fid *f = fid_lookup(s, call->in->tlopen.fid);
	int flags, fd, ret;

	if (!f)
		return -EBADF;
	if (f->open_fd >= 0)
		return -EINVAL;
	ret = gofer_open_flags(s, call->in->tlopen.flags, &flags);
	if (ret)
		return ret;
	ret = node_reopen(f->node, flags, &fd);
	if (ret)
		return ret;
	gofer_fid_opened(f, fd, flags, call);
	return 0;
}

/* The fid's open fd if it was opened for acc (O_RDONLY: readable, O_WRONLY: writable). */
static int open_fd_for(struct gofer_server *s, uint32_t num, int acc, int *fd)
{
	struct gofer_fid *f = fid_lookup(s, num);
	int cur;

	if (!f || f->open_fd < 0)
		return -EBADF;
	cur = (int)(f->open_flags & O_ACCMODE);
	if (cur != O_RDWR && cur != acc)
		return -EBADF;
	*fd = f->open_fd;
	return 0;
}

int gofer_op_read(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	ssize_t n;
	int fd, ret = open_fd_for(s, in->io.fid, O_RDONLY, &fd);

	if (ret)
		return ret;
	if (in->io.offset > INT64_MAX)
		return -EINVAL;
	n = pread(fd, call->payload, MIN(in->io.count, call->payload_max), (off_t)in->io.offset);
	if (n < 0)
		return -errno;
	call->out->rdata.count = (uint32_t)n;
	call->out->rdata.data = call->payload;
	return 0;
}

int gofer_op_write(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	ssize_t n;
	int fd, ret;

	if (s->readonly)
		return -EROFS;
	ret = open_fd_for(s, in->io.fid, O_WRONLY, &fd);
	if (ret)
		return ret;
	if (in->io.offset > INT64_MAX)
		return -EINVAL;
	n = pwrite(fd, in->io.data, in->io.count, (off_t)in->io.offset);
	if (n < 0)
		return -errno;
	call->out->rwrite.count = (uint32_t)n;
	return 0;
}

/* getdents64's record, which glibc does not declare under this name. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Pack the entries of buf[size] into w. Returns 1 when w is full, else 0; counts packed
 * entries in *packed. "." and ".." are left out: the Sentry makes its own. */
static int pack_dirents(struct p9_wbuf *w, const uint8_t *buf, size_t size, int *packed)
{
	for (size_t pos = 0; pos + sizeof(struct linux_dirent64) <= size;) {
		const struct linux_dirent64 *e = (const void *)(buf + pos);
		size_t len = strnlen(e->d_name, e->d_reclen - offsetof(struct linux_dirent64, d_name));
		struct p9_dirent d = {.offset = (uint64_t)e->d_off, .type = e->d_type};

		pos += e->d_reclen;
		if (e->d_reclen == 0)
			break; /* cannot happen; never spin */
		if ((len == 1 && e->d_name[0] == '.') || (len == 2 && !memcmp(e->d_name, "..", 2)))
			continue;
		d.qid.type = e->d_type == DT_DIR ? P9_QTDIR : e->d_type == DT_LNK ? P9_QTSYMLINK : 0;
		d.qid.path = e->d_ino;
		d.name = e->d_name;
		d.name_len = (uint16_t)len;
		if (p9_dirent_put(w, &d))
			return 1;
		(*packed)++;
	}
	return 0;
}

int gofer_op_readdir(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct p9_wbuf w;
	int fd, full = 0, packed = 0, ret = open_fd_for(s, in->io.fid, O_RDONLY, &fd);

	if (ret)
		return ret;
	if (in->io.offset > INT64_MAX)
		return -EINVAL;
	/* The cookie is the host's d_off: seek to it each time, so no state is kept. */
	if (lseek(fd, (off_t)in->io.offset, SEEK_SET) < 0)
		return -errno;
	p9_wbuf_init(&w, call->payload, MIN(in->io.count, call->payload_max));
	for (;;) {
		ssize_t n = getdents64(fd, s->scratch, GOFER_SCRATCH_SIZE);

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		full = pack_dirents(&w, s->scratch, (size_t)n, &packed);
		if (full)
			break;
	}
	if (full && packed == 0)
		return -EINVAL; /* count too small for one entry, as getdents64 says */
	call->out->rdata.count = (uint32_t)w.pos;
	call->out->rdata.data = call->payload;
	return 0;
}

int gofer_op_fsync(struct gofer_server *s, struct gofer_call *call)
{
	struct gofer_fid *f = fid_lookup(s, call->in->tfsync.fid);
	int ret;

	/* Allowed when read-only: it changes nothing, and Linux lets fsync a read-only fd. */
	if (!f || f->open_fd < 0)
		return -EBADF;
	ret = call->in->tfsync.datasync ? fdatasync(f->open_fd) : fsync(f->open_fd);
	return ret < 0 ? -errno : 0;
}
