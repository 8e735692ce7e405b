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
/* A server whose whole tree is the regular file name in directory dirfd (a file bind
 * mount): walks from it fail with ENOTDIR, opens reopen it by name in the held directory
 * and must find the same inode. name is not followed (-EINVAL if it is no regular file).
 * Returns 0 or -errno. */
int gofer_server_new_file(int dirfd, const char *name, bool readonly,
			  struct gofer_server **out);
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
/* Serve n connections, socks[i] with s[i], one request at a time across them, until the
 * first (the root's) hangs up or breaks; a later one ending only closes it. */
int gofer_serve_many(struct gofer_server **s, const int *socks, int n);

#endif
