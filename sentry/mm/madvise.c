/* madvise.c: madvise, mincore, msync and the mlock family over VMA ranges, with Linux's
 * argument checks and errnos (holes in a range give ENOMEM after the mapped parts). */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/resource.h>

#include "platform/platform.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED 24
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#define MADV_POPULATE_WRITE 23
#endif
#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

typedef int (*vma_fn)(struct mm *mm, struct vma *v, uint64_t s, uint64_t e, int arg);

/* Call fn on each VMA piece of [start, end) (split to the range when split). Returns the
 * first error, else -ENOMEM if part of the range is unmapped, else 0. */
static int for_each_vma(struct mm *mm, uint64_t start, uint64_t end, bool split, vma_fn fn,
			int arg)
{
	uint64_t a = start;
	int hole = 0;

	if (split)
		vma_split_range(mm, start, end);
	for (struct vma *v = vma_find(mm, start); v && v->start < end; v = vma_next(mm, v)) {
		if (v->start > a)
			hole = -ENOMEM;
		int err = fn(mm, v, MAX(v->start, start), MIN(v->end, end), arg);
		if (err)
			return err;
		a = v->end;
	}
	if (split)
		vma_merge_range(mm, start, end);
	return a < end ? -ENOMEM : hole;
}

/* ---- madvise ---- */

static int advise_dontneed(struct mm *mm, struct vma *v, uint64_t s, uint64_t e, int advice)
{
	if ((v->vflags & VMA_LOCKED) && advice != MADV_DONTNEED_LOCKED)
		return -EINVAL;
	if (advice == MADV_FREE && v->kind != VMA_ANON_PRIVATE)
		return -EINVAL;
	/* Private pages read back as zero (or the file) on the next touch; shared memory
	 * keeps its contents and is only unmapped here. */
	mm_drop_pages(mm, s, e);
	return mm->as ? plat_as_unmap(g_platform, mm->as, s, e - s) : 0;
}

static int zero_shm_page(void *arg, uint64_t key, uint64_t val)
{
	memset(memfile_ptr(pte_off(val)), 0, PAGE_SIZE);
	return 0;
}

static int advise_remove(struct mm *mm, struct vma *v, uint64_t s, uint64_t e, int advice)
{
	if (v->vflags & VMA_LOCKED)
		return -EINVAL;
	if (vma_is_private(v))
		return v->file ? -EACCES : -EINVAL;
	if (v->kind == VMA_FILE_SHARED && (file_flags(v->file) & O_ACCMODE) != O_RDWR)
		return -EACCES; /* the mapping could never write the file */
	if (v->kind == VMA_FILE_SHARED && (!v->shm || v->shm->backing))
		return -EOPNOTSUPP; /* host files (9p) cannot punch holes */
	/* A hole in the object (tmpfs file or shared anonymous memory): every mapper and
	 * read(2) must see zeros, so clear the pages in place. */
	return pmap_for_each(&v->shm->pages, v->pgoff + (s - v->start),
			     v->pgoff + (e - v->start), zero_shm_page, NULL);
}

static int advise_flags(struct mm *mm, struct vma *v, uint64_t s, uint64_t e, int advice)
{
	switch (advice) {
	case MADV_DONTFORK:
		v->vflags |= VMA_DONTFORK;
		break;
	case MADV_DOFORK:
		v->vflags &= ~VMA_DONTFORK;
		break;
	case MADV_WIPEONFORK:
		if (v->kind != VMA_ANON_PRIVATE)
			return -EINVAL;
		v->vflags |= VMA_WIPEONFORK;
		break;
	case MADV_KEEPONFORK:
		v->vflags &= ~VMA_WIPEONFORK;
		break;
	case MADV_COLD:
	case MADV_PAGEOUT:
		return (v->vflags & VMA_LOCKED) ? -EINVAL : 0;
	}
	return 0;
}

