/* gofer_server_test.c: the 9P client against the gofer server serving a temp tree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gofer/p9/client.h"
#include "gofer_test_util.h"

struct fixture {
	struct gofer_tree tree;
	struct gofer_thread server;
	struct p9_client *c;
	uint32_t root; /* attached fid */
	int fds_before;
};

static struct fixture *start(bool readonly, int type)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	struct p9_qid qid;
	int sock;

	fx->fds_before = gt_count_fds();
	gt_make(&fx->tree);
	sock = gt_start(&fx->server, fx->tree.root, readonly, type);
	assert_int_equal(p9c_connect(sock, 64 * 1024, &fx->c), 0);
	fx->root = p9c_fid_alloc(fx->c);
	assert_int_equal(p9c_attach(fx->c, fx->root, "root", 0, "", &qid), 0);
	assert_int_equal(qid.type, P9_QTDIR);
	return fx;
}

static void stop(struct fixture *fx)
{
	p9c_close(fx->c);
	assert_int_equal(gt_join(&fx->server), 0);
	gt_destroy(&fx->tree);
	/* Every fid, node and donated fd is gone again. */
	assert_int_equal(gt_count_fds(), fx->fds_before);
	free(fx);
}

static int setup_ro(void **state)
{
	*state = start(true, SOCK_STREAM);
	return 0;
}

static int setup_rw(void **state)
{
	*state = start(false, SOCK_STREAM);
	return 0;
}

static int setup_seqpacket(void **state)
{
	*state = start(true, SOCK_SEQPACKET);
	return 0;
}

static int teardown(void **state)
{
	stop(*state);
	return 0;
}

/* Walk from the root to a new fid; returns the fid or asserts. */
static uint32_t walk(struct fixture *fx, uint16_t n, const char *const *names)
{
	uint32_t fid = p9c_fid_alloc(fx->c);
	struct p9_qid qids[P9_MAXWELEM];
	uint16_t nqid;

	assert_int_equal(p9c_walk(fx->c, fx->root, fid, n, names, qids, &nqid), 0);
	assert_int_equal(nqid, n);
	return fid;
}

static uint32_t walk1(struct fixture *fx, const char *name)
{
	return walk(fx, 1, &name);
}

static void test_attach_getattr_root(void **state)
{
	struct fixture *fx = *state;
	struct p9_attr a;
	struct stat st;

	assert_int_equal(p9c_getattr(fx->c, fx->root, P9_GETATTR_ALL, &a), 0);
	assert_int_equal(stat(fx->tree.root, &st), 0);
	assert_true(S_ISDIR(a.mode));
	assert_int_equal(a.qid.path, st.st_ino);
	assert_int_equal(a.qid.type, P9_QTDIR);
	assert_int_equal(a.nlink, st.st_nlink);
	assert_true(a.valid & P9_GETATTR_BASIC);
}

