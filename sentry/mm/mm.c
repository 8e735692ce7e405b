/* mm.c: address spaces: creation, fork, mmap, munmap, mprotect and brk with Linux's checks.
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

typedef int (*run_fn)(struct mm *, uint64_t addr, uint64_t size, uint64_t off, int prot);

/* Coalesces present pages into runs contiguous both in address and in the memory file. */
struct run_state {
	struct mm *mm;
	run_fn fn;
	int prot;
	uint64_t addr, off, size;
};

static int run_flush(struct run_state *rs)
{
	int err = rs->size ? rs->fn(rs->mm, rs->addr, rs->size, rs->off, rs->prot) : 0;

	rs->size = 0;
	return err;
}

static int run_add(void *arg, uint64_t addr, uint64_t val)
{
	struct run_state *rs = arg;

	if (rs->size && rs->addr + rs->size == addr && rs->off + rs->size == val - 1) {
		rs->size += PAGE_SIZE;
		return 0;
	}
	int err = run_flush(rs);
	rs->addr = addr;
	rs->off = val - 1;
	rs->size = PAGE_SIZE;
	return err;
}

/* Call fn for each run of present pages in [start, end). Stops at the first error. */
static int for_each_present_run(struct mm *mm, uint64_t start, uint64_t end, run_fn fn, int prot)
{
	struct run_state rs = {.mm = mm, .fn = fn, .prot = prot};
	int err = pmap_for_each(&mm->pages, start, end, run_add, &rs);

	return err ? err : run_flush(&rs);
}

static int run_map(struct mm *mm, uint64_t addr, uint64_t size, uint64_t off, int prot)
{
	return plat_as_map(g_platform, mm->as, addr, size, off, prot);
}

static int run_protect(struct mm *mm, uint64_t addr, uint64_t size, uint64_t off, int prot)
{
	return plat_as_protect(g_platform, mm->as, addr, size, prot);
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
			err = for_each_present_run(mm, v->start, v->end, run_map, v->prot);
			if (err)
				return err;
		}
	}
	*out = mm->as;
	return 0;
}

struct fork_state {
	struct mm *child;
	bool shared;
	int err;
};

/* Give the child its own copy of a private page, or a reference to a shared one. First
 * light copies eagerly; copy-on-write comes with the memory issue. */
static int fork_page(void *arg, uint64_t addr, uint64_t val)
{
	struct fork_state *fs = arg;
	int64_t off;

	if (fs->shared) {
		memfile_get(val - 1);
		pmap_set(&fs->child->pages, addr, val);
		return 0;
	}
	off = memfile_alloc(1);
	if (off < 0)
		return (int)off;
	memcpy(memfile_ptr((uint64_t)off), memfile_ptr(val - 1), PAGE_SIZE);
	pmap_set(&fs->child->pages, addr, (uint64_t)off + 1);
	return 0;
}

static void mm_copy_fields(struct mm *mm, const struct mm *parent)
{
	mm->brk_start = parent->brk_start;
	mm->brk = parent->brk;
	mm->mmap_base = parent->mmap_base;
	mm->stack_top = parent->stack_top;
	mm->arg_start = parent->arg_start;
	mm->arg_end = parent->arg_end;
	mm->env_start = parent->env_start;
	mm->env_end = parent->env_end;
	memcpy(mm->auxv, parent->auxv, sizeof(mm->auxv));
	mm->auxv_len = parent->auxv_len;
	memcpy(mm->exe_path, parent->exe_path, sizeof(mm->exe_path));
}

int mm_fork(struct mm *parent, struct mm **out)
{
	struct mm *mm = mm_new();
	struct list_head *pos;

	mm_copy_fields(mm, parent);
	list_for_each(pos, &parent->vmas) {
		struct vma *pv = list_entry(pos, struct vma, link);
		struct vma *v = vma_new(pv->start, pv->end, pv->prot, pv->flags, pv->kind);
		struct fork_state fs = {
			.child = mm,
			.shared = pv->kind == VMA_ANON_SHARED || pv->kind == VMA_FILE_SHARED,
		};

		v->file = pv->file;
		if (v->file)
			file_get(v->file);
		v->shm = pv->shm;
		if (v->shm)
			shm_obj_get(v->shm);
		v->pgoff = pv->pgoff;
		memcpy(v->name, pv->name, sizeof(v->name));
		list_add_tail(&v->link, &mm->vmas);
		int err = pmap_for_each(&parent->pages, pv->start, pv->end, fork_page, &fs);
		if (err) {
			mm_put(mm);
			return err;
		}
	}
	*out = mm;
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
			err = for_each_present_run(mm, v->start, v->end, run_protect, prot);
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