static int advise_populate(struct mm *mm, uint64_t start, uint64_t end, bool write)
{
	int err = mm_populate(mm, start, end, write);

	/* Linux: EINVAL for a mapping the access is not allowed on, EFAULT for SIGBUS. */
	if (err == -EFAULT)
		return -EINVAL;
	return err == -EIO ? -EFAULT : err;
}

int mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice)
{
	uint64_t end;

	switch (advice) {
	case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL: case MADV_WILLNEED:
	case MADV_HUGEPAGE: case MADV_NOHUGEPAGE: case MADV_DONTDUMP: case MADV_DODUMP:
	case MADV_MERGEABLE: case MADV_UNMERGEABLE: case MADV_COLD: case MADV_PAGEOUT:
	case MADV_DONTNEED: case MADV_DONTNEED_LOCKED: case MADV_FREE: case MADV_REMOVE:
	case MADV_DONTFORK: case MADV_DOFORK: case MADV_WIPEONFORK: case MADV_KEEPONFORK:
	case MADV_POPULATE_READ: case MADV_POPULATE_WRITE:
		break;
	default:
		return -EINVAL; /* also HWPOISON, COLLAPSE, GUARD_*: not provided */
	}
	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	end = addr + ALIGN_UP(len, PAGE_SIZE);
	if ((len && end == addr) || end < addr)
		return -EINVAL;
	if (end == addr)
		return 0;
	if (mm_madvise_sealed(mm, addr, end, advice))
		return -EPERM;
	switch (advice) {
	case MADV_DONTNEED: case MADV_DONTNEED_LOCKED: case MADV_FREE:
		return for_each_vma(mm, addr, end, false, advise_dontneed, advice);
	case MADV_REMOVE:
		return for_each_vma(mm, addr, end, false, advise_remove, advice);
	case MADV_DONTFORK: case MADV_DOFORK: case MADV_WIPEONFORK: case MADV_KEEPONFORK:
		return for_each_vma(mm, addr, end, true, advise_flags, advice);
	case MADV_POPULATE_READ: case MADV_POPULATE_WRITE:
		return advise_populate(mm, addr, end, advice == MADV_POPULATE_WRITE);
	default:
		/* Advice only: behaviour is unchanged, but unmapped ranges still fail. */
		return for_each_vma(mm, addr, end, false, advise_flags, advice);
	}
}

int mm_madvise_dontneed(struct mm *mm, uint64_t addr, uint64_t len)
{
	return mm_madvise(mm, addr, len, MADV_DONTNEED);
}

/* ---- mincore, msync ---- */

int mm_mincore(struct mm *mm, uint64_t addr, uint64_t npages, uint8_t *vec)
{
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t a = addr + i * PAGE_SIZE;
		struct vma *v = vma_lookup(mm, a);

		if (!v)
			return -ENOMEM;
		vec[i] = pmap_get(&mm->pages, a) != 0;
		if (!vec[i] && v->shm)
			vec[i] = pmap_get(&v->shm->pages, v->pgoff + (a - v->start)) != 0;
	}
	return 0;
}

static int msync_vma(struct mm *mm, struct vma *v, uint64_t s, uint64_t e, int flags)
{
	if ((flags & MS_INVALIDATE) && (v->vflags & VMA_LOCKED))
		return -EBUSY;
	/* A gofer file's page cache goes to the host now (MS_ASYNC too: it is cheap enough
	 * and leaves nothing pending); tmpfs pages are the file itself. */
	if (v->kind == VMA_FILE_SHARED && v->shm)
		return shm_obj_writeback(v->shm);
	return 0;
}

int mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags)
{
	uint64_t end;

	if (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC))
		return -EINVAL;
	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if ((flags & MS_ASYNC) && (flags & MS_SYNC))
		return -EINVAL;
	end = addr + ALIGN_UP(len, PAGE_SIZE);
	if (end < addr || (len && end == addr))
		return -ENOMEM;
	if (end == addr)
		return 0;
	return for_each_vma(mm, addr, end, false, msync_vma, flags);
}

