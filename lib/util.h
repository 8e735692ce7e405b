/* util.h: small helpers every component uses (no knowledge of tasks, files or platforms). */
#ifndef RUNSC_LIB_UTIL_H
#define RUNSC_LIB_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) ((type *)((char *)(ptr) - offsetof(type, member)))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a) - 1))
#define ALIGN_UP(x, a) ALIGN_DOWN((x) + (a) - 1, (a))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a) - 1)) == 0)

#define __must_check __attribute__((warn_unused_result))
#define __unused __attribute__((unused))
/* Deliberately ignore a __must_check result (best-effort writes, as Linux does). */
#define ignore_result(x)      \
	do {                  \
		if (x) {      \
		}             \
	} while (0)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

static inline void cleanup_freep(void *p)
{
	free(*(void **)p);
}
static inline void cleanup_closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
/* crun-style scope cleanups for runsc/ and gofer setup code. */
#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))

/* xmalloc family: abort with a message on exhaustion (host invariant, not guest input). */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);

/* Write all of buf to fd, retrying on EINTR/short writes. Returns 0 or -errno. */
int write_all(int fd, const void *buf, size_t size) __must_check;
/* Read exactly size bytes. Returns 0, -errno, or -EPIPE on early EOF. */
int read_all(int fd, void *buf, size_t size) __must_check;

/* Send/receive one message with up to nfds file descriptors attached (SCM_RIGHTS).
 * recv: *nfds in = capacity, out = received count. Returns bytes or -errno. */
ssize_t fd_send(int sock, const void *buf, size_t size, const int *fds, int nfds);
ssize_t fd_recv(int sock, void *buf, size_t size, int *fds, int *nfds);

#endif
