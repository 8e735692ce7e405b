/* gofer_test_util.h: a temp tree to serve and a server thread, shared by the gofer tests. */
#ifndef RUNSC_TEST_GOFER_TEST_UTIL_H
#define RUNSC_TEST_GOFER_TEST_UTIL_H

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gofer/gofer.h"

/* <base>/root is served; <base>/outside/secret must never be reachable through it. */
struct gofer_tree {
	char base[64];
	char root[96];
};

static inline void gt_write(const char *dir, const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static inline void gt_path(const struct gofer_tree *t, const char *rel, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", t->root, rel);
}

/* root/file.txt "hello world", root/dir/sub.txt, root/link -> file.txt,
 * root/escape -> ../outside, root/abs -> /etc, and base/outside/secret. */
static inline void gt_make(struct gofer_tree *t)
{
	char p[256];

	strcpy(t->base, "/tmp/gofer-test-XXXXXX");
	if (!mkdtemp(t->base))
		abort();
	snprintf(t->root, sizeof(t->root), "%s/root", t->base);
	snprintf(p, sizeof(p), "%s/outside", t->base);
	if (mkdir(t->root, 0755) || mkdir(p, 0755))
		abort();
	gt_write(p, "secret", "do not read");
	gt_write(t->root, "file.txt", "hello world");
	gt_path(t, "dir", p, sizeof(p));
	if (mkdir(p, 0755))
		abort();
	gt_write(p, "sub.txt", "sub");
	gt_path(t, "link", p, sizeof(p));
	if (symlink("file.txt", p))
		abort();
	gt_path(t, "escape", p, sizeof(p));
	if (symlink("../outside", p))
		abort();
	gt_path(t, "abs", p, sizeof(p));
	if (symlink("/etc", p))
		abort();
}

static inline int gt_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static inline void gt_destroy(struct gofer_tree *t)
{
	nftw(t->base, gt_rm, 16, FTW_DEPTH | FTW_PHYS);
}

/* A gofer_run() in a thread on one end of a socketpair. */
struct gofer_thread {
	pthread_t thread;
	struct gofer_opts opts;
	int exit_code;
};

static inline void *gt_thread_main(void *arg)
{
	struct gofer_thread *g = arg;

	g->exit_code = gofer_run(&g->opts);
	close(g->opts.sock_fd);
	return NULL;
}

/* Start serving root; returns the client's end of the connection. */
static inline int gt_start(struct gofer_thread *g, const char *root, bool readonly, int type)
{
	int sv[2];

	if (socketpair(AF_UNIX, type | SOCK_CLOEXEC, 0, sv))
		abort();
	g->opts = (struct gofer_opts){.root = root, .sock_fd = sv[1], .readonly = readonly};
	g->exit_code = -1;
	if (pthread_create(&g->thread, NULL, gt_thread_main, g))
		abort();
	return sv[0];
}

/* Wait for the server thread (after the client closed its end); returns its exit code. */
static inline int gt_join(struct gofer_thread *g)
{
	pthread_join(g->thread, NULL);
	return g->exit_code;
}

/* A number below n (0 if n is 0) from the xorshift state *rng: fixed-seed test inputs. */
static inline uint32_t gt_rand(uint64_t *rng, uint32_t n)
{
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	return n ? (uint32_t)(*rng % n) : 0;
}

static inline int gt_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

#endif
