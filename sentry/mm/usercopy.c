/* usercopy.c: copies between Sentry buffers and application memory, page by page through
 * the memory file. Bad addresses give -EFAULT; nothing here trusts an application value. */
#include "sentry/mm/mm_internal.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include "sentry/kernel/task.h"

enum { ACC_READ, ACC_WRITE };

/* Return the Sentry pointer for app address addr (the whole page must be accessible
 * with `acc`), paging it in if needed. NULL when the access would fault. */
static uint8_t *user_page_ptr(struct mm *mm, uint64_t addr, int acc)
{
	struct vma *v = mm_find_vma_grow(mm, addr);
	uint64_t page = ALIGN_DOWN(addr, PAGE_SIZE), val;

	if (!v || !prot_readable(v->prot))
		return NULL;
	if (acc == ACC_WRITE && !(v->prot & PROT_WRITE))
		return NULL;
	val = pmap_get(&mm->pages, page);
	if (!val) {
		if (mm_page_in(mm, v, addr, true) < 0)
			return NULL;
		val = pmap_get(&mm->pages, page);
	}
	if (acc == ACC_WRITE && (val & PTE_COW)) {
		if (mm_cow_break(mm, v, addr) < 0)
			return NULL;
		val = pmap_get(&mm->pages, page);
	}
	return (uint8_t *)memfile_ptr(pte_off(val)) + (addr & (PAGE_SIZE - 1));
}

static int copy_user(struct mm *mm, uint64_t uaddr, void *kbuf, size_t size, int acc)
{
	uint8_t *k = kbuf;

	if (uaddr + size < uaddr || uaddr + size > MM_TASK_SIZE)
		return -EFAULT;
	while (size > 0) {
		size_t chunk = MIN(size, PAGE_SIZE - (uaddr & (PAGE_SIZE - 1)));
		uint8_t *p = user_page_ptr(mm, uaddr, acc);
		if (!p)
			return -EFAULT;
		if (acc == ACC_WRITE)
			memcpy(p, k, chunk);
		else
			memcpy(k, p, chunk);
		uaddr += chunk;
		k += chunk;
		size -= chunk;
	}
	return 0;
}

/* Copy size bytes from src to uaddr up to the first byte that faults; returns the count. */
static size_t copy_out_upto_fault(struct mm *mm, uint64_t uaddr, const void *src, size_t size)
{
	const uint8_t *k = src;
	size_t done = 0;

	if (uaddr >= MM_TASK_SIZE)
		return 0;
	size = MIN(size, MM_TASK_SIZE - uaddr);
	while (done < size) {
		uint64_t a = uaddr + done;
		size_t chunk = MIN(size - done, PAGE_SIZE - (a & (PAGE_SIZE - 1)));
		uint8_t *p = user_page_ptr(mm, a, ACC_WRITE);

		if (!p)
			break;
		memcpy(p, k + done, chunk);
		done += chunk;
	}
	return done;
}

size_t copy_to_user_upto_fault(struct task *t, uaddr_t dst, const void *src, size_t size)
{
	return copy_out_upto_fault(t->mm, dst.v, src, size);
}

size_t copy_from_user_upto_fault(struct task *t, void *dst, uaddr_t src, size_t size)
{
	uint8_t *k = dst;
	size_t done = 0;

	if (src.v >= MM_TASK_SIZE)
		return 0;
	size = MIN(size, MM_TASK_SIZE - src.v);
	while (done < size) {
		uint64_t a = src.v + done;
		size_t chunk = MIN(size - done, PAGE_SIZE - (a & (PAGE_SIZE - 1)));
		uint8_t *p = user_page_ptr(t->mm, a, ACC_READ);

		if (!p)
			break;
		memcpy(k + done, p, chunk);
		done += chunk;
	}
	return done;
}

size_t mm_user_writable(struct mm *mm, uint64_t uaddr, size_t size)
{
	uint64_t a = uaddr, end;

	if (uaddr >= MM_TASK_SIZE)
		return 0;
	end = uaddr + MIN(size, MM_TASK_SIZE - uaddr);
	while (a < end) {
		struct vma *v = mm_find_vma_grow(mm, a);

		if (!v || v->start > a || !(v->prot & PROT_WRITE))
			break;
		a = v->end;
	}
	return (size_t)(MIN(a, end) - uaddr);
}

