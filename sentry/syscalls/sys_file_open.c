/* sys_file_open.c: open, openat, openat2, creat, close, close_range, and the shared path/fd
 * helpers. */
#include "sentry/syscalls/sys_file.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

int sys_copy_path(struct task *t, uaddr_t upath, char **out)
{
	char *buf = xmalloc(VFS_PATH_MAX);
	long n = strncpy_from_user(t, buf, upath, VFS_PATH_MAX);

	if (n < 0) {
		free(buf);
		return (int)n;
	}
	*out = buf;
	return 0;
}

struct file *sys_fd_file(struct task *t, int fd)
{
	return fdtable_get(t->files, fd);
}

long sys_do_openat(struct task *t, int dirfd, uaddr_t upath, int flags, unsigned mode)
{
	struct file *f;
	char *path = NULL;
	long ret = sys_copy_path(t, upath, &path);

	if (ret < 0)
		return ret;
	ret = vfs_openat(t, dirfd, path, flags, mode, &f);
	free(path);
	if (ret < 0)
		return ret;
	ret = fdtable_alloc(t, t->files, f, 0, flags & O_CLOEXEC);
	file_put(f);
	return ret;
}

long sys_open(struct task *t, const struct sysargs *a)
{
	return sys_do_openat(t, AT_FDCWD, arg_uaddr(a, 0), arg_int(a, 1), arg_uint(a, 2));
}

long sys_openat(struct task *t, const struct sysargs *a)
{
	return sys_do_openat(t, arg_int(a, 0), arg_uaddr(a, 1), arg_int(a, 2), arg_uint(a, 3));
}

#define OPEN_HOW_SIZE_VER0 24
#define KERNEL_O_LARGEFILE 0100000
#define KERNEL_O_TMPFILE_BIT 020000000
/* Every flag openat2 accepts (Linux's VALID_OPEN_FLAGS); others, the upper 32 bits
 * included, are EINVAL rather than ignored as openat does. */
#define OPENAT2_FLAGS                                                                      \
	(O_ACCMODE | O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_APPEND | O_NONBLOCK | O_DSYNC | \
	 O_SYNC | O_ASYNC | O_DIRECT | KERNEL_O_LARGEFILE | O_DIRECTORY | O_NOFOLLOW |       \
	 O_NOATIME | O_CLOEXEC | O_PATH | KERNEL_O_TMPFILE_BIT)
#define OPENAT2_RESOLVE                                                                  \
	(RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | \
	 RESOLVE_IN_ROOT | RESOLVE_CACHED)

int sys_copy_struct(struct task *t, void *dst, size_t ksize, uaddr_t u, uint64_t usize)
{
	char tail[64];

	memset(dst, 0, ksize);
	if (copy_from_user(t, dst, u, MIN(usize, ksize)))
		return -EFAULT;
	for (uint64_t off = ksize; off < usize; off += sizeof(tail)) {
		size_t n = MIN(sizeof(tail), usize - off);

		if (copy_from_user(t, tail, uaddr_add(u, off), n))
			return -EFAULT;
		for (size_t i = 0; i < n; i++)
			if (tail[i])
				return -E2BIG;
	}
	return 0;
}

/* Copy struct open_how of usize bytes (sys_copy_struct's rules). */
static long copy_open_how(struct task *t, uaddr_t uhow, uint64_t usize, struct open_how *how)
{
	if (usize < OPEN_HOW_SIZE_VER0)
		return -EINVAL;
	if (usize > PAGE_SIZE)
		return -E2BIG;
	return sys_copy_struct(t, how, sizeof(*how), uhow, usize);
}

/* openat2's checks (Linux's build_open_flags), in its order. Returns the LOOKUP_RESOLVE
 * bits for the walk, or -errno. */
static long openat2_check(const struct open_how *how)
{
	static const unsigned map[][2] = {
		{RESOLVE_NO_XDEV, LOOKUP_NO_XDEV}, {RESOLVE_NO_MAGICLINKS, LOOKUP_NO_MAGICLINKS},
		{RESOLVE_NO_SYMLINKS, LOOKUP_NO_SYMLINKS}, {RESOLVE_BENEATH, LOOKUP_BENEATH},
		{RESOLVE_IN_ROOT, LOOKUP_IN_ROOT}, {RESOLVE_CACHED, LOOKUP_CACHED},
	};
	uint64_t flags = how->flags;
	long lookup = 0;

	if ((flags & ~(uint64_t)OPENAT2_FLAGS) || (how->resolve & ~(uint64_t)OPENAT2_RESOLVE))
		return -EINVAL;
	if ((how->resolve & RESOLVE_BENEATH) && (how->resolve & RESOLVE_IN_ROOT))
		return -EINVAL;
	if (flags & (O_CREAT | KERNEL_O_TMPFILE_BIT) ? how->mode & ~07777ULL : how->mode)
		return -EINVAL;
	if ((flags & O_CREAT) && (flags & O_DIRECTORY))
		return -EINVAL;
	if ((flags & KERNEL_O_TMPFILE_BIT) &&
	    ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE || (flags & O_ACCMODE) == O_RDONLY))
		return -EINVAL;
	if ((flags & O_PATH) && (flags & ~(uint64_t)(O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)))
		return -EINVAL;
	/* RESOLVE_CACHED: nothing that would write is even tried. */
	if ((how->resolve & RESOLVE_CACHED) && (flags & (O_TRUNC | O_CREAT | KERNEL_O_TMPFILE_BIT)))
		return -EAGAIN;
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (how->resolve & map[i][0])
			lookup |= map[i][1];
	return lookup;
}

long sys_openat2(struct task *t, const struct sysargs *a)
{
	struct open_how how;
	struct file *f;
	char *path = NULL;
	long resolve = copy_open_how(t, arg_uaddr(a, 2), arg_u64(a, 3), &how);

	if (resolve == 0)
		resolve = openat2_check(&how);
	if (resolve < 0)
		return resolve;
	resolve = sys_copy_path(t, arg_uaddr(a, 1), &path) ?: resolve;
	if (resolve < 0)
		return resolve;
	resolve = vfs_openat2(t, arg_int(a, 0), path, (int)how.flags, (uint32_t)how.mode,
			      (unsigned)resolve, &f);
	free(path);
	if (resolve < 0)
		return resolve;
	resolve = fdtable_alloc(t, t->files, f, 0, how.flags & O_CLOEXEC);
	file_put(f);
	return resolve;
}

long sys_creat(struct task *t, const struct sysargs *a)
{
	return sys_do_openat(t, AT_FDCWD, arg_uaddr(a, 0), O_CREAT | O_WRONLY | O_TRUNC,
			     arg_uint(a, 1));
}

long sys_close(struct task *t, const struct sysargs *a)
{
	return fdtable_close(t->files, arg_int(a, 0));
}

long sys_close_range(struct task *t, const struct sysargs *a)
{
	unsigned first = arg_uint(a, 0), last = arg_uint(a, 1), flags = arg_uint(a, 2);
	struct fdtable *ft;

	if (flags & ~(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC))
		return -EINVAL;
	if (first > last)
		return -EINVAL;
	if (flags & CLOSE_RANGE_UNSHARE) {
		ft = fdtable_fork(t->files, false);
		fdtable_put(t->files);
		t->files = ft;
	}
	fdtable_close_range(t->files, first, last, flags & CLOSE_RANGE_CLOEXEC);
	return 0;
}