static void test_walk_open_read(void **state)
{
	struct fixture *fx = *state;
	uint32_t fid = walk1(fx, "file.txt"), iounit;
	struct p9_attr a;
	struct p9_qid qid;
	char buf[64];
	int hostfd;

	assert_int_equal(p9c_getattr(fx->c, fid, P9_GETATTR_BASIC, &a), 0);
	assert_int_equal(a.size, 11);
	assert_true(S_ISREG(a.mode));
	assert_int_equal(p9c_lopen(fx->c, fid, O_RDONLY, &qid, &iounit, &hostfd), 0);
	assert_int_equal(qid.type, P9_QTFILE);
	assert_int_equal(p9c_read(fx->c, fid, 0, buf, sizeof(buf)), 11);
	assert_memory_equal(buf, "hello world", 11);
	assert_int_equal(p9c_read(fx->c, fid, 6, buf, 3), 3);
	assert_memory_equal(buf, "wor", 3);
	assert_int_equal(p9c_read(fx->c, fid, 100, buf, sizeof(buf)), 0);
	/* The donated host fd reads the same file. */
	assert_true(hostfd >= 0);
	assert_int_equal(pread(hostfd, buf, sizeof(buf), 0), 11);
	assert_memory_equal(buf, "hello world", 11);
	close(hostfd);
	assert_int_equal(p9c_lopen(fx->c, fid, O_RDONLY, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(p9c_clunk(fx->c, fid), 0);
	assert_int_equal(p9c_getattr(fx->c, fid, P9_GETATTR_BASIC, &a), -EBADF);
	assert_int_equal(p9c_clunk(fx->c, fid), -EBADF);
}

static void test_walk_multi_and_missing(void **state)
{
	struct fixture *fx = *state;
	const char *two[] = {"dir", "sub.txt"}, *miss[] = {"dir", "missing"};
	struct p9_qid qids[P9_MAXWELEM];
	uint32_t fid = walk(fx, 2, two), nf = p9c_fid_alloc(fx->c);
	uint16_t nqid = 99;
	char buf[8];

	assert_int_equal(p9c_lopen(fx->c, fid, O_RDONLY, NULL, NULL, NULL), 0);
	assert_int_equal(p9c_read(fx->c, fid, 0, buf, sizeof(buf)), 3);
	assert_int_equal(p9c_clunk(fx->c, fid), 0);

	const char *missing = "missing";
	assert_int_equal(p9c_walk(fx->c, fx->root, nf, 1, &missing, qids, &nqid), -ENOENT);
	assert_int_equal(nqid, 0);
	assert_int_equal(p9c_walk(fx->c, fx->root, nf, 2, miss, qids, &nqid), -ENOENT);
	assert_int_equal(nqid, 1);
	assert_int_equal(qids[0].type, P9_QTDIR);
	/* A short walk does not establish newfid. */
	assert_int_equal(p9c_clunk(fx->c, nf), -EBADF);
	const char *bad[] = {"a/b"};
	assert_int_equal(p9c_walk(fx->c, fx->root, nf, 1, bad, qids, &nqid), -EINVAL);
	assert_int_equal(p9c_walk(fx->c, fx->root, nf, P9_MAXWELEM + 1, bad, qids, &nqid),
			 -EINVAL);
}

static void test_dotdot_stays_in_root(void **state)
{
	struct fixture *fx = *state;
	const char *up[] = {"..", "..", "..", "outside"}, *up_dir[] = {"dir", "..", ".."};
	struct p9_qid qids[P9_MAXWELEM];
	uint32_t nf = p9c_fid_alloc(fx->c);
	uint16_t nqid;
	struct stat st;

	assert_int_equal(stat(fx->tree.root, &st), 0);
	/* ".." at the root is the root; "outside" beside the root is never found. */
	assert_int_equal(p9c_walk(fx->c, fx->root, nf, 4, up, qids, &nqid), -ENOENT);
	assert_int_equal(nqid, 3);
	for (int i = 0; i < 3; i++)
		assert_int_equal(qids[i].path, st.st_ino);
	assert_int_equal(p9c_walk(fx->c, fx->root, nf, 3, up_dir, qids, &nqid), 0);
	assert_int_equal(qids[1].path, st.st_ino);
	assert_int_equal(qids[2].path, st.st_ino);
	assert_int_equal(p9c_clunk(fx->c, nf), 0);
}

static void test_symlinks_never_followed(void **state)
{
	struct fixture *fx = *state;
	const char *through[] = {"escape", "secret"}, *abs_path[] = {"abs", "passwd"};
	struct p9_qid qids[P9_MAXWELEM];
	uint32_t nf = p9c_fid_alloc(fx->c), fid;
	uint16_t nqid;
	char buf[64];

	/* escape -> ../outside: walking through it stops at the link itself. */
	assert_int_equal(p9c_walk(fx->c, fx->root, nf, 2, through, qids, &nqid), -ENOENT);
	assert_int_equal(nqid, 1);
	assert_int_equal(qids[0].type, P9_QTSYMLINK);
	assert_int_equal(p9c_walk(fx->c, fx->root, nf, 2, abs_path, qids, &nqid), -ENOENT);
	assert_int_equal(nqid, 1);
	fid = walk1(fx, "escape");
	assert_int_equal(p9c_lopen(fx->c, fid, O_RDONLY, NULL, NULL, NULL), -ELOOP);
	assert_int_equal(p9c_readlink(fx->c, fid, buf, sizeof(buf)), 10);
	assert_string_equal(buf, "../outside");
	assert_int_equal(p9c_clunk(fx->c, fid), 0);
	fid = walk1(fx, "link");
	assert_int_equal(p9c_readlink(fx->c, fid, buf, 4), 4); /* truncates like readlink(2) */
	assert_memory_equal(buf, "file", 4);
	assert_int_equal(p9c_clunk(fx->c, fid), 0);
	assert_int_equal(p9c_readlink(fx->c, fx->root, buf, sizeof(buf)), -EINVAL);
}

/* Twalkgetattr: a walk and a getattr in one round trip; with P9_NOFID a stat by name. */
static void test_walkgetattr(void **state)
{
	struct fixture *fx = *state;
	const char *file = "file.txt", *two[] = {"dir", "sub.txt"}, *miss[] = {"dir", "missing"};
	const char *esc[] = {"escape", "secret"}, *up[] = {"..", ".."}, *bad = "a/b";
	uint32_t nf = p9c_fid_alloc(fx->c), nf2 = p9c_fid_alloc(fx->c);
	struct p9_attr a, da;
	struct stat st, dst;
	char path[300], buf[8];

	gt_path(&fx->tree, "file.txt", path, sizeof(path));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(stat(fx->tree.root, &dst), 0);
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, P9_NOFID, 1, &file, &a, &da), 0);
	assert_int_equal(a.size, 11);
	/* The directory walked from comes with it, as the host has it now. */
	assert_int_equal(da.qid.path, dst.st_ino);
	assert_int_equal(da.mode, dst.st_mode);
	assert_int_equal(chmod(fx->tree.root, 0711), 0);
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, P9_NOFID, 1, &file, &a, &da), 0);
	assert_int_equal(da.mode, S_IFDIR | 0711);
	assert_int_equal(chmod(fx->tree.root, dst.st_mode & 07777), 0);
	/* And with a new fid (a worker's walk, not the loop thread's stat by name). */
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, nf2, 1, &file, &a, &da), 0);
	assert_int_equal(da.mode, dst.st_mode);
	assert_int_equal(p9c_clunk(fx->c, nf2), 0);
	assert_int_equal(a.qid.path, st.st_ino);
	assert_int_equal(a.qid.type, P9_QTFILE);
	assert_true(S_ISREG(a.mode));
	/* A change made on the host is seen by the next stat by name. */
	gt_write(fx->tree.root, "file.txt", "hello again, world");
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, P9_NOFID, 1, &file, &a, NULL), 0);
	assert_int_equal(a.size, 18);
	/* Two names to a new fid that then reads the file. */
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, nf, 2, two, &a, NULL), 0);
	assert_int_equal(a.size, 3);
	assert_int_equal(p9c_lopen(fx->c, nf, O_RDONLY, NULL, NULL, NULL), 0);
	assert_int_equal(p9c_read(fx->c, nf, 0, buf, sizeof(buf)), 3);
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, nf, 1, &file, &a, NULL), -EBADF); /* in use */
	assert_int_equal(p9c_clunk(fx->c, nf), 0);
	/* Only a whole walk succeeds, and a failed one establishes no fid. */
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, nf, 2, miss, &a, NULL), -ENOENT);
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, P9_NOFID, 2, miss, &a, NULL), -ENOENT);
	assert_int_equal(p9c_clunk(fx->c, nf), -EBADF);
	/* A symlink is the link itself, never its target, and is not walked through. */
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, P9_NOFID, 1, esc, &a, NULL), 0);
	assert_true(S_ISLNK(a.mode));
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, P9_NOFID, 2, esc, &a, NULL), -ENOTDIR);
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, nf, 2, esc, &a, NULL), -ENOTDIR);
	/* ".." at the root stays there. */
	assert_int_equal(stat(fx->tree.root, &st), 0);
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, P9_NOFID, 2, up, &a, NULL), 0);
	assert_int_equal(a.qid.path, st.st_ino);
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, P9_NOFID, 1, &bad, &a, NULL), -EINVAL);
	assert_int_equal(p9c_walkgetattr(fx->c, 12345, P9_NOFID, 1, &file, &a, NULL), -EBADF);
	assert_int_equal(p9c_walkgetattr(fx->c, fx->root, fx->root, 1, &file, &a, NULL), -EINVAL);
}

