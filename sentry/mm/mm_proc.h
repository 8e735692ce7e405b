/* mm_proc.h: what /proc shows of an address space: maps lines, memory statistics and the
 * executable's file. Kernel lock held for all of them. */
#ifndef RUNSC_SENTRY_MM_MM_PROC_H
#define RUNSC_SENTRY_MM_MM_PROC_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct mm;
struct task;
struct file;

/* Sizes in bytes for /proc/PID/status and statm. */
struct mm_stats {
	uint64_t vsize;	 /* all VMAs */
	uint64_t rss;	 /* present pages */
	uint64_t shared; /* present pages of shared or file mappings */
	uint64_t text;	 /* executable file mappings */
	uint64_t data;	 /* private writable mappings (data + heap + stack) */
	uint64_t stack;	 /* the [stack] VMA */
	uint64_t lib;	 /* executable file mappings other than the first file's */
};

/* Format /proc/PID/maps as Linux does ("start-end rwxp offset maj:min inode   path") into
 * buf (NUL-terminated, truncated to size). File paths are named as viewer sees them
 * (NULL: from the sandbox root). Returns the length the whole text needs without the
 * NUL, so a caller whose buffer was too small can retry with a larger one. */
size_t mm_format_maps(struct mm *mm, struct task *viewer, char *buf, size_t size);
/* The same with /proc/PID/smaps's block of sizes (kB) and VmFlags after each line. */
size_t mm_format_smaps(struct mm *mm, struct task *viewer, char *buf, size_t size);
void mm_get_stats(struct mm *mm, struct mm_stats *st);
/* The file of the executable (the lowest file mapping), referenced, or NULL. */
struct file *mm_exe_file(struct mm *mm);

#endif
