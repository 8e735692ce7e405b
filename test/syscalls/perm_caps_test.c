/* perm_caps: root's file permissions come from its capabilities, not its uid. A child of
 * root drops one capability from its effective set (capset) and loses what it grants:
 * CAP_DAC_OVERRIDE (reading and writing others' files, writing their directories),
 * CAP_DAC_READ_SEARCH (reading files, reading and searching directories), CAP_FOWNER
 * (chmod, explicit utimes, O_NOATIME and sticky-directory unlinks of others' files),
 * CAP_FSETID (keeping set-group-ID on chmod, set-user-ID over a write), CAP_CHOWN.
 * access() of a real root checks with the permitted set; linkat(AT_EMPTY_PATH) of an fd
 * the caller opened with other credentials needs CAP_DAC_READ_SEARCH. */
#include "harness.h"

#include <linux/capability.h>
#include <sys/time.h>

#define OTHER 1000

static int g_mine = -1; /* opened by the parent, with all its capabilities */

static int cap_drop(const int *caps, int n)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d) < 0)
		return -1;
	for (int i = 0; i < n; i++)
		d[caps[i] / 32].effective &= ~(1u << (caps[i] % 32));
	return (int)syscall(SYS_capset, &h, d);
}

/* Run fn in a child whose effective set lacks the n capabilities in caps. */
static void without(const int *caps, int n, void (*fn)(void))
{
	pid_t pid;
	int st;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		CHECK_OK(cap_drop(caps, n));
		fn();
		_exit(g_case_fails ? 1 : 0);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* name in the scratch directory, owned by OTHER, with mode. */
static const char *others(const char *name, mode_t mode)
{
	const char *p = h_make_file(name, "data");

	CHECK_OK(chown(p, OTHER, OTHER));
	CHECK_OK(chmod(p, mode));
	return p;
}

static const char *others_dir(const char *name, mode_t mode)
{
	const char *p = h_path(name);

	CHECK_OK(mkdir(p, 0777));
	CHECK_OK(chown(p, OTHER, OTHER));
	CHECK_OK(chmod(p, mode));
	return p;
}

static void no_dac_override(void)
{
	char path[PATH_MAX];
	struct stat st;
	int fd;

	/* Reading still works through CAP_DAC_READ_SEARCH; writing does not. */
	fd = CHECK_OK(open(h_path("f600"), O_RDONLY));
	close(fd);
	CHECK_ERR(open(h_path("f600"), O_WRONLY), EACCES);
	CHECK_ERR(open(h_path("f600"), O_RDWR), EACCES);
	CHECK_OK(stat(h_path("d700/inner"), &st));
	snprintf(path, sizeof(path), "%s/new", h_path("d700"));
	CHECK_ERR(open(path, O_CREAT | O_WRONLY, 0600), EACCES);
	/* access() checks with the permitted set when the real uid is 0. */
	CHECK_OK(access(h_path("f600"), W_OK));
	CHECK_ERR(faccessat(AT_FDCWD, h_path("f600"), W_OK, AT_EACCESS), EACCES);
}

static void no_dac_at_all(void)
{
	struct stat st;
	DIR *d;
	int fd;

	CHECK_ERR(open(h_path("f600"), O_RDONLY), EACCES);
	CHECK_ERR(stat(h_path("d700/inner"), &st), EACCES);
	d = opendir(h_path("d700"));
	CHECK(d == NULL && errno == EACCES);
	if (d)
		closedir(d);
	CHECK_OK(stat(h_path("f600"), &st)); /* the scratch directory is searchable */
	/* linkat of an fd by AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH, unless the caller
	 * opened it with the credentials it has now (Linux 6.10 on). */
	CHECK_ERR(linkat(g_mine, "", AT_FDCWD, h_path("mine2"), AT_EMPTY_PATH), ENOENT);
	fd = CHECK_OK(open(h_path("mine"), O_RDONLY));
	CHECK_OK(linkat(fd, "", AT_FDCWD, h_path("mine2"), AT_EMPTY_PATH));
	close(fd);
	CHECK_OK(unlink(h_path("mine2")));
}

static void no_read_search(void)
{
	struct stat st;
	DIR *d;
	int fd;

	/* CAP_DAC_OVERRIDE alone still reads, writes and searches. */
	fd = CHECK_OK(open(h_path("f600"), O_RDWR));
	close(fd);
	CHECK_OK(stat(h_path("d700/inner"), &st));
	d = opendir(h_path("d700"));
	CHECK(d != NULL);
	if (d)
		closedir(d);
}

static void dac_capabilities(void)
{
	const int over[] = { CAP_DAC_OVERRIDE };
	const int both[] = { CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH };
	const int search[] = { CAP_DAC_READ_SEARCH };
	char inner[PATH_MAX];

	others("f600", 0600);
	others_dir("d700", 0700);
	h_make_file("mine", "data");
	g_mine = CHECK_OK(open(h_path("mine"), O_RDONLY));
	snprintf(inner, sizeof(inner), "%s/inner", h_path("d700"));
	CHECK_OK(mkdir(inner, 0755));
	without(over, 1, no_dac_override);
	without(both, 2, no_dac_at_all);
	without(search, 1, no_read_search);
	CHECK_OK(linkat(g_mine, "", AT_FDCWD, h_path("mine2"), AT_EMPTY_PATH));
	close(g_mine);
}

static void no_fowner(void)
{
	struct timespec ts[2] = { { 1, 0 }, { 2, 0 } };
	char victim[PATH_MAX];

	CHECK_ERR(chmod(h_path("fo"), 0644), EPERM);
	CHECK_ERR(utimensat(AT_FDCWD, h_path("fo"), ts, 0), EPERM);
	CHECK_OK(utimensat(AT_FDCWD, h_path("fo"), NULL, 0)); /* writable: "now" is allowed */
	CHECK_ERR(open(h_path("fo"), O_RDONLY | O_NOATIME), EPERM);
	snprintf(victim, sizeof(victim), "%s/victim", h_path("sticky"));
	CHECK_ERR(unlink(victim), EPERM);
}

static void fowner_capability(void)
{
	const int fowner[] = { CAP_FOWNER };
	char victim[PATH_MAX];
	int fd;

	others("fo", 0666);
	others_dir("sticky", 01777);
	snprintf(victim, sizeof(victim), "%s/victim", h_path("sticky"));
	fd = CHECK_OK(open(victim, O_CREAT | O_WRONLY, 0644));
	close(fd);
	CHECK_OK(chown(victim, OTHER, OTHER));
	without(fowner, 1, no_fowner);
	/* With it, root does all of that. */
	CHECK_OK(chmod(h_path("fo"), 0644));
	fd = CHECK_OK(open(h_path("fo"), O_RDONLY | O_NOATIME));
	close(fd);
	CHECK_OK(unlink(victim));
}

static void no_fsetid(void)
{
	struct stat st;
	int fd;

	/* The file's group is not root's: set-group-ID is dropped without a word. */
	CHECK_OK(chmod(h_path("sg"), 02755));
	CHECK_OK(stat(h_path("sg"), &st));
	CHECK_EQ(st.st_mode & 07777, 0755);
	fd = CHECK_OK(open(h_path("su"), O_WRONLY));
	CHECK_EQ(write(fd, "x", 1), 1);
	close(fd);
	CHECK_OK(stat(h_path("su"), &st));
	CHECK_EQ(st.st_mode & 07777, 0755);
}

static void fsetid_capability(void)
{
	const int fsetid[] = { CAP_FSETID };
	struct stat st;
	int fd;

	h_make_file("sg", "data");
	CHECK_OK(chown(h_path("sg"), 0, OTHER));
	h_make_file("su", "data");
	CHECK_OK(chmod(h_path("su"), 06755));
	without(fsetid, 1, no_fsetid);
	/* With it, both bits stay. */
	CHECK_OK(chmod(h_path("sg"), 02755));
	CHECK_OK(stat(h_path("sg"), &st));
	CHECK_EQ(st.st_mode & 07777, 02755);
	CHECK_OK(chmod(h_path("su"), 06755));
	fd = CHECK_OK(open(h_path("su"), O_WRONLY));
	CHECK_EQ(write(fd, "x", 1), 1);
	close(fd);
	CHECK_OK(stat(h_path("su"), &st));
	CHECK_EQ(st.st_mode & 07777, 06755);
}

static void no_chown(void)
{
	CHECK_ERR(chown(h_path("ch"), OTHER, -1), EPERM);
	CHECK_ERR(chown(h_path("ch"), -1, OTHER), EPERM);
	CHECK_OK(chown(h_path("ch"), 0, 0)); /* the owner keeping what it has */
}

static void chown_capability(void)
{
	const int chown_cap[] = { CAP_CHOWN };

	h_make_file("ch", "data");
	without(chown_cap, 1, no_chown);
	CHECK_OK(chown(h_path("ch"), OTHER, OTHER));
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	if (geteuid() != 0) {
		printf("FAIL: perm_caps_test must run as root\n");
		return 1;
	}
	RUN(dac_capabilities);
	RUN(fowner_capability);
	RUN(fsetid_capability);
	RUN(chown_capability);
	return h_end();
}
