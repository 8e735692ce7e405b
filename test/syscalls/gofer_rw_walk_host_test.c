/* gofer_rw_walk_host: path walks on a read-write bind mount (see with_host_files.sh: its
 * $H_RW_DIR): several threads stat'ing the same names at once, stats racing renames of the
 * name (every answer is the file's own inode or ENOENT, and the name is cached once), and
 * search permission for a caller that is not root, on the mount root and below it, as
 * the directory's mode changes. Natively the same directory is a plain host directory. */
#include "harness.h"

#include <grp.h>
#include <pthread.h>

#define STATS 1500
#define RENAMES 300

static const char *g_rw;

/* Path of name in the mount (per-thread rotation of 4 buffers). */
static const char *rw_path(const char *name)
{
	static __thread char bufs[4][PATH_MAX];
	static __thread int next;
	char *b = bufs[next++ & 3];

	snprintf(b, PATH_MAX, "%s/%s", g_rw, name);
	return b;
}

struct stat_job {
	char path[PATH_MAX];
	ino_t ino;
	int bad; /* answers other than the file's inode */
};

static void *stat_loop(void *arg)
{
	struct stat_job *j = arg;
	struct stat st;

	for (int i = 0; i < STATS; i++)
		if (stat(j->path, &st) < 0 || st.st_ino != j->ino || st.st_size != 8192)
			j->bad++;
	return NULL;
}

static void concurrent_stats_agree(void)
{
	struct stat_job jobs[3];
	pthread_t th[3];
	struct stat st;

	CHECK_OK(stat(rw_path("a"), &st));
	for (int i = 0; i < 3; i++) {
		snprintf(jobs[i].path, sizeof(jobs[i].path), "%s", rw_path("a"));
		jobs[i].ino = st.st_ino;
		jobs[i].bad = 0;
		CHECK_EQ(pthread_create(&th[i], NULL, stat_loop, &jobs[i]), 0);
	}
	for (int i = 0; i < 3; i++) {
		CHECK_EQ(pthread_join(th[i], NULL), 0);
		CHECK_EQ(jobs[i].bad, 0);
	}
}

static volatile int g_renaming;

static void *rename_loop(void *arg)
{
	int *failed = arg;

	for (int i = 0; i < RENAMES; i++) {
		if (rename(rw_path("x"), rw_path("y")) < 0 || rename(rw_path("y"), rw_path("x")) < 0)
			(*failed)++;
	}
	g_renaming = 0;
	return NULL;
}

/* How many times dir lists name. */
static int count_listed(const char *dir, const char *name)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += !strcmp(de->d_name, name);
	closedir(d);
	return n;
}

static void stats_racing_renames_see_the_file_or_enoent(void)
{
	int fd = CHECK_OK(open(rw_path("x"), O_CREAT | O_WRONLY | O_TRUNC, 0644));
	int failed = 0, wrong = 0, found = 0, other = 0;
	struct stat st, got;
	pthread_t th;

	CHECK_OK(fstat(fd, &st));
	close(fd);
	g_renaming = 1;
	CHECK_EQ(pthread_create(&th, NULL, rename_loop, &failed), 0);
	while (g_renaming) {
		const char *names[2] = {"x", "y"};

		for (int i = 0; i < 2; i++) {
			if (stat(rw_path(names[i]), &got) == 0)
				found++, wrong += got.st_ino != st.st_ino;
			else if (errno != ENOENT)
				other++;
		}
	}
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(failed, 0);
	CHECK_EQ(wrong, 0);
	CHECK_EQ(other, 0);
	CHECK(found > 0);
	/* Afterwards: x is the file, y is gone, and each is cached (and listed) once. */
	CHECK_OK(stat(rw_path("x"), &got));
	CHECK_EQ(got.st_ino, st.st_ino);
	CHECK_ERR(stat(rw_path("y"), &got), ENOENT);
	CHECK_EQ(count_listed(g_rw, "x"), 1);
	CHECK_EQ(count_listed(g_rw, "y"), 0);
	CHECK_OK(unlink(rw_path("x")));
	CHECK_ERR(stat(rw_path("x"), &got), ENOENT);
}

/* stat(path) by uid/gid 65534 in a child: 0 or the errno. */
static int stat_as_nobody(const char *path)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct stat st;

		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(100);
		_exit(stat(path, &st) == 0 ? 0 : errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void search_permission_follows_the_mode(void)
{
	struct stat st;

	CHECK_OK(stat(g_rw, &st));
	CHECK_OK(mkdir(rw_path("sub"), 0755));
	CHECK_EQ(close(CHECK_OK(open(rw_path("sub/f"), O_CREAT | O_WRONLY, 0644))), 0);
	/* The mount root. */
	CHECK_EQ(stat_as_nobody(rw_path("a")), 0);
	CHECK_OK(chmod(g_rw, 0700));
	CHECK_EQ(stat_as_nobody(rw_path("a")), EACCES);
	CHECK_EQ(stat_as_nobody(rw_path("missing")), EACCES); /* EACCES before ENOENT */
	CHECK_OK(chmod(g_rw, 0754)); /* others may read, not search */
	CHECK_EQ(stat_as_nobody(rw_path("a")), EACCES);
	CHECK_OK(chmod(g_rw, 0711));
	CHECK_EQ(stat_as_nobody(rw_path("a")), 0);
	CHECK_EQ(stat_as_nobody(rw_path("missing")), ENOENT);
	/* A directory below it. */
	CHECK_EQ(stat_as_nobody(rw_path("sub/f")), 0);
	CHECK_OK(chmod(rw_path("sub"), 0700));
	CHECK_EQ(stat_as_nobody(rw_path("sub/f")), EACCES);
	CHECK_OK(chmod(rw_path("sub"), 0755));
	CHECK_EQ(stat_as_nobody(rw_path("sub/f")), 0);
	CHECK_OK(chmod(g_rw, st.st_mode & 07777));
	CHECK_OK(unlink(rw_path("sub/f")));
	CHECK_OK(rmdir(rw_path("sub")));
}

int main(void)
{
	h_begin();
	g_rw = getenv("H_RW_DIR");
	if (!g_rw) {
		fprintf(stderr, "gofer_rw_walk_host_test: no $H_RW_DIR: run it through "
				"test/syscalls/with_host_files.sh (CTest does)\n");
		return 2;
	}
	RUN(concurrent_stats_agree);
	RUN(stats_racing_renames_see_the_file_or_enoent);
	RUN(search_permission_follows_the_mode);
	return h_end();
}