struct names {
	char seen[16][32];
	int n;
	uint64_t last_off;
};

static int collect(void *arg, const struct p9_dirent *d)
{
	struct names *nm = arg;

	assert_true(nm->n < 16);
	memcpy(nm->seen[nm->n], d->name, d->name_len);
	nm->seen[nm->n][d->name_len] = '\0';
	nm->n++;
	nm->last_off = d->offset;
	return 0;
}

static bool has(const struct names *nm, const char *name)
{
	int hits = 0;

	for (int i = 0; i < nm->n; i++)
		hits += strcmp(nm->seen[i], name) == 0;
	return hits == 1;
}

static void test_readdir(void **state)
{
	struct fixture *fx = *state;
	uint32_t fid = walk(fx, 0, NULL);
	struct names nm = {0};
	ssize_t n;

	assert_int_equal(p9c_readdir(fx->c, fid, 0, 4096, collect, &nm), -EBADF); /* not open */
	assert_int_equal(p9c_lopen(fx->c, fid, O_RDONLY | O_DIRECTORY, NULL, NULL, NULL), 0);
	/* Small reads: one or two entries at a time, resumed from the last cookie. */
	while ((n = p9c_readdir(fx->c, fid, nm.last_off, 40, collect, &nm)) > 0)
		assert_true(n <= 1);
	assert_int_equal(n, 0);
	assert_int_equal(nm.n, 5);
	assert_true(has(&nm, "file.txt") && has(&nm, "dir") && has(&nm, "link"));
	assert_true(has(&nm, "escape") && has(&nm, "abs"));
	/* From the start again in one go. */
	memset(&nm, 0, sizeof(nm));
	assert_int_equal(p9c_readdir(fx->c, fid, 0, 8192, collect, &nm), 5);
	assert_int_equal(p9c_readdir(fx->c, fid, 0, 10, collect, &nm), -EINVAL); /* too small */
	assert_int_equal(p9c_clunk(fx->c, fid), 0);
}

