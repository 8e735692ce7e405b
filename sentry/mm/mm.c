/* mm.c: address spaces: creation, mmap, munmap, mprotect and brk with Linux's checks.
 *
 * Invariant: a page is present in mm->pages exactly when it is mapped in the platform
 * address space (if that exists yet) with the VMA's protection. */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

#define MMAP_BASE 0x7f0000000000ULL
#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif

struct mm *mm_new(void)
{
	struct mm *mm = xcalloc(1, sizeof(*mm));

	mm->refs = 1;
	list_init(&mm->vmas);
	pmap_init(&mm->pages);
	mm->mmap_base = MMAP_BASE;
	return mm;
}

void mm_get(struct mm *mm)
{
	mm->refs++;
}

void mm_put(struct mm *mm)
{
	struct list_head *pos, *n;

	if (--mm->refs > 0)
		return;
	pmap_destroy(&mm->pages, mm_put_page_cb, NULL);
	list_for_each_safe(pos, n, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		list_del(&v->link);
		vma_free(v);
	}
	if (mm->as)
		g_platform->ops->as_release(mm->as);
	free(mm);
}

int mm_platform_as(struct mm *mm, struct plat_as **out)
{
	struct list_head *pos;
	int err;

	if (!mm->as) {
		err = g_platform->ops->as_create(g_platform, &mm->as);
		if (err)
			return err;
		list_for_each(pos, &mm->vmas) {
			struct vma *v = list_entry(pos, struct vma, link);
			err = mm_for_each_run(mm, v, v->start, v->end, mm_run_map);
			if (err)
				return err;
		}
	}
	*out = mm->as;
	return 0;
}

static int mmap_check_file(struct file *file, int prot, int flags, enum vma_kind *kind)
{
	int fflags = file_flags(file), acc = fflags & O_ACCMODE;
	uint64_t size;
	bool regular;

	if (file_stat_size(file, &size, &regular) < 0 || !regular)
		return -ENODEV;
	if (acc == O_WRONLY)
		return -EACCES;
	if ((flags & MAP_TYPE) == MAP_PRIVATE) {
		*kind = VMA_FILE_PRIVATE;
		return 0;
	}
	if ((prot & PROT_WRITE) && acc != O_RDWR)
		return -EACCES;
	/* No page cache yet: a writable shared file mapping could not reach the file. */
	if (prot & PROT_WRITE)
		return -ENODEV;
	*kind = VMA_FILE_SHARED;
	return 0;
}

int64_t mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
		struct file *file, uint64_t off)
{
	enum vma_kind kind;
	int type = flags & MAP_TYPE, err;
	uint64_t start;

	if (len == 0 || (off & (PAGE_SIZE - 1)))
		return -EINVAL;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	if (len > MM_TASK_SIZE)
		return -ENOMEM;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (off + len < off)
		return -EOVERFLOW;
	if (type == MAP_SHARED_VALIDATE)
		type = MAP_SHARED;
	flags = (flags & ~MAP_TYPE) | type;
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;

	if (flags & MAP_ANONYMOUS || !file) {
		kind = type == MAP_SHARED ? VMA_ANON_SHARED : VMA_ANON_PRIVATE;
		file = NULL;
		off = 0;
		if ((prot & PROT_WRITE) && !(flags & MAP_NORESERVE) && !memfile_may_commit(len))
			return -ENOMEM;
	} else {
		err = mmap_check_file(file, prot, flags, &kind);
		if (err)
			return err;
	}

	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr & (PAGE_SIZE - 1))
			return -EINVAL;
		if (addr + len > MM_TASK_SIZE || addr + len < addr)
			return -ENOMEM;
		if (addr < MM_MIN_ADDR)
			return -EPERM;
		if (!mm_range_free(mm, addr, addr + len)) {
			if (flags & MAP_FIXED_NOREPLACE)
				return -EEXIST;
			err = vma_remove_range(mm, addr, addr + len);
			if (err)
				return err;
		}
		start = addr;
	} else {
		addr = ALIGN_DOWN(addr, PAGE_SIZE);
		if (addr >= MM_MIN_ADDR && addr + len <= MM_TASK_SIZE && addr + len > addr &&
		    mm_range_free(mm, addr, addr + len))
			start = addr;
		else
			start = mm_find_gap(mm, len);
		if (!start)
			return -ENOMEM;
	}

	struct vma *v = vma_new(start, start + len, prot, flags, kind);
	if (file) {
		file_get(file);
		v->file = file;
		v->pgoff = off;
	}
	if (kind == VMA_ANON_SHARED)
		v->shm = shm_obj_new();
	vma_insert(mm, v);
	return (int64_t)start;
}

