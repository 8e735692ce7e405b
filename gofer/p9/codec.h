/* codec.h: bounds-checked 9P2000.L wire buffers and the message encoder/decoder.
 *
 * Included by p9.h; never include it directly. Decoders read untrusted bytes: they never
 * read past the buffer, reject short or malformed input with -EPROTO, and leave decoded
 * strings and data pointing INTO the caller's buffer (valid while that buffer lives).
 */
#ifndef RUNSC_GOFER_P9_CODEC_H
#define RUNSC_GOFER_P9_CODEC_H

#include <sys/types.h>

#define P9_MIN_MSIZE 4096u	       /* smallest msize either end accepts */
#define P9_MAX_MSIZE (1024u * 1024u) /* largest msize either end accepts */
#define P9_MAX_STR 0xffffu	       /* a string's length field is 16 bits */
#define P9_NAME_MAX 255u	       /* one path component, as Linux NAME_MAX */
#define P9_PATH_MAX 4095u	       /* a symlink target, as Linux PATH_MAX - 1 */
#define P9_NONUNAME 0xffffffffu	       /* Tattach n_uname when none is given */
#define P9_READ_HDR 11u		       /* size type tag count: Rread/Rreaddir data offset */
#define P9_WRITE_HDR 23u	       /* size type tag fid offset count: Twrite data offset */
#define P9_DIRENT_HDR 24u	       /* qid offset type name-len: a dirent without its name */

/* A counted string inside a message buffer: NOT NUL-terminated, never contains a NUL. */
struct p9_str {
	const char *s;
	uint16_t len;
};

/* Writer over a caller buffer. Errors are sticky: the first overflow sets err = -EMSGSIZE
 * and every later put is a no-op, so a message is built without checks and checked once. */
struct p9_wbuf {
	uint8_t *data;
	size_t size; /* capacity */
	size_t pos;
	int err;
};

/* Reader over untrusted bytes. The first short read sets err = -EPROTO (sticky); getters
 * then return -EPROTO and zero their output. */
struct p9_rbuf {
	const uint8_t *data;
	size_t size; /* bytes available */
	size_t pos;
	int err;
};

void p9_wbuf_init(struct p9_wbuf *w, void *buf, size_t size);
void p9_rbuf_init(struct p9_rbuf *r, const void *buf, size_t size);
/* Bytes not yet read. */
static inline size_t p9_rbuf_left(const struct p9_rbuf *r)
{
	return r->size - r->pos;
}

void p9_put_u8(struct p9_wbuf *w, uint8_t v);
void p9_put_u16(struct p9_wbuf *w, uint16_t v);
void p9_put_u32(struct p9_wbuf *w, uint32_t v);
void p9_put_u64(struct p9_wbuf *w, uint64_t v);
/* Raw bytes; src may equal the destination (data already placed there, no copy made). */
void p9_put_bytes(struct p9_wbuf *w, const void *src, size_t size);
/* A counted string of len bytes; len > P9_MAX_STR sets err = -ENAMETOOLONG. */
void p9_put_strn(struct p9_wbuf *w, const char *s, size_t len);
void p9_put_str(struct p9_wbuf *w, const struct p9_str *s);
/* A C string (NULL is written as the empty string). */
void p9_put_cstr(struct p9_wbuf *w, const char *s);
void p9_put_qid(struct p9_wbuf *w, const struct p9_qid *q);

/* Each returns 0 or -EPROTO (short input; *out is zeroed). */
int p9_get_u8(struct p9_rbuf *r, uint8_t *out);
int p9_get_u16(struct p9_rbuf *r, uint16_t *out);
int p9_get_u32(struct p9_rbuf *r, uint32_t *out);
int p9_get_u64(struct p9_rbuf *r, uint64_t *out);
/* Points *out at the next size bytes without copying. */
int p9_get_bytes(struct p9_rbuf *r, size_t size, const void **out);
/* A counted string; -EPROTO also when it holds a NUL byte. */
int p9_get_str(struct p9_rbuf *r, struct p9_str *out);
int p9_get_qid(struct p9_rbuf *r, struct p9_qid *out);

