/* fault.c: page-in on application faults and on Sentry copies to and from guest memory. */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/kernel/task.h"
#include "sentry/vfs/vfs.h"

/* Pages brought in around a faulting page, in one platform mapping. */
#define FAULT_AROUND_PAGES 16

/* Fill a fresh page with the file contents it maps (zero past EOF). Returns -EIO when
 * the page lies wholly beyond the end of the file (SIGBUS). */
static int fill_from_file(struct vma *v, uint64_t addr, void *dst)
{
	uint64_t foff = v->pgoff + (addr - v->start), size;
	bool regular;
	ssize_t n;

	if (file_stat_size(v->file, &size, &regular) < 0)
		return -EIO;
	if (foff >= ALIGN_UP(size, PAGE_SIZE))
		return -EIO;
	n = file_pread_kernel(v->file, dst, PAGE_SIZE, foff);
	if (n < 0)
		return -EIO;
	return 0;
}

/* Allocate and fill the absent pages of [start, end) in v as one contiguous run when
 * possible; maps them into the platform when `map`. */
static int page_in_run(struct mm *mm, struct vma *v, uint64_t start, uint64_t end, bool map)
{
	uint64_t npages = (end - start) >> PAGE_SHIFT;
	int64_t off = memfile_alloc(npages);
	int err;

	if (off < 0)
		return (int)off;
	for (uint64_t i = 0; i < npages; i++) {
		uint64_t a = start + (i << PAGE_SHIFT), poff = (uint64_t)off + (i << PAGE_SHIFT);
		if (v->file) {
			err = fill_from_file(v, a, memfile_ptr(poff));
			if (err) {
				/* Give back this page and the rest; keep the ones before. */
				for (uint64_t j = i; j < npages; j++)
					memfile_put((uint64_t)off + (j << PAGE_SHIFT));
				npages = i;
				if (npages == 0)
					return err;
				break;
			}
		}
		v->pages[(a - v->start) >> PAGE_SHIFT] = poff + 1;
	}
	if (map && mm->as)
		return plat_as_map(g_platform, mm->as, start, npages << PAGE_SHIFT, (uint64_t)off,
				   v->prot);
	return 0;
}

int mm_page_in(struct mm *mm, struct vma *v, uint64_t addr, bool map)
{
	uint64_t page = ALIGN_DOWN(addr, PAGE_SIZE);
	uint64_t lo = MAX(v->start, ALIGN_DOWN(page, FAULT_AROUND_PAGES * PAGE_SIZE));
	uint64_t hi = MIN(v->end, lo + FAULT_AROUND_PAGES * PAGE_SIZE);
	uint64_t s = page, e = page + PAGE_SIZE;
	int err;

	if (v->pages[(page - v->start) >> PAGE_SHIFT])
		return 0;
	/* Grow the run over neighbouring absent pages (fault-around). */
	while (s > lo && !v->pages[((s - PAGE_SIZE) - v->start) >> PAGE_SHIFT])
		s -= PAGE_SIZE;
	while (e < hi && !v->pages[(e - v->start) >> PAGE_SHIFT])
		e += PAGE_SIZE;
	err = page_in_run(mm, v, s, e, map);
	if (err == -EIO && s < page) {
		/* Fault-around ran past EOF before our page? Retry just the page. */
		if (!v->pages[(page - v->start) >> PAGE_SHIFT])
			err = page_in_run(mm, v, page, page + PAGE_SIZE, map);
	}
	if (err == -ENOMEM && e - s > PAGE_SIZE)
		err = page_in_run(mm, v, page, page + PAGE_SIZE, map);
	return err;
}

int mm_handle_fault(struct mm *mm, uint64_t addr, int access, int *code)
{
	struct vma *v = vma_lookup(mm, addr);
	int err;

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
	/* A fault on a present page is a protection fault (the access kind may be unknown). */
	if (v->pages[(ALIGN_DOWN(addr, PAGE_SIZE) - v->start) >> PAGE_SHIFT])
		return -EFAULT;
	err = mm_page_in(mm, v, addr, true);
	if (err == -EIO) {
		*code = BUS_ADRERR;
		return -EIO;
	}
	return err ? -EFAULT : 0;
}

int mm_shared_offset(struct mm *mm, uint64_t addr, uint64_t *off)
{
	struct vma *v = vma_lookup(mm, addr);
	uint64_t *slot;

	if (!v)
		return -EFAULT;
	if (v->kind != VMA_ANON_SHARED && v->kind != VMA_FILE_SHARED)
		return 0;
	slot = &v->pages[(ALIGN_DOWN(addr, PAGE_SIZE) - v->start) >> PAGE_SHIFT];
	if (!*slot && mm_page_in(mm, v, addr, true) < 0)
		return -EFAULT;
	*off = *slot - 1 + (addr & (PAGE_SIZE - 1));
	return 1;
}
