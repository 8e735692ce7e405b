/* statmount(2) and listmount(2) (Linux 6.8+), and statx's STATX_MNT_ID(_UNIQUE): a
 * mount's fields, its strings and their buffer rules, the request's checks, the IDs
 * below a mount in order and backwards. Every case runs in a private mount namespace of
 * its own (mount_util.h). */
#include "harness.h"

#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>

#include "mount_util.h"

#ifndef SYS_statmount
#define SYS_statmount 457
#define SYS_listmount 458
#endif
#define MNT_ID_UNIQUE 0x4000U /* STATX_MNT_ID_UNIQUE */
#define LSMT_ROOT 0xffffffffffffffffULL
#define LISTMOUNT_REVERSE 1
#define ID_OFFSET (1ULL << 31)

enum {
	SB_BASIC = 0x1,
	MNT_BASIC = 0x2,
	PROPAGATE_FROM = 0x4,
	MNT_ROOT = 0x8,
	MNT_POINT = 0x10,
	FS_TYPE = 0x20,
	MNT_NS_ID = 0x40,
	MNT_OPTS = 0x80,
	SB_SOURCE = 0x200,
	OPT_ARRAY = 0x400,
	SUPPORTED = 0x1000,
};

struct id_req {
	uint32_t size, spare;
	uint64_t mnt_id, param, mnt_ns_id;
};

struct sm {
	uint32_t size, mnt_opts;
	uint64_t mask;
	uint32_t sb_dev_major, sb_dev_minor;
	uint64_t sb_magic;
	uint32_t sb_flags, fs_type;
	uint64_t mnt_id, mnt_parent_id;
	uint32_t mnt_id_old, mnt_parent_id_old;
	uint64_t mnt_attr, mnt_propagation, mnt_peer_group, mnt_master, propagate_from;
	uint32_t mnt_root, mnt_point;
	uint64_t mnt_ns_id;
	uint32_t fs_subtype, sb_source, opt_num, opt_array, opt_sec_num, opt_sec_array;
	uint64_t supported_mask;
	uint32_t uidmap_num, uidmap, gidmap_num, gidmap;
	uint64_t spare2[43];
	char str[];
};

static union {
	struct sm sm;
	char bytes[8192];
} g_buf;

static long do_statmount(uint64_t id, uint64_t mask, size_t size)
{
	struct id_req req = {24, 0, id, mask, 0};

	memset(&g_buf, 0xff, sizeof(g_buf));
	return syscall(SYS_statmount, &req, &g_buf, size, 0);
}

static long do_listmount(uint64_t parent, uint64_t last, uint64_t *ids, size_t n, unsigned fl)
{
	struct id_req req = {24, 0, parent, last, 0};

	return syscall(SYS_listmount, &req, ids, n, fl);
}

/* statx's mount IDs of path: the unique one (unique) or the mountinfo one. */
static uint64_t mnt_id_of(const char *path, bool unique)
{
	struct statx sx;

	memset(&sx, 0, sizeof(sx));
	if (statx(AT_FDCWD, path, 0, unique ? MNT_ID_UNIQUE : STATX_MNT_ID, &sx) < 0)
		return 0;
	if (!(sx.stx_mask & (unique ? MNT_ID_UNIQUE : STATX_MNT_ID)))
		return 0;
	return sx.stx_mnt_id; /* stx_mnt_id */
}

/* Field n (from 0) of path's mountinfo line, as a number. */
static long mountinfo_field(const char *path, int n)
{
	const char *line = mountinfo_line(path);
	long v = -1;

	for (int i = 0; i < n && line; i++) {
		line = strchr(line, ' ');
		line = line ? line + 1 : NULL;
	}
	if (line)
		sscanf(line, "%ld", &v);
	return v;
}

static const char *sm_str(uint32_t off)
{
	return g_buf.sm.str + off;
}

