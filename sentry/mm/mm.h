/* mm.h: the memory file, application address spaces (VMAs) and guest-memory copies.
 *
 * All application memory lives in one memfd (the memory file) that the Sentry keeps
 * mapped for itself. An mm is a set of VMAs; each present page of a VMA is one page of
 * the memory file, mapped into the platform address space on demand. The Sentry never
 * touches application memory through application addresses: copy_from_user and friends
 * walk the VMAs to memory-file pages.
 */
#ifndef RUNSC_SENTRY_MM_MM_H
#define RUNSC_SENTRY_MM_MM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lib/list.h"
#include "lib/util.h"
#include "sentry/abi/uaddr.h"
#include "sentry/mm/mempolicy.h"
#include "sentry/mm/pmap.h"

#undef PAGE_SIZE
#define PAGE_SIZE 4096ULL
#define PAGE_SHIFT 12

struct platform;
struct plat_as;
struct file;
struct task;
struct shm_obj_ops;
struct mm;

/* ---- memory file ---- */
/* Invariant: a page is present in mm->pages exactly when it is mapped in the platform
 * address space (if that exists yet) with its VMA's protection. */

/* Create the memory file (memfd) and map it into the Sentry. Call once before any mm. */
int memfile_init(void);
int memfile_fd(void);
/* Allocate npages zeroed pages, contiguous in the file. Returns the file offset or
 * -ENOMEM. Each page starts with one reference. */
int64_t memfile_alloc(uint64_t npages);
/* Take/drop a reference on one page; the last put frees it and returns it to the host. */
void memfile_get(uint64_t off);
void memfile_put(uint64_t off);
/* Return freed pages still held back for batching to the host (after a bulk release),
 * and the kept run of memfile_put_keep's. */
void memfile_flush(void);
/* memfile_put for a page whose contents nobody needs (a truncated tmpfs file's): the last
 * put keeps it, not zeroed, in one contiguous run of at most 64 MiB that
 * memfile_alloc_overwrite hands out again, so a file rewritten after O_TRUNC costs the
 * host neither the punch nor a new zeroed page. The run counts as free (meminfo,
 * memory.current); it is punched when a put cannot extend it and by memfile_flush. */
void memfile_put_keep(uint64_t off);
/* One page for a caller that overwrites all of it before anyone can read it (kernel lock
 * held throughout): from the kept run if any, else memfile_alloc(1). */
int64_t memfile_alloc_overwrite(void);
unsigned memfile_refs(uint64_t off);
/* The Sentry's own pointer to file offset off (valid for the life of the page). */
void *memfile_ptr(uint64_t off);
/* Unmap [off, off+size) (page aligned) from the Sentry's own view of the file: the pages
 * stay in the file and in every address space that maps them, and memfile_ptr() still
 * works (the next access refaults). For pages the Sentry filled for an application and
 * does not read again, so the host counts them once (in the stub) instead of twice.
 * Adjacent calls are batched until memfile_drop_flush() (end of a fault). */
void memfile_drop_view(uint64_t off, uint64_t size);
void memfile_drop_flush(void);
/* Copy [src, src+size) of the file to dst (page aligned, not overlapping) inside the host
 * kernel, so the Sentry's view gets no page-table entries (and no drops, each a TLB
 * shootdown across the Sentry's CPUs); through the view if the kernel refuses. */
void memfile_copy(uint64_t dst, uint64_t src, uint64_t size);
/* Bytes of the memory file in use (pages with references), for statistics. */
uint64_t memfile_used_bytes(void);
/* Could a commitment of size bytes ever be met (Linux's heuristic overcommit: no single
 * request larger than RAM + swap)? */
bool memfile_may_commit(uint64_t size);

/* A shared anonymous memory object (MAP_SHARED|MAP_ANONYMOUS), shared by the VMAs that map
 * it across fork. Its pages are keyed by offset. */
struct shm_obj;

/* The file behind a page cache kept in the memory file (gofer files). */
struct shm_backing {
	/* Read the page at off into dst (zeros past EOF). 0 or -errno. */
	int (*fill)(void *arg, uint64_t off, void *dst);
	/* Write o's dirty pages to the file (msync, fsync, the last unmap). 0 or -errno. */
	int (*writeback)(void *arg, struct shm_obj *o);
};

struct shm_obj {
	int refs;
	uint64_t size; /* bytes: pages at or past it are beyond EOF (SIGBUS), as in shmem */
	struct pmap pages;
	/* A page cache of a file kept elsewhere, or NULL for memory of our own. Such a cache
	 * is a copy: when its owner holds the last reference (no mapping uses it) the dirty
	 * pages are written back and every page is dropped, to be read again later. */
	const struct shm_backing *backing;
	void *backing_arg;
	struct pmap dirty; /* keys of pages mapped writable since the last drop (value 1) */
	/* A System V segment counts its attachments: open runs for each VMA made of it
	 * (shmat, fork, split), close for each VMA that goes (shmdt, munmap, exit, exec). */
	const struct shm_obj_ops *ops;
	void *priv;
};

