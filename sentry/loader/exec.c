/* exec.c: execve's loading half: #! scripts, the ELF and its interpreter, and the initial
 * stack (argv, envp, auxv) laid out as Linux does on x86-64. */
#include "sentry/loader/loader.h"

#include <cpuid.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>

#include "lib/log.h"
#include "platform/platform.h"
#include "sentry/kernel/task.h"
#include "sentry/mm/mm.h"
#include "sentry/vdso/vdso.h"
#include "sentry/vfs/vfs.h"

#define STACK_TOP PLAT_APP_MAX_ADDR
#define MAX_ARG_STRLEN (32 * PAGE_SIZE)
#define SCRIPT_DEPTH 4
#define BINPRM_BUF_SIZE 256
#define STACK_EXPAND (128ULL << 10)	  /* Linux's initial stack head room */
#define STACK_GUARD_PAD (1ULL << 20)	  /* the stack guard gap, below a full stack */
#define MMAP_GAP_MIN (128ULL << 20)	  /* mmap_base at least this far below the stack */
#define MMAP_GAP_MAX (STACK_TOP / 6 * 5) /* and at most this far */

struct strvec {
	char **v;
	int n;
};

static void strvec_push(struct strvec *s, const char *str)
{
	s->v = xrealloc(s->v, sizeof(char *) * (size_t)(s->n + 2));
	s->v[s->n++] = xstrdup(str);
	s->v[s->n] = NULL;
}

