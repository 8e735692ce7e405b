/* mm_proc.c: /proc views of an address space: maps and smaps, statm/status statistics and
 * the executable file. */
#include "sentry/mm/mm_proc.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sysmacros.h>

#include "lib/util.h"
#include "sentry/mm/mm_internal.h"
#include "sentry/vfs/file.h"
#include "sentry/vfs/vfs_internal.h"

#define MAPS_NAME_COL 73

struct out {
	char *buf;
	size_t size, len;
};

static void __attribute__((format(printf, 2, 3))) out_printf(struct out *o, const char *fmt, ...)
{
	size_t room = o->len < o->size ? o->size - o->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? o->buf + o->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* The name column: a file's path (" (deleted)" once unlinked), [heap]/[stack], or none. */
static void vma_name(struct vma *v, struct task *viewer, char *name, size_t size)
{
	name[0] = '\0';
	if (v->file && v->file->path.dentry) {
		if (vfs_path_name(viewer, &v->file->path, name, size - 10) < 0)
			snprintf(name, size, "%s", v->file->path.dentry->name);
		else if (!v->file->path.dentry->hashed)
			strcat(name, " (deleted)");
	} else if (v->kind == VMA_ANON_SHARED) {
		/* System V segments are named /SYSV<key>, other shared memory /dev/zero. */
		snprintf(name, size, "%s (deleted)", v->name[0] ? v->name : "/dev/zero");
	} else if (v->name[0]) {
		snprintf(name, size, "%s", v->name);
	}
}

static int count_page(void *arg, uint64_t key, uint64_t val)
{
	(*(uint64_t *)arg)++;
	return 0;
}

static uint64_t present_pages(struct mm *mm, uint64_t start, uint64_t end)
{
	uint64_t n = 0;

	pmap_for_each(&mm->pages, start, end, count_page, &n);
	return n;
}

/* One maps line: "start-end perms offset maj:min inode" and the name column. */
static void format_vma(struct out *o, struct vma *v, struct task *viewer, char *name)
{
	bool shared = v->kind == VMA_ANON_SHARED || v->kind == VMA_FILE_SHARED;
	uint64_t dev = 0, ino = 0, off = 0;
	struct kstat st;
	char head[128];

	if (v->file) {
		off = v->pgoff;
		if (vfs_fstat(v->file, &st) == 0) {
			dev = st.dev;
			ino = st.ino;
		}
	} else if (v->kind == VMA_ANON_SHARED) {
		off = v->pgoff;
	}
	vma_name(v, viewer, name, VFS_PATH_MAX + 16);
	snprintf(head, sizeof(head), "%08llx-%08llx %c%c%c%c %08llx %02x:%02x %llu ",
		 (unsigned long long)v->start, (unsigned long long)v->end,
		 (v->prot & PROT_READ) ? 'r' : '-', (v->prot & PROT_WRITE) ? 'w' : '-',
		 (v->prot & PROT_EXEC) ? 'x' : '-', shared ? 's' : 'p', (unsigned long long)off,
		 major(dev), minor(dev), (unsigned long long)ino);
	/* Linux pads the fixed columns to 73 characters before a name. */
	if (name[0])
		out_printf(o, "%-*s%s", MAPS_NAME_COL, head, name);
	else
		out_printf(o, "%s", head);
	out_printf(o, "\n");
}

/* Linux's VmFlags letters for what a VMA records. */
static void format_vmflags(struct out *o, struct vma *v)
{
	bool shared = v->kind == VMA_ANON_SHARED || v->kind == VMA_FILE_SHARED;
	bool may_write = !shared || !v->file || (v->file->fmode & FMODE_WRITE);

	out_printf(o, "VmFlags:");
	if (v->prot & PROT_READ)
		out_printf(o, " rd");
	if (v->prot & PROT_WRITE)
		out_printf(o, " wr");
	if (v->prot & PROT_EXEC)
		out_printf(o, " ex");
	if (shared && may_write)
		out_printf(o, " sh");
	out_printf(o, " mr%s me%s", may_write && !(v->vflags & VMA_NOWRITE) ? " mw" : "",
		   shared ? " ms" : "");
	if (v->flags & MAP_GROWSDOWN || !strcmp(v->name, "[stack]"))
		out_printf(o, " gd");
	if (v->vflags & VMA_LOCKED)
		out_printf(o, " lo");
	if (v->vflags & VMA_DONTFORK)
		out_printf(o, " dc");
	if (v->vflags & VMA_WIPEONFORK)
		out_printf(o, " wf");
	if (!shared && (v->prot & PROT_WRITE))
		out_printf(o, " ac");
	if (v->vflags & VMA_SEALED)
		out_printf(o, " sl");
	out_printf(o, "\n");
}

/* The smaps block after a maps line. Present pages are what the Sentry knows: anonymous and
 * shared-memory ones count as private dirty, file ones as private clean (Linux tells by
 * page); nothing is swapped, and with no map counts Pss is Rss. */
static void format_smaps_fields(struct out *o, struct mm *mm, struct vma *v)
{
	uint64_t rss = present_pages(mm, v->start, v->end) * (PAGE_SIZE >> 10);
	uint64_t dirty = v->file ? 0 : rss;
	uint64_t anon = v->kind == VMA_ANON_SHARED ? 0 : dirty;
	const struct {
		const char *name;
		uint64_t kb;
	} rows[] = {
		{"Size:", (v->end - v->start) >> 10},
		{"KernelPageSize:", PAGE_SIZE >> 10},
		{"MMUPageSize:", PAGE_SIZE >> 10},
		{"Rss:", rss},
		{"Pss:", rss},
		{"Pss_Dirty:", dirty},
		{"Shared_Clean:", 0},
		{"Shared_Dirty:", 0},
		{"Private_Clean:", rss - dirty},
		{"Private_Dirty:", dirty},
		{"Referenced:", rss},
		{"Anonymous:", anon},
		{"KSM:", 0},
		{"LazyFree:", 0},
		{"AnonHugePages:", 0},
		{"ShmemPmdMapped:", 0},
		{"FilePmdMapped:", 0},
		{"Shared_Hugetlb:", 0},
		{"Private_Hugetlb:", 0},
		{"Swap:", 0},
		{"SwapPss:", 0},
		{"Locked:", (v->vflags & VMA_LOCKED) ? rss : 0},
	};

	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		out_printf(o, "%-16s%8llu kB\n", rows[i].name, (unsigned long long)rows[i].kb);
	out_printf(o, "THPeligible:    0\n");
	format_vmflags(o, v);
}

static size_t format_maps(struct mm *mm, struct task *viewer, char *buf, size_t size,
			  bool smaps)
{
	struct out o = {buf, size, 0};
	char *name = xmalloc(VFS_PATH_MAX + 16);
	struct list_head *pos;

	if (size)
		buf[0] = '\0';
	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);

		format_vma(&o, v, viewer, name);
		if (smaps)
			format_smaps_fields(&o, mm, v);
	}
	free(name);
	return o.len;
}