struct shm_obj_ops {
	void (*open)(struct shm_obj *o);
	void (*close)(struct shm_obj *o); /* may drop the owner's reference to o */
};

struct shm_obj *shm_obj_new(uint64_t size);
void shm_obj_get(struct shm_obj *o);
void shm_obj_put(struct shm_obj *o);
/* The memory-file offset of the page at off (page aligned), allocated on first use: zeroed,
 * or read by o->fill. Returns it, -ENOMEM or fill's error. The object keeps its own
 * reference. */
int64_t shm_obj_page(struct shm_obj *o, uint64_t off);
/* shm_obj_page for a caller that overwrites the whole page before the kernel lock goes:
 * a new page may hold old bytes (memfile_alloc_overwrite). Objects without a backing. */
int64_t shm_obj_page_overwrite(struct shm_obj *o, uint64_t off);
/* Drop the pages of o at or past off. Mappings may still hold them. */
void shm_obj_drop_from(struct shm_obj *o, uint64_t off);
/* A writable shared mapping maps the page at off of a backed object: it may be written. */
void shm_obj_mark_dirty(struct shm_obj *o, uint64_t off);
/* Write the dirty pages of a backed object to its file. 0 or -errno (-EIO). */
int shm_obj_writeback(struct shm_obj *o);
/* The file of o became size bytes long: pages past a smaller size leave every mapping
 * (mm_shm_truncate) and the tail of the last page reads as zeros. */
void shm_obj_resize(struct shm_obj *o, uint64_t size);
/* o shrinks to size (a truncated file): every mapping in the sandbox loses its pages of o
 * past the new last page, private copies included, so touching them raises SIGBUS, and o
 * drops them too. Call after o->size is set. */
void mm_shm_truncate(struct shm_obj *o, uint64_t size);
/* A hole is punched in o over [start, end) (page aligned): every shared mapping loses
 * those pages of o, a private one those it has not copied, and o drops them, calling put
 * on each (its pmap value is the memory-file offset + 1; put owns that reference). */
void mm_shm_punch(struct shm_obj *o, uint64_t start, uint64_t end, pmap_fn put, void *arg);
/* sync/syncfs: write back the dirty pages of every shared mapping of a file with a page
 * cache elsewhere (gofer files) for which pick(arg, file) says yes (pick NULL: all).
 * Returns 0 or the first error. */
int mm_writeback_shared(bool (*pick)(void *arg, struct file *f), void *arg);

/* shmat: map all of obj (which has ops) shared at addr (0: anywhere, else fixed; what
 * is there is replaced when remap, else -EINVAL), as a VMA named name. Read-only
 * attachments (prot without PROT_WRITE) never become writable. Returns the address or
 * -errno. */
int64_t mm_shm_attach(struct mm *mm, uint64_t addr, int prot, struct shm_obj *obj,
		      const char *name, bool remap);
/* shmdt: unmap the attachment that starts at addr. 0 or -EINVAL if there is none. */
int mm_shm_detach(struct mm *mm, uint64_t addr);
/* io_setup's ring: map all of obj shared and read-write at a free address as a VMA named
 * name (a fork child shares it, as Linux's). Returns the address or -errno. */
int64_t mm_map_ring(struct mm *mm, struct shm_obj *obj, const char *name);
/* Does addr still map the first byte of obj (the ring was not unmapped or moved)? */
bool mm_maps_obj_at(struct mm *mm, uint64_t addr, const struct shm_obj *obj);

/* ---- address spaces ---- */

enum vma_kind { VMA_ANON_PRIVATE, VMA_ANON_SHARED, VMA_FILE_PRIVATE, VMA_FILE_SHARED };

struct vma {
	struct list_head link;	/* mm.vmas, sorted by start */
	uint64_t start, end;	/* page aligned, [start, end) */
	int prot;		/* PROT_* */
	int flags;		/* MAP_* flags as given (MAP_GROWSDOWN, MAP_STACK...) */
	enum vma_kind kind;
	struct file *file;	/* reference held, for file mappings */
	struct shm_obj *shm;	/* reference held, for VMA_ANON_SHARED */
	uint64_t pgoff;		/* offset in file or shm of start, bytes */
	unsigned vflags;	/* VMA_* below */
	char name[24];		/* "[stack]", "[heap]", "[vdso]", or "" */
	struct mempolicy pol;	/* mbind's (sentry/mm/mempolicy.h); zero: none */
	uint64_t fault_next;	/* private anonymous: where the last fault's run ended */
	uint32_t fault_run;	/* and how many pages that run reached ahead (fault.c) */
};

