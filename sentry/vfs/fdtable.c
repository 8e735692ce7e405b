/* fdtable.c: per-process fd tables: lowest free fd, close-on-exec per fd, RLIMIT_NOFILE,
 * sharing (CLONE_FILES) and copying (fork). */
#include "sentry/vfs/vfs_internal.h"

#include <errno.h>
#include <string.h>

#include "sentry/fs/dnotify.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/lock.h"

#define FDTABLE_MAX (1 << 20) /* Linux's default fs.nr_open */

struct fdent {
	struct file *f; /* reference held, NULL = free */
	bool cloexec;
};

struct fdtable {
	int refs;
	int size;	   /* entries allocated in fds */
	struct fdent *fds;
};

struct fdtable *fdtable_new(void)
{
	struct fdtable *ft = xcalloc(1, sizeof(*ft));

	ft->refs = 1;
	return ft;
}

static void fdtable_grow(struct fdtable *ft, int need)
{
	int size = ft->size ? ft->size : 64;

	while (size <= need)
		size *= 2;
	ft->fds = xrealloc(ft->fds, (size_t)size * sizeof(*ft->fds));
	memset(ft->fds + ft->size, 0, (size_t)(size - ft->size) * sizeof(*ft->fds));
	ft->size = size;
}

struct fdtable *fdtable_fork(struct fdtable *old, bool share)
{
	struct fdtable *ft;

	if (share) {
		old->refs++;
		return old;
	}
	ft = fdtable_new();
	if (old->size) {
		fdtable_grow(ft, old->size - 1);
		for (int i = 0; i < old->size; i++) {
			ft->fds[i] = old->fds[i];
			if (ft->fds[i].f)
				file_get(ft->fds[i].f);
		}
	}
	return ft;
}

/* A descriptor of f goes: what Linux does at every close, not only the last. */
static void fd_closing(struct fdtable *ft, struct file *f)
{
	if (!f)
		return;
	lock_close_posix(ft, f); /* closing any fd drops the process's POSIX locks */
	dnotify_flush(ft, f);	 /* and its F_NOTIFY marks of that file */
	if (f->ops && f->ops->flush)
		f->ops->flush(f);
}

void fdtable_put(struct fdtable *ft)
{
	if (!ft || --ft->refs > 0)
		return;
	for (int i = 0; i < ft->size; i++) {
		fd_closing(ft, ft->fds[i].f);
		file_put(ft->fds[i].f);
	}
	free(ft->fds);
	free(ft);
}

int fdtable_max_fds(struct task *t)
{
	if (t && t->tg && t->tg->rlim[RLIMIT_NOFILE].rlim_cur < FDTABLE_MAX)
		return (int)t->tg->rlim[RLIMIT_NOFILE].rlim_cur;
	return FDTABLE_MAX;
}

int fdtable_alloc(struct task *t, struct fdtable *ft, struct file *f, int minfd, bool cloexec)
{
	int limit = fdtable_max_fds(t);

	for (int fd = minfd; fd < limit; fd++) {
		if (fd >= ft->size)
			fdtable_grow(ft, fd);
		if (!ft->fds[fd].f) {
			file_get(f);
			ft->fds[fd].f = f;
			ft->fds[fd].cloexec = cloexec;
			return fd;
		}
	}
	return -EMFILE;
}

int fdtable_install_at(struct fdtable *ft, int fd, struct file *f, bool cloexec)
{
	struct file *old;

	if (fd < 0 || fd >= FDTABLE_MAX || !f)
		return -EBADF;
	if (fd >= ft->size)
		fdtable_grow(ft, fd);
	old = ft->fds[fd].f;
	file_get(f);
	ft->fds[fd].f = f;
	ft->fds[fd].cloexec = cloexec;
	if (old)
		fd_closing(ft, old);
	file_put(old);
	return fd;
}

struct file *fdtable_get(struct fdtable *ft, int fd)
{
	struct file *f;

	if (!ft || fd < 0 || fd >= ft->size || !ft->fds[fd].f)
		return NULL;
	f = ft->fds[fd].f;
	file_get(f);
	return f;
}

int fdtable_close(struct fdtable *ft, int fd)
{
	struct file *f;

	if (fd < 0 || fd >= ft->size || !ft->fds[fd].f)
		return -EBADF;
	f = ft->fds[fd].f;
	ft->fds[fd].f = NULL;
	ft->fds[fd].cloexec = false;
	fd_closing(ft, f);
	file_put(f);
	return 0;
}

void fdtable_close_range(struct fdtable *ft, unsigned first, unsigned last, bool cloexec_only)
{
	for (unsigned fd = first; fd <= last && fd < (unsigned)ft->size; fd++) {
		if (!ft->fds[fd].f)
			continue;
		if (cloexec_only)
			ft->fds[fd].cloexec = true;
		else
			fdtable_close(ft, (int)fd);
	}
}

void fdtable_close_on_exec(struct fdtable *ft)
{
	for (int fd = 0; fd < ft->size; fd++)
		if (ft->fds[fd].f && ft->fds[fd].cloexec)
			fdtable_close(ft, fd);
}

int fdtable_get_cloexec(struct fdtable *ft, int fd)
{
	if (fd < 0 || fd >= ft->size || !ft->fds[fd].f)
		return -EBADF;
	return ft->fds[fd].cloexec ? 1 : 0;
}

int fdtable_set_cloexec(struct fdtable *ft, int fd, bool cloexec)
{
	if (fd < 0 || fd >= ft->size || !ft->fds[fd].f)
		return -EBADF;
	ft->fds[fd].cloexec = cloexec;
	return 0;
}

int fdtable_next_fd(struct fdtable *ft, int fd)
{
	for (; fd >= 0 && fd < ft->size; fd++)
		if (ft->fds[fd].f)
			return fd;
	return -1;
}
