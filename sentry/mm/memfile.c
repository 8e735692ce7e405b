/* memfile.c: the memory file: one memfd holding all application memory, with per-page
 * reference counts and an extent allocator. Freed pages are punched out of the file so the
 * sandbox's host footprint follows its program's. Kernel lock held for every call.
 *
 * Punching is batched: frees come in runs (an exiting process drops its pages in address
 * order, mostly contiguous in the file), and one fallocate per run costs what one per page
 * did (4-5 us each here, ~250 per exec'd static binary). A pending run is punched before
 * any of its pages is handed out again, when it reaches PUNCH_MAX pages, when a page
 * outside it is freed, and by memfile_flush() at the end of a bulk release. Truncated
 * files' pages may instead be kept for a rewrite (memfile_put_keep, below). */
#include "sentry/mm/mm.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "lib/list.h"
#include "lib/log.h"

/* Virtual size of the file: sparse, so only touched pages cost host memory. */
#define MEMFILE_SIZE (64ULL << 30)
#define MEMFILE_PAGES (MEMFILE_SIZE >> PAGE_SHIFT)
/* Largest run of freed pages kept before it is punched (host memory held meanwhile). */
#define PUNCH_MAX 256

struct free_extent {
	struct list_head link;
	uint64_t page, npages;
};

static int g_memfd = -1;
static uint8_t *g_base;		/* the Sentry's mapping of the whole file */
static uint32_t *g_refs;	/* per page reference count */
static uint64_t g_bump;		/* pages below this have been handed out at least once */
static uint64_t g_used_pages;
static struct list_head g_free = LIST_HEAD_INIT(g_free);
static uint64_t g_commit_limit;	/* RAM + swap of the host */
static uint64_t g_punch_page, g_punch_n; /* freed pages not yet returned to the host */

