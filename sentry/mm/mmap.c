/* mmap.c: mmap's checks in Linux's order, address choice (hint, MAP_FIXED,
 * MAP_FIXED_NOREPLACE, MAP_32BIT, guard gaps), limits, and MAP_POPULATE/MAP_LOCKED. */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

#include "sentry/vfs/vfs.h"

#ifndef PROT_SEM
#define PROT_SEM 0x8
#endif
#ifndef MAP_UNINITIALIZED
#define MAP_UNINITIALIZED 0x4000000
#endif
#ifndef MAP_DROPPABLE
#define MAP_DROPPABLE 0x08
#endif
/* Flags MAP_SHARED_VALIDATE accepts for our files (Linux's LEGACY_MAP_MASK). */
#define MAP_VALIDATE_MASK                                                                  \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE |             \
	 MAP_EXECUTABLE | MAP_UNINITIALIZED | MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE |  \
	 MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB)
/* MAP_32BIT places mappings in the second gigabyte, as x86-64 Linux does. */
#define MAP_32BIT_LO 0x40000000ULL
#define MAP_32BIT_HI 0x80000000ULL

static int mmap_check_file(struct file *file, int prot, int flags, int type,
			   enum vma_kind *kind)
{
	int acc = file_flags(file) & O_ACCMODE;
	enum file_mmap as = file_mmap_as(file);
	uint64_t size;
	bool regular;

	if (flags & MAP_HUGETLB)
		return -EINVAL; /* not a hugetlbfs file */
	if (type == MAP_SHARED_VALIDATE && (flags & ~MAP_VALIDATE_MASK))
		return -EOPNOTSUPP;
	if (as != FILE_MMAP_ANON && (file_stat_size(file, &size, &regular) < 0 || !regular))
		return -ENODEV;
	if ((prot & PROT_EXEC) && file_on_noexec_mount(file))
		return -EPERM;
	if (acc == O_WRONLY)
		return -EACCES;
	if (type == MAP_PRIVATE) {
		*kind = as == FILE_MMAP_ANON ? VMA_ANON_PRIVATE : VMA_FILE_PRIVATE;
		return as == FILE_MMAP_NONE ? -ENODEV : 0;
	}
	if (type == MAP_DROPPABLE)
		return -EINVAL;
	if ((prot & PROT_WRITE) && acc != O_RDWR)
		return -EACCES;
	if (as != FILE_MMAP_CONTENTS) {
		*kind = VMA_ANON_SHARED; /* /dev/zero: shared anonymous memory */
		return as == FILE_MMAP_NONE ? -ENODEV : 0;
	}
	/* Without a page cache (host fds) a writable shared mapping could not reach the
	 * file. */
	if ((prot & PROT_WRITE) && !file_page_cache(file))
		return -ENODEV;
	*kind = VMA_FILE_SHARED;
	return 0;
}

static int mmap_check_anon(uint64_t len, int prot, int flags, int type, enum vma_kind *kind)
{
	if (flags & MAP_HUGETLB)
		return -ENOMEM; /* no huge pages are reserved in the sandbox */
	if (type == MAP_PRIVATE || type == MAP_DROPPABLE) {
		*kind = VMA_ANON_PRIVATE;
	} else {
		if (flags & MAP_GROWSDOWN)
			return -EINVAL;
		*kind = VMA_ANON_SHARED;
	}
	if ((prot & PROT_WRITE) && !(flags & MAP_NORESERVE) && !memfile_may_commit(len))
		return -ENOMEM;
	return 0;
}

/* Where the mapping goes: 0 with *start set, or -errno. Replaces what MAP_FIXED covers. */
static int mmap_place(struct mm *mm, uint64_t addr, uint64_t len, int flags, uint64_t *start)
{
	if (flags & (MAP_FIXED | MAP_FIXED_NOREPLACE)) {
		if (addr & (PAGE_SIZE - 1))
			return -EINVAL;
		if (addr + len > MM_TASK_SIZE || addr + len < addr)
			return -ENOMEM;
		if (addr < MM_MIN_ADDR)
			return -EPERM;
		if ((flags & MAP_FIXED_NOREPLACE) && !mm_range_free(mm, addr, addr + len))
			return -EEXIST;
		*start = addr;
		return 0;
	}
	addr = ALIGN_DOWN(addr, PAGE_SIZE);
	if (addr && addr < MM_MIN_ADDR)
		addr = MM_MIN_ADDR;
	if (addr && addr + len <= MM_TASK_SIZE && addr + len > addr &&
	    mm_range_free_gap(mm, addr, addr + len) &&
	    (!(flags & MAP_32BIT) || addr + len <= MAP_32BIT_HI))
		*start = addr;
	else if (flags & MAP_32BIT)
		*start = mm_find_gap_in(mm, len, MAP_32BIT_LO, MAP_32BIT_HI);
	else
		*start = mm_find_gap(mm, len);
	return *start ? 0 : -ENOMEM;
}