static void test_statfs(void **state)
{
	struct fixture *fx = *state;
	struct p9_statfs st;

	assert_int_equal(p9c_statfs(fx->c, fx->root, &st), 0);
	assert_true(st.bsize > 0);
	assert_int_equal(st.namelen, 255);
	assert_true(st.blocks >= st.bfree);
}

static void test_readonly_refuses_writes(void **state)
{
	struct fixture *fx = *state;
	uint32_t dir = walk(fx, 0, NULL), file = walk1(fx, "file.txt");
	struct p9_setattr sa = {.valid = P9_SETATTR_SIZE};
	struct stat st;
	char p[256];

	assert_int_equal(p9c_lcreate(fx->c, dir, "new", O_RDWR, 0644, 0, NULL, NULL, NULL),
			 -EROFS);
	assert_int_equal(p9c_mkdir(fx->c, fx->root, "d", 0755, 0, NULL), -EROFS);
	assert_int_equal(p9c_symlink(fx->c, fx->root, "s", "t", 0, NULL), -EROFS);
	assert_int_equal(p9c_unlinkat(fx->c, fx->root, "file.txt", 0), -EROFS);
	assert_int_equal(p9c_renameat(fx->c, fx->root, "file.txt", fx->root, "x"), -EROFS);
	assert_int_equal(p9c_setattr(fx->c, file, &sa), -EROFS);
	assert_int_equal(p9c_lopen(fx->c, file, O_WRONLY, NULL, NULL, NULL), -EROFS);
	assert_int_equal(p9c_lopen(fx->c, file, O_RDONLY | O_TRUNC, NULL, NULL, NULL), -EROFS);
	assert_int_equal(p9c_lopen(fx->c, file, O_RDONLY, NULL, NULL, NULL), 0);
	assert_int_equal(p9c_write(fx->c, file, 0, "x", 1), -EROFS);
	assert_int_equal(p9c_fsync(fx->c, file), 0); /* changes nothing: allowed */
	gt_path(&fx->tree, "file.txt", p, sizeof(p));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 11);
	p9c_clunk(fx->c, dir);
	p9c_clunk(fx->c, file);
}