size_t mm_format_maps(struct mm *mm, struct task *viewer, char *buf, size_t size)
{
	return format_maps(mm, viewer, buf, size, false);
}

size_t mm_format_smaps(struct mm *mm, struct task *viewer, char *buf, size_t size)
{
	return format_maps(mm, viewer, buf, size, true);
}

void mm_get_stats(struct mm *mm, struct mm_stats *st)
{
	struct list_head *pos;
	struct file *first = NULL;

	memset(st, 0, sizeof(*st));
	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);
		uint64_t len = v->end - v->start;
		uint64_t rss = present_pages(mm, v->start, v->end) * PAGE_SIZE;

		st->vsize += len;
		st->rss += rss;
		if (v->file || v->kind == VMA_ANON_SHARED)
			st->shared += rss;
		if (v->file && !first)
			first = v->file;
		if (v->file && (v->prot & PROT_EXEC)) {
			if (v->file == first ||
			    (first && v->file->path.dentry == first->path.dentry))
				st->text += len;
			else
				st->lib += len;
		}
		if (!strcmp(v->name, "[stack]"))
			st->stack += len;
		else if ((v->prot & PROT_WRITE) && !(v->kind == VMA_ANON_SHARED ||
						      v->kind == VMA_FILE_SHARED))
			st->data += len;
	}
}

struct file *mm_exe_file(struct mm *mm)
{
	struct list_head *pos;

	list_for_each(pos, &mm->vmas) {
		struct vma *v = list_entry(pos, struct vma, link);

		if (v->file && v->file->path.dentry) {
			file_get(v->file);
			return v->file;
		}
	}
	return NULL;
}