/* struct vma.vflags (Linux's VM_LOCKED, VM_DONTCOPY, VM_WIPEONFORK...). */
#define VMA_LOCKED 0x1	    /* mlock: counted against RLIMIT_MEMLOCK */
#define VMA_LOCKONFAULT 0x2 /* mlock2(MLOCK_ONFAULT): locked, not populated */
#define VMA_DONTFORK 0x4    /* MADV_DONTFORK: absent from a fork child */
#define VMA_WIPEONFORK 0x8  /* MADV_WIPEONFORK: empty (zero) in a fork child */
#define VMA_NOWRITE 0x10    /* may never become writable ([vvar]): mprotect gives EACCES */
#define VMA_NOMERGE 0x20    /* a special mapping ([vdso], [vvar]) */
#define VMA_SEALED 0x40     /* mseal: no unmap, move, resize, mprotect or discard */

struct mm {
	int refs;
	struct list_head all;	/* every live mm (for truncation of mapped objects) */
	struct list_head vmas;
	struct pmap pages;	/* present pages: address -> memory-file offset + 1 (one ref) */
	struct plat_as *as;	/* platform address space, created lazily */
	uint64_t brk_start, brk;
	uint64_t start_data, end_data;	/* the writable ELF segment (RLIMIT_DATA with brk) */
	uint64_t mmap_base;	/* top-down search starts below here */
	uint64_t stack_top;
	uint64_t arg_start, arg_end, env_start, env_end;
	uint64_t auxv[64];	/* saved auxv (pairs), for /proc/self/auxv */
	int auxv_len;
	char exe_path[256];
	unsigned def_vflags;	/* mlockall(MCL_FUTURE): VMA_LOCKED (+ONFAULT) for new VMAs */
	uint64_t vdso_base;	/* address of the [vdso] image, 0 if none */
	struct list_head aio;	/* io_setup contexts (sentry/fs/aio.c), dropped with the mm */
};

struct mm *mm_new(void);
void mm_get(struct mm *mm);
void mm_put(struct mm *mm);
/* Copy an mm for fork: private pages are shared copy-on-write (mapped without write in
 * both mms until one writes), shared pages are shared. MADV_DONTFORK/WIPEONFORK honoured. */
int mm_fork(struct mm *parent, struct mm **out) __must_check;
/* mm_fork, and the private writable pages around each of the nhot addresses (the forking
 * thread's stack and TLS: both sides write there first) are copied for the child at once
 * and stay writable in the parent, instead of costing each side a fault. */
int mm_fork_hot(struct mm *parent, struct mm **out, const uint64_t *hot,
		int nhot) __must_check;

/* Ensure the mm has a platform address space and return it. */
int mm_platform_as(struct mm *mm, struct plat_as **out) __must_check;
/* execve: give the old image's platform address space to the new image (mm, which has
 * none yet) when nothing else uses old, emptied (platform as_reset) and filled with mm's
 * pages; otherwise mm gets a fresh one at its first run. */
void mm_exec_take_as(struct mm *mm, struct mm *old);
/* execve: bring in the pages a new image touches first (see fault.c). */
void mm_exec_prefault(struct mm *mm);

/* mmap: map `len` bytes at `addr` (a hint unless MAP_FIXED). file may be NULL for
 * anonymous. Returns the address or -errno, with Linux's checks. */
int64_t mm_mmap(struct mm *mm, uint64_t addr, uint64_t len, int prot, int flags,
		struct file *file, uint64_t off);
/* Map the pages of obj privately (copied on write) as a special VMA named name
 * ("[vdso]", "[vvar]"), at addr or (addr 0) at a free address. vflags: VMA_NOWRITE...
 * Returns the address or -errno. */
int64_t mm_map_special(struct mm *mm, uint64_t addr, uint64_t len, int prot,
		       struct shm_obj *obj, unsigned vflags, const char *name);
int mm_munmap(struct mm *mm, uint64_t addr, uint64_t len);
int mm_mprotect(struct mm *mm, uint64_t addr, uint64_t len, int prot);
int64_t mm_brk(struct mm *mm, uint64_t addr);
/* MADV_DONTNEED: drop private pages in the range (they refault as zero/file data). */
int mm_madvise_dontneed(struct mm *mm, uint64_t addr, uint64_t len);
/* madvise(2) with Linux's checks: DONTNEED(_LOCKED)/FREE drop pages, REMOVE zeroes shared
 * anonymous memory, DONTFORK/DOFORK/WIPEONFORK/KEEPONFORK mark VMAs for fork,
 * POPULATE_READ/WRITE fault pages in; the rest is accepted advice. */