int memfile_init(void)
{
	g_memfd = memfd_create("runsc-memory", MFD_CLOEXEC);
	if (g_memfd < 0)
		return -errno;
	if (ftruncate(g_memfd, (off_t)MEMFILE_SIZE) < 0)
		return -errno;
	g_base = mmap(NULL, MEMFILE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		      g_memfd, 0);
	if (g_base == MAP_FAILED)
		return -errno;
	g_refs = mmap(NULL, MEMFILE_PAGES * sizeof(uint32_t), PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (g_refs == MAP_FAILED)
		return -errno;
	struct sysinfo si;
	if (sysinfo(&si) == 0)
		g_commit_limit = ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
	/* Page 0 is never handed out so that offset+1 encodings stay simple. */
	g_bump = 1;
	return 0;
}

int memfile_fd(void)
{
	return g_memfd;
}

void *memfile_ptr(uint64_t off)
{
	return g_base + off;
}

/* Drops come a page at a time from page-cache fills, mostly contiguous in the file: they
 * are gathered into one run and unmapped together (one madvise for a fault-around's 16
 * pages, not 16), when the run breaks, reaches DROP_MAX pages or memfile_drop_flush()
 * ends a fault. A pending page costs nothing but staying mapped a little longer. */
#define DROP_MAX 256
static uint64_t g_drop_page, g_drop_n;

void memfile_drop_flush(void)
{
	/* MAP_SHARED: MADV_DONTNEED drops page-table entries only, never file contents. */
	if (g_drop_n)
		madvise(g_base + (g_drop_page << PAGE_SHIFT), g_drop_n << PAGE_SHIFT,
			MADV_DONTNEED);
	g_drop_n = 0;
}

void memfile_drop_view(uint64_t off, uint64_t size)
{
	uint64_t page = off >> PAGE_SHIFT, n = size >> PAGE_SHIFT;

	if (g_drop_n && page == g_drop_page + g_drop_n) {
		g_drop_n += n;
	} else {
		memfile_drop_flush();
		g_drop_page = page;
		g_drop_n = n;
	}
	if (g_drop_n >= DROP_MAX)
		memfile_drop_flush();
}

void memfile_copy(uint64_t dst, uint64_t src, uint64_t size)
{
	while (size) {
		loff_t in = (loff_t)src, out = (loff_t)dst;
		ssize_t n = copy_file_range(g_memfd, &in, g_memfd, &out, size, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		src += (uint64_t)n;
		dst += (uint64_t)n;
		size -= (uint64_t)n;
	}
	if (!size)
		return;
	memcpy(g_base + dst, g_base + src, size);
	memfile_drop_view(ALIGN_DOWN(dst, PAGE_SIZE), ALIGN_UP(size, PAGE_SIZE));
	memfile_drop_flush();
}

unsigned memfile_refs(uint64_t off)
{
	return g_refs[off >> PAGE_SHIFT];
}

bool memfile_may_commit(uint64_t size)
{
	return g_commit_limit == 0 || size <= g_commit_limit;
}

uint64_t memfile_used_bytes(void)
{
	return g_used_pages << PAGE_SHIFT;
}

static int64_t take_from_free(uint64_t npages)
{
	struct list_head *pos;

	list_for_each(pos, &g_free) {
		struct free_extent *e = list_entry(pos, struct free_extent, link);
		if (e->npages < npages)
			continue;
		uint64_t page = e->page;
		e->page += npages;
		e->npages -= npages;
		if (e->npages == 0) {
			list_del(&e->link);
			free(e);
		}
		return (int64_t)page;
	}
	return -ENOMEM;
}

/* Return the pending run to the host; its pages read as zeros from now on. */
static void punch_pending(void)
{
	off_t off = (off_t)(g_punch_page << PAGE_SHIFT), len = (off_t)(g_punch_n << PAGE_SHIFT);

	if (g_punch_n == 0)
		return;
	if (fallocate(g_memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) < 0)
		memset(g_base + off, 0, (size_t)len);
	g_punch_n = 0;
}

int64_t memfile_alloc(uint64_t npages)
{
	int64_t page;

	if (npages == 0)
		return -EINVAL;
	page = take_from_free(npages);
	/* Pages of the pending run are not zero yet. */
	if (page >= 0 && g_punch_n && (uint64_t)page < g_punch_page + g_punch_n &&
	    g_punch_page < (uint64_t)page + npages)
		punch_pending();
	if (page < 0) {
		if (g_bump + npages > MEMFILE_PAGES)
			return -ENOMEM;
		page = (int64_t)g_bump;
		g_bump += npages;
	}
	for (uint64_t i = 0; i < npages; i++)
		g_refs[(uint64_t)page + i] = 1;
	g_used_pages += npages;
	return page << PAGE_SHIFT;
}

void memfile_get(uint64_t off)
{
	g_refs[off >> PAGE_SHIFT]++;
}

static void free_page(uint64_t page)
{
	struct free_extent *e;

	/* Return the memory to the host (batched); the page reads as zeros when reused. */
	if (g_punch_n && page == g_punch_page + g_punch_n) {
		g_punch_n++;
	} else if (g_punch_n && page + 1 == g_punch_page) {
		g_punch_page--;
		g_punch_n++;
	} else {
		punch_pending();
		g_punch_page = page;
		g_punch_n = 1;
	}
	if (g_punch_n >= PUNCH_MAX)
		punch_pending();
	g_used_pages--;
	/* Merge with the most recent extent when adjacent (frees come in runs). */
	if (!list_empty(&g_free)) {
		e = list_first_entry(&g_free, struct free_extent, link);
		if (e->page + e->npages == page) {
			e->npages++;
			return;
		}
		if (page + 1 == e->page) {
			e->page--;
			e->npages++;
			return;
		}
	}
	e = xmalloc(sizeof(*e));
	e->page = page;
	e->npages = 1;
	list_add(&e->link, &g_free);
}

/*
 * The kept run (memfile_put_keep): freed pages of truncated files, contents left in place,
 * for writes that overwrite whole pages. Truncation frees a file's pages in file order,
 * which a sequential write made contiguous in the memory file, so one run holds them all
 * and hands them out again in the same order (the rewrite's pwritev runs stay long).
 */
#define KEEP_MAX (64ULL << (20 - PAGE_SHIFT))
static uint64_t g_keep_page, g_keep_n;

static void keep_release(void)
{
	off_t off = (off_t)(g_keep_page << PAGE_SHIFT), len = (off_t)(g_keep_n << PAGE_SHIFT);
	struct free_extent *e;

	if (g_keep_n == 0)
		return;
	if (fallocate(g_memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len) < 0)
		memset(g_base + off, 0, (size_t)len);
	e = xmalloc(sizeof(*e));
	e->page = g_keep_page;
	e->npages = g_keep_n;
	list_add(&e->link, &g_free);
	g_keep_n = 0;
}

void memfile_flush(void)
{
	punch_pending();
	keep_release();
}

void memfile_put_keep(uint64_t off)
{
	uint64_t page = off >> PAGE_SHIFT;

	if (g_refs[page] == 0)
		log_fatal("memory file page %#lx freed twice", (unsigned long)off);
	if (--g_refs[page] != 0)
		return;
	if (g_keep_n && (page != g_keep_page + g_keep_n || g_keep_n >= KEEP_MAX))
		keep_release();
	if (g_keep_n == 0)
		g_keep_page = page;
	g_keep_n++;
	g_used_pages--;
}

int64_t memfile_alloc_overwrite(void)
{
	uint64_t page = g_keep_page;

	if (g_keep_n == 0)
		return memfile_alloc(1);
	g_keep_page++;
	g_keep_n--;
	g_refs[page] = 1;
	g_used_pages++;
	return (int64_t)(page << PAGE_SHIFT);
}

void memfile_put(uint64_t off)
{
	uint64_t page = off >> PAGE_SHIFT;

	if (g_refs[page] == 0)
		log_fatal("memory file page %#lx freed twice", (unsigned long)off);
	if (--g_refs[page] == 0)
		free_page(page);
}
