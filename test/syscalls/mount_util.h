/* mount_util.h: what the mount tests share: each case runs in a child process inside a
 * mount namespace of its own whose mounts are all private, so natively the host's mount
 * table is never touched; and lookups in /proc/self/mountinfo. */
#ifndef RUNSC_TEST_SYSCALLS_MOUNT_UTIL_H
#define RUNSC_TEST_SYSCALLS_MOUNT_UTIL_H

#include <sched.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/wait.h>

/* Run fn in a child in a new private mount namespace; its failed checks fail the case,
 * and its checks count in the summary. */
static void in_private_ns(void (*fn)(void))
{
	static int *child_checks;
	pid_t pid;
	int st;

	if (!child_checks)
		child_checks = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	*child_checks = 0;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		g_case_fails = 0;
		g_checks = 0;
		if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
			printf("  setup: cannot make a private mount namespace: %s\n",
			       h_errname(errno));
			fflush(stdout);
			_exit(3);
		}
		fn();
		*child_checks = g_checks;
		fflush(stdout);
		_exit(g_case_fails ? 1 : 0);
	}
	CHECK(pid > 0);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK_EQ(WIFEXITED(st) ? WEXITSTATUS(st) : 100 + WTERMSIG(st), 0);
	g_checks += *child_checks;
}

/* The line of file whose mount point (field number field, from 0) is path (the last
 * such), or "". */
static const char *mount_line(const char *file, int field, const char *path)
{
	static char found[1024];
	char line[1024], copy[1024], *save, *tok;
	FILE *f = fopen(file, "r");

	found[0] = '\0';
	if (!f)
		return found;
	while (fgets(line, sizeof(line), f)) {
		snprintf(copy, sizeof(copy), "%s", line);
		tok = strtok_r(copy, " ", &save);
		for (int i = 0; tok && i < field; i++)
			tok = strtok_r(NULL, " ", &save);
		if (tok && !strcmp(tok, path))
			snprintf(found, sizeof(found), "%s", line);
	}
	fclose(f);
	return found;
}

static const char *mountinfo_line(const char *path)
{
	return mount_line("/proc/self/mountinfo", 4, path);
}

static const char *mounts_line(const char *path)
{
	return mount_line("/proc/self/mounts", 1, path);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* A fresh directory in the scratch directory (removed first if there); its path stays
 * (h_path's buffers rotate). */
static const char *fresh_dir(const char *name)
{
	char *p = strdup(h_path(name));

	h_rm_tree(p);
	mkdir(p, 0755);
	return p;
}

#endif
