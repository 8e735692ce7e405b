/* exec_malformed: execve of malformed executables fails with Linux's errno, never runs and
 * never harms the caller: truncated headers, foreign machines, bad program headers, a
 * missing interpreter, #! chains that are missing or too deep. */
#include "harness.h"

#include <elf.h>
#include <stddef.h>

/* execve path in a child; its exit code is 100 + errno (or 99 if execve returned 0). */
static int exec_errno(const char *path)
{
	pid_t pid = fork();
	int st;

	if (pid == 0) {
		char *argv[] = {(char *)path, NULL}, *envp[] = {NULL};
		execve(path, argv, envp);
		_exit(100 + errno);
	}
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st) - 100;
}

static const char *write_exec(const char *name, const void *data, size_t size)
{
	const char *p = h_path(name);
	int fd = open(p, O_CREAT | O_TRUNC | O_WRONLY, 0755);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
		perror(p);
		exit(2);
	}
	close(fd);
	return p;
}

/* A minimal but wrong ELF header: callers break one field each. */
static Elf64_Ehdr base_header(void)
{
	Elf64_Ehdr h;

	memset(&h, 0, sizeof(h));
	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = ELFCLASS64;
	h.e_ident[EI_DATA] = ELFDATA2LSB;
	h.e_ident[EI_VERSION] = EV_CURRENT;
	h.e_type = ET_EXEC;
	h.e_machine = EM_X86_64;
	h.e_version = EV_CURRENT;
	h.e_phoff = sizeof(h);
	h.e_ehsize = sizeof(h);
	h.e_phentsize = sizeof(Elf64_Phdr);
	h.e_phnum = 1;
	return h;
}

static void truncated_and_foreign_elves_are_enoexec(void)
{
	Elf64_Ehdr h = base_header();

	CHECK_EQ(exec_errno(write_exec("short", "\177ELF\2\1\1", 7)), ENOEXEC);
	h.e_machine = EM_AARCH64;
	CHECK_EQ(exec_errno(write_exec("arm", &h, sizeof(h))), ENOEXEC);
	h = base_header();
	h.e_phentsize = 7;
	CHECK_EQ(exec_errno(write_exec("phentsize", &h, sizeof(h))), ENOEXEC);
	h = base_header();
	h.e_phnum = 0;
	CHECK_EQ(exec_errno(write_exec("nophdr", &h, sizeof(h))), ENOEXEC);
	h = base_header();
	h.e_type = ET_REL;
	CHECK_EQ(exec_errno(write_exec("relocatable", &h, sizeof(h))), ENOEXEC);
}

static void missing_interpreter_is_enoent(void)
{
	struct elf_with_interp {
		Elf64_Ehdr h;
		Elf64_Phdr ph;
		char interp[32];
	} f;

	memset(&f, 0, sizeof(f));
	f.h = base_header();
	f.ph.p_type = PT_INTERP;
	f.ph.p_offset = offsetof(struct elf_with_interp, interp);
	f.ph.p_filesz = sizeof("/no/such/ld.so");
	strcpy(f.interp, "/no/such/ld.so");
	CHECK_EQ(exec_errno(write_exec("badinterp", &f, sizeof(f))), ENOENT);
}

static void scripts_with_bad_interpreters(void)
{
	char buf[256];

	CHECK_EQ(exec_errno(write_exec("noint.sh", "#!/no/such/shell\n", 17)), ENOENT);
	CHECK_EQ(exec_errno(write_exec("empty.sh", "#!\n", 3)), ENOEXEC);
	/* A chain of scripts, each the interpreter of the next, deeper than Linux allows. */
	const char *prev = "/bin/true";
	char name[32];
	for (int i = 0; i < 6; i++) {
		snprintf(name, sizeof(name), "chain%d", i);
		int n = snprintf(buf, sizeof(buf), "#!%s\n", prev);
		prev = write_exec(name, buf, (size_t)n);
	}
	CHECK_EQ(exec_errno(prev), ELOOP);
	/* No execute permission: EACCES. */
	const char *p = h_make_file("noexec", "#!/bin/true\n");
	CHECK_EQ(exec_errno(p), EACCES);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(truncated_and_foreign_elves_are_enoexec);
	RUN(missing_interpreter_is_enoent);
	RUN(scripts_with_bad_interpreters);
	return h_end();
}