/* ---- mlock family ---- */

static int lock_vma(struct mm *mm, struct vma *v, uint64_t s, uint64_t e, int vflags)
{
	v->vflags = (v->vflags & ~(VMA_LOCKED | VMA_LOCKONFAULT)) | (unsigned)vflags;
	return 0;
}

/* Populate the locked range as mlock does: inaccessible VMAs are skipped. */
static int populate_locked(struct mm *mm, uint64_t start, uint64_t end)
{
	for (struct vma *v = vma_find(mm, start); v && v->start < end; v = vma_next(mm, v)) {
		if (!prot_readable(v->prot))
			continue;
		int err = mm_populate(mm, MAX(v->start, start), MIN(v->end, end),
				      vma_is_private(v) && (v->prot & PROT_WRITE));
		if (err == -EIO || err == -EFAULT)
			return -ENOMEM;
		if (err)
			return -EAGAIN;
	}
	return 0;
}

int mm_mlock(struct mm *mm, uint64_t addr, uint64_t len, bool onfault)
{
	uint64_t start = ALIGN_DOWN(addr, PAGE_SIZE), end;
	struct mm_counts here;
	int err;

	if (mm_rlimit(mm, RLIMIT_MEMLOCK) == 0 && !mm_capable_ipc_lock())
		return -EPERM;
	end = ALIGN_UP(addr + len, PAGE_SIZE);
	if (end < start || addr + len < addr)
		return -EINVAL;
	if (end == start)
		return 0;
	mm_count(mm, start, end, &here);
	err = mm_may_lock(mm, end - start, here.locked);
	if (err)
		return err;
	err = for_each_vma(mm, start, end, true, lock_vma,
			   VMA_LOCKED | (onfault ? VMA_LOCKONFAULT : 0));
	if (err || onfault)
		return err;
	return populate_locked(mm, start, end);
}

int mm_munlock(struct mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t start = ALIGN_DOWN(addr, PAGE_SIZE), end = ALIGN_UP(addr + len, PAGE_SIZE);

	if (end < start || addr + len < addr)
		return -EINVAL;
	if (end == start)
		return 0;
	return for_each_vma(mm, start, end, true, lock_vma, 0);
}

int mm_mlockall(struct mm *mm, int flags)
{
	unsigned vflags = VMA_LOCKED | ((flags & MCL_ONFAULT) ? VMA_LOCKONFAULT : 0);
	struct mm_counts all;

	if (!flags || (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)) || flags == MCL_ONFAULT)
		return -EINVAL;
	if (mm_rlimit(mm, RLIMIT_MEMLOCK) == 0 && !mm_capable_ipc_lock())
		return -EPERM;
	mm_count(mm, 0, MM_TASK_SIZE, &all);
	if ((flags & MCL_CURRENT) && !mm_capable_ipc_lock() &&
	    all.total > mm_rlimit(mm, RLIMIT_MEMLOCK))
		return -ENOMEM;
	mm->def_vflags = (flags & MCL_FUTURE) ? vflags : 0;
	if (!(flags & MCL_CURRENT))
		return 0;
	for (struct vma *v = vma_find(mm, 0); v; v = vma_next(mm, v))
		lock_vma(mm, v, v->start, v->end, (int)vflags);
	vma_merge_range(mm, 0, MM_TASK_SIZE);
	if (!(flags & MCL_ONFAULT))
		(void)populate_locked(mm, 0, MM_TASK_SIZE);
	return 0;
}

int mm_munlockall(struct mm *mm)
{
	mm->def_vflags = 0;
	for (struct vma *v = vma_find(mm, 0); v; v = vma_next(mm, v))
		lock_vma(mm, v, v->start, v->end, 0);
	vma_merge_range(mm, 0, MM_TASK_SIZE);
	return 0;
}
