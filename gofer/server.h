/* server.h: the gofer's 9P2000.L server over one connection, usable without the walls
 * (unit tests, the fuzz target). gofer_run() in gofer.h is the process entry point. */
#ifndef RUNSC_GOFER_SERVER_H
#define RUNSC_GOFER_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gofer_server;

/* A server for the tree at directory fd rootfd (dup'ed; the caller keeps its own).
 * Read-only servers answer every mutation with EROFS. Returns 0 or -errno. */
int gofer_server_new(int rootfd, bool readonly, struct gofer_server **out);
/* Clunk every fid and free the server. */
void gofer_server_free(struct gofer_server *s);

/* Answer one request of len bytes (untrusted) into reply[reply_size], which must hold
 * P9_MAX_MSIZE bytes. Returns the reply length, or -EPROTO when the framing is broken
 * (size field != len, too short, over msize) and the connection must be dropped. Every
 * other problem is answered with Rlerror. *donate_fd is set to an fd to attach to the
 * reply (still owned by the server), or -1. */
ssize_t gofer_server_handle(struct gofer_server *s, const void *req, size_t len, void *reply,
			    size_t reply_size, int *donate_fd);

/* Serve sock (SOCK_STREAM or SOCK_SEQPACKET) one request at a time until the peer hangs
 * up (returns 0) or the connection breaks (-errno). Single-threaded: a slow host file
 * stalls the connection; concurrency and io_uring batching come later. */
int gofer_serve(struct gofer_server *s, int sock);

#endif