static void fields_body(void)
{
	const char *d = fresh_dir("sm");
	uint64_t id, all = SB_BASIC | MNT_BASIC | PROPAGATE_FROM | MNT_ROOT | MNT_POINT | FS_TYPE |
			   MNT_NS_ID | MNT_OPTS | SB_SOURCE | SUPPORTED;
	uint64_t parent_id;
	struct stat st;
	long n;

	CHECK_OK(mount("src", d, "tmpfs", MS_NOSUID, "size=1m"));
	CHECK(exists(d));
	CHECK(strstr(mounts_line(d), " tmpfs ") != NULL);
	id = mnt_id_of(d, true);
	CHECK(id > ID_OFFSET);
	CHECK_EQ((long)mnt_id_of(d, false), mountinfo_field(d, 0));
	CHECK_OK(stat(d, &st));
	n = do_statmount(id, all, sizeof(g_buf));
	CHECK_EQ(n, 0);
	CHECK_EQ(g_buf.sm.mask & all, all & ~(uint64_t)0);
	CHECK_EQ(g_buf.sm.sb_magic, TMPFS_MAGIC);
	CHECK_EQ(makedev(g_buf.sm.sb_dev_major, g_buf.sm.sb_dev_minor), st.st_dev);
	CHECK_EQ(g_buf.sm.sb_flags, 0);
	CHECK_EQ(g_buf.sm.mnt_id, id);
	CHECK_EQ((long)g_buf.sm.mnt_id_old, mountinfo_field(d, 0));
	CHECK_EQ((long)g_buf.sm.mnt_parent_id_old, mountinfo_field(d, 1));
	CHECK_EQ(g_buf.sm.mnt_attr, MOUNT_ATTR_NOSUID);
	CHECK_EQ(g_buf.sm.mnt_propagation, MS_PRIVATE);
	CHECK_EQ(g_buf.sm.mnt_peer_group, 0);
	CHECK_EQ(g_buf.sm.mnt_master, 0);
	CHECK_EQ(g_buf.sm.propagate_from, 0);
	CHECK(g_buf.sm.mnt_ns_id != 0);
	CHECK_EQ(g_buf.sm.supported_mask & all, all);
	CHECK_STR(sm_str(g_buf.sm.fs_type), "tmpfs");
	CHECK_STR(sm_str(g_buf.sm.mnt_root), "/");
	CHECK_STR(sm_str(g_buf.sm.mnt_point), d);
	CHECK_STR(sm_str(g_buf.sm.sb_source), "src");
	CHECK(!strncmp(sm_str(g_buf.sm.mnt_opts), "size=1024k", 10));
	CHECK_EQ(g_buf.sm.str[0], '\0'); /* the reserved empty string */
	CHECK(g_buf.sm.size > sizeof(struct sm) && g_buf.sm.size < 1024);
	/* The parent by its unique ID. */
	parent_id = g_buf.sm.mnt_parent_id;
	CHECK_EQ(do_statmount(parent_id, MNT_BASIC, sizeof(g_buf)), 0);
	CHECK_EQ((long)g_buf.sm.mnt_id_old, mountinfo_field(d, 1));
	CHECK_EQ(g_buf.sm.size, sizeof(struct sm));
	/* Read-only and unbindable show. */
	CHECK_OK(mount(NULL, d, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOATIME, NULL));
	CHECK_OK(mount(NULL, d, NULL, MS_UNBINDABLE, NULL));
	CHECK_EQ(do_statmount(id, MNT_BASIC, sizeof(g_buf)), 0);
	CHECK_EQ(g_buf.sm.mnt_attr, MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOATIME);
	CHECK_EQ(g_buf.sm.mnt_propagation, MS_UNBINDABLE);
	/* Gone once unmounted. */
	CHECK_OK(umount(d));
	CHECK_ERR(do_statmount(id, MNT_BASIC, sizeof(g_buf)), ENOENT);
}

static void fields(void)
{
	in_private_ns(fields_body);
}