int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len)
{
	if ((addr & (PAGE_SIZE - 1)) || len == 0)
		return -EINVAL;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (addr + len > MM_TASK_SIZE || addr + len < addr)
		return -EINVAL;
	return vma_remove_range(mm, addr, addr + len);
}

/* Is [start, end) fully covered by VMAs? */
static bool range_mapped(struct mm *mm, uint64_t start, uint64_t end)
{
	struct vma *v = vma_find(mm, start);
	uint64_t a = start;

	while (a < end) {
		if (!v || v->start > a)
			return false;
		a = v->end;
		v = v->link.next == &mm->vmas ? NULL : list_entry(v->link.next, struct vma, link);
	}
	return true;
}

int mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot)
{
	struct list_head *pos;
	uint64_t end;
	int err;

	if (addr & (PAGE_SIZE - 1))
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
	if (len == 0)
		return 0;
	end = addr + ALIGN_UP(len, PAGE_SIZE);
	if (end < addr || end > MM_TASK_SIZE || !range_mapped(mm, addr, end))
		return -ENOMEM;
	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		if (v->start < end && v->end > addr && v->kind == VMA_FILE_SHARED &&
		    (prot & PROT_WRITE))
			return (file_flags(v->file) & O_ACCMODE) == O_RDWR ? -ENODEV : -EACCES;
	}
	vma_split_range(mm, addr, end);
	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		if (v->start >= end)
			break;
		if (v->end <= addr)
			continue;
		v->prot = prot;
		if (mm->as) {
			err = mm_for_each_run(mm, v, v->start, v->end, mm_run_protect);
			if (err)
				return err;
		}
	}
	return 0;
}

int64_t mm_brk(struct mm *mm, uint64_t addr)
{
	uint64_t old_end = ALIGN_UP(mm->brk, PAGE_SIZE), new_end = ALIGN_UP(addr, PAGE_SIZE);

	if (addr < mm->brk_start || addr > MM_TASK_SIZE)
		return (int64_t)mm->brk;
	if (new_end < old_end) {
		if (vma_remove_range(mm, new_end, old_end))
			return (int64_t)mm->brk;
	} else if (new_end > old_end) {
		if (!mm_range_free(mm, old_end, new_end) || !memfile_may_commit(new_end - old_end))
			return (int64_t)mm->brk;
		struct vma *v = vma_new(old_end, new_end, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, VMA_ANON_PRIVATE);
		strcpy(v->name, "[heap]");
		vma_insert(mm, v);
	}
	mm->brk = addr;
	return (int64_t)addr;
}

void mm_set_name(struct mm *mm, uint64_t addr, const char *name)
{
	struct vma *v = vma_lookup(mm, addr);

	if (v)
		snprintf(v->name, sizeof(v->name), "%s", name);
}

int mm_madvise_dontneed(struct mm *mm, uint64_t addr, uint64_t len)
{
	uint64_t end = addr + len;
	struct list_head *pos;

	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		if (v->start >= end)
			break;
		if (v->end <= addr)
			continue;
		uint64_t s = MAX(v->start, addr), e = MIN(v->end, end);
		/* Private pages read back as zero (or the file) on the next touch; shared
		 * memory keeps its contents and is only unmapped here. */
		mm_drop_pages(mm, s, e);
		if (mm->as) {
			int err = plat_as_unmap(g_platform, mm->as, s, e - s);
			if (err)
				return err;
		}
	}
	return 0;
}
