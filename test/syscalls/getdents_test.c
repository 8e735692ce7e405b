/* getdents64 (and the old getdents): entry names, types, inode numbers, small buffers and
 * errnos. */
#include "harness.h"

#include <stddef.h>

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

#define MAX_SEEN 256

struct listing {
	int count;
	char names[MAX_SEEN][32];
	unsigned char types[MAX_SEEN];
	unsigned long long inos[MAX_SEEN];
};

/* Read the whole directory with a buffer of bufsize; -errno on failure. */
static int list_dir(const char *path, size_t bufsize, struct listing *out)
{
	char buf[8192];
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	long n;

	out->count = 0;
	if (fd < 0)
		return -errno;
	while ((n = syscall(SYS_getdents64, fd, buf, bufsize)) > 0) {
		for (long off = 0; off < n;) {
			struct linux_dirent64 *d = (void *)(buf + off);

			if (out->count < MAX_SEEN) {
				snprintf(out->names[out->count], 32, "%s", d->d_name);
				out->types[out->count] = d->d_type;
				out->inos[out->count] = d->d_ino;
				out->count++;
			}
			off += d->d_reclen;
		}
	}
	close(fd);
	return n < 0 ? -errno : 0;
}

static int find(const struct listing *l, const char *name)
{
	int hits = -1;

	for (int i = 0; i < l->count; i++) {
		if (!strcmp(l->names[i], name)) {
			if (hits >= 0)
				return -2;	/* duplicate */
			hits = i;
		}
	}
	return hits;
}

static struct listing g_list;

static void getdents_lists_each_entry_once_with_type(void)
{
	const char *d = h_path("d1");
	char p[128];
	struct stat st;
	int i;

	CHECK_OK(mkdir(d, 0755));
	for (const char *const *n = (const char *const[]){ "a", "b", "c", NULL }; *n; n++) {
		snprintf(p, sizeof(p), "%s/%s", d, *n);
		close(open(p, O_CREAT | O_WRONLY, 0644));
	}
	snprintf(p, sizeof(p), "%s/sub", d);
	CHECK_OK(mkdir(p, 0755));

	CHECK_EQ(list_dir(d, 8192, &g_list), 0);
	CHECK_EQ(g_list.count, 6);
	CHECK(find(&g_list, ".") >= 0);
	CHECK(find(&g_list, "..") >= 0);
	i = find(&g_list, "a");
	CHECK(i >= 0);
	if (i >= 0) {
		CHECK_EQ(g_list.types[i], DT_REG);
		snprintf(p, sizeof(p), "%s/a", d);
		CHECK_OK(stat(p, &st));
		CHECK_EQ(g_list.inos[i], st.st_ino);
	}
	CHECK(find(&g_list, "b") >= 0);
	CHECK(find(&g_list, "c") >= 0);
	i = find(&g_list, "sub");
	CHECK(i >= 0);
	if (i >= 0)
		CHECK_EQ(g_list.types[i], DT_DIR);
	i = find(&g_list, ".");
	if (i >= 0)
		CHECK_EQ(g_list.types[i], DT_DIR);
}

static void getdents_empty_dir_has_dot_entries_only(void)
{
	const char *d = h_path("empty");

	CHECK_OK(mkdir(d, 0755));
	CHECK_EQ(list_dir(d, 8192, &g_list), 0);
	CHECK_EQ(g_list.count, 2);
	CHECK(find(&g_list, ".") >= 0);
	CHECK(find(&g_list, "..") >= 0);
}

static void getdents_small_buffer_pages_through_many_entries(void)
{
	const char *d = h_path("many");
	char p[128], name[16];
	int missing = 0;

	CHECK_OK(mkdir(d, 0755));
	for (int i = 0; i < 200; i++) {
		snprintf(p, sizeof(p), "%s/file%03d", d, i);
		close(open(p, O_CREAT | O_WRONLY, 0644));
	}
	/* 64 bytes holds only two or three records per call. */
	CHECK_EQ(list_dir(d, 64, &g_list), 0);
	CHECK_EQ(g_list.count, 202);
	for (int i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "file%03d", i);
		if (find(&g_list, name) < 0)
			missing++;
	}
	CHECK_EQ(missing, 0);
}

