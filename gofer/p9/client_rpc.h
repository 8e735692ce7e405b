/* client_rpc.h: internals shared by the client's transport (client.c) and its message
 * wrappers (client_ops.c). Not for use outside gofer/p9/. */
#ifndef RUNSC_GOFER_P9_CLIENT_RPC_H
#define RUNSC_GOFER_P9_CLIENT_RPC_H

#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "gofer/p9/client.h"

struct p9_call;

/* Threads share a client: each call takes a free tag, sends its request whole under wlock
 * and waits; whichever waiting thread finds no reader reads the socket for everyone
 * (leader/follower) and hands each reply to the call with its tag. */
struct p9_client {
	int fd;
	bool seqpacket; /* SOCK_SEQPACKET keeps message boundaries; else a byte stream */
	uint32_t msize; /* negotiated; tbuf and rbuf hold at least this many bytes */
	pthread_mutex_t wlock; /* the socket's write side and tbuf */
	uint8_t *tbuf;
	pthread_mutex_t lock; /* everything below */
	pthread_cond_t cond;  /* a reply was delivered, the reader role is free, or broken */
	bool broken;	      /* framing lost or peer gone: every later call gets -EPIPE */
	bool reading;	      /* a waiting thread is receiving into rbuf */
	uint8_t *rbuf;	      /* the reader's buffer */
	struct p9_call *calls; /* waiting for replies, by tag */
	uint16_t next_tag;
	uint32_t next_fid;   /* next never-used fid number */
	uint32_t *free_fids; /* clunked numbers, reused first */
	size_t nfree, free_cap;
};

/* Send req (its tag is set here) and wait for the reply, decoded into *rep with strings
 * and data pointing into a buffer of the calling thread's (valid until its next call). Any
 * number of threads may call at once. want is the expected reply
 * type. Returns 0, -ecode of an Rlerror, -EIO for a malformed or unexpected reply, -EPIPE
 * when the connection is gone, or an encoding error (-EMSGSIZE, -ENAMETOOLONG, -EINVAL).
 * If hostfd is non-NULL it receives a donated fd (or -1), owned by the caller; any fd that
 * arrives otherwise is closed. */
int p9c_rpc(struct p9_client *c, struct p9_fcall *req, uint8_t want, struct p9_fcall *rep,
	    int *hostfd);

/* Return a clunked fid number to the allocator (p9c_clunk frees it even on error, as 9P
 * says a clunked fid is gone whatever the reply). */
void p9c_fid_release(struct p9_client *c, uint32_t fid);

/* Largest payload of one Tread/Rread, Treaddir or Twrite under the negotiated msize. */
static inline uint32_t p9c_iosize(const struct p9_client *c, uint32_t hdr)
{
	return c->msize - hdr;
}

/* A C string (NULL = empty) as a 9P string pointing at it; -ENAMETOOLONG over 64 KiB. */
static inline int p9c_cstr(const char *s, struct p9_str *out)
{
	size_t len = s ? strlen(s) : 0;

	if (len > P9_MAX_STR)
		return -ENAMETOOLONG;
	out->s = s ? s : "";
	out->len = (uint16_t)len;
	return 0;
}

#endif
