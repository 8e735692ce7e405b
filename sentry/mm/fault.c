/* fault.c: page-in on application faults and on Sentry copies to and from guest memory. */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

/* Pages brought in around a faulting page, in one platform mapping. */
#define FAULT_AROUND_PAGES 16
/* Around a fault in a read-only mapping of a file with a page cache (program text and
 * constants), pages the cache already holds are mapped too, up to this window, as Linux
 * maps cached pages around a fault: a fault costs a trap and a mapping round trip to the
 * platform (70-125 us on systrap here), and a static binary's exec touched every 64 KiB
 * chunk of its text (9 faults, 3 with the window). Pages not yet cached are still read
 * only within FAULT_AROUND_PAGES, so memory use does not grow. */
#define FAULT_AROUND_CACHED_PAGES 64

/* May the run grow over addr beyond the fault-around chunk? Only onto a page the VMA's
 * page cache already holds, for a read-only mapping. */
static bool cached(const struct vma *v, uint64_t addr)
{
	uint64_t key = v->pgoff + (addr - v->start);

	return v->shm && v->file && !(v->prot & PROT_WRITE) && key < v->shm->size &&
	       pmap_get(&v->shm->pages, key) != 0;
}

/* May fault-around take addr into the run? A tmpfs or memfd file's pages are its
 * blocks: a fault allocates only the page it touches, and the run grows over pages the
 * file already has (st_blocks, cachestat and the memory use stay Linux's). Elsewhere,
 * within the chunk, or past it onto cached pages (cached). */
static bool around_ok(const struct vma *v, uint64_t addr, bool in_chunk)
{
	if (v->file && v->shm && !v->shm->backing) {
		uint64_t key = v->pgoff + (addr - v->start);

		return key < v->shm->size && pmap_get(&v->shm->pages, key) != 0 &&
		       (in_chunk || cached(v, addr));
	}
	return in_chunk || cached(v, addr);
}

/* Fill npages fresh pages (contiguous at dst) with the file contents v maps at addr, in
 * one read: fault-around brings 16 pages, and a read per page was most of an exec's
 * time in the Sentry. Zero past EOF. Returns how many pages lie before the end of the
 * file (those filled), or -EIO when the first one does not (SIGBUS) or the read fails. */
static int64_t fill_from_file(struct vma *v, uint64_t addr, void *dst, uint64_t npages)
{
	uint64_t foff = v->pgoff + (addr - v->start), size, avail;
	bool regular;
	ssize_t n;

	if (file_stat_size(v->file, &size, &regular) < 0)
		return -EIO;
	if (foff >= ALIGN_UP(size, PAGE_SIZE))
		return -EIO;
	avail = (ALIGN_UP(size, PAGE_SIZE) - foff) >> PAGE_SHIFT;
	npages = MIN(npages, avail);
	n = file_pread_kernel(v->file, dst, npages << PAGE_SHIFT, foff);
	if (n < 0)
		return -EIO;
	return (int64_t)npages;
}

static bool present(struct mm *mm, uint64_t addr)
{
	return pmap_get(&mm->pages, addr) != 0;
}

/* Memory-file offsets for the absent pages [start, end) of v: one fresh contiguous run for
 * private memory (filled from the file if any), the object's pages for shared memory.
 * Returns how many pages were prepared (fewer at EOF), or -errno. */
static int64_t prepare_pages(struct vma *v, uint64_t start, uint64_t end, uint64_t *offs)
{
	uint64_t npages = (end - start) >> PAGE_SHIFT;
	int64_t off;

	if (v->shm) {
		for (uint64_t i = 0; i < npages; i++) {
			uint64_t key = v->pgoff + (start - v->start) + (i << PAGE_SHIFT);
			/* Past the object's size (a grown mremap): SIGBUS, as shmem does. */
			if (key >= v->shm->size)
				return i ? (int64_t)i : -EIO;
			off = shm_obj_page(v->shm, key);
			if (off < 0)
				return i ? (int64_t)i : off;
			memfile_get((uint64_t)off);
			offs[i] = (uint64_t)off;
		}
		return (int64_t)npages;
	}
	off = memfile_alloc(npages);
	if (off < 0)
		return off;
	int64_t filled = v->file ? fill_from_file(v, start, memfile_ptr((uint64_t)off), npages)
				 : (int64_t)npages;
	if (v->file && filled > 0)
		memfile_drop_view((uint64_t)off, (uint64_t)filled << PAGE_SHIFT);
	for (uint64_t i = 0; i < npages; i++) {
		offs[i] = (uint64_t)off + (i << PAGE_SHIFT);
		if ((int64_t)i >= filled)
			memfile_put(offs[i]);
	}
	return filled;
}