static void request_rules_body(void)
{
	const char *d = fresh_dir("smr");
	struct id_req req = {24, 0, 0, SB_BASIC, 0};
	char big[64] = {0};
	uint64_t id;
	int fs, m;

	CHECK_OK(mount("none", d, "tmpfs", 0, NULL));
	id = mnt_id_of(d, true);
	req.mnt_id = id;
	CHECK_ERR(syscall(SYS_statmount, &req, &g_buf, sizeof(g_buf), 1), EINVAL);
	req.size = 16;
	CHECK_ERR(syscall(SYS_statmount, &req, &g_buf, sizeof(g_buf), 0), EINVAL);
	req.size = 8192;
	CHECK_ERR(syscall(SYS_statmount, &req, &g_buf, sizeof(g_buf), 0), E2BIG);
	req.size = 24;
	req.spare = 1;
	CHECK_ERR(syscall(SYS_statmount, &req, &g_buf, sizeof(g_buf), 0), EINVAL);
	req.spare = 0;
	CHECK_ERR(syscall(SYS_statmount, NULL, &g_buf, sizeof(g_buf), 0), EFAULT);
	/* A larger request from a newer program: its tail must be zero. */
	memcpy(big, &req, sizeof(req));
	((struct id_req *)big)->size = sizeof(big);
	CHECK_OK(syscall(SYS_statmount, big, &g_buf, sizeof(g_buf), 0));
	big[40] = 1;
	CHECK_ERR(syscall(SYS_statmount, big, &g_buf, sizeof(g_buf), 0), E2BIG);
	/* Old (mountinfo) IDs are not unique IDs. */
	CHECK_ERR(do_statmount(mnt_id_of(d, false), SB_BASIC, sizeof(g_buf)), EINVAL);
	CHECK_ERR(do_statmount(ID_OFFSET + 100000000, SB_BASIC, sizeof(g_buf)), ENOENT);
	/* A namespace ID nothing has: ENOENT. */
	req.size = 32;
	req.mnt_ns_id = 0x7fffffffffffULL;
	CHECK_ERR(syscall(SYS_statmount, &req, &g_buf, sizeof(g_buf), 0), ENOENT);
	/* Our namespace by its ID. */
	CHECK_EQ(do_statmount(id, MNT_NS_ID, sizeof(g_buf)), 0);
	req.mnt_ns_id = g_buf.sm.mnt_ns_id;
	CHECK_OK(syscall(SYS_statmount, &req, &g_buf, sizeof(g_buf), 0));
	/* Buffers: strings need room past the struct, the struct alone is truncated. */
	CHECK_ERR(do_statmount(id, FS_TYPE, sizeof(struct sm)), EOVERFLOW);
	CHECK_ERR(do_statmount(id, FS_TYPE, sizeof(struct sm) + 6), EOVERFLOW);
	CHECK_EQ(do_statmount(id, FS_TYPE, sizeof(struct sm) + 7), 0);
	CHECK_EQ(g_buf.sm.size, sizeof(struct sm) + 7);
	CHECK_EQ(do_statmount(id, SB_BASIC, 24), 0);
	CHECK_EQ(g_buf.sm.size, 24);
	CHECK_EQ(g_buf.sm.mask, SB_BASIC);
	CHECK_EQ((unsigned char)g_buf.bytes[24], 0xff); /* nothing past the buffer */
	/* A detached mount is in no namespace of ours. */
	fs = CHECK_OK((int)syscall(SYS_fsopen, "tmpfs", 0));
	CHECK_OK(syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0));
	m = CHECK_OK((int)syscall(SYS_fsmount, fs, 0, 0));
	{
		struct statx sx;

		CHECK_OK(statx(m, "", AT_EMPTY_PATH, MNT_ID_UNIQUE, &sx));
		CHECK(sx.stx_mnt_id > id);
		CHECK_ERR(do_statmount(sx.stx_mnt_id, SB_BASIC, sizeof(g_buf)), ENOENT);
	}
	close(m);
	close(fs);
	CHECK_OK(umount(d));
}

static void request_rules(void)
{
	in_private_ns(request_rules_body);
}

