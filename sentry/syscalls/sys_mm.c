/* sys_mm.c: memory syscalls: brk, mmap, munmap, mprotect, mremap, madvise, mincore, msync
 * and the mlock family. The policy lives in sentry/mm; these unpack arguments. */
#include <errno.h>
#include <sys/mman.h>

#include "platform/platform.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

#define MINCORE_CHUNK 4096 /* pages reported per copy to the application */

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

	/* x86-64 checks the offset before it looks at the file descriptor. */
	if (off & (PAGE_SIZE - 1))
		return -EINVAL;
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

long sys_mremap(struct task *t, const struct sysargs *a)
{
	return mm_mremap(t->mm, arg_u64(a, 0), arg_u64(a, 1), arg_u64(a, 2), arg_int(a, 3),
			 arg_u64(a, 4));
}

long sys_madvise(struct task *t, const struct sysargs *a)
{
	return mm_madvise(t->mm, arg_u64(a, 0), arg_u64(a, 1), arg_int(a, 2));
}

long sys_mincore(struct task *t, const struct sysargs *a)
{
	uint64_t addr = arg_u64(a, 0), len = arg_u64(a, 1), npages;
	uaddr_t vec = arg_uaddr(a, 2);
	uint8_t buf[MINCORE_CHUNK];

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (addr + len < addr || addr + len > PLAT_APP_MAX_ADDR)
		return -ENOMEM;
	npages = (len + PAGE_SIZE - 1) / PAGE_SIZE;
	while (npages > 0) {
		uint64_t n = MIN(npages, (uint64_t)MINCORE_CHUNK);
		int err = mm_mincore(t->mm, addr, n, buf);
		if (!err)
			err = copy_to_user(t, vec, buf, n);
		if (err)
			return err;
		addr += n * PAGE_SIZE;
		vec = uaddr_add(vec, n);
		npages -= n;
	}
	return 0;
}

long sys_msync(struct task *t, const struct sysargs *a)
{
	return mm_msync(t->mm, arg_u64(a, 0), arg_u64(a, 1), arg_int(a, 2));
}

long sys_mlock(struct task *t, const struct sysargs *a)
{
	return mm_mlock(t->mm, arg_u64(a, 0), arg_u64(a, 1), false);
}

long sys_mseal(struct task *t, const struct sysargs *a)
{
	return mm_mseal(t->mm, arg_u64(a, 0), arg_u64(a, 1), arg_u64(a, 2));
}

long sys_mlock2(struct task *t, const struct sysargs *a)
{
	int flags = arg_int(a, 2);

	if (flags & ~MLOCK_ONFAULT)
		return -EINVAL;
	return mm_mlock(t->mm, arg_u64(a, 0), arg_u64(a, 1), flags & MLOCK_ONFAULT);
}

long sys_munlock(struct task *t, const struct sysargs *a)
{
	return mm_munlock(t->mm, arg_u64(a, 0), arg_u64(a, 1));
}

long sys_mlockall(struct task *t, const struct sysargs *a)
{
	return mm_mlockall(t->mm, arg_int(a, 0));
}

long sys_munlockall(struct task *t, const struct sysargs *a)
{
	return mm_munlockall(t->mm);
}