int mm_madvise(struct mm *mm, uint64_t addr, uint64_t len, int advice);
/* mincore: one byte per page of [addr, addr + npages pages) into vec (1 = resident).
 * addr is page aligned; -ENOMEM at an unmapped page. */
int mm_mincore(struct mm *mm, uint64_t addr, uint64_t npages, uint8_t *vec);
int mm_msync(struct mm *mm, uint64_t addr, uint64_t len, int flags);
/* mlock/mlock2 (onfault: MLOCK_ONFAULT), munlock, mlockall, munlockall, accounted
 * against RLIMIT_MEMLOCK (pages are always resident: locking only counts and populates). */
int mm_mlock(struct mm *mm, uint64_t addr, uint64_t len, bool onfault);
int mm_mseal(struct mm *mm, uint64_t addr, uint64_t len, unsigned long flags);
int mm_munlock(struct mm *mm, uint64_t addr, uint64_t len);
int mm_mlockall(struct mm *mm, int flags);
int mm_munlockall(struct mm *mm);
/* mremap(2): flags MREMAP_MAYMOVE, MREMAP_FIXED (new_addr), MREMAP_DONTUNMAP. Pages move
 * without copying. Returns the new address or -errno. */
int64_t mm_mremap(struct mm *mm, uint64_t old_addr, uint64_t old_len, uint64_t new_len,
		  int flags, uint64_t new_addr);
/* Name a VMA (for [stack]/[heap]). */
void mm_set_name(struct mm *mm, uint64_t addr, const char *name);

/* Handle an application page fault at addr; *code holds the host's si_code on entry.
 * Returns 0 if the page is now mapped (retry), -EAGAIN if it was already mapped (another
 * thread got there first: retry, but the caller bounds such retries), or -EFAULT
 * (SIGSEGV, *code = SEGV_MAPERR/SEGV_ACCERR) or -EIO (SIGBUS). */
int mm_handle_fault(struct mm *mm, uint64_t addr, int access, int *code);

/* If addr lies in shared memory, store its memory-file offset in *off and return 1 (the
 * page is brought in); return 0 for private memory, -EFAULT if unmapped. */
int mm_shared_offset(struct mm *mm, uint64_t addr, uint64_t *off);

/* ---- guest memory access: return 0 or -EFAULT, never crash on bad addresses ---- */

int copy_from_user(struct task *t, void *dst, uaddr_t src, size_t size) __must_check;
int copy_to_user(struct task *t, uaddr_t dst, const void *src, size_t size) __must_check;
/* Copy to the application up to the first byte that would fault; returns the bytes
 * copied (size when none faults). For reads that end short at a bad buffer, as Linux's. */
size_t copy_to_user_upto_fault(struct task *t, uaddr_t dst, const void *src, size_t size);
/* The same from the application: the bytes copied before the first that would fault. */
size_t copy_from_user_upto_fault(struct task *t, void *dst, uaddr_t src, size_t size);
/* How many bytes from uaddr (at most size) lie in writable mappings, so a copy there
 * faults only if paging in fails. Pages nothing in. Kernel lock held. */
size_t mm_user_writable(struct mm *mm, uint64_t uaddr, size_t size);
/* Copy a NUL-terminated string of at most size-1 chars. Returns its length, -EFAULT, or
 * -ENAMETOOLONG when no NUL is found within size bytes. */
long strncpy_from_user(struct task *t, char *dst, uaddr_t src, size_t size) __must_check;
int clear_user(struct task *t, uaddr_t dst, size_t size) __must_check;
/* The Sentry's pointer to the aligned, writable 32-bit word at app address addr (paged in,
 * copy-on-write broken), for atomic operations racing with application threads (futex).
 * NULL if the access would fault. Valid until the mm changes (kernel lock held). */
uint32_t *mm_user_word(struct mm *mm, uint64_t addr);
/* Pin the application memory [uaddr, uaddr+size) for reading and append the Sentry's view
 * of it to iov (from iov[*cnt], at most max entries; pages adjacent in the memory file
 * share an entry), so a write can copy straight from the application's pages. Each page
 * holds a memory-file reference until mm_user_unpin(), so a pointer stays valid even if
 * the application unmaps it meanwhile. *pinned = bytes appended. Returns 0 when all of
 * it is pinned, -EFAULT when the byte after the pinned ones would fault, -ENOBUFS when
 * iov is full first. Kernel lock held. */
struct iovec;
int mm_user_pin(struct mm *mm, uint64_t uaddr, size_t size, struct iovec *iov, int max, int *cnt,
		size_t *pinned) __must_check;
/* Drop the pins of the cnt entries mm_user_pin filled. */
void mm_user_unpin(const struct iovec *iov, int cnt);
/* The same on an explicit mm (loader, fork). */
int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t size) __must_check;
int mm_copy_in(struct mm *mm, void *dst, uint64_t src, size_t size) __must_check;

#endif