/* Append one Rreaddir entry. All or nothing: returns 0, or -EMSGSIZE and leaves w as it
 * was (without setting w->err) when the entry does not fit, so callers stop there. */
int p9_dirent_put(struct p9_wbuf *w, const struct p9_dirent *d);
/* Decode the next entry of Rreaddir data. Returns 1 (entry in *d, name points into the
 * buffer), 0 at the end, or -EPROTO for a truncated entry, an empty name or one holding
 * '/' or NUL. */
int p9_dirent_next(struct p9_rbuf *r, struct p9_dirent *d);

/* True if s is usable as one path component: 1..P9_NAME_MAX bytes, no '/' (the codec
 * already rules out NUL). "." and ".." pass; callers decide what they mean. */
bool p9_str_is_name(const struct p9_str *s);
/* True if s equals the C string c. */
bool p9_str_eq(const struct p9_str *s, const char *c);
/* Copy s into out[size] NUL-terminated. Returns 0, or -ENAMETOOLONG if it does not fit. */
int p9_str_copy(const struct p9_str *s, char *out, size_t size);

/* One message of either direction, decoded or to encode. Which union member is used
 * follows from type; members named t* / r* belong to that T- / R-message only. */
struct p9_fcall {
	uint8_t type; /* enum p9_msg_type */
	uint16_t tag;
	union {
		struct {
			uint32_t msize;
			struct p9_str version;
		} version; /* Tversion, Rversion */
		struct {
			uint32_t fid, afid, n_uname;
			struct p9_str uname, aname;
		} tattach;
		struct {
			uint32_t fid, newfid;
			uint16_t nwname; /* <= P9_MAXWELEM */
			struct p9_str wnames[P9_MAXWELEM];
		} twalk;
		struct {
			uint16_t nwqid; /* <= P9_MAXWELEM */
			struct p9_qid wqids[P9_MAXWELEM];
		} rwalk;
		/* Twalkgetattr is Twalk's twalk; Rwalkgetattr: attributes of the file reached,
		 * then the qids of Rwalk, then the attributes of the file walked from (fid's:
		 * a client checking search permission there needs no Tgetattr). Unlike Twalk
		 * it succeeds only when every name is walked (else Rlerror), and newfid
		 * P9_NOFID makes no fid: a stat by name. */
		struct {
			struct p9_attr attr;
			uint16_t nwqid; /* <= P9_MAXWELEM */
			struct p9_qid wqids[P9_MAXWELEM];
			struct p9_attr dirattr;
		} rwalkgetattr;
		struct {
			uint32_t fid;
			uint64_t mask;
		} tgetattr;
		struct p9_attr rgetattr;
		struct {
			uint32_t fid, flags;
		} tlopen;
		struct {
			struct p9_qid qid;
			uint32_t iounit;
		} ropen; /* Rlopen, Rlcreate */
		struct {
			uint32_t fid;
			uint64_t offset;
			uint32_t count;
			const void *data; /* Twrite only: count bytes */
		} io; /* Tread, Twrite, Treaddir */
		struct {
			uint32_t count;
			const void *data; /* count bytes (Rreaddir: packed dirents) */
		} rdata; /* Rread, Rreaddir */
		struct {
			uint32_t count;
		} rwrite;
		struct {
			uint32_t fid;
		} tfid; /* Treadlink, Tstatfs, Tclunk */
		struct {
			struct p9_str target;
		} rreadlink;
		struct p9_statfs rstatfs;
		struct {
			uint16_t oldtag;
		} tflush;
		struct {
			uint32_t ecode; /* positive Linux errno */
		} rlerror;
		struct {
			uint32_t fid;
			struct p9_str name;
			uint32_t flags, mode, gid;
		} tlcreate;
		struct {
			uint32_t dfid;
			struct p9_str name;
			uint32_t mode, gid;
		} tmkdir;
		struct {
			uint32_t dfid;
			struct p9_str name;
			uint32_t mode, major, minor, gid;
		} tmknod;
		struct {
			uint32_t dfid;
			struct p9_str name, target;
			uint32_t gid;
		} tsymlink;
		struct {
			uint32_t dfid;
			struct p9_str name;
			uint32_t flags;
		} tunlinkat;
		struct {
			uint32_t olddfid, newdfid;
			struct p9_str oldname, newname;
		} trenameat;
		struct {
			uint32_t dfid, fid; /* new name in dfid for the file of fid */
			struct p9_str name;
		} tlink;
		struct {
			uint32_t fid;
			struct p9_setattr attr;
		} tsetattr;
		struct {
			uint32_t fid, datasync;
		} tfsync;
		/* Tlock: set or clear a byte range lock on open fid's file (flags:
		 * P9_LOCK_FLAGS_*); Rlock: P9_LOCK_SUCCESS or P9_LOCK_BLOCKED (a conflict). */
		struct {
			uint32_t fid, flags;
			struct p9_lock lock;
			struct p9_str client_id;
		} tlock;
		struct {
			uint8_t status;
		} rlock;
		/* Tgetlock: the first lock conflicting with lock (fid is unused in Rgetlock);
		 * Rgetlock: that lock, or type P9_LOCK_TYPE_UNLCK if none does. */
		struct {
			uint32_t fid;
			struct p9_lock lock;
			struct p9_str client_id;
		} getlock;
		/* Trename: move fid's file into directory dfid as name (Rrename is empty). */
		struct {
			uint32_t fid, dfid;
			struct p9_str name;
		} trename;
		struct {
			struct p9_qid qid;
		} rqid; /* Rattach, Rmkdir, Rsymlink, Rmknod */
		/* Txattrwalk: newfid reads the value of name in fid's file, or with name ""
		 * the list of names (NUL-terminated, back to back); Rxattrwalk: its size. */
		struct {
			uint32_t fid, newfid;
			struct p9_str name;
		} txattrwalk;
		struct {
			uint64_t size;
		} rxattrwalk;
		/* Txattrcreate: fid becomes a fid that Twrite fills with size bytes of the value
		 * of name; its Tclunk sets it (flags: P9_XATTR_*). */
		struct {
			uint32_t fid;
			struct p9_str name;
			uint64_t size;
			uint32_t flags;
		} txattrcreate;
		/* Txattrget: name's value (name "": the list of names) of fid's file;
		 * Rxattrget: its size, and the bytes when they fit in count (and the msize),
		 * else none (count 0). */
		struct {
			uint32_t fid;
			struct p9_str name;
			uint32_t count;
		} txattrget;
		struct {
			uint64_t size;
			uint32_t count;
			const void *data;
		} rxattrget;
		/* Txattrset: set name to count bytes of data, as Txattrcreate, Twrite and Tclunk
		 * would (count 0 without P9_XATTR_EMPTY removes it); Rxattrset is empty. */
		struct {
			uint32_t fid;
			struct p9_str name;
			uint32_t flags, count;
			const void *data;
		} txattrset;
	};
};

/* Encode f as one complete message into buf[size]. Returns the message size, -EMSGSIZE
 * if it does not fit, -ENAMETOOLONG for a string over 64 KiB, or -EINVAL for a type this
 * codec does not know or a walk of more than P9_MAXWELEM names. */
ssize_t p9_encode(void *buf, size_t size, const struct p9_fcall *f);

/* Read the size field of a message header: 0, or -EPROTO if size < P9_HDR_SIZE or > msize.
 * Used by framing code that must know how many bytes to receive. */
int p9_frame_size(const void *hdr4, uint32_t msize, uint32_t *size);

/* Decode one whole message of len bytes (a T- or R-message). Checks that the size field
 * equals len and is <= msize, that the type is known, that every field is present, that
 * no bytes trail, and the P9_MAXWELEM limits. On -EPROTO after a good header, f->type and
 * f->tag are still set (so a server can answer the tag); -EOPNOTSUPP means a well-formed
 * header with a type this codec does not decode (f->type and f->tag set). */
int p9_decode(const void *buf, size_t len, uint32_t msize, struct p9_fcall *f);

/* True for T-messages (even types). */
static inline bool p9_is_request(uint8_t type)
{
	return (type & 1) == 0;
}

#endif