static void listmount_body(void)
{
	const char *d = fresh_dir("lm");
	char sub[PATH_MAX], subsub[PATH_MAX + 8];
	uint64_t ids[64], top, a, b, one;
	int fd;

	CHECK_OK(mount("none", d, "tmpfs", 0, NULL));
	snprintf(sub, sizeof(sub), "%s/a", d);
	CHECK_OK(mkdir(sub, 0755));
	CHECK_OK(mount("none", sub, "tmpfs", 0, NULL));
	snprintf(subsub, sizeof(subsub), "%s/b", sub);
	CHECK_OK(mkdir(subsub, 0755));
	CHECK_OK(mount("none", subsub, "tmpfs", 0, NULL));
	top = mnt_id_of(d, true);
	a = mnt_id_of(sub, true);
	b = mnt_id_of(subsub, true);
	CHECK(top < a && a < b);
	/* Every mount below, in ID order, not the parent itself. */
	CHECK_EQ(do_listmount(top, 0, ids, 64, 0), 2);
	CHECK_EQ(ids[0], a);
	CHECK_EQ(ids[1], b);
	CHECK_EQ(do_listmount(top, 0, ids, 64, LISTMOUNT_REVERSE), 2);
	CHECK_EQ(ids[0], b);
	CHECK_EQ(ids[1], a);
	CHECK_EQ(do_listmount(a, 0, ids, 64, 0), 1);
	CHECK_EQ(ids[0], b);
	CHECK_EQ(do_listmount(b, 0, ids, 64, 0), 0);
	/* One at a time, going on from the last. */
	CHECK_EQ(do_listmount(top, 0, &one, 1, 0), 1);
	CHECK_EQ(one, a);
	CHECK_EQ(do_listmount(top, one, &one, 1, 0), 1);
	CHECK_EQ(one, b);
	CHECK_EQ(do_listmount(top, one, &one, 1, 0), 0);
	CHECK_EQ(do_listmount(top, b, &one, 1, LISTMOUNT_REVERSE), 1);
	CHECK_EQ(one, a);
	/* From the root: the root mount and every one reachable, as mountinfo lists them. */
	{
		uint64_t *all = calloc(4096, sizeof(*all));
		long n = do_listmount(LSMT_ROOT, 0, all, 4096, 0), lines = 0;
		FILE *f = fopen("/proc/self/mountinfo", "r");
		char line[1024];
		bool saw_root = false, saw_b = false;

		while (f && fgets(line, sizeof(line), f))
			lines++;
		if (f)
			fclose(f);
		CHECK_EQ(n, lines);
		for (long i = 0; i < n; i++) {
			saw_root |= all[i] == mnt_id_of("/", true);
			saw_b |= all[i] == b;
			if (i > 0)
				CHECK(all[i] > all[i - 1]);
		}
		CHECK(saw_root);
		CHECK(saw_b);
		free(all);
	}
	CHECK_ERR(do_listmount(top, 0, ids, 64, 2), EINVAL);
	CHECK_ERR(do_listmount(top, 0, ids, 2000000, 0), EOVERFLOW);
	CHECK_ERR(do_listmount(ID_OFFSET + 100000000, 0, ids, 64, 0), ENOENT);
	CHECK_ERR(do_listmount(5, 0, ids, 64, 0), EINVAL);
	CHECK_ERR(do_listmount(top, 0, (uint64_t *)0xffffffffffff0000ULL, 64, 0), EFAULT);
	fd = CHECK_OK(open(subsub, O_RDONLY | O_DIRECTORY));
	close(fd);
	CHECK_OK(umount2(d, MNT_DETACH));
	CHECK_ERR(do_listmount(top, 0, ids, 64, 0), ENOENT);
}

static void listmount_case(void)
{
	in_private_ns(listmount_body);
}

int main(void)
{
	h_begin();
	h_setup_tmpdir();
	RUN(fields);
	RUN(request_rules);
	RUN(listmount_case);
	return h_end();
}
