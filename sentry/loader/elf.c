/* elf.c: loading x86-64 ELF executables (static, static-pie, and with an interpreter) into
 * a fresh mm. The file is untrusted: every header field is checked before use. */
#include "sentry/loader/loader.h"

#include <elf.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>

#include "lib/log.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"

#define ELF_MAX_PHNUM 128
#define ET_DYN_BASE 0x555555554000ULL

static int elf_read_headers(struct file *f, Elf64_Ehdr *eh, Elf64_Phdr **phdrs)
{
	ssize_t n = file_pread_kernel(f, eh, sizeof(*eh), 0);
	size_t size;

	if (n < 0)
		return (int)n;
	if (n < (ssize_t)sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 || (eh->e_type != ET_EXEC && eh->e_type != ET_DYN))
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > ELF_MAX_PHNUM)
		return -ENOEXEC;
	size = (size_t)eh->e_phnum * sizeof(Elf64_Phdr);
	*phdrs = xmalloc(size);
	n = file_pread_kernel(f, *phdrs, size, eh->e_phoff);
	if (n != (ssize_t)size) {
		free(*phdrs);
		*phdrs = NULL;
		return n < 0 ? (int)n : -ENOEXEC;
	}
	return 0;
}

static int elf_prot(uint32_t pflags)
{
	return ((pflags & PF_R) ? PROT_READ : 0) | ((pflags & PF_W) ? PROT_WRITE : 0) |
	       ((pflags & PF_X) ? PROT_EXEC : 0);
}

/* Span of the PT_LOAD segments, page aligned. */
static int elf_span(const Elf64_Ehdr *eh, const Elf64_Phdr *ph, uint64_t *lo, uint64_t *hi)
{
	*lo = UINT64_MAX;
	*hi = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_memsz < ph[i].p_filesz || ph[i].p_vaddr + ph[i].p_memsz < ph[i].p_vaddr)
			return -ENOEXEC;
		if ((ph[i].p_vaddr - ph[i].p_offset) & (PAGE_SIZE - 1))
			return -ENOEXEC;
		*lo = MIN(*lo, ALIGN_DOWN(ph[i].p_vaddr, PAGE_SIZE));
		*hi = MAX(*hi, ALIGN_UP(ph[i].p_vaddr + ph[i].p_memsz, PAGE_SIZE));
	}
	return *lo < *hi ? 0 : -ENOEXEC;
}

/* Map one PT_LOAD segment at bias. */
static int elf_map_segment(struct mm *mm, struct file *f, const Elf64_Phdr *p, uint64_t bias)
{
	uint64_t vaddr = p->p_vaddr + bias, start = ALIGN_DOWN(vaddr, PAGE_SIZE);
	uint64_t fend = vaddr + p->p_filesz, mend = vaddr + p->p_memsz;
	uint64_t off = ALIGN_DOWN(p->p_offset, PAGE_SIZE);
	int prot = elf_prot(p->p_flags);
	int64_t r;

	if (p->p_filesz > 0) {
		/* Writable while we zero the tail of the last file page, then the real prot. */
		r = mm_mmap(mm, start, ALIGN_UP(fend, PAGE_SIZE) - start, prot | PROT_WRITE,
			    MAP_PRIVATE | MAP_FIXED, f, off);
		if (r < 0)
			return (int)r;
		if (mend > fend && (fend & (PAGE_SIZE - 1))) {
			static const uint8_t zeros[PAGE_SIZE];
			size_t n = PAGE_SIZE - (fend & (PAGE_SIZE - 1));
			int err = mm_copy_out(mm, fend, zeros, n);
			if (err)
				return err;
		}
		r = mm_mprotect(mm, start, ALIGN_UP(fend, PAGE_SIZE) - start, prot);
		if (r < 0)
			return (int)r;
		start = ALIGN_UP(fend, PAGE_SIZE);
	}
	if (ALIGN_UP(mend, PAGE_SIZE) > start) {
		r = mm_mmap(mm, start, ALIGN_UP(mend, PAGE_SIZE) - start, prot,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, NULL, 0);
		if (r < 0)
			return (int)r;
	}
	return 0;
}

int elf_load(struct mm *mm, struct file *f, bool is_interp, struct elf_info *out)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *ph = NULL;
	uint64_t lo, hi, bias = 0;
	int err;

	memset(out, 0, sizeof(*out));
	err = elf_read_headers(f, &eh, &ph);
	if (err)
		return err;
	err = elf_span(&eh, ph, &lo, &hi);
	if (err)
		goto out;
	if (eh.e_type == ET_DYN) {
		if (is_interp) {
			int64_t base = mm_mmap(mm, 0, hi - lo, PROT_NONE,
					       MAP_PRIVATE | MAP_ANONYMOUS, NULL, 0);
			if (base < 0) {
				err = (int)base;
				goto out;
			}
			bias = (uint64_t)base - lo;
		} else {
			bias = ET_DYN_BASE - lo;
		}
	}
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD) {
			err = elf_map_segment(mm, f, &ph[i], bias);
			if (err)
				goto out;
			out->start_data = MAX(out->start_data, ph[i].p_vaddr + bias);
			out->end_data = MAX(out->end_data, ph[i].p_vaddr + bias + ph[i].p_filesz);
		} else if (ph[i].p_type == PT_INTERP && !is_interp) {
			uint64_t len = ph[i].p_filesz;
			if (len < 2 || len > sizeof(out->interp)) {
				err = -ENOEXEC;
				goto out;
			}
			if (file_pread_kernel(f, out->interp, len, ph[i].p_offset) != (ssize_t)len ||
			    out->interp[len - 1] != '\0') {
				err = -ENOEXEC;
				goto out;
			}
		} else if (ph[i].p_type == PT_PHDR) {
			out->phdr = ph[i].p_vaddr + bias;
		}
	}
	if (!out->phdr) {
		/* No PT_PHDR: the headers sit in the first segment when it maps offset 0. */
		for (int i = 0; i < eh.e_phnum; i++) {
			if (ph[i].p_type == PT_LOAD && ph[i].p_offset == 0) {
				out->phdr = ph[i].p_vaddr + bias + eh.e_phoff;
				break;
			}
		}
	}
	out->entry = eh.e_entry + bias;
	out->bias = bias;
	out->phnum = eh.e_phnum;
	out->end = hi + bias;
out:
	free(ph);
	return err;
}

int elf_read_interp(struct file *f, char *buf, size_t size)
{
	Elf64_Ehdr eh;
	Elf64_Phdr *ph = NULL;
	int err = elf_read_headers(f, &eh, &ph);

	buf[0] = '\0';
	if (err)
		return err;
	for (int i = 0; i < eh.e_phnum; i++) {
		uint64_t len = ph[i].p_filesz;
		if (ph[i].p_type != PT_INTERP)
			continue;
		if (len < 2 || len > size ||
		    file_pread_kernel(f, buf, len, ph[i].p_offset) != (ssize_t)len ||
		    buf[len - 1] != '\0') {
			buf[0] = '\0';
			err = -ENOEXEC;
		}
		break;
	}
	free(ph);
	return err;
}