static void getdents_at_end_returns_zero(void)
{
	char buf[4096];
	int fd = CHECK_OK(open(h_path("empty"), O_RDONLY | O_DIRECTORY));

	CHECK(syscall(SYS_getdents64, fd, buf, sizeof(buf)) > 0);
	CHECK_EQ(syscall(SYS_getdents64, fd, buf, sizeof(buf)), 0);
	/* Rewinding lists the entries again. */
	CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
	CHECK(syscall(SYS_getdents64, fd, buf, sizeof(buf)) > 0);
	close(fd);
}

static void getdents_errors(void)
{
	char buf[4096];
	int dfd = CHECK_OK(open(h_path("empty"), O_RDONLY | O_DIRECTORY));
	int ffd = CHECK_OK(open(h_make_file("regular", "x"), O_RDONLY));

	CHECK_ERR(syscall(SYS_getdents64, ffd, buf, sizeof(buf)), ENOTDIR);
	CHECK_ERR(syscall(SYS_getdents64, 9999, buf, sizeof(buf)), EBADF);
	CHECK_ERR(syscall(SYS_getdents64, dfd, buf, 1), EINVAL);
	CHECK_ERR(syscall(SYS_getdents64, dfd, 1L, sizeof(buf)), EFAULT);
	close(ffd);
	close(dfd);
}

static void getdents_lists_host_root(void)
{
	CHECK_EQ(list_dir("/", 8192, &g_list), 0);
	CHECK(find(&g_list, "usr") >= 0);
	CHECK(find(&g_list, "etc") >= 0);
	CHECK(find(&g_list, "tmp") >= 0);
}

/* The original getdents: struct linux_dirent with d_type in the record's last byte. */
struct linux_dirent_old {
	unsigned long d_ino;
	unsigned long d_off;
	unsigned short d_reclen;
	char d_name[];
};

static void old_getdents_has_type_in_last_byte(void)
{
	char buf[4096], *p;
	int fd, seen = 0;
	long n;

	CHECK_OK(mkdir(h_path("old"), 0755));
	CHECK_OK(mkdir(h_path("old/d"), 0755));
	CHECK_OK(symlink("x", h_path("old/l")));
	h_make_file("old/regular-file", "x");
	fd = CHECK_OK(open(h_path("old"), O_RDONLY | O_DIRECTORY));
	CHECK_ERR(syscall(SYS_getdents, fd, buf, 20), EINVAL);
	n = CHECK_OK(syscall(SYS_getdents, fd, buf, sizeof(buf)));
	for (p = buf; p < buf + n;) {
		struct linux_dirent_old *d = (struct linux_dirent_old *)p;
		unsigned char type = (unsigned char)p[d->d_reclen - 1];
		struct stat st;

		CHECK_EQ(d->d_reclen % 8, 0);
		CHECK(d->d_reclen >= offsetof(struct linux_dirent_old, d_name) +
					    strlen(d->d_name) + 2);
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, "..")) {
			CHECK_EQ(type, DT_DIR);
		} else {
			char path[PATH_MAX];

			snprintf(path, sizeof(path), "%s/%s", h_path("old"), d->d_name);
			CHECK_OK(lstat(path, &st));
			CHECK_EQ(d->d_ino, st.st_ino);
			CHECK_EQ(type, !strcmp(d->d_name, "d") ? DT_DIR :
				 !strcmp(d->d_name, "l") ? DT_LNK : DT_REG);
		}
		seen++;
		p += d->d_reclen;
	}
	CHECK_EQ(seen, 5);
	CHECK_EQ(syscall(SYS_getdents, fd, buf, sizeof(buf)), 0);
	CHECK_ERR(syscall(SYS_getdents, 9999, buf, sizeof(buf)), EBADF);
	close(fd);
	fd = CHECK_OK(open(h_path("old/regular-file"), O_RDONLY));
	CHECK_ERR(syscall(SYS_getdents, fd, buf, sizeof(buf)), ENOTDIR);
	close(fd);
	h_rm_tree(h_path("old"));
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(getdents_lists_each_entry_once_with_type);
	RUN(getdents_empty_dir_has_dot_entries_only);
	RUN(getdents_small_buffer_pages_through_many_entries);
	RUN(getdents_at_end_returns_zero);
	RUN(getdents_errors);
	RUN(getdents_lists_host_root);
	RUN(old_getdents_has_type_in_last_byte);
	return h_end();
}