/* Make [start, end) of v present, mapping it into the platform when `map`. */
static int page_in_run(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, bool map)
{
	uint64_t offs[FAULT_AROUND_CACHED_PAGES];
	int64_t n = prepare_pages(v, start, end, offs);
	int64_t i = 0;

	/* A private mapping of an object's pages ([vdso], [vvar]) copies them on write. */
	uint64_t flags = PTE_PRESENT | (vma_is_private(v) && v->shm ? PTE_COW : 0);

	if (n < 0)
		return (int)n;
	for (int64_t k = 0; k < n; k++)
		pmap_set(&mm->pages, start + ((uint64_t)k << PAGE_SHIFT), offs[k] | flags);
	/* Mapped writable into a file's page cache: the page must be written back. */
	if (v->kind == VMA_FILE_SHARED && (v->prot & PROT_WRITE) && v->shm->backing)
		for (int64_t k = 0; k < n; k++)
			shm_obj_mark_dirty(v->shm, v->pgoff + (start - v->start) +
							   ((uint64_t)k << PAGE_SHIFT));
	while (map && mm->as && i < n) {
		int64_t j = i + 1;
		while (j < n && offs[j] == offs[j - 1] + PAGE_SIZE)
			j++;
		int err = plat_as_map(g_platform, mm->as, start + ((uint64_t)i << PAGE_SHIFT),
				      (uint64_t)(j - i) << PAGE_SHIFT, offs[i], mm_page_prot(v, flags));
		if (err)
			return err;
		i = j;
	}
	return 0;
}

/* After a fault in a read-only mapping of a page cache, the rest of the cached pages in
 * this window around it are mapped too (in runs of FAULT_AROUND_CACHED_PAGES): they cost
 * no memory, and each 64-page run of a shared library's text would be one more fault,
 * a trap and a mapping round trip on systrap. Bounded so that a fault in a huge mapping
 * looks at no more than the window. */
#define CACHED_WINDOW_PAGES 1024

/* Page in the absent pages of [a, end) that v's page cache holds, in runs. */
static void page_in_cached_range(struct mm *mm, struct vma *v, uint64_t a, uint64_t end,
				 bool map)
{
	while (a < end) {
		uint64_t e = a + PAGE_SIZE;

		if (present(mm, a) || !cached(v, a)) {
			a = e;
			continue;
		}
		while (e < end && e - a < FAULT_AROUND_CACHED_PAGES * PAGE_SIZE &&
		       !present(mm, e) && cached(v, e))
			e += PAGE_SIZE;
		if (page_in_run(mm, v, a, e, map))
			return;
		a = e;
	}
}

static void page_in_cached_window(struct mm *mm, struct vma *v, uint64_t page, bool map,
				  uint64_t min, uint64_t max)
{
	uint64_t win = CACHED_WINDOW_PAGES * PAGE_SIZE;
	uint64_t a = MAX(min, ALIGN_DOWN(page, win)), end = MIN(max, ALIGN_DOWN(page, win) + win);

	if (cached(v, page))
		page_in_cached_range(mm, v, a, end, map);
}

/* Page in addr with fault-around limited to [min, max). */
static int page_in_within(struct mm *mm, struct vma *v, uint64_t addr, bool map, uint64_t min,
			  uint64_t max)
{
	uint64_t page = ALIGN_DOWN(addr, PAGE_SIZE);
	uint64_t lo = MAX(min, ALIGN_DOWN(page, FAULT_AROUND_PAGES * PAGE_SIZE));
	uint64_t hi = MIN(max, ALIGN_DOWN(page, FAULT_AROUND_PAGES * PAGE_SIZE) +
				       FAULT_AROUND_PAGES * PAGE_SIZE);
	uint64_t clo = MAX(min, ALIGN_DOWN(page, FAULT_AROUND_CACHED_PAGES * PAGE_SIZE));
	uint64_t chi = MIN(max, ALIGN_DOWN(page, FAULT_AROUND_CACHED_PAGES * PAGE_SIZE) +
					FAULT_AROUND_CACHED_PAGES * PAGE_SIZE);
	uint64_t s = page, e = page + PAGE_SIZE;
	int err;

	if (present(mm, page))
		return 0;
	/* Grow the run over neighbouring absent pages (fault-around), and past the chunk
	 * over absent pages already in the page cache. */
	while (s > clo && !present(mm, s - PAGE_SIZE) &&
	       around_ok(v, s - PAGE_SIZE, s > lo))
		s -= PAGE_SIZE;
	while (e < chi && !present(mm, e) && around_ok(v, e, e < hi))
		e += PAGE_SIZE;
	err = page_in_run(mm, v, s, e, map);
	if (err == -EIO && s < page && !present(mm, page))
		err = page_in_run(mm, v, page, page + PAGE_SIZE, map);
	if (err == -ENOMEM && e - s > PAGE_SIZE && !present(mm, page))
		err = page_in_run(mm, v, page, page + PAGE_SIZE, map);
	if (!err && !present(mm, page))
		err = -EIO; /* the run stopped at EOF before our page */
	if (!err)
		page_in_cached_window(mm, v, page, map, min, max);
	return err;
}

