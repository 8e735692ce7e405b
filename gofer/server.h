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

/* The concurrent server (conn.c): one loop thread reads every connection's requests;
 * a pool of workers answers them, several in flight per connection (9P tags), replies
 * in completion order (getattr and statfs of local files, and a stat by name
 * (Twalkgetattr, no new fid) in a local directory, the loop answers itself); host
 * reads, writes and fsyncs of regular files go through an io_uring, one io_uring_enter
 * per batch. Stream connections are read ahead (one recv for whole requests). */
struct gofer_loop;

/* A loop with nworkers threads (0: from the CPU count) and, if use_ring and the kernel
 * allows, an io_uring; without one the workers do the same I/O with plain syscalls. The
 * threads and the ring start now: make the loop before the seccomp filter goes up.
 * NULL if no worker could be started (logged). */
struct gofer_loop *gofer_loop_new(int nworkers, bool use_ring);
/* Wait for the workers (every queued request is answered first) and free the loop. */
void gofer_loop_free(struct gofer_loop *l);
int gofer_loop_workers(const struct gofer_loop *l);
bool gofer_loop_has_ring(const struct gofer_loop *l);
/* Serve n connections (SOCK_STREAM or SOCK_SEQPACKET), socks[i] with s[i], until the first
 * (the root's) hangs up (0) or breaks (-errno); a later one ending only stops reading it.
 * Every request read is answered before this returns. One call at a time per loop. */
int gofer_loop_serve(struct gofer_loop *l, struct gofer_server **s, const int *socks, int n);
/* The same with a loop of its own (workers from the CPU count, io_uring if allowed). */
int gofer_serve_many(struct gofer_server **s, const int *socks, int n);
int gofer_serve(struct gofer_server *s, int sock);

#endif