static int mmap_check_lock(struct mm *mm, uint64_t len, unsigned vflags)
{
	if (!(vflags & VMA_LOCKED))
		return 0;
	int err = mm_may_lock(mm, len, 0);
	return err == -ENOMEM ? -EAGAIN : err;
}

int64_t mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
		struct file *file, uint64_t off)
{
	int type = flags & MAP_TYPE, err;
	unsigned vflags = mm->def_vflags;
	enum vma_kind kind;
	uint64_t start;

	if (len == 0 || (off & (PAGE_SIZE - 1)))
		return -EINVAL;
	if (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE &&
	    !(type == MAP_DROPPABLE && !file))
		return -EINVAL;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM))
		return -EINVAL;
	if (len > MM_TASK_SIZE)
		return -ENOMEM;
	len = ALIGN_UP(len, PAGE_SIZE);
	if (off + len < off)
		return -EOVERFLOW;
	if (flags & MAP_LOCKED)
		vflags |= VMA_LOCKED;
	if ((flags & MAP_ANONYMOUS) || !file) {
		file = NULL;
		off = 0;
		err = mmap_check_anon(len, prot, flags, type, &kind);
	} else {
		err = mmap_check_file(file, prot, flags, type, &kind);
		if (!err && (kind == VMA_ANON_PRIVATE || kind == VMA_ANON_SHARED)) {
			file = NULL; /* /dev/zero maps anonymous memory */
			off = 0;
		}
	}
	if (err)
		return err;
	prot &= PROT_READ | PROT_WRITE | PROT_EXEC;
	err = mmap_place(mm, addr, len, flags, &start);
	if (!err)
		err = mmap_check_lock(mm, len, vflags);
	if (!err)
		err = mm_may_expand(mm, start, len,
				    (kind == VMA_ANON_PRIVATE || kind == VMA_FILE_PRIVATE) &&
					    (prot & PROT_WRITE) && !(flags & MAP_GROWSDOWN));
	if (err)
		return err;
	if (!mm_range_free(mm, start, start + len)) {
		if (mm_range_sealed(mm, start, start + len))
			return -EPERM;
		err = vma_remove_range(mm, start, start + len);
		if (err)
			return err;
	}
	if (type == MAP_SHARED_VALIDATE)
		type = MAP_SHARED;
	if (type == MAP_DROPPABLE) {
		type = MAP_PRIVATE;
		vflags |= VMA_WIPEONFORK;
	}
	flags = (flags & ~(MAP_TYPE | MAP_FIXED_NOREPLACE)) | type;

	struct vma *v = vma_new(start, start + len, prot, flags, kind);
	v->vflags = vflags;
	if (file) {
		file_get(file);
		v->file = file;
		v->pgoff = off;
	}
	if (kind == VMA_ANON_SHARED)
		v->shm = shm_obj_new(len);
	/* A file with a page cache is mapped through it: shared mappings see read/write
	 * and each other; private ones copy a page on its first write (PTE_COW). */
	if (file && file_page_cache(file)) {
		v->shm = file_page_cache(file);
		shm_obj_get(v->shm);
	}
	vma_insert(mm, v);
	vma_merge_range(mm, start, start + len);
	/* Population is best effort, as in Linux: mmap succeeds regardless. */
	if ((flags & MAP_POPULATE) || ((vflags & VMA_LOCKED) && !(vflags & VMA_LOCKONFAULT)))
		(void)mm_populate(mm, start, start + len,
				  (prot & PROT_WRITE) && kind != VMA_FILE_SHARED);
	return (int64_t)start;
}

int64_t mm_map_special(struct mm *mm, uint64_t addr, uint64_t len, int prot,
		       struct shm_obj *obj, unsigned vflags, const char *name)
{
	struct vma *v;

	if (!addr)
		addr = mm_find_gap(mm, len);
	if (!addr)
		return -ENOMEM;
	if (!mm_range_free(mm, addr, addr + len)) {
		int err = vma_remove_range(mm, addr, addr + len);
		if (err)
			return err;
	}
	v = vma_new(addr, addr + len, prot, MAP_PRIVATE | MAP_ANONYMOUS, VMA_ANON_PRIVATE);
	shm_obj_get(obj);
	v->shm = obj;
	v->vflags = vflags | VMA_NOMERGE;
	snprintf(v->name, sizeof(v->name), "%s", name);
	vma_insert(mm, v);
	return (int64_t)addr;
}