/* Private anonymous memory touched in order (a heap, a buffer being filled): a fault
 * just where the last fault's run ended doubles how far ahead the run reaches, up to
 * FAULT_SEQ_MAX_PAGES (2 MiB), as readahead grows. Each fault is a trap and a mapping
 * round trip on systrap (~100 us here, against ~1.5 us a page for the host's own
 * faults on the pages), and a sequential 512 MiB touch took 8,192 of them with the
 * fixed 16-page run. Memory taken ahead is at most what was touched in order so far;
 * any other fault starts again from FAULT_AROUND_PAGES. */
#define FAULT_SEQ_MAX_PAGES 512

static void page_in_ahead(struct mm *mm, struct vma *v, uint64_t page, bool map)
{
	uint64_t chunk = FAULT_AROUND_PAGES * PAGE_SIZE;
	uint64_t a = MIN(v->end, ALIGN_DOWN(page, chunk) + chunk), end;

	if (v->fault_next != page || !v->fault_run) {
		v->fault_run = FAULT_AROUND_PAGES; /* the chunk page_in_within brought */
		v->fault_next = a;
		return;
	}
	v->fault_run = MIN(v->fault_run * 2, FAULT_SEQ_MAX_PAGES);
	end = MIN(v->end, page + ((uint64_t)v->fault_run << PAGE_SHIFT));
	while (a < end && !present(mm, a)) {
		uint64_t e = a + PAGE_SIZE;

		while (e < end && e - a < FAULT_AROUND_CACHED_PAGES * PAGE_SIZE &&
		       !present(mm, e))
			e += PAGE_SIZE;
		if (page_in_run(mm, v, a, e, map))
			break;
		a = e;
	}
	v->fault_next = a;
}

int mm_page_in(struct mm *mm, struct vma *v, uint64_t addr, bool map)
{
	int err = page_in_within(mm, v, addr, map, v->start, v->end);

	if (!err && v->kind == VMA_ANON_PRIVATE && !v->file && !v->shm)
		page_in_ahead(mm, v, ALIGN_DOWN(addr, PAGE_SIZE), map);

	memfile_drop_flush(); /* the pages this filled leave the Sentry's view */
	return err;
}

/* The VMA below v, or NULL. */
static struct vma *vma_prev(struct mm *mm, struct vma *v)
{
	return v->link.prev == &mm->vmas ? NULL : list_entry(v->link.prev, struct vma, link);
}

struct vma *mm_find_vma_grow(struct mm *mm, uint64_t addr)
{
	struct vma *v = vma_find(mm, addr), *prev;
	uint64_t start = ALIGN_DOWN(addr, PAGE_SIZE);

	if (!v || addr >= v->start)
		return v;
	if (!(v->flags & MAP_GROWSDOWN) || v->kind != VMA_ANON_PRIVATE || start < MM_MIN_ADDR)
		return NULL;
	/* Keep the guard gap to an accessible mapping below (another stack may abut). */
	prev = vma_prev(mm, v);
	if (prev && !(prev->flags & MAP_GROWSDOWN) && prot_readable(prev->prot) &&
	    start - prev->end < MM_STACK_GUARD_GAP)
		return NULL;
	if (v->end - start > mm_rlimit(mm, RLIMIT_STACK))
		return NULL;
	if (mm_may_expand(mm, start, v->start - start, false))
		return NULL;
	v->start = start;
	return v;
}

int mm_populate(struct mm *mm, uint64_t start, uint64_t end, bool write)
{
	for (uint64_t a = start; a < end; a += PAGE_SIZE) {
		struct vma *v = vma_lookup(mm, a);
		uint64_t val;
		int err;

		if (!v)
			return -ENOMEM;
		if (!prot_readable(v->prot) || (write && !(v->prot & PROT_WRITE)))
			return -EFAULT;
		val = pmap_get(&mm->pages, a);
		if (!val) {
			/* Populate exactly the range (mincore shows it). */
			err = page_in_within(mm, v, a, true, MAX(v->start, start), MIN(v->end, end));
			memfile_drop_flush();
			if (err)
				return err;
			val = pmap_get(&mm->pages, a);
		}
		if (write && (val & PTE_COW)) {
			err = mm_cow_break(mm, v, a);
			if (err)
				return err;
		}
	}
	return 0;
}

