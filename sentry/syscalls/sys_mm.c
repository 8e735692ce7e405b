/* sys_mm.c: memory syscalls: brk, mmap, munmap, mprotect, madvise. */
#include <errno.h>
#include <sys/mman.h>

#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

long sys_brk(struct task *t, const struct sysargs *a)
{
	return mm_brk(t->mm, arg_u64(a, 0));
}

long sys_mmap(struct task *t, const struct sysargs *a)
{
	uint64_t addr = arg_u64(a, 0), len = arg_u64(a, 1), off = arg_u64(a, 5);
	int prot = arg_int(a, 2), flags = arg_int(a, 3), fd = arg_int(a, 4);
	struct file *f = NULL;
	int64_t r;

	if (!(flags & MAP_ANONYMOUS)) {
		f = fdtable_get(t->files, fd);
		if (!f)
			return -EBADF;
	}
	r = mm_mmap(t->mm, addr, len, prot, flags, f, off);
	if (f)
		file_put(f);
	return r;
}

long sys_munmap(struct task *t, const struct sysargs *a)
{
	return mm_munmap(t->mm, arg_u64(a, 0), arg_u64(a, 1));
}

long sys_mprotect(struct task *t, const struct sysargs *a)
{
	return mm_mprotect(t->mm, arg_u64(a, 0), arg_u64(a, 1), arg_int(a, 2));
}

long sys_madvise(struct task *t, const struct sysargs *a)
{
	uint64_t addr = arg_u64(a, 0), len = arg_u64(a, 1);

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (addr + len < addr)
		return -EINVAL;
	switch (arg_int(a, 2)) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_HUGEPAGE: case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP:
	case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_COLD: case MADV_PAGEOUT:
		return 0; /* advice only: behaviour is unchanged */
	case MADV_DONTNEED:
	case MADV_FREE:
		return mm_madvise_dontneed(t->mm, addr, len);
	default:
		return -EINVAL;
	}
}