int mm_user_pin(struct mm *mm, uint64_t uaddr, size_t size, struct iovec *iov, int max, int *cnt,
		size_t *pinned)
{
	const uint8_t *base = memfile_ptr(0);
	/* The part past the top of the address space faults after what comes before it. */
	bool clamped = uaddr + size < uaddr || uaddr + size > MM_TASK_SIZE;

	*pinned = 0;
	if (clamped)
		size = uaddr < MM_TASK_SIZE ? MM_TASK_SIZE - uaddr : 0;
	while (*pinned < size) {
		uint64_t a = uaddr + *pinned;
		size_t chunk = MIN(size - *pinned, PAGE_SIZE - (a & (PAGE_SIZE - 1)));
		uint8_t *p = user_page_ptr(mm, a, ACC_READ);
		struct iovec *last = *cnt ? &iov[*cnt - 1] : NULL;

		if (!p)
			return -EFAULT;
		/* Merge only whole new pages onto a run ending at a page boundary, so each
		 * page of a segment is pinned exactly once (mm_user_unpin counts on it). */
		if (last && (uint8_t *)last->iov_base + last->iov_len == p &&
		    !((uintptr_t)p & (PAGE_SIZE - 1))) {
			last->iov_len += chunk;
		} else {
			if (*cnt == max)
				return -ENOBUFS;
			iov[(*cnt)++] = (struct iovec){p, chunk};
		}
		memfile_get(ALIGN_DOWN((uint64_t)(p - base), PAGE_SIZE));
		*pinned += chunk;
	}
	return clamped ? -EFAULT : 0;
}

void mm_user_unpin(const struct iovec *iov, int cnt)
{
	const uint8_t *base = memfile_ptr(0);

	for (int i = 0; i < cnt; i++) {
		uint64_t off = (uint64_t)((const uint8_t *)iov[i].iov_base - base);
		uint64_t end = off + iov[i].iov_len;

		for (uint64_t pg = ALIGN_DOWN(off, PAGE_SIZE); pg < end; pg += PAGE_SIZE)
			memfile_put(pg);
	}
}

int mm_copy_in(struct mm *mm, void *dst, uint64_t src, size_t size)
{
	return copy_user(mm, src, dst, size, ACC_READ);
}

int mm_copy_out(struct mm *mm, uint64_t dst, const void *src, size_t size)
{
	return copy_user(mm, dst, (void *)src, size, ACC_WRITE);
}

int copy_from_user(struct task *t, void *dst, uaddr_t src, size_t size)
{
	return copy_user(t->mm, src.v, dst, size, ACC_READ);
}

int copy_to_user(struct task *t, uaddr_t dst, const void *src, size_t size)
{
	return copy_user(t->mm, dst.v, (void *)src, size, ACC_WRITE);
}

int clear_user(struct task *t, uaddr_t dst, size_t size)
{
	static const uint8_t zeros[4096];

	while (size > 0) {
		size_t chunk = MIN(size, sizeof(zeros));
		int err = copy_to_user(t, dst, zeros, chunk);
		if (err)
			return err;
		dst = uaddr_add(dst, chunk);
		size -= chunk;
	}
	return 0;
}

long strncpy_from_user(struct task *t, char *dst, uaddr_t src, size_t size)
{
	uint64_t a = src.v;
	size_t n = 0;

	if (size == 0)
		return -ENAMETOOLONG;
	while (n < size) {
		if (a + 1 > MM_TASK_SIZE || a < src.v)
			return -EFAULT;
		size_t chunk = MIN(size - n, PAGE_SIZE - (a & (PAGE_SIZE - 1)));
		uint8_t *p = user_page_ptr(t->mm, a, ACC_READ);
		if (!p)
			return -EFAULT;
		uint8_t *nul = memchr(p, 0, chunk);
		if (nul) {
			size_t len = (size_t)(nul - p);
			memcpy(dst + n, p, len + 1);
			return (long)(n + len);
		}
		memcpy(dst + n, p, chunk);
		n += chunk;
		a += chunk;
	}
	return -ENAMETOOLONG;
}

uint32_t *mm_user_word(struct mm *mm, uint64_t addr)
{
	if ((addr & 3) || addr + 4 > MM_TASK_SIZE)
		return NULL;
	return (uint32_t *)user_page_ptr(mm, addr, ACC_WRITE);
}