static void test_rw_create_write_rename_unlink(void **state)
{
	struct fixture *fx = *state;
	uint32_t dir = walk(fx, 0, NULL), other = walk(fx, 0, NULL), iounit, fid;
	struct p9_qid qid;
	struct stat st;
	char p[256], buf[16];
	int hostfd;

	assert_int_equal(p9c_lcreate(fx->c, dir, "new.txt", O_RDWR, 0640, 0, &qid, &iounit,
				     &hostfd),
			 0);
	assert_int_equal(hostfd, -1); /* only read-only opens are donated */
	assert_int_equal(qid.type, P9_QTFILE);
	assert_int_equal(p9c_write(fx->c, dir, 0, "abcdef", 6), 6);
	assert_int_equal(p9c_read(fx->c, dir, 2, buf, sizeof(buf)), 4);
	assert_memory_equal(buf, "cdef", 4);
	assert_int_equal(p9c_fsync(fx->c, dir), 0);
	gt_path(&fx->tree, "new.txt", p, sizeof(p));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 6);
	assert_int_equal(st.st_mode & 07777, 0640);
	assert_int_equal(p9c_lcreate(fx->c, other, "new.txt", O_RDWR, 0640, 0, NULL, NULL, NULL),
			 -EEXIST);
	assert_int_equal(p9c_lcreate(fx->c, other, "..", O_RDWR, 0640, 0, NULL, NULL, NULL),
			 -EINVAL);

	/* A fid walked to the file keeps working after a rename (reopened by new name). */
	fid = walk1(fx, "new.txt");
	assert_int_equal(p9c_mkdir(fx->c, fx->root, "newdir", 0700, 0, &qid), 0);
	assert_int_equal(qid.type, P9_QTDIR);
	uint32_t nd = walk1(fx, "newdir");
	assert_int_equal(p9c_renameat(fx->c, fx->root, "new.txt", nd, "moved.txt"), 0);
	gt_path(&fx->tree, "newdir/moved.txt", p, sizeof(p));
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(p9c_lopen(fx->c, fid, O_RDONLY, NULL, NULL, NULL), 0);
	assert_int_equal(p9c_read(fx->c, fid, 0, buf, 3), 3);
	assert_memory_equal(buf, "abc", 3);

	struct p9_setattr sa = {.valid = P9_SETATTR_SIZE | P9_SETATTR_MODE | P9_SETATTR_MTIME |
					 P9_SETATTR_MTIME_SET,
				.mode = 0600,
				.size = 2,
				.mtime_sec = 1000000000};
	assert_int_equal(p9c_setattr(fx->c, fid, &sa), 0);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 2);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_mtime, 1000000000);

	assert_int_equal(p9c_symlink(fx->c, nd, "sl", "moved.txt", 0, &qid), 0);
	assert_int_equal(qid.type, P9_QTSYMLINK);
	uint32_t sl = walk(fx, 2, (const char *[]){"newdir", "sl"});
	assert_int_equal(p9c_readlink(fx->c, sl, buf, sizeof(buf)), 9);
	assert_string_equal(buf, "moved.txt");
	assert_int_equal(p9c_unlinkat(fx->c, nd, "sl", 0), 0);
	assert_int_equal(p9c_unlinkat(fx->c, nd, "moved.txt", 0), 0);
	assert_int_equal(p9c_unlinkat(fx->c, fx->root, "newdir", 0), -EISDIR);
	assert_int_equal(p9c_unlinkat(fx->c, fx->root, "newdir", 0x200 /* AT_REMOVEDIR */), 0);
	gt_path(&fx->tree, "newdir", p, sizeof(p));
	assert_int_equal(stat(p, &st), -1);
	assert_int_equal(p9c_mkdir(fx->c, fx->root, "a/b", 0700, 0, NULL), -EINVAL);
	assert_int_equal(p9c_unlinkat(fx->c, fx->root, "missing", 0), -ENOENT);
	/* Setting attributes through a symlink changes the link, never its target. */
	uint32_t esc = walk1(fx, "escape");
	sa = (struct p9_setattr){.valid = P9_SETATTR_MODE, .mode = 0777};
	assert_int_equal(p9c_setattr(fx->c, esc, &sa), -EOPNOTSUPP);
	sa = (struct p9_setattr){.valid = P9_SETATTR_SIZE, .size = 0};
	assert_int_equal(p9c_setattr(fx->c, esc, &sa), -ELOOP);
	snprintf(p, sizeof(p), "%s/outside/secret", fx->tree.base);
	assert_int_equal(stat(p, &st), 0);
	assert_int_equal(st.st_size, 11);
	p9c_clunk(fx->c, esc);
	p9c_clunk(fx->c, sl);
	p9c_clunk(fx->c, nd);
	p9c_clunk(fx->c, fid);
	p9c_clunk(fx->c, dir);
	p9c_clunk(fx->c, other);
}