int mm_handle_fault(struct mm *mm, uint64_t addr, int access, int *code)
{
	struct vma *v = mm_find_vma_grow(mm, addr);
	int host_code = *code, err;

	*code = SEGV_MAPERR;
	if (!v)
		return -EFAULT;
	*code = SEGV_ACCERR;
	if (!prot_readable(v->prot))
		return -EFAULT;
	if ((access & PLAT_ACCESS_WRITE) && !(v->prot & PROT_WRITE))
		return -EFAULT;
	if ((access & PLAT_ACCESS_EXEC) && !(v->prot & PROT_EXEC))
		return -EFAULT;
	/* A fault on a present page is a write to a copy-on-write page (the only page mapped
	 * with less than its VMA's protection), or else a protection fault. The access kind
	 * may be unknown (ptrace), so the COW mark decides. */
	uint64_t val = pmap_get(&mm->pages, ALIGN_DOWN(addr, PAGE_SIZE));
	if (val) {
		if ((val & PTE_COW) && (v->prot & PROT_WRITE) && !(access & PLAT_ACCESS_EXEC))
			return mm_cow_break(mm, v, addr) ? -EFAULT : 0;
		/* Another thread's fault (fault-around, a COW break, an mprotect) may have
		 * mapped the page after the host saw this fault: a page that is now present
		 * where the host found none, or present with the VMA's full read-write
		 * rights, is retried. The caller bounds the retries. */
		if (host_code == SEGV_MAPERR ||
		    ((v->prot & (PROT_READ | PROT_WRITE)) == (PROT_READ | PROT_WRITE) &&
		     !(access & PLAT_ACCESS_EXEC)))
			return -EAGAIN;
		return -EFAULT;
	}
	err = mm_page_in(mm, v, addr, true);
	if (err == -EIO) {
		*code = BUS_ADRERR;
		return -EIO;
	}
	if (err)
		return -EFAULT;
	/* A write that brought in a copy-on-write page (a private mapping of a page cache)
	 * would fault again at once: copy now. The platform gets both mappings in order,
	 * and a batching platform applies them in one round trip. */
	val = pmap_get(&mm->pages, ALIGN_DOWN(addr, PAGE_SIZE));
	if ((access & PLAT_ACCESS_WRITE) && (val & PTE_COW) && (v->prot & PROT_WRITE))
		return mm_cow_break(mm, v, addr) ? -EFAULT : 0;
	return 0;
}

int mm_shared_offset(struct mm *mm, uint64_t addr, uint64_t *off)
{
	struct vma *v = vma_lookup(mm, addr);
	uint64_t page = ALIGN_DOWN(addr, PAGE_SIZE);

	if (!v)
		return -EFAULT;
	if (v->kind != VMA_ANON_SHARED && v->kind != VMA_FILE_SHARED)
		return 0;
	if (!present(mm, page) && mm_page_in(mm, v, addr, true) < 0)
		return -EFAULT;
	*off = pte_off(pmap_get(&mm->pages, page)) + (addr & (PAGE_SIZE - 1));
	return 1;
}

/* A new image's first steps fault on its text, constants, data and bss page by page, each
 * a trap and a mapping round trip on systrap and ptrace (12 of them for a small static
 * binary), where Linux maps cached text around a fault and takes cheap minor faults for
 * the rest. So execve brings in up front what nearly every program touches at once:
 * the page-cache pages of its read-only file mappings (they cost no memory), the
 * [vdso]/[vvar] pages, and the first pages of each writable segment and bss, bounded so
 * that a huge .data or bss is not copied in. */
#define EXEC_PREFAULT_RO_PAGES 1024
#define EXEC_PREFAULT_RW_PAGES 16

void mm_exec_prefault(struct mm *mm)
{
	struct list_head *pos;

	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		uint64_t len = v->end - v->start;

		if (v->vflags & VMA_NOMERGE) {
			(void)mm_populate(mm, v->start, v->end, false);
		} else if (v->kind == VMA_FILE_PRIVATE && !(v->prot & PROT_WRITE)) {
			len = MIN(len, (uint64_t)EXEC_PREFAULT_RO_PAGES * PAGE_SIZE);
			page_in_cached_range(mm, v, v->start, v->start + len, true);
		} else if ((v->kind == VMA_FILE_PRIVATE || v->kind == VMA_ANON_PRIVATE) &&
			   (v->prot & PROT_WRITE) && (v->prot & PROT_READ) &&
			   !(v->flags & MAP_GROWSDOWN) && strcmp(v->name, "[heap]") != 0) {
			len = MIN(len, (uint64_t)EXEC_PREFAULT_RW_PAGES * PAGE_SIZE);
			/* A file's data: read in, then copied as one run (a write would copy
			 * the cached pages one at a time). */
			if (v->kind == VMA_ANON_PRIVATE)
				(void)mm_populate(mm, v->start, v->start + len, true);
			else if (mm_populate(mm, v->start, v->start + len, false) == 0)
				(void)mm_cow_break_range(mm, v, v->start, v->start + len);
		}
	}
}
