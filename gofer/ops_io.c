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

void gofer_fid_opened(struct gofer_fid *f, int flags, struct gofer_call *call)
{
	node_qid(f->node, &call->out->ropen.qid);
	call->out->ropen.iounit = 0; /* the client uses msize */
	if (S_ISREG(f->node->type) && (flags & O_ACCMODE) == O_RDONLY) {
		call->donate_fd = f->open_fd;
		call->hold = fid_ref(f); /* a racing Tclunk must not close it before the send */
	}
}

int gofer_op_lopen(struct gofer_server *s, struct gofer_call *call)
{
	struct gofer_fid *f = fid_get(s, call->in->tlopen.fid);
	int flags, fd, ret;

	if (!f)
		return -EBADF;
	ret = fid_open_fd(f, NULL) >= 0 || f->xattr ? -EINVAL : 0;
	if (!ret)
		ret = gofer_open_flags(s, call->in->tlopen.flags, &flags);
	if (!ret)
		ret = node_reopen(f->node, flags, &fd);
	if (!ret) {
		ret = fid_set_open(s, f, fd, flags); /* a racing Tlopen may have won */
		if (ret)
			close(fd);
	}
	if (!ret)
		gofer_fid_opened(f, flags, call);
	fid_put(f);
	return ret;
}

int gofer_io_fd(struct gofer_server *s, uint32_t num, int acc, struct gofer_fid **out)
{
	struct gofer_fid *f = fid_get(s, num);
	uint32_t flags;
	int cur;

	if (!f)
		return -EBADF;
	cur = fid_open_fd(f, &flags) < 0 ? -1 : (int)(flags & O_ACCMODE);
	if (cur != O_RDWR && cur != acc) {
		fid_put(f);
		return -EBADF;
	}
	*out = f;
	return 0;
}

int gofer_op_read(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f;
	ssize_t n;
	int ret = gofer_io_fd(s, in->io.fid, O_RDONLY, &f);

	if (ret)
		return ret == -EBADF ? gofer_xattr_read(s, call) : ret; /* not an open file */
	if (in->io.offset > INT64_MAX) {
		fid_put(f);
		return -EINVAL;
	}
	n = pread(f->open_fd, call->payload, MIN(in->io.count, call->payload_max),
		  (off_t)in->io.offset);
	ret = n < 0 ? -errno : 0;
	fid_put(f);
	if (ret)
		return ret;
	call->out->rdata.count = (uint32_t)n;
	call->out->rdata.data = call->payload;
	return 0;
}

int gofer_op_write(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f;
	ssize_t n;
	int ret;

	if (s->readonly)
		return -EROFS;
	ret = gofer_io_fd(s, in->io.fid, O_WRONLY, &f);
	if (ret)
		return ret == -EBADF ? gofer_xattr_write(s, call) : ret; /* not an open file */
	if (in->io.offset > INT64_MAX) {
		fid_put(f);
		return -EINVAL;
	}
	n = pwrite(f->open_fd, in->io.data, in->io.count, (off_t)in->io.offset);
	ret = n < 0 ? -errno : 0;
	fid_put(f);
	if (ret)
		return ret;
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

/* Fill w from fd's entries at cookie off. 0 or -errno. */
static int read_dirents(int fd, uint64_t off, struct p9_wbuf *w, uint8_t *scratch)
{
	int full = 0, packed = 0;

	/* The cookie is the host's d_off: seek to it each time, so no state is kept. */
	if (lseek(fd, (off_t)off, SEEK_SET) < 0)
		return -errno;
	for (;;) {
		ssize_t n = getdents64(fd, scratch, GOFER_SCRATCH_SIZE);

		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		full = pack_dirents(w, scratch, (size_t)n, &packed);
		if (full)
			break;
	}
	if (full && packed == 0)
		return -EINVAL; /* count too small for one entry, as getdents64 says */
	return 0;
}

int gofer_op_readdir(struct gofer_server *s, struct gofer_call *call)
{
	const struct p9_fcall *in = call->in;
	struct gofer_fid *f;
	struct p9_wbuf w;
	int ret = gofer_io_fd(s, in->io.fid, O_RDONLY, &f);

	if (ret)
		return ret;
	p9_wbuf_init(&w, call->payload, MIN(in->io.count, call->payload_max));
	if (in->io.offset > INT64_MAX) {
		ret = -EINVAL;
	} else {
		/* lseek + getdents64 share the fid's file offset: take turns on it. */
		pthread_mutex_lock(&f->dir_lock);
		ret = read_dirents(f->open_fd, in->io.offset, &w, call->scratch);
		pthread_mutex_unlock(&f->dir_lock);
	}
	fid_put(f);
	if (ret)
		return ret;
	call->out->rdata.count = (uint32_t)w.pos;
	call->out->rdata.data = call->payload;
	return 0;
}

int gofer_op_fsync(struct gofer_server *s, struct gofer_call *call)
{
	struct gofer_fid *f = fid_get(s, call->in->tfsync.fid);
	int fd, ret;

	/* Allowed when read-only: it changes nothing, and Linux lets fsync a read-only fd. */
	fd = f ? fid_open_fd(f, NULL) : -1;
	if (fd < 0) {
		fid_put(f);
		return -EBADF;
	}
	ret = call->in->tfsync.datasync ? fdatasync(fd) : fsync(fd);
	ret = ret < 0 ? -errno : 0;
	fid_put(f);
	return ret;
}