/* Serving "/" (as `runsc do` does): /proc and /sys are mount points, never entered. */
static void test_host_root_keeps_out_of_proc(void **state)
{
	struct gofer_thread g;
	struct p9_client *c;
	struct p9_qid qids[P9_MAXWELEM];
	struct p9_attr a;
	const char *self[] = {"proc", "self"}, *back[] = {"proc", "..", "sys"};
	uint32_t root, fid;
	uint16_t nqid;
	int fds = gt_count_fds();

	assert_int_equal(p9c_connect(gt_start(&g, "/", true, SOCK_STREAM), 8192, &c), 0);
	root = p9c_fid_alloc(c);
	fid = p9c_fid_alloc(c);
	assert_int_equal(p9c_attach(c, root, "root", 0, "", NULL), 0);
	assert_int_equal(p9c_walk(c, root, fid, 2, self, qids, &nqid), -ENOENT);
	assert_int_equal(nqid, 1);
	assert_int_equal(qids[0].type, P9_QTDIR);
	assert_int_equal(p9c_walk(c, root, fid, 3, back, qids, &nqid), 0);
	assert_int_equal(p9c_lopen(c, fid, O_RDONLY | O_DIRECTORY, NULL, NULL, NULL), -EACCES);
	assert_int_equal(p9c_clunk(c, fid), 0);
	assert_int_equal(p9c_walk(c, root, fid, 1, self, qids, &nqid), 0);
	assert_int_equal(p9c_lopen(c, fid, O_RDONLY | O_DIRECTORY, NULL, NULL, NULL), -EACCES);
	assert_int_equal(p9c_clunk(c, fid), 0);
	/* A stat by name of the mount point (another device: a worker's) but not inside. */
	assert_int_equal(p9c_walkgetattr(c, root, P9_NOFID, 1, self, &a, NULL), 0);
	assert_true(S_ISDIR(a.mode));
	assert_int_equal(p9c_walkgetattr(c, root, P9_NOFID, 2, self, &a, NULL), -EACCES);
	assert_int_equal(p9c_walkgetattr(c, root, fid, 2, self, &a, NULL), -EACCES);
	p9c_close(c);
	assert_int_equal(gt_join(&g), 0);
	assert_int_equal(gt_count_fds(), fds);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_attach_getattr_root, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_walk_open_read, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_walk_multi_and_missing, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_dotdot_stays_in_root, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks_never_followed, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_walkgetattr, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_walkgetattr, setup_seqpacket, teardown),
		cmocka_unit_test_setup_teardown(test_readdir, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_statfs, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_readonly_refuses_writes, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(test_walk_open_read, setup_seqpacket, teardown),
		cmocka_unit_test_setup_teardown(test_readdir, setup_seqpacket, teardown),
		cmocka_unit_test_setup_teardown(test_rw_create_write_rename_unlink, setup_rw,
						teardown),
		cmocka_unit_test(test_host_root_keeps_out_of_proc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
