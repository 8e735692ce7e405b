/* loader.h: turning an executable file into a fresh address space, registers and stack. */
#ifndef RUNSC_SENTRY_LOADER_H
#define RUNSC_SENTRY_LOADER_H

#include <stdbool.h>
#include <stdint.h>

#include "lib/util.h"

struct mm;
struct file;
struct task;

struct elf_info {
	uint64_t entry;	 /* entry point after relocation */
	uint64_t bias;	 /* load bias (0 for ET_EXEC) */
	uint64_t phdr;	 /* address of the program headers in memory, 0 if unknown */
	uint64_t phnum;
	uint64_t end;	 /* end of the highest segment (brk starts here) */
	uint64_t start_data, end_data; /* as Linux's mm->start_data/end_data (RLIMIT_DATA) */
	char interp[256]; /* PT_INTERP path, "" if none */
};

/* The PT_INTERP path of ELF file f into buf ("" if none), checking the ELF header.
 * Returns 0, -ENOEXEC (malformed) or -errno. Linux opens the interpreter before it maps
 * anything, so its errors come first. */
int elf_read_interp(struct file *f, char *buf, size_t size) __must_check;
/* Map the ELF file f into mm. The interpreter (is_interp) goes at a free address. */
int elf_load(struct mm *mm, struct file *f, bool is_interp, struct elf_info *out) __must_check;

struct exec_image {
	struct mm *mm;	  /* the new address space (owned by the caller on success) */
	uint64_t entry;	  /* where execution starts (the interpreter's entry if any) */
	uint64_t sp;	  /* initial stack pointer (argc) */
	char comm[16];
	bool nondump;	  /* a file run (binary, script, interpreter) the task cannot read */
};

/* Load path (relative to dirfd; at_flags: AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW) with
 * argv/envp (kernel strings) for task t: scripts (#!), ELF, interpreter, stack with argv,
 * envp and auxv. The task is unchanged on failure. */
int loader_exec(struct task *t, int dirfd, const char *path, int at_flags, char *const argv[],
		char *const envp[], struct exec_image *img) __must_check;

#endif