static void strvec_free(struct strvec *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

/* Parse "#!interp [arg]" from buf; rewrite argv as [interp, arg?, path, argv[1..]]. */
static int script_rewrite(const char *buf, size_t len, const char *path, struct strvec *argv,
			  char *interp, size_t interp_size)
{
	char line[BINPRM_BUF_SIZE];
	const char *nl = memchr(buf, '\n', len);
	size_t n = nl ? (size_t)(nl - buf) : len;
	char *p, *arg = NULL;
	struct strvec nv = {0};

	if (n < 2 || n >= sizeof(line))
		return -ENOEXEC;
	memcpy(line, buf + 2, n - 2);
	line[n - 2] = '\0';
	for (p = line; *p == ' ' || *p == '\t'; p++)
		;
	char *name = p;
	while (*p && *p != ' ' && *p != '\t')
		p++;
	if (*p) {
		*p++ = '\0';
		while (*p == ' ' || *p == '\t')
			p++;
		/* The rest of the line, trailing blanks removed, is one argument. */
		char *end = p + strlen(p);
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			*--end = '\0';
		if (*p)
			arg = p;
	}
	if (!*name)
		return -ENOEXEC;
	snprintf(interp, interp_size, "%s", name);
	strvec_push(&nv, name);
	if (arg)
		strvec_push(&nv, arg);
	strvec_push(&nv, path);
	for (int i = 1; i < argv->n; i++)
		strvec_push(&nv, argv->v[i]);
	strvec_free(argv);
	*argv = nv;
	return 0;
}

/* CPUID is a VM exit inside a VM (~18 us here): asked once, not at every exec. */
static uint64_t auxv_hwcap(void)
{
	static _Atomic uint64_t hwcap;
	unsigned a, b, c, d;

	if (!atomic_load_explicit(&hwcap, memory_order_relaxed)) {
		__cpuid(1, a, b, c, d);
		atomic_store_explicit(&hwcap, (uint64_t)d | 1ULL << 63, memory_order_relaxed);
	}
	return atomic_load_explicit(&hwcap, memory_order_relaxed) & ~(1ULL << 63);
}

struct stack_builder {
	struct mm *mm;
	uint64_t sp;
	int err;
};

static uint64_t push_bytes(struct stack_builder *sb, const void *data, size_t size)
{
	sb->sp -= size;
	if (!sb->err)
		sb->err = mm_copy_out(sb->mm, sb->sp, data, size);
	return sb->sp;
}

static int build_stack(struct task *t, struct mm *mm, const struct strvec *argv,
		       char *const envp[], const char *execfn, const struct elf_info *ei,
		       uint64_t interp_base, uint64_t *sp_out)
{
	struct stack_builder sb = {.mm = mm, .sp = STACK_TOP - 16};
	int envc = 0, nwords, i;
	uint64_t *words, execfn_addr, rand_addr, plat_addr, *w;
	uint8_t rnd[16];
	size_t total = 0;

	while (envp && envp[envc])
		total += strlen(envp[envc++]) + 1;
	for (i = 0; i < argv->n; i++)
		total += strlen(argv->v[i]) + 1;
	if (total > t->tg->rlim[RLIMIT_STACK].rlim_cur / 4)
		return -E2BIG;

	uint64_t *env_addr = xcalloc((size_t)envc + 1, sizeof(uint64_t));
	uint64_t *arg_addr = xcalloc((size_t)argv->n + 1, sizeof(uint64_t));
	execfn_addr = push_bytes(&sb, execfn, strlen(execfn) + 1);
	mm->env_end = sb.sp + 0;
	for (i = envc - 1; i >= 0; i--)
		env_addr[i] = push_bytes(&sb, envp[i], strlen(envp[i]) + 1);
	mm->env_start = sb.sp;
	mm->arg_end = sb.sp;
	for (i = argv->n - 1; i >= 0; i--)
		arg_addr[i] = push_bytes(&sb, argv->v[i], strlen(argv->v[i]) + 1);
	mm->arg_start = sb.sp;
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		memset(rnd, 0x5a, sizeof(rnd));
	sb.sp &= ~15ULL;
	rand_addr = push_bytes(&sb, rnd, sizeof(rnd));
	plat_addr = push_bytes(&sb, "x86_64", 7);
	sb.sp &= ~15ULL;

	uint64_t auxv[] = {
		AT_SYSINFO_EHDR, mm->vdso_base,
		AT_HWCAP, auxv_hwcap(), AT_PAGESZ, PAGE_SIZE, AT_CLKTCK, 100,
		AT_PHDR, ei->phdr, AT_PHENT, sizeof(Elf64_Phdr), AT_PHNUM, ei->phnum,
		AT_BASE, interp_base, AT_FLAGS, 0, AT_ENTRY, ei->entry,
		AT_UID, t->creds.uid, AT_EUID, t->creds.euid, AT_GID, t->creds.gid,
		AT_EGID, t->creds.egid, AT_SECURE, 0, AT_RANDOM, rand_addr,
		AT_HWCAP2, 0, AT_EXECFN, execfn_addr, AT_PLATFORM, plat_addr, AT_NULL, 0,
	};
	nwords = 1 + argv->n + 1 + envc + 1 + (int)ARRAY_SIZE(auxv);
	if (nwords & 1)
		sb.sp -= 8; /* keep the final rsp 16-byte aligned */
	words = xcalloc((size_t)nwords, sizeof(uint64_t));
	w = words;
	*w++ = (uint64_t)argv->n;
	for (i = 0; i < argv->n; i++)
		*w++ = arg_addr[i];
	*w++ = 0;
	for (i = 0; i < envc; i++)
		*w++ = env_addr[i];
	*w++ = 0;
	memcpy(w, auxv, sizeof(auxv));
	push_bytes(&sb, words, (size_t)nwords * sizeof(uint64_t));
	memcpy(mm->auxv, auxv, sizeof(auxv));
	mm->auxv_len = (int)ARRAY_SIZE(auxv);
	free(words);
	free(env_addr);
	free(arg_addr);
	*sp_out = sb.sp;
	return sb.err;
}

/* The stack VMA holds the arguments plus Linux's 128 KiB head room and grows down on
 * faults (MAP_GROWSDOWN) up to RLIMIT_STACK; mmap_base leaves it that much room. */
static int map_stack(struct task *t, struct mm *mm, const struct strvec *argv,
		     char *const envp[])
{
	uint64_t rlim = t->tg->rlim[RLIMIT_STACK].rlim_cur, size = PAGE_SIZE, gap;
	int n = argv->n;

	for (int i = 0; i < argv->n; i++)
		size += strlen(argv->v[i]) + 1;
	for (int i = 0; envp && envp[i]; i++, n++)
		size += strlen(envp[i]) + 1;
	size += (uint64_t)(n + 2) * 8 + sizeof(mm->auxv) + 64;
	size = ALIGN_UP(size, PAGE_SIZE) + STACK_EXPAND;
	int64_t r = mm_mmap(mm, STACK_TOP - size, size, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_GROWSDOWN, NULL, 0);
	if (r < 0)
		return (int)r;
	mm_set_name(mm, STACK_TOP - PAGE_SIZE, "[stack]");
	gap = rlim == RLIM_INFINITY ? MMAP_GAP_MAX : rlim + STACK_GUARD_PAD;
	gap = MIN(MAX(gap, MMAP_GAP_MIN), MMAP_GAP_MAX);
	mm->mmap_base = ALIGN_DOWN(STACK_TOP - gap, PAGE_SIZE);
	return 0;
}

/* A file the task may run but not read leaves the new image not dumpable, so that its
 * memory cannot be read through ptrace or /proc (Linux: would_dump). */
static void would_dump(struct task *t, struct file *f, bool *nondump)
{
	if (!vfs_exec_readable(t, f))
		*nondump = true;
}

/* Open path (relative to dirfd, with execveat's flags), following #! scripts; returns the
 * ELF file and the final argv. Interpreters are looked up from the cwd as Linux does. */
static int open_binary(struct task *t, int dirfd, const char *path, int at_flags,
		       struct strvec *argv, struct file **out, bool *nondump)
{
	char buf[BINPRM_BUF_SIZE], interp[BINPRM_BUF_SIZE], cur[4096];
	int err;

	snprintf(cur, sizeof(cur), "%s", path);
	for (int depth = 0; depth <= SCRIPT_DEPTH; depth++) {
		struct file *f;
		err = depth == 0 ? vfs_open_exec_at(t, dirfd, cur, at_flags, &f)
				 : vfs_open_exec(t, cur, &f);
		if (err)
			return err;
		would_dump(t, f, nondump);
		ssize_t n = file_pread_kernel(f, buf, sizeof(buf), 0);
		if (n < 0) {
			file_put(f);
			return (int)n;
		}
		if (n < 2 || buf[0] != '#' || buf[1] != '!') {
			*out = f;
			return 0;
		}
		file_put(f);
		err = script_rewrite(buf, (size_t)n, cur, argv, interp, sizeof(interp));
		if (err)
			return err;
		snprintf(cur, sizeof(cur), "%s", interp);
	}
	return -ELOOP;
}

static int load_interp(struct mm *mm, struct file *f, struct elf_info *ii)
{
	int err = elf_load(mm, f, true, ii);

	if (!err && ii->interp[0])
		err = -ELIBBAD;
	return err;
}

int loader_exec(struct task *t, int dirfd, const char *path, int at_flags, char *const argv[],
		char *const envp[], struct exec_image *img)
{
	struct strvec av = {0};
	struct elf_info ei, ii;
	struct file *f = NULL;
	struct mm *mm = NULL;
	struct file *interp_f = NULL;
	char interp[sizeof(ei.interp)];
	uint64_t entry, base = 0;
	int err;

	for (int i = 0; argv && argv[i]; i++) {
		if (strlen(argv[i]) >= MAX_ARG_STRLEN) {
			err = -E2BIG;
			goto out;
		}
		strvec_push(&av, argv[i]);
	}
	img->nondump = false;
	err = open_binary(t, dirfd, path, at_flags, &av, &f, &img->nondump);
	if (err)
		goto out;
	/* The interpreter is opened first, as Linux does (a missing one is ENOENT). */
	err = elf_read_interp(f, interp, sizeof(interp));
	if (!err && interp[0])
		err = vfs_open_exec(t, interp, &interp_f);
	if (err)
		goto out;
	if (interp_f)
		would_dump(t, interp_f, &img->nondump);
	mm = mm_new();
	err = elf_load(mm, f, false, &ei);
	if (err)
		goto out;
	entry = ei.entry;
	if (interp_f) {
		err = load_interp(mm, interp_f, &ii);
		if (err)
			goto out;
		entry = ii.entry;
		base = ii.bias;
	}
	mm->brk_start = mm->brk = ALIGN_UP(ei.end, PAGE_SIZE);
	mm->start_data = ei.start_data;
	mm->end_data = ei.end_data;
	mm->stack_top = STACK_TOP;
	err = map_stack(t, mm, &av, envp);
	if (err)
		goto out;
	err = vdso_map(mm);
	if (err)
		goto out;
	err = build_stack(t, mm, &av, envp, path, &ei, base, &img->sp);
	if (err)
		goto out;
	snprintf(mm->exe_path, sizeof(mm->exe_path), "%s", path);
	const char *slash = strrchr(path, '/');
	snprintf(img->comm, sizeof(img->comm), "%s", slash ? slash + 1 : path);
	img->entry = entry;
	img->mm = mm;
	mm = NULL;
out:
	if (mm)
		mm_put(mm);
	if (interp_f)
		file_put(interp_f);
	if (f)
		file_put(f);
	strvec_free(&av);
	return err;
}
